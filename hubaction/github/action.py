"""The GitHub Action: inputs -> lookups -> outputs and job summary.

Only wiring: every input is read and checked up front (:mod:`hubaction.github.inputs`), secrets
are masked before anything else is printed, the lookups (:mod:`hubaction.github.steps`) run on
one session, and the outputs are written together at the end, so a failure leaves no
half-written set of outputs.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from hubaction.errors import HubActionError, describe
from hubaction.github.inputs import read_inputs
from hubaction.github.toolkit import Toolkit
from hubaction.registry.credentials import Credentials, basic_token, docker_config_secrets

if TYPE_CHECKING:
    import requests


def mask_secrets(kit: Toolkit) -> None:
    """Mask every secret input, and the forms derived from it (the base64 ``user:password``
    of Basic auth, the credentials inside ``docker-config``), before anything is printed."""
    secrets: list[str] = []
    password = kit.get_input("password")
    if password:
        secrets.append(password)
        username = kit.get_input("username")
        if username:
            secrets.append(basic_token(Credentials(username, password)))
    secrets += docker_config_secrets(kit.get_input("docker-config"))
    for secret in secrets:
        kit.mask(secret)


def run(kit: Toolkit, *, session: requests.Session | None = None) -> int:
    """Run the action with ``kit``'s inputs; returns the exit code."""
    try:
        mask_secrets(kit)
        inputs = read_inputs(kit.get_input)
        from hubaction.github import steps

        result = steps.lookup(kit, inputs, session)
    except HubActionError as exc:
        kit.error(describe(exc), title=exc.title)
        return 1
    what = str(inputs.reference) if inputs.reference is not None else "Docker Hub"
    with kit.group(f"hubaction: {what}"):
        for name, value in result.outputs.items():
            kit.info(f"{name}: {value}")
    for name, value in result.outputs.items():
        kit.set_output(name, value)
    if inputs.summary:
        kit.append_summary(steps.summary_text(result))
    return 0


def main() -> int:
    """The container's entry point: never a traceback for anything expected."""
    kit = Toolkit()
    try:
        return run(kit)
    except Exception as exc:  # an unexpected bug: one clear line, details only in debug
        kit.error(
            f"hubaction hit an internal error ({type(exc).__name__}: {exc}). This is a bug; "
            "please report it with the step's debug log (re-run with debug logging enabled)",
            title="Internal error",
        )
        if kit.debug_enabled:
            import traceback  # only for this unexpected case: it costs start-up time

            for line in traceback.format_exc().splitlines():
                kit.debug(line)
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
