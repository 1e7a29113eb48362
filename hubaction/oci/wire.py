"""Parsers for the raw values registries and Docker Hub send: JSON documents, decimal counts
in headers, secrets scrubbed from the text they echo back, and that text quoted at a bounded
length in messages.

Written once here because every client needs them and each copy used to differ slightly.
"""

from __future__ import annotations

import json
import re
import reprlib
import threading
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


def _repr_bodies(secret: str) -> tuple[str, ...]:
    """How ``secret`` reads inside the ``repr()`` of a longer text. ``repr`` escapes per
    character, and ``'`` only when it quotes with ``'``: when the secret holds ``'`` but no
    ``"``, a longer text's repr may use either quote."""
    body = repr(secret)[1:-1]
    if repr(secret).startswith('"'):  # a ' inside and no ": the text may have a " too
        return body, body.replace("'", "\\'")
    return (body,)


# urllib.parse.quote's always-safe characters (RFC 3986 unreserved).
_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-~")


def _percent_encodings(secret: str) -> set[str]:
    """``quote(secret, safe="")``, ``quote(secret)`` and ``quote_plus(secret)``. For ASCII,
    by one ``str.replace`` per character to escape (C speed: a 1 MiB token in milliseconds,
    where ``quote`` makes a Python call per byte); the same text ``quote`` gives."""
    if not secret.isascii():
        from urllib.parse import quote, quote_plus  # not an HTTP library: text only

        return {
            quote(secret, safe="", errors="surrogatepass"),
            quote(secret, errors="surrogatepass"),
            quote_plus(secret, errors="surrogatepass"),
        }
    # '%' first (escaping it later would escape the escapes), ' ' last (quote_plus's '+').
    special = sorted(set(secret) - _UNRESERVED, key=lambda c: (c != "%", c == " "))

    def encode(keep: str, plus: bool = False) -> str:
        text = secret
        for c in special:
            if c not in keep:
                text = text.replace(c, "+" if plus and c == " " else f"%{ord(c):02X}")
        return text

    return {encode(""), encode("/"), encode("", plus=True)}


def secret_forms(secret: str, *, min_length: int = MIN_SCRUB_LENGTH) -> frozenset[str]:
    """``secret`` and the forms it takes in the text we print (issue 13 §3): stripped,
    whitespace folded (as ``" ".join(text.split())``), inside a ``repr()`` or a JSON string
    (backslashes doubled, controls escaped), percent-encoded as in a URL or a query. Forms
    shorter than ``min_length`` are left out."""
    forms = {
        secret,
        secret.strip(),
        " ".join(secret.split()),
        *_repr_bodies(secret),
        json.dumps(secret)[1:-1],
        json.dumps(secret, ensure_ascii=False)[1:-1],
        *_percent_encodings(secret),
    }
    return frozenset(form for form in forms if len(form) >= min_length)


def _covered(text: str, forms: Iterable[str]) -> list[tuple[int, int]]:
    """The spans of ``text`` that any of ``forms`` covers, merged, in order.

    One C-level ``str.find`` scan per form (no regex: compiling an alternation of a few
    thousand characters is slow and the compiled pattern takes many times its size), and
    overlapping occurrences count too, so a secret that overlaps itself or another is hidden
    whole; no ordering of the forms is needed.
    """
    spans: list[tuple[int, int]] = []
    for form in forms:
        start = text.find(form)
        while start != -1:
            end = start + len(form)
            if spans and spans[-1][1] >= start and spans[-1][0] <= start:
                spans[-1] = (spans[-1][0], max(spans[-1][1], end))  # a run of overlaps
            else:
                spans.append((start, end))
            start = text.find(form, start + 1)
    spans.sort()
    merged: list[tuple[int, int]] = []
    for start, end in spans:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _replace_spans(text: str, spans: list[tuple[int, int]], mask: str) -> str:
    pieces: list[str] = []
    done = 0
    for start, end in spans:
        pieces += (text[done:start], mask)
        done = end
    pieces.append(text[done:])
    return "".join(pieces)


class SecretSet:
    """Secrets to hide from what is printed, with their :func:`secret_forms`; thread-safe.

    Adding a secret costs its forms (a few times its length) and nothing else: no pattern is
    rebuilt, so registering N tokens is linear. :meth:`scrub` costs one ``str.find`` scan of
    the text per form, and memory for the spans it hides.
    """

    def __init__(self, *, min_length: int = MIN_SCRUB_LENGTH) -> None:
        self._min_length = min_length
        self._lock = threading.Lock()
        self._secrets: set[str] = set()
        self._forms: frozenset[str] = frozenset()

    def add(self, secret: str) -> bool:
        """Remember ``secret`` (when at least ``min_length`` long); whether it is new."""
        if len(secret.strip()) < self._min_length:
            return False
        with self._lock:
            if secret in self._secrets:
                return False
            self._secrets.add(secret)
            self._forms = self._forms | secret_forms(secret, min_length=self._min_length)
            return True

    def forms(self) -> frozenset[str]:
        """Every form of every secret, as one snapshot."""
        with self._lock:
            return self._forms

    def __len__(self) -> int:
        with self._lock:
            return len(self._secrets)

    def clear(self) -> None:
        """Forget every secret (for tests: each starts with none known)."""
        with self._lock:
            self._secrets.clear()
            self._forms = frozenset()

    def scrub(self, text: str, mask: str = "***") -> str:
        """``text`` with every form of every secret replaced by ``mask``."""
        return _scrub_forms(text, self.forms(), mask)


