"""Tests for hubaction.oci.platform: parsing, normalization and selection of image platforms."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hubaction.errors import InvalidInput, InvalidPlatform, Kind, PlatformNotFound, RegistryError
from hubaction.oci.platform import (
    Platform,
    format_platforms,
    parse_platform,
    platform_from_json,
    select_platform,
)

# ---------------------------------------------------------------------------------------------
# parse_platform


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("linux/amd64", Platform("linux", "amd64")),
        ("linux/arm64", Platform("linux", "arm64")),
        ("linux/arm64/v8", Platform("linux", "arm64", "v8")),
        ("linux/arm/v7", Platform("linux", "arm", "v7")),
        ("linux/arm/v6", Platform("linux", "arm", "v6")),
        ("linux/386", Platform("linux", "386")),
        ("linux/s390x", Platform("linux", "s390x")),
        ("linux/ppc64le", Platform("linux", "ppc64le")),
        ("linux/riscv64", Platform("linux", "riscv64")),
        ("windows/amd64", Platform("windows", "amd64")),
        ("darwin/arm64", Platform("darwin", "arm64")),
        ("linux/amd64/v3", Platform("linux", "amd64", "v3")),
        ("linux/arm64/v8.2", Platform("linux", "arm64", "v8.2")),
        # Kept as written: normalization is for matching, not for echoing back.
        ("Linux/AMD64", Platform("Linux", "AMD64")),
        ("linux/x86_64", Platform("linux", "x86_64")),
        ("linux/x86-64", Platform("linux", "x86-64")),
        ("linux/aarch64", Platform("linux", "aarch64")),
        ("linux/armhf", Platform("linux", "armhf")),
        ("unknown/unknown", Platform("unknown", "unknown")),
    ],
)
def test_parse_platform_valid(text: str, expected: Platform) -> None:
    parsed = parse_platform(text)
    assert parsed == expected
    assert str(parsed) == text


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("", "empty"),
        ("linux", "no '/'"),
        ("amd64", "no '/'"),
        ("linux/", "architecture is empty"),
        ("/amd64", "operating system is empty"),
        ("/", "operating system is empty"),
        ("linux/arm/", "variant is empty"),
        ("linux//v7", "architecture is empty"),
        ("a/b/c/d", "4 '/'-separated parts"),
        ("linux/arm/v7/extra/more", "5 '/'-separated parts"),
        (" linux/amd64", "whitespace"),
        ("linux/amd64 ", "whitespace"),
        ("linux/amd64\n", "whitespace"),
        ("linux /amd64", "' '"),
        ("linux/am d64", "' '"),
        ("linux/amd64\t/v1", "'\\t'"),
        ("linux/amd64,linux/arm64", "not a list"),
        ("linux/*", "'*'"),
        ("windows(10.0.17763)/amd64", "'('"),
        ("linux/amd64:latest", "':'"),
        ("linux/arm/v7+", "'+'"),
        ("linux/amd64\x00", "'\\x00'"),
        ("linux/amd64é", "'é'"),
        ("linux/ａmd64", "'ａ'"),  # noqa: RUF001 -- full-width letter, not ASCII
    ],
)
def test_parse_platform_invalid(text: str, why: str) -> None:
    with pytest.raises(InvalidPlatform) as info:
        parse_platform(text)
    message = str(info.value)
    assert repr(text) in message
    assert why in message
    assert "os/arch[/variant]" in message
    assert "linux/amd64, linux/arm64, linux/arm/v7" in message


def test_invalid_platform_is_invalid_input() -> None:
    with pytest.raises(InvalidInput) as info:
        parse_platform("linux")
    assert info.value.exit_code == 2


# ---------------------------------------------------------------------------------------------
# Platform: str, normalized, is_attestation


@pytest.mark.parametrize(
    ("platform", "text"),
    [
        (Platform("linux", "amd64"), "linux/amd64"),
        (Platform("linux", "arm64", "v8"), "linux/arm64/v8"),
        (Platform("linux", "arm", "v7"), "linux/arm/v7"),
        (Platform("windows", "amd64", None, "10.0.20348.2227"), "windows/amd64"),
        (Platform("linux", "amd64", ""), "linux/amd64"),
        (Platform("LINUX", "x86_64"), "LINUX/x86_64"),
    ],
)
def test_str(platform: Platform, text: str) -> None:
    assert str(platform) == text


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        (Platform("linux", "amd64"), Platform("linux", "amd64")),
        (Platform("Linux", "AMD64"), Platform("linux", "amd64")),
        (Platform("linux", "x86_64"), Platform("linux", "amd64")),
        (Platform("linux", "x86-64"), Platform("linux", "amd64")),
        (Platform("linux", "amd64", "v1"), Platform("linux", "amd64")),
        (Platform("linux", "amd64", "V1"), Platform("linux", "amd64")),
        (Platform("linux", "amd64", "v3"), Platform("linux", "amd64", "v3")),
        (Platform("linux", "x86_64", "v2"), Platform("linux", "amd64", "v2")),
        (Platform("linux", "aarch64"), Platform("linux", "arm64")),
        (Platform("linux", "arm64", "v8"), Platform("linux", "arm64")),
        (Platform("linux", "aarch64", "v8"), Platform("linux", "arm64")),
        (Platform("linux", "arm64", "8"), Platform("linux", "arm64")),
        (Platform("linux", "arm64", "v8.0"), Platform("linux", "arm64")),
        (Platform("linux", "arm64", "v8.2"), Platform("linux", "arm64", "v8.2")),
        (Platform("linux", "arm64", "9"), Platform("linux", "arm64", "v9")),
        (Platform("linux", "arm64", "v9.0"), Platform("linux", "arm64", "v9")),
        (Platform("linux", "arm"), Platform("linux", "arm", "v7")),
        (Platform("linux", "arm", ""), Platform("linux", "arm", "v7")),
        (Platform("linux", "arm", "7"), Platform("linux", "arm", "v7")),
        (Platform("linux", "arm", "6"), Platform("linux", "arm", "v6")),
        (Platform("linux", "arm", "v5"), Platform("linux", "arm", "v5")),
        (Platform("linux", "ARM", "V6"), Platform("linux", "arm", "v6")),
        (Platform("linux", "armhf"), Platform("linux", "arm", "v7")),
        (Platform("linux", "armel"), Platform("linux", "arm", "v6")),
        (Platform("linux", "i386"), Platform("linux", "386")),
        (Platform("linux", "i686"), Platform("linux", "386")),
        (Platform("linux", "386"), Platform("linux", "386")),
        (Platform("linux", "s390x"), Platform("linux", "s390x")),
        (Platform("linux", "riscv64"), Platform("linux", "riscv64")),
        (Platform("macos", "arm64"), Platform("darwin", "arm64")),
        (
            Platform("Windows", "AMD64", None, "10.0.20348.2227"),
            Platform("windows", "amd64", None, "10.0.20348.2227"),
        ),
        (Platform("unknown", "unknown"), Platform("unknown", "unknown")),
    ],
)
def test_normalized(given: Platform, expected: Platform) -> None:
    assert given.normalized() == expected
    # Normalizing is idempotent: the canonical spelling is its own canonical spelling.
    assert expected.normalized() == expected


@pytest.mark.parametrize(
    ("platform", "expected"),
    [
        (Platform("unknown", "unknown"), True),
        (Platform("unknown", "amd64"), True),
        (Platform("linux", "unknown"), True),
        (Platform("Unknown", "Unknown"), True),
        (Platform("linux", "amd64"), False),
        (Platform("windows", "amd64", None, "10.0.20348.2227"), False),
    ],
)
def test_is_attestation(platform: Platform, expected: bool) -> None:
    assert platform.is_attestation is expected


# ---------------------------------------------------------------------------------------------
# platform_from_json


@pytest.mark.parametrize(
    ("obj", "expected"),
    [
        ({"os": "linux", "architecture": "amd64"}, Platform("linux", "amd64")),
        (
            {"os": "linux", "architecture": "arm64", "variant": "v8"},
            Platform("linux", "arm64", "v8"),
        ),
        (
            {"os": "windows", "architecture": "amd64", "os.version": "10.0.20348.2227"},
            Platform("windows", "amd64", None, "10.0.20348.2227"),
        ),
        (
            {"os": "linux", "architecture": "arm", "variant": "", "os.version": ""},
            Platform("linux", "arm"),
        ),
        (
            {"os": "linux", "architecture": "amd64", "variant": None},
            Platform("linux", "amd64"),
        ),
        (
            {"os": "windows", "architecture": "amd64", "os.features": ["win32k"], "features": []},
            Platform("windows", "amd64"),
        ),
        ({"os": "unknown", "architecture": "unknown"}, Platform("unknown", "unknown")),
        # Kept as the registry spelled it.
        ({"os": "Linux", "architecture": "x86_64"}, Platform("Linux", "x86_64")),
    ],
)
def test_platform_from_json_valid(obj: dict[str, object], expected: Platform) -> None:
    assert platform_from_json(obj) == expected


@pytest.mark.parametrize(
    ("obj", "key"),
    [
        ({}, "'os'"),
        ({"architecture": "amd64"}, "'os'"),
        ({"os": "linux"}, "'architecture'"),
        ({"os": "", "architecture": "amd64"}, "'os'"),
        ({"os": "linux", "architecture": ""}, "'architecture'"),
        ({"os": None, "architecture": "amd64"}, "'os'"),
        ({"os": 1, "architecture": "amd64"}, "'os'"),
        ({"os": "linux", "architecture": ["amd64"]}, "'architecture'"),
        ({"os": "linux", "architecture": "arm", "variant": 7}, "'variant'"),
        ({"os": "windows", "architecture": "amd64", "os.version": 10.0}, "'os.version'"),
    ],
)
def test_platform_from_json_invalid(obj: dict[str, object], key: str) -> None:
    with pytest.raises(RegistryError) as info:
        platform_from_json(obj)
    assert key in str(info.value)


@pytest.mark.parametrize("obj", ["linux/amd64", None, ["linux", "amd64"]])
def test_platform_from_json_not_an_object(obj: object) -> None:
    with pytest.raises(RegistryError, match="not a JSON object"):
        platform_from_json(obj)  # type: ignore[arg-type]


# ---------------------------------------------------------------------------------------------
# select_platform

# What `docker buildx imagetools inspect` shows for a typical multi-platform image with a
# Windows build and BuildKit attestations; values stand in for the entries' digests.
INDEX: list[tuple[Platform, str]] = [
    (Platform("linux", "amd64"), "amd64"),
    (Platform("linux", "arm64", "v8"), "arm64v8"),
    (Platform("linux", "arm", "v7"), "armv7"),
    (Platform("linux", "arm", "v6"), "armv6"),
    (Platform("windows", "amd64", None, "10.0.20348.2227"), "win2022"),
    (Platform("unknown", "unknown"), "attestation-amd64"),
    (Platform("unknown", "unknown"), "attestation-arm64"),
]


def _index(*texts: str) -> list[tuple[Platform, str]]:
    return [(parse_platform(text), text) for text in texts]


@pytest.mark.parametrize(
    ("wanted", "candidates", "expected"),
    [
        # Exact and normalized matches against the realistic index.
        ("linux/amd64", INDEX, "amd64"),
        ("linux/arm64", INDEX, "arm64v8"),
        ("linux/arm64/v8", INDEX, "arm64v8"),
        ("linux/aarch64", INDEX, "arm64v8"),
        ("Linux/ARM64", INDEX, "arm64v8"),
        ("linux/x86_64", INDEX, "amd64"),
        ("linux/amd64/v1", INDEX, "amd64"),
        ("linux/arm", INDEX, "armv7"),
        ("linux/armhf", INDEX, "armv7"),
        ("linux/arm/v7", INDEX, "armv7"),
        ("linux/arm/v6", INDEX, "armv6"),
        ("linux/armel", INDEX, "armv6"),
        ("windows/amd64", INDEX, "win2022"),
        # Older compatible variants when the exact one is missing.
        ("linux/arm/v5", INDEX, None),
        ("linux/arm/v7", _index("linux/amd64", "linux/arm/v6"), "linux/arm/v6"),
        ("linux/arm/v7", _index("linux/arm/v5", "linux/arm/v6"), "linux/arm/v6"),
        ("linux/arm", _index("linux/arm/v5"), "linux/arm/v5"),
        ("linux/arm/v8", _index("linux/arm/v6", "linux/arm/v7"), "linux/arm/v7"),
        ("linux/arm64/v8", _index("linux/arm64"), "linux/arm64"),
        ("linux/arm64", _index("linux/arm64/v8"), "linux/arm64/v8"),
        ("linux/arm64/v8.2", _index("linux/arm64/v8", "linux/arm64/v8.1"), "linux/arm64/v8.1"),
        ("linux/arm64/v9", _index("linux/arm64", "linux/arm64/v8.5"), "linux/arm64/v8.5"),
        ("linux/arm64/v9", _index("linux/arm64/v9", "linux/arm64/v8.5"), "linux/arm64/v9"),
        ("linux/amd64/v3", _index("linux/amd64", "linux/amd64/v2"), "linux/amd64/v2"),
        ("linux/amd64/v3", _index("linux/amd64/v2", "linux/amd64/v3"), "linux/amd64/v3"),
        ("linux/amd64/v2", _index("linux/amd64/v1"), "linux/amd64/v1"),
        ("linux/386", _index("linux/i386"), "linux/i386"),
        ("linux/s390x", _index("linux/amd64", "linux/s390x"), "linux/s390x"),
        # Not found: newer variants, other architectures, attestations.
        ("linux/arm/v5", _index("linux/arm/v7"), None),
        ("linux/arm/v6", _index("linux/arm"), None),
        ("linux/arm64", _index("linux/arm64/v8.2"), None),
        ("linux/amd64", _index("linux/amd64/v2"), None),
        ("linux/amd64", _index("linux/386"), None),
        ("linux/386", _index("linux/amd64"), None),
        ("linux/arm64", _index("linux/arm/v7"), None),
        ("linux/ppc64le", INDEX, None),
        ("darwin/arm64", INDEX, None),
        ("unknown/unknown", INDEX, None),
        ("linux/unknown", INDEX, None),
        ("linux/amd64", [], None),
        # Variants that are not vN[.M] only match exactly.
        ("linux/arm/custom", _index("linux/arm/v7", "linux/arm/custom"), "linux/arm/custom"),
        ("linux/arm/custom", _index("linux/arm/v5"), None),
        ("linux/arm/v7", _index("linux/arm/custom"), None),
        # Among equally good entries the first in index order wins, exact or older.
        ("linux/arm64", _index("linux/arm64/v8", "linux/arm64"), "linux/arm64/v8"),
        ("linux/arm/v7", _index("linux/arm/v6", "linux/arm/6"), "linux/arm/v6"),
        ("linux/arm/v7", _index("linux/arm/6", "linux/arm/v6"), "linux/arm/6"),
        # An exact match later in the index beats the closest older variant before it.
        ("linux/arm/v7", _index("linux/arm/v6", "linux/armhf"), "linux/armhf"),
    ],
)
def test_select_platform(
    wanted: str, candidates: list[tuple[Platform, str]], expected: str | None
) -> None:
    if expected is None:
        with pytest.raises(PlatformNotFound):
            select_platform(parse_platform(wanted), candidates)
    else:
        assert select_platform(parse_platform(wanted), candidates) == expected


WINDOWS_INDEX: list[tuple[Platform, str]] = [
    (Platform("windows", "amd64", None, "10.0.17763.5329"), "ltsc2019"),
    (Platform("windows", "amd64", None, "10.0.20348.2227"), "ltsc2022"),
    (Platform("linux", "amd64"), "linux"),
]


@pytest.mark.parametrize(
    ("wanted", "expected"),
    [
        (Platform("windows", "amd64"), "ltsc2019"),
        (Platform("windows", "amd64", None, "10.0.20348.2227"), "ltsc2022"),
        (Platform("windows", "amd64", None, "10.0.20348"), "ltsc2022"),
        (Platform("windows", "amd64", None, "10.0.17763"), "ltsc2019"),
        (Platform("linux", "amd64"), "linux"),
        (Platform("windows", "amd64", None, "10.0.2034"), None),
        # A Windows Server 2025 host runs 2022 images (containerd platform_windows_compat.go).
        (Platform("windows", "amd64", None, "10.0.26100"), "ltsc2022"),
        # containerd compares os.version for Windows only.
        (Platform("linux", "amd64", None, "10.0.20348"), "linux"),
    ],
)
def test_select_platform_windows(wanted: Platform, expected: str | None) -> None:
    if expected is None:
        with pytest.raises(PlatformNotFound):
            select_platform(wanted, WINDOWS_INDEX)
    else:
        assert select_platform(wanted, WINDOWS_INDEX) == expected


def test_select_platform_exact_beats_earlier_compatible() -> None:
    candidates = _index("linux/arm/v6", "linux/arm/v7")
    assert select_platform(parse_platform("linux/arm/v7"), candidates) == "linux/arm/v7"


def test_select_platform_first_of_equals_in_index_order() -> None:
    candidates = [(Platform("linux", "amd64"), "first"), (Platform("linux", "x86_64"), "second")]
    assert select_platform(parse_platform("linux/amd64"), candidates) == "first"
    older = [(Platform("linux", "arm", "v6"), "first"), (Platform("linux", "arm", "6"), "second")]
    assert select_platform(parse_platform("linux/arm/v7"), older) == "first"


def test_select_platform_never_returns_attestation() -> None:
    candidates = [(Platform("unknown", "unknown"), "attestation")]
    with pytest.raises(PlatformNotFound) as info:
        select_platform(Platform("unknown", "unknown"), candidates)
    assert "attestation" in str(info.value)
    assert "no runnable platforms" in str(info.value)


def test_platform_not_found_message_lists_platforms() -> None:
    with pytest.raises(PlatformNotFound) as info:
        select_platform(parse_platform("linux/arm/v5"), INDEX)
    message = str(info.value)
    assert "'linux/arm/v5'" in message
    assert (
        "linux/amd64, linux/arm64/v8, linux/arm/v7, linux/arm/v6, windows/amd64 (10.0.20348.2227)"
        in message
    )
    assert "unknown" not in message
    assert "platform input" in message
    assert "--platform" in message
    assert info.value.kind is Kind.PLATFORM


def test_platform_not_found_message_shows_normalized_and_os_version() -> None:
    with pytest.raises(PlatformNotFound) as info:
        select_platform(Platform("linux", "aarch64", None, "1.2"), _index("linux/amd64"))
    message = str(info.value)
    assert "'linux/aarch64'" in message
    assert "normalized: linux/arm64" in message
    assert "'1.2'" in message


def test_platform_not_found_message_lists_each_platform_once() -> None:
    candidates = _index("linux/amd64", "linux/amd64", "linux/arm64")
    with pytest.raises(PlatformNotFound) as info:
        select_platform(parse_platform("linux/s390x"), candidates)
    assert "it has linux/amd64, linux/arm64;" in str(info.value)


# ---------------------------------------------------------------------------------------------
# format_platforms


@pytest.mark.parametrize(
    ("platforms", "expected"),
    [
        (
            [p for p, _ in INDEX],
            ["linux/amd64", "linux/arm64/v8", "linux/arm/v7", "linux/arm/v6", "windows/amd64"],
        ),
        ([p for p, _ in WINDOWS_INDEX], ["windows/amd64", "linux/amd64"]),
        ([Platform("unknown", "unknown")], []),
        ([], []),
        (
            [Platform("linux", "arm64"), Platform("linux", "amd64"), Platform("linux", "arm64")],
            ["linux/arm64", "linux/amd64"],
        ),
        # Spellings are kept: these are what the index says, not what they normalize to.
        (
            [Platform("linux", "arm64", "v8"), Platform("linux", "arm64")],
            ["linux/arm64/v8", "linux/arm64"],
        ),
    ],
)
def test_format_platforms(platforms: list[Platform], expected: list[str]) -> None:
    assert format_platforms(platforms) == expected
    assert format_platforms(iter(platforms)) == expected


# ---------------------------------------------------------------------------------------------
# Properties

_component = st.from_regex(r"[A-Za-z0-9_.-]{1,12}", fullmatch=True)
_platform_text = st.builds(
    lambda os, arch, variant: "/".join([os, arch] if variant is None else [os, arch, variant]),
    _component,
    _component,
    st.none() | _component,
)


@settings(max_examples=200, deadline=None)
@given(_platform_text)
def test_parse_platform_round_trips(text: str) -> None:
    parsed = parse_platform(text)
    assert str(parsed) == text
    assert parse_platform(str(parsed)) == parsed


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=40) | _platform_text)
def test_parse_platform_only_raises_invalid_platform(text: str) -> None:
    try:
        parsed = parse_platform(text)
    except InvalidPlatform as error:
        assert repr(text) in str(error)
    else:
        assert str(parsed) == text


@settings(max_examples=200, deadline=None)
@given(_platform_text)
def test_normalized_is_idempotent_and_selects_itself(text: str) -> None:
    platform = parse_platform(text)
    normal = platform.normalized()
    assert normal.normalized() == normal
    if platform.is_attestation:
        with pytest.raises(PlatformNotFound):
            select_platform(platform, [(normal, "it")])
    else:
        assert select_platform(platform, [(normal, "it")]) == "it"
        assert select_platform(normal, [(platform, "it")]) == "it"
