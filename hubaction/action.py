"""The GitHub Action: inputs -> lookups -> outputs and job summary.

Only wiring: every input is read and validated up front (:func:`read_inputs`), secrets are
masked before anything else is printed, then the lookups run on one session, and the outputs
are written together at the end, so a failure leaves no half-written set of outputs.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from hubaction.contract import INPUT_DEFAULTS
from hubaction.credentials import (
    Credentials,
    CredentialStore,
    basic_token,
    docker_config_secrets,
    parse_docker_config,
)
from hubaction.errors import HubActionError, InvalidInput, NotFound, RateLimited, RegistryError
from hubaction.outputs import (
    boolean,
    compact_json,
    head_outputs,
    image_outputs,
    missing_outputs,
    names_output,
    ratelimit_outputs,
    tag_outputs,
)
from hubaction.platform import Platform, parse_platform
from hubaction.reference import Digest, Reference, parse_digest, parse_reference, parse_tag
from hubaction.summary import (
    Table,
    TagRow,
    base_table,
    digest_section,
    dockerfile_table,
    image_section,
    md_text,
    platform_table,
)
from hubaction.summary import render as render_summary
from hubaction.summary import tag_table as make_tag_table
from hubaction.tags import SORTS, TagSelection, compile_tag_filter, select_tags
from hubaction.toolkit import Toolkit

if TYPE_CHECKING:
    import requests

    from hubaction.dockerfile import BaseImage
    from hubaction.hub import HubClient
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
    from hubaction.dockerfile import parse_dockerfile

    try:
        text = _workspace_file(name).read_text(encoding="utf-8")
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
    ref = _reference(kit)
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


@dataclass
class _Run:
    """What one run found: outputs to write and summary parts."""

    outputs: dict[str, str] = field(default_factory=dict)
    parts: list[str | Table | None] = field(default_factory=list)
    rate_limit: RateLimit | None = None
    hub: HubClient | None = None


def run(
    kit: Toolkit,
    *,
    session: requests.Session | None = None,
) -> int:
    """Run the action with ``kit``'s inputs; returns the exit code."""
    try:
        mask_secrets(kit)
        inputs = read_inputs(kit)
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
    from hubaction.registry import open_client

    debug: Callable[[str], None] = kit.debug if kit.debug_enabled else (lambda _line: None)
    ref = inputs.reference
    client = open_client(
        inputs.credentials,
        insecure_registries=(
            frozenset({ref.registry}) if inputs.insecure and ref is not None else frozenset()
        ),
        on_secret=kit.mask,
        debug=debug,
        session=session,
    )
    result = _Run()
    if inputs.namespace or inputs.list_namespaces or (ref is not None and ref.is_docker_hub):
        from hubaction.hub import HubClient

        result.hub = HubClient(
            client.session,
            hub_url=inputs.hub_url,
            credentials=inputs.credentials.get("docker.io"),
            on_secret=kit.mask,
            debug=debug,
        )
    if ref is not None:
        _image(kit, client, inputs, ref, result)
    if inputs.dockerfile:
        _dockerfile(client, inputs, result)
    if result.hub is not None and inputs.list_namespaces:
        result.outputs["namespaces"] = names_output(result.hub.namespaces())
    if result.hub is not None and inputs.namespace:
        _repositories(result.hub, inputs.namespace, result)
    result.outputs.update(ratelimit_outputs(result.rate_limit))
    return result


def _image(
    kit: Toolkit, client: RegistryClient, inputs: ActionInputs, ref: Reference, result: _Run
) -> None:
    from hubaction.lookup import compare_base, inspect_image

    exists = True
    # What the tag is now: `changed` is false when compare-digest is any of these.
    current: tuple[Digest, ...] = ()
    try:
        if inputs.digest_only:
            head = client.head_manifest(ref)
            result.outputs.update(head_outputs(ref, head))
            result.rate_limit = head.ratelimit
            current = (head.digest,)
            result.parts.append(digest_section(ref, head))
        else:
            info = inspect_image(client, ref, inputs.platform, want_config=True)
            result.outputs.update(image_outputs(info))
            result.rate_limit = info.ratelimit
            current = (info.digest, info.platform_digest)
            result.parts.append(image_section(info, rate_limit=info.ratelimit))
            result.parts.append(platform_table(info))
            if inputs.base_image is not None:
                check = compare_base(client, info, inputs.base_image)
                result.outputs["base-changed"] = boolean(check.changed)
                result.outputs["base-digest"] = str(check.base_digest)
                result.parts.append(base_table(check))
            if info.index is None and info.platform is not None:
                _warn_platform(kit, inputs.platform, info.platform)
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
    # The contract: `changed` is `true` only when compare-digest is set and differs (a tag
    # that does not exist differs from any digest); `base-changed` only when base-image is set
    # and moved on.
    changed = inputs.compare_digest is not None and inputs.compare_digest not in current
    result.outputs["changed"] = boolean(changed)
    result.outputs.setdefault("base-changed", "false")
    if inputs.list_tags and not inputs.digest_only:
        _tags(kit, client, inputs, ref, result, exists=exists)


