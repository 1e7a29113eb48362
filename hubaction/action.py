"""The GitHub Action: inputs -> lookups -> outputs and job summary.

Only wiring: every input is read and validated up front (:func:`read_inputs`), secrets are
masked before anything else is printed, then the lookups run on one session, and the outputs
are written together at the end, so a failure leaves no half-written set of outputs.
"""

from __future__ import annotations

import re
import sys
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from hubaction.contract import INPUT_DEFAULTS, SECRET_INPUTS
from hubaction.credentials import Credentials, CredentialStore, parse_docker_config
from hubaction.errors import HubActionError, InvalidInput, NotFound
from hubaction.outputs import (
    boolean,
    head_outputs,
    image_outputs,
    missing_outputs,
    ratelimit_outputs,
    tag_outputs,
)
from hubaction.platform import Platform, parse_platform
from hubaction.reference import Digest, Reference, parse_digest, parse_reference, parse_tag
from hubaction.summary import (
    Table,
    TagRow,
    base_table,
    image_section,
    md_code,
    md_text,
    platform_table,
)
from hubaction.summary import render as render_summary
from hubaction.summary import tag_table as make_tag_table
from hubaction.tags import SORTS, compile_tag_filter, select_tags
from hubaction.toolkit import Toolkit

if TYPE_CHECKING:
    import requests

    from hubaction.model import RateLimit
    from hubaction.registry import RegistryClient

# Per-tag digests in the summary cost one HEAD each; beyond this many the table shows names only.
MAX_TAG_DIGESTS = 1000
_TAG_FORM = "a tag such as `1.2` or a digest `sha256:<64 hex>`"


@dataclass(frozen=True)
class ActionInputs:
    """Every input, parsed and validated."""

    reference: Reference | None
    credentials: CredentialStore
    secrets: tuple[str, ...] = field(repr=False)
    platform: Platform
    digest_only: bool
    list_tags: bool
    tag_filter: re.Pattern[str] | None
    tag_sort: str
    max_tags: int
    compare_digest: Digest | None
    base_image: Reference | None
    dockerfile: str
    fail_on_missing: bool
    namespace: str
    list_namespaces: bool
    summary: bool
    insecure: bool
    hub_url: str


def _input_error(name: str, exc: Exception, accepted: str) -> InvalidInput:
    return InvalidInput(f"Input `{name}`: {exc}. Expected {accepted}")


def mask_secrets(kit: Toolkit) -> tuple[str, ...]:
    """Mask every secret input (and the forms derived from it) before anything is printed."""
    secrets: list[str] = []
    for name in SECRET_INPUTS:
        value = kit.get_input(name)
        if value:
            kit.mask(value)
            secrets.append(value)
    config_text = kit.get_input("docker-config")
    if config_text:
        try:
            for creds in parse_docker_config(config_text).values():
                kit.mask(creds.password)
                secrets.append(creds.password)
        except InvalidInput:
            pass  # reported by read_inputs, after masking is done
    return tuple(secrets)


def _reference(kit: Toolkit) -> Reference | None:
    text = kit.get_input("repository")
    tag = kit.get_input("tag")
    if not text:
        return None
    try:
        ref = parse_reference(text, default_tag=None)
    except InvalidInput as exc:
        raise InvalidInput(
            f"Input `repository`: {exc}. Expected a repository such as `node`, `myorg/app`, "
            "`ghcr.io/org/app` or `localhost:5000/app`, optionally with `:tag` or `@sha256:...`"
        ) from None
    carries = ref.tag is not None or ref.digest is not None
    # `tag` defaults to `latest` in action.yml, so the runner always sets it: only a value
    # other than the default conflicts with a tag or digest carried by `repository`.
    if carries:
        if tag not in ("", INPUT_DEFAULTS["tag"]):
            raise InvalidInput(
                f"Input `repository` ({text!r}) already carries a tag or digest, and input "
                f"`tag` is {tag!r}: leave `tag` empty or remove the tag from `repository`"
            )
        return ref
    tag = tag or str(INPUT_DEFAULTS["tag"])
    if ":" in tag:
        try:
            return ref.with_digest(parse_digest(tag))
        except InvalidInput as exc:
            raise _input_error("tag", exc, _TAG_FORM) from None
    try:
        return ref.with_tag(parse_tag(tag))
    except InvalidInput as exc:
        raise _input_error("tag", exc, _TAG_FORM) from None


