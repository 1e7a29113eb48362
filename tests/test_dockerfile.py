"""Tests for hubaction.dockerfile: the base images of a Dockerfile, and their statuses.

The expected results follow BuildKit's Dockerfile frontend (parser.go, split_command.go,
line_parsers.go, directives.go, instructions/parse.go, shell/lex.go, dockerfile2llb/convert.go)
and the Dockerfile reference; each case says which rule it pins down.
"""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hubaction.dockerfile import (
    BaseImage,
    BaseImageStatus,
    base_images_output,
    parse_dockerfile,
    status_of,
)
from hubaction.errors import InvalidInput, InvalidReference
from hubaction.oci.reference import Digest, parse_digest, parse_reference

D1 = "sha256:" + "1" * 64
D2 = "sha256:" + "2" * 64
D3 = "sha256:" + "3" * 64


def images(
    text: str, build_args: dict[str, str] | None = None
) -> list[tuple[int, str, str | None]]:
    """``(line, text, stage)`` of each base image, the shape the tables are written in."""
    return [(i.line, i.text, i.stage) for i in parse_dockerfile(text, build_args=build_args)]


# --------------------------------------------------------------------------------------------
# Valid Dockerfiles

VALID: list[tuple[str, str, dict[str, str] | None, list[tuple[int, str, str | None]]]] = [
    # Instructions and stages
    ("one FROM", "FROM node:20\n", None, [(1, "node:20", None)]),
    ("no final newline", "FROM node:20", None, [(1, "node:20", None)]),
    (
        "lowercase from/as, stage lowercased",
        "from node:20 as Build\n",
        None,
        [(1, "node:20", "build")],
    ),
    ("mixed case", "From node:20 As base\nfRoM base\n", None, [(1, "node:20", "base")]),
    (
        "multi-stage: stage references and COPY --from are not base images",
        "FROM golang:1.22 AS build\nRUN go build -o /app\nFROM build AS test\nRUN go test\n"
        "FROM gcr.io/distroless/static:nonroot\nCOPY --from=build /app /app\n"
        "COPY --from=busybox:1.36 /bin/sh /sh\n",
        None,
        [(1, "golang:1.22", "build"), (5, "gcr.io/distroless/static:nonroot", None)],
    ),
    ("scratch is left out", "FROM scratch\nCOPY app /\n", None, []),
    (
        "scratch as a stage base",
        "FROM scratch AS empty\nFROM empty\nFROM alpine:3.19\n",
        None,
        [(3, "alpine:3.19", None)],
    ),
    (
        "duplicates kept once, first occurrence, compared canonically",
        "FROM node:20 AS a\nFROM node:20 AS b\nFROM docker.io/library/node:20\nFROM node:22\n",
        None,
        [(1, "node:20", "a"), (4, "node:22", None)],
    ),
    (
        "pinned and unpinned of one tag are two images",
        f"FROM node:20\nFROM node:20@{D1}\n",
        None,
        [(1, "node:20", None), (2, f"node:20@{D1}", None)],
    ),
    (
        # dockerfile2llb addState: only stages defined earlier are found.
        "a stage named later is an image here",
        "FROM build\nFROM alpine:3.19 AS build\nFROM build\n",
        None,
        [(1, "build", None), (2, "alpine:3.19", "build")],
    ),
    (
        "a stage can reuse its base name",
        "FROM node:20 AS node\nFROM node\n",
        None,
        [(1, "node:20", "node")],
    ),
    ("implicit latest", "FROM ubuntu\n", None, [(1, "ubuntu", None)]),
    (
        "registries, ports, digests",
        f"FROM localhost:5000/team/app:1.0\nFROM ghcr.io/org/tool@{D1}\nFROM [::1]:5000/x:y\n",
        None,
        [
            (1, "localhost:5000/team/app:1.0", None),
            (2, f"ghcr.io/org/tool@{D1}", None),
            (3, "[::1]:5000/x:y", None),
        ],
    ),
    # Comments and blank lines
    (
        "comments and blank lines",
        "# FROM evil:1\n\n   # FROM evil:2\nFROM node:20\n\n\t\n",
        None,
        [(4, "node:20", None)],
    ),
    ("leading blanks before the instruction", "   \tFROM node:20\n", None, [(1, "node:20", None)]),
    (
        "CRLF line endings",
        "FROM a:1 \\\r\n  AS x\r\nFROM b:2\r\n",
        None,
        [(1, "a:1", "x"), (3, "b:2", None)],
    ),
    # Continuations
    (
        "continuation lines join as written",
        "FROM \\\n  node:20 \\\n  AS build\nFROM alpine:3.19\n",
        None,
        [(1, "node:20", "build"), (4, "alpine:3.19", None)],
    ),
    (
        "continuation without blank joins the words",
        "FROM node:\\\n20\n",
        None,
        [(1, "node:20", None)],
    ),
    (
        "trailing blanks after the escape",
        "FROM node:20 \\  \t\n  AS x\n",
        None,
        [(1, "node:20", "x")],
    ),
    (
        "comments and blank lines inside a continuation are dropped",
        "FROM \\\n# FROM evil:1\n\n   \n  node:20\n",
        None,
        [(1, "node:20", None)],
    ),
    (
        "a continued RUN swallows what looks like a FROM",
        "FROM a:1\nRUN echo \\\nFROM evil:1\nFROM b:1\n",
        None,
        [(1, "a:1", None), (4, "b:1", None)],
    ),
    (
        "an escaped escape does not continue the line",
        "FROM a:1\nRUN echo \\\\\nFROM b:1\n",
        None,
        [(1, "a:1", None), (3, "b:1", None)],
    ),
    # Parser directives
    (
        "escape directive: backtick continues, backslash is literal",
        "# escape=`\nFROM mcr.microsoft.com/windows/servercore:ltsc2022 `\n  AS base\n"
        "RUN dir c:\\\nFROM python:3.12\n",
        None,
        [(2, "mcr.microsoft.com/windows/servercore:ltsc2022", "base"), (5, "python:3.12", None)],
    ),
    (
        "directive names are case-insensitive and may have blanks",
        "#  ESCAPE = `\nFROM a:1 `\n  AS x\n",
        None,
        [(2, "a:1", "x")],
    ),
    (
        "syntax then escape directive",
        "# syntax=docker/dockerfile:1\n# escape=`\nFROM a:1 `\n AS x\n",
        None,
        [(3, "a:1", "x")],
    ),
    (
        "byte-order mark before a directive",
        "\ufeff# escape=`\nFROM a:1 `\n AS x\n",
        None,
        [(2, "a:1", "x")],
    ),
    (
        "a directive after a comment is only a comment",
        "# comment\n# escape=`\nFROM a:1\nRUN echo `\nFROM b:1\n",
        None,
        [(3, "a:1", None), (5, "b:1", None)],
    ),
    (
        "a directive after a blank line is only a comment",
        "\n# escape=`\nFROM a:1\nRUN echo `\nFROM b:1\n",
        None,
        [(3, "a:1", None), (5, "b:1", None)],
    ),
    (
        "an unknown directive ends the directives",
        "# foo=bar\n# escape=`\nFROM a:1\nRUN echo `\nFROM b:1\n",
        None,
        [(3, "a:1", None), (5, "b:1", None)],
    ),
    # Flags
    (
        "--platform flags are skipped",
        "FROM --platform=$BUILDPLATFORM golang:1.22 AS build\n"
        "FROM --platform=linux/amd64 alpine:3.19\n",
        None,
        [(1, "golang:1.22", "build"), (2, "alpine:3.19", None)],
    ),
    (
        "quoted flag value with a blank",
        'FROM --platform="linux/amd64 " alpine:3.19\n',
        None,
        [(1, "alpine:3.19", None)],
    ),
    (
        "a lone -- ends the flags",
        "FROM --platform=x -- alpine:3.19\n",
        None,
        [(1, "alpine:3.19", None)],
    ),
    # ARG substitution
    ("$NAME", "ARG V=20\nFROM node:$V\n", None, [(2, "node:20", None)]),
    ("${NAME}", "ARG V=20\nFROM node:${V}-slim\n", None, [(2, "node:20-slim", None)]),
    ("${NAME:-word} with a value", "ARG V=20\nFROM node:${V:-18}\n", None, [(2, "node:20", None)]),
    ("${NAME:-word} without default", "ARG V\nFROM node:${V:-18}\n", None, [(2, "node:18", None)]),
    ("${NAME:-word} empty", "ARG V=\nFROM node:${V:-18}\n", None, [(2, "node:18", None)]),
    ("${NAME-word} empty is set", "ARG V=\nFROM node:20${V-x}\n", None, [(2, "node:20", None)]),
    ("${NAME-word} unset", "ARG V\nFROM node:${V-18}\n", None, [(2, "node:18", None)]),
    ("${NAME:+word} set", "ARG V=1\nFROM node:20${V:+-slim}\n", None, [(2, "node:20-slim", None)]),
    ("${NAME:+word} unset", "ARG V\nFROM node:20${V:+-slim}\n", None, [(2, "node:20", None)]),
    ("${NAME:+word} empty", "ARG V=\nFROM node:20${V:+-slim}\n", None, [(2, "node:20", None)]),
    (
        "${NAME+word} empty is set",
        "ARG V=\nFROM node:20${V+-slim}\n",
        None,
        [(2, "node:20-slim", None)],
    ),
    ("${NAME:?message} set", "ARG V=20\nFROM node:${V:?required}\n", None, [(2, "node:20", None)]),
    (
        "unused default word needs nothing",
        "ARG V=20\nFROM node:${V:-$MISSING}\n",
        None,
        [(2, "node:20", None)],
    ),
    ("nested default", "ARG A\nARG B=22\nFROM node:${A:-${B}}\n", None, [(3, "node:22", None)]),
    ("undeclared with a default word", "FROM node:${V:-20}\n", None, [(1, "node:20", None)]),
    (
        "default uses an earlier ARG",
        "ARG MAJOR=3\nARG PY=python:${MAJOR}.12\nFROM $PY\n",
        None,
        [(3, "python:3.12", None)],
    ),
    ("quoted ARG default", 'ARG IMG="node:20"\nFROM $IMG\n', None, [(2, "node:20", None)]),
    (
        "quoted FROM image",
        "FROM \"node:20\"\nFROM 'alpine:3.19'\n",
        None,
        [(1, "node:20", None), (2, "alpine:3.19", None)],
    ),
    (
        "single quotes keep $ literal in ARG",
        "ARG A=x\nARG B='$A'\nARG C=${B:+node:20}\nFROM $C\n",
        None,
        [(4, "node:20", None)],
    ),
    (
        "quotes keep blanks inside one ARG word",
        'ARG B=node:20 A="x B=node:18"\nFROM $B\n',
        None,
        [(2, "node:20", None)],
    ),
    (
        "quotes inside an ARG default",
        'ARG IMG=node:"20"\nFROM $IMG\n',
        None,
        [(2, "node:20", None)],
    ),
    ("two ARGs in one instruction", "ARG A=node B=20\nFROM $A:$B\n", None, [(2, "node:20", None)]),
    (
        "a later bare ARG keeps the value",
        "ARG V=20\nARG V\nFROM node:$V\n",
        None,
        [(3, "node:20", None)],
    ),
    (
        "build arg overrides the default",
        "ARG V=20\nFROM node:$V\n",
        {"V": "22"},
        [(2, "node:22", None)],
    ),
    (
        "build arg fills an ARG without default",
        "ARG V\nFROM node:$V\n",
        {"V": "22"},
        [(2, "node:22", None)],
    ),
    (
        "undeclared build args are ignored",
        "FROM node:${V:-20}\n",
        {"V": "22"},
        [(1, "node:20", None)],
    ),
    (
        "platform ARG from a build arg",
        "FROM node:20-${TARGETARCH}\n",
        {"TARGETARCH": "amd64"},
        [(1, "node:20-amd64", None)],
    ),
    (
        "platform ARG in an ARG default",
        "ARG IMG=node:20-$TARGETARCH\nFROM $IMG\n",
        {"TARGETARCH": "arm64"},
        [(2, "node:20-arm64", None)],
    ),
    (
        "ARGs inside a stage do not reach FROM",
        "ARG V=20\nFROM node:$V AS a\nARG V=22\nFROM alpine:$V\n",
        None,
        [(2, "node:20", "a"), (4, "alpine:20", None)],
    ),
    (
        "an ARG expanding to a stage name",
        "ARG BASE=build\nFROM alpine:3.19 AS build\nFROM $BASE\n",
        None,
        [(2, "alpine:3.19", "build")],
    ),
    ("an ARG expanding to scratch", "ARG BASE=scratch\nFROM $BASE\n", None, []),
    ("a lone $ is literal", "ARG V=20\nFROM node:$V\nRUN echo $ \n", None, [(2, "node:20", None)]),
    # Heredocs
    (
        "RUN heredoc body is not instructions",
        "FROM alpine:3.19 AS build\nRUN <<EOF\nFROM evil:1\nEOF\nFROM build\nFROM node:20\n",
        None,
        [(1, "alpine:3.19", "build"), (6, "node:20", None)],
    ),
    (
        "<<- strips leading tabs from the terminator",
        "FROM a:1\nRUN <<-EOT\n\tFROM evil:1\n\tEOT\nFROM b:1\n",
        None,
        [(1, "a:1", None), (5, "b:1", None)],
    ),
    (
        "<< without - keeps tabs: an indented terminator does not end the body",
        "FROM a:1\nRUN <<EOT\n\tEOT\nFROM evil:1\nEOT\nFROM b:1\n",
        None,
        [(1, "a:1", None), (6, "b:1", None)],
    ),
    (
        "quoted terminators",
        "FROM a:1\nRUN <<\"EOF\"\nFROM evil:1\nEOF\nCOPY <<'X' /x\nFROM evil:2\nX\nFROM b:1\n",
        None,
        [(1, "a:1", None), (8, "b:1", None)],
    ),
    (
        "heredoc followed by more words",
        "FROM a:1\nRUN <<EOF cat > /x\nFROM evil:1\nEOF\nFROM b:1\n",
        None,
        [(1, "a:1", None), (5, "b:1", None)],
    ),
    (
        "two heredocs on one line, read in order",
        "FROM a:1\nCOPY <<A <<B /dst/\nFROM evil:1\nA\nFROM evil:2\nB\nFROM b:1\n",
        None,
        [(1, "a:1", None), (7, "b:1", None)],
    ),
    (
        "ADD and lowercase run carry heredocs",
        "FROM a:1\nADD <<EOF /x\nFROM evil:1\nEOF\nrun <<EOF\nFROM evil:2\nEOF\nFROM b:1\n",
        None,
        [(1, "a:1", None), (8, "b:1", None)],
    ),
    (
        "RUN flags before the heredoc",
        "FROM a:1\nRUN --mount=type=cache,target=/c <<EOF\nFROM evil:1\nEOF\nFROM b:1\n",
        None,
        [(1, "a:1", None), (5, "b:1", None)],
    ),
    (
        "ONBUILD RUN carries heredocs",
        "FROM a:1\nONBUILD RUN <<EOF\nFROM evil:1\nEOF\nFROM b:1\n",
        None,
        [(1, "a:1", None), (5, "b:1", None)],
    ),
    (
        "a continued heredoc instruction",
        "FROM a:1\nRUN \\\n  <<EOF\nFROM evil:1\nEOF\nFROM b:1\n",
        None,
        [(1, "a:1", None), (6, "b:1", None)],
    ),
    (
        "terminator with trailing blanks does not end the body",
        "FROM a:1\nRUN <<EOF\nEOF \nFROM evil:1\nEOF\nFROM b:1\n",
        None,
        [(1, "a:1", None), (6, "b:1", None)],
    ),
    (
        "exec form RUN has no heredoc",
        # parseJSON reads the first JSON value only, as Go's json.Decoder does.
        'FROM a:1\nRUN ["cat"] <<EOF\nFROM b:1\nEOF\n',
        None,
        [(1, "a:1", None), (3, "b:1", None)],
    ),
    (
        "hostile nesting in a RUN line is not a heredoc and no crash",
        "FROM a:1\nRUN " + "[" * 100000 + " " + "${A:-" * 5000 + " <<EOF\nFROM b:1\n",
        None,
        [(1, "a:1", None), (3, "b:1", None)],
    ),
    (
        "'<< EOF' with a blank is not a heredoc",
        "FROM a:1\nRUN cat << EOF\nFROM b:1\n",
        None,
        [(1, "a:1", None), (3, "b:1", None)],
    ),
    (
        "other instructions have no heredocs",
        'FROM a:1\nLABEL x="<<EOF"\nFROM b:1\n',
        None,
        [(1, "a:1", None), (3, "b:1", None)],
    ),
    (
        "'<<' inside a quoted word is not a heredoc",
        "FROM a:1\nRUN echo '<<EOF'\nFROM b:1\n",
        None,
        [(1, "a:1", None), (3, "b:1", None)],
    ),
]


