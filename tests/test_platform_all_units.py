"""``platform: all`` without a registry: the input, the verdict over platforms, the summary table.
(End to end against the real registry: tests/test_platform_all.py.)"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from summary_answers import AMD64, AMD64_DIGEST, ARM64, ARM64_DIGEST, MANIFEST, REF, sample_info

from hubaction.errors import InvalidInput
from hubaction.github.inputs import read_inputs
from hubaction.github.summary import all_platforms_table
from hubaction.oci.basecheck import BaseCheck, BaseComparison
from hubaction.oci.digest import parse_digest
from hubaction.oci.mediatypes import OCI_MANIFEST
from hubaction.oci.model import AllPlatforms, PlatformEntry, ResolvedPlatform
from hubaction.oci.platform import Platform, is_all_platforms, parse_platform


def getter(values: dict[str, str]) -> Callable[[str], str]:
    return lambda name: values.get(name, "")


@pytest.mark.parametrize(
    ("text", "every"),
    [("all", True), ("ALL", True), ("All", True), ("linux/amd64", False), ("alll", False)],
)
def test_all_is_told_apart_from_a_platform(text: str, every: bool) -> None:
    assert is_all_platforms(text) is every


@pytest.mark.parametrize("value", ["all", "ALL"])
def test_the_input_takes_all_and_keeps_linux_amd64_for_the_single_outputs(value: str) -> None:
    inputs = read_inputs(getter({"repository": "ghcr.io/acme/app", "platform": value}))
    assert inputs.all_platforms is True
    assert inputs.platform == parse_platform("linux/amd64")


def test_one_platform_is_not_all() -> None:
    inputs = read_inputs(getter({"repository": "ghcr.io/acme/app", "platform": "linux/arm64"}))
    assert inputs.all_platforms is False
    assert inputs.platform == parse_platform("linux/arm64")


def test_a_bad_platform_says_all_is_accepted() -> None:
    with pytest.raises(InvalidInput, match="`all` for every platform"):
        read_inputs(getter({"repository": "ghcr.io/acme/app", "platform": "linux"}))


def test_all_with_digest_only_is_an_input_error() -> None:
    values = {"repository": "ghcr.io/acme/app", "platform": "all", "digest-only": "true"}
    with pytest.raises(InvalidInput, match=r"`platform: all`.*`digest-only: true`"):
        read_inputs(getter(values))


def digest(char: str) -> str:
    return "sha256:" + char * 64


def comparison(platform: str, changed: bool, manifest: str | None = None) -> BaseComparison:
    d = parse_digest(manifest) if manifest else None
    return BaseComparison(platform, parse_digest(digest("f")), changed, "layers", "x", d)


def test_changed_platforms_in_order_each_once() -> None:
    check = BaseCheck(
        REF,
        parse_digest(digest("e")),
        (
            comparison("linux/arm64", True),
            comparison("linux/amd64", False),
            comparison("windows/amd64", True),
            comparison("windows/amd64", True),  # two Windows builds: one platform name
        ),
        chosen=None,
    )
    assert check.changed_platforms == ("linux/arm64", "windows/amd64")
    assert check.any_changed is True


def test_any_changed_differs_from_the_chosen_platforms_answer() -> None:
    amd, arm = comparison("linux/amd64", False), comparison("linux/arm64", True)
    check = BaseCheck(REF, parse_digest(digest("e")), (amd, arm), chosen=amd)
    assert check.changed is False  # the default lookup: the chosen platform's answer
    assert check.any_changed is True  # platform: all
    none = BaseCheck(REF, parse_digest(digest("e")), (amd,), chosen=amd)
    assert none.changed_platforms == () and none.any_changed is False


def found(missing_arm: bool = False) -> AllPlatforms:
    windows = Platform("windows", "amd64", None, os_version="10.0.20348.2227")
    win_digest = parse_digest(digest("9"))
    return AllPlatforms(
        sample_info(),
        (
            ResolvedPlatform(PlatformEntry(AMD64, AMD64_DIGEST, OCI_MANIFEST, 500), MANIFEST),
            ResolvedPlatform(
                PlatformEntry(ARM64, ARM64_DIGEST, OCI_MANIFEST, 500),
                None if missing_arm else MANIFEST,
            ),
            ResolvedPlatform(PlatformEntry(windows, win_digest, OCI_MANIFEST, 500), MANIFEST),
        ),
    )


def test_the_table_shows_every_platform_and_marks_the_outputs_one() -> None:
    table = all_platforms_table(found())
    assert table.header == ("Platform", "Manifest digest", "Layers", "Size")
    assert [r[0] for r in table.rows] == [
        "linux/amd64 (outputs)",
        "linux/arm64/v8",
        "windows/amd64 (10.0.20348.2227)",
    ]
    layers = str(len(MANIFEST.layers))
    assert all(r[2] == layers for r in table.rows)
    assert "missing" not in table.note


def test_the_table_marks_a_missing_manifest_and_the_base_per_platform() -> None:
    check = BaseCheck(
        REF,
        parse_digest(digest("e")),
        (
            comparison("linux/amd64", False, str(AMD64_DIGEST)),
            comparison("windows/amd64", True, digest("9")),
        ),
        chosen=None,
    )
    table = all_platforms_table(found(missing_arm=True), check)
    assert table.header[-1] == "Base"
    amd, arm, win = table.rows
    assert amd[-1] == "current" and win[-1] == "**moved on**"
    assert arm[2] == "**missing** (404)" and arm[-1] == "not compared"
    assert "1 listed manifest is missing (404)" in table.note
