"""Tests for hubaction.oci.tags: version parsing, sorting and the tag-selection contract."""

from __future__ import annotations

import itertools
import random
import re
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hubaction.errors import InvalidInput
from hubaction.oci.tags import (
    SORTS,
    Version,
    compile_tag_filter,
    parse_version,
    select_tags,
    sort_tags,
)

# --- parse_version ------------------------------------------------------------------------------

# tag -> (prefix_v, release, prerelease, variant, build)
VERSIONS: list[
    tuple[str, tuple[bool, tuple[int, ...], tuple[str | int, ...], str | None, str | None]]
] = [
    ("1", (False, (1,), (), None, None)),
    ("1.2", (False, (1, 2), (), None, None)),
    ("1.2.3", (False, (1, 2, 3), (), None, None)),
    ("v1.2.3", (True, (1, 2, 3), (), None, None)),
    ("1.2.3.4", (False, (1, 2, 3, 4), (), None, None)),
    ("20.04", (False, (20, 4), (), None, None)),
    ("0.0.0", (False, (0, 0, 0), (), None, None)),
    ("1.2.3-rc.1", (False, (1, 2, 3), ("rc", 1), None, None)),
    ("1.2.3-rc1", (False, (1, 2, 3), ("rc", 1), None, None)),
    ("1.2.3-RC1", (False, (1, 2, 3), ("rc", 1), None, None)),
    ("1.2.3-alpha", (False, (1, 2, 3), ("alpha",), None, None)),
    ("1.0.0-beta.2.exp", (False, (1, 0, 0), ("beta", 2, "exp"), None, None)),
    ("1.0.0-preview2", (False, (1, 0, 0), ("preview", 2), None, None)),
    ("1.0.0-pre", (False, (1, 0, 0), ("pre",), None, None)),
    ("1.0.0-dev.20240101", (False, (1, 0, 0), ("dev", 20240101), None, None)),
    ("3.13.0rc1", (False, (3, 13, 0), ("rc", 1), None, None)),
    ("3.13.0a1", (False, (3, 13, 0), ("alpha", 1), None, None)),
    ("1.0b2", (False, (1, 0), ("beta", 2), None, None)),
    ("1.2.3+build.5", (False, (1, 2, 3), (), None, "build.5")),
    ("1.2.3-rc.1+sha.abc", (False, (1, 2, 3), ("rc", 1), None, "sha.abc")),
    # Image variants: a suffix that is not a pre-release word.
    ("20-alpine", (False, (20,), (), "alpine", None)),
    ("3.12-slim", (False, (3, 12), (), "slim", None)),
    ("20.11.1-bookworm-slim", (False, (20, 11, 1), (), "bookworm-slim", None)),
    ("1.2.3-alpine", (False, (1, 2, 3), (), "alpine", None)),  # not an alpha
    ("1.2.3-devel", (False, (1, 2, 3), (), "devel", None)),  # not a dev
    ("1.2.3-1", (False, (1, 2, 3), (), "1", None)),  # Debian-style revision
    ("2024-01-01", (False, (2024,), (), "01-01", None)),
    ("1.0.0-rc.1-alpine", (False, (1, 0, 0), ("rc", 1), "alpine", None)),
    ("3.13.0rc1-slim", (False, (3, 13, 0), ("rc", 1), "slim", None)),
    ("1.25.3-debian-11-r0", (False, (1, 25, 3), (), "debian-11-r0", None)),
]


@pytest.mark.parametrize(("tag", "fields"), VERSIONS)
def test_parse_version(
    tag: str,
    fields: tuple[bool, tuple[int, ...], tuple[str | int, ...], str | None, str | None],
) -> None:
    version = parse_version(tag)
    assert version is not None
    assert (
        version.prefix_v,
        version.release,
        version.prerelease,
        version.variant,
        version.build,
    ) == fields
    assert str(version) == tag
    assert parse_version(str(version)) == version


