"""Tests for hubaction.oci.digest: tables of valid and invalid digests, plus a property."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hubaction.errors import InvalidDigest
from hubaction.oci.digest import Digest, is_image_id, parse_digest

H64 = "0123456789abcdef" * 4
H128 = H64 * 2
D64 = f"sha256:{H64}"
D128 = f"sha512:{H128}"

VALID_DIGESTS = [
    (D64, "sha256", H64),
    (D128, "sha512", H128),
    # Other algorithms follow the distribution grammar: >= 32 hex digits, any case.
    ("sha384:" + "a" * 96, "sha384", "a" * 96),
    ("blake3:" + "A" * 32, "blake3", "A" * 32),
    ("multihash+base58:" + "0" * 40, "multihash+base58", "0" * 40),
    ("sha256.v2_x-y:" + "f" * 32, "sha256.v2_x-y", "f" * 32),
]


@pytest.mark.parametrize(("text", "algorithm", "hex_part"), VALID_DIGESTS)
def test_parse_digest_valid(text: str, algorithm: str, hex_part: str) -> None:
    digest = parse_digest(text)
    assert digest == Digest(algorithm, hex_part)
    assert str(digest) == text


INVALID_DIGESTS = [
    ("", "empty"),
    (H64, "has no ':'; expected algorithm:hex"),
    (H64, f"write 'sha256:{H64}'"),
    ("sha256:", "nothing follows 'sha256:'"),
    (":" + H64, "algorithm before ':' is empty"),
    ("SHA256:" + H64, "must be lowercase ('sha256')"),
    ("sha256:" + H64.upper(), "lowercase hex"),
    ("sha256:" + H64[:-1], "exactly 64 hex digits, this one has 63"),
    ("sha256:" + H64 + "0", "exactly 64 hex digits, this one has 65"),
    ("sha256:" + H64[:-1] + "g", "characters other than 0-9 and a-f"),
    ("sha512:" + H64, "exactly 128 hex digits, this one has 64"),
    ("md5:" + "a" * 31, "not at least 32 hex digits"),
    ("blake3:" + "z" * 40, "not at least 32 hex digits"),
    ("sha-:" + H64, "algorithm 'sha-' is not valid"),
    ("sha256:" + H64 + ":x", "characters other than 0-9 and a-f"),
    (" " + D64, "whitespace"),
    (D64 + "\n", "whitespace"),
]


@pytest.mark.parametrize(("text", "message"), INVALID_DIGESTS)
def test_parse_digest_invalid(text: str, message: str) -> None:
    with pytest.raises(InvalidDigest) as caught:
        parse_digest(text)
    assert message in str(caught.value)
    if text:
        assert repr(text) in str(caught.value) or repr(text.partition(":")[0]) in str(caught.value)


def test_digest_constructor_validates() -> None:
    with pytest.raises(InvalidDigest, match="exactly 64 hex digits"):
        Digest("sha256", "abc")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (H64, True),
        (H64.upper(), False),  # `docker` image IDs are lowercase
        (H64[:-1], False),
        (H64 + "0", False),
        (D64, False),
        ("", False),
    ],
)
def test_is_image_id(text: str, expected: bool) -> None:
    assert is_image_id(text) is expected


@settings(max_examples=200, deadline=None)
@given(st.one_of(st.text(), st.text(alphabet="sha256:0123456789abcdefABX", max_size=140)))
def test_arbitrary_digest_text_raises_only_invalid_digest(text: str) -> None:
    try:
        digest = parse_digest(text)
    except InvalidDigest:
        return
    assert str(digest) == text
