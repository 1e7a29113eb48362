"""containerd/platforms' own test cases, run against hubaction.oci.platform.

Every table below is ported from containerd/platforms at commit
09756f59cb1d6b3fb368f371043d36e634789537, files ``compare_test.go``, ``platforms_test.go``,
``defaults_test.go``, ``defaults_windows_test.go``, ``platforms_windows_test.go`` and
``platform_windows_compat_test.go``; each block names its test function. ``Only(p).Match(c)``
is read as "``select_platform(p, [c])`` picks ``c``". Cases where hubaction deliberately answers
otherwise are marked ``differs=...`` with the reason; each is listed in docs/differences.md
("Platforms").

Not ported: ``TestOnlyStrict``, ``TestOnlyOS``, ``TestOnlyOSLess`` (matchers hubaction does not
have), ``TestCompareOSFeatures`` and ``TestFormatAllEncoding`` (``os.features`` and the
``os(version+features)`` form, which hubaction neither parses nor formats), and the tests of the
local machine's default platform (``TestDefault``: hubaction has no host platform).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest

from hubaction.errors import InvalidPlatform, PlatformNotFound
from hubaction.oci.platform import Platform, parse_platform, select_platform

_WINDOWS_FORM = re.compile(r"(\w+)\(([0-9.]*)\)/(.+)")
CROSS_ARCH = (
    "containerd's Only falls back to another architecture (amd64 to 386, arm64 to arm/v8 and "
    "below); hubaction never does: a 32-bit image for a 64-bit request would surprise"
)


def _platform(text: str) -> Platform:
    """A test platform: ``os/arch[/variant]``, or containerd's ``windows(10.0.17763)/amd64``."""
    match = _WINDOWS_FORM.fullmatch(text)
    if match is None:
        return parse_platform(text)
    os, version, rest = match.groups()
    parsed = parse_platform(f"{os}/{rest}")
    return Platform(parsed.os, parsed.architecture, parsed.variant, version or None)


def _picks(wanted: Platform, candidate: Platform) -> bool:
    try:
        return select_platform(wanted, [(candidate, "it")]) == "it"
    except PlatformNotFound:
        return False


@dataclass(frozen=True)
class Match:
    """``Only(wanted).Match(candidate)`` is ``upstream``; ``differs`` says why hubaction's
    answer is the other one."""

    wanted: str
    candidate: str
    upstream: bool
    differs: str = ""


def _only(wanted: str, true: list[str], false: list[str], differs: dict[str, str]) -> list[Match]:
    cases = [Match(wanted, c, True, differs.get(c, "")) for c in true]
    return cases + [Match(wanted, c, False, differs.get(c, "")) for c in false]


def _cross(*candidates: str) -> dict[str, str]:
    return dict.fromkeys(candidates, CROSS_ARCH)


_ARM32 = ["linux/arm", "linux/arm/v5", "linux/arm/v6", "linux/arm/v7", "linux/arm/v8"]
_OTHERS = ["linux/amd64", "linux/arm/v4", "windows/amd64", "windows/arm"]

