"""Manifest media types, the ``Accept`` header every manifest request sends, and size bounds."""

from __future__ import annotations

DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_MANIFEST_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
DOCKER_SCHEMA1 = "application/vnd.docker.distribution.manifest.v1+json"
DOCKER_SCHEMA1_SIGNED = "application/vnd.docker.distribution.manifest.v1+prettyjws"

# Sent on every manifest request. Without it the distribution registry answers 404
# MANIFEST_UNKNOWN for an OCI index (it cannot down-convert one), and Docker Hub serves a
# schema 1 manifest for old images. Indexes first: we want what the tag points to, not a
# registry's choice of one platform.
ACCEPT = ", ".join([OCI_INDEX, DOCKER_MANIFEST_LIST, OCI_MANIFEST, DOCKER_MANIFEST])

# A manifest larger than this is not a manifest (OCI distribution spec: registries SHOULD accept
# at least 4 MiB, and containerd refuses larger ones).
MAX_MANIFEST_BYTES = 4 * 1024 * 1024
# Image configs are small JSON documents; bound them too so a hostile registry cannot exhaust
# memory.
MAX_CONFIG_BYTES = 8 * 1024 * 1024
