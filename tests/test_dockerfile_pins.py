"""Issue 17 §1 end to end on the real registry: a pin on a platform's manifest is `current`
while that manifest is current, `stale` once the tag moved on; one index GET is spent only for
a pin that differs from the index digest."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
from actionrunner import run_in_process
from dockerfile_pins_scenario import PinScenario, counting_session, push_scenario
from registryfixtures import RegistryProcess


@pytest.fixture(scope="module")
def pins(open_registry: RegistryProcess) -> PinScenario:
    return push_scenario(open_registry.url, open_registry.host)


def _run(
    tmp_path: Path, text: str, **inputs: str
) -> tuple[list[dict[str, object]], Counter[tuple[str, str]]]:
    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_text(text)
    session, seen = counting_session()
    run = run_in_process({"dockerfile": str(dockerfile), **inputs}, tmp_path, session=session)
    assert run.returncode == 0, run.log
    assert run.outputs["dockerfile-updated"] == "false"
    return json.loads(run.outputs["base-images"]), seen


def test_a_pin_on_the_index_costs_only_its_head(tmp_path: Path, pins: PinScenario) -> None:
    [entry], seen = _run(tmp_path, f"FROM {pins.base}@{pins.new.index}\n")
    assert (entry["status"], entry["platform-digest"]) == ("current", None)
    assert seen == Counter({("HEAD", "tag"): 1})


@pytest.mark.parametrize(
    ("flag", "platform", "pin"),
    [
        ("--platform=linux/amd64 ", "linux/arm64", "amd64"),  # the flag wins over the input
        ("", "linux/arm64", "arm64"),  # no flag: the platform input
        ("--platform=$BUILDPLATFORM ", "linux/amd64", "arm64"),  # only the build knows: any
        ("--platform=${P} ", "linux/amd64", "arm64"),  # an ARG default the file gives
    ],
)
def test_a_pin_on_the_current_platform_manifest_is_current(
    tmp_path: Path, pins: PinScenario, flag: str, platform: str, pin: str
) -> None:
    digest = getattr(pins.new, pin)
    text = f"ARG P=linux/arm64\nFROM {flag}{pins.base}@{digest} AS build\n"
    [entry], seen = _run(tmp_path, text, platform=platform)
    assert entry["status"] == "current"
    assert entry["platform-digest"] == digest
    assert entry["current-digest"] == pins.new.index
    assert entry["pinned"] == f"{pins.base}@{digest}"
    # One GET of the index, because the pin differs from the index digest.
    assert seen == Counter({("HEAD", "tag"): 1, ("GET", "digest"): 1})


def test_a_pin_on_another_platform_than_the_wanted_one_is_stale(
    tmp_path: Path, pins: PinScenario
) -> None:
    """The spec's rule: the platform of `--platform`, else the `platform` input's, counts; its
    manifest is what the pin is updated to. Telling is free: the pin is in the index."""
    [entry], seen = _run(tmp_path, f"FROM --platform=linux/amd64 {pins.base}@{pins.new.arm64}\n")
    assert (entry["status"], entry["platform-digest"]) == ("stale", pins.new.amd64)
    assert seen == Counter({("HEAD", "tag"): 1, ("GET", "digest"): 1})


def test_old_pins_are_stale_and_say_what_to_pin(tmp_path: Path, pins: PinScenario) -> None:
    text = (
        f"FROM --platform=linux/arm64 {pins.base}@{pins.old.arm64} AS arm\n"
        f"FROM {pins.base}@{pins.old.index} AS index\n"
        f"FROM {pins.base}@{pins.new.index} AS fresh\n"
        f"FROM {pins.host}/pins/single:1@{pins.single}\n"
    )
    arm, index, fresh, single = (_run(tmp_path, text))[0]
    assert (arm["status"], arm["platform-digest"]) == ("stale", pins.new.arm64)
    assert arm["pinned"] == f"{pins.base}@{pins.new.arm64}"  # a platform pin stays one
    assert (index["status"], index["platform-digest"]) == ("stale", None)
    assert index["pinned"] == f"{pins.base}@{pins.new.index}"
    assert (fresh["status"], single["status"]) == ("current", "current")
    _entries, seen = _run(tmp_path, text)
    # One HEAD per tag (two tags); one index GET, for the two pins that differ from the index
    # digest; for those stale ones, a HEAD of the old pin tells a manifest from an index.
    assert seen == Counter({("HEAD", "tag"): 2, ("GET", "digest"): 1, ("HEAD", "digest"): 2})


def test_a_pin_whose_tag_is_gone_is_stale(tmp_path: Path, pins: PinScenario) -> None:
    [entry], seen = _run(tmp_path, f"FROM {pins.host}/pins/base:gone@{pins.new.amd64}\n")
    assert (entry["status"], entry["current-digest"], entry["pinned"]) == ("stale", None, None)
    assert seen[("GET", "digest")] == 0
