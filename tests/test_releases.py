"""release-version: which moving tags a candidate should carry (hubaction.oci.releases)."""

from __future__ import annotations

import pytest

from hubaction.errors import InvalidInput
from hubaction.oci.releases import InvalidReleaseVersion, parse_release_version, plan_release

# (candidate, existing tags, is-latest, is-latest-major, is-latest-minor, release-tags)
PLANS = [
    # The issue's own example (issue 17, "Acceptance").
    ("1.3.1", "1.2.0 1.3.0 2.0.0", False, True, True, ["1.3.1", "1.3", "1"]),
    ("2.1.0", "1.2.0 1.3.0 2.0.0", True, True, True, ["2.1.0", "2.1", "2", "latest"]),
    ("1.2.5", "1.2.0 1.3.0 2.0.0", False, False, True, ["1.2.5", "1.2"]),
    ("1.2.0", "1.2.1", False, False, False, ["1.2.0"]),
    # A re-run of the release that is already pushed gives the same answer.
    ("2.0.0", "1.2.0 2.0.0", True, True, True, ["2.0.0", "2.0", "2", "latest"]),
    # No tags at all (or only non-release tags): the candidate is the latest.
    ("1.0.0", "", True, True, True, ["1.0.0", "1.0", "1", "latest"]),
    ("1.0.0", "latest edge main", True, True, True, ["1.0.0", "1.0", "1", "latest"]),
    # Pre-releases, variants and partial versions are other lines of tags: not compared.
    ("1.0.0", "2.0.0-rc.1 1.1.0-alpine 3 3.1", True, True, True, ["1.0.0", "1.0", "1", "latest"]),
    # A v prefix on either side compares by numbers; the new tags keep the candidate's prefix.
    ("v1.3.1", "1.3.0 v1.2.0", True, True, True, ["v1.3.1", "v1.3", "v1", "latest"]),
    ("1.3.1", "v1.4.0", False, False, True, ["1.3.1", "1.3"]),
    # Numbers, not text: 1.10 is above 1.9.
    ("1.10.0", "1.9.9", True, True, True, ["1.10.0", "1.10", "1", "latest"]),
    ("1.9.10", "1.10.0 1.9.9", False, False, True, ["1.9.10", "1.9"]),
    # Major version zero: no bare `0` tag (semver.org §4).
    ("0.3.0", "0.2.0", True, True, True, ["0.3.0", "0.3", "latest"]),
    # A pre-release candidate gets only its own tag (docker/metadata-action's semver type).
    ("2.0.0-rc.1", "1.0.0", False, False, False, ["2.0.0-rc.1"]),
    ("refs/tags/v2.0.0", "1.0.0", True, True, True, ["v2.0.0", "v2.0", "v2", "latest"]),
]


@pytest.mark.parametrize(("candidate", "tags", "latest", "major", "minor", "expected"), PLANS)
def test_plan_release(
    candidate: str, tags: str, latest: bool, major: bool, minor: bool, expected: list[str]
) -> None:
    plan = plan_release(parse_release_version(candidate), tags.split())
    assert (plan.is_latest, plan.is_latest_major, plan.is_latest_minor) == (latest, major, minor)
    assert list(plan.tags) == expected


@pytest.mark.parametrize(
    "text", ["", "1", "1.2", "1.2.3.4", "1.2.3-alpine", "1.2.3+build.5", "latest", "x" * 300]
)
def test_release_version_refuses(text: str) -> None:
    with pytest.raises(InvalidReleaseVersion) as caught:
        parse_release_version(text)
    assert isinstance(caught.value, InvalidInput)
    assert "MAJOR.MINOR.PATCH" in str(caught.value)
    assert len(str(caught.value)) < 300
