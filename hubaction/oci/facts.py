"""What an image is, beyond its digests: compressed size, layer count, annotations, and the
source, revision and version it was built from. Pure, from what a lookup fetched anyway (the
chosen platform's manifest and config): no extra request (issue 16 section 3).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from hubaction.oci.model import ImageInfo

#: Pre-defined annotation keys (image-spec annotations.md); Dockerfile LABELs use the same keys.
SOURCE = "org.opencontainers.image.source"
REVISION = "org.opencontainers.image.revision"
VERSION = "org.opencontainers.image.version"


@dataclass(frozen=True)
class ImageFacts:
    """The chosen platform's image: size and layers from its manifest, annotations of the index
    and the manifest, and the OCI source/revision/version (annotations first, then labels)."""

    size: int
    layers: int
    annotations: Mapping[str, str]
    source: str | None
    revision: str | None
    version: str | None


def merged_annotations(info: ImageInfo) -> dict[str, str]:
    """The index's annotations, then the chosen manifest's over them: buildx writes
    ``annotation-index.`` ones to the index and ``annotation-manifest.`` ones to each manifest
    (regclient#603: some images carry them only on the index); the platform's are the closer."""
    merged: dict[str, str] = dict(info.index.annotations) if info.index is not None else {}
    merged.update(info.manifest.annotations)
    return merged


def _pick(key: str, annotations: Mapping[str, str], labels: Mapping[str, str]) -> str | None:
    # Present but empty counts as absent: an empty `source` links nowhere.
    return annotations.get(key) or labels.get(key) or None


def image_facts(info: ImageInfo) -> ImageFacts:
    annotations = merged_annotations(info)
    labels = info.config.labels if info.config is not None else {}
    return ImageFacts(
        size=info.manifest.image_size,
        layers=len(info.manifest.layers),
        annotations=annotations,
        source=_pick(SOURCE, annotations, labels),
        revision=_pick(REVISION, annotations, labels),
        version=_pick(VERSION, annotations, labels),
    )
