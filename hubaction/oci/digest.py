"""Content digests, ``algorithm:hex``, as in OCI descriptors and ``name@digest`` references.

Pure; every malformed digest raises :class:`~hubaction.errors.InvalidDigest` naming the problem.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from hubaction.errors import InvalidDigest
from hubaction.oci.wire import quote_bounded

__all__ = ["REGISTERED_ALGORITHMS", "Digest", "is_image_id", "parse_digest"]

# OCI image-spec descriptor.md: algorithm-component ([.+_-] algorithm-component)*.
_ALGORITHM_RE = re.compile(r"[a-z0-9]+(?:[.+_-][a-z0-9]+)*")
# distribution/reference: any other algorithm is at least 32 hex digits, either case.
_ANY_HEX_RE = re.compile(r"[a-fA-F0-9]{32,}")
_LOWER_HEX_RE = re.compile(r"[a-f0-9]+")
# Algorithms whose encoded length is fixed and registered (OCI image-spec): lowercase hex only.
_HEX_LENGTHS = {"sha256": 64, "sha512": 128}
REGISTERED_ALGORITHMS = frozenset(_HEX_LENGTHS)
"""The algorithms the OCI image-spec registers, and the only ones hubaction can verify."""

# `docker` calls a bare 64-hex string an image ID.
_IMAGE_ID_RE = re.compile(r"[a-f0-9]{64}")


def is_image_id(text: str) -> bool:
    """Whether ``text`` is 64 lowercase hex digits: a sha256 hash without its ``sha256:``."""
    return _IMAGE_ID_RE.fullmatch(text) is not None


def _algorithm_problem(algorithm: str) -> str | None:
    """Why ``algorithm`` is not a digest algorithm, or None when it is."""
    if not algorithm:
        return "the algorithm before ':' is empty; expected e.g. 'sha256'"
    if _ALGORITHM_RE.fullmatch(algorithm):
        return None
    if _ALGORITHM_RE.fullmatch(algorithm.lower()):
        lower = quote_bounded(algorithm.lower())
        return f"the algorithm {quote_bounded(algorithm)} must be lowercase ({lower})"
    return (
        f"the algorithm {quote_bounded(algorithm)} is not valid: it is lowercase letters and "
        "digits, optionally joined by '.', '+', '_' or '-'"
    )


def _registered_hex_problem(algorithm: str, hex_part: str, expected: int) -> str | None:
    """Why ``hex_part`` is not a ``sha256`` or ``sha512`` hash, or None when it is."""
    if not _LOWER_HEX_RE.fullmatch(hex_part):
        if _LOWER_HEX_RE.fullmatch(hex_part.lower()):
            return f"{algorithm} digests are written in lowercase hex; got uppercase letters"
        return (
            f"the {algorithm} hash {quote_bounded(hex_part)} has characters other than 0-9 and a-f"
        )
    if len(hex_part) != expected:
        return (
            f"a {algorithm} hash has exactly {expected} hex digits, this one has "
            f"{len(hex_part)}; copy the whole digest"
        )
    return None


def _digest_problem(algorithm: str, hex_part: str) -> str | None:
    """Why ``algorithm:hex_part`` is not a valid digest, or None when it is."""
    problem = _algorithm_problem(algorithm)
    if problem is not None:
        return problem
    if not hex_part:
        return f"nothing follows {quote_bounded(algorithm + ':')}; expected the hex-encoded hash"
    expected = _HEX_LENGTHS.get(algorithm)
    if expected is not None:
        return _registered_hex_problem(algorithm, hex_part, expected)
    if not _ANY_HEX_RE.fullmatch(hex_part):
        return (
            f"the {quote_bounded(algorithm)} hash {quote_bounded(hex_part)} is not at least 32 hex "
            "digits "
            "(the distribution grammar for algorithms other than sha256 and sha512)"
        )
    return None


@dataclass(frozen=True)
class Digest:
    """A content digest, ``algorithm:hex``; constructing one validates it.

    ``sha256`` (64 lowercase hex digits) and ``sha512`` (128) are checked exactly, as the OCI
    image-spec registers them. Other algorithms parse under the distribution reference grammar
    (``[a-fA-F0-9]{32,}``) so that such references can still be named and printed, but hubaction
    can only *verify* content against :data:`REGISTERED_ALGORITHMS`; code that hashes bodies
    must reject the rest rather than trust them.
    """

    algorithm: str
    hex: str

    def __post_init__(self) -> None:
        problem = _digest_problem(self.algorithm, self.hex)
        if problem is not None:
            shown = f"{self.algorithm}:{self.hex}"
            raise InvalidDigest(f"invalid digest {quote_bounded(shown)}: {problem}")

    def __str__(self) -> str:
        return f"{self.algorithm}:{self.hex}"


def parse_digest(text: str) -> Digest:
    """Parse ``algorithm:hex``, e.g. ``sha256:`` followed by 64 lowercase hex digits.

    Raises :class:`~hubaction.errors.InvalidDigest` naming what is wrong.
    """
    if not text:
        raise InvalidDigest(
            "digest is empty; expected 'sha256:' followed by 64 lowercase hex digits"
        )
    if text != text.strip():
        raise InvalidDigest(
            f"digest {quote_bounded(text)} has leading or trailing whitespace; remove it"
        )
    algorithm, colon, hex_part = text.partition(":")
    if not colon:
        hint = f"; if it is a sha256 hash, write 'sha256:{text}'" if is_image_id(text) else ""
        raise InvalidDigest(
            f"digest {quote_bounded(text)} has no ':'; expected algorithm:hex such as "
            f"'sha256:<64 hex digits>'{hint}"
        )
    problem = _digest_problem(algorithm, hex_part)
    if problem is not None:
        raise InvalidDigest(f"invalid digest {quote_bounded(text)}: {problem}")
    return Digest(algorithm, hex_part)