@pytest.mark.parametrize(
    ("text", "build_args", "expected"),
    [pytest.param(t, a, e, id=i) for i, t, a, e in VALID],
)
def test_parse_dockerfile_valid(
    text: str, build_args: dict[str, str] | None, expected: list[tuple[int, str, str | None]]
) -> None:
    assert images(text, build_args) == expected


def test_base_image_fields() -> None:
    [image] = parse_dockerfile(
        f"ARG TAG=20\nFROM --platform=linux/amd64 node:${{TAG}}@{D1} AS Build\n"
    )
    assert image == BaseImage(
        line=2, text=f"node:20@{D1}", reference=parse_reference(f"node:20@{D1}"), stage="build"
    )
    assert image.pinned_digest == parse_digest(D1)
    assert str(image.lookup_reference) == "docker.io/library/node:20"


def test_lookup_reference_of_a_digest_only_image_is_the_image() -> None:
    [image] = parse_dockerfile(f"FROM node@{D1}\n")
    assert image.reference.tag is None
    assert image.lookup_reference == image.reference
    [unpinned] = parse_dockerfile("FROM node\n")
    assert unpinned.pinned_digest is None
    assert str(unpinned.lookup_reference) == "docker.io/library/node:latest"


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
        ["ARG V (Dockerfile line 1) has no default"],
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
    ("pattern #", "ARG V=1\nFROM node:${V#x}\n", None, InvalidInput, ["not supported"]),
    ("pattern %", "ARG V=1\nFROM node:${V%%.*}\n", None, InvalidInput, ["not supported"]),
    ("pattern /", "ARG V=1\nFROM node:${V/a/b}\n", None, InvalidInput, ["not supported"]),
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


