"""Hand-built answers (an index, its manifests, a config) for the summary and outputs tests."""

from __future__ import annotations

import json

from hubaction.oci.manifest import (
    Descriptor,
    ImageConfig,
    ImageIndex,
    ImageManifest,
)
from hubaction.oci.mediatypes import DOCKER_MANIFEST, OCI_INDEX, OCI_MANIFEST
from hubaction.oci.model import ImageInfo, PlatformEntry
from hubaction.oci.platform import Platform
from hubaction.oci.reference import Digest, parse_reference

REF = parse_reference("ghcr.io/org/app:1.2")
INDEX_DIGEST = Digest("sha256", "a" * 64)
AMD64_DIGEST = Digest("sha256", "b" * 64)
ARM64_DIGEST = Digest("sha256", "d" * 64)
CONFIG_DIGEST = Digest("sha256", "c" * 64)
AMD64 = Platform("linux", "amd64")
ARM64 = Platform("linux", "arm64", "v8")

MANIFEST = ImageManifest(
    OCI_MANIFEST,
    Descriptor("application/vnd.oci.image.config.v1+json", CONFIG_DIGEST, 1469),
    (Descriptor("application/vnd.oci.image.layer.v1.tar+gzip", Digest("sha256", "e" * 64), 99),),
)
INDEX = ImageIndex(
    OCI_INDEX,
    (
        Descriptor(OCI_MANIFEST, AMD64_DIGEST, 500, AMD64),
        Descriptor(OCI_MANIFEST, ARM64_DIGEST, 1536, ARM64),
        Descriptor(OCI_MANIFEST, Digest("sha256", "f" * 64), 800, Platform("unknown", "unknown")),
    ),
)
LABELS = {"org.opencontainers.image.title": "My App | ü", "empty": "", "quote": 'say "hi"'}
CONFIG = ImageConfig("2024-05-01T12:00:00Z", LABELS, AMD64)


def sample_info(*, index: bool = True, config: ImageConfig | None = CONFIG) -> ImageInfo:
    return ImageInfo(
        reference=REF,
        digest=INDEX_DIGEST if index else AMD64_DIGEST,
        media_type=OCI_INDEX if index else DOCKER_MANIFEST,
        index=INDEX if index else None,
        entries=(
            PlatformEntry(AMD64, AMD64_DIGEST, OCI_MANIFEST, 500),
            PlatformEntry(ARM64, ARM64_DIGEST, OCI_MANIFEST, 1536),
        )
        if index
        else (),
        platform=AMD64,
        platform_digest=AMD64_DIGEST,
        manifest=MANIFEST,
        config=config,
        ratelimit=None,
    )


def is_compact_json(value: str) -> bool:
    doc = json.loads(value)
    return value == json.dumps(doc, separators=(",", ":"), ensure_ascii=False)
