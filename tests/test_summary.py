"""Tests for github.summary: Markdown escaping, tables, the 1 MiB cut, the sections
(github.outputs: test_outputs.py)."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from summary_answers import AMD64_DIGEST, ARM64_DIGEST, sample_info

from hubaction.github.summary import (
    SUMMARY_LIMIT,
    Table,
    TagRow,
    human_size,
    image_section,
    md_code,
    md_text,
    platform_table,
    render,
    tag_table,
)
from hubaction.oci.model import RateLimit

SPECIAL = set("\\`*_{}[]()<>#+!|~&")
WJ = "\u2060"  # the word joiner md_text puts where GFM would start an autolink
# Shown as escapes: C0/C1 controls, bidi controls (Unicode TR9), lone surrogates.
INVISIBLE = {
    *map(chr, range(0x20)),
    *map(chr, range(0x7F, 0xA0)),
    *"\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069",
    *map(chr, range(0xD800, 0xE000)),
}


def _shown(text: str) -> str:
    """What md_text and md_code show of ``text``: whitespace folded, invisibles escaped."""
    flat = " ".join(text.split())
    return "".join(c.encode("unicode_escape").decode() if c in INVISIBLE else c for c in flat)


# ---------------------------------------------------------------------------------------------
# md_text / md_code


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("plain text 1.2.3", "plain text 1.2.3"),
        ("", ""),
        ("a|b", "a\\|b"),
        ("`code`", "\\`code\\`"),
        ("line1\nline2\r\n\tline3", "line1 line2 line3"),
        ("  padded  ", "padded"),
        ("<script>alert(1)</script>", "\\<script\\>alert\\(1\\)\\</script\\>"),
        ("[link](https://evil.example)", f"\\[link\\]\\(https{WJ}://evil.example\\)"),
        ("see www.evil.example", f"see www{WJ}.evil.example"),
        ("WWW.Evil.example", f"WWW{WJ}.Evil.example"),
        ("me@evil.example", f"me{WJ}@{WJ}evil.example"),
        ("mailto:me@evil.example", f"mailto:me{WJ}@{WJ}evil.example"),
        ("@octocat fixes #123", f"{WJ}@{WJ}octocat fixes \\#{WJ}123"),
        ("user&#64;evil.example", f"user\\&\\#{WJ}64;evil.example"),
        ("ghcr.io/org/app:1.2", "ghcr.io/org/app:1.2"),
        ("\x1b[31mred\x9b", "\\\\x1b\\[31mred\\\\x9b"),
        ("a\u202eb\u2066", "a\\\\u202eb\\\\u2066"),
        ("lone \ud800", "lone \\\\ud800"),
        ("![img](x)", "\\!\\[img\\]\\(x\\)"),
        ("**bold** _it_ ~~del~~", "\\*\\*bold\\*\\* \\_it\\_ \\~\\~del\\~\\~"),
        ("# heading", "\\# heading"),
        ("back\\slash", "back\\\\slash"),
        ("\\|", "\\\\\\|"),
        ("{x}+y", "\\{x\\}\\+y"),
        ("linux/arm64/v8", "linux/arm64/v8"),
        ("2024-01-01T00:00:00Z", "2024-01-01T00:00:00Z"),
    ],
)
def test_md_text(text: str, expected: str) -> None:
    assert md_text(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", ""),
        ("   ", ""),
        ("abc", "`abc`"),
        ("sha256:" + "a" * 64, "`sha256:" + "a" * 64 + "`"),
        ("a|b", "`a\\|b`"),
        ("a\nb", "`a b`"),
        ("a`b", "`` a`b ``"),
        ("`start", "`` `start ``"),
        ("a``b", "``` a``b ```"),
        ("``[click](https://evil.example)``", "``` ``[click](https://evil.example)`` ```"),
        ("a`b``c```d", "```` a`b``c```d ````"),
        # Inside a code span nothing else is Markdown: no escaping needed.
        ("<script>", "`<script>`"),
        ("[link](x)", "`[link](x)`"),
        ("*x*", "`*x*`"),
        # Nor autolinked; control characters are shown escaped all the same.
        ("https://evil.example", "`https://evil.example`"),
        ("\x1b[2J\u202e", "`\\x1b[2J\\u202e`"),
    ],
)
def test_md_code(text: str, expected: str) -> None:
    assert md_code(text) == expected


def _unescape_md_text(out: str) -> str:
    """Undo md_text, failing on any special character that is not escaped."""
    plain: list[str] = []
    i = 0
    while i < len(out):
        char = out[i]
        if char == WJ:  # md_text's own: before "://" or www's '.', around '@', after '#'
            after, before = out[i + 1 : i + 2], out[i - 1 : i]
            assert out[i + 1 : i + 4] == "://" or after in ("@", ".") or before in ("@", "#"), out
            i += 1
            continue
        if char == "\\":
            assert i + 1 < len(out), f"dangling backslash in {out!r}"
            assert out[i + 1] in SPECIAL, f"needless escape in {out!r}"
            plain.append(out[i + 1])
            i += 2
            continue
        assert char not in SPECIAL, f"unescaped {char!r} in {out!r}"
        plain.append(char)
        i += 1
    return "".join(plain)


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_characters=WJ), max_size=80))
def test_property_md_text_escapes_everything(text: str) -> None:
    out = md_text(text)
    assert "\n" not in out
    assert "\r" not in out
    assert _unescape_md_text(out) == _shown(text)


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from("ab `|\\\n[]()<>"), max_size=40))
def test_property_md_code_is_one_closed_span(text: str) -> None:
    out = md_code(text)
    flat = " ".join(text.split())
    if not flat:
        assert out == ""
        return
    assert "\n" not in out
    fence = re.match(r"`+", out)
    assert fence is not None
    n = len(fence.group())
    assert out.endswith(fence.group())
    inner = out[n:-n]
    # Nothing inside closes the span early.
    assert all(len(run) != n for run in re.findall(r"`+", inner))
    # Every pipe is escaped, so the table cell does not end.
    assert "|" not in inner.replace("\\|", "")
    if n > 1:
        assert inner.startswith(" ")
        assert inner.endswith(" ")
        inner = inner[1:-1]
    assert inner.replace("\\|", "|") == flat


# ---------------------------------------------------------------------------------------------
# human_size


@pytest.mark.parametrize(
    ("size", "expected"),
    [
        (None, ""),
        (0, "0 B"),
        (1023, "1023 B"),
        (1024, "1.0 KiB"),
        (1536, "1.5 KiB"),
        (1024 * 1024, "1.0 MiB"),
        (5 * 1024**3, "5.0 GiB"),
        (5 * 1024**4, "5120.0 GiB"),
    ],
)
def test_human_size(size: int | None, expected: str) -> None:
    assert human_size(size) == expected


# ---------------------------------------------------------------------------------------------
# Table.render and render()


def test_table_render_with_rows() -> None:
    table = Table("Tags", ("Tag", "Size"), (("`1`", "1 B"), ("`2`", "2 B")), note="2 tags.")
    assert table.render() == (
        "### Tags\n\n2 tags.\n\n| Tag | Size |\n|---|---|\n| `1` | 1 B |\n| `2` | 2 B |\n"
    )


def test_table_render_without_rows() -> None:
    assert Table("Tags", ("Tag",), ()).render() == "### Tags\n\n_None._\n"
    assert (
        Table("Tags", ("Tag",), (), note="0 tags.").render() == "### Tags\n\n0 tags.\n\n_None._\n"
    )


@pytest.mark.parametrize(
    ("max_rows", "shown", "left"), [(None, 5, 0), (5, 5, 0), (2, 2, 3), (0, 0, 5)]
)
def test_table_render_max_rows(max_rows: int | None, shown: int, left: int) -> None:
    rows = tuple((f"r{i}",) for i in range(5))
    text = Table("T", ("A",), rows).render(max_rows)
    assert sum(1 for line in text.splitlines() if line.startswith("| r")) == shown
    if left:
        assert f"_{left} more rows left out" in text
    else:
        assert "left out" not in text


def _big_table(n: int) -> Table:
    return Table(
        "Tags", ("Tag", "Digest"), tuple((f"`tag-{i}`", f"`sha256:{i:064x}`") for i in range(n))
    )


def test_render_under_limit_is_a_plain_join() -> None:
    small = Table("Platforms", ("Platform",), (("linux/amd64",),))
    parts = ["## head\n", None, small, "footer\n"]
    assert render(parts, limit=5000) == "\n".join(["## head\n", small.render(), "footer\n"])


def test_render_cuts_the_biggest_table_to_fit() -> None:
    big = _big_table(10_000)
    small = Table("Platforms", ("Platform",), tuple((f"os/arch{i}",) for i in range(3)))
    text = render(["## app\n", small, big], limit=5000)
    assert len(text.encode("utf-8")) <= 5000
    assert text.startswith("## app\n")
    # The small table is whole; the big one shows its first rows and says how many are left.
    assert all(f"| os/arch{i} |" in text for i in range(3))
    assert "| `tag-0` |" in text
    shown = sum(1 for line in text.splitlines() if line.startswith("| `tag-"))
    assert 0 < shown < 10_000
    assert (
        f"_{10_000 - shown} more rows left out to keep the job summary under GitHub's 1 MiB" in text
    )
    assert "The summary was truncated" not in text


def test_render_default_limit_is_under_one_mib() -> None:
    assert SUMMARY_LIMIT < 1024 * 1024
    text = render([_big_table(20_000)])
    assert len(text.encode("utf-8")) <= SUMMARY_LIMIT
    assert "more rows left out" in text


def test_render_truncates_text_that_no_cut_can_fit() -> None:
    text = render(["é" * 10_000, _big_table(10)], limit=5000)
    assert len(text.encode("utf-8")) <= 5000
    assert text.endswith("_The summary was truncated to stay under GitHub's 1 MiB limit._\n")


def test_render_nothing() -> None:
    assert render([]) == ""
    assert render([None]) == ""


# ---------------------------------------------------------------------------------------------
# Summary sections


def test_image_section_escapes_and_lists_facts() -> None:
    text = image_section(sample_info(), rate_limit=RateLimit(100, 76, 21600, None))
    assert text.startswith("## ghcr.io/org/app:1.2\n")
    assert "| Digest | `sha256:" + "a" * 64 + "` |" in text
    assert "| Platform | linux/amd64 |" in text
    assert "| Pull quota | 76 of 100 pulls left per 6 h |" in text
    assert "| Created | 2024-05-01T12:00:00Z |" in text
    assert "| Pinned | `ghcr.io/org/app:1.2@sha256:" + "a" * 64 + "` |" in text


def test_image_section_without_quota_or_created() -> None:
    text = image_section(sample_info(config=None))
    assert "Pull quota" not in text
    assert "Created" not in text


def test_platform_table() -> None:
    table = platform_table(sample_info())
    assert table is not None
    # Image sizes (config and layers), not the manifests' own: the chosen one's from its
    # manifest, the others' only where known without a request.
    assert table.header == ("Platform", "Manifest digest", "Image size")
    assert table.rows == (
        ("linux/amd64 (chosen)", f"`{AMD64_DIGEST}`", "1.5 KiB"),
        ("linux/arm64/v8", f"`{ARM64_DIGEST}`", ""),
    )
    sized = platform_table(sample_info(), {ARM64_DIGEST: 3 * 1024 * 1024})
    assert sized is not None
    assert [row[2] for row in sized.rows] == ["1.5 KiB", "3.0 MiB"]
    assert platform_table(sample_info(index=False)) is None


@pytest.mark.parametrize(
    ("rows", "header"),
    [
        ([TagRow("1")], ("Tag",)),
        ([TagRow("1", digest="sha256:x")], ("Tag", "Digest")),
        ([TagRow("1"), TagRow("2", size=0)], ("Tag", "Size")),
        ([TagRow("1", pushed="2024-01-01")], ("Tag", "Pushed")),
        (
            [TagRow("1", "sha256:x", 10, "2024-01-01"), TagRow("2")],
            ("Tag", "Digest", "Size", "Pushed"),
        ),
        ([], ("Tag",)),
    ],
)
def test_tag_table_columns(rows: list[TagRow], header: tuple[str, ...]) -> None:
    table = tag_table(rows, total=len(rows), source="registry", sort="version")
    assert table.header == header
    assert all(len(row) == len(header) for row in table.rows)


def test_tag_table_note_and_escaping() -> None:
    rows = [TagRow("v1|evil`x"), TagRow("2", pushed="<b>today</b>")]
    table = tag_table(rows, total=10, source="Docker Hub", sort="pushed")
    assert table.note == "2 of 10 tags, sorted by pushed; source: Docker Hub."
    assert table.rows[0][0] == "`` v1\\|evil`x ``"
    assert table.rows[1][1] == "\\<b\\>today\\</b\\>"
    whole = tag_table(rows, total=2, source="registry", sort="name")
    assert whole.note == "2 tags, sorted by name; source: registry."