def _scrub_forms(text: str, forms: Iterable[str], mask: str) -> str:
    spans = _covered(text, forms)
    return _replace_spans(text, spans, mask) if spans else text


#: The secrets of this run: every password, Basic token and token the run holds is added
#: where it enters (credentials when sent, the token flows, the toolkit's mask), so that
#: everything quoting outside text (:func:`quote_bounded`, the registry's error messages, the
#: summary, the CLI's lines) scrubs them *before* it folds, escapes or cuts the text: a cut
#: secret, or one with its spaces folded or its backslashes doubled, can no longer be found.
#: Secrets shorter than 8 characters are not known: as the toolkit's masking rule, text that
#: short is ordinary text, and hiding it would garble messages.
KNOWN_SECRETS = SecretSet(min_length=8)


def remember_secret(secret: str) -> None:
    """Add ``secret`` to :data:`KNOWN_SECRETS`."""
    KNOWN_SECRETS.add(secret)


def holds_secret(text: str) -> bool:
    """Whether ``text`` (a URL's path segment or query value), or its percent-decoding up to
    three layers deep, holds a known secret: encoders differ in what they escape, and a
    proxy may have encoded the text once more, so matching encoded forms is not enough."""
    from urllib.parse import unquote, unquote_plus

    layers = [text]
    for _ in range(3):
        layers += [unquote(layers[-1]), unquote_plus(layers[-1])]
    return any(scrub(layer) != layer for layer in set(layers))


def scrub(text: str, secrets: Iterable[str] = (), *, mask: str = "***") -> str:
    """``text`` with every known secret (:data:`KNOWN_SECRETS`) and every one of ``secrets``
    (at least :data:`MIN_SCRUB_LENGTH` characters), in each of their :func:`secret_forms`,
    replaced by ``mask``; overlapping secrets are hidden whole.

    Call it on the raw text, before folding whitespace, ``repr()`` or cutting; again after
    them is cheap and catches a secret that folding or escaping made.
    """
    forms = KNOWN_SECRETS.forms()
    extra = [s for s in secrets if len(s.strip()) >= MIN_SCRUB_LENGTH]
    if extra:
        forms = forms.union(*(secret_forms(s) for s in extra))
    return _scrub_forms(text, forms, mask) if forms else text


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
    quoting registry data stays readable. Known secrets (:func:`scrub`) are hidden first, so
    the cut can leave no part of one (N counts the characters before scrubbing).
    """
    size = len(text)
    text = scrub(text)
    shown = scrub(repr(text[: limit + 1]))
    if len(text) <= limit and len(shown) <= limit:
        return shown
    # Escapes make the repr longer than the text (up to 10 characters for one), so shrink
    # the prefix until its repr fits; each round cuts it in proportion, a few rounds at most.
    keep = min(len(text), limit)
    while keep > 0 and len(shown := scrub(repr(text[:keep]))) > limit:
        keep = min(keep - 1, keep * limit // len(shown))
    return f"{shown} (truncated, {size} characters)"


class _ScrubbingRepr(reprlib.Repr):
    """``reprlib`` cuts long strings to their start: known secrets are hidden before."""

    def repr_str(self, x: str, level: int) -> str:
        return super().repr_str(scrub(x), level)


_VALUE_REPR = _ScrubbingRepr()
_VALUE_REPR.maxlevel = 3
_VALUE_REPR.maxstring = QUOTE_LIMIT // 2
_VALUE_REPR.maxother = QUOTE_LIMIT // 2


def show_bounded(value: object, limit: int = QUOTE_LIMIT) -> str:
    """Any decoded JSON value as a bounded one-line repr; strings as :func:`quote_bounded`.

    ``reprlib`` keeps a huge or deep list or object cheap to show (``[1, 2, ...]``), and the
    result is cut to ``limit`` as a last resort; known secrets are hidden before any cut.
    """
    if isinstance(value, str):
        return quote_bounded(value, limit)
    shown = scrub(_VALUE_REPR.repr(value))
    return shown if len(shown) <= limit else shown[: limit - 3] + "..."
