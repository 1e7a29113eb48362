"""Times (hubaction.oci.times): the RFC 3339 parser's home, and the `max-age` verdict on a
clock the test sets."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from hubaction.oci.durations import parse_duration
from hubaction.oci.times import check_age, created_time

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "moment", "why"),
    [
        ("2026-05-01T12:00:00Z", datetime(2026, 5, 1, 12, tzinfo=UTC), ""),
        # BuildKit writes nanoseconds and an offset is allowed (RFC 3339 §5.6).
        ("2026-05-01T14:00:00.123456789+02:00", datetime(2026, 5, 1, 12, 0, 0, 123456, UTC), ""),
        (None, None, "no `created`"),
        ("", None, "no `created`"),
        ("yesterday", None, "not an RFC 3339"),
        ("2026-05-01T12:00:00", None, "not an RFC 3339"),  # no zone
        # Reproducible builds: SOURCE_DATE_EPOCH=0 / rules_oci, and ko's Go zero time.
        ("1970-01-01T00:00:00Z", None, "placeholder (1970-01-01)"),
        ("0001-01-01T00:00:00Z", None, "placeholder (0001-01-01)"),
        ("1970-01-01T00:00:01Z", datetime(1970, 1, 1, 0, 0, 1, tzinfo=UTC), ""),
    ],
)
def test_created_time(text: str | None, moment: datetime | None, why: str) -> None:
    found, unknown = created_time(text)
    assert found == moment
    assert why in unknown and (unknown == "") == (moment is not None)


@pytest.mark.parametrize(
    ("age", "too_old"),
    [
        (timedelta(days=31), True),
        (timedelta(days=30, seconds=1), True),
        (timedelta(days=30), False),  # exactly max-age: not older than it
        (timedelta(days=29), False),
        (timedelta(0), False),
        (-timedelta(hours=2), False),  # a build clock ahead of ours
    ],
)
def test_check_age_is_strictly_older(age: timedelta, too_old: bool) -> None:
    check = check_age(parse_duration("30d"), NOW - age, source="config", now=NOW)
    assert check.too_old is too_old
    assert check.age == age


def test_unknown_age_has_no_verdict_and_says_why() -> None:
    check = check_age(parse_duration("1d"), None, source="config", now=NOW, unknown="no time")
    assert (check.too_old, check.age, check.source, check.unknown) == (None, None, "", "no time")


def test_naive_times_are_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        check_age(parse_duration("1d"), datetime(2026, 1, 1), source="config", now=NOW)
