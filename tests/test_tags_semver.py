"""Version precedence of semver tags against semver.org 2.0.0 and python-semver's own tests.

Cases are facts from:
* SPEC: semver/semver ``semver.md`` at tag v2.0.0 (7c834b3f3a4940d77ab593bc32583004d6a426a9),
  §9 to §11 (the same examples at f99d5485190a47c0863949e7da810a5553e0ed4d, the current text);
* PYSEMVER: python-semver/python-semver at d8813b67a2ec5d579365f51a6d8f96d02f3fcbc3,
  ``tests/test_compare.py`` and ``tests/test_max-min.py``.

Where hubaction deliberately orders otherwise, the upstream answer is in the table next to
ours and docs/differences.md ("Versions") says why.
"""

from __future__ import annotations

import itertools

import pytest

from hubaction.oci.tags import Version, parse_version, select_tags, sort_tags


def _v(tag: str) -> Version:
    version = parse_version(tag)
    assert version is not None, tag
    return version


def _cmp(left: str, right: str) -> int:
    """-1, 0, 1 by precedence (build metadata and spelling ignored), as semver.compare."""
    a, b = _v(left).precedence(), _v(right).precedence()
    return (a > b) - (a < b)


# Each chain ascends strictly in precedence.
CHAINS = [
    # SPEC §11.2
    ["1.0.0", "2.0.0", "2.1.0", "2.1.1"],
    # SPEC §11.3
    ["1.0.0-alpha", "1.0.0"],
    # SPEC §11.4
    [
        "1.0.0-alpha",
        "1.0.0-alpha.1",
        "1.0.0-alpha.beta",
        "1.0.0-beta",
        "1.0.0-beta.2",
        "1.0.0-beta.11",
        "1.0.0-rc.1",
        "1.0.0",
    ],
    # PYSEMVER test_compare.py test_should_follow_specification_comparison
    [
        "1.0.0-alpha",
        "1.0.0-alpha.1",
        "1.0.0-beta.2",
        "1.0.0-beta.11",
        "1.0.0-rc.1",
        "1.0.0",
        "1.3.7+build",
    ],
]


@pytest.mark.parametrize("chain", CHAINS)
def test_spec_chains(chain: list[str]) -> None:
    for low, high in itertools.pairwise(chain):
        assert _cmp(low, high) == -1 and _cmp(high, low) == 1, (low, high)
        assert _v(low) < _v(high)
    assert sort_tags(reversed(chain)) == list(reversed(chain))


# PYSEMVER test_compare.py test_should_get_less / test_should_get_greater (each pair both ways),
# test_should_compare_rc_builds, test_should_compare_release_candidate_with_release,
# test_should_get_more_rc1, test_should_compare_prerelease_with_numbers_and_letters.
LESS = [
    ("1.0.0", "2.0.0"),
    ("1.0.0-alpha", "1.0.0-alpha.1"),
    ("1.0.0-alpha.1", "1.0.0-alpha.beta"),
    ("1.0.0-alpha.beta", "1.0.0-beta"),
    ("1.0.0-beta", "1.0.0-beta.2"),
    ("1.0.0-beta.2", "1.0.0-beta.11"),
    ("1.0.0-beta.11", "1.0.0-rc.1"),
    ("1.0.0-rc.1", "1.0.0"),
    ("1.0.0-rc.1+build.1", "1.0.0"),
    ("1.0.0-rc0", "1.0.0-rc1"),
    ("1.9.1-1unms", "1.9.1+1"),
]


@pytest.mark.parametrize(("left", "right"), LESS)
def test_less(left: str, right: str) -> None:
    assert _cmp(left, right) == -1
    assert _cmp(right, left) == 1


# PYSEMVER test_compare.py test_should_say_equal_versions_are_equal,
# test_should_compare_versions_with_build_and_release, test_should_ignore_builds_on_compare.
COMPARE = [
    ("2.0.0", "2.0.0", 0),
    ("1.1.9-rc.1", "1.1.9-rc.1", 0),
    ("1.1.9+build.1", "1.1.9+build.1", 0),
    ("1.1.9-rc.1+build.1", "1.1.9-rc.1+build.1", 0),
    ("1.1.9-rc.1", "1.1.9-rc.1+build.1", 0),
    ("1.1.9-rc.1", "1.1.9+build.1", -1),
    ("1.0.0+build.1", "1.0.0", 0),
    ("1.0.0-alpha.1+build.1", "1.0.0-alpha.1", 0),
    ("1.0.0+build.1", "1.0.0-alpha.1", 1),
    ("1.0.0+build.1", "1.0.0-alpha.1+build.1", 1),
]


