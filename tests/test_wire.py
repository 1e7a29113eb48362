"""Tests for oci.wire: JSON documents, decimal counts and secret scrubbing."""

from __future__ import annotations

import pytest

from hubaction.oci.wire import NotJSON, decimal_count, load_json, load_object, scrub


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b'{"a": 1}', {"a": 1}),
        ('{"a": [1, 2]}', {"a": [1, 2]}),
        (b"[]", []),
        (b'"text"', "text"),
    ],
)
def test_load_json(data: bytes | str, expected: object) -> None:
    assert load_json(data) == expected


@pytest.mark.parametrize(
    "data",
    [b"", b"{", b"\xff\xfe", b"[" * 100_000 + b"]" * 100_000, "nope", b'{"a":1}x'],
    ids=["empty", "cut", "not-utf8", "deep", "text", "trailing"],
)
def test_load_json_refuses(data: bytes | str) -> None:
    with pytest.raises(NotJSON, match=r"^not JSON$"):
        load_json(data)


@pytest.mark.parametrize("data", [b"[]", b"1", b"null", b'"x"'])
def test_load_object_refuses_other_types(data: bytes) -> None:
    with pytest.raises(NotJSON, match=r"^not a JSON object$"):
        load_object(data)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("0", 0),
        ("1234", 1234),
        (" 42 ", 42),
        ("9" * 18, int("9" * 18)),
        ("9" * 19, None),
        ("", None),
        (None, None),
        ("-1", None),
        ("1.5", None),
        ("1e3", None),
        ("²", None),
        ("١٢", None),  # Arabic-Indic digits: isdigit() is true, not ASCII
    ],
)
def test_decimal_count(text: str | None, expected: int | None) -> None:
    assert decimal_count(text) == expected


@pytest.mark.parametrize(
    ("text", "secrets", "expected"),
    [
        ("token abcdef123 echoed", ["abcdef123"], "token *** echoed"),
        ("short t stays", ["t"], "short t stays"),
        ("secret-long and secret", ["secret", "secret-long"], "*** and ***"),
        ("nothing here", [], "nothing here"),
    ],
)
def test_scrub(text: str, secrets: list[str], expected: str) -> None:
    assert scrub(text, secrets) == expected
