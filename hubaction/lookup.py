"""Lookups that compose registry calls into answers, each with the fewest round trips.

* :func:`inspect_image`: digest, platforms, platform digest, config digest and (when wanted)
  the config's ``created`` and labels. One GET of what the tag points to (its digest comes
  from the verified body, so no HEAD first); for an index one more GET of the chosen platform's
  manifest; the config blob only when ``created``/labels are wanted.
* :func:`resolve_digest`: the digest only, by HEAD (no Docker Hub pull quota spent).
* :func:`head_many`: digests of many tags at once, with bounded concurrency on the shared
  session's connection pool.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor

from hubaction.errors import HubActionError
from hubaction.manifest import ImageIndex, ImageManifest, parse_config
from hubaction.model import ImageInfo, ManifestHead, PlatformEntry
from hubaction.platform import Platform, select_platform
from hubaction.reference import Reference
from hubaction.registry import RegistryClient

# Concurrent requests per registry for per-tag digests: enough to hide latency, few enough not
# to trip a registry's abuse limits.
CONCURRENCY = 8


def inspect_image(
    client: RegistryClient,
    ref: Reference,
    platform: Platform,
    *,
    want_config: bool = True,
) -> ImageInfo:
    """Look ``ref`` up fully. Raises :class:`~hubaction.errors.HubActionError` subclasses."""
    top = client.get_manifest(ref)
    index: ImageIndex | None = None
    entries: tuple[PlatformEntry, ...] = ()
    chosen: Platform | None = None
    if isinstance(top.manifest, ImageIndex):
        index = top.manifest
        entries = tuple(
            PlatformEntry(d.platform, d.digest, d.media_type, d.size)
            for d in index.images
            if d.platform is not None
        )
        entry = select_platform(platform, [(e.platform, e) for e in entries])
        chosen = entry.platform
        image = client.get_manifest(ref, entry.digest)
        if not isinstance(image.manifest, ImageManifest):
            raise HubActionError(
                f"{ref}: the index entry for {chosen} is itself an index; nested indexes are "
                "not supported"
            )
        manifest = image.manifest
        platform_digest = image.digest
    else:
        manifest = top.manifest
        platform_digest = top.digest
    config = None
    if want_config:
        config = parse_config(client.get_blob(ref, manifest.config.digest), what=f"config of {ref}")
        if chosen is None and config.platform is not None:
            chosen = config.platform
    return ImageInfo(
        reference=ref,
        digest=top.digest,
        media_type=top.media_type,
        index=index,
        entries=entries,
        platform=chosen,
        platform_digest=platform_digest,
        manifest=manifest,
        config=config,
        ratelimit=top.ratelimit,
    )


def resolve_digest(client: RegistryClient, ref: Reference) -> ManifestHead:
    """The digest ``ref`` points to, by HEAD only."""
    return client.head_manifest(ref)


def head_many(
    client: RegistryClient,
    refs: Sequence[Reference],
    *,
    concurrency: int = CONCURRENCY,
    on_error: Callable[[Reference, HubActionError], None] | None = None,
) -> list[ManifestHead | None]:
    """HEAD each of ``refs`` concurrently; ``None`` for one that failed (``on_error`` told)."""

    def one(ref: Reference) -> ManifestHead | None:
        try:
            return client.head_manifest(ref)
        except HubActionError as exc:
            if on_error is not None:
                on_error(ref, exc)
            return None

    if not refs:
        return []
    with ThreadPoolExecutor(max_workers=max(1, min(concurrency, len(refs)))) as pool:
        return list(pool.map(one, refs))
