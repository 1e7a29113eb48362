"""Tests for the runner model itself (tests/runner_files.py), the rules of the runner that the
github.toolkit tests check against: output files and workflow commands.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from runner_files import issue_properties, parse_output_file, parse_workflow_commands
from toolkit_steps import nasty_text

# Tests run inside GitHub Actions too: the real GITHUB_*/INPUT_*/RUNNER_* variables are removed.
pytestmark = pytest.mark.usefixtures("_no_github_env_leaks")


# -- the runner model itself ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", {}),
        ("a=b\n", {"a": "b"}),
        ("a=b", {"a": "b"}),
        ("a=\n", {"a": ""}),
        ("a=b=c\n", {"a": "b=c"}),
        ("a=b<<c\n", {"a": "b<<c"}),
        ("a<<b=c\nv\nb=c\n", {"a": "v"}),
        ("a<<EOF\nx\nEOF\n", {"a": "x"}),
        ("a<<EOF\nx\nEOF", {"a": "x"}),
        ("a<<EOF\nEOF\n", {"a": ""}),
        ("a<<EOF\n\nEOF\n", {"a": ""}),
        ("a<<EOF\n\n\nEOF\n", {"a": "\n"}),
        ("a<<EOF\nx\n EOF\nEOF\n", {"a": "x\n EOF"}),
        ("\n\na=1\n\nb=2\n", {"a": "1", "b": "2"}),
        ("a=1\na=2\n", {"a": "2"}),
        ("a=b\r\n", {"a": "b\r"}),
        ("a<<EOF\r\nx\r\nEOF\r\n", {"a": "x\r"}),  # delimiter is 'EOF\r' on Linux
        ("\ufeffa=b\n", {"a": "b"}),
        ("a b=c\n", {"a b": "c"}),
    ],
)
def test_parse_output_file_valid(text: str, expected: dict[str, str]) -> None:
    assert parse_output_file(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("abc\n", "Invalid format"),
        ("=x\n", "name before '=' is empty"),
        ("<<EOF\nx\nEOF\n", "must not be empty"),
        ("a<<\nx\n\n", "must not be empty"),
        ("a<<EOF\nx\n", "matching delimiter not found"),
        ("a<<EOF\n", "matching delimiter not found"),
        ("a<<EOF\nx", "EOF marker missing new line"),
        ("a<<EOF\nx\nEOF \n", "matching delimiter not found"),
        ("a<<EOF\nx\r\nEOF\r\n", "matching delimiter not found"),  # 'EOF\r' != 'EOF'
        ("a=1\nstray\n", "Invalid format"),
    ],
)
def test_parse_output_file_invalid(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_output_file(text)


@settings(max_examples=200, deadline=None)
@given(text=nasty_text)
def test_parse_output_file_only_raises_value_error(text: str) -> None:
    try:
        result = parse_output_file(text)
    except ValueError:
        return
    assert all(name for name in result)


@pytest.mark.parametrize(
    ("stdout", "expected"),
    [
        ("::error::x", [("error", {}, "x")]),
        ("  ::error::x", [("error", {}, "x")]),
        ("::ERROR::x", [("error", {}, "x")]),
        (
            "::error title=a%2Cb,file=f.py::d%0Ae",
            [("error", {"title": "a,b", "file": "f.py"}, "d\ne")],
        ),
        ("::error title=::x", [("error", {}, "x")]),
        ("::error::a::b", [("error", {}, "a::b")]),
        ("::unknown::x", []),
        ("::error", []),
        ("x ::error::y", []),
        ("##[warning]x", [("warning", {}, "x")]),
        ("prefix ##[error title=t%3Bu]x%5D", [("error", {"title": "t;u"}, "x]")]),
        ("::unknown::##[error]legacy", [("error", {}, "legacy")]),
        ("a\r::debug::b\r\n::notice::c", [("debug", {}, "b"), ("notice", {}, "c")]),
        (
            "::stop-commands::tok\n::error::hidden\n::tok::\n::error::shown",
            [("error", {}, "shown")],
        ),
        (
            "::stop-commands::TOK\n::error::hidden\n##[tok]\n::error::shown",
            [("error", {}, "shown")],
        ),
        ("::debug::%250A", [("debug", {}, "%0A")]),
        # ActionCommand.cs TryParseV2: the property list is Trim()med, pairs are
        # Split('=', 2, RemoveEmptyEntries): leading/inner spacing of a value survives, its
        # trailing spacing only when another property follows, a leading '=' never.
        ("::error title=  a  b  ::x", [("error", {"title": "  a  b"}, "x")]),
        ("::error title=  a ,file=f ::x", [("error", {"title": "  a ", "file": "f"}, "x")]),
        ("::error title==a=b::x", [("error", {"title": "a=b"}, "x")]),
        ("::error title===::x", [("error", {}, "x")]),
        ("::error =a,title=t::x", [("error", {"title": "t"}, "x")]),
        ("::error title=a,,Title=b::x", [("error", {"title": "b"}, "x")]),
        ("::error  title=t\t::x", [("error", {"title": "t"}, "x")]),
        ("::error title=t%0A ::x", [("error", {"title": "t\n"}, "x")]),
        # .NET's whitespace is not Python's: U+001F is no whitespace to TrimStart/Trim.
        ("\x1f::error::x", []),
        ("\u3000::error title=t\x1f::x", [("error", {"title": "t\x1f"}, "x")]),
    ],
)
def test_parse_workflow_commands(
    stdout: str, expected: list[tuple[str, dict[str, str], str]]
) -> None:
    assert parse_workflow_commands(stdout) == expected


@pytest.mark.parametrize(
    "stdout",
    ["::stop-commands::tok\n::error::x", "::stop-commands::\n::error::x"],
)
def test_parse_workflow_commands_unresumed_stop(stdout: str) -> None:
    with pytest.raises(ValueError, match="resumed"):
        parse_workflow_commands(stdout)


# ActionCommandManager.cs IssueCommandExtension.ValidateLinesAndColumns, case by case.
@pytest.mark.parametrize(
    ("properties", "expected"),
    [
        ({"line": "5", "endline": "5", "col": "1", "endcolumn": "2"}, None),
        ({"line": "5", "endline": "7"}, None),
        ({"title": "t", "file": "f"}, None),
        ({"endline": "5"}, {"line": "5", "endline": "5"}),  # start taken from the end
        ({"line": "5", "endcolumn": "3"}, {"line": "5", "col": "3", "endcolumn": "3"}),
        ({"col": "1", "endcolumn": "2"}, {}),  # columns need a line
        ({"line": "5", "endline": "6", "col": "1"}, {"line": "5", "endline": "6"}),
        ({"line": "5", "endline": "4"}, {}),  # end before start
        ({"line": "5", "col": "3", "endcolumn": "2"}, {"line": "5"}),
        ({"line": "x", "col": "1"}, {"line": "x"}),  # a line that is no number is none
        ({"line": " 5 ", "col": "+1"}, None),  # int.TryParse takes spaces and a sign
    ],
)
def test_issue_properties(properties: dict[str, str], expected: dict[str, str] | None) -> None:
    assert issue_properties(properties) == (properties if expected is None else expected)
