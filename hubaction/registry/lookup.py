"""Lookups that compose registry calls into answers, each with the fewest round trips.

* :func:`inspect_image`: one GET of what the tag points to (its digest comes from the verified
  body, so no HEAD first), one more for the chosen platform of an index, the config blob only
  when ``created``/labels are wanted.
* :func:`head_many`: digests of many tags at once, with bounded concurrency.
* :func:`compare_base`: is an image still built on its base's current content, per platform.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from hubaction.errors import HubActionError, NotFound
from hubaction.oci.basecheck import (
    BaseAnnotation,
    BaseCheck,
    BaseComparison,
    base_annotation,
    built_on,
    compare_by_annotation,
)
from hubaction.oci.manifest import ImageIndex, ImageManifest, parse_config
from hubaction.oci.model import FetchedManifest, ImageInfo, ManifestHead, PlatformEntry
from hubaction.oci.platform import Platform, select_platform
from hubaction.oci.reference import Digest, Reference
from hubaction.registry.client import RegistryClient

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
    annotations = image.index.annotations if image.index is not None else {}
    annotation = base_annotation(annotations) or base_annotation(image.manifest.annotations)
    job = _BaseJob(client, image, base, client.get_manifest(base), annotation)
    platforms: list[tuple[Platform | None, Digest]] = (
        [(e.platform, e.digest) for e in image.entries]
        if image.index is not None
        else [(image.platform, image.platform_digest)]
    )
    with ThreadPoolExecutor(max_workers=max(1, min(concurrency, len(platforms)))) as pool:
        comparisons = tuple(pool.map(job.compare, platforms))
    chosen = next((c for c in comparisons if c.platform == _label(image.platform)), None)
    return BaseCheck(base, job.top.digest, comparisons, chosen)


def _label(platform: Platform | None) -> str:
    return str(platform) if platform is not None else "image"


@dataclass(frozen=True)
class _BaseJob:
    """What every platform's comparison shares: the image, the base, the base's current top
    manifest (an index for a multi-platform base) and the image's base annotation."""

    client: RegistryClient
    image: ImageInfo
    base: Reference
    top: FetchedManifest
    annotation: BaseAnnotation | None

    def compare(self, item: tuple[Platform | None, Digest]) -> BaseComparison:
        """The answer for one platform of the image (its manifest's digest in ``item``)."""
        platform, digest = item
        label = _label(platform)
        try:
            base_digest = self.base_platform_digest(platform)
        except NotFound:
            return BaseComparison(
                label,
                self.top.digest,
                True,
                "layers",
                f"the base image {self.base.familiar} has no {label} manifest now",
            )
        by_annotation = self.by_annotation(label, base_digest)
        if by_annotation is not None:
            return by_annotation
        return self.by_layers(label, digest, base_digest)

    def base_platform_digest(self, platform: Platform | None) -> Digest | None:
        """The base's current manifest for ``platform``; ``None`` for a single-platform base."""
        if not isinstance(self.top.manifest, ImageIndex):
            return None
        if platform is None:
            raise HubActionError(
                f"{self.base}: the base image is multi-platform but the platform of "
                f"{self.image.reference} is unknown; set the platform input"
            )
        entries = [(d.platform, d) for d in self.top.manifest.images if d.platform is not None]
        return select_platform(platform, entries).digest

    def by_annotation(self, label: str, base_digest: Digest | None) -> BaseComparison | None:
        """The answer from the image's base annotation; ``None`` when it names no digest."""
        if self.annotation is None:
            return None
        verdict = compare_by_annotation(self.annotation, self.top.digest, base_digest)
        if verdict is None:
            return None
        current = base_digest or self.top.digest
        said = f"built on {self.annotation.digest}; the base is now {current}"
        return BaseComparison(label, current, verdict, "annotation", said)

    def by_layers(self, label: str, digest: Digest, base_digest: Digest | None) -> BaseComparison:
        """The answer from the layers: the base's current ones must start the image's."""
        layers = self.image_layers(label, digest)
        base_layers = self.base_layers(label, base_digest)
        on = built_on(layers, base_layers)
        detail = (
            f"starts with the base's {len(base_layers)} current layers"
            if on
            else "does not start with the base's current layers"
        )
        return BaseComparison(label, base_digest or self.top.digest, not on, "layers", detail)

    def image_layers(self, label: str, digest: Digest) -> list[Digest]:
        image = self.image
        if digest == image.platform_digest:
            return [d.digest for d in image.manifest.layers]
        fetched = self.client.get_manifest(image.reference, digest)
        if not isinstance(fetched.manifest, ImageManifest):
            raise HubActionError(f"{image.reference}: {label} entry is not an image manifest")
        return [d.digest for d in fetched.manifest.layers]

    def base_layers(self, label: str, base_digest: Digest | None) -> list[Digest]:
        if base_digest is None:
            manifest = self.top.manifest
        else:
            manifest = self.client.get_manifest(self.base, base_digest).manifest
        if not isinstance(manifest, ImageManifest):
            raise HubActionError(f"{self.base}: the {label} entry is not an image manifest")
        return [d.digest for d in manifest.layers]
