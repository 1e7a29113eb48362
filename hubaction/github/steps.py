"""What the action does once its inputs are read: the lookups, their outputs and summary parts.

Wiring only: :mod:`hubaction.github.inputs` has read and checked the inputs, the lookups are
the services' (:mod:`hubaction.registry.lookup`, :mod:`hubaction.tagsource`).
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from hubaction.errors import DeadlineExceeded, HubActionError, Kind, NotFound, describe
from hubaction.github import decisions
from hubaction.github.inputs import ActionInputs
from hubaction.github.outputs import (
    boolean,
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
    image_section,
    left_out_note,
    md_text,
    platform_table,
    repository_table,
    tag_row,
)
from hubaction.github.summary import render as render_summary
from hubaction.github.summary import tag_table as make_tag_table
from hubaction.github.toolkit import Toolkit
from hubaction.oci.platform import Platform
from hubaction.oci.reference import Digest, Reference, parse_digest
from hubaction.oci.tags import TagSelection, skipped_tags_note

if TYPE_CHECKING:
    import requests

    from hubaction.dockerhub.client import HubClient
    from hubaction.oci.model import ImageInfo, RateLimit
    from hubaction.registry.client import RegistryClient
    from hubaction.tagsource import TagListing

# What a lookup that does not fail on a missing image may find missing.
_MISSING_IMAGE = (Kind.TAG, Kind.MANIFEST, Kind.REPOSITORY)

# Per-tag digests in the summary cost one HEAD each; beyond this many the table shows names only.
MAX_TAG_DIGESTS = 1000
# They are optional: they get this share of the time left before the run's deadline.
TAG_DIGESTS_TIME_SHARE = 0.5


@dataclass
class Result:
    """What one run found: outputs to write and summary parts."""

    outputs: dict[str, str] = field(default_factory=dict)
    parts: list[str | Table | None] = field(default_factory=list)
    rate_limit: RateLimit | None = None
    hub: HubClient | None = None
    # What the tag is now: `changed` is false when compare-digest is any of these.
    current: tuple[Digest, ...] = ()
    # The image looked up and where its platform table is in `parts` (Docker Hub's tag
    # metadata fills in the other platforms' sizes later, at no cost).
    info: ImageInfo | None = None
    platforms_at: int | None = None


def lookup(
    kit: Toolkit,
    inputs: ActionInputs,
    session: requests.Session | None,
) -> Result:
    """Every lookup the inputs ask for, on one session."""
    debug: Callable[[str], None] = kit.debug if kit.debug_enabled else (lambda _line: None)
    client = _open_registry(kit, inputs, session, debug)
    ref = inputs.reference
    result = Result()
    if inputs.namespace or inputs.list_namespaces or (ref is not None and ref.is_docker_hub):
        result.hub = _open_hub(kit, inputs, client, debug)
    waited = _wait(kit, client, inputs, ref) if ref and inputs.decisions.wait_for else None
    if ref is not None:
        _image(kit, client, inputs, ref, result)
        result.parts.insert(1, waited)  # under the image's heading
    if inputs.dockerfile:
        from hubaction.github.dockerfile_step import dockerfile_step

        outputs, parts = dockerfile_step(kit, client, inputs)
        result.outputs.update(outputs)
        result.parts.extend(parts)
    if inputs.images:
        _images(client, inputs, result)
    if result.hub is not None and inputs.list_namespaces:
        result.outputs["namespaces"] = names_output(result.hub.namespaces())
    if result.hub is not None and inputs.namespace:
        _repositories(result.hub, inputs.namespace, result)
    result.outputs.update(ratelimit_outputs(result.rate_limit))
    return result


def _open_registry(
    kit: Toolkit,
    inputs: ActionInputs,
    session: requests.Session | None,
    debug: Callable[[str], None],
) -> RegistryClient:
    from hubaction.registry.client import open_client
    from hubaction.registry.deadline import Deadline

    refs = [inputs.reference, *(i.reference for i in inputs.images)]
    return open_client(
        inputs.credentials,
        insecure_registries=(
            frozenset(r.registry for r in refs if r is not None) if inputs.insecure else frozenset()
        ),
        on_secret=kit.mask,
        debug=debug,
        session=session,
        deadline=Deadline(decisions.run_seconds(inputs.timeout, inputs.decisions)),
    )


def _open_hub(
    kit: Toolkit, inputs: ActionInputs, client: RegistryClient, debug: Callable[[str], None]
) -> HubClient:
    from hubaction.dockerhub.client import HubClient

    return HubClient(
        client.session,
        hub_url=inputs.hub_url,
        credentials=inputs.credentials.get("docker.io"),
        on_secret=kit.mask,
        debug=debug,
    )


_MISSING_IMAGE = (Kind.TAG, Kind.MANIFEST, Kind.REPOSITORY)


def _image(
    kit: Toolkit, client: RegistryClient, inputs: ActionInputs, ref: Reference, result: Result
) -> None:
    exists = True
    try:
        if inputs.digest_only:
            _digest_only(client, ref, result)
        else:
            _inspect(kit, client, inputs, ref, result)
    except NotFound as exc:
        missing = _missing_repository(client, ref, exc) or exc
        fail = decisions.fails_on_missing(inputs.fail_on_missing, inputs.decisions)
        if fail or missing.kind not in _MISSING_IMAGE:
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
    changed = inputs.compare_digest is not None and inputs.compare_digest not in result.current
    result.outputs["changed"] = boolean(changed)
    result.outputs.setdefault("base-changed", "false")
    result.outputs.setdefault("changed-platforms", "[]")
    _tags_and_decisions(kit, client, inputs, ref, result, exists=exists)


def _tags_and_decisions(
    kit: Toolkit,
    client: RegistryClient,
    inputs: ActionInputs,
    ref: Reference,
    result: Result,
    *,
    exists: bool,
) -> None:
    """The tag list, and what release-version and max-age decide (hubaction.github.decisions)."""
    listed = inputs.list_tags and not inputs.digest_only
    release = inputs.decisions.release_version is not None
    # release-version needs the tag list even with list-tags: false (issue 17 §5).
    listing = _listing(kit, client, inputs, ref, result, exists) if listed or release else None
    if listed:
        _tags(kit, client, inputs, ref, result, listing)
    decisions.decide(
        kit,
        inputs.decisions,
        ref,
        outputs=result.outputs,
        parts=result.parts,
        tags=listing.names if listing is not None else None,
        tag_filter=inputs.tag_filter,
        exists=exists,
        hub=result.hub,
        now=datetime.now(UTC),
    )


def _wait(kit: Toolkit, client: RegistryClient, inputs: ActionInputs, ref: Reference) -> str:
    """wait-for, before the lookup; its time is added to the run's (decisions.run_seconds)."""
    anonymous_hub = ref.is_docker_hub and inputs.credentials.get("docker.io") is None
    return decisions.wait(
        kit, client, ref, inputs.decisions, inputs.compare_digest, anonymous_hub=anonymous_hub
    )


