"""oci.referrers: tag names, predicate types, referrers indexes and BuildKit's attestation
entries, from hand-built documents shaped like buildx's and cosign's (issue 16)."""

from __future__ import annotations

import json

import pytest
from manifest_docs import body_of, descriptor_doc, digest_of, index_doc

from hubaction.github.supplychain import supply_outputs
from hubaction.oci.digest import Digest, parse_digest
from hubaction.oci.manifest import ImageIndex, ImageManifest, parse_manifest
from hubaction.oci.mediatypes import OCI_INDEX, OCI_MANIFEST
from hubaction.oci.platform import Platform
from hubaction.oci.referrers import (
    COSIGN_SIGNATURE,
    CYCLONEDX,
    IN_TOTO,
    MAX_PREDICATE_TYPES,
    SPDX,
    NotAReferrersIndex,
    Referrer,
    SupplyChain,
    cosign_tag,
    index_attestations,
    manifest_predicate_types,
    parse_referrers,
    predicate_types,
    referrers_tag,
)

SLSA = "https://slsa.dev/provenance/v0.2"
SUBJECT = parse_digest(digest_of("subject"))


@pytest.mark.parametrize(
    ("digest", "tag"),
    [
        # distribution-spec "Referrers Tag Schema": <alg>-<ref>, ref cut to 64 characters
        (Digest("sha256", "a" * 64), "sha256-" + "a" * 64),
        (Digest("sha512", "b" * 128), "sha512-" + "b" * 64),
    ],
)
def test_referrers_tag(digest: Digest, tag: str) -> None:
    assert referrers_tag(digest) == tag


@pytest.mark.parametrize("suffix", ["sig", "att", "sbom"])
def test_cosign_tag(suffix: str) -> None:
    # sigstore/cosign pkg/oci/remote/remote.go normalize: "sha256:<hex>" -> "sha256-<hex>.sig"
    assert cosign_tag(SUBJECT, suffix) == f"sha256-{SUBJECT.hex}.{suffix}"
    with pytest.raises(ValueError):
        cosign_tag(SUBJECT, "nope")


@pytest.mark.parametrize(
    ("annotations", "media_types", "expected"),
    [
        ([{"in-toto.io/predicate-type": SLSA}], [], (SLSA,)),
        ([{"predicateType": SPDX}], [], (SPDX,)),
        ([{"dev.sigstore.bundle.predicateType": SLSA}], [], (SLSA,)),
        ([{}], ["application/spdx+json"], (SPDX,)),
        ([{}], ["application/vnd.cyclonedx+json", "text/spdx+json"], (CYCLONEDX, SPDX)),
        ([{"in-toto.io/predicate-type": SLSA}, {"predicateType": SLSA}], [], (SLSA,)),
        ([{"other": "x"}], ["application/octet-stream", None], ()),
        ([{"predicateType": ""}], [], ()),
    ],
)
def test_predicate_types(
    annotations: list[dict[str, str]], media_types: list[str | None], expected: tuple[str, ...]
) -> None:
    assert predicate_types(annotations, media_types) == expected


def test_predicate_types_are_bounded() -> None:
    many = [{"predicateType": f"https://x.example/{n}"} for n in range(1000)]
    assert len(predicate_types(many)) == MAX_PREDICATE_TYPES
    assert predicate_types([{"predicateType": "x" * 10_000}]) == ("x" * 256,)


def buildx_index() -> dict[str, object]:
    """An index as buildx pushes one with --sbom and --provenance: two platforms, an
    attestation manifest for each (moby/buildkit docs/attestations/attestation-storage.md)."""
    doc = index_doc()
    entries = list(doc["manifests"])
    for arch in ("amd64", "arm64"):
        entries.append(
            descriptor_doc(
                OCI_MANIFEST,
                f"att-{arch}",
                1234,
                platform={"os": "unknown", "architecture": "unknown"},
                annotations={
                    "vnd.docker.reference.digest": digest_of(arch),
                    "vnd.docker.reference.type": "attestation-manifest",
                },
            )
        )
    # One whose reference digest is garbage: skipped, never an error.
    entries.append(
        descriptor_doc(
            OCI_MANIFEST,
            "att-bad",
            platform={"os": "unknown", "architecture": "unknown"},
            annotations={
                "vnd.docker.reference.digest": "not-a-digest",
                "vnd.docker.reference.type": "attestation-manifest",
            },
        )
    )
    doc["manifests"] = entries
    return doc


