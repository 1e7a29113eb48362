"""Tests for oci.manifest: attestation manifests in an index, left out of its images."""

from __future__ import annotations

import pytest
from manifest_docs import body_of, descriptor_doc, digest_of, index_doc

from hubaction.oci.digest import parse_digest
from hubaction.oci.manifest import Descriptor, ImageIndex, parse_manifest
from hubaction.oci.mediatypes import OCI_INDEX, OCI_MANIFEST
from hubaction.oci.platform import Platform

# ---------------------------------------------------------------------------------------------
# Attestations


def test_attestations_are_detected_and_left_out_of_images() -> None:
    doc = index_doc()
    doc["manifests"] += [
        # BuildKit's attestation manifest: unknown/unknown plus the reference annotations.
        descriptor_doc(
            OCI_MANIFEST,
            "att-amd64",
            840,
            platform={"os": "unknown", "architecture": "unknown"},
            annotations={
                "vnd.docker.reference.digest": digest_of("amd64"),
                "vnd.docker.reference.type": "attestation-manifest",
            },
        ),
        # Only the platform says it.
        descriptor_doc(
            OCI_MANIFEST, "att-2", 10, platform={"os": "unknown", "architecture": "unknown"}
        ),
        # Only the annotation says it (no platform at all).
        descriptor_doc(
            OCI_MANIFEST,
            "att-3",
            10,
            annotations={"vnd.docker.reference.type": "attestation-manifest"},
        ),
    ]
    index = parse_manifest(body_of(doc), None)
    assert isinstance(index, ImageIndex)
    assert [d.is_attestation for d in index.manifests] == [False, False, True, True, True]
    assert [str(d.digest) for d in index.images] == [digest_of("amd64"), digest_of("arm64")]
    assert len(index.manifests) == 5


@pytest.mark.parametrize(
    ("platform", "annotations", "expected"),
    [
        (Platform("linux", "amd64"), {}, False),
        (Platform("unknown", "unknown"), {}, True),
        (Platform("linux", "unknown"), {}, True),
        (None, {}, False),
        (None, {"vnd.docker.reference.type": "attestation-manifest"}, True),
        (None, {"vnd.docker.reference.type": "something-else"}, False),
        (Platform("linux", "arm64"), {"vnd.docker.reference.type": "attestation-manifest"}, True),
        (None, {"org.opencontainers.image.ref.name": "attestation-manifest"}, False),
    ],
)
def test_descriptor_is_attestation(
    platform: Platform | None, annotations: dict[str, str], expected: bool
) -> None:
    desc = Descriptor(OCI_MANIFEST, parse_digest(digest_of("x")), 1, platform, annotations)
    assert desc.is_attestation is expected


def test_index_of_only_attestations_has_no_images() -> None:
    doc = index_doc(
        manifests=[
            descriptor_doc(OCI_MANIFEST, "a", platform={"os": "unknown", "architecture": "unknown"})
        ]
    )
    index = parse_manifest(body_of(doc), None)
    assert isinstance(index, ImageIndex)
    assert index.images == ()


def test_empty_index_is_valid() -> None:
    index = parse_manifest(body_of({"mediaType": OCI_INDEX, "manifests": []}), None)
    assert isinstance(index, ImageIndex)
    assert index.manifests == ()