NOT_VERSIONS = [
    "latest",
    "lts",
    "current",
    "alpha",
    "sha-abc123",
    "12a3456",  # looks like a short commit hash, not 12 alpha 3456
    "1a2",
    "20.04ubuntu",
    "1.2.3_alpine",
    "1.2.3.",
    ".1.2",
    "1..2",
    "V1.2.3",
    "vv1",
    "v",
    "",
    "1.2.3-",
    "1.2.3-_x",
    "1.2.3+",
    "1.2.3a",  # glued pre-release needs a number
    "\u0661.2",  # Arabic-Indic digit one: not [0-9]
    "1" * 129,  # longer than the OCI tag limit
]


@pytest.mark.parametrize("tag", NOT_VERSIONS)
def test_not_versions(tag: str) -> None:
    assert parse_version(tag) is None


def test_longest_tag_is_still_a_version() -> None:
    version = parse_version("1" * 128)
    assert version is not None
    assert version.release == (int("1" * 128),)


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"text": "latest", "prefix_v": False, "release": ()}, "not a version"),
        ({"text": "1.2", "prefix_v": False, "release": (1, 3)}, "disagree"),
        ({"text": "v1.2", "prefix_v": False, "release": (1, 2)}, "disagree"),
    ],
)
def test_version_constructor_checks_fields(kwargs: dict[str, object], fragment: str) -> None:
    with pytest.raises(ValueError, match=fragment):
        Version(**kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("tag", "expected"),
    [
        ("1.2.3", True),
        ("v1.2.3", True),
        ("2024.01.15", True),
        ("1.2", False),
        ("1.2.3.4", False),
        ("1.2.3-rc.1", False),
        ("1.2.3-alpine", False),
        ("1.2.3+b", False),
    ],
)
def test_is_semver_release(tag: str, expected: bool) -> None:
    version = parse_version(tag)
    assert version is not None
    assert version.is_semver_release is expected


# --- ordering -----------------------------------------------------------------------------------

# Each list is in ascending precedence; every adjacent pair is strictly increasing.
ASCENDING = [
    # Release numbers numerically.
    ["1.2.0", "1.9.0", "1.10.0", "2", "10"],
    # Pre-releases below the release; dev < alpha < beta < pre < preview < rc.
    [
        "1.0.0-dev",
        "1.0.0-alpha",
        "1.0.0-alpha.1",
        "1.0.0-alpha.beta",
        "1.0.0-beta",
        "1.0.0-beta.2",
        "1.0.0-beta.11",
        "1.0.0-pre",
        "1.0.0-preview",
        "1.0.0-rc.1",
        "1.0.0",
    ],
    # semver §11 example ordering.
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
    # rc1 counts as rc.1: numeric, so rc2 < rc10.
    ["1.0.0-rc2", "1.0.0-rc10", "1.0.0"],
    ["3.13.0a1", "3.13.0b1", "3.13.0rc1", "3.13.0rc2", "3.13.0"],
    # Missing parts are zeros; the longer spelling ranks higher on a tie.
    ["1.2-rc.1", "1.2", "1.2.0", "1.2.0.0", "1.2.0.1", "1.2.1"],
    # A release beats a pre-release of the same number spelled shorter.
    ["1.2.0-rc.1", "1.2"],
    # Variants below the plain version, natural order between them.
    ["20-alpine", "20", "20.0-alpine", "20.0", "20.11"],
    ["3.19-alpine3.9", "3.19-alpine3.19", "3.19-alpine3.20", "3.19-bookworm", "3.19"],
    # Build metadata below none; 'v' below none; then text.
    ["1.2.3+b2", "1.2.3+b3", "v1.2.3", "1.2.3"],
    ["01.2.3", "1.02.3", "1.2.3"],
]


@pytest.mark.parametrize("tags", ASCENDING)
def test_ascending_order(tags: list[str]) -> None:
    versions = [parse_version(tag) for tag in tags]
    assert all(v is not None for v in versions)
    for low, high in itertools.pairwise(versions):
        assert low is not None and high is not None
        assert low < high and high > low and low <= high and high >= low
        assert not (high < low) and low != high
    shuffled = list(versions)
    random.Random(0).shuffle(shuffled)
    assert sorted(shuffled) == versions  # type: ignore[type-var]


