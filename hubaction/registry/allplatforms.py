"""``platform: all``: every platform of an index resolved, each manifest fetched and verified.

Requests: one GET of what the tag points to, one GET per platform entry (concurrently, bounded
as :func:`~hubaction.registry.lookup.head_many`), and the config blob of the chosen platform
only (``created`` and labels are single-valued): N+2 for an index of N platforms, 2 for a
single-platform image, as :func:`~hubaction.registry.lookup.inspect_image` spends.
"""

from __future__ import annotations

from collections.abc import Sequence

from hubaction.errors import HubActionError, Kind, NotFound, PlatformNotFound, RegistryError
from hubaction.oci.manifest import ImageIndex, ImageManifest, parse_config
from hubaction.oci.model import (
    AllPlatforms,
    FetchedManifest,
    ImageInfo,
    PlatformEntry,
    ResolvedPlatform,
)
from hubaction.oci.platform import Platform, select_platform
from hubaction.oci.reference import Reference
from hubaction.registry.client import RegistryClient
from hubaction.registry.fanout import bounded_map
from hubaction.registry.lookup import CONCURRENCY


def inspect_all(
    client: RegistryClient,
    ref: Reference,
    preferred: Platform,
    *,
    want_config: bool = True,
    concurrency: int = CONCURRENCY,
) -> AllPlatforms:
    """Every platform of ``ref``; the single-valued answers (``info``) are ``preferred``'s
    when the index has it, else the first platform's whose manifest the registry serves."""
    top = client.get_manifest(ref)
    if not isinstance(top.manifest, ImageIndex):
        return _single(client, ref, top, top.manifest, want_config=want_config)
    index = top.manifest
    entries = tuple(
        PlatformEntry(d.platform, d.digest, d.media_type, d.size)
        for d in index.images
        if d.platform is not None
    )
    resolved = _resolve(client, ref, entries, concurrency)
    chosen = _choose(ref, preferred, entries, resolved)
    manifest = chosen.manifest
    assert manifest is not None  # present holds served manifests only
    config = None
    if want_config:
        config = parse_config(client.get_blob(ref, manifest.config.digest), what=f"config of {ref}")
    info = ImageInfo(
        reference=ref,
        digest=top.digest,
        media_type=top.media_type,
        index=index,
        entries=entries,
        platform=chosen.entry.platform,
        platform_digest=chosen.entry.digest,
        manifest=manifest,
        config=config,
        ratelimit=top.ratelimit,
    )
    return AllPlatforms(info, resolved)


def _choose(
    ref: Reference,
    preferred: Platform,
    entries: Sequence[PlatformEntry],
    resolved: Sequence[ResolvedPlatform],
) -> ResolvedPlatform:
    """``preferred``'s platform as containerd matches it, else the first one served."""
    present = [(r.entry.platform, r) for r in resolved if r.manifest is not None]
    if entries and not present:
        raise RegistryError(
            f"{ref}: the index lists {len(entries)} platforms but the registry serves none of "
            "their manifests",
            kind=Kind.MANIFEST,
            registry=ref.registry,
            repository=ref.repository,
        )
    try:
        return select_platform(preferred, present)
    except PlatformNotFound:
        if not present:  # an index without images: select_platform's message says so
            raise
        return present[0][1]


def _single(
    client: RegistryClient,
    ref: Reference,
    top: FetchedManifest,
    manifest: ImageManifest,
    *,
    want_config: bool,
) -> AllPlatforms:
    """A single-platform image: ``all`` is its one platform (the config's, when read)."""
    config = None
    if want_config:
        config = parse_config(client.get_blob(ref, manifest.config.digest), what=f"config of {ref}")
    platform = config.platform if config is not None else None
    info = ImageInfo(
        reference=ref,
        digest=top.digest,
        media_type=top.media_type,
        index=None,
        entries=(),
        platform=platform,
        platform_digest=top.digest,
        manifest=manifest,
        config=config,
        ratelimit=top.ratelimit,
    )
    if platform is None:
        return AllPlatforms(info, ())
    entry = PlatformEntry(platform, top.digest, top.media_type, len(top.body))
    return AllPlatforms(info, (ResolvedPlatform(entry, manifest),))


def _resolve(
    client: RegistryClient, ref: Reference, entries: Sequence[PlatformEntry], concurrency: int
) -> tuple[ResolvedPlatform, ...]:
    """Each entry's manifest, fetched concurrently; ``None`` for one the registry lacks."""

    def one(entry: PlatformEntry) -> ResolvedPlatform:
        try:
            fetched = client.get_manifest(ref, entry.digest)
        except NotFound as exc:
            if exc.kind is Kind.REPOSITORY:
                raise
            return ResolvedPlatform(entry, None)
        if not isinstance(fetched.manifest, ImageManifest):
            raise HubActionError(
                f"{ref}: the index entry for {entry.platform} is itself an index; nested "
                "indexes are not supported"
            )
        return ResolvedPlatform(entry, fetched.manifest)

    return tuple(bounded_map(one, entries, concurrency))
