"""The GitHub Action: inputs -> lookups -> outputs and job summary.

Only wiring: every input is read and validated up front (:func:`read_inputs`), secrets are
masked before anything else is printed, the lookups (:mod:`hubaction.github.steps`) run on one
session, and the outputs are written together at the end, so a failure leaves no half-written
set of outputs.
"""

from __future__ import annotations

import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from hubaction.errors import HubActionError, InvalidInput, describe
from hubaction.github.contract import INPUT_DEFAULTS, reference_input
from hubaction.github.toolkit import Toolkit
from hubaction.oci.platform import Platform, parse_platform
from hubaction.oci.reference import Digest, Reference, parse_digest, parse_reference
from hubaction.oci.tags import SORTS, compile_tag_filter
from hubaction.registry.credentials import (
    Credentials,
    CredentialStore,
    basic_token,
    docker_config_secrets,
    parse_docker_config,
)

if TYPE_CHECKING:
    import requests

    from hubaction.dockerfile.parser import BaseImage


@dataclass(frozen=True)
class ActionInputs:
    """Every input, parsed and validated."""

    reference: Reference | None
    credentials: CredentialStore
    platform: Platform
    digest_only: bool
    list_tags: bool
    tag_filter: re.Pattern[str] | None
    tag_sort: str
    max_tags: int
    compare_digest: Digest | None
    base_image: Reference | None
    dockerfile: str
    dockerfile_images: tuple[BaseImage, ...]
    fail_on_missing: bool
    namespace: str
    list_namespaces: bool
    summary: bool
    insecure: bool
    hub_url: str


def _input_error(name: str, exc: Exception, accepted: str) -> InvalidInput:
    return InvalidInput(f"Input `{name}`: {exc}. Expected {accepted}")


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


def _is_name(component: str) -> bool:
    try:
        parse_reference(f"docker.io/{component}/x", default_tag=None)
    except InvalidInput:
        return False
    return True


def _dockerfile_images(name: str) -> tuple[BaseImage, ...]:
    """The FROM images of the workspace's Dockerfile ``name``, read and parsed up front."""
    if not name:
        return ()
    from hubaction.dockerfile.parser import parse_dockerfile

    try:
        text = workspace_file(name).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInput(
            f"Input `dockerfile`: cannot read {name!r} ({exc.__class__.__name__}); give the "
            "path of a Dockerfile in the workspace, e.g. `Dockerfile` or "
            "`docker/app.Dockerfile` (and check the repository out first)"
        ) from None
    try:
        return tuple(parse_dockerfile(text, path=name))
    except InvalidInput as exc:
        raise InvalidInput(f"Input `dockerfile`: {exc}") from None


def _tag_filter(pattern: str) -> re.Pattern[str] | None:
    try:
        return compile_tag_filter(pattern)
    except InvalidInput as exc:
        raise InvalidInput(f"Input `tag-filter`: {exc}") from None


def read_inputs(kit: Toolkit) -> ActionInputs:
    """Read and validate every input; the first bad one raises :class:`InvalidInput`."""
    ref = reference_input(kit.get_input)
    namespace = kit.get_input("namespace")
    list_namespaces = kit.get_bool_input("list-namespaces", default=False)
    if ref is None and not namespace and not list_namespaces and not kit.get_input("dockerfile"):
        raise InvalidInput(
            "Input `repository` is required (unless `namespace`, `list-namespaces` or "
            "`dockerfile` is used): "
            "set it to the image to look up, e.g. `node` or `ghcr.io/org/app`"
        )
    username = kit.get_input("username")
    password = kit.get_input("password")
    if bool(username) != bool(password):
        missing = "password" if username else "username"
        raise InvalidInput(
            f"Input `{missing}` is empty while `{'username' if username else 'password'}` is "
            "set: give both, or neither for anonymous access"
        )
    config = parse_docker_config(kit.get_input("docker-config"))
    store = CredentialStore(
        explicit=Credentials(username, password) if username else None,
        primary_registry=ref.registry if ref is not None else "docker.io",
        config=config,
    )
    try:
        platform = parse_platform(kit.get_input("platform") or str(INPUT_DEFAULTS["platform"]))
    except InvalidInput as exc:
        raise InvalidInput(f"Input `platform`: {exc}") from None
    sort = kit.get_input("tag-sort") or str(INPUT_DEFAULTS["tag-sort"])
    if sort not in SORTS:
        raise InvalidInput(f"Input `tag-sort` is {sort!r}: expected one of {', '.join(SORTS)}")
    if sort == "updated" and (ref is None or not ref.is_docker_hub):
        raise InvalidInput(
            "Input `tag-sort: updated` orders tags by push date, which only Docker Hub's API "
            "gives: use `version` or `lexical` for this registry"
        )
    compare_text = kit.get_input("compare-digest")
    try:
        compare = parse_digest(compare_text) if compare_text else None
    except InvalidInput as exc:
        raise _input_error("compare-digest", exc, "a digest such as `sha256:<64 hex>`") from None
    base_text = kit.get_input("base-image")
    try:
        base = parse_reference(base_text) if base_text else None
    except InvalidInput as exc:
        raise _input_error("base-image", exc, "an image reference such as `node:20`") from None
    if namespace and ("/" in namespace or not _is_name(namespace)):
        raise InvalidInput(
            f"Input `namespace` is {namespace!r}: expected a Docker Hub user or organization "
            "name such as `acme` (lowercase letters and digits, with `.`, `_` or `-` inside)"
        )
    dockerfile = kit.get_input("dockerfile")
    digest_only = kit.get_bool_input("digest-only", default=False)
    if digest_only and base is not None:
        raise InvalidInput(
            "Input `base-image` compares manifests and layers, which `digest-only: true` does "
            "not fetch: set `digest-only: false`, or drop `base-image`"
        )
    hub_url = (kit.get_input("hub-url") or str(INPUT_DEFAULTS["hub-url"])).rstrip("/")
    if not re.fullmatch(r"https?://[^\s/?#]+(/[^\s?#]*)?", hub_url):
        raise InvalidInput(
            f"Input `hub-url` is {hub_url!r}: expected an http(s) URL such as "
            "https://hub.docker.com"
        )
    return ActionInputs(
        reference=ref,
        credentials=store,
        platform=platform,
        digest_only=digest_only,
        list_tags=kit.get_bool_input("list-tags", default=True),
        tag_filter=_tag_filter(kit.get_input("tag-filter")),
        tag_sort=sort,
        max_tags=kit.get_int_input("max-tags", default=100, minimum=0),
        compare_digest=compare,
        base_image=base,
        dockerfile=dockerfile,
        dockerfile_images=_dockerfile_images(dockerfile),
        fail_on_missing=kit.get_bool_input("fail-on-missing", default=True),
        namespace=namespace,
        list_namespaces=list_namespaces,
        summary=kit.get_bool_input("summary", default=True),
        insecure=kit.get_bool_input("insecure", default=False),
        hub_url=hub_url,
    )


def workspace_file(name: str) -> Path:
    """``name`` relative to the workspace (the runner's working directory)."""
    base = Path(os.environ.get("GITHUB_WORKSPACE") or Path.cwd())
    path = Path(name)
    return path if path.is_absolute() else base / path


def run(kit: Toolkit, *, session: requests.Session | None = None) -> int:
    """Run the action with ``kit``'s inputs; returns the exit code."""
    try:
        mask_secrets(kit)
        inputs = read_inputs(kit)
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
