"""Parsers for the raw values registries and Docker Hub send: JSON documents, decimal counts
in headers, and secrets scrubbed from the text they echo back.

Written once here because every client needs them and each copy used to differ slightly.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any


class NotJSON(ValueError):
    """The data is not JSON, or not the JSON type expected; ``str()`` says which, e.g.
    ``"not JSON"`` or ``"not a JSON object"``, for the caller's message."""


def load_json(data: bytes | str) -> Any:
    """The JSON document ``data`` holds (RFC 8259: UTF-8 when bytes).

    Every way the data can fail (bad UTF-8, bad JSON, ``[[[[...`` nested past the stack) is
    one :class:`NotJSON`.
    """
    try:
        return json.loads(data)
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise NotJSON("not JSON") from None


def load_object(data: bytes | str) -> dict[str, Any]:
    """The JSON object ``data`` holds; :class:`NotJSON` for anything else."""
    doc = load_json(data)
    if not isinstance(doc, dict):
        raise NotJSON("not a JSON object")
    return doc


# 18 digits keep int() cheap and below 2**63, which is more than any size or count needs.
_MAX_DIGITS = 18


def decimal_count(text: str | None) -> int | None:
    """A non-negative decimal such as a ``Content-Length`` value; ``None`` for anything else.

    ``str.isdigit()`` alone accepts ``"²"``, which ``int()`` refuses, hence ``isascii()``.
    """
    value = (text or "").strip()
    if value.isascii() and value.isdigit() and len(value) <= _MAX_DIGITS:
        return int(value)
    return None


# Very short "secrets" are left alone: replacing every "t" would garble the message, and
# no password or token worth hiding is this short.
MIN_SCRUB_LENGTH = 6


def scrub(text: str, secrets: Iterable[str], *, mask: str = "***") -> str:
    """``text`` with every secret of at least :data:`MIN_SCRUB_LENGTH` characters replaced
    by ``mask``; longest first, so a secret that contains another is hidden whole."""
    for secret in sorted(set(secrets), key=len, reverse=True):
        if len(secret) >= MIN_SCRUB_LENGTH:
            text = text.replace(secret, mask)
    return text