# --------------------------------------------------------------------------------------------
# The acceptance case: current, stale, unpinned, ARG-built, stage reference, scratch

ACCEPTANCE = f"""\
# syntax=docker/dockerfile:1
ARG NODE_VERSION=20
FROM alpine:3.19@{D1} AS certs
FROM debian:12@{D2} AS tools
FROM node:${{NODE_VERSION}} AS build
RUN <<EOF
npm ci
EOF
FROM build AS test
FROM python:3.12
FROM scratch
COPY --from=certs /etc/ssl /etc/ssl
"""

CURRENT = {
    "docker.io/library/alpine:3.19": parse_digest(D1),  # pinned D1, current D1
    "docker.io/library/debian:12": parse_digest(D3),  # pinned D2, current D3
    "docker.io/library/node:20": parse_digest(D1),
    "docker.io/library/python:3.12": parse_digest(D2),
}


def test_acceptance_four_entries_with_statuses() -> None:
    found = parse_dockerfile(ACCEPTANCE)
    statuses = [status_of(i, CURRENT[str(i.lookup_reference)]) for i in found]
    assert [(s.image.line, s.image.text, s.status) for s in statuses] == [
        (3, f"alpine:3.19@{D1}", "current"),
        (4, f"debian:12@{D2}", "stale"),
        (5, "node:20", "unpinned"),
        (10, "python:3.12", "unpinned"),
    ]
    output = base_images_output(statuses)
    assert output[1] == {
        "reference": "docker.io/library/debian:12",
        "image": f"debian:12@{D2}",
        "line": 4,
        "pinned-digest": D2,
        "current-digest": D3,
        "status": "stale",
        "pinned": f"docker.io/library/debian:12@{D3}",
    }
    assert output[2] == {
        "reference": "docker.io/library/node:20",
        "image": "node:20",
        "line": 5,
        "pinned-digest": None,
        "current-digest": D1,
        "status": "unpinned",
        "pinned": f"docker.io/library/node:20@{D1}",
    }
    assert json.loads(json.dumps(output)) == output


