"""Tests for github.toolkit: escaping, annotations, groups; info never raises a workflow command.

Checked against the runner's own rules (tests/runner_files.py).
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from runner_files import parse_workflow_commands
from toolkit_steps import local, nasty_text

from hubaction.github.toolkit import escape_data, escape_property

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
    props = {"title": title.strip()} if title is not None and title.strip() else {}
    assert parse_workflow_commands(out.getvalue()) == [("error", props, message)]


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
    # and the text itself is logged unchanged (lines as the runner splits them)
    for line in text.replace("\r", "\n").split("\n"):
        assert line in out.getvalue().split("\n")


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