@pytest.mark.parametrize(
    ("tags", "expected"),
    [
        (
            ["1.10.0", "1.2.0", "1.2.0-rc.1", "v1.9", "latest", "alpha"],
            ["1.10.0", "v1.9", "1.2.0", "1.2.0-rc.1", "alpha", "latest"],
        ),
        # node
        (
            [
                "lts",
                "20-alpine",
                "20.11.1",
                "latest",
                "20",
                "20.11",
                "current",
                "20.11.1-bookworm-slim",
            ],
            [
                "20.11.1",
                "20.11.1-bookworm-slim",
                "20.11",
                "20",
                "20-alpine",
                "current",
                "latest",
                "lts",
            ],
        ),
        # ubuntu
        (
            ["focal", "20.04", "22.04", "jammy", "24.04", "latest", "18.04"],
            ["24.04", "22.04", "20.04", "18.04", "focal", "jammy", "latest"],
        ),
        # python
        (
            ["3.12-slim", "3.12", "3.13.0rc1-slim", "3.13.0rc1", "3.9", "3.12.1"],
            ["3.13.0rc1", "3.13.0rc1-slim", "3.12.1", "3.12", "3.12-slim", "3.9"],
        ),
        # date-stamped tags
        (
            ["2023-12-31", "2024-02-01", "2024-01-01", "nightly"],
            ["2024-02-01", "2024-01-01", "2023-12-31", "nightly"],
        ),
        # duplicates collapse
        (["1.0", "1.0", "b", "b", "a"], ["1.0", "a", "b"]),
        ([], []),
    ],
)
def test_version_sort(tags: list[str], expected: list[str]) -> None:
    assert sort_tags(tags, "version") == expected
    assert select_tags(tags, max_tags=0).tags == tuple(expected)


def test_lexical_sort() -> None:
    tags = ["b", "1.10", "1.9", "B", "a", "1.9"]
    assert sort_tags(tags, "lexical") == ["1.10", "1.9", "B", "a", "b"]


# --- updated ------------------------------------------------------------------------------------

T0 = datetime(2024, 1, 1, 12, 0, tzinfo=UTC)


def test_updated_sort() -> None:
    updated = {
        "old": T0,
        "new": T0 + timedelta(days=2),
        "tie-b": T0 + timedelta(days=1),
        "tie-a": T0 + timedelta(days=1),
        # Same instant as `old`, in another zone; naive is UTC.
        "old-cet": datetime(2024, 1, 1, 13, 0, tzinfo=timezone(timedelta(hours=1))),
        "naive": datetime(2024, 1, 1, 12, 30),
        "not-listed": T0 + timedelta(days=9),
    }
    tags = ["z-undated", "old", "old-cet", "tie-b", "new", "a-undated", "tie-a", "naive"]
    expected = ["new", "tie-a", "tie-b", "naive", "old", "old-cet", "a-undated", "z-undated"]
    assert sort_tags(tags, "updated", updated) == expected
    selection = select_tags(tags, sort="updated", updated=updated, max_tags=2)
    assert selection.tags == ("new", "tie-a")
    assert selection.count == len(tags)


def test_updated_with_empty_dates_is_lexical() -> None:
    assert sort_tags(["b", "a"], "updated", {}) == ["a", "b"]


def test_updated_without_dates_is_invalid() -> None:
    with pytest.raises(InvalidInput, match="tag-sort: updated needs Docker Hub"):
        select_tags(["a"], sort="updated")
    with pytest.raises(InvalidInput, match="tag-sort: updated needs Docker Hub"):
        sort_tags(["a"], "updated")


# --- select_tags --------------------------------------------------------------------------------

TAGS = [
    "latest",
    "1.2.3",
    "v1.10.0",
    "1.10.0-rc.1",
    "1.9",
    "2.0.0-alpine",
    "2.0.0.1",
    "1.9.9",
    "edge",
]