# --------------------------------------------------------------------------------------------
# status_of and the output


def _image(text: str) -> BaseImage:
    return BaseImage(line=1, text=text, reference=parse_reference(text))


@pytest.mark.parametrize(
    ("text", "current", "status"),
    [
        (f"node:20@{D1}", D1, "current"),
        (f"node:20@{D1}", D2, "stale"),
        (f"node:20@{D1}", None, "stale"),
        ("node:20", D1, "unpinned"),
        ("node:20", None, "unpinned"),
        (f"node@{D1}", D1, "current"),
    ],
)
def test_status_of(text: str, current: str | None, status: str) -> None:
    digest = parse_digest(current) if current else None
    result = status_of(_image(text), digest)
    assert result == BaseImageStatus(image=_image(text), current_digest=digest, status=status)  # type: ignore[arg-type]


def test_status_must_be_known() -> None:
    with pytest.raises(ValueError, match="'fresh' is not one of"):
        BaseImageStatus(image=_image("node:20"), current_digest=None, status="fresh")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "current", "expected"),
    [
        (
            f"ghcr.io/org/app:1@{D1}",
            D2,
            {
                "reference": "ghcr.io/org/app:1",
                "image": f"ghcr.io/org/app:1@{D1}",
                "line": 1,
                "pinned-digest": D1,
                "current-digest": D2,
                "status": "stale",
                "pinned": f"ghcr.io/org/app:1@{D2}",
            },
        ),
        (
            "node:20",
            None,
            {
                "reference": "docker.io/library/node:20",
                "image": "node:20",
                "line": 1,
                "pinned-digest": None,
                "current-digest": None,
                "status": "unpinned",
                "pinned": None,
            },
        ),
        (
            f"node@{D1}",
            D1,
            {
                "reference": "docker.io/library/node",
                "image": f"node@{D1}",
                "line": 1,
                "pinned-digest": D1,
                "current-digest": D1,
                "status": "current",
                "pinned": f"docker.io/library/node@{D1}",
            },
        ),
    ],
)
def test_base_images_output(text: str, current: str | None, expected: dict[str, object]) -> None:
    digest: Digest | None = parse_digest(current) if current else None
    assert base_images_output([status_of(_image(text), digest)]) == [expected]
    assert base_images_output([]) == []


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
