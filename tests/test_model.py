"""Tests for hubaction.oci.model: the rate-limit headers, as a table."""

from __future__ import annotations

import pytest

from hubaction.oci.model import RateLimit, parse_ratelimit


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({}, None),
        ({"ratelimit-limit": "garbage"}, None),
        (
            {
                "ratelimit-limit": "100;w=21600",
                "ratelimit-remaining": "76;w=21600",
                "docker-ratelimit-source": "203.0.113.7",
            },
            RateLimit(limit=100, remaining=76, window=21600, source="203.0.113.7"),
        ),
        ({"ratelimit-limit": " 100 ; w = 60"}, RateLimit(100, None, 60, None)),
        ({"ratelimit-remaining": "0;w=60"}, RateLimit(None, 0, 60, None)),
        (
            {"ratelimit-limit": "100", "ratelimit-remaining": "5;w=60"},
            RateLimit(100, 5, None, None),
        ),
        ({"ratelimit-limit": "100;w=abc"}, RateLimit(100, None, None, None)),
        # Hostile values: other scripts' digits are no count, and a number too long for int()
        # is no count either, rather than a ValueError.
        ({"ratelimit-limit": "\u0661\u0662;w=3"}, None),
        ({"ratelimit-limit": "9" * 5000}, None),
        (
            {"ratelimit-limit": "9" * 5000, "ratelimit-remaining": "1;w=60"},
            RateLimit(None, 1, 60, None),
        ),
        ({"ratelimit-limit": "1;w=" + "9" * 5000}, RateLimit(1, None, None, None)),
    ],
)
def test_parse_ratelimit(headers: dict[str, str], expected: RateLimit | None) -> None:
    assert parse_ratelimit(headers) == expected
