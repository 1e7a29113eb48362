"""Times as registries write them (RFC 3339: an image config's ``created``, Docker Hub's push
dates), and the ``max-age`` verdict on an image's age.

Pure: the current time is always passed in, so a test sets it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone

from hubaction.oci.durations import Duration
from hubaction.oci.wire import quote_bounded

__all__ = ["AgeCheck", "check_age", "created_time", "format_time", "parse_time"]

# RFC 3339 §5.6 date-time (e.g. 2024-05-01T12:34:56.123456Z; Go's RFC3339Nano has 9 digits).
# Stricter than datetime.fromisoformat, which also takes "2024-W01" or a date alone.
_TIME_RE = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})[Tt]([0-9]{2}):([0-9]{2}):([0-9]{2})"
    r"(?:\.([0-9]{1,9}))?([Zz]|[+-][0-9]{2}:[0-9]{2})",
    re.ASCII,
)

# Reproducible builds write a placeholder, not a time: SOURCE_DATE_EPOCH=0 and Bazel's
# rules_oci give 1970-01-01T00:00:00Z, ko and go-containerregistry's empty image Go's zero
# time 0001-01-01T00:00:00Z. No image was built before the Unix epoch, so such a `created`
# says nothing about the image's age.
_PLACEHOLDER_UNTIL = datetime(1970, 1, 1, tzinfo=UTC)


def parse_time(text: str) -> datetime:
    """An RFC 3339 date-time as an aware UTC datetime; digits past microseconds are dropped.

    Raises :class:`ValueError` for anything else.
    """
    match = _TIME_RE.fullmatch(text)
    if match is None:
        raise ValueError(
            f"time {quote_bounded(text, 64)} is not an RFC 3339 date-time such as "
            "2024-05-01T12:34:56Z"
        )
    year, month, day, hour, minute, second = (int(g) for g in match.groups()[:6])
    fraction = (match[7] or "").ljust(6, "0")[:6]
    zone = match[8]
    if zone in ("Z", "z"):
        tz = UTC
    else:
        hours, minutes = int(zone[1:3]), int(zone[4:6])
        if hours > 23 or minutes > 59:
            raise ValueError(f"time {quote_bounded(text, 64)} has an invalid UTC offset {zone!r}")
        offset = timedelta(hours=hours, minutes=minutes)
        tz = timezone(-offset if zone[0] == "-" else offset)
    moment = datetime(year, month, day, hour, minute, second, int(fraction), tzinfo=tz)
    try:
        return moment.astimezone(UTC)
    except OverflowError:  # 0001-01-01T00:00:00+01:00 is before datetime.min in UTC
        raise ValueError(f"time {quote_bounded(text, 64)} is out of range") from None


def format_time(moment: datetime) -> str:
    """``moment`` as ``2024-05-01T12:34:56.123456Z`` (naive means UTC)."""
    t = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    # Not strftime: its %Y does not pad years below 1000 on glibc.
    return (
        f"{t.year:04d}-{t.month:02d}-{t.day:02d}T{t.hour:02d}:{t.minute:02d}:{t.second:02d}"
        f".{t.microsecond:06d}Z"
    )


def created_time(text: str | None) -> tuple[datetime | None, str]:
    """A config's ``created`` as a time, or ``None`` and why it tells no age (absent, not
    RFC 3339, or a reproducible build's placeholder at or before the Unix epoch)."""
    if not text:
        return None, "the image config has no `created` time"
    try:
        moment = parse_time(text)
    except ValueError:
        return None, "the image config's `created` is not an RFC 3339 time"
    if moment <= _PLACEHOLDER_UNTIL:
        return None, (
            "the image config's `created` is a reproducible build's placeholder "
            f"({format_time(moment)[:10]}), not a build time"
        )
    return moment, ""


@dataclass(frozen=True)
class AgeCheck:
    """``max-age`` against when the image was made (``source``: where that time came from);
    ``too_old`` is ``None`` when no time is known (``unknown`` says why)."""

    max_age: Duration
    moment: datetime | None
    source: str
    now: datetime
    unknown: str = ""

    @property
    def age(self) -> timedelta | None:
        return None if self.moment is None else self.now - self.moment

    @property
    def too_old(self) -> bool | None:
        # Strictly older: an image exactly max-age old is still young enough. A time in the
        # future (a skewed build clock) is a negative age: not too old.
        age = self.age
        return None if age is None else age > self.max_age.delta


def check_age(
    max_age: Duration, moment: datetime | None, *, source: str, now: datetime, unknown: str = ""
) -> AgeCheck:
    """The verdict for an image made at ``moment`` (aware), seen at ``now`` (aware)."""
    if moment is not None and (moment.tzinfo is None or now.tzinfo is None):
        raise ValueError("check_age needs aware datetimes")
    return AgeCheck(max_age, moment, source if moment is not None else "", now, unknown)
