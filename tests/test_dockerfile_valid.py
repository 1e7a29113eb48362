"""Tests for hubaction.dockerfile: the base images of valid Dockerfiles.

The expected results follow BuildKit's Dockerfile frontend (parser.go, split_command.go,
line_parsers.go, directives.go, instructions/parse.go, shell/lex.go, dockerfile2llb/convert.go)
and the Dockerfile reference; each case says which rule it pins down.
"""

from __future__ import annotations

import pytest
from dockerfile_cases import D1, images

from hubaction.dockerfile import BaseImage, parse_dockerfile
from hubaction.oci.platform import parse_platform
from hubaction.oci.reference import parse_digest, parse_reference

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
        [(1, "docker/dockerfile:1", None), (3, "a:1", "x")],
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
    # lex.go trimPrefix / trimSuffix / the replacement forms, as BuildKit applies them to FROM.
    ("%% longest suffix", "ARG V=20.1.2\nFROM node:${V%%.*}\n", None, [(2, "node:20", None)]),
    ("% shortest suffix", "ARG V=20.1.2\nFROM node:${V%.*}\n", None, [(2, "node:20.1", None)]),
    ("# shortest prefix", "ARG V=x-20\nFROM node:${V#*-}\n", None, [(2, "node:20", None)]),
    ("/ replaces", "ARG V=20_1\nFROM node:${V/_/.}\n", None, [(2, "node:20.1", None)]),
    ("// replaces all", "ARG V=a_b_c\nFROM ${V//_/-}\n", None, [(2, "a-b-c", None)]),
    (
        "+ of a platform ARG: set by BuildKit, so the word",
        "FROM node:20${TARGETVARIANT+-slim}\n",
        None,
        [(1, "node:20-slim", None)],
    ),
    (
        "- of an ARG without default: unset, so the word",
        "ARG V\nFROM node:${V-20}\n",
        None,
        [(2, "node:20", None)],
    ),
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
        'FROM a:1\nRUN ["cat"] <<EOF\nFROM b:1\nRUN true\n',
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
        # parser_heredoc_test.go TestHeredocsFromLine "RUN << -EOF" (BuildKit 73ed6825).
        "'<< EOF' with a blank is a heredoc",
        "FROM a:1\nRUN cat << EOF\nFROM evil:1\nEOF\nFROM b:1\n",
        None,
        [(1, "a:1", None), (5, "b:1", None)],
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
        line=2,
        text=f"node:20@{D1}",
        reference=parse_reference(f"node:20@{D1}"),
        stage="build",
        platform=parse_platform("linux/amd64"),
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
