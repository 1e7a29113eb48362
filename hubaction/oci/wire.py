"""Parsers for the raw values registries and Docker Hub send: JSON documents, decimal counts
in headers, secrets scrubbed from the text they echo back, and that text quoted at a bounded
length in messages.

Written once here because every client needs them and each copy used to differ slightly.
"""

from __future__ import annotations

import json
import re
import reprlib
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


# A bearer token the run will send and mask. RFC 6750 §2.1 b64token; shorter ones are refused
# because masking "|" or "sha256" would garble every table and digest (the runner also drops
# outputs containing a masked value); longer ones because a registry could make the run hold
# (and mask) megabytes per request. Real tokens (JWTs, Docker Hub's) are 100 to 4000 characters.
MIN_TOKEN_LENGTH = 16
MAX_TOKEN_LENGTH = 64 * 1024
_B64TOKEN_RE = re.compile(r"[A-Za-z0-9._~+/-]+=*", re.ASCII)


def plausible_token(text: str) -> bool:
    """Whether ``text`` is a token worth sending and masking: an RFC 6750 b64token of
    :data:`MIN_TOKEN_LENGTH` to :data:`MAX_TOKEN_LENGTH` characters."""
    return (
        MIN_TOKEN_LENGTH <= len(text) <= MAX_TOKEN_LENGTH
        and _B64TOKEN_RE.fullmatch(text) is not None
    )


# How much of a registry's value a message quotes: one platform error line was 3 MB.
QUOTE_LIMIT = 200
# What quote_bounded() may add to the cut quote: " (truncated, <count> characters)".
QUOTE_SUFFIX_LIMIT = 40


def quote_bounded(text: str, limit: int = QUOTE_LIMIT) -> str:
    """``repr(text)`` when that is at most ``limit`` characters, else the repr of a prefix
    that fits, followed by ``(truncated, N characters)``.

    One line whatever ``text`` holds (``repr`` escapes newlines and controls), so a message
    quoting registry data stays readable. Redact secrets *before* calling this: a cut secret
    can no longer be found to be masked.
    """
    shown = repr(text[: limit + 1])
    if len(text) <= limit and len(shown) <= limit:
        return shown
    # Escapes make the repr longer than the text (up to 10 characters for one), so shrink
    # the prefix until its repr fits; each round cuts it in proportion, a few rounds at most.
    keep = min(len(text), limit)
    while keep > 0 and len(shown := repr(text[:keep])) > limit:
        keep = min(keep - 1, keep * limit // len(shown))
    return f"{shown} (truncated, {len(text)} characters)"


_VALUE_REPR = reprlib.Repr()
_VALUE_REPR.maxlevel = 3
_VALUE_REPR.maxstring = QUOTE_LIMIT // 2
_VALUE_REPR.maxother = QUOTE_LIMIT // 2


def show_bounded(value: object, limit: int = QUOTE_LIMIT) -> str:
    """Any decoded JSON value as a bounded one-line repr; strings as :func:`quote_bounded`.

    ``reprlib`` keeps a huge or deep list or object cheap to show (``[1, 2, ...]``), and the
    result is cut to ``limit`` as a last resort.
    """
    if isinstance(value, str):
        return quote_bounded(value, limit)
    shown = _VALUE_REPR.repr(value)
    return shown if len(shown) <= limit else shown[: limit - 3] + "..."