def _tag_filter(pattern: str) -> re.Pattern[str] | None:
    try:
        return compile_tag_filter(pattern)
    except InvalidInput as exc:
        raise InvalidInput(f"Input `tag-filter`: {exc}") from None


def read_inputs(kit: Toolkit, secrets: tuple[str, ...] = ()) -> ActionInputs:
    """Read and validate every input; the first bad one raises :class:`InvalidInput`."""
    ref = _reference(kit)
    namespace = kit.get_input("namespace")
    list_namespaces = kit.get_bool_input("list-namespaces", default=False)
    if ref is None and not namespace and not list_namespaces:
        raise InvalidInput(
            "Input `repository` is required (unless `namespace` or `list-namespaces` is used): "
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
        secrets=secrets,
        platform=platform,
        digest_only=digest_only,
        list_tags=kit.get_bool_input("list-tags", default=True),
        tag_filter=_tag_filter(kit.get_input("tag-filter")),
        tag_sort=sort,
        max_tags=kit.get_int_input("max-tags", default=100, minimum=0),
        compare_digest=compare,
        base_image=base,
        dockerfile=kit.get_input("dockerfile"),
        fail_on_missing=kit.get_bool_input("fail-on-missing", default=True),
        namespace=namespace,
        list_namespaces=list_namespaces,
        summary=kit.get_bool_input("summary", default=True),
        insecure=kit.get_bool_input("insecure", default=False),
        hub_url=hub_url,
    )


@dataclass
class _Run:
    """What one run found: outputs to write and summary parts."""

    outputs: dict[str, str] = field(default_factory=dict)
    parts: list[str | Table | None] = field(default_factory=list)
    rate_limit: RateLimit | None = None


def _not_implemented(name: str, issue: str) -> InvalidInput:
    return InvalidInput(
        f"Input `{name}` is not supported by this version of hubaction yet ({issue}); "
        "remove it from the step"
    )


def run(
    kit: Toolkit,
    *,
    session: requests.Session | None = None,
) -> int:
    """Run the action with ``kit``'s inputs; returns the exit code."""
    try:
        secrets = mask_secrets(kit)
        inputs = read_inputs(kit, secrets)
        if inputs.dockerfile:
            raise _not_implemented("dockerfile", "Dockerfile base images")
        if inputs.namespace or inputs.list_namespaces:
            raise _not_implemented(
                "namespace" if inputs.namespace else "list-namespaces", "Docker Hub listings"
            )
        if inputs.tag_sort == "updated":
            raise InvalidInput(
                "Input `tag-sort: updated` needs Docker Hub tag metadata, which this version "
                "does not read yet: use `version` or `lexical`"
            )
        result = _lookup(kit, inputs, session)
    except HubActionError as exc:
        kit.error(str(exc), title=exc.title)
        return 1
    what = str(inputs.reference) if inputs.reference is not None else "Docker Hub"
    with kit.group(f"hubaction: {what}"):
        for name, value in result.outputs.items():
            kit.info(f"{name}: {value}")
    for name, value in result.outputs.items():
        kit.set_output(name, value)
    if inputs.summary:
        kit.append_summary(render_summary(result.parts))
    return 0


