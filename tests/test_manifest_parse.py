"""Tests for oci.manifest.parse_manifest: the four media types, schema 1 and other
unsupported types, malformed manifests."""

from __future__ import annotations

from typing import Any

import pytest
from manifest_docs import (
    OCI_CONFIG,
    OCI_LAYER,
    body_of,
    descriptor_doc,
    digest_of,
    hex_of,
    image_doc,
    index_doc,
)

from hubaction.errors import CorruptBody, UnsupportedManifest
from hubaction.oci.digest import parse_digest
from hubaction.oci.manifest import ImageIndex, ImageManifest, parse_manifest
from hubaction.oci.mediatypes import (
    ACCEPT,
    DOCKER_MANIFEST,
    DOCKER_MANIFEST_LIST,
    DOCKER_SCHEMA1,
    DOCKER_SCHEMA1_SIGNED,
    OCI_INDEX,
    OCI_MANIFEST,
)
from hubaction.oci.platform import Platform

# ---------------------------------------------------------------------------------------------
# parse_manifest: the four media types, found in the body, the header or the shape


@pytest.mark.parametrize("media_type", [DOCKER_MANIFEST, OCI_MANIFEST])
@pytest.mark.parametrize("source", ["body", "header", "shape"])
def test_parse_image_manifest(media_type: str, source: str) -> None:
    doc = image_doc(media_type if source == "body" else None)
    header = media_type if source == "header" else None
    manifest = parse_manifest(body_of(doc), header)
    assert isinstance(manifest, ImageManifest)
    # Without a body field or header, the shape says image manifest; OCI is the only guess.
    assert manifest.media_type == (OCI_MANIFEST if source == "shape" else media_type)
    assert manifest.config.digest == parse_digest(doc["config"]["digest"])
    assert manifest.config.size == 1469
    assert [layer.size for layer in manifest.layers] == [3000000, 42]
    assert [str(layer.digest) for layer in manifest.layers] == [
        digest_of("layer1"),
        digest_of("layer2"),
    ]
    assert manifest.annotations == {}


@pytest.mark.parametrize("media_type", [DOCKER_MANIFEST_LIST, OCI_INDEX])
@pytest.mark.parametrize("source", ["body", "header", "shape"])
def test_parse_index(media_type: str, source: str) -> None:
    doc = index_doc(media_type if source == "body" else None)
    header = media_type if source == "header" else None
    index = parse_manifest(body_of(doc), header)
    assert isinstance(index, ImageIndex)
    assert index.media_type == (OCI_INDEX if source == "shape" else media_type)
    assert [d.platform for d in index.manifests] == [
        Platform("linux", "amd64"),
        Platform("linux", "arm64", "v8"),
    ]
    assert [str(d.digest) for d in index.manifests] == [digest_of("amd64"), digest_of("arm64")]
    assert index.images == index.manifests


@pytest.mark.parametrize(
    "header",
    [
        f"{OCI_MANIFEST}; charset=utf-8",
        OCI_MANIFEST.upper(),
        f"  {OCI_MANIFEST}  ",
    ],
)
def test_content_type_parameters_and_case_are_ignored(header: str) -> None:
    manifest = parse_manifest(body_of(image_doc(None)), header)
    assert isinstance(manifest, ImageManifest)
    assert manifest.media_type == OCI_MANIFEST


def test_body_media_type_wins_over_header() -> None:
    # The body is what the digest covers; a proxy may rewrite Content-Type.
    manifest = parse_manifest(body_of(image_doc(DOCKER_MANIFEST)), "application/json")
    assert manifest.media_type == DOCKER_MANIFEST


def test_annotations_are_read() -> None:
    doc = image_doc(annotations={"org.opencontainers.image.source": "https://x"})
    manifest = parse_manifest(body_of(doc), None)
    assert manifest.annotations == {"org.opencontainers.image.source": "https://x"}


def test_accept_lists_indexes_first() -> None:
    types = [t.strip() for t in ACCEPT.split(",")]
    assert types[:2] == [OCI_INDEX, DOCKER_MANIFEST_LIST]
    assert set(types) == {OCI_INDEX, DOCKER_MANIFEST_LIST, OCI_MANIFEST, DOCKER_MANIFEST}


# ---------------------------------------------------------------------------------------------
# Schema 1 and other unsupported media types

SCHEMA1_BODY = body_of(
    {
        "schemaVersion": 1,
        "name": "library/old",
        "tag": "latest",
        "architecture": "amd64",
        "fsLayers": [{"blobSum": digest_of("l")}],
        "history": [{"v1Compatibility": "{}"}],
    }
)


@pytest.mark.parametrize(
    ("body", "header"),
    [
        (SCHEMA1_BODY, None),
        (SCHEMA1_BODY, DOCKER_SCHEMA1),
        (SCHEMA1_BODY, DOCKER_SCHEMA1_SIGNED),
        (SCHEMA1_BODY, "application/json"),
        # The header alone is enough, whatever the body.
        (b"not even json", DOCKER_SCHEMA1_SIGNED),
        (body_of(image_doc()), f"{DOCKER_SCHEMA1}; charset=utf-8"),
        # A body naming the schema 1 type is legacy too, not an "unknown" type.
        (body_of({"schemaVersion": 2, "mediaType": DOCKER_SCHEMA1}), None),
    ],
)
def test_schema1_is_refused_as_legacy(body: bytes, header: str | None) -> None:
    with pytest.raises(UnsupportedManifest, match="legacy") as info:
        parse_manifest(body, header, what="docker.io/library/old:latest")
    assert "schema 1" in str(info.value)
    assert "docker.io/library/old:latest" in str(info.value)