@pytest.mark.parametrize(
    ("pattern", "max_tags", "tags", "count", "latest"),
    [
        (
            "",
            100,
            (
                "2.0.0.1",
                "2.0.0-alpine",
                "v1.10.0",
                "1.10.0-rc.1",
                "1.9.9",
                "1.9",
                "1.2.3",
                "edge",
                "latest",
            ),
            9,
            "v1.10.0",
        ),
        (
            "",
            0,
            (
                "2.0.0.1",
                "2.0.0-alpine",
                "v1.10.0",
                "1.10.0-rc.1",
                "1.9.9",
                "1.9",
                "1.2.3",
                "edge",
                "latest",
            ),
            9,
            "v1.10.0",
        ),
        ("", 2, ("2.0.0.1", "2.0.0-alpine"), 9, "v1.10.0"),
        (
            "",
            9,
            (
                "2.0.0.1",
                "2.0.0-alpine",
                "v1.10.0",
                "1.10.0-rc.1",
                "1.9.9",
                "1.9",
                "1.2.3",
                "edge",
                "latest",
            ),
            9,
            "v1.10.0",
        ),
        # re.search: unanchored patterns match anywhere.
        ("9", 100, ("1.9.9", "1.9"), 2, "1.9.9"),
        (r"^1\.", 1, ("1.10.0-rc.1",), 4, "1.9.9"),  # not v1.10.0
        (r"^v?\d+\.\d+\.\d+$", 100, ("v1.10.0", "1.9.9", "1.2.3"), 3, "v1.10.0"),
        # Only pre-releases and non-3-part versions: no latest-semver.
        (
            r"rc|^1\.9$|alpine|^2\.0\.0\.1$",
            100,
            ("2.0.0.1", "2.0.0-alpine", "1.10.0-rc.1", "1.9"),
            4,
            None,
        ),
        ("nomatch", 100, (), 0, None),
        ("^edge$|^latest$", 1, ("edge",), 2, None),
    ],
)
def test_select_tags(
    pattern: str, max_tags: int, tags: tuple[str, ...], count: int, latest: str | None
) -> None:
    selection = select_tags(TAGS, tag_filter=compile_tag_filter(pattern), max_tags=max_tags)
    assert selection.tags == tags
    assert selection.count == count
    assert selection.latest_semver == latest


def test_latest_semver_prefers_plain_spelling_and_ignores_prereleases() -> None:
    selection = select_tags(["v1.2.3", "1.2.3", "1.2.4-rc.1", "1.3", "1.2.3.9", "1.2.4-alpine"])
    assert selection.latest_semver == "1.2.3"
    assert select_tags(["v2.0.0", "1.9.9"]).latest_semver == "v2.0.0"


def test_latest_semver_ignores_max_tags_and_sort() -> None:
    selection = select_tags(["1.0.0", "2.0.0", "a"], sort="lexical", max_tags=1)
    assert selection.tags == ("1.0.0",)
    assert selection.latest_semver == "2.0.0"


def test_select_tags_consumes_generators_and_counts_duplicates_once() -> None:
    selection = select_tags(tag for tag in ["1.0.0", "1.0.0", "x"])
    assert selection.tags == ("1.0.0", "x")
    assert selection.count == 2


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        (
            {"sort": "newest"},
            "tag-sort 'newest' is not a known sort; use one of: version, lexical, updated",
        ),
        ({"sort": "Version"}, "not a known sort"),
        ({"max_tags": -1}, "max-tags -1 is negative"),
    ],
)
def test_select_tags_invalid(kwargs: dict[str, object], fragment: str) -> None:
    with pytest.raises(InvalidInput) as info:
        select_tags(["a"], **kwargs)  # type: ignore[arg-type]
    assert fragment in str(info.value)


def test_sorts_constant() -> None:
    assert SORTS == ("version", "lexical", "updated")


# --- compile_tag_filter -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pattern", "matches", "rejects"),
    [
        (r"^v?\d+\.\d+$", ["1.2", "v10.20"], ["1.2.3", "latest"]),
        ("alpine", ["3.19-alpine", "alpine"], ["slim"]),
        ("(?i)ALPINE", ["alpine"], ["slim"]),
    ],
)
def test_compile_tag_filter(pattern: str, matches: list[str], rejects: list[str]) -> None:
    compiled = compile_tag_filter(pattern)
    assert compiled is not None
    assert all(compiled.search(tag) for tag in matches)
    assert not any(compiled.search(tag) for tag in rejects)


