"""``hubaction pin Dockerfile [--write] [--all]`` against the real registry (issue 17 §2)."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from dockerfile_pins_scenario import PinScenario, push_scenario
from registryfixtures import RegistryProcess

from hubaction.cli import main


@pytest.fixture(scope="module")
def pins(open_registry: RegistryProcess) -> PinScenario:
    return push_scenario(open_registry.url, open_registry.host)


def _pin(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    code = main(["pin", *argv], out=out, stdin=io.StringIO())
    return code, out.getvalue()


def _dockerfile(tmp_path: Path, pins: PinScenario) -> tuple[Path, str]:
    path = tmp_path / "Dockerfile"
    text = (
        f"# base images\r\nFROM --platform=linux/arm64 {pins.base}@{pins.old.arm64} AS build\r\n"
        f"FROM {pins.host}/pins/single:1\r\nCOPY --from=build /a /b\r\n"
    )
    path.write_bytes(text.encode())
    return path, text


def test_pin_prints_a_diff_and_leaves_the_file(
    tmp_path: Path, pins: PinScenario, capsys: pytest.CaptureFixture[str]
) -> None:
    path, text = _dockerfile(tmp_path, pins)
    code, diff = _pin(str(path))
    assert code == 0
    assert path.read_bytes() == text.encode()
    lines = diff.splitlines()
    assert lines[0] == f"--- a/{path}" and lines[1] == f"+++ b/{path}"
    assert f"-FROM --platform=linux/arm64 {pins.base}@{pins.old.arm64} AS build" in lines
    assert f"+FROM --platform=linux/arm64 {pins.base}@{pins.new.arm64} AS build" in lines
    assert not any(line.startswith(("-FROM 127", "+FROM 127")) for line in lines)
    assert "\r" not in diff  # a CRLF file's "\r" is not sent to the terminal
    assert "1 pin to update" in capsys.readouterr().err


def test_pin_write_and_all(tmp_path: Path, pins: PinScenario) -> None:
    path, text = _dockerfile(tmp_path, pins)
    code, printed = _pin(str(path), "--write")
    assert (code, printed) == (0, "")
    updated = text.replace(pins.old.arm64, pins.new.arm64)
    assert path.read_bytes() == updated.encode()
    assert _pin(str(path), "--write") == (0, "")  # twice: nothing more to do
    assert path.read_bytes() == updated.encode()
    code, _ = _pin(str(path), "--write", "--all")
    assert code == 0
    single = f"{pins.host}/pins/single:1"
    assert path.read_bytes() == updated.replace(single, f"{single}@{pins.single}").encode()


def test_pin_json(tmp_path: Path, pins: PinScenario) -> None:
    path, text = _dockerfile(tmp_path, pins)
    code, printed = _pin(str(path), "--all", "--json")
    assert code == 0
    doc = json.loads(printed)
    assert (doc["changed"], doc["written"]) == (True, False)
    assert [edit["line"] for edit in doc["edits"]] == [2, 3]
    assert [e["status"] for e in doc["base-images"]] == ["stale", "unpinned"]
    assert doc["base-images"][0]["platform-digest"] == pins.new.arm64
    assert path.read_bytes() == text.encode()


def test_pin_of_a_missing_file_is_one_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _ = _pin(str(tmp_path / "nope"))
    assert code == 2
    assert "cannot read" in capsys.readouterr().err
