"""The GitHub Action: inputs -> lookups -> outputs and job summary.

Only wiring: every input is read and checked up front (:mod:`hubaction.github.inputs`), with
the config.json of docker/login-action when no input gives credentials; secrets are masked
before anything else is printed, the lookups (:mod:`hubaction.github.steps`) run on
one session, and the outputs are written together at the end, so a failure leaves no
half-written set of outputs.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from typing import TYPE_CHECKING

from hubaction.errors import HubActionError, describe
from hubaction.github.inputs import LoginConfig, read_inputs, read_login_config
from hubaction.github.toolkit import Toolkit
from hubaction.registry.credentials import Credentials, basic_token, docker_config_secrets

if TYPE_CHECKING:
    import requests


def mask_secrets(kit: Toolkit, login: LoginConfig | None = None) -> None:
    """Mask every secret input, and the forms derived from it (the base64 ``user:password``
    of Basic auth, the credentials inside ``docker-config``), and the credentials in
    ``login``'s config.json, before anything is printed."""
    secrets: list[str] = []
    password = kit.get_input("password")
    if password:
        secrets.append(password)
        username = kit.get_input("username")
        if username:
            secrets.append(basic_token(Credentials(username, password)))
    secrets += docker_config_secrets(kit.get_input("docker-config"))
    if login is not None:
        secrets += docker_config_secrets(login.text, auths_required=False)
    for secret in secrets:
        kit.mask(secret)


def run(
    kit: Toolkit,
    *,
    session: requests.Session | None = None,
    environ: Mapping[str, str] | None = None,
) -> int:
    """Run the action with ``kit``'s inputs; returns the exit code. ``environ`` has the
    ``HOME`` and ``DOCKER_CONFIG`` that locate docker login's config.json (``main`` passes
    :data:`os.environ`; ``None`` reads none, so tests in-process never see the user's)."""
    try:
        # Read only when `docker-config`, `username` and `password` are empty: masking it
        # after reading leaves no secret input unmasked, and a read error quotes no secret.
        login = read_login_config(kit.get_input, environ or {})
        mask_secrets(kit, login)
        if login is not None and kit.debug_enabled:
            kit.debug(f"Credentials: from {login.path} (no credential inputs given)")
        inputs = read_inputs(kit.get_input, login)
        from hubaction.github import steps

        result = steps.lookup(kit, inputs, session)
    except HubActionError as exc:
        kit.error(describe(exc), title=exc.title)
        return 1
    what = str(inputs.reference) if inputs.reference is not None else "Docker Hub"
    what = f"{len(inputs.images)} images" if inputs.images and not inputs.reference else what
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
        return run(kit, environ=os.environ)
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
