"""The base-image check's lookups: is an image still built on its base's current content,
per platform? (The verdicts themselves are pure: :mod:`hubaction.oci.basecheck`.)
Imported only by runs that set ``base-image``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from hubaction.errors import HubActionError, NotFound
from hubaction.oci.basecheck import (
    BaseAnnotation,
    BaseCheck,
    BaseComparison,
    base_annotation,
    built_on,
    compare_by_annotation,
)
from hubaction.oci.manifest import ImageIndex, ImageManifest
from hubaction.oci.model import FetchedManifest, ImageInfo
from hubaction.oci.platform import Platform, select_platform
from hubaction.oci.reference import Digest, Reference
from hubaction.registry.client import RegistryClient
from hubaction.registry.fanout import bounded_map
from hubaction.registry.lookup import CONCURRENCY


def compare_base(
    client: RegistryClient,
    image: ImageInfo,
    base: Reference,
    *,
    concurrency: int = CONCURRENCY,
    manifests: Mapping[Digest, ImageManifest] | None = None,
) -> BaseCheck:
    """Is ``image`` still built on ``base``'s current content, per platform?

    With the OCI base annotations on the image's index or manifest, one GET of the base's
    manifest answers (its index lists the platform digests); no layer list or config is
    fetched. Otherwise each platform's layers are compared: the base's current layers must be
    a prefix of the image's, for the same platform.

    ``manifests``: the image's platform manifests already fetched (``platform: all``), by
    digest; only those platforms are compared (an entry the registry lacks is left out), and
    none is fetched again.
    """
    annotations = image.index.annotations if image.index is not None else {}
    annotation = base_annotation(annotations) or base_annotation(image.manifest.annotations)
    known = dict(manifests or {})
    job = _BaseJob(client, image, base, client.get_manifest(base), annotation, known)
    platforms: list[tuple[Platform | None, Digest]] = (
        [(e.platform, e.digest) for e in image.entries]
        if image.index is not None
        else [(image.platform, image.platform_digest)]
    )
    if manifests is not None and image.index is not None:
        platforms = [p for p in platforms if p[1] in known]
    answers = bounded_map(job.compare, platforms, concurrency)
    comparisons = tuple(
        replace(c, manifest_digest=digest)
        for c, (_, digest) in zip(answers, platforms, strict=True)
    )
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
    known: Mapping[Digest, ImageManifest] = field(default_factory=dict)

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
        try:
            return self.by_layers(label, digest, base_digest)
        except NotFound as exc:
            # Quay's sparse indexes list platform manifests the registry does not hold: only
            # the platform asked for must be there; another one is marked, not fatal.
            if label == _label(self.image.platform):
                raise
            return BaseComparison(
                label,
                base_digest or self.top.digest,
                False,
                "layers",
                f"not compared: a {label} manifest is missing from the registry ({exc})",
                missing=True,
            )

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
        if digest in self.known:
            return [d.digest for d in self.known[digest].layers]
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
