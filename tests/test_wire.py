"""Tests for oci.wire: JSON documents, decimal counts, secret scrubbing and bounded quotes."""

from __future__ import annotations

import ast

import pytest

from hubaction.oci.wire import (
    MAX_TOKEN_LENGTH,
    MIN_TOKEN_LENGTH,
    QUOTE_LIMIT,
    QUOTE_SUFFIX_LIMIT,
    NotJSON,
    decimal_count,
    load_json,
    load_object,
    plausible_token,
    quote_bounded,
    scrub,
    show_bounded,
)


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


@pytest.mark.parametrize(
    "text",
    ["", "linux/amd64", "it's", 'say "hi"', "tab\there", "x" * (QUOTE_LIMIT - 2)],
    ids=["empty", "plain", "apostrophe", "quotes", "tab", "repr-at-the-limit"],
)
def test_quote_bounded_is_repr_when_short(text: str) -> None:
    assert quote_bounded(text) == repr(text)


@pytest.mark.parametrize(
    ("text", "limit"),
    [
        ("x" * 3_000_000, QUOTE_LIMIT),
        ("\x01" * 10_000, QUOTE_LIMIT),  # each shown as 4 characters
        ("\U0010ffff" * 10_000, QUOTE_LIMIT),  # unprintable: 10 characters each
        ("line\n::error::" * 10_000, QUOTE_LIMIT),
        ("\\" * 10_000, 64),
        ("abc" * 100, 8),
        ("x" * (QUOTE_LIMIT - 1), QUOTE_LIMIT),
    ],
    ids=[
        "3MB",
        "controls",
        "astral-unprintable",
        "newlines",
        "backslashes",
        "tiny-limit",
        "repr-one-over",
    ],
)
def test_quote_bounded_cuts_long_text_on_one_line(text: str, limit: int) -> None:
    quoted = quote_bounded(text, limit)
    assert len(quoted) <= limit + QUOTE_SUFFIX_LIMIT
    assert quoted.endswith(f" (truncated, {len(text)} characters)")
    assert "\n" not in quoted
    shown = quoted.rsplit(" (truncated", 1)[0]
    # The shown part is the repr of a prefix of the text.
    assert text.startswith(ast.literal_eval(shown))


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("text", "'text'"),
        (12, "12"),
        ({"os": "linux"}, "{'os': 'linux'}"),
        (None, "None"),
    ],
)
def test_show_bounded_small_values(value: object, expected: str) -> None:
    assert show_bounded(value) == expected


@pytest.mark.parametrize(
    "value",
    [
        ["x" * 1000] * 100_000,
        {f"k{i}": "v" * 1000 for i in range(10_000)},
        [[[[[[[[[["deep"]]]]]]]]]],
        "s" * 3_000_000,
        10**4000,
    ],
    ids=["long-list", "big-object", "deep", "long-string", "big-int"],
)
def test_show_bounded_any_value(value: object) -> None:
    shown = show_bounded(value)
    assert len(shown) <= QUOTE_LIMIT + QUOTE_SUFFIX_LIMIT
    assert "\n" not in shown


@pytest.mark.parametrize(
    ("text", "plausible"),
    [
        ("eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln-_~+/==", True),  # every b64token character
        ("a" * MIN_TOKEN_LENGTH, True),
        ("a" * (MIN_TOKEN_LENGTH - 1), False),
        ("a" * MAX_TOKEN_LENGTH, True),
        ("a" * (MAX_TOKEN_LENGTH + 1), False),
        ("a" * 20 + "==", True),
        ("a" * 10 + "=" + "a" * 10, False),  # padding only at the end (RFC 6750 section 2.1)
        ("=" * 20, False),
        ("", False),
        ("|", False),
        ("sha256", False),
        ("a b c d e f g h i j", False),
        ("a" * 20 + "\n", False),
        ("a" * 20 + "|", False),
        ("ä" * 20, False),
        ("\uff41" * 20, False),  # fullwidth letters: not ASCII
    ],
)
def test_plausible_token(text: str, plausible: bool) -> None:
    assert plausible_token(text) is plausible