# compare_test.go@09756f59 TestOnly
ONLY = [
    *_only(
        "linux/amd64",
        ["linux/amd64", "linux/386"],
        ["linux/amd64/v2", "linux/arm/v7", "linux/arm64", "windows/amd64", "windows/arm"],
        _cross("linux/386"),
    ),
    *_only(
        "linux/amd64/v2",
        ["linux/amd64", "linux/amd64/v1", "linux/amd64/v2", "linux/386"],
        [
            "linux/amd64/v3",
            "linux/amd64/v4",
            "linux/arm/v7",
            "linux/arm64",
            "windows/amd64",
            "windows/arm",
        ],
        _cross("linux/386"),
    ),
    *_only(
        "linux/386",
        ["linux/386"],
        ["linux/amd64", "linux/arm/v7", "linux/arm64", "windows/amd64", "windows/arm"],
        {},
    ),
    *_only(
        "windows/amd64",
        ["windows/amd64", "windows(10.0.17763)/amd64"],
        ["linux/amd64", "linux/arm/v7", "linux/arm64", "windows/arm"],
        {},
    ),
    *_only(
        "linux/arm/v8",
        _ARM32,
        ["linux/amd64", "linux/arm/v4", "linux/arm64", "windows/amd64", "windows/arm"],
        {},
    ),
    *_only(
        "linux/arm/v7",
        ["linux/arm", "linux/arm/v5", "linux/arm/v6", "linux/arm/v7"],
        [
            "linux/amd64",
            "linux/arm/v4",
            "linux/arm/v8",
            "linux/arm64",
            "windows/amd64",
            "windows/arm",
        ],
        {},
    ),
    *_only(
        "linux/arm/v6",
        ["linux/arm/v5", "linux/arm/v6"],
        [
            "linux/amd64",
            "linux/arm",
            "linux/arm/v4",
            "linux/arm/v7",
            "linux/arm/v8",
            "linux/arm64",
            "windows/amd64",
            "windows/arm",
        ],
        {},
    ),
    *_only(
        "linux/arm/v5",
        ["linux/arm/v5"],
        [
            "linux/amd64",
            "linux/arm",
            "linux/arm/v4",
            "linux/arm/v6",
            "linux/arm/v7",
            "linux/arm/v8",
            "linux/arm64",
            "windows/amd64",
            "windows/arm",
        ],
        {},
    ),
    *_only(
        "linux/arm/v4",
        ["linux/arm/v4"],
        [
            "linux/amd64",
            "linux/arm",
            "linux/arm/v5",
            "linux/arm/v6",
            "linux/arm/v7",
            "linux/arm/v8",
            "linux/arm64",
            "windows/amd64",
            "windows/arm",
        ],
        {},
    ),
    *_only(
        "linux/arm64/v9.6",
        _ARM32
        + ["linux/arm64", "linux/arm64/v8"]
        + [f"linux/arm64/v8.{n}" for n in range(1, 10)]
        + ["linux/arm64/v9"]
        + [f"linux/arm64/v9.{n}" for n in range(7)],
        [*_OTHERS, "linux/arm64/v8.10"],  # there's no v8.10
        _cross(*_ARM32),
    ),
    *_only(
        "linux/arm64/v9",
        _ARM32
        + ["linux/arm64", "linux/arm64/v8"]
        + [f"linux/arm64/v8.{n}" for n in range(1, 6)]
        + ["linux/arm64/v9", "linux/arm64/v9.0"],
        [*_OTHERS, "linux/arm64/v8.6"],
        _cross(*_ARM32),
    ),
    *_only(
        "linux/arm64/v8.1",
        [*_ARM32, "linux/arm64", "linux/arm64/v8", "linux/arm64/v8.1"],
        [*_OTHERS, "linux/arm/v9", "linux/arm64/v9"],
        _cross(*_ARM32),
    ),
    *_only(
        "linux/arm64",
        [*_ARM32, "linux/arm64", "linux/arm64/v8"],
        [*_OTHERS, "linux/arm/v9", "linux/arm64/v9"],
        _cross(*_ARM32),
    ),
]


def _id(case: Match) -> str:
    return ("DIFFERS " if case.differs else "") + f"{case.wanted}->{case.candidate}"


@pytest.mark.parametrize("case", ONLY, ids=[_id(c) for c in ONLY])
def test_only(case: Match) -> None:
    expected = case.upstream != bool(case.differs)
    assert _picks(_platform(case.wanted), _platform(case.candidate)) is expected


# --------------------------------------------------------------------------------------------
# compare.go@09756f59 `Only` orders what it matches (platformVector, used by Ordered.Less): the
# best entry of an index wins wherever it is. (wanted, index, picked)

ORDER = [
    ("linux/arm/v7", ["linux/arm/v5", "linux/arm/v6", "linux/arm/v7"], "linux/arm/v7"),
    ("linux/arm/v7", ["linux/arm/v5", "linux/arm/v6"], "linux/arm/v6"),
    ("linux/arm/v8", ["linux/arm/v5", "linux/arm", "linux/arm/v6"], "linux/arm"),
    (
        "linux/arm64/v9.2",
        ["linux/arm64/v8.9", "linux/arm64/v8.7", "linux/arm64"],
        "linux/arm64/v8.7",
    ),
    ("linux/arm64/v9.2", ["linux/arm64/v8.7", "linux/arm64/v9"], "linux/arm64/v9"),
    ("linux/arm64/v9.2", ["linux/arm64/v9", "linux/arm64/v9.1"], "linux/arm64/v9.1"),
    (
        "linux/arm64/v8.3",
        ["linux/arm64", "linux/arm64/v8.2", "linux/arm64/v8.4"],
        "linux/arm64/v8.2",
    ),
    ("linux/amd64/v3", ["linux/amd64", "linux/amd64/v2", "linux/amd64/v4"], "linux/amd64/v2"),
    ("linux/amd64/v2", ["linux/amd64/v1", "linux/amd64/v3"], "linux/amd64/v1"),
]


