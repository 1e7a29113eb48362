"""What the action does once its inputs are read: the lookups, their outputs and summary parts.

Wiring only, like :mod:`hubaction.github.action`, which reads and checks the inputs first.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from hubaction.errors import (
    HubActionError,
    Kind,
    NotFound,
    RateLimited,
    RegistryError,
    describe,
)
from hubaction.github.action import ActionInputs
from hubaction.github.outputs import (
    boolean,
    compact_json,
    head_outputs,
    image_outputs,
    missing_outputs,
    names_output,
    ratelimit_outputs,
    tag_outputs,
)
from hubaction.github.summary import (
    Table,
    TagRow,
    base_table,
    digest_section,
    dockerfile_table,
    image_section,
    md_text,
    platform_table,
)
from hubaction.github.summary import render as render_summary
from hubaction.github.summary import tag_table as make_tag_table
from hubaction.github.toolkit import Toolkit
from hubaction.oci.platform import Platform
from hubaction.oci.reference import Digest, Reference
from hubaction.oci.tags import TagSelection, select_tags

if TYPE_CHECKING:
    import requests

    from hubaction.dockerhub.client import HubClient
    from hubaction.oci.model import RateLimit
    from hubaction.registry.client import RegistryClient

# What a lookup that does not fail on a missing image may find missing.
_MISSING_IMAGE = (Kind.TAG, Kind.MANIFEST, Kind.REPOSITORY)

# Per-tag digests in the summary cost one HEAD each; beyond this many the table shows names only.
MAX_TAG_DIGESTS = 1000


@dataclass
class Result:
    """What one run found: outputs to write and summary parts."""

    outputs: dict[str, str] = field(default_factory=dict)
    parts: list[str | Table | None] = field(default_factory=list)
    rate_limit: RateLimit | None = None
    hub: HubClient | None = None


def lookup(
    kit: Toolkit,
    inputs: ActionInputs,
    session: requests.Session | None,
) -> Result:
    from hubaction.registry.client import open_client

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
    result = Result()
    if inputs.namespace or inputs.list_namespaces or (ref is not None and ref.is_docker_hub):
        from hubaction.dockerhub.client import HubClient

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
    kit: Toolkit, client: RegistryClient, inputs: ActionInputs, ref: Reference, result: Result
) -> None:
    from hubaction.registry.lookup import compare_base, inspect_image

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
        missing = _missing_repository(client, ref, exc) or exc
        if inputs.fail_on_missing or missing.kind not in _MISSING_IMAGE:
            if missing is exc:
                raise
            raise missing from exc
        exists = False
        result.outputs.update(missing_outputs())
        result.parts.append(
            f"## {md_text(ref.familiar)}\n\n**Does not exist:** {md_text(describe(missing))}\n"
        )
    # The contract: `changed` is `true` only when compare-digest is set and differs (a tag
    # that does not exist differs from any digest); `base-changed` only when base-image is set
    # and moved on.
    changed = inputs.compare_digest is not None and inputs.compare_digest not in current
    result.outputs["changed"] = boolean(changed)
    result.outputs.setdefault("base-changed", "false")
    if inputs.list_tags and not inputs.digest_only:
        _tags(kit, client, inputs, ref, result, exists=exists)


def _missing_repository(client: RegistryClient, ref: Reference, exc: NotFound) -> NotFound | None:
    """For a missing tag, the error to report when its whole repository is missing instead.

    Told apart for the message: a repository that does not exist (yet: the first push of a
    new image) versus a tag missing from an existing repository.
    """
    if exc.kind not in (Kind.TAG, Kind.MANIFEST) or client.repository_exists(ref) is not False:
        return None
    return NotFound(
        f"{ref.registry}/{ref.repository}: the repository does not exist, so neither does "
        f"{ref.familiar}",
        kind=Kind.REPOSITORY,
        status=exc.status,
        service=exc.service,
        registry=ref.registry,
        repository=ref.repository,
    )


def _dockerfile(client: RegistryClient, inputs: ActionInputs, result: Result) -> None:
    """Every FROM image of the Dockerfile: pinned digest, current digest, status."""
    from hubaction.dockerfile.parser import base_images_output, status_of
    from hubaction.registry.lookup import head_many

    images = inputs.dockerfile_images
    failures: dict[Reference, HubActionError] = {}

    def remember(ref: Reference, exc: HubActionError) -> None:
        if not isinstance(exc, NotFound):  # a tag that is gone makes its pin stale
            failures[ref] = exc

    heads = head_many(client, [i.lookup_reference for i in images], on_error=remember)
    if failures:
        failed, error = next(iter(failures.items()))
        raise error.within(f"Input `dockerfile`: looking up {failed.familiar} failed") from error
    statuses = [
        status_of(image, head.digest if head is not None else None)
        for image, head in zip(images, heads, strict=True)
    ]
    rows = base_images_output(statuses)
    result.outputs["base-images"] = compact_json(rows)
    result.parts.append(dockerfile_table(inputs.dockerfile, rows))


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
    result: Result,
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
    from hubaction.dockerhub.client import split_hub_repository, tag_row

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
    from hubaction.registry.lookup import head_many

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


def _repositories(hub: HubClient, namespace: str, result: Result) -> None:
    from hubaction.dockerhub.client import repository_table

    repositories = hub.repositories(namespace)
    result.outputs["repositories"] = names_output([r.name for r in repositories])
    result.parts.append(
        repository_table(repositories, namespace=namespace, anonymous=hub.anonymous)
    )


def summary_text(result: Result) -> str:
    """The job summary of a run."""
    return render_summary(result.parts)