def _dockerfile(client: RegistryClient, inputs: ActionInputs, result: _Run) -> None:
    """Every FROM image of the Dockerfile: pinned digest, current digest, status."""
    from hubaction.dockerfile import base_images_output, status_of
    from hubaction.lookup import head_many

    images = inputs.dockerfile_images
    failures: dict[Reference, HubActionError] = {}

    def remember(ref: Reference, exc: HubActionError) -> None:
        if not isinstance(exc, NotFound):  # a tag that is gone makes its pin stale
            failures[ref] = exc

    heads = head_many(client, [i.lookup_reference for i in images], on_error=remember)
    if failures:
        failed, error = next(iter(failures.items()))
        error.args = (f"Input `dockerfile`: looking up {failed.familiar} failed: {error}",)
        raise error
    statuses = [
        status_of(image, head.digest if head is not None else None)
        for image, head in zip(images, heads, strict=True)
    ]
    rows = base_images_output(statuses)
    result.outputs["base-images"] = compact_json(rows)
    result.parts.append(dockerfile_table(inputs.dockerfile, rows))


def _workspace_file(name: str) -> Path:
    """``name`` relative to the workspace (the runner's working directory)."""
    base = Path(os.environ.get("GITHUB_WORKSPACE") or Path.cwd())
    path = Path(name)
    return path if path.is_absolute() else base / path


def _warn_platform(kit: Toolkit, wanted: Platform, actual: Platform) -> None:
    if wanted.normalized() != actual.normalized():
        kit.warning(
            f"The image is single-platform ({actual}), not {wanted}; its digests are reported "
            "as they are"
        )


def _tags(
    kit: Toolkit,
    client: RegistryClient,
    inputs: ActionInputs,
    ref: Reference,
    result: _Run,
    *,
    exists: bool,
) -> None:
    repo = Reference(ref.registry, ref.repository, None, None)
    try:
        if result.hub is not None and ref.is_docker_hub:
            listed = _hub_tags(kit, result.hub, client, inputs, repo)
        else:
            listed = None
        if listed is None:
            listed = _registry_tags(client, inputs, repo)
    except NotFound:
        if exists:
            raise
        result.outputs.update({"tags": "[]", "tag-count": "0", "latest-semver": ""})
        return
    selection, table = listed
    result.outputs.update(tag_outputs(selection))
    if inputs.summary and table is not None:
        result.parts.append(table)


def _hub_tags(
    kit: Toolkit,
    hub: HubClient,
    client: RegistryClient,
    inputs: ActionInputs,
    repo: Reference,
) -> tuple[TagSelection, Table | None] | None:
    """Tags with push dates, sizes and digests from Docker Hub's API; None to fall back."""
    from hubaction.hub import split_hub_repository, tag_row

    namespace, name = split_hub_repository(repo.repository)
    try:
        hub_tags = hub.tags(namespace, name)
    except (RegistryError, RateLimited) as exc:
        if inputs.tag_sort == "updated":
            raise
        # The registry's own tag list still answers `tags`; only the metadata is lost.
        kit.warning(f"Docker Hub's API failed ({exc}); listing tags from the registry instead")
        return None
    by_name = {t.name: t for t in hub_tags}
    updated = {t.name: t.pushed_at for t in hub_tags if t.pushed_at is not None}
    selection = select_tags(
        list(by_name),
        tag_filter=inputs.tag_filter,
        sort=inputs.tag_sort,
        max_tags=inputs.max_tags,
        updated=updated,
    )
    table = make_tag_table(
        [tag_row(by_name[t]) for t in selection.tags],
        total=selection.count,
        source="Docker Hub's API (tag metadata)",
        sort=inputs.tag_sort,
    )
    return selection, table


def _registry_tags(
    client: RegistryClient, inputs: ActionInputs, repo: Reference
) -> tuple[TagSelection, Table | None]:
    """Tags from the registry's tag list; digests for the summary by concurrent HEADs."""
    from hubaction.lookup import head_many

    selection = select_tags(
        client.list_tags(repo),
        tag_filter=inputs.tag_filter,
        sort=inputs.tag_sort,
        max_tags=inputs.max_tags,
    )
    if not inputs.summary:
        return selection, None
    wanted = [repo.with_tag(t) for t in selection.tags[:MAX_TAG_DIGESTS]]
    heads = head_many(client, wanted)
    heads += [None] * (len(selection.tags) - len(heads))
    rows = [
        TagRow(tag, digest=str(head.digest) if head is not None else None)
        for tag, head in zip(selection.tags, heads, strict=True)
    ]
    source = "the registry's tag list, digests by HEAD requests"
    if len(selection.tags) > MAX_TAG_DIGESTS:
        source += f" (for the first {MAX_TAG_DIGESTS})"
    table = make_tag_table(rows, total=selection.count, source=source, sort=inputs.tag_sort)
    return selection, table


def _repositories(hub: HubClient, namespace: str, result: _Run) -> None:
    from hubaction.hub import repository_table

    repositories = hub.repositories(namespace)
    result.outputs["repositories"] = names_output([r.name for r in repositories])
    result.parts.append(
        repository_table(repositories, namespace=namespace, anonymous=hub.anonymous)
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
            import traceback  # only for this unexpected case: it costs start-up time

            for line in traceback.format_exc().splitlines():
                kit.debug(line)
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