@pytest.mark.parametrize(("wanted", "index", "picked"), ORDER)
def test_only_order(wanted: str, index: list[str], picked: str) -> None:
    candidates = [(_platform(text), text) for text in index]
    assert select_platform(_platform(wanted), candidates) == picked
    assert select_platform(_platform(wanted), candidates[::-1]) == picked


@pytest.mark.parametrize(
    ("wanted", "candidate", "differs"),
    [
        # compare.go@09756f59 platformVector: "386" has no fallbacks and normalizeArch keeps its
        # variant (database.go), so linux/386/sse2 takes only itself.
        ("linux/386/sse2", "linux/386/sse2", ""),
        ("linux/386/sse2", "linux/386", ""),
        ("linux/386", "linux/386/sse2", ""),
        # An arm64 variant outside arm64variantToVersion: Only's vector is empty (it matches
        # nothing); hubaction takes the same variant and nothing else.
        (
            "linux/arm64/v8.10",
            "linux/arm64/v8.10",
            "Only matches nothing for an arm64 variant "
            "it has no table entry for, not even itself; hubaction takes an exact match",
        ),
        ("linux/arm64/v8.10", "linux/arm64/v8.9", ""),
        ("linux/arm64/v10", "linux/arm64/v9", ""),
        # Unknown 32-bit ARM and amd64 variants: exact only (strconv.Atoi fails).
        ("linux/arm/custom", "linux/arm/custom", ""),
        ("linux/arm/custom", "linux/arm/v5", ""),
        ("linux/amd64/custom", "linux/amd64", ""),
    ],
)
def test_only_unusual_variants(wanted: str, candidate: str, differs: str) -> None:
    # What Only answers, from compare.go's code (no upstream test covers these).
    upstream = wanted == candidate and not wanted.startswith("linux/arm64/v8.10")
    assert _picks(_platform(wanted), _platform(candidate)) is (upstream != bool(differs))


# --------------------------------------------------------------------------------------------
# platforms_test.go@09756f59 TestParseSelector: (input, what containerd normalizes it to, more
# spellings its matcher takes). containerd's Parse spells the default variants otherwise
# ("linux/arm" without v7, "linux/arm64/v8" with v8); the entries matched are the same.

SELECTORS = [
    ("linux/arm64", "linux/arm64", ["linux/aarch64", "linux/aarch64/v8", "linux/arm64/v8"]),
    ("linux/arm64/v8", "linux/arm64", ["linux/aarch64", "linux/aarch64/v8", "linux/arm64"]),
    ("linux/arm", "linux/arm/v7", ["linux/arm/v7", "linux/armhf", "linux/arm/7"]),
    ("linux/arm/v6", "linux/arm/v6", ["linux/armel"]),
    ("linux/arm/v7", "linux/arm/v7", ["linux/arm", "linux/armhf"]),
    ("Linux/x86_64", "linux/amd64", []),
    ("linux/s390x", "linux/s390x", []),
]


@pytest.mark.parametrize(("text", "normalized", "matches"), SELECTORS)
def test_parse_selector(text: str, normalized: str, matches: list[str]) -> None:
    parsed = parse_platform(text)
    assert str(parsed) == text  # hubaction echoes the platform as written
    assert str(parsed.normalized()) == normalized
    for other in [text, normalized, *matches]:
        assert _picks(parsed, parse_platform(other)), other
        assert _picks(parse_platform(other), parsed), other


ONE_PART = (
    "containerd fills in the missing half from the machine it runs on; hubaction has no host "
    "platform to take it from (a runner's would be a guess), so it asks for os/arch"
)
OS_OPTIONS = (
    "containerd's os(version+features) form; hubaction's platform input takes os/arch[/variant] "
    "only (os.version is matched when given through the API)"
)


@pytest.mark.parametrize(
    ("text", "differs"),
    [
        # TestParseSelector inputs hubaction refuses on purpose
        *[(t, ONE_PART) for t in ["arm", "armel", "armhf", "Aarch64", "x86_64", "i386"]],
        *[(t, ONE_PART) for t in ["linux", "s390x", "macOS", "windows"]],
        *[(t, OS_OPTIONS) for t in ["windows()", "windows(10.0.17763)", "linux(+gpu)"]],
        ("windows(10.0.17763+win32k)", OS_OPTIONS),
        ("windows(10.0.17763%2Bbuild.42)", OS_OPTIONS),
        ("windows(10.0.17763)/amd64", OS_OPTIONS),
        # TestParseSelectorInvalid: refused upstream too
        ("", ""),
        ("/linux/arm", ""),
        ("linux/arm/", ""),
        ("linux /arm", ""),
        ("linux/&arm", ""),
        ("linux/arm/foo/bar", ""),
        # platforms.go@09756f59 Parse: wildcards are refused
        ("linux/*", ""),
    ],
)
def test_parse_selector_refused(text: str, differs: str) -> None:
    with pytest.raises(InvalidPlatform) as caught:
        parse_platform(text)
    assert "os/arch[/variant]" in str(caught.value)


