"""Manifest documents and their bytes for tests/test_manifest_*.py."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from hypothesis import strategies as st

from hubaction.oci.mediatypes import DOCKER_MANIFEST, DOCKER_MANIFEST_LIST, OCI_INDEX, OCI_MANIFEST

OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json"
OCI_LAYER = "application/vnd.oci.image.layer.v1.tar+gzip"
DOCKER_LAYER = "application/vnd.docker.image.rootfs.diff.tar.gzip"


def hex_of(seed: str) -> str:
    return hashlib.sha256(seed.encode()).hexdigest()


def digest_of(seed: str) -> str:
    return f"sha256:{hex_of(seed)}"


def descriptor_doc(media_type: str, seed: str, size: int = 100, **extra: Any) -> dict[str, Any]:
    return {"mediaType": media_type, "digest": digest_of(seed), "size": size, **extra}


def image_doc(media_type: str | None = OCI_MANIFEST, **extra: Any) -> dict[str, Any]:
    config_type = DOCKER_CONFIG if media_type == DOCKER_MANIFEST else OCI_CONFIG
    layer_type = DOCKER_LAYER if media_type == DOCKER_MANIFEST else OCI_LAYER
    doc: dict[str, Any] = {"schemaVersion": 2}
    if media_type is not None:
        doc["mediaType"] = media_type
    doc["config"] = descriptor_doc(config_type, "config", 1469)
    doc["layers"] = [
        descriptor_doc(layer_type, "layer1", 3000000),
        descriptor_doc(layer_type, "layer2", 42),
    ]
    doc.update(extra)
    return doc


def index_doc(media_type: str | None = OCI_INDEX, **extra: Any) -> dict[str, Any]:
    entry_type = DOCKER_MANIFEST if media_type == DOCKER_MANIFEST_LIST else OCI_MANIFEST
    doc: dict[str, Any] = {"schemaVersion": 2}
    if media_type is not None:
        doc["mediaType"] = media_type
    doc["manifests"] = [
        descriptor_doc(
            entry_type, "amd64", 1000, platform={"os": "linux", "architecture": "amd64"}
        ),
        descriptor_doc(
            entry_type,
            "arm64",
            1001,
            platform={"os": "linux", "architecture": "arm64", "variant": "v8"},
        ),
    ]
    doc.update(extra)
    return doc


def body_of(doc: object, *, pretty: bool = False) -> bytes:
    return json.dumps(doc, indent=2 if pretty else None).encode()


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=10),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)
