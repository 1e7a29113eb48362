"""The ``images`` input (issue 17 §7): several references, one a line, with an optional ``name=``.

::

    api=ghcr.io/o/api:1.2
    # a comment; blank lines are left out too
    node:20

Each line is parsed here, before any request: a bad line, a name given twice or too many lines
is one input error naming the line, quoting at most a bounded part of it. Pure (the CLI's
``--file`` reads the same grammar).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from hubaction.errors import InvalidInput
from hubaction.oci.reference import Reference, parse_reference
from hubaction.oci.wire import QUOTE_LIMIT, quote_bounded

#: At most this many images in one step: each costs a few requests within the run's deadline.
MAX_IMAGES = 256
# A name (255), a tag (128) and a sha512 digest (135) with their separators fit in 520, and a
# 64-character name prefix; a longer line cannot be an image and is not quoted in full.
MAX_LINE = 600
# A name is an output key: usable as `fromJSON(...).images.api` or `[...]['api-1.2']`.
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
_MAX_REASON = 2 * QUOTE_LIMIT
_EXPECTED = "a reference such as `node:20` or `name=reference` such as `api=ghcr.io/o/api:1.2`"


@dataclass(frozen=True)
class ImageLine:
    """One image of the list: its line number, its name if given, the reference as written
    and parsed. :attr:`key` is its entry's key in the ``images`` output."""

    line: int
    name: str | None
    text: str
    reference: Reference

    @property
    def key(self) -> str:
        return self.name if self.name is not None else self.text

    @property
    def label(self) -> str:
        """How a message names it: ``line 3 (api)``."""
        return f"line {self.line} ({self.key})"


def parse_image_line(number: int, line: str, *, what: str = "Input `images`") -> ImageLine:
    """One non-blank, non-comment line (already stripped)."""
    where = f"{what}, line {number}"
    if len(line) > MAX_LINE:
        raise InvalidInput(
            f"{where} is {len(line)} characters long, longer than any image reference "
            f"(at most {MAX_LINE}): {quote_bounded(line)}. Expected {_EXPECTED}"
        )
    name: str | None = None
    text = line
    if "=" in line:  # never part of a reference
        name, text = (part.strip() for part in line.split("=", 1))
        if not _NAME.fullmatch(name):
            raise InvalidInput(
                f"{where}: the name {quote_bounded(name, 80)} is not a name: use up to 64 "
                "letters, digits, `.`, `_` or `-`, starting with a letter or digit, then `=` "
                f"and the reference. Expected {_EXPECTED}"
            )
    try:
        reference = parse_reference(text)
    except InvalidInput as exc:
        reason = str(exc)  # quotes the text (its repr: one line), maybe twice: cut it short
        if len(reason) > _MAX_REASON:
            reason = f"{reason[:_MAX_REASON]}... (cut, {len(reason)} characters)"
        raise InvalidInput(f"{where}: {reason}. Expected {_EXPECTED}") from None
    return ImageLine(number, name, text, reference)


def parse_images(text: str, *, what: str = "Input `images`") -> tuple[ImageLine, ...]:
    """Every image of ``text``, in order; blank lines and ``#`` comment lines left out."""
    images: list[ImageLine] = []
    seen: dict[str, int] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if len(images) == MAX_IMAGES:
            raise InvalidInput(
                f"{what} has more than {MAX_IMAGES} images (line {number} is one too many): "
                "split them over several steps"
            )
        image = parse_image_line(number, line, what=what)
        if image.key in seen:
            raise InvalidInput(
                f"{what}, line {number}: {quote_bounded(image.key, 80)} is given already on "
                f"line {seen[image.key]}; each name (or reference without one) once"
            )
        seen[image.key] = number
        images.append(image)
    return tuple(images)