# --------------------------------------------------------------------------------------------
# Windows os.version. defaults_test.go@09756f59 TestMatchComparerMatch_ABICheckWCOW:
# (host os.version, image os.version, match); "" is no os.version.

WS2019, WS2022, WIN11 = "10.0.17763", "10.0.20348", "10.0.22621"
ABI = [
    (WS2019, WS2019, True),
    (WS2019, WS2022, False),
    (WS2022, WS2019, False),
    (WS2022, WS2022, True),
    (WIN11, WS2019, False),
    (WIN11, WS2022, True),
    ("", WS2019, True),
    ("", "", True),
    ("", WIN11, True),
    # defaults_windows_test.go@09756f59 TestMatchComparerMatch_WCOW, with the host at WS2019
    (WS2019, WS2019 + ".1", True),
    (WS2019, WS2019 + ".2", True),
    (WS2019, "10.0.17762.1", False),
    (WS2019, "10.0.17764.1", False),
    (WS2019, "", True),
    # platforms_windows_test.go@09756f59 TestFallbackOnOSVersion
    ("99.99.99.99", "", True),
]
# platform_windows_compat_test.go@09756f59 Test_PlatformCompat: (host build, image build, runs)
LTSC2019, LTSC2022, WIN11_22H2, V23H2, LTSC2025 = 17763, 20348, 22621, 25398, 26100
COMPAT = [
    (LTSC2019, LTSC2019, True),
    (LTSC2019, LTSC2022, False),
    (LTSC2022, LTSC2019, False),
    (LTSC2022, LTSC2022, True),
    (WIN11_22H2, LTSC2019, False),
    (WIN11_22H2, LTSC2022, True),
    (V23H2, LTSC2019, False),
    (V23H2, LTSC2022, True),
    (LTSC2025, LTSC2022, True),
    (LTSC2022, LTSC2025, False),
    (LTSC2022, WIN11_22H2, False),
    (LTSC2025, WIN11_22H2, True),
]
ABI += [(f"10.0.{host}", f"10.0.{image}", runs) for host, image, runs in COMPAT]


@pytest.mark.parametrize(("host", "image", "runs"), ABI)
def test_windows_os_version(host: str, image: str, runs: bool) -> None:
    wanted = Platform("windows", "amd64", None, host or None)
    assert _picks(wanted, Platform("windows", "amd64", None, image or None)) is runs
    # defaults_windows_test.go TestMatchComparerMatch_LCOW: os.version never makes a Linux
    # entry run on Windows, nor the other way round.
    assert not _picks(wanted, Platform("linux", "amd64", None, image or None))


# platform_windows_compat_test.go@09756f59 Test_PlatformOrder and defaults_test.go
# TestWindowsMatchComparerLess: a Windows host takes the newest entry it runs.
LINUX = Platform("linux", "amd64")
WIN_2022 = Platform("windows", "amd64", None, "10.0.20348.3091")
WIN_2025 = Platform("windows", "amd64", None, "10.0.26100.2894")
WIN_2025_3000 = Platform("windows", "amd64", None, "10.0.26100.3000")


@pytest.mark.parametrize(
    ("host", "index", "picked"),
    [
        (WIN_2022, [LINUX, WIN_2022, WIN_2025], WIN_2022),
        (WIN_2025, [LINUX, WIN_2022, WIN_2025], WIN_2025),
        (WIN_2025, [LINUX, WIN_2022, WIN_2025_3000], WIN_2025_3000),
    ],
)
def test_windows_platform_order(host: Platform, index: list[Platform], picked: Platform) -> None:
    assert select_platform(host, [(p, p) for p in index]) == picked


def test_windows_match_comparer_less() -> None:
    host = Platform("windows", "amd64", None, "10.0.17763.1")
    versions = ["10.0.17764.1", None, "10.0.17763.1", "10.0.17763.2", "10.0.17762.1"]
    index = [(Platform("windows", "amd64", None, v), v) for v in versions]
    # Upstream's sorted order: 10.0.17763.2, 10.0.17763.1, no version, then the two it cannot
    # run; the first is the one picked, and each step down is picked once the better is gone.
    for expected in ["10.0.17763.2", "10.0.17763.1", None]:
        assert select_platform(host, index) == expected
        index = [entry for entry in index if entry[1] != expected]
    with pytest.raises(PlatformNotFound):
        select_platform(host, index)
