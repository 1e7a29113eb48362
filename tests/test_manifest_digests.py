"""Tests for oci.manifest: digests of exact bytes, and what arbitrary bodies may raise."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from manifest_docs import body_of, image_doc, json_values

from hubaction.errors import DigestMismatch, InvalidDigest, RegistryError, UnsupportedManifest
from hubaction.oci.digest import Digest
from hubaction.oci.manifest import (
    ImageIndex,
    ImageManifest,
    compute_digest,
    parse_manifest,
    verify_digest,
)
from hubaction.oci.mediatypes import DOCKER_MANIFEST, DOCKER_MANIFEST_LIST, OCI_INDEX, OCI_MANIFEST

# ---------------------------------------------------------------------------------------------
# Digests of exact bytes


def test_digest_is_of_exact_bytes_not_reserialised_json() -> None:
    doc = image_doc()
    pretty = body_of(doc, pretty=True)
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


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from([OCI_MANIFEST, OCI_INDEX, DOCKER_MANIFEST, DOCKER_MANIFEST_LIST, None]),
    st.dictionaries(
        st.sampled_from(["mediaType", "config", "layers", "manifests", "annotations", "size"]),
        json_values,
        max_size=5,
    ),
)
def test_property_arbitrary_json_objects_raise_only_registry_errors(
    header: str | None, doc: dict[str, Any]
) -> None:
    try:
        result = parse_manifest(body_of(doc), header)
    except RegistryError:
        return
    assert isinstance(result, ImageManifest | ImageIndex)
