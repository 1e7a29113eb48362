"""The ``# syntax=`` frontend as a base image: which directive BuildKit finds
(``frontend/dockerfile/parser/directives.go`` DetectSyntax), the ``BUILDKIT_SYNTAX`` build arg
and ``dockerfile.v0`` (``frontend/dockerfile/builder/build.go``, ``solver/llbsolver/solver.go``),
all at BuildKit 73ed6825c4b7569379ef89df0aedcdbe64473d31."""

from __future__ import annotations

import pytest
from dockerfile_cases import D1

from hubaction.dockerfile import parse_dockerfile
from hubaction.errors import InvalidInput, InvalidReference

Row = tuple[str, int, str]  # (kind, line, text)

CASES: list[tuple[str, str, dict[str, str] | None, list[Row]]] = [
    (
        "the frontend first, then the FROM images",
        "# syntax=docker/dockerfile:1.7\nFROM a:1\n",
        None,
        [("syntax", 1, "docker/dockerfile:1.7"), ("from", 2, "a:1")],
    ),
    (
        "pinned frontend",
        f"# syntax=docker/dockerfile:1.7@{D1}\nFROM a:1\n",
        None,
        [("syntax", 1, f"docker/dockerfile:1.7@{D1}"), ("from", 2, "a:1")],
    ),
    (
        "#syntax without blanks, any case of the name",
        "#SYNTAX=docker/dockerfile:1\nFROM a:1\n",
        None,
        [("syntax", 1, "docker/dockerfile:1"), ("from", 2, "a:1")],
    ),
    (
        "blanks around = and after the value; the image is the value up to a space",
        "#  syntax \t=  example.com/frontend:2 --opt  \r\nFROM a:1\n",
        None,
        [("syntax", 1, "example.com/frontend:2"), ("from", 2, "a:1")],
    ),
    (
        "after other directives",
        "# escape=`\n# check=skip=all\n# syntax=example.com/df:1\nFROM a:1\n",
        None,
        [("syntax", 3, "example.com/df:1"), ("from", 4, "a:1")],
    ),
    (
        "after a byte-order mark and a #! line (DetectSyntax skips them)",
        "\ufeff#!/usr/bin/env buildctl\n# syntax=example.com/df:1\nFROM a:1\n",
        None,
        [("syntax", 2, "example.com/df:1"), ("from", 3, "a:1")],
    ),
    (
        "an unknown frontend is just an image BuildKit runs",
        "# syntax=ghcr.io/someone/my-frontend\nFROM a:1\n",
        None,
        [("syntax", 1, "ghcr.io/someone/my-frontend"), ("from", 2, "a:1")],
    ),
    (
        "the same image as a FROM is reported once, first as the frontend",
        "# syntax=a:1\nFROM a:1\n",
        None,
        [("syntax", 1, "a:1")],
    ),
    (
        "dockerfile.v0 is the built-in frontend",
        "# syntax=dockerfile.v0\nFROM a:1\n",
        None,
        [("from", 2, "a:1")],
    ),
    (
        "not in the first lines",
        "FROM a:1\n# syntax=docker/dockerfile:1\n",
        None,
        [("from", 1, "a:1")],
    ),
    (
        "after a comment",
        "# hello\n# syntax=docker/dockerfile:1\nFROM a:1\n",
        None,
        [("from", 3, "a:1")],
    ),
    (
        "after a blank line",
        "\n# syntax=docker/dockerfile:1\nFROM a:1\n",
        None,
        [("from", 3, "a:1")],
    ),
    (
        "a blank before # is a directive to the parser but not to DetectSyntax",
        "  # syntax=docker/dockerfile:1\nFROM a:1\n",
        None,
        [("from", 2, "a:1")],
    ),
    (
        "BUILDKIT_SYNTAX wins over the directive",
        "# syntax=docker/dockerfile:1\nFROM a:1\n",
        {"BUILDKIT_SYNTAX": " example.com/df:2 opts"},
        [("syntax", 0, "example.com/df:2"), ("from", 2, "a:1")],
    ),
    (
        "BUILDKIT_SYNTAX=dockerfile.v0 drops the directive's frontend",
        "# syntax=docker/dockerfile:1\nFROM a:1\n",
        {"BUILDKIT_SYNTAX": "dockerfile.v0"},
        [("from", 2, "a:1")],
    ),
]


@pytest.mark.parametrize(
    ("text", "build_args", "expected"), [pytest.param(t, a, e, id=i) for i, t, a, e in CASES]
)
def test_syntax_frontend(text: str, build_args: dict[str, str] | None, expected: list[Row]) -> None:
    found = parse_dockerfile(text, build_args=build_args)
    assert [(i.kind, i.line, i.text) for i in found] == expected


def test_syntax_frontend_reference() -> None:
    [frontend, _] = parse_dockerfile("# syntax=docker/dockerfile:1\nFROM a:1\n")
    assert str(frontend.lookup_reference) == "docker.io/docker/dockerfile:1"
    assert frontend.stage is None


@pytest.mark.parametrize(
    ("text", "build_args", "error", "fragment"),
    [
        ("# syntax=docker/Dockerfile:1\nFROM a:1\n", None, InvalidReference, "line 1"),
        ("# syntax=  \nFROM a:1\n", None, InvalidInput, "names no frontend image"),
        ("FROM a:1\n", {"BUILDKIT_SYNTAX": ""}, InvalidInput, "BUILDKIT_SYNTAX build arg"),
        (
            "# syntax=a:1\n# syntax=b:1\nFROM a:1\n",
            None,
            InvalidInput,
            "only one syntax parser directive",
        ),
    ],
)
def test_syntax_frontend_refused(
    text: str, build_args: dict[str, str] | None, error: type[InvalidInput], fragment: str
) -> None:
    with pytest.raises(error, match=fragment):
        parse_dockerfile(text, build_args=build_args)
