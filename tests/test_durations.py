"""Durations (`max-age`, `wait-timeout`): hubaction.oci.durations."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hubaction.oci.durations import Duration, InvalidDuration, parse_duration

VALID = [
    ("30d", 30 * 86400, "30d"),
    ("12h", 12 * 3600, "12h"),
    ("10m", 600, "10m"),
    ("90s", 90, "1m30s"),
    ("90", 90, "1m30s"),  # a bare number is seconds, like `timeout: 120`
    ("1d12h", 36 * 3600, "1d12h"),
    ("36h", 36 * 3600, "1d12h"),
    ("2w", 14 * 86400, "14d"),
    ("1w2d3h4m5s", 7 * 86400 + 2 * 86400 + 3 * 3600 + 4 * 60 + 5, "9d3h4m5s"),
    (" 5m ", 300, "5m"),
    ("0", 0, "0s"),
    ("0s", 0, "0s"),
]


@pytest.mark.parametrize(("text", "seconds", "canonical"), VALID)
def test_parse_duration(text: str, seconds: int, canonical: str) -> None:
    duration = parse_duration(text)
    assert duration.seconds == seconds
    assert str(duration) == canonical
    assert parse_duration(str(duration)) == duration


@pytest.mark.parametrize(
    "text",
    [
        "",
        " ",
        "d",
        "5x",
        "1.5h",
        "-5m",
        "5M",
        "1h1d",
        "1d1d",
        "1d30",
        "5 m",
        "\u0663\u0660d",
        "9" * 30,
        "99999999999w",
        "101000d",
    ],
)
def test_parse_duration_refuses(text: str) -> None:
    with pytest.raises(InvalidDuration) as caught:
        parse_duration(text, "max-age")
    assert "max-age" in str(caught.value)


@given(st.integers(min_value=0, max_value=100 * 365 * 86400))
def test_canonical_form_round_trips(seconds: int) -> None:
    assert parse_duration(str(Duration(seconds))).seconds == seconds
