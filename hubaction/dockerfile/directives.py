"""Parser directives (``# syntax=``, ``# escape=``, ``# check=``) as BuildKit's
``frontend/dockerfile/parser/directives.go`` reads them, and the ``# syntax=`` frontend that
``frontend/dockerfile/builder/build.go`` hands the build to.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from hubaction.dockerfile.lexer import GO_SPACE

KNOWN_DIRECTIVES = frozenset({"syntax", "escape", "check"})
# directives.go directiveRegexp `^([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.+?)\s*$`, after the `#` and
# the blanks (unicode.IsSpace) that follow it; Go's \s is [\t\n\f\r ].
_DIRECTIVE = re.compile(r"([a-zA-Z][a-zA-Z0-9]*)[\t\n\f\r ]*=[\t\n\f\r ]*(.+?)[\t\n\f\r ]*")
# solver/llbsolver/solver.go: this frontend name is BuildKit's built-in Dockerfile frontend.
BUILTIN_FRONTEND = "dockerfile.v0"
BOM = "\ufeff"


def parse_directive(line: str) -> tuple[str, str] | None:
    """directives.go ParseLine for one line: ``(name lowercased, value)`` of a known directive,
    None for any other line (which ends the directives)."""
    if not line.startswith("#"):
        return None
    index = 1
    while index < len(line) and line[index] in GO_SPACE:
        index += 1
    match = _DIRECTIVE.fullmatch(line, index)
    if match is None or match.group(1).lower() not in KNOWN_DIRECTIVES:
        return None
    return match.group(1).lower(), match.group(2)


@dataclass(frozen=True)
class SyntaxDirective:
    """The frontend a Dockerfile asks for: ``image`` (the value up to its first space, as
    build.go forwards it) on 1-based ``line``; ``cmdline`` is the whole value."""

    line: int
    image: str
    cmdline: str


def detect_syntax(text: str) -> SyntaxDirective | None:
    """directives.go DetectSyntax for a Dockerfile: after a BOM and a ``#!`` first line, the
    ``# syntax=`` among the leading directives.

    Unlike the Dockerfile parser, ``#`` must be the first character of the line (no blanks
    before it), and a repeated directive only ends the search. The ``//syntax=`` and JSON
    forms DetectSyntax also accepts are for other frontends' files and are not read here.
    """
    lines = text.removeprefix(BOM).split("\n")
    number = 0
    if lines[0].startswith("#!"):
        lines, number = lines[1:], 1
    seen: set[str] = set()
    for line in lines:
        number += 1
        # bufio.ScanLines drops the "\r" of a "\r\n".
        directive = parse_directive(line.removesuffix("\r"))
        if directive is None or directive[0] in seen:
            return None
        name, value = directive
        if name == "syntax":
            image, _, _ = value.partition(" ")
            return SyntaxDirective(line=number, image=image, cmdline=value)
        seen.add(name)
    return None


def syntax_from_build_arg(value: str) -> str:
    """build.go: the frontend image of ``--build-arg BUILDKIT_SYNTAX=value`` (which wins over
    the directive): the trimmed value up to its first space."""
    return value.strip("".join(GO_SPACE)).split(" ", 1)[0]