@pytest.mark.parametrize(("left", "right", "expected"), COMPARE)
def test_compare(left: str, right: str, expected: int) -> None:
    assert _cmp(left, right) == expected
    assert _cmp(right, left) == -expected


@pytest.mark.parametrize(
    ("left", "right"),
    [(left, right) for left, right, expected in COMPARE if expected == 0 and left != right],
)
def test_equal_precedence_still_sorts_deterministically(left: str, right: str) -> None:
    # Build metadata does not decide precedence, but the sort must not depend on input order.
    assert _v(left) != _v(right)
    assert sort_tags([left, right]) == sort_tags([right, left])
    assert (_v(left) < _v(right)) != (_v(right) < _v(left))


# PYSEMVER test_max-min.py test_prerelease_order: min_ver(left, right). The last column is
# hubaction's answer where it deliberately differs (docs/differences.md, "Versions").
PRERELEASE_MIN = [
    ("1.2.3-rc.2", "1.2.3-rc.10", "1.2.3-rc.2", None),
    # upstream: identifiers compare lexically, so rc10 < rc2; here digit runs are numbers.
    ("1.2.3-rc2", "1.2.3-rc10", "1.2.3-rc10", "1.2.3-rc2"),
    # upstream: ASCII order, "R" < "r". Here words ignore case and tie; the tie-break by text
    # gives the same answer.
    ("1.2.3-Rc10", "1.2.3-rc10", "1.2.3-Rc10", None),
    # upstream: the numeric identifier 2 is below rc. Here `-2` is no pre-release word but an
    # image variant (a Debian-style revision): above every pre-release, below the release.
    ("1.2.3-2", "1.2.3-rc", "1.2.3-2", "1.2.3-rc"),
    ("1.2.3-rc.2.1", "1.2.3-rc.2", "1.2.3-rc.2", None),
    ("1.2.3", "1.2.3-1", "1.2.3-1", None),
    ("1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha", None),
]


@pytest.mark.parametrize(("left", "right", "upstream", "ours"), PRERELEASE_MIN)
def test_prerelease_min(left: str, right: str, upstream: str, ours: str | None) -> None:
    expected = upstream if ours is None else ours
    assert min(_v(left), _v(right)).text == expected
    assert min(_v(right), _v(left)).text == expected


# SPEC §9 and §10: examples of pre-releases and build metadata, each below (or, for build
# metadata alone, equal in precedence to) the release. §9's `0.3.7`, `x.7.z.92` and `x-y-z.--`
# are read as image variants here, still below 1.0.0.
@pytest.mark.parametrize(
    ("tag", "expected"),
    [
        ("1.0.0-alpha", -1),
        ("1.0.0-alpha.1", -1),
        ("1.0.0-0.3.7", -1),
        ("1.0.0-x.7.z.92", -1),
        ("1.0.0-x-y-z.--", -1),
        ("1.0.0-alpha+001", -1),
        ("1.0.0+20130313144700", 0),
        ("1.0.0-beta+exp.sha.5114f85", -1),
        ("1.0.0+21AF26D3----117B344092BD", 0),
    ],
)
def test_spec_examples_against_the_release(tag: str, expected: int) -> None:
    assert _cmp(tag, "1.0.0") == expected


@pytest.mark.parametrize(
    ("tags", "latest"),
    [
        # A release always wins over a higher pre-release or variant (contract: `latest-semver`
        # is `[v]MAJOR.MINOR.PATCH` without a pre-release part).
        (["1.0.0-alpha", "1.0.0-rc.1", "0.9.9", "1.0.0-alpine"], "0.9.9"),
        (["2.0.0-rc.1", "1.3.7+build", "1.3.7"], "1.3.7"),
        # Only pre-releases: no latest-semver at all.
        (["1.0.0-alpha", "1.0.0-rc.1", "2.0.0-beta"], None),
        # semver precedence among releases, numerically.
        (["1.10.0", "1.9.0", "1.2.10", "v1.10.0"], "1.10.0"),
    ],
)
def test_latest_semver_never_picks_a_prerelease(tags: list[str], latest: str | None) -> None:
    assert select_tags(tags).latest_semver == latest