@pytest.mark.parametrize(
    ("doc", "header", "shown"),
    [
        # An OCI artifact manifest (image-spec 1.1 draft) and a Helm chart's media types.
        (
            {"mediaType": "application/vnd.oci.artifact.manifest.v1+json", "blobs": []},
            None,
            "application/vnd.oci.artifact.manifest.v1+json",
        ),
        (image_doc(None), "application/vnd.cncf.helm.chart.content.v1.tar+gzip", "helm"),
        ({"mediaType": "text/plain"}, None, "text/plain"),
        (image_doc("application/vnd.example+json"), OCI_MANIFEST, "vnd.example"),
    ],
)
def test_unknown_media_types_are_unsupported(doc: object, header: str | None, shown: str) -> None:
    with pytest.raises(UnsupportedManifest) as info:
        parse_manifest(body_of(doc), header)
    assert shown in str(info.value)
    assert "legacy" not in str(info.value)


# ---------------------------------------------------------------------------------------------
# Malformed manifests: RegistryError (and not UnsupportedManifest: the type is fine, the body
# is not)


def _with_config(**config: Any) -> dict[str, Any]:
    doc = image_doc()
    doc["config"] = config
    return doc


BAD_BODIES: list[tuple[str, bytes, str]] = [
    ("not json", b"{", "not JSON"),
    ("binary", b"\xff\xfe\x00", "not JSON"),
    ("empty", b"", "not JSON"),
    ("array", b"[]", "not a JSON object"),
    # Nested past the stack: one answer, not a RecursionError.
    ("deep nesting", b"[" * 100_000, "the body is not JSON"),
    ("deep nesting in an object", b'{"a": ' * 100_000, "the body is not JSON"),
    ("string", b'"manifest"', "not a JSON object"),
    ("null", b"null", "not a JSON object"),
    ("no layers", body_of({k: v for k, v in image_doc().items() if k != "layers"}), "layers"),
    ("layers not a list", body_of(image_doc(layers={"a": 1})), "layers"),
    ("no manifests", body_of({"mediaType": OCI_INDEX}), "manifests"),
    ("manifests not a list", body_of(index_doc(manifests="x")), "manifests"),
    ("no config", body_of({k: v for k, v in image_doc().items() if k != "config"}), "descriptor"),
    ("config not an object", body_of(image_doc(config=[1])), "not an object"),
    (
        "missing digest",
        body_of(_with_config(mediaType=OCI_CONFIG, size=10)),
        "'mediaType' or 'digest'",
    ),
    (
        "missing media type",
        body_of(_with_config(digest=digest_of("c"), size=10)),
        "'mediaType' or 'digest'",
    ),
    (
        "digest not a string",
        body_of(_with_config(mediaType=OCI_CONFIG, digest=123, size=10)),
        "'mediaType' or 'digest'",
    ),
    (
        "missing size",
        body_of(_with_config(mediaType=OCI_CONFIG, digest=digest_of("c"))),
        "size",
    ),
    (
        "negative size",
        body_of(_with_config(mediaType=OCI_CONFIG, digest=digest_of("c"), size=-1)),
        "size",
    ),
    (
        "bool size",
        body_of(_with_config(mediaType=OCI_CONFIG, digest=digest_of("c"), size=True)),
        "size",
    ),
    (
        "float size",
        body_of(_with_config(mediaType=OCI_CONFIG, digest=digest_of("c"), size=1.5)),
        "size",
    ),
    (
        "string size",
        body_of(_with_config(mediaType=OCI_CONFIG, digest=digest_of("c"), size="10")),
        "size",
    ),
    (
        "digest without algorithm",
        body_of(_with_config(mediaType=OCI_CONFIG, digest=hex_of("c"), size=10)),
        "digest",
    ),
    (
        "short digest",
        body_of(_with_config(mediaType=OCI_CONFIG, digest="sha256:abc", size=10)),
        "64",
    ),
    (
        "uppercase digest",
        body_of(
            _with_config(mediaType=OCI_CONFIG, digest="sha256:" + hex_of("c").upper(), size=10)
        ),
        "lowercase",
    ),
    (
        "bad layer",
        body_of(image_doc(layers=[descriptor_doc(OCI_LAYER, "l"), "sha256:abc"])),
        "not an object",
    ),
    (
        "bad index entry",
        body_of(index_doc(manifests=[descriptor_doc(OCI_MANIFEST, "m", size=-5)])),
        "size",
    ),
    ("annotations not strings", body_of(image_doc(annotations={"a": 1})), "annotations"),
    ("annotations a list", body_of(image_doc(annotations=["a"])), "annotations"),
    (
        "descriptor annotations not strings",
        body_of(index_doc(manifests=[descriptor_doc(OCI_MANIFEST, "m", annotations={"k": None})])),
        "annotations",
    ),
    (
        "platform without os",
        body_of(
            index_doc(manifests=[descriptor_doc(OCI_MANIFEST, "m", platform={"architecture": "a"})])
        ),
        "os",
    ),
]


@pytest.mark.parametrize(
    ("body", "why"), [(b, w) for _, b, w in BAD_BODIES], ids=[i for i, _, _ in BAD_BODIES]
)
def test_malformed_manifest_is_corrupt_body(body: bytes, why: str) -> None:
    with pytest.raises(CorruptBody) as info:
        parse_manifest(body, None, what="manifest of ghcr.io/o/a:1")
    assert not isinstance(info.value, UnsupportedManifest)
    message = str(info.value)
    assert why in message
    assert "ghcr.io/o/a:1" in message
    assert "\n" not in message
