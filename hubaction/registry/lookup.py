"""Lookups that compose registry calls into answers, each with the fewest round trips.

* :func:`inspect_image`: one GET of what the tag points to (its digest comes from the verified
  body, so no HEAD first), one more for the chosen platform of an index, the config blob only
  when ``created``/labels are wanted.
* :func:`head_many`: digests of many tags at once, with bounded concurrency.

The base-image check's lookups are :mod:`hubaction.registry.baseimage`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from hubaction.errors import HubActionError
from hubaction.oci.manifest import ImageIndex, ImageManifest, parse_config
from hubaction.oci.model import ImageInfo, ManifestHead, PlatformEntry
from hubaction.oci.platform import Platform, select_platform
from hubaction.oci.reference import Digest, Reference
from hubaction.registry.client import RegistryClient
from hubaction.registry.deadline import limited
from hubaction.registry.fanout import bounded_map

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
        chosen, manifest, platform_digest = _platform_manifest(client, ref, entries, platform)
    else:
        manifest, platform_digest = top.manifest, top.digest
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


def _platform_manifest(
    client: RegistryClient, ref: Reference, entries: Sequence[PlatformEntry], wanted: Platform
) -> tuple[Platform, ImageManifest, Digest]:
    """The index entry for ``wanted``: its platform, its manifest and that manifest's digest."""
    entry = select_platform(wanted, [(e.platform, e) for e in entries])
    image = client.get_manifest(ref, entry.digest)
    if not isinstance(image.manifest, ImageManifest):
        raise HubActionError(
            f"{ref}: the index entry for {entry.platform} is itself an index; nested indexes "
            "are not supported"
        )
    return entry.platform, image.manifest, image.digest


def head_many(
    client: RegistryClient,
    refs: Sequence[Reference],
    *,
    concurrency: int = CONCURRENCY,
    on_error: Callable[[Reference, HubActionError], None] | None = None,
    time_share: float | None = None,
) -> list[ManifestHead | None]:
    """HEAD each of ``refs`` concurrently; ``None`` for one that failed (``on_error`` told).

    ``time_share``: optional work, given that fraction of the time left before the run's
    deadline; the HEADs still running or waiting when it passes fail with
    :class:`~hubaction.errors.DeadlineExceeded` (the rest of the run keeps its time).
    """

    def one(ref: Reference) -> ManifestHead | None:
        try:
            return client.head_manifest(ref)
        except HubActionError as exc:
            if on_error is not None:
                on_error(ref, exc)
            return None

    run = client.deadline
    part = run.share(time_share) if run is not None and time_share is not None else None
    # The pool is left (its threads joined) before the share ends.
    with limited(part):
        return bounded_map(one, refs, concurrency)
