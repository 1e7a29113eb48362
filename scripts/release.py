"""Pin action.yml's ``runs.image`` to a released image: ``docker://name:tag@sha256:<64 hex>``.

A maintainer tool run by .github/workflows/release.yml (not part of the image). It edits that
one scalar in place and keeps every other byte of the file, so the release commit's diff is one
line. Exit codes: 0 done, 1 the file has no single ``runs:`` ``image:`` line, 2 bad usage or
image.

    python scripts/release.py ghcr.io/owner/hubaction:1.2.3 sha256:<64 hex>
    python scripts/release.py ghcr.io/owner/hubaction:1.2.3@sha256:<64 hex>
    python scripts/release.py --check        # print the current runs.image
"""

from __future__ import annotations

import argparse
import re
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from hubaction.errors import InvalidReference  # noqa: E402
from hubaction.oci.reference import Reference, parse_digest, parse_reference  # noqa: E402

DOCKER_SCHEME = "docker://"

# Top-level `runs:` opening a block mapping (a flow mapping `runs: {...}` is refused).
_RUNS_RE = re.compile(r"runs:[ \t]*(?:#.*)?\r?")
# Any `image` key, to count them before checking that the one found is a one-line scalar.
_IMAGE_KEY_RE = re.compile(r"(?P<indent>[ ]*)image[ \t]*:(?:[ \t].*)?\r?")
# `image: <scalar>` with an optional comment: single-quoted ('' escapes a quote), double-quoted
# without backslash escapes, or plain (YAML 1.2: a ` #` starts a comment, a plain scalar
# cannot start with an indicator).
_IMAGE_LINE_RE = re.compile(
    r"(?P<head>[ ]+image:[ \t]+)"
    r"(?P<value>'(?:[^'\r]|'')*'|\"[^\"\\\r]*\"|[^\s'\"#&*!|>%@`{}\[\],?:-][^\r]*?)"
    r"(?P<tail>(?:[ \t]+#[^\r]*)?[ \t]*\r?)"
)


class ReleaseError(Exception):
    """The action file cannot be edited safely; the message says why."""


@dataclass(frozen=True)
class ImageLine:
    """The one ``runs.image`` line: its index in ``text.split('\\n')`` and its parts."""

    index: int
    head: str
    value: str
    tail: str

    @property
    def image(self) -> str:
        """The scalar's value, quotes removed."""
        if self.value.startswith("'"):
            return self.value[1:-1].replace("''", "'")
        if self.value.startswith('"'):
            return self.value[1:-1]
        return self.value

    def with_image(self, image: str) -> str:
        """This line with ``image`` in place of the value, in the same quoting style."""
        quote = self.value[0] if self.value[0] in "'\"" else ""
        return f"{self.head}{quote}{image}{quote}{self.tail}"


def parse_image(name_and_tag: str, digest: str | None = None) -> Reference:
    """``name:tag@sha256:<64 hex>`` (or ``name:tag`` and a digest) as a Reference.

    One leading ``docker://`` is accepted, so ``--check``'s output can be given back. Raises
    InvalidReference (InvalidDigest for the digest) naming what is wrong.
    """
    text = name_and_tag.removeprefix(DOCKER_SCHEME)
    if text.startswith(DOCKER_SCHEME):
        raise InvalidReference(f"{name_and_tag!r} has {DOCKER_SCHEME!r} more than once")
    if digest is not None:
        if "@" in text:
            raise InvalidReference(
                f"{name_and_tag!r} already has a digest; give either name:tag and a digest, "
                "or name:tag@sha256:<64 hex> alone"
            )
        text = f"{text}@{parse_digest(digest)}"
    reference = parse_reference(text, default_tag=None)
    if reference.tag is None:
        raise InvalidReference(
            f"{text!r} has no tag; the release image is name:tag@sha256:<64 hex>, so that "
            "the tag says which version the digest is"
        )
    if reference.digest is None or reference.digest.algorithm != "sha256":
        raise InvalidReference(
            f"{text!r} is not pinned by a sha256 digest; expected name:tag@sha256:<64 hex>"
        )
    return reference


def find_image_line(text: str) -> ImageLine:
    """The ``image:`` line directly under the one top-level ``runs:``; ReleaseError if the
    file does not have exactly one of each, or the value is not a one-line scalar."""
    lines = text.split("\n")
    runs = [index for index, line in enumerate(lines) if _RUNS_RE.fullmatch(line)]
    if len(runs) != 1:
        raise ReleaseError(f"expected one top-level 'runs:' block line, found {len(runs)}")
    block = _block_lines(lines, runs[0] + 1)
    indent = _child_indent(lines, block)
    keys = [
        index
        for index in block
        if (key := _IMAGE_KEY_RE.fullmatch(lines[index])) and len(key["indent"]) == indent
    ]
    if len(keys) != 1:
        raise ReleaseError(f"expected one 'image:' line in the 'runs:' block, found {len(keys)}")
    match = _IMAGE_LINE_RE.fullmatch(lines[keys[0]])
    if match is None:
        raise ReleaseError(
            f"line {keys[0] + 1}: 'image:' is not followed by a one-line scalar "
            f"(plain, or quoted without escapes): {lines[keys[0]].rstrip()!r}"
        )
    return ImageLine(keys[0], match["head"], match["value"], match["tail"])


def _block_lines(lines: list[str], start: int) -> range:
    """Indices of the lines after ``runs:`` up to the next line that starts in column 0."""
    end = start
    while end < len(lines) and (not lines[end].strip() or lines[end][0] in " #"):
        end += 1
    return range(start, end)


def _child_indent(lines: list[str], block: range) -> int:
    """The indentation of the block's keys: that of its first line that is not blank or a
    comment (deeper lines belong to nested values such as ``env:``)."""
    for index in block:
        stripped = lines[index].lstrip(" ")
        if stripped.strip() and not stripped.startswith("#"):
            return len(lines[index]) - len(stripped)
    raise ReleaseError("the 'runs:' block is empty")


def pin(text: str, image: Reference) -> str:
    """``text`` with ``runs.image`` set to ``docker://<image>``, every other byte kept."""
    line = find_image_line(text)
    lines = text.split("\n")
    lines[line.index] = line.with_image(f"{DOCKER_SCHEME}{image}")
    return "\n".join(lines)


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="scripts/release.py", description="Pin action.yml's runs.image to a release image."
    )
    parser.add_argument("image", nargs="?", help="name:tag@sha256:<64 hex>, or name:tag")
    parser.add_argument("digest", nargs="?", help="sha256:<64 hex>, when IMAGE has none")
    parser.add_argument("--file", type=Path, default=ROOT / "action.yml", help="action.yml")
    parser.add_argument("--check", action="store_true", help="print runs.image and exit")
    arguments = parser.parse_args(argv)
    if arguments.check == (arguments.image is not None):
        parser.error("give IMAGE [DIGEST] to pin, or --check alone")
    return arguments


def main(argv: list[str] | None = None) -> int:
    arguments = _arguments(argv)
    path: Path = arguments.file
    try:
        text = path.read_bytes().decode("utf-8")
        if arguments.check:
            print(find_image_line(text).image)
            return 0
        image = parse_image(arguments.image, arguments.digest)
        path.write_bytes(pin(text, image).encode("utf-8"))
    except InvalidReference as error:
        print(f"release.py: {error}", file=sys.stderr)
        return 2
    except (OSError, UnicodeError, ReleaseError) as error:
        print(f"release.py: {path}: {error}", file=sys.stderr)
        return 1
    print(f"{path}: runs.image: {DOCKER_SCHEME}{image}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