def test_index_attestations_of_a_buildx_index() -> None:
    index = parse_manifest(body_of(buildx_index()), None)
    assert isinstance(index, ImageIndex)
    found = index_attestations(index)
    assert [(str(a.platform), str(a.subject), str(a.digest)) for a in found] == [
        ("linux/amd64", digest_of("amd64"), digest_of("att-amd64")),
        ("linux/arm64/v8", digest_of("arm64"), digest_of("att-arm64")),
    ]
    assert all(a.predicate_types is None and a.source == "index" for a in found)
    out = supply_outputs(SupplyChain(found))
    assert set(out) == {"attestations"}  # referrers and signed only when looked up
    doc = json.loads(out["attestations"])
    assert doc[0] == {
        "platform": "linux/amd64",
        "subject": digest_of("amd64"),
        "digest": digest_of("att-amd64"),
        "source": "index",
    }


def test_attestation_manifest_predicate_types() -> None:
    # BuildKit's attestation manifest: one in-toto layer per statement (SBOM and provenance).
    doc = {
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": descriptor_doc("application/vnd.oci.image.config.v1+json", "c"),
        "layers": [
            descriptor_doc(IN_TOTO, "l1", annotations={"in-toto.io/predicate-type": SPDX}),
            descriptor_doc(IN_TOTO, "l2", annotations={"in-toto.io/predicate-type": SLSA}),
        ],
    }
    manifest = parse_manifest(body_of(doc), None)
    assert isinstance(manifest, ImageManifest)
    assert manifest_predicate_types(manifest) == (SPDX, SLSA)


def referrers_index(*entries: dict[str, object]) -> bytes:
    return body_of({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": list(entries)})


def test_parse_referrers_keeps_artifact_types_and_annotations() -> None:
    sig = descriptor_doc(OCI_MANIFEST, "sig", 500, artifactType=COSIGN_SIGNATURE)
    sbom = descriptor_doc(
        OCI_MANIFEST, "sbom", 600, artifactType="application/spdx+json", annotations={"a": "b"}
    )
    found = parse_referrers(
        referrers_index(sig, sbom), OCI_INDEX, subject=SUBJECT, source="api", what="t"
    )
    assert [(r.artifact_type, r.size, dict(r.annotations)) for r in found] == [
        (COSIGN_SIGNATURE, 500, {}),
        ("application/spdx+json", 600, {"a": "b"}),
    ]
    assert [r.kind for r in found] == ["signature", "attestation"]
    assert SupplyChain((), found).signed is True
    assert SupplyChain((), found[1:]).signed is False
    assert SupplyChain(()).signed is None


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        # sigstore-js#1187: a registry without the API answers 200 with something else
        (b"<html>not here</html>", "text/html"),
        (b"{}", "application/json"),
        (b'{"errors":[{"code":"UNSUPPORTED"}]}', "application/json"),
        (
            body_of({"schemaVersion": 2, "mediaType": OCI_MANIFEST, "config": {}, "layers": []}),
            None,
        ),
        (body_of(index_doc("application/vnd.docker.distribution.manifest.list.v2+json")), None),
        (b"", OCI_INDEX),
    ],
)
def test_a_false_200_is_no_referrers_index(body: bytes, content_type: str | None) -> None:
    with pytest.raises(NotAReferrersIndex):
        parse_referrers(body, content_type, subject=SUBJECT, source="api", what="t")


@pytest.mark.parametrize(
    ("referrer", "kind", "signed"),
    [
        (dict(artifact_type=COSIGN_SIGNATURE), "signature", True),
        (dict(artifact_type="application/vnd.dev.sigstore.bundle.v0.3+json"), "signature", True),
        (
            dict(
                artifact_type="application/vnd.dev.sigstore.bundle.v0.3+json",
                annotations={"dev.sigstore.bundle.predicateType": SLSA},
            ),
            "attestation",
            True,
        ),
        (dict(artifact_type=IN_TOTO), "attestation", False),
        (dict(artifact_type="application/vnd.cncf.helm.chart"), "artifact", False),
        (dict(artifact_type=None, cosign="sig"), "signature", True),
        (dict(artifact_type=None, cosign="att"), "attestation", False),
        (dict(artifact_type=None, cosign="sbom"), "attestation", False),
    ],
)
def test_referrer_kinds(referrer: dict[str, object], kind: str, signed: bool) -> None:
    base: dict[str, object] = dict(
        subject=SUBJECT,
        digest=SUBJECT,
        media_type=OCI_MANIFEST,
        size=1,
        annotations={},
        source="api",
    )
    made = Referrer(**(base | referrer))  # type: ignore[arg-type]
    assert (made.kind, made.is_signature) == (kind, signed)


def test_platform_of_an_attestation_is_the_subjects() -> None:
    index = parse_manifest(body_of(buildx_index()), None)
    assert isinstance(index, ImageIndex)
    assert index_attestations(index)[1].platform == Platform("linux", "arm64", "v8")