def _lookup(kit: Toolkit, inputs: ActionInputs, session: requests.Session | None) -> _Run:
    from hubaction.lookup import compare_base, inspect_image
    from hubaction.registry import open_client

    ref = inputs.reference
    assert ref is not None  # checked by read_inputs while Hub listings are not supported
    debug: Callable[[str], None] = kit.debug if kit.debug_enabled else (lambda _line: None)
    client = open_client(
        inputs.credentials,
        insecure_registries=frozenset({ref.registry}) if inputs.insecure else frozenset(),
        on_secret=kit.mask,
        debug=debug,
        session=session,
    )
    result = _Run()
    exists = True
    digest: Digest | None = None
    try:
        if inputs.digest_only:
            head = client.head_manifest(ref)
            result.outputs.update(head_outputs(ref, head))
            result.rate_limit = head.ratelimit
            digest = head.digest
            result.parts.append(_digest_only_section(ref, head.digest, head.media_type))
        else:
            info = inspect_image(client, ref, inputs.platform, want_config=True)
            result.outputs.update(image_outputs(info))
            result.rate_limit = info.ratelimit
            digest = info.digest
            result.parts.append(image_section(info, rate_limit=info.ratelimit))
            result.parts.append(platform_table(info))
            if inputs.base_image is not None:
                check = compare_base(client, info, inputs.base_image)
                result.outputs["base-changed"] = boolean(check.changed)
                result.outputs["base-digest"] = str(check.base_digest)
                result.parts.append(base_table(check))
            if info.index is None and info.platform is not None:
                _warn_platform(kit, inputs.platform, info.platform)
            if inputs.compare_digest is not None:
                result.outputs["changed"] = boolean(
                    inputs.compare_digest not in (info.digest, info.platform_digest)
                )
    except NotFound as exc:
        if exc.what in ("tag", "manifest") and client.repository_exists(ref) is False:
            # Told apart for the message: a repository that does not exist (yet: the first
            # push of a new image) versus a tag missing from an existing repository.
            exc = NotFound(
                f"{ref.registry}/{ref.repository}: the repository does not exist, so neither "
                f"does {ref.familiar}. Check the repository name (and the credentials: some "
                "registries hide private repositories)",
                what="repository",
            )
        if inputs.fail_on_missing or exc.what not in ("tag", "manifest", "repository"):
            raise exc from None
        exists = False
        result.outputs.update(missing_outputs())
        result.parts.append(
            f"## {md_text(ref.familiar)}\n\n**Does not exist:** {md_text(str(exc))}\n"
        )
    if inputs.compare_digest is not None and "changed" not in result.outputs:
        result.outputs["changed"] = boolean(digest is None or inputs.compare_digest != digest)
    # The contract: `changed` is `true` only when compare-digest is set and differs;
    # `base-changed` only when base-image is set and moved on.
    result.outputs.setdefault("changed", "false")
    result.outputs.setdefault("base-changed", "false")
    if inputs.list_tags and not inputs.digest_only:
        _tags(client, inputs, ref, result, exists=exists)
    result.outputs.update(ratelimit_outputs(result.rate_limit))
    return result


def _warn_platform(kit: Toolkit, wanted: Platform, actual: Platform) -> None:
    if wanted.normalized() != actual.normalized():
        kit.warning(
            f"The image is single-platform ({actual}), not {wanted}; its digests are reported "
            "as they are"
        )


def _digest_only_section(ref: Reference, digest: Digest, media_type: str | None) -> str:
    rows = [
        ("Reference", md_code(str(ref))),
        ("Digest", md_code(str(digest))),
        ("Media type", md_code(media_type or "")),
        ("Pinned", md_code(str(ref.with_digest(digest)))),
    ]
    lines = [f"## {md_text(ref.familiar)}", "", "| | |", "|---|---|"]
    lines += [f"| {k} | {v} |" for k, v in rows]
    lines += ["", "_Digest only: looked up with a HEAD request; no manifest was fetched._"]
    return "\n".join(lines) + "\n"


def _tags(
    client: RegistryClient, inputs: ActionInputs, ref: Reference, result: _Run, *, exists: bool
) -> None:
    from hubaction.lookup import head_many

    repo = Reference(ref.registry, ref.repository, None, None)
    try:
        all_tags = client.list_tags(repo)
    except NotFound:
        if exists:
            raise
        result.outputs.update({"tags": "[]", "tag-count": "0", "latest-semver": ""})
        return
    selection = select_tags(
        all_tags,
        tag_filter=inputs.tag_filter,
        sort=inputs.tag_sort,
        max_tags=inputs.max_tags,
    )
    result.outputs.update(tag_outputs(selection))
    if not inputs.summary:
        return
    rows = [TagRow(t) for t in selection.tags]
    wanted = [repo.with_tag(t) for t in selection.tags[:MAX_TAG_DIGESTS]]
    heads = head_many(client, wanted)
    rows = [
        TagRow(row.name, digest=str(head.digest) if head is not None else None)
        for row, head in zip(rows, [*heads, *([None] * (len(rows) - len(heads)))], strict=True)
    ]
    result.parts.append(
        make_tag_table(
            rows,
            total=selection.count,
            source="the registry's tag list, digests by HEAD requests",
            sort=inputs.tag_sort,
        )
    )


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
            for line in traceback.format_exc().splitlines():
                kit.debug(line)
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
