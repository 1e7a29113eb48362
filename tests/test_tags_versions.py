"""Tests for hubaction.oci.tags: version parsing and sorting."""

from __future__ import annotations

import itertools
import random

import pytest

from hubaction.oci.tags import Version, parse_version, select_tags, sort_tags

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
    # Pre-releases below the release; words in ASCII order as semver compares them:
    # alpha < beta < dev < pre < preview < rc (README "Version ordering").
    [
        "1.0.0-alpha",
        "1.0.0-alpha.1",
        "1.0.0-alpha.beta",
        "1.0.0-beta",
        "1.0.0-beta.2",
        "1.0.0-beta.11",
        "1.0.0-dev",
        "1.0.0-dev.2",
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
    ["1.2.3+b", "v1.2.3", "01.2.3", "1.2.3"],  # the README's example
    ["01.2.3", "1.02.3", "1.2.3"],
    # README "Version ordering", the forms that are not semver:
    # `v1` and `1`: the same precedence, the bare one higher.
    ["v1", "1", "v1.0", "1.0", "1.0.1"],
    # Alpine-style revisions and other digit runs in a variant: numerically.
    ["1.2.3-r2", "1.2.3-r10", "1.2.3-r100", "1.2.3"],
    ["1.25.3-debian-11-r2", "1.25.3-debian-11-r10", "1.25.3-debian-12-r0", "1.25.3"],
    # A variant is a variant of its release: above every pre-release of that release.
    ["1.2.3-rc.1", "1.2.3-alpine", "1.2.3-slim", "1.2.3", "1.2.4-rc.1"],
    # Dates: `2024-01-15` is 2024 with variant `01-15`; CalVer with dots is a release number;
    # a bare date is one big number, above any ordinary major version.
    ["2023-12-31", "2024-01-02", "2024-01-15", "2024", "2024.01.15", "20240101"],
    # Glued digits are numbers: rc1 == rc.1 in precedence (the dotted form ties below).
    ["1.0.0-rc.1", "1.0.0-rc1", "1.0.0-rc2", "1.0.0-rc.10"],
    # Words ignore case: RC1 ties with rc1, then the text decides.
    ["1.0.0-RC1", "1.0.0-rc1", "1.0.0-rc2"],
]


# Tags of equal precedence (README "Version ordering"): only the tie-break orders them.
@pytest.mark.parametrize(
    "tags",
    [
        ["1.2.3", "v1.2.3", "01.2.3", "1.2.3+b"],
        ["1.2", "1.02", "v1.2"],
        ["1.0.0-rc1", "1.0.0-rc.1", "1.0.0-RC1"],
    ],
)
def test_equal_precedence(tags: list[str]) -> None:
    keys = {parse_version(tag).precedence() for tag in tags}  # type: ignore[union-attr]
    assert len(keys) == 1


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
        # not versions (`latest`, code names, hashes) follow all versions, in code-point order
        (
            ["latest", "edge", "1", "sha-0abc", "0.1", "Latest", "stable"],
            ["1", "0.1", "Latest", "edge", "latest", "sha-0abc", "stable"],
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
