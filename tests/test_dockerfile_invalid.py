"""Tests for hubaction.dockerfile: invalid Dockerfiles and what their messages say.

The expected results follow BuildKit's Dockerfile frontend (parser.go, split_command.go,
line_parsers.go, directives.go, instructions/parse.go, shell/lex.go, dockerfile2llb/convert.go)
and the Dockerfile reference; each case says which rule it pins down.
"""

from __future__ import annotations

import pytest

from hubaction.dockerfile import parse_dockerfile
from hubaction.errors import InvalidInput, InvalidReference

# --------------------------------------------------------------------------------------------
# Invalid Dockerfiles

INVALID: list[tuple[str, str, dict[str, str] | None, type[InvalidInput], list[str]]] = [
    ("empty", "", None, InvalidInput, ["has no FROM"]),
    ("comments only", "# FROM node:20\n\n", None, InvalidInput, ["has no FROM"]),
    ("FROM only in a heredoc", "ARG A=1\n", None, InvalidInput, ["has no FROM"]),
    (
        "instruction before FROM",
        "ARG V=1\nRUN echo\nFROM a:1\n",
        None,
        InvalidInput,
        ["line 2", "RUN comes before the first FROM"],
    ),
    ("FROM without image", "FROM a:1\nFROM\n", None, InvalidInput, ["line 2", "got 0"]),
    (
        "FROM with flags only",
        "FROM --platform=linux/amd64\n",
        None,
        InvalidInput,
        ["line 1", "got 0"],
    ),
    ("two words", "FROM a b\n", None, InvalidInput, ["line 1", "got 2: 'a b'"]),
    ("AS without name", "FROM a AS\n", None, InvalidInput, ["got 2"]),
    ("three words without AS", "FROM a FOO b\n", None, InvalidInput, ["got 3"]),
    ("four words", "FROM a AS b c\n", None, InvalidInput, ["got 4"]),
    (
        "stage name starting with a digit",
        "FROM a AS 1st\n",
        None,
        InvalidInput,
        ["invalid build stage name '1st'"],
    ),
    (
        "stage name with a symbol",
        "FROM a AS my/stage\n",
        None,
        InvalidInput,
        ["invalid build stage name"],
    ),
    (
        "flag without value",
        "FROM --platform a AS b\n",
        None,
        InvalidInput,
        ["line 1", "'--platform' has no value"],
    ),
    (
        "ARG without default or build arg",
        "ARG NODE_VERSION\nFROM node:${NODE_VERSION}\n",
        None,
        InvalidInput,
        ["line 2", "ARG NODE_VERSION (Dockerfile line 1) has no default", "build arg"],
    ),
    (
        "undeclared variable",
        "FROM a:1\nFROM node:$V\n",
        None,
        InvalidInput,
        ["line 2", "V is not declared by an ARG"],
    ),
    (
        "ARG declared after the first FROM",
        "FROM a:1\nARG V=20\nFROM node:$V\n",
        None,
        InvalidInput,
        ["line 3", "V is not declared by an ARG before the first FROM"],
    ),
    (
        "platform ARG without build arg",
        "FROM node:20-${TARGETARCH}\n",
        None,
        InvalidInput,
        ["TARGETARCH is filled in by BuildKit"],
    ),
    (
        "default using an ARG without value",
        "ARG A\nARG B=x$A\nFROM node:$B\n",
        None,
        InvalidInput,
        [
            "line 3",
            "the default of ARG B (Dockerfile line 2) uses $A without a value",
            "ARG A (Dockerfile line 1)",
        ],
    ),
    (
        "${NAME+word} needs the word",
        "ARG V=1\nFROM node:20${V+$W}\n",
        None,
        InvalidInput,
        ["W is not declared"],
    ),
    (
        "${NAME:?} unset",
        "ARG V\nFROM node:${V:?required}\n",
        None,
        InvalidInput,
        ["V: required", "ARG V (Dockerfile line 1) has no default"],
    ),
    (
        "${NAME:?} empty",
        "ARG V=\nFROM node:${V:?required}\n",
        None,
        InvalidInput,
        ["line 2", "V: required"],
    ),
    ("missing }", "FROM node:${V\n", None, InvalidInput, ["line 1", "missing '}'"]),
    ("bad substitution", "FROM node:${}\n", None, InvalidInput, ["bad substitution"]),
    ("bad substitution :", "FROM node:${:x}\n", None, InvalidInput, ["bad substitution"]),
    (
        "unsupported modifier",
        "ARG V=1\nFROM node:${V!x}\n",
        None,
        InvalidInput,
        ["unsupported modifier"],
    ),
    (
        "unknown instruction (instructions/parse.go)",
        "FROM a:1\nRUN <<- EOF\nFROM evil\nEOF\n",
        None,
        InvalidInput,
        ["line 4", "unknown instruction: EOF", "<<- EOF"],
    ),
    (
        "the terminator of an exec-form heredoc is an unknown instruction",
        'FROM a:1\nRUN ["cat"] <<EOF\nFROM b:1\nEOF\n',
        None,
        InvalidInput,
        ["line 4", "unknown instruction: EOF"],
    ),
    (":# (lex.go)", "ARG V=1\nFROM node:${V:#x}\n", None, InvalidInput, ["modifier (:#)"]),
    (":% (lex.go)", "ARG V=1\nFROM node:${V:%x}\n", None, InvalidInput, ["modifier (:%)"]),
    ("bad pattern escape", "ARG V=1\nFROM node:${V#\\x}\n", None, InvalidInput, ["invalid escape"]),
    (
        "pattern of an unset ARG",
        "ARG V\nFROM node:${V%%.*}\n",
        None,
        InvalidInput,
        ["ARG V (Dockerfile line 1) has no default"],
    ),
    (
        "- of a platform ARG: set by BuildKit to a value only the build knows",
        "FROM node:${TARGETARCH-20}\n",
        None,
        InvalidInput,
        ["TARGETARCH is filled in by BuildKit"],
    ),
    (
        "${X:?message} in a global ARG default fails with the message (lex.go processDollar)",
        'ARG B="${A:?set A to the base image}"\nFROM node:20\n',
        None,
        InvalidInput,
        ["line 1", "A: set A to the base image"],
    ),
    (
        "${X?} of an ARG without default: upstream's message",
        "ARG V\nFROM node:${V?}\n",
        None,
        InvalidInput,
        ["line 2", "V: is not allowed to be unset"],
    ),
    ("unmatched single quote", "FROM 'node:20\n", None, InvalidInput, ['matching "\'"']),
    ("unmatched double quote", 'FROM "node:20\n', None, InvalidInput, ["matching '\"'"]),
    (
        "syntax error in an unused ARG default",
        "ARG V=${\nFROM a:1\n",
        None,
        InvalidInput,
        ["line 1", "missing '}'"],
    ),
    (
        # The AS name is lowercased; the FROM text is looked up as written, then is an image.
        "stage referenced with other case",
        "FROM alpine:3.19 AS Build\nFROM Build\n",
        None,
        InvalidReference,
        ["line 2", "'Build'"],
    ),
    (
        "uppercase image",
        "FROM a:1\nFROM Node:20\n",
        None,
        InvalidReference,
        ["line 2", "'Node:20'", "lowercase"],
    ),
    (
        "invalid image from an ARG",
        "ARG IMG=node:20:x\nFROM $IMG\n",
        None,
        InvalidReference,
        ["line 2", "'node:20:x'"],
    ),
    (
        "build arg is not expanded",
        "ARG V\nFROM node:20$V\n",
        {"V": "$X"},
        InvalidReference,
        ["'node:20$X'"],
    ),
    (
        "image expands to nothing",
        "ARG E=\nFROM $E\n",
        None,
        InvalidInput,
        ["line 2", "expands to an empty string"],
    ),
    (
        "bad escape directive",
        "# escape=x\nFROM a:1\n",
        None,
        InvalidInput,
        ["line 1", "invalid escape parser directive 'x'"],
    ),
    (
        "directive given twice",
        "# escape=`\n# escape=\\\nFROM a:1\n",
        None,
        InvalidInput,
        ["line 2", "given twice"],
    ),
    (
        "unterminated heredoc",
        "FROM a:1\nRUN <<EOF\necho\n",
        None,
        InvalidInput,
        ["line 2", "never terminated", "'EOF'"],
    ),
    ("ARG with empty name", "ARG =x\nFROM a:1\n", None, InvalidInput, ["line 1", "empty name"]),
    ("ARG without name", "ARG\nFROM a:1\n", None, InvalidInput, ["line 1", "ARG needs a name"]),
    (
        "substitutions nested too deeply",
        "FROM a:1\nFROM a:" + "${A:-" * 5000 + "x" + "}" * 5000 + "\n",
        None,
        InvalidInput,
        ["line 2", "nested too deeply"],
    ),
]


@pytest.mark.parametrize(
    ("text", "build_args", "error", "fragments"),
    [pytest.param(t, a, e, f, id=i) for i, t, a, e, f in INVALID],
)
def test_parse_dockerfile_invalid(
    text: str, build_args: dict[str, str] | None, error: type[InvalidInput], fragments: list[str]
) -> None:
    with pytest.raises(error) as caught:
        parse_dockerfile(text, build_args=build_args)
    message = str(caught.value)
    for fragment in fragments:
        assert fragment in message


def test_messages_name_the_path() -> None:
    with pytest.raises(InvalidInput, match=r"^docker/app\.Dockerfile line 2: "):
        parse_dockerfile("FROM a:1\nFROM A\n", path="docker/app.Dockerfile")
