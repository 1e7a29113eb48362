"""Tests for github.toolkit: escaping, annotations, groups; info never raises a workflow command.

Checked against the runner's own rules (tests/runner_files.py).
"""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from runner_files import issue_properties, parse_workflow_commands
from toolkit_steps import local, nasty_text

from hubaction.github.toolkit import Position, escape_data, escape_property, shown_title

# ProcessInvoker reads the step's stdout with StreamReader.ReadLine: CR, LF or CRLF.
_RUNNER_LINE_BREAK = re.compile(r"\r\n|\r|\n")

# Tests run inside GitHub Actions too: the real GITHUB_*/INPUT_*/RUNNER_* variables are removed.
pytestmark = pytest.mark.usefixtures("_no_github_env_leaks")


# -- escaping -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "escaped"),
    [
        ("plain", "plain"),
        ("%", "%25"),
        ("100%0A", "100%250A"),
        ("a\nb", "a%0Ab"),
        ("a\rb", "a%0Db"),
        ("\r\n", "%0D%0A"),
        ("a:b,c", "a:b,c"),
        ("::error::x", "::error::x"),
        ("", ""),
    ],
)
def test_escape_data(raw: str, escaped: str) -> None:
    assert escape_data(raw) == escaped


@pytest.mark.parametrize(
    ("raw", "escaped"),
    [
        ("plain", "plain"),
        ("%", "%25"),
        ("a\nb", "a%0Ab"),
        ("a\rb", "a%0Db"),
        ("a:b", "a%3Ab"),
        ("a,b", "a%2Cb"),
        ("::", "%3A%3A"),
        ("%3A", "%253A"),
        ("x=y", "x=y"),
    ],
)
def test_escape_property(raw: str, escaped: str) -> None:
    assert escape_property(raw) == escaped


@pytest.mark.parametrize(
    ("kind", "message", "title", "line"),
    [
        ("error", "boom", None, "::error::boom"),
        ("warning", "w", "T", "::warning title=T::w"),
        ("notice", "n", "a:b,c", "::notice title=a%3Ab%2Cc::n"),
        ("error", "line1\nline2", "t\n", "::error title=t::line1%0Aline2"),
        ("error", "50%", "", "::error::50%25"),
        ("error", "", "  ", "::error::"),
        # A title keeps its leading and inner spacing (issue 14); the runner would drop a
        # trailing space and a leading '=' (commands.shown_title), so they are not written.
        ("notice", "n", "  two  spaces ", "::notice title=  two  spaces::n"),
        ("warning", "w", "=a=b", "::warning title=a=b::w"),
        ("warning", "w", "==", "::warning::w"),
        # A lone CR at the end of a message is data like any other (core.test.ts 'setFailed
        # escapes the failure message').
        ("error", "Failure \r\n\nmessage\r", None, "::error::Failure %0D%0A%0Amessage%0D"),
        ("error", "x\r", "t\r", "::error title=t::x%0D"),
    ],
)
def test_annotation_lines(kind: str, message: str, title: str | None, line: str) -> None:
    kit, out = local()
    getattr(kit, kind)(message, title=title)
    assert out.getvalue() == line + "\n"


@settings(max_examples=200, deadline=None)
@given(message=nasty_text, title=st.one_of(st.none(), nasty_text))
def test_annotation_round_trips_through_runner_parser(message: str, title: str | None) -> None:
    kit, out = local()
    kit.error(message, title=title)
    # What the runner shows is the title itself, but for a trailing space or leading '='.
    shown = (title or "").rstrip().lstrip("=")
    props = {"title": shown} if shown else {}
    assert parse_workflow_commands(out.getvalue()) == [("error", props, message)]
    if shown:
        assert title is not None and shown in title and shown.strip()


@pytest.mark.parametrize(
    ("title", "shown"),
    [
        ("Image not found", "Image not found"),
        ("  leading", "  leading"),
        ("inner   spacing", "inner   spacing"),
        ("\tTab", "\tTab"),
        ("trailing  \t", "trailing"),
        ("line\n", "line"),
        ("two\nlines", "two\nlines"),
        ("=x", "x"),
        ("==x=y", "x=y"),
        (" =x", " =x"),
        ("= ", ""),
        ("   ", ""),
        ("", ""),
    ],
)
def test_shown_title(title: str, shown: str) -> None:
    assert shown_title(title) == shown
    kit, out = local()
    kit.warning("m", title=title)
    expected = {"title": shown} if shown else {}
    assert parse_workflow_commands(out.getvalue()) == [("warning", expected, "m")]


