"""Tests for oci.manifest: media types, descriptors, attestations, digests of exact bytes."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hubaction.errors import (
    CorruptBody,
    DigestMismatch,
    InvalidDigest,
    RegistryError,
    UnsupportedManifest,
)
from hubaction.oci.digest import Digest, parse_digest
from hubaction.oci.manifest import (
    Descriptor,
    ImageConfig,
    ImageIndex,
    ImageManifest,
    compute_digest,
    parse_config,
    parse_manifest,
    verify_digest,
)
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

OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json"
OCI_LAYER = "application/vnd.oci.image.layer.v1.tar+gzip"
DOCKER_LAYER = "application/vnd.docker.image.rootfs.diff.tar.gzip"


def _hex(seed: str) -> str:
    return hashlib.sha256(seed.encode()).hexdigest()


def _digest(seed: str) -> str:
    return f"sha256:{_hex(seed)}"


def _desc(media_type: str, seed: str, size: int = 100, **extra: Any) -> dict[str, Any]:
    return {"mediaType": media_type, "digest": _digest(seed), "size": size, **extra}


def _image_doc(media_type: str | None = OCI_MANIFEST, **extra: Any) -> dict[str, Any]:
    config_type = DOCKER_CONFIG if media_type == DOCKER_MANIFEST else OCI_CONFIG
    layer_type = DOCKER_LAYER if media_type == DOCKER_MANIFEST else OCI_LAYER
    doc: dict[str, Any] = {"schemaVersion": 2}
    if media_type is not None:
        doc["mediaType"] = media_type
    doc["config"] = _desc(config_type, "config", 1469)
    doc["layers"] = [_desc(layer_type, "layer1", 3000000), _desc(layer_type, "layer2", 42)]
    doc.update(extra)
    return doc


def _index_doc(media_type: str | None = OCI_INDEX, **extra: Any) -> dict[str, Any]:
    entry_type = DOCKER_MANIFEST if media_type == DOCKER_MANIFEST_LIST else OCI_MANIFEST
    doc: dict[str, Any] = {"schemaVersion": 2}
    if media_type is not None:
        doc["mediaType"] = media_type
    doc["manifests"] = [
        _desc(entry_type, "amd64", 1000, platform={"os": "linux", "architecture": "amd64"}),
        _desc(
            entry_type,
            "arm64",
            1001,
            platform={"os": "linux", "architecture": "arm64", "variant": "v8"},
        ),
    ]
    doc.update(extra)
    return doc


def _body(doc: object, *, pretty: bool = False) -> bytes:
    return json.dumps(doc, indent=2 if pretty else None).encode()


# ---------------------------------------------------------------------------------------------
# parse_manifest: the four media types, found in the body, the header or the shape


@pytest.mark.parametrize("media_type", [DOCKER_MANIFEST, OCI_MANIFEST])
@pytest.mark.parametrize("source", ["body", "header", "shape"])
def test_parse_image_manifest(media_type: str, source: str) -> None:
    doc = _image_doc(media_type if source == "body" else None)
    header = media_type if source == "header" else None
    manifest = parse_manifest(_body(doc), header)
    assert isinstance(manifest, ImageManifest)
    # Without a body field or header, the shape says image manifest; OCI is the only guess.
    assert manifest.media_type == (OCI_MANIFEST if source == "shape" else media_type)
    assert manifest.config.digest == parse_digest(doc["config"]["digest"])
    assert manifest.config.size == 1469
    assert [layer.size for layer in manifest.layers] == [3000000, 42]
    assert [str(layer.digest) for layer in manifest.layers] == [
        _digest("layer1"),
        _digest("layer2"),
    ]
    assert manifest.annotations == {}


@pytest.mark.parametrize("media_type", [DOCKER_MANIFEST_LIST, OCI_INDEX])
@pytest.mark.parametrize("source", ["body", "header", "shape"])
def test_parse_index(media_type: str, source: str) -> None:
    doc = _index_doc(media_type if source == "body" else None)
    header = media_type if source == "header" else None
    index = parse_manifest(_body(doc), header)
    assert isinstance(index, ImageIndex)
    assert index.media_type == (OCI_INDEX if source == "shape" else media_type)
    assert [d.platform for d in index.manifests] == [
        Platform("linux", "amd64"),
        Platform("linux", "arm64", "v8"),
    ]
    assert [str(d.digest) for d in index.manifests] == [_digest("amd64"), _digest("arm64")]
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
    manifest = parse_manifest(_body(_image_doc(None)), header)
    assert isinstance(manifest, ImageManifest)
    assert manifest.media_type == OCI_MANIFEST


def test_body_media_type_wins_over_header() -> None:
    # The body is what the digest covers; a proxy may rewrite Content-Type.
    manifest = parse_manifest(_body(_image_doc(DOCKER_MANIFEST)), "application/json")
    assert manifest.media_type == DOCKER_MANIFEST


def test_annotations_are_read() -> None:
    doc = _image_doc(annotations={"org.opencontainers.image.source": "https://x"})
    manifest = parse_manifest(_body(doc), None)
    assert manifest.annotations == {"org.opencontainers.image.source": "https://x"}


def test_accept_lists_indexes_first() -> None:
    types = [t.strip() for t in ACCEPT.split(",")]
    assert types[:2] == [OCI_INDEX, DOCKER_MANIFEST_LIST]
    assert set(types) == {OCI_INDEX, DOCKER_MANIFEST_LIST, OCI_MANIFEST, DOCKER_MANIFEST}


# ---------------------------------------------------------------------------------------------
# Schema 1 and other unsupported media types

SCHEMA1_BODY = _body(
    {
        "schemaVersion": 1,
        "name": "library/old",
        "tag": "latest",
        "architecture": "amd64",
        "fsLayers": [{"blobSum": _digest("l")}],
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
        (_body(_image_doc()), f"{DOCKER_SCHEMA1}; charset=utf-8"),
        # A body naming the schema 1 type is legacy too, not an "unknown" type.
        (_body({"schemaVersion": 2, "mediaType": DOCKER_SCHEMA1}), None),
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
        (_image_doc(None), "application/vnd.cncf.helm.chart.content.v1.tar+gzip", "helm"),
        ({"mediaType": "text/plain"}, None, "text/plain"),
        (_image_doc("application/vnd.example+json"), OCI_MANIFEST, "vnd.example"),
    ],
)
def test_unknown_media_types_are_unsupported(doc: object, header: str | None, shown: str) -> None:
    with pytest.raises(UnsupportedManifest) as info:
        parse_manifest(_body(doc), header)
    assert shown in str(info.value)
    assert "legacy" not in str(info.value)


# ---------------------------------------------------------------------------------------------
# Malformed manifests: RegistryError (and not UnsupportedManifest: the type is fine, the body
# is not)


def _with_config(**config: Any) -> dict[str, Any]:
    doc = _image_doc()
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
    ("no layers", _body({k: v for k, v in _image_doc().items() if k != "layers"}), "layers"),
    ("layers not a list", _body(_image_doc(layers={"a": 1})), "layers"),
    ("no manifests", _body({"mediaType": OCI_INDEX}), "manifests"),
    ("manifests not a list", _body(_index_doc(manifests="x")), "manifests"),
    ("no config", _body({k: v for k, v in _image_doc().items() if k != "config"}), "descriptor"),
    ("config not an object", _body(_image_doc(config=[1])), "not an object"),
    (
        "missing digest",
        _body(_with_config(mediaType=OCI_CONFIG, size=10)),
        "'mediaType' or 'digest'",
    ),
    (
        "missing media type",
        _body(_with_config(digest=_digest("c"), size=10)),
        "'mediaType' or 'digest'",
    ),
    (
        "digest not a string",
        _body(_with_config(mediaType=OCI_CONFIG, digest=123, size=10)),
        "'mediaType' or 'digest'",
    ),
    (
        "missing size",
        _body(_with_config(mediaType=OCI_CONFIG, digest=_digest("c"))),
        "size",
    ),
    (
        "negative size",
        _body(_with_config(mediaType=OCI_CONFIG, digest=_digest("c"), size=-1)),
        "size",
    ),
    (
        "bool size",
        _body(_with_config(mediaType=OCI_CONFIG, digest=_digest("c"), size=True)),
        "size",
    ),
    (
        "float size",
        _body(_with_config(mediaType=OCI_CONFIG, digest=_digest("c"), size=1.5)),
        "size",
    ),
    (
        "string size",
        _body(_with_config(mediaType=OCI_CONFIG, digest=_digest("c"), size="10")),
        "size",
    ),
    (
        "digest without algorithm",
        _body(_with_config(mediaType=OCI_CONFIG, digest=_hex("c"), size=10)),
        "digest",
    ),
    (
        "short digest",
        _body(_with_config(mediaType=OCI_CONFIG, digest="sha256:abc", size=10)),
        "64",
    ),
    (
        "uppercase digest",
        _body(_with_config(mediaType=OCI_CONFIG, digest="sha256:" + _hex("c").upper(), size=10)),
        "lowercase",
    ),
    (
        "bad layer",
        _body(_image_doc(layers=[_desc(OCI_LAYER, "l"), "sha256:abc"])),
        "not an object",
    ),
    (
        "bad index entry",
        _body(_index_doc(manifests=[_desc(OCI_MANIFEST, "m", size=-5)])),
        "size",
    ),
    ("annotations not strings", _body(_image_doc(annotations={"a": 1})), "annotations"),
    ("annotations a list", _body(_image_doc(annotations=["a"])), "annotations"),
    (
        "descriptor annotations not strings",
        _body(_index_doc(manifests=[_desc(OCI_MANIFEST, "m", annotations={"k": None})])),
        "annotations",
    ),
    (
        "platform without os",
        _body(_index_doc(manifests=[_desc(OCI_MANIFEST, "m", platform={"architecture": "a"})])),
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


# ---------------------------------------------------------------------------------------------
# Attestations


def test_attestations_are_detected_and_left_out_of_images() -> None:
    doc = _index_doc()
    doc["manifests"] += [
        # BuildKit's attestation manifest: unknown/unknown plus the reference annotations.
        _desc(
            OCI_MANIFEST,
            "att-amd64",
            840,
            platform={"os": "unknown", "architecture": "unknown"},
            annotations={
                "vnd.docker.reference.digest": _digest("amd64"),
                "vnd.docker.reference.type": "attestation-manifest",
            },
        ),
        # Only the platform says it.
        _desc(OCI_MANIFEST, "att-2", 10, platform={"os": "unknown", "architecture": "unknown"}),
        # Only the annotation says it (no platform at all).
        _desc(
            OCI_MANIFEST,
            "att-3",
            10,
            annotations={"vnd.docker.reference.type": "attestation-manifest"},
        ),
    ]
    index = parse_manifest(_body(doc), None)
    assert isinstance(index, ImageIndex)
    assert [d.is_attestation for d in index.manifests] == [False, False, True, True, True]
    assert [str(d.digest) for d in index.images] == [_digest("amd64"), _digest("arm64")]
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
    desc = Descriptor(OCI_MANIFEST, parse_digest(_digest("x")), 1, platform, annotations)
    assert desc.is_attestation is expected


def test_index_of_only_attestations_has_no_images() -> None:
    doc = _index_doc(
        manifests=[_desc(OCI_MANIFEST, "a", platform={"os": "unknown", "architecture": "unknown"})]
    )
    index = parse_manifest(_body(doc), None)
    assert isinstance(index, ImageIndex)
    assert index.images == ()


def test_empty_index_is_valid() -> None:
    index = parse_manifest(_body({"mediaType": OCI_INDEX, "manifests": []}), None)
    assert isinstance(index, ImageIndex)
    assert index.manifests == ()


# ---------------------------------------------------------------------------------------------
# Digests of exact bytes


def test_digest_is_of_exact_bytes_not_reserialised_json() -> None:
    doc = _image_doc()
    pretty = _body(doc, pretty=True)
    compact = json.dumps(json.loads(pretty), separators=(",", ":")).encode()
    assert json.loads(pretty) == json.loads(compact)
    pretty_digest = compute_digest(pretty)
    assert pretty_digest == Digest("sha256", hashlib.sha256(pretty).hexdigest())
    assert pretty_digest != compute_digest(compact)
    # The pretty body verifies against its own digest and not against the compact one's.
    assert verify_digest(pretty, pretty_digest, what="m") == pretty_digest
    with pytest.raises(DigestMismatch):
        verify_digest(pretty, compute_digest(compact), what="m")
    # Parsing does not change what was hashed.
    assert parse_manifest(pretty, None) == parse_manifest(compact, None)


@pytest.mark.parametrize("algorithm", ["sha256", "sha512"])
@pytest.mark.parametrize("body", [b"", b"{}", b"\x00\xff" * 100])
def test_verify_digest_match(algorithm: str, body: bytes) -> None:
    hex_part = hashlib.new(algorithm, body).hexdigest()
    expected = Digest(algorithm, hex_part)
    assert compute_digest(body, algorithm) == expected
    assert verify_digest(body, expected, what="blob") == expected
    assert verify_digest(body, f"{algorithm}:{hex_part}", what="blob") == expected


@pytest.mark.parametrize("algorithm", ["sha256", "sha512"])
def test_verify_digest_mismatch(algorithm: str) -> None:
    wrong = Digest(algorithm, hashlib.new(algorithm, b"other").hexdigest())
    with pytest.raises(DigestMismatch) as info:
        verify_digest(b"body", wrong, what="manifest of x:1")
    message = str(info.value)
    assert "manifest of x:1" in message
    assert str(wrong) in message
    assert str(compute_digest(b"body", algorithm)) in message
    assert isinstance(info.value, RegistryError)


def test_verify_digest_bad_expected_string() -> None:
    with pytest.raises(InvalidDigest):
        verify_digest(b"body", "sha256:nothex", what="m")


@pytest.mark.parametrize("algorithm", ["md5", "sha1", "sha384", "blake3", ""])
def test_compute_digest_unsupported_algorithm(algorithm: str) -> None:
    with pytest.raises(UnsupportedManifest, match="sha256 and sha512"):
        compute_digest(b"x", algorithm)


def test_verify_digest_unsupported_algorithm_is_refused_not_trusted() -> None:
    # Parses under the distribution grammar, but hubaction cannot check it: refuse.
    with pytest.raises(UnsupportedManifest):
        verify_digest(b"x", "blake3:" + "a" * 64, what="m")


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=512))
def test_property_body_verifies_against_its_digest(body: bytes) -> None:
    digest = compute_digest(body)
    assert verify_digest(body, str(digest), what="b") == digest
    with pytest.raises(DigestMismatch):
        verify_digest(body + b" ", digest, what="b")


@settings(max_examples=200, deadline=None)
@given(st.one_of(st.binary(max_size=256), st.text(max_size=256).map(str.encode)))
def test_property_parse_manifest_raises_only_registry_errors(body: bytes) -> None:
    try:
        result = parse_manifest(body, None)
    except RegistryError:
        return
    assert isinstance(result, ImageManifest | ImageIndex)


_json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=10),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from([OCI_MANIFEST, OCI_INDEX, DOCKER_MANIFEST, DOCKER_MANIFEST_LIST, None]),
    st.dictionaries(
        st.sampled_from(["mediaType", "config", "layers", "manifests", "annotations", "size"]),
        _json_values,
        max_size=5,
    ),
)
def test_property_arbitrary_json_objects_raise_only_registry_errors(
    header: str | None, doc: dict[str, Any]
) -> None:
    try:
        result = parse_manifest(_body(doc), header)
    except RegistryError:
        return
    assert isinstance(result, ImageManifest | ImageIndex)


# ---------------------------------------------------------------------------------------------
# parse_config


def test_parse_config_full() -> None:
    doc = {
        "created": "2024-05-01T12:00:00.123456789Z",
        "architecture": "arm",
        "variant": "v7",
        "os": "linux",
        "config": {
            "Env": ["PATH=/usr/bin"],
            "Labels": {
                "org.opencontainers.image.version": "1.2.3",
                "weird.number": 5,
                "weird.object": {"a": [1, True]},
                "weird.null": None,
            },
        },
        "rootfs": {"type": "layers", "diff_ids": []},
    }
    config = parse_config(_body(doc, pretty=True))
    assert config == ImageConfig(
        created="2024-05-01T12:00:00.123456789Z",
        labels={
            "org.opencontainers.image.version": "1.2.3",
            "weird.number": "5",
            "weird.object": '{"a": [1, true]}',
            "weird.null": "null",
        },
        platform=Platform("linux", "arm", "v7"),
    )
    assert all(isinstance(v, str) for v in config.labels.values())


def test_parse_config_windows_os_version() -> None:
    doc = {"os": "windows", "architecture": "amd64", "os.version": "10.0.20348.2227"}
    config = parse_config(_body(doc))
    assert config.platform == Platform("windows", "amd64", None, "10.0.20348.2227")


@pytest.mark.parametrize(
    ("doc", "created", "labels", "platform"),
    [
        ({}, None, {}, None),
        ({"created": 12345}, None, {}, None),
        ({"config": None}, None, {}, None),
        ({"config": {"Labels": None}}, None, {}, None),
        ({"config": {"Labels": ["a=b"]}}, None, {}, None),
        ({"config": "x"}, None, {}, None),
        ({"os": "linux"}, None, {}, None),
        ({"architecture": "amd64"}, None, {}, None),
        ({"os": "linux", "architecture": 64}, None, {}, None),
        ({"os": "linux", "architecture": "amd64"}, None, {}, Platform("linux", "amd64")),
        ({"created": "2020-01-01T00:00:00Z"}, "2020-01-01T00:00:00Z", {}, None),
        ({"config": {"Labels": {}}}, None, {}, None),
        ({"config": {"Labels": {"a": ""}}}, None, {"a": ""}, None),
    ],
)
def test_parse_config_partial(
    doc: dict[str, Any], created: str | None, labels: dict[str, str], platform: Platform | None
) -> None:
    config = parse_config(_body(doc))
    assert config.created == created
    assert dict(config.labels) == labels
    assert config.platform == platform


@pytest.mark.parametrize("body", [b"", b"{", b"[]", b"null", b"\xff", b'"x"'])
def test_parse_config_invalid(body: bytes) -> None:
    with pytest.raises(RegistryError, match="image config of x"):
        parse_config(body, what="image config of x")


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.sampled_from(["created", "config", "os", "architecture"]), _json_values))
def test_property_parse_config_raises_only_registry_errors(doc: dict[str, Any]) -> None:
    try:
        config = parse_config(_body(doc))
    except RegistryError:
        return
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in config.labels.items())


@pytest.mark.parametrize(
    ("doc", "platform"),
    [
        ({"os": "", "architecture": "amd64"}, None),
        ({"os": "linux", "architecture": ""}, None),
        ({"os": "linux", "architecture": "arm", "variant": ""}, Platform("linux", "arm")),
    ],
)
def test_parse_config_empty_platform_fields(doc: dict[str, Any], platform: Platform | None) -> None:
    assert parse_config(_body(doc)).platform == platform


def test_parse_config_bad_variant_names_the_config_not_its_contents() -> None:
    doc = {
        "os": "linux",
        "architecture": "arm",
        "variant": 7,
        "config": {"Env": ["SOMETHING_LONG=" + "x" * 1000]},
    }
    with pytest.raises(RegistryError) as info:
        parse_config(_body(doc), what="image config of x:1")
    message = str(info.value)
    assert "image config of x:1" in message
    assert "variant" in message
    assert "SOMETHING_LONG" not in message
