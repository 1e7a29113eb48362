"""Tests for dockerhub.models: the pure parsers of single values, Docker Hub times and
repository names (tables of valid and invalid cases, property tests)."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hubaction.dockerhub.models import split_hub_repository
from hubaction.errors import InvalidInput
from hubaction.oci.times import format_time, parse_time

# === pure parsers ===============================================================================

# --- parse_hub_time -------------------------------------------------------------------------------

TIMES_OK = [
    ("2024-05-01T12:34:56.123456Z", datetime(2024, 5, 1, 12, 34, 56, 123456, tzinfo=UTC)),
    ("2024-05-01T12:34:56Z", datetime(2024, 5, 1, 12, 34, 56, tzinfo=UTC)),
    ("2024-05-01T12:34:56.1Z", datetime(2024, 5, 1, 12, 34, 56, 100000, tzinfo=UTC)),
    # nanoseconds (Go's RFC3339Nano): cut to microseconds, not refused
    ("2024-05-01T12:34:56.123456789Z", datetime(2024, 5, 1, 12, 34, 56, 123456, tzinfo=UTC)),
    ("2024-05-01t12:34:56z", datetime(2024, 5, 1, 12, 34, 56, tzinfo=UTC)),
    ("2024-05-01T14:34:56+02:00", datetime(2024, 5, 1, 12, 34, 56, tzinfo=UTC)),
    ("2024-05-01T00:00:00-01:30", datetime(2024, 5, 1, 1, 30, tzinfo=UTC)),
    ("0001-01-01T00:00:00Z", datetime(1, 1, 1, tzinfo=UTC)),  # Go's zero time
]
TIMES_BAD = [
    "",
    "2024-05-01",  # a date alone
    "2024-05-01T12:34:56",  # no zone: ambiguous
    "2024-05-01 12:34:56Z",  # space separator (fromisoformat would take it)
    "2024-W01",  # fromisoformat takes ISO week dates
    "2024-13-01T00:00:00Z",  # month 13
    "2024-02-30T00:00:00Z",
    "2024-05-01T24:00:00Z",
    "2024-05-01T12:34:60Z",  # leap seconds are not representable
    "2024-05-01T12:34:56+24:00",
    "2024-05-01T12:34:56+02:60",
    "0001-01-01T00:00:00+01:00",  # before datetime.min once in UTC
    "9999-12-31T23:59:59-01:00",  # after datetime.max once in UTC
    "0000-01-01T00:00:00Z",
    "\uff12\uff10\uff12\uff14-05-01T12:34:56Z",  # full-width digits
    " 2024-05-01T12:34:56Z",
    "2024-05-01T12:34:56.Z",
    1714566896,  # not text at all: Docker Hub sends strings
]


@pytest.mark.parametrize(("text", "expected"), TIMES_OK)
def test_parse_hub_time_valid(text: str, expected: datetime) -> None:
    parsed = parse_time(text)
    assert parsed == expected
    assert parsed.tzinfo is UTC


@pytest.mark.parametrize("text", TIMES_BAD)
def test_parse_hub_time_invalid(text: Any) -> None:
    with pytest.raises((ValueError, TypeError)):
        parse_time(text)


@settings(max_examples=200, deadline=None)
@given(
    st.datetimes(
        min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30), timezones=st.just(UTC)
    )
)
def test_format_then_parse_hub_time_round_trips(moment: datetime) -> None:
    text = format_time(moment)
    assert parse_time(text) == moment
    assert format_time(parse_time(text)) == text


@settings(max_examples=200, deadline=None)
@given(
    st.datetimes(min_value=datetime(2, 1, 1), max_value=datetime(9998, 1, 1)),
    st.integers(min_value=-23 * 60 - 59, max_value=23 * 60 + 59),
)
def test_parse_hub_time_normalises_offsets_to_utc(naive: datetime, minutes: int) -> None:
    zone = timezone(timedelta(minutes=minutes))
    moment = naive.replace(tzinfo=zone)
    assert parse_time(moment.isoformat()) == moment


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=40))
def test_parse_hub_time_only_raises_value_error(text: str) -> None:
    with contextlib.suppress(ValueError):
        parse_time(text)


# --- split_hub_repository -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("acme/app", ("acme", "app")),
        ("node", ("library", "node")),
        ("library/node", ("library", "node")),
        ("my-org/my.app_x", ("my-org", "my.app_x")),
        ("a__b/c--d", ("a__b", "c--d")),
    ],
)
def test_split_hub_repository_valid(text: str, expected: tuple[str, str]) -> None:
    assert split_hub_repository(text) == expected
    assert split_hub_repository("/".join(expected)) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "a/b/c",
        "Acme/app",
        "acme/",
        "/app",
        "acme/app:1",
        "acme/-app",
        "acme/app..x",
        "acme/../x",
        "acme/%2e%2e",
        "a" * 256 + "/x",
        "acme/ app",
    ],
)
def test_split_hub_repository_invalid(text: str) -> None:
    with pytest.raises(InvalidInput, match="Docker Hub"):
        split_hub_repository(text)