def test_empty_filter_is_none() -> None:
    assert compile_tag_filter("") is None


@pytest.mark.parametrize(
    ("pattern", "fragment"),
    [
        ("(", "missing ), unterminated subpattern at position 0"),
        ("[a-", "unterminated character set"),
        ("a{2,1}", "min repeat greater than max repeat"),
        ("*x", "nothing to repeat"),
        ("a{99999999999}", "the repetition number is too large"),
    ],
)
def test_compile_tag_filter_invalid(pattern: str, fragment: str) -> None:
    with pytest.raises(InvalidInput) as info:
        compile_tag_filter(pattern)
    message = str(info.value)
    assert message.startswith(f"tag-filter {pattern!r} is not a valid Python regular expression")
    assert fragment in message


# --- properties ---------------------------------------------------------------------------------

_tag_parts = st.sampled_from(
    [
        "1",
        "2",
        "10",
        "0",
        "01",
        ".",
        "-",
        "v",
        "rc",
        "alpha",
        "beta",
        "dev",
        "a",
        "b",
        "alpine",
        "slim",
        "latest",
        "+",
        "x",
    ]
)
_tags = st.lists(_tag_parts, min_size=1, max_size=7).map("".join)
_tag_lists = st.lists(_tags, max_size=25)


@settings(max_examples=200, deadline=None)
@given(_tag_lists, st.sampled_from(["version", "lexical", "updated"]), st.randoms())
def test_sort_is_total_and_deterministic(tags: list[str], sort: str, rnd: random.Random) -> None:
    updated = {tag: T0 + timedelta(hours=len(tag) % 3) for tag in tags[::2]}
    result = sort_tags(tags, sort, updated)
    shuffled = list(tags)
    rnd.shuffle(shuffled)
    assert sort_tags(shuffled, sort, updated) == result
    assert sorted(result) == sorted(set(tags))  # a permutation of the distinct tags


@settings(max_examples=200, deadline=None)
@given(_tag_lists, st.integers(0, 30), st.sampled_from(["", "1", r"^v", "alpine$", "[0-9]"]))
def test_select_tags_properties(tags: list[str], max_tags: int, pattern: str) -> None:
    tag_filter = compile_tag_filter(pattern)
    selection = select_tags(tags, tag_filter=tag_filter, max_tags=max_tags)
    kept = {tag for tag in tags if tag_filter is None or tag_filter.search(tag)}
    assert selection.count == len(kept)
    assert set(selection.tags) <= kept
    assert len(selection.tags) == (len(kept) if max_tags == 0 else min(max_tags, len(kept)))
    if selection.latest_semver is not None:
        assert selection.latest_semver in kept
        best = parse_version(selection.latest_semver)
        assert best is not None and best.is_semver_release
        for tag in kept:
            other = parse_version(tag)
            assert other is None or not other.is_semver_release or other <= best
    else:
        assert not any((v := parse_version(t)) is not None and v.is_semver_release for t in kept)


@settings(max_examples=200, deadline=None)
@given(st.lists(_tags, min_size=2, max_size=3, unique=True))
def test_version_order_is_consistent(tags: list[str]) -> None:
    versions = [v for v in map(parse_version, tags) if v is not None]
    for a in versions:
        assert str(a) in tags and parse_version(str(a)) == a
        for b in versions:
            # Exactly one of <, ==, > holds, and it agrees with the reverse comparison.
            assert [a < b, a == b, a > b].count(True) == 1
            assert (a < b) == (b > a) and (a <= b) == (b >= a)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=40))
def test_parse_version_arbitrary_text(text: str) -> None:
    version = parse_version(text)
    assert version is None or str(version) == text


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=20))
def test_compile_tag_filter_arbitrary_text(pattern: str) -> None:
    try:
        compiled = compile_tag_filter(pattern)
    except InvalidInput as error:
        assert "tag-filter" in str(error)
        return
    assert compiled is None or compiled.pattern == pattern
    assert (compiled is None) == (pattern == "")
    if compiled is not None:
        assert isinstance(compiled, re.Pattern)
