"""Tests for hubaction.dockerfile.reader: the instructions of a Dockerfile as BuildKit's parser
reads them (parser.go, split_command.go, line_parsers.go, directives.go).

test_dockerfile.py covers the same rules through parse_dockerfile; these pin down what the
reader hands on: each instruction's start line, command, flags, arguments and escape character.
"""

from __future__ import annotations

import pytest

from hubaction.dockerfile.reader import parse_words, read_instructions, split_arguments

Row = tuple[int, str, tuple[str, ...], str, str]

INSTRUCTIONS: list[tuple[str, str, list[Row]]] = [
    ("one instruction", "FROM a\n", [(1, "FROM", (), "a", "\\")]),
    ("command kept as written", "from a AS b\n", [(1, "from", (), "a AS b", "\\")]),
    ("continuation joined as is", "RUN a \\\n  b\n", [(1, "RUN", (), "a   b", "\\")]),
    (
        "comment and blank lines inside a continuation are dropped",
        "RUN a \\\n# c\n\n  b\n",
        [(1, "RUN", (), "a   b", "\\")],
    ),
    ("continuation on the last line", "FROM a\\\n", [(1, "FROM", (), "a", "\\")]),
    ("blank lines and comments count", "  \t\n# only\nFROM a\n", [(3, "FROM", (), "a", "\\")]),
    ("BOM and CRLF", "\ufeffFROM a\r\n", [(1, "FROM", (), "a", "\\")]),
    (
        "flags, quotes removed",
        'COPY --from=build --chown="a b" src dst\n',
        [(1, "COPY", ("--from=build", "--chown=a b"), "src dst", "\\")],
    ),
    ("flags only", "RUN --mount=type=cache\n", [(1, "RUN", ("--mount=type=cache",), "", "\\")]),
    ("a lone -- ends the flags", "RUN -- --x y\n", [(1, "RUN", (), "--x y", "\\")]),
    ("a flag ends at a blank", "RUN --a 'b c'\n", [(1, "RUN", ("--a",), "'b c'", "\\")]),
    ("an escaped quote in a flag", 'COPY --x=\\"y z\n', [(1, "COPY", ('--x="y',), "z", "\\")]),
    (
        "escape directive: backtick continues, backslash does not",
        "# escape=`\nRUN a `\n b\nRUN c \\\n",
        [(2, "RUN", (), "a  b", "`"), (4, "RUN", (), "c \\", "`")],
    ),
    (
        "heredoc body skipped",
        "RUN <<EOF\nFROM x\nEOF\nFROM a\n",
        [(1, "RUN", (), "<<EOF", "\\"), (4, "FROM", (), "a", "\\")],
    ),
    (
        "<<- strips leading tabs from the terminator",
        "RUN <<-EOF cat\n\tFROM x\n\tEOF\nFROM a\n",
        [(1, "RUN", (), "<<-EOF cat", "\\"), (4, "FROM", (), "a", "\\")],
    ),
    (
        "heredoc of an ONBUILD trigger",
        "ONBUILD RUN <<EOF\nx\nEOF\n",
        [(1, "ONBUILD", (), "RUN <<EOF", "\\")],
    ),
    (
        "no heredoc in the exec form",
        'RUN ["<<EOF"]\nFROM a\n',
        [(1, "RUN", (), '["<<EOF"]', "\\"), (2, "FROM", (), "a", "\\")],
    ),
]


@pytest.mark.parametrize(
    ("text", "expected"), [pytest.param(t, e, id=i) for i, t, e in INSTRUCTIONS]
)
def test_read_instructions(text: str, expected: list[Row]) -> None:
    found = [(i.line, i.command, i.flags, i.args, i.escape) for i in read_instructions(text, "D")]
    assert found == expected


WORDS: list[tuple[str, str, list[str]]] = [
    ("quotes kept, blanks inside them too", 'A=1 "B=x y" C', ["A=1", '"B=x y"', "C"]),
    ("an escaped blank joins", "  a\\ b  c", ["a\\ b", "c"]),
    ("empty quotes are a word", "'' \"\"", ["''", '""']),
    ("a final escape is dropped", "a\\", ["a"]),
    ("no escape inside single quotes", "'a\\'b", ["'a\\'b"]),
    ("an escaped quote inside double quotes", 'x="\\""', ['x="\\""']),
    ("no words", " \t ", []),
]


@pytest.mark.parametrize(("text", "expected"), [pytest.param(t, e, id=i) for i, t, e in WORDS])
def test_parse_words(text: str, expected: list[str]) -> None:
    assert parse_words(text, "\\") == expected


def test_parse_words_with_backtick_escape() -> None:
    assert parse_words("a` b c\\ d", "`") == ["a` b", "c\\", "d"]


def test_split_arguments() -> None:
    assert split_arguments("a  AS\tb") == ["a", "AS", "b"]
    assert split_arguments("") == []