def _digest_only(client: RegistryClient, ref: Reference, result: Result) -> None:
    """What one HEAD tells."""
    head = client.head_manifest(ref)
    result.outputs.update(head_outputs(ref, head))
    result.rate_limit = head.ratelimit
    result.current = (head.digest,)
    result.parts.append(digest_section(ref, head))


def _inspect(
    kit: Toolkit, client: RegistryClient, inputs: ActionInputs, ref: Reference, result: Result
) -> None:
    """The image, its platforms and, with ``base-image``, whether its base moved on."""
    from hubaction.registry.lookup import inspect_image

    if inputs.all_platforms:
        from hubaction.github.allplatforms import inspect_all_platforms

        found = inspect_all_platforms(kit, client, inputs, ref)
        result.outputs.update(found.outputs)
        result.parts += found.parts
        result.current, result.rate_limit = found.current, found.rate_limit
        if found.info is not None:  # attestations (and referrers) as without `all`
            _supply_chain(client, inputs, found.info, result)
        return
    info = inspect_image(client, ref, inputs.platform, want_config=True)
    result.outputs.update(image_outputs(info))
    result.rate_limit = info.ratelimit
    result.current = (info.digest, info.platform_digest)
    result.parts.append(image_section(info, rate_limit=info.ratelimit))
    result.info, result.platforms_at = info, len(result.parts)
    result.parts.append(platform_table(info))
    _supply_chain(client, inputs, info, result)
    if inputs.base_image is not None:
        from hubaction.registry.baseimage import compare_base  # only with base-image

        check = compare_base(client, info, inputs.base_image)
        result.outputs["base-changed"] = boolean(check.changed)
        result.outputs["base-digest"] = str(check.base_digest)
        result.parts.append(base_table(check))
    if info.index is None and info.platform is not None:
        _warn_platform(kit, inputs.platform, info.platform)


