"""``rewrite_pins``: new digests written where the reader found the images, every other byte of
the text kept (issue 17 §2)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hubaction.dockerfile import parse_dockerfile
from hubaction.dockerfile.rewrite import Edit, rewrite_pins
from hubaction.oci.reference import Digest, Reference, parse_digest

OLD = "sha256:" + "1" * 64
NEW = "sha256:" + "2" * 64
D_NEW = parse_digest(NEW)


def _all(text: str, digest: Digest = D_NEW) -> dict[Reference, Digest]:
    """Every base image of ``text`` to be pinned to ``digest``."""
    return {image.reference: digest for image in parse_dockerfile(text)}


# (id, before, after): every base image pinned to NEW.
CASES = [
    ("a pin", f"FROM node:20@{OLD}\n", f"FROM node:20@{NEW}\n"),
    ("unpinned gets a pin", "FROM node:20 AS b\n", f"FROM node:20@{NEW} AS b\n"),
    ("lowercase command", f"from node@{OLD} as b\n", f"from node@{NEW} as b\n"),
    (
        "flags and blanks",
        f"FROM\t--platform=linux/arm64  node@{OLD}  AS  b \n",
        f"FROM\t--platform=linux/arm64  node@{NEW}  AS  b \n",
    ),
    ("an image named like the command", "from from\n", f"from from@{NEW}\n"),
    ("an image named like its stage", "FROM app AS app\n", f"FROM app@{NEW} AS app\n"),
    (
        "CRLF and a BOM",
        f"\ufeffFROM a@{OLD}\r\nFROM b\r\n",
        f"\ufeffFROM a@{NEW}\r\nFROM b@{NEW}\r\n",
    ),
    ("no final newline", f"FROM a@{OLD}", f"FROM a@{NEW}"),
    (
        "a continuation with a comment naming the pin",
        f"FROM --platform=linux/amd64 \\\n  # was a@{OLD}\n  a@{OLD} \\\n  AS x\n",
        f"FROM --platform=linux/amd64 \\\n  # was a@{OLD}\n  a@{NEW} \\\n  AS x\n",
    ),
    (
        "the escape directive's backtick",
        f"# escape=`\nFROM `\n  a@{OLD}\n",
        f"# escape=`\nFROM `\n  a@{NEW}\n",
    ),
    (
        "a heredoc body is no FROM",
        f"FROM a@{OLD}\nRUN <<EOF\nFROM a@{OLD}\nEOF\n",
        f"FROM a@{NEW}\nRUN <<EOF\nFROM a@{OLD}\nEOF\n",
    ),
    (
        "an image named twice",
        f"FROM a@{OLD}\nFROM a@{OLD} AS b\n",
        f"FROM a@{NEW}\nFROM a@{NEW} AS b\n",
    ),
    (
        "a literal pin after an ARG name",
        f"ARG R=ghcr.io\nFROM ${{R}}/o/a:1@{OLD}\n",
        f"ARG R=ghcr.io\nFROM ${{R}}/o/a:1@{NEW}\n",
    ),
    (
        "the syntax directive",
        f"#syntax = docker/dockerfile:1@{OLD} extra\nFROM scratch\n",
        f"#syntax = docker/dockerfile:1@{NEW} extra\nFROM scratch\n",
    ),
    (
        "stages and scratch",
        "FROM a AS s\nFROM s\nFROM scratch\n",
        f"FROM a@{NEW} AS s\nFROM s\nFROM scratch\n",
    ),
]


@pytest.mark.parametrize(("before", "after"), [pytest.param(b, a, id=i) for i, b, a in CASES])
def test_rewrite(before: str, after: str) -> None:
    rewrite = rewrite_pins(before, _all(before))
    assert rewrite.text == after
    assert rewrite.skipped == ()
    assert rewrite.changed
    # Idempotent: the new text's images all have the new pin already.
    assert rewrite_pins(after, _all(after)).text == after
    assert not rewrite_pins(after, _all(after)).changed


@pytest.mark.parametrize(
    ("before", "reason"),
    [
        (f"ARG B=node@{OLD}\nFROM $B\n", "comes from an ARG"),
        ("ARG V=20\nFROM node:$V\n", "uses ARGs or quotes"),
        ('FROM "node:20"\n', "uses ARGs or quotes"),
        (f"FROM node@sha256:{'1' * 32}\\\n{'1' * 32}\n", "split across lines"),
    ],
)
def test_what_is_not_written_in_the_line_is_skipped(before: str, reason: str) -> None:
    rewrite = rewrite_pins(before, _all(before))
    assert rewrite.text == before
    [skip] = rewrite.skipped
    assert reason in skip.reason and skip.line == before.count("\n", 0, before.index("FROM")) + 1


def test_only_the_images_asked_for_change() -> None:
    text = f"FROM a@{OLD}\nFROM b@{OLD}\nFROM c\n"
    [_a, b, _c] = parse_dockerfile(text)
    rewrite = rewrite_pins(text, {b.reference: D_NEW})
    assert rewrite.text == f"FROM a@{OLD}\nFROM b@{NEW}\nFROM c\n"
    assert rewrite.edits == (Edit(2, f"b@{OLD}", f"b@{NEW}"),)
    assert rewrite_pins(text, {}).text == text


def test_the_build_arg_frontend_is_not_in_the_file() -> None:
    text = "FROM a\n"
    args = {"BUILDKIT_SYNTAX": "docker/dockerfile:1"}
    frontend = parse_dockerfile(text, build_args=args)[0]
    rewrite = rewrite_pins(text, {frontend.reference: D_NEW}, build_args=args)
    assert rewrite.text == text and "BUILDKIT_SYNTAX" in rewrite.skipped[0].reason


_HEAD = st.sampled_from(["# a comment\n", "\n", "ARG X=1\n", "  \t\n", "# é ☕\r\n"])
_TAIL = st.sampled_from(["RUN echo hi\n", "COPY a b\r\n", "FROM b AS c\n", "\n", "# x\n"])


@given(st.lists(_HEAD, max_size=6), st.lists(_TAIL, max_size=6))
def test_only_the_digest_changes(head: list[str], tail: list[str]) -> None:
    text = "".join(head) + f"FROM --platform=linux/amd64 node:20@{OLD} AS b\n" + "".join(tail)
    rewrite = rewrite_pins(text, _all(text))
    assert rewrite.text == text.replace(OLD, NEW)
