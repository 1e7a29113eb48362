"""Lookups that compose registry calls into answers, each with the fewest round trips.

* :func:`inspect_image`: digest, platforms, platform digest, config digest and (when wanted)
  the config's ``created`` and labels. One GET of what the tag points to (its digest comes
  from the verified body, so no HEAD first); for an index one more GET of the chosen platform's
  manifest; the config blob only when ``created``/labels are wanted.
* :func:`head_many`: digests of many tags at once, with bounded concurrency on the shared
  session's connection pool.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING

from hubaction.errors import HubActionError, NotFound
from hubaction.oci.manifest import ImageIndex, ImageManifest, parse_config
from hubaction.oci.model import ImageInfo, ManifestHead, PlatformEntry
from hubaction.oci.platform import Platform, select_platform
from hubaction.oci.reference import Digest, Reference
from hubaction.registry.client import RegistryClient

if TYPE_CHECKING:
    from hubaction.oci.basecheck import BaseComparison

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


@dataclass(frozen=True)
class BaseCheck:
    """The base-image comparison: the base's current digest and one answer per platform."""

    base: Reference
    base_digest: Digest
    comparisons: tuple[BaseComparison, ...]
    chosen: BaseComparison | None

    @property
    def changed(self) -> bool:
        """The answer for the chosen platform (all platforms when none was chosen)."""
        if self.chosen is not None:
            return self.chosen.changed
        return any(c.changed for c in self.comparisons)


def compare_base(
    client: RegistryClient,
    image: ImageInfo,
    base: Reference,
    *,
    concurrency: int = CONCURRENCY,
) -> BaseCheck:
    """Is ``image`` still built on ``base``'s current content, per platform?

    With the OCI base annotations on the image's index or manifest, one GET of the base's
    manifest answers (its index lists the platform digests); no layer list or config is
    fetched. Otherwise each platform's layers are compared: the base's current layers must be
    a prefix of the image's, for the same platform.
    """
    from hubaction.oci.basecheck import (
        BaseComparison,
        base_annotation,
        built_on,
        compare_by_annotation,
    )

    base_top = client.get_manifest(base)
    base_index = base_top.manifest if isinstance(base_top.manifest, ImageIndex) else None
    annotations = image.index.annotations if image.index is not None else {}
    annotation = base_annotation(annotations) or base_annotation(image.manifest.annotations)
    platforms: list[tuple[Platform | None, Digest]] = (
        [(e.platform, e.digest) for e in image.entries]
        if image.index is not None
        else [(image.platform, image.platform_digest)]
    )

    def base_platform_digest(platform: Platform | None) -> Digest | None:
        if base_index is None:
            return None
        if platform is None:
            raise HubActionError(
                f"{base}: the base image is multi-platform but the platform of {image.reference} "
                "is unknown; set the platform input"
            )
        entries = [(d.platform, d) for d in base_index.images if d.platform is not None]
        return select_platform(platform, entries).digest

    def one(item: tuple[Platform | None, Digest]) -> BaseComparison:
        platform, digest = item
        label = str(platform) if platform is not None else "image"
        try:
            base_digest = base_platform_digest(platform)
        except NotFound:
            return BaseComparison(
                label,
                base_top.digest,
                True,
                "layers",
                f"the base image {base.familiar} has no {label} manifest now",
            )
        if annotation is not None:
            verdict = compare_by_annotation(annotation, base_top.digest, base_digest)
            if verdict is not None:
                said = annotation.digest
                return BaseComparison(
                    label,
                    base_digest or base_top.digest,
                    verdict,
                    "annotation",
                    f"built on {said}; the base is now {base_digest or base_top.digest}",
                )
        if digest == image.platform_digest:
            layers = image.manifest.layers
        else:
            fetched = client.get_manifest(image.reference, digest)
            if not isinstance(fetched.manifest, ImageManifest):
                raise HubActionError(f"{image.reference}: {label} entry is not an image manifest")
            layers = fetched.manifest.layers
        if base_digest is None:
            base_manifest = base_top.manifest
        else:
            base_manifest = client.get_manifest(base, base_digest).manifest
        if not isinstance(base_manifest, ImageManifest):
            raise HubActionError(f"{base}: the {label} entry is not an image manifest")
        on = built_on([d.digest for d in layers], [d.digest for d in base_manifest.layers])
        detail = (
            f"starts with the base's {len(base_manifest.layers)} current layers"
            if on
            else "does not start with the base's current layers"
        )
        return BaseComparison(label, base_digest or base_top.digest, not on, "layers", detail)

    workers = max(1, min(concurrency, len(platforms)))
    with ThreadPoolExecutor(max_workers=workers) as pool:
        comparisons = tuple(pool.map(one, platforms))
    chosen_label = str(image.platform) if image.platform is not None else "image"
    chosen = next((c for c in comparisons if c.platform == chosen_label), None)
    return BaseCheck(base, base_top.digest, comparisons, chosen)
