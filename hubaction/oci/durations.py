"""Durations as workflows write them (``max-age: 30d``, ``wait-timeout: 10m``).

The grammar is a sequence of ``<number><unit>`` with units ``w d h m s`` from largest to
smallest, each at most once (``1d12h``, ``90s``); a bare number is seconds. Go's
``time.ParseDuration`` has no days or weeks, which are what ages are counted in, so this
grammar is our own; ``str()`` gives the canonical form (``36h`` is ``1d12h``, ``2w`` is ``14d``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

from hubaction.errors import InvalidInput

__all__ = ["Duration", "InvalidDuration", "parse_duration"]

_UNITS = (("w", 7 * 86400), ("d", 86400), ("h", 3600), ("m", 60), ("s", 1))

# Each unit at most once and in order; digits bounded so int() stays cheap (10 digits of
# weeks is already longer than any run).
_DURATION = re.compile(
    r"(?:(?P<w>[0-9]{1,10})w)?(?:(?P<d>[0-9]{1,10})d)?(?:(?P<h>[0-9]{1,10})h)?"
    r"(?:(?P<m>[0-9]{1,10})m)?(?:(?P<s>[0-9]{1,10})s)?",
    re.ASCII,
)

# timedelta's own bound (999,999,999 days) is far above this; a century is beyond any use.
_MAX_SECONDS = 100 * 366 * 86400


class InvalidDuration(InvalidInput):
    """Text is not a duration such as ``30d``, ``12h``, ``10m``, ``1d12h`` or ``90``."""

    title = "Invalid duration"


@dataclass(frozen=True, order=True)
class Duration:
    """A whole number of seconds; ``str()`` is the canonical ``9d3h4m5s`` form (no weeks)."""

    seconds: int

    def __post_init__(self) -> None:
        if not 0 <= self.seconds <= _MAX_SECONDS:
            raise ValueError(f"duration {self.seconds} s is outside 0..{_MAX_SECONDS} s")

    def __str__(self) -> str:
        if self.seconds == 0:
            return "0s"
        parts, rest = [], self.seconds
        for unit, size in _UNITS[1:]:  # days are what ages are counted in, not weeks
            count, rest = divmod(rest, size)
            if count:
                parts.append(f"{count}{unit}")
        return "".join(parts)

    @property
    def delta(self) -> timedelta:
        return timedelta(seconds=self.seconds)


def parse_duration(text: str, what: str = "duration") -> Duration:
    """Read ``text`` (surrounding spaces ignored); ``what`` names the input in the error."""
    stripped = text.strip()
    # A bare number is seconds, like `timeout: 120`; after a unit it would be ambiguous.
    bare = stripped.isascii() and stripped.isdigit()
    match = _DURATION.fullmatch(stripped + "s" if bare else stripped)
    if not stripped or match is None or not any(match.groupdict().values()):
        raise InvalidDuration(
            f"{what} {stripped[:40]!r} is not a duration: write a number with a unit, "
            "w (weeks), d (days), h (hours), m (minutes) or s (seconds), largest first, "
            "such as 30d, 12h, 10m, 1d12h or 90s"
        )
    seconds = sum(int(match[unit] or 0) * size for unit, size in _UNITS)
    if seconds > _MAX_SECONDS:
        raise InvalidDuration(f"{what} {stripped!r} is longer than 100 years")
    return Duration(seconds)
