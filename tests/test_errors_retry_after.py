"""Tests for registry.errors.parse_retry_after: seconds, HTTP dates, Unix times, garbage."""

from __future__ import annotations

import email.utils
import time
from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hubaction.registry.errors import parse_retry_after

# ---------------------------------------------------------------------------------------------
# parse_retry_after


def _http_date(offset: float) -> str:
    return email.utils.formatdate(time.time() + offset, usegmt=True)


def _unix_time(offset: float) -> str:
    return str(int(time.time() + offset))


@pytest.mark.parametrize(
    ("make", "low", "high"),
    [
        (lambda: "120", 120, 120),
        (lambda: "0", 0, 0),
        (lambda: "  5  ", 5, 5),
        (lambda: "1.5", 1.5, 1.5),
        (lambda: "-3", 0, 0),
        (lambda: _http_date(60), 55, 61),
        (lambda: _http_date(-3600), 0, 0),
        (lambda: "Wed, 21 Oct 2015 07:28:00 GMT", 0, 0),
        (lambda: _unix_time(30), 25, 31),
        (lambda: _unix_time(-30), 0, 0),
    ],
    ids=[
        "seconds",
        "zero",
        "spaces",
        "fraction",
        "negative",
        "date",
        "past date",
        "old date",
        "unix time",
        "past unix time",
    ],
)
def test_parse_retry_after_valid(make: Callable[[], str], low: float, high: float) -> None:
    seconds = parse_retry_after(make())
    assert seconds is not None
    assert low <= seconds <= high


@pytest.mark.parametrize(
    "value",
    ["", "   ", "soon", "abc", "12 s", "Mon, 32 Foo", "inf", "-inf", "nan", "1e999", "0x10", "∞"],
)
def test_parse_retry_after_garbage(value: str) -> None:
    assert parse_retry_after(value) is None


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=40))
def test_property_parse_retry_after_is_none_or_finite(value: str) -> None:
    seconds = parse_retry_after(value)
    assert seconds is None or 0 <= seconds < float("inf")