def _supply_chain(
    client: RegistryClient, inputs: ActionInputs, info: ImageInfo, result: Result
) -> None:
    """Attestations from the index alone; with ``referrers``, the referrers too (issue 16)."""
    from hubaction.github.supplychain import supply_outputs, supply_section
    from hubaction.oci.referrers import index_chain

    if inputs.referrers:
        from hubaction.registry.referrers import supply_chain  # only with `referrers: true`

        try:
            chain = supply_chain(client, info)
        except HubActionError as exc:
            raise exc.within("Input `referrers`: looking up the image's referrers failed") from exc
    else:
        chain = index_chain(info.index)
    result.outputs.update(supply_outputs(chain))
    result.parts.append(supply_section(info, chain))


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


def _images(client: RegistryClient, inputs: ActionInputs, result: Result) -> None:
    """The `images` input: github/many.py."""
    from hubaction.github.many import lookup_images

    answer = lookup_images(
        client,
        inputs.images,
        platform=inputs.platform,
        digest_only=inputs.digest_only,
        fail_on_missing=inputs.fail_on_missing,
    )
    result.outputs["images"] = answer.output
    result.parts.append(answer.table)
    result.rate_limit = result.rate_limit or answer.rate_limit


def _warn_platform(kit: Toolkit, wanted: Platform, actual: Platform) -> None:
    if wanted.normalized() != actual.normalized():
        kit.warning(
            f"The image is single-platform ({actual}), not {wanted}; its digests are reported "
            "as they are"
        )


def _listing(
    kit: Toolkit,
    client: RegistryClient,
    inputs: ActionInputs,
    ref: Reference,
    result: Result,
    exists: bool,
) -> TagListing | None:
    """The repository's tags; ``None`` when it does not exist and neither does the image."""
    from hubaction.tagsource import list_tags

    def fallback(exc: HubActionError) -> None:
        # The registry's own tag list still answers `tags`; only the metadata is lost.
        kit.warning(f"Docker Hub's API failed ({exc}); listing tags from the registry instead")

    def hub() -> HubClient:
        assert result.hub is not None  # opened by lookup() for every docker.io reference
        return result.hub

    try:
        listing = list_tags(
            ref, registry=lambda: client, hub=hub, sort=inputs.tag_sort, on_fallback=fallback
        )
    except NotFound:
        if exists:
            raise
        return None
    if listing.skipped:
        # Once, with a count: the names are the registry's hostile text, never quoted.
        kit.warning(skipped_tags_note(f"{ref.registry}/{ref.repository}", listing.skipped))
    if listing.cut:
        kit.warning(f"{listing.cut}; the tags outputs hold only the tags listed before it")
    return listing


