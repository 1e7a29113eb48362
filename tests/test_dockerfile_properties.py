"""Property tests for hubaction.dockerfile: FROM lines give their references whatever the
continuations, case and heredocs around them; arbitrary text raises only InvalidInput (rules of
BuildKit's Dockerfile frontend, as in tests/test_dockerfile_valid.py).
"""

from __future__ import annotations

import re

from dockerfile_cases import D1, images
from hypothesis import given, settings
from hypothesis import strategies as st

from hubaction.dockerfile import BaseImage, parse_dockerfile
from hubaction.dockerfile.patterns import PatternError, regex_source, replace, trim_prefix
from hubaction.errors import InvalidInput
from hubaction.oci.reference import parse_reference

# --------------------------------------------------------------------------------------------
# Properties

_LOWER = "abcdefghijklmnopqrstuvwxyz0123456789"
_ALNUM = st.text(_LOWER, min_size=1, max_size=6)
_COMPONENT = st.builds(
    lambda head, sep, tail: head + sep + tail if sep else head,
    _ALNUM,
    st.sampled_from(["", "_", "__", "-", "--"]),
    _ALNUM,
)
_TAG = st.builds(
    lambda head, tail: head + tail,
    st.sampled_from(_LOWER + "ABCXYZ_"),
    st.text(_LOWER + "ABCXYZ_.-", max_size=10),
)
_DIGEST = st.binary(min_size=32, max_size=32).map(lambda raw: "sha256:" + raw.hex())
_HOST = st.sampled_from(["", "ghcr.io/", "localhost:5000/", "registry.example.com/", "[::1]:5000/"])


@st.composite
def image_texts(draw: st.DrawFn) -> str:
    path = "/".join(draw(st.lists(_COMPONENT, min_size=1, max_size=3)))
    tag = draw(st.one_of(st.just(""), _TAG.map(lambda t: ":" + t)))
    digest = draw(st.one_of(st.just(""), _DIGEST.map(lambda d: "@" + d)))
    text = draw(_HOST) + path + tag + digest
    # `scratch` and bare 64-hex names are not images; keep the property about images.
    if text == "scratch" or (not tag and not digest and len(path) == 64):
        return "node:20"
    return text


@settings(max_examples=200, deadline=None)
@given(image_texts())
def test_a_from_line_gives_its_reference(text: str) -> None:
    assert parse_dockerfile(f"FROM {text}\n") == [
        BaseImage(line=1, text=text, reference=parse_reference(text))
    ]


@settings(max_examples=200, deadline=None)
@given(
    image_texts(),
    st.lists(
        st.sampled_from([" \\\n", " \\\n# comment\n", " \\\n\n", "\t\\  \n  "]),
        min_size=3,
        max_size=3,
    ),
    st.sampled_from(["FROM", "from", "From"]),
    st.sampled_from(["AS", "as", "aS"]),
)
def test_continuations_and_case_do_not_change_the_result(
    text: str, breaks: list[str], from_word: str, as_word: str
) -> None:
    dockerfile = f"{from_word}{breaks[0]}{text}{breaks[1]}{as_word}{breaks[2]}stage\n"
    assert images(dockerfile) == [(1, text, "stage")]


_BODY_LINE = st.one_of(
    st.sampled_from(["FROM evil:1", "from evil:2 AS x", f"FROM ghcr.io/e/vil@{D1}", "FROM \\"]),
    st.sampled_from(["", "  FROM x", "ARG V", "RUN <<EOT", "EOF ", "\tEOF", "#", "\\"]),
)


@settings(max_examples=200, deadline=None)
@given(st.lists(_BODY_LINE, max_size=6), st.sampled_from(["RUN", "COPY", "ADD", "ONBUILD RUN"]))
def test_heredoc_bodies_are_not_instructions(body: list[str], command: str) -> None:
    lines = ["FROM a:1", f"{command} <<EOF /dst", *body, "EOF", "FROM b:1"]
    assert images("\n".join(lines)) == [(1, "a:1", None), (len(lines), "b:1", None)]


_DOCKERFILE_TOKENS = st.sampled_from(
    [
        "FROM ", "from ", "ARG ", "RUN ", "COPY ", "ONBUILD ", " AS ", " as ", "node:20", "a", "B",
        "$", "${", "}", ":-", ":+", ":?", "-", "+", "#", "%", "/", "'", '"', "\\", "`", "<<", "<<-",
        "EOF", "\n", "\r\n", " ", "\t", "=", "--platform=", "@", D1, "scratch", "[", "]", "\ufeff",
        "# escape=`\n", "# syntax=x\n", "\u00a0",
    ]
)  # fmt: skip


@settings(max_examples=200, deadline=None)
@given(st.one_of(st.text(max_size=200), st.lists(_DOCKERFILE_TOKENS, max_size=40).map("".join)))
def test_arbitrary_text_raises_only_invalid_input(text: str) -> None:
    try:
        found = parse_dockerfile(text, build_args={"V": "1"})
    except InvalidInput:
        return
    for image in found:
        assert image.reference == parse_reference(image.text)
        assert image.text != "scratch"


# --------------------------------------------------------------------------------------------
# Shell patterns: the linear matcher agrees with a backtracking regex (Python's re has Go's
# leftmost-first semantics for these expressions) on small inputs, where backtracking is cheap.

_PATTERN = st.text("ab*?\n\\", max_size=6)
_VALUE = st.text("ab\n*?", max_size=8)


def _regex_trim(pattern: str, value: str, greedy: bool) -> str:
    match = re.compile(regex_source(pattern, greedy=greedy, anchored=True)).search(value)
    return value[match.end() :] if match else value


def _regex_replace_first(pattern: str, value: str) -> str:
    match = re.compile(regex_source(pattern, greedy=True, anchored=False)).search(value)
    return value if match is None else value[: match.start()] + "X" + value[match.end() :]


@given(_PATTERN, _VALUE, st.booleans())
@settings(max_examples=400)
def test_shell_patterns_match_as_a_regex_would(pattern: str, value: str, greedy: bool) -> None:
    try:
        expected = _regex_trim(pattern, value, greedy)
    except PatternError:
        return  # an invalid escape: refused by both, see test_dockerfile_upstream_lexer.py
    assert trim_prefix(pattern, value, greedy=greedy) == expected
    assert replace(pattern, "X", value, replace_all=False) == _regex_replace_first(pattern, value)