POSITIONS = [
    (Position("Dockerfile", 3), "file=Dockerfile,line=3"),
    (Position("a,b:c.txt", 5, 5, 1, 2), "file=a%2Cb%3Ac.txt,line=5,endLine=5,col=1,endColumn=2"),
    (Position("f", 2, 9), "file=f,line=2,endLine=9"),
    (Position("", 4, start_column=7), "line=4,col=7"),
    (Position("f"), "file=f"),
]


@pytest.mark.parametrize(("at", "properties"), POSITIONS)
def test_annotation_position(at: Position, properties: str) -> None:
    kit, out = local()
    kit.error("e", title="T", at=at)
    assert out.getvalue() == f"::error title=T,{properties}::e\n"
    ((_, props, _),) = parse_workflow_commands(out.getvalue())
    # The runner keeps every position we can build, unchanged.
    assert issue_properties(props) == props


@pytest.mark.parametrize(
    "kwargs",
    [
        {"start_line": 0},
        {"start_line": 5, "end_line": 4},
        {"end_line": 5},
        {"start_line": 5, "end_column": 2},
        {"start_column": 1},
        {"start_line": 1, "end_line": 2, "start_column": 1},
        {"start_line": 1, "start_column": 3, "end_column": 2},
    ],
)
def test_annotation_position_refuses_what_the_runner_would_change(
    kwargs: dict[str, int],
) -> None:
    with pytest.raises(ValueError, match="annotation"):
        Position("f", **kwargs)


@settings(max_examples=200, deadline=None)
@given(numbers=st.lists(st.one_of(st.none(), st.integers(1, 2**31 - 1)), min_size=4, max_size=4))
def test_runner_keeps_every_valid_position(numbers: list[int | None]) -> None:
    try:
        at = Position("f", *numbers)
    except ValueError:
        return
    kit, out = local()
    kit.notice("n", at=at)
    ((_, props, _),) = parse_workflow_commands(out.getvalue())
    assert issue_properties(props) == props


def test_debug_group_commands() -> None:
    kit, out = local()
    with kit.group("Resolve docker.io/library/alpine:3.20"):
        kit.debug("GET /v2/\nHTTP 401")
    assert parse_workflow_commands(out.getvalue()) == [
        ("group", {}, "Resolve docker.io/library/alpine:3.20"),
        ("debug", {}, "GET /v2/\nHTTP 401"),
        ("endgroup", {}, ""),
    ]


def test_group_ends_on_exception() -> None:
    kit, out = local()
    with pytest.raises(KeyError), kit.group("g"):
        raise KeyError("x")
    assert [c[0] for c in parse_workflow_commands(out.getvalue())] == ["group", "endgroup"]


# -- info never raises a command ------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "::error::boom",
        "  ::error::boom",
        "\t::warning title=x::y",
        "label: ##[error]boom",
        "fine\r::error::after a lone CR",
        "fine\n::add-mask::oops",
        "::stop-commands::abc",
        "::set-output name=digest::sha256:evil",
        "\u2003::error::em space",
        "::ERROR::upper",
    ],
)
def test_info_with_command_text_raises_no_command(text: str) -> None:
    kit, out = local()
    kit.info(text)
    kit.error("after")  # commands still work afterwards (stop was resumed)
    assert parse_workflow_commands(out.getvalue()) == [("error", {}, "after")]
    # and the text itself is logged unchanged, between the stop and resume lines
    assert f"\n{text}\n::" in out.getvalue()


@pytest.mark.parametrize(
    ("text", "lines"),
    [
        # A lone CR at the end meets the LF we add: CRLF, one line end to the runner, as for
        # console.log("done\r") (issue 14); it used to become an extra empty line.
        ("done\r", ["done"]),
        ("a\rb\r", ["a", "b"]),
        ("a\r\nb", ["a", "b"]),
        ("a\n", ["a", ""]),
        ("::x\r", None),  # wrapped in stop/resume, still one line
    ],
)
def test_info_line_ends_as_the_runner_reads_them(text: str, lines: list[str] | None) -> None:
    kit, out = local()
    kit.info(text)
    read = _RUNNER_LINE_BREAK.split(out.getvalue())[:-1]  # the last LF ends the last line
    if lines is None:
        assert read[1:-1] == ["::x"]
    else:
        assert out.getvalue() == text + "\n"
        assert read == lines


@pytest.mark.parametrize("text", ["hello", "tags: 3.19, 3.20", "a :: b", "", "x\ny", "##["[:2]])
def test_info_plain_text_is_printed_as_is(text: str) -> None:
    kit, out = local()
    kit.info(text)
    assert out.getvalue() == text + "\n"


@settings(max_examples=200, deadline=None)
@given(text=nasty_text)
def test_info_never_produces_a_command(text: str) -> None:
    kit, out = local()
    kit.info(text)
    assert parse_workflow_commands(out.getvalue()) == []