def _tags(
    kit: Toolkit,
    client: RegistryClient,
    inputs: ActionInputs,
    ref: Reference,
    result: Result,
    listing: TagListing | None,
) -> None:
    if listing is None:
        result.outputs.update({"tags": "[]", "tag-count": "0", "latest-semver": ""})
        return
    selection = listing.select(
        tag_filter=inputs.tag_filter, sort=inputs.tag_sort, max_tags=inputs.max_tags
    )
    result.outputs.update(tag_outputs(selection))
    if inputs.summary:
        if listing.from_hub:
            _hub_platform_sizes(result, listing, ref)
            result.parts.append(_hub_tag_table(listing, selection, inputs.tag_sort))
        else:
            result.parts.append(
                _registry_tag_table(kit, client, ref, selection, inputs.tag_sort, listing)
            )


def _hub_platform_sizes(result: Result, listing: TagListing, ref: Reference) -> None:
    """The platform table with every platform's size from Docker Hub's tag metadata, when it
    describes the very index looked up (no request: the listing was fetched for the tags)."""
    tag = listing.hub_tags.get(ref.tag or "")
    info = result.info
    if info is None or result.platforms_at is None or tag is None or tag.digest != str(info.digest):
        return
    sizes: dict[Digest, int] = {}
    for image in tag.images:
        with suppress(ValueError):
            if image.digest and image.size is not None:
                sizes[parse_digest(image.digest)] = image.size
    result.parts[result.platforms_at] = platform_table(info, sizes)


def _hub_tag_table(listing: TagListing, selection: TagSelection, sort: str) -> Table:
    """Tags with push dates, sizes and digests from Docker Hub's API."""
    return make_tag_table(
        [tag_row(listing.hub_tags[t]) for t in selection.tags],
        total=selection.count,
        source="Docker Hub's API (tag metadata)",
        sort=sort,
        skipped=listing.skipped,
    )


def _registry_tag_table(
    kit: Toolkit,
    client: RegistryClient,
    ref: Reference,
    selection: TagSelection,
    sort: str,
    listing: TagListing,
) -> Table:
    """Tags from the registry's tag list; digests for the summary by concurrent HEADs, within
    their share of the time left (optional: at the deadline the rest are left out, said)."""
    from hubaction.registry.lookup import head_many

    repo = Reference(ref.registry, ref.repository, None, None)
    wanted = [repo.with_tag(t) for t in selection.tags[:MAX_TAG_DIGESTS]]
    late: list[Reference] = []

    def failed(tag: Reference, exc: HubActionError) -> None:
        if isinstance(exc, DeadlineExceeded):
            late.append(tag)  # list.append is atomic: no lock needed across the pool

    heads = head_many(client, wanted, on_error=failed, time_share=TAG_DIGESTS_TIME_SHARE)
    if late:
        kit.warning(
            f"Job summary, tags of {ref.registry}/{ref.repository}: {left_out_note(len(late))}"
        )
    heads += [None] * (len(selection.tags) - len(heads))
    rows = [
        TagRow(tag, digest=str(head.digest) if head is not None else None)
        for tag, head in zip(selection.tags, heads, strict=True)
    ]
    source = "the registry's tag list, digests by HEAD requests"
    if len(selection.tags) > MAX_TAG_DIGESTS:
        source += f" (for the first {MAX_TAG_DIGESTS})"
    return make_tag_table(
        rows,
        total=selection.count,
        source=source,
        sort=sort,
        skipped=listing.skipped,
        cut=listing.cut,
        digests_left_out=len(late),
    )


def _repositories(hub: HubClient, namespace: str, result: Result) -> None:
    repositories = hub.repositories(namespace)
    result.outputs["repositories"] = names_output([r.name for r in repositories])
    result.parts.append(
        repository_table(repositories, namespace=namespace, anonymous=hub.anonymous)
    )


def summary_text(result: Result) -> str:
    """The job summary of a run."""
    return render_summary(result.parts)
