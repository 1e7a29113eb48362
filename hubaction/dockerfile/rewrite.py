"""New pins written into a Dockerfile's text, every other byte kept (issue 17 §2).

Pure: the text in, the text out. The places come from :func:`~hubaction.dockerfile.bases.
base_image_sites` (the reader's lines), never from a second parse: an image is edited where its
word is written, in its ``FROM`` instruction's own lines (continuation lines included, comment
lines among them skipped) or in the ``# syntax=`` directive. Only that word changes: tags,
flags, stage names, comments, continuations, blank space, ``\\r\\n`` endings and a BOM stay.

What is not written in the file is left alone, with a reason: a pin whose digest comes from an
ARG (``ARG BASE=node@sha256:...`` then ``FROM $BASE``: the ARG may be overridden or shared, so
the digest is updated where it is written, by hand), an unpinned image whose name uses ARGs or
quotes, a word split across continuation lines, the ``BUILDKIT_SYNTAX`` build arg.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from hubaction.dockerfile.bases import BaseImageSite, base_image_sites
from hubaction.dockerfile.reader import is_comment, scan_lines
from hubaction.oci.reference import Digest, Reference

# What ends a word of a FROM line: line_parsers.go tokenWhitespace, and the line's end.
_BLANK = "\t\v\f\r\n "
_FIRST_WORD = re.compile(r"[\t\v\f\r ]*[^\t\v\f\r\n ]+")


@dataclass(frozen=True)
class Edit:
    """One word rewritten on 1-based ``line``: ``old`` and ``new`` as written."""

    line: int
    old: str
    new: str


@dataclass(frozen=True)
class Skip:
    """An image on ``line`` that was to be pinned but is not written so it can be: ``reason``."""

    line: int
    image: str
    reason: str


@dataclass(frozen=True)
class Rewrite:
    """The new text, what changed, and what could not be."""

    text: str
    edits: tuple[Edit, ...]
    skipped: tuple[Skip, ...]

    @property
    def changed(self) -> bool:
        return bool(self.edits)


def rewrite_pins(
    text: str,
    pins: Mapping[Reference, Digest],
    *,
    build_args: Mapping[str, str] | None = None,
    path: str = "Dockerfile",
) -> Rewrite:
    """``text`` with each base image of ``pins`` (keyed by the image's reference as parsed,
    pin included) pinned to its digest: a written pin's digest is replaced, an unpinned image
    gets ``@digest`` after its name. Every place the image is named is edited; pinning an image
    to the digest it has changes nothing, so running it again is a no-op.

    Raises what :func:`~hubaction.dockerfile.bases.parse_dockerfile` raises for ``text``.
    """
    lines = scan_lines(text)
    edits: list[Edit] = []
    skipped: list[Skip] = []
    for site in base_image_sites(text, build_args=build_args, path=path):
        new = pins.get(site.image.reference)
        if new is None or new == site.image.pinned_digest:
            continue
        word, reason = _new_word(site, new)
        if word is not None:
            reason = _replace(lines, site, word)
        if reason is None:
            edits.append(Edit(site.line, site.word, str(word)))
        else:
            skipped.append(Skip(site.line, site.image.text, reason))
    return Rewrite("".join(lines), tuple(edits), tuple(skipped))


def _new_word(site: BaseImageSite, new: Digest) -> tuple[str | None, str | None]:
    """``(the word with the new pin, None)``, or ``(None, why not)``."""
    if site.line == 0:
        return None, "the frontend comes from the BUILDKIT_SYNTAX build arg, not from the file"
    old = site.image.pinned_digest
    if old is not None:
        if str(old) not in site.word:
            return None, (
                f"its digest comes from an ARG ({site.word}): update the digest where the ARG "
                "is set"
            )
        return site.word.replace(str(old), str(new)), None
    if site.word != site.image.text:
        return None, f"its name uses ARGs or quotes ({site.word}): pin it where the ARG is set"
    return f"{site.word}@{new}", None


def _replace(lines: list[str], site: BaseImageSite, new: str) -> str | None:
    """Replace the first whole ``site.word`` after the instruction's command in its lines (after
    the ``=`` of a directive); None when done, else why not."""
    for number in range(site.line, site.end_line + 1):
        line = lines[number - 1]
        if number == site.line:
            start = _after_keyword(line, site)
        elif is_comment(line):
            continue
        else:
            start = 0
        at = _find_word(line, site.word, start, directive=site.image.kind == "syntax")
        if at >= 0:
            lines[number - 1] = line[:at] + new + line[at + len(site.word) :]
            return None
    return f"its name ({site.word}) is split across lines"


def _after_keyword(line: str, site: BaseImageSite) -> int:
    if site.image.kind == "syntax":
        return line.index("=") + 1
    # The command (a BOM before it on the first line is part of this word).
    match = _FIRST_WORD.match(line)
    assert match is not None  # the reader found an instruction on this line
    return match.end()


def _find_word(line: str, word: str, start: int, *, directive: bool) -> int:
    """Where ``word`` stands alone (blanks, or a directive's ``=``, around it), or -1."""
    at = line.find(word, start)
    while at >= 0:
        before = line[at - 1] if at > start else " "
        after = line[at + len(word) : at + len(word) + 1] or " "
        if (before in _BLANK or (directive and before == "=")) and after in _BLANK:
            return at
        at = line.find(word, at + 1)
    return -1
