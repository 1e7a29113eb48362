"""Tests for hubaction.oci.link: Link (RFC 8288) and next_link."""

from __future__ import annotations

import pytest

from hubaction.errors import InvalidHeader
from hubaction.oci.link import Link, next_link, parse_link

# --- Link ---------------------------------------------------------------------------------------

VALID_LINKS: list[tuple[str, list[tuple[str, dict[str, str]]]]] = [
    # The distribution registry's tag list pagination.
    (
        '</v2/NAME/tags/list?last=x&n=100>; rel="next"',
        [("/v2/NAME/tags/list?last=x&n=100", {"rel": "next"})],
    ),
    # Absolute URL, unquoted rel.
    (
        "<https://r.example/v2/a/tags/list?n=2&last=b>; rel=next",
        [("https://r.example/v2/a/tags/list?n=2&last=b", {"rel": "next"})],
    ),
    # Opaque continuation token (percent-encoded base64).
    (
        '</v2/a/tags/list?next_page=abc%3D%3D>; rel="next"',
        [("/v2/a/tags/list?next_page=abc%3D%3D", {"rel": "next"})],
    ),
    # Two links, commas inside <> and inside a quoted string.
    (
        '<https://x/a,b>; rel="next"; title="one, two", </prev>; rel=prev',
        [("https://x/a,b", {"rel": "next", "title": "one, two"}), ("/prev", {"rel": "prev"})],
    ),
    # Several relation types, upper case names, whitespace, valueless parameter.
    (
        '<https://x/>;REL="Next Last" ; crossorigin ;title = "t"',
        [("https://x/", {"rel": "Next Last", "crossorigin": "", "title": "t"})],
    ),
    # Repeated rel: the first one counts (RFC 8288 §3.3).
    ('</a>; rel="next"; rel="prev"', [("/a", {"rel": "next"})]),
    # Stray ';' and empty list elements are tolerated.
    ('</a>; rel="next";, ,</b>;;rel=prev', [("/a", {"rel": "next"}), ("/b", {"rel": "prev"})]),
    # Empty target, no parameters.
    ("<>", [("", {})]),
    ("", []),
]


@pytest.mark.parametrize(("header", "expected"), VALID_LINKS)
def test_parse_link_valid(header: str, expected: list[tuple[str, dict[str, str]]]) -> None:
    assert [(link.url, dict(link.params)) for link in parse_link(header)] == expected


def test_link_rels() -> None:
    (link,) = parse_link('<https://x/>; rel="Next  LAST"')
    assert link.rels == ("next", "last")
    assert Link("/a").rels == ()


INVALID_LINKS = [
    ('/v2/a/tags/list?n=1; rel="next"', "expected '<'"),
    ('<https://x/a; rel="next"', "not allowed in a link target"),
    ("<https://x/a", "never closed"),
    ('<https://x/a b>; rel="next"', "not allowed in a link target"),
    ('<https://x/a>; rel="next', "never closed"),
    ('<https://x/a> rel="next"', "expected ';'"),
    ('<https://x/a>; rel="next" title="x"', "expected ';'"),
    ("<https://x/a>; rel=", "expected a token or a quoted string"),
    ('<https://x/a>; "rel"="next"', "expected a parameter name"),
    ('<https://x/a>; rel="next", garbage', "expected '<'"),
    ('<https://x/a>; rel="next" ; ; x y', "expected ';', ',' or the end after a link, found 'y'"),
    ('<https://x/a>; ="next"', "expected a parameter name, found '='"),
]


@pytest.mark.parametrize(("header", "fragment"), INVALID_LINKS)
def test_parse_link_invalid(header: str, fragment: str) -> None:
    with pytest.raises(InvalidHeader) as info:
        parse_link(header)
    assert fragment in str(info.value)
    assert repr(header) in str(info.value)


@pytest.mark.parametrize(
    ("link", "text"),
    [
        (Link("/v2/a/tags/list?n=1", {"rel": "next"}), '</v2/a/tags/list?n=1>; rel="next"'),
        (
            Link("https://x/", {"REL": "next", "title": 'a "b"'}),
            r'<https://x/>; rel="next"; title="a \"b\""',
        ),
        (Link(""), "<>"),
    ],
)
def test_link_str(link: Link, text: str) -> None:
    assert str(link) == text
    assert parse_link(text) == [link]


def test_link_rejects_bad_url() -> None:
    with pytest.raises(ValueError, match="whitespace"):
        Link("https://x/a b")
    with pytest.raises(ValueError, match="whitespace"):
        Link("https://x/a>")


BASE = "https://registry.example/v2/a/b/tags/list?n=100"


@pytest.mark.parametrize(
    ("header", "base", "expected"),
    [
        (None, BASE, None),
        ("", BASE, None),
        ('</v2/a/b/tags/list?prev=1>; rel="prev"', BASE, None),
        (
            '</v2/NAME/tags/list?last=x&n=100>; rel="next"',
            BASE,
            "https://registry.example/v2/NAME/tags/list?last=x&n=100",
        ),
        # Absolute: exactly as given, even when it differs in host or looks odd.
        (
            '<HTTPS://other.example:5000/v2/a/tags/list?n=1&&last=a+b#frag>; rel="next"',
            BASE,
            "HTTPS://other.example:5000/v2/a/tags/list?n=1&&last=a+b#frag",
        ),
        # Opaque tokens: never re-encoded, never reordered.
        (
            '</v2/a/b/tags/list?next_page=abc%3D%3D&n=100>; rel="next"',
            BASE,
            "https://registry.example/v2/a/b/tags/list?next_page=abc%3D%3D&n=100",
        ),
        (
            '</v2/a/b/tags/list?z=1&a=%2f%2F&b=%7e~;c>; rel="next"',
            BASE,
            "https://registry.example/v2/a/b/tags/list?z=1&a=%2f%2F&b=%7e~;c",
        ),
        # An empty query is kept (urljoin alone would drop the '?').
        ('</v2/a/b/tags/list?>; rel="next"', BASE, "https://registry.example/v2/a/b/tags/list?"),
        # Query-only reference: replaces the base query, keeps the base path.
        (
            '<?last=x&n=100>; rel="next"',
            BASE,
            "https://registry.example/v2/a/b/tags/list?last=x&n=100",
        ),
        # Relative path references and dot segments are resolved.
        ('<list2?last=x>; rel="next"', BASE, "https://registry.example/v2/a/b/tags/list2?last=x"),
        (
            '<../../c/tags/list?last=x>; rel="next"',
            BASE,
            "https://registry.example/v2/a/c/tags/list?last=x",
        ),
        # Network-path reference keeps the base scheme.
        ('<//mirror.example/v2/a?last=x>; rel="next"', BASE, "https://mirror.example/v2/a?last=x"),
        # Fragment-only reference.
        ('<#f>; rel="next"', "https://r/x?q#old", "https://r/x?q#f"),
        # rel with several values, and the first next wins.
        (
            '</p>; rel="prev", </n1>; rel="last NEXT", </n2>; rel=next',
            BASE,
            "https://registry.example/n1",
        ),
    ],
)
def test_next_link(header: str | None, base: str, expected: str | None) -> None:
    assert next_link(header, base) == expected


def test_next_link_malformed() -> None:
    with pytest.raises(InvalidHeader, match="Link"):
        next_link('/v2/a/tags/list?last=x; rel="next"', BASE)
