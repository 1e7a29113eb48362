"""scripts/release.py: action.yml's runs.image pinned to a release image by a one-line edit."""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path
from types import ModuleType

import pytest
import yaml

from hubaction.errors import InvalidDigest, InvalidReference

ROOT = Path(__file__).resolve().parent.parent


def _load_release() -> ModuleType:
    name = "hubaction_release_script"
    spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / "release.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


release = _load_release()

HEX = "0123456789abcdef" * 4
OTHER_HEX = "f" * 64
IMAGE = f"ghcr.io/owner/hubaction:1.2.3@sha256:{HEX}"
PINNED = f"docker://{IMAGE}"

ACTION = """\
name: sample
description: >-
  An image: not this one.
inputs:
  image:
    description: an input called image, not runs.image
    default: other
runs:
  using: docker
  # a comment inside the block
  image: Dockerfile
  env:
    image: nested, not runs.image
  args:
    - image: in a list
branding:
  icon: box
"""


# --------------------------------------------------------------------------------------------
# The image value


@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        ((IMAGE,), IMAGE),
        (("ghcr.io/owner/hubaction:1.2.3", f"sha256:{HEX}"), IMAGE),
        ((f"docker://{IMAGE}",), IMAGE),  # what --check prints can be given back
        ((f"localhost:5000/hubaction:v1.2.3@sha256:{HEX}",), None),
        ((f"GHCR.IO/owner/hubaction:1.2.3@sha256:{HEX}",), IMAGE),  # hosts are case-insensitive
        # A Docker Hub name is written in canonical form, registry included.
        ((f"hubaction/hubaction:1@sha256:{HEX}",), f"docker.io/hubaction/hubaction:1@sha256:{HEX}"),
    ],
)
def test_parse_image_accepts_name_tag_and_sha256(
    arguments: tuple[str, ...], expected: str | None
) -> None:
    reference = release.parse_image(*arguments)
    assert str(reference) == (expected or arguments[0])
    assert reference.tag is not None
    assert reference.digest is not None and reference.digest.algorithm == "sha256"


@pytest.mark.parametrize(
    ("arguments", "error"),
    [
        ((f"ghcr.io/owner/hubaction:1.2.3@sha256:{HEX.upper()}",), InvalidDigest),
        (("ghcr.io/owner/hubaction:1.2.3", f"sha256:{HEX.upper()}"), InvalidDigest),
        ((f"ghcr.io/owner/hubaction:1.2.3@sha256:{HEX[:63]}",), InvalidDigest),
        ((f"ghcr.io/owner/hubaction:1.2.3@sha256:{HEX}0",), InvalidDigest),
        (("ghcr.io/owner/hubaction:1.2.3", HEX), InvalidDigest),  # no "sha256:"
        (("ghcr.io/owner/hubaction:1.2.3", f"sha256:{HEX} "), InvalidDigest),
        ((f"ghcr.io/owner/hubaction:1.2.3@sha512:{HEX}{HEX}",), InvalidReference),
        ((f"ghcr.io/owner/hubaction@sha256:{HEX}",), InvalidReference),  # no tag
        (("ghcr.io/owner/hubaction", f"sha256:{HEX}"), InvalidReference),  # no tag
        (("ghcr.io/owner/hubaction:1.2.3",), InvalidReference),  # no digest
        ((f"docker://docker://{IMAGE}",), InvalidReference),
        ((f"docker:/{IMAGE}",), InvalidReference),
        ((IMAGE, f"sha256:{HEX}"), InvalidReference),  # the digest given twice
        ((f"ghcr.io/Owner/hubaction:1.2.3@sha256:{HEX}",), InvalidReference),
        ((f" {IMAGE}",), InvalidReference),
        (("",), InvalidReference),
        ((f"ghcr.io/owner/hubaction:1.2.3@@sha256:{HEX}",), InvalidReference),
    ],
)
def test_parse_image_refuses(arguments: tuple[str, ...], error: type[Exception]) -> None:
    with pytest.raises(error):
        release.parse_image(*arguments)


# --------------------------------------------------------------------------------------------
# The edit


def _variant(text: str, old: str, new: str) -> str:
    assert text.count(old) == 1
    return text.replace(old, new)


GOOD_FILES = {
    "plain": ACTION,
    "crlf": ACTION.replace("\n", "\r\n"),
    "no final newline": ACTION.rstrip("\n"),
    "comment after value": _variant(ACTION, "image: Dockerfile\n", "image: Dockerfile  # main\n"),
    "comment, crlf": _variant(ACTION, "image: Dockerfile\n", "image: Dockerfile # main\n").replace(
        "\n", "\r\n"
    ),
    "trailing spaces": _variant(ACTION, "image: Dockerfile\n", "image: Dockerfile   \n"),
    "single-quoted": _variant(ACTION, "image: Dockerfile\n", "image: 'Dockerfile' # q\n"),
    "double-quoted": _variant(ACTION, "image: Dockerfile\n", 'image: "Dockerfile"\n'),
    "already pinned": _variant(
        ACTION, "image: Dockerfile\n", f"image: docker://x.io/a:1@sha256:{OTHER_HEX}\n"
    ),
    "four-space indent": ACTION.replace("\n  ", "\n    "),
    "runs with a comment": _variant(ACTION, "runs:\n", "runs:  # the container\n"),
    "an image key under a later block": ACTION + "later:\n  image: not runs.image\n",
    "quote in single quotes": _variant(ACTION, "image: Dockerfile\n", "image: 'Docker''s'\n"),
    "runs last": ACTION.replace("branding:\n  icon: box\n", ""),
    "the real action.yml": (ROOT / "action.yml").read_text(encoding="utf-8"),
}


def _image_index(text: str) -> int:
    return release.find_image_line(text).index


@pytest.mark.parametrize("name", GOOD_FILES)
def test_pin_sets_runs_image(name: str) -> None:
    pinned = release.pin(GOOD_FILES[name], release.parse_image(IMAGE))
    assert yaml.safe_load(pinned)["runs"]["image"] == PINNED
    assert release.find_image_line(pinned).image == PINNED


@pytest.mark.parametrize("name", GOOD_FILES)
def test_pin_keeps_every_other_byte(name: str) -> None:
    before = GOOD_FILES[name]
    after = release.pin(before, release.parse_image(IMAGE))
    index = _image_index(before)
    before_lines, after_lines = before.split("\n"), after.split("\n")
    assert len(after_lines) == len(before_lines)
    assert after_lines[:index] == before_lines[:index]
    assert after_lines[index + 1 :] == before_lines[index + 1 :]
    # Indentation, quotes, comment and line ending stay; only the value changed.
    old_value = release.find_image_line(before).value
    quote = old_value[0] if old_value[0] in "'\"" else ""
    assert after_lines[index] == before_lines[index].replace(old_value, quote + PINNED + quote, 1)
    loaded_before, loaded_after = yaml.safe_load(before), yaml.safe_load(after)
    loaded_after["runs"]["image"] = loaded_before["runs"]["image"]
    assert loaded_after == loaded_before


@pytest.mark.parametrize("name", GOOD_FILES)
def test_pin_is_idempotent_and_repins(name: str) -> None:
    first, second = release.parse_image(IMAGE), release.parse_image(f"x.io/a:2@sha256:{OTHER_HEX}")
    once = release.pin(GOOD_FILES[name], first)
    assert release.pin(once, first) == once
    assert release.pin(release.pin(GOOD_FILES[name], second), first) == once


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("plain", "Dockerfile"),
        ("single-quoted", "Dockerfile"),
        ("double-quoted", "Dockerfile"),
        ("quote in single quotes", "Docker's"),
        ("comment, crlf", "Dockerfile"),
        ("already pinned", f"docker://x.io/a:1@sha256:{OTHER_HEX}"),
    ],
)
def test_find_image_line_reads_the_value(name: str, expected: str) -> None:
    assert release.find_image_line(GOOD_FILES[name]).image == expected


BAD_FILES = {
    "no runs": ACTION.replace("runs:\n", "run:\n"),
    "two runs": ACTION + "runs:\n  image: Dockerfile\n",
    "runs indented": ACTION.replace("runs:\n", " runs:\n"),
    "runs as a flow mapping": "name: a\nruns: {using: docker, image: Dockerfile}\n",
    "runs empty": "name: a\nruns:\nbranding: {}\n",
    "no image": ACTION.replace("  image: Dockerfile\n", ""),
    "two images": _variant(ACTION, "  image: Dockerfile\n", "  image: Dockerfile\n  image: x\n"),
    "image as a block scalar": _variant(
        ACTION, "image: Dockerfile\n", "image: >-\n    Dockerfile\n"
    ),
    "image on the next line": _variant(ACTION, "image: Dockerfile\n", "image:\n    Dockerfile\n"),
    "image with escapes": _variant(ACTION, "image: Dockerfile\n", 'image: "Docker\\x66ile"\n'),
    "image with junk after quotes": _variant(ACTION, "image: Dockerfile\n", "image: 'a' b\n"),
    "image as an anchor": _variant(ACTION, "image: Dockerfile\n", "image: &x Dockerfile\n"),
}


@pytest.mark.parametrize("name", BAD_FILES)
def test_find_image_line_refuses(name: str) -> None:
    with pytest.raises(release.ReleaseError):
        release.find_image_line(BAD_FILES[name])


# --------------------------------------------------------------------------------------------
# The command


def _run(
    tmp_path: Path, text: str, *arguments: str, capsys: pytest.CaptureFixture[str]
) -> tuple[int, bytes, str, str]:
    path = tmp_path / "action.yml"
    path.write_bytes(text.encode())
    code = release.main(["--file", str(path), *arguments])
    out, err = capsys.readouterr()
    return code, path.read_bytes(), out, err


def test_main_pins_the_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = GOOD_FILES["crlf"]
    code, written, out, _ = _run(
        tmp_path, text, "ghcr.io/owner/hubaction:1.2.3", f"sha256:{HEX}", capsys=capsys
    )
    assert code == 0
    assert written == release.pin(text, release.parse_image(IMAGE)).encode()
    assert PINNED in out
    code, rewritten, _, _ = _run(tmp_path, written.decode(), IMAGE, capsys=capsys)
    assert (code, rewritten) == (0, written)


def test_main_check_prints_the_image(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, written, out, _ = _run(tmp_path, GOOD_FILES["already pinned"], "--check", capsys=capsys)
    assert (code, out) == (0, f"docker://x.io/a:1@sha256:{OTHER_HEX}\n")
    assert written == GOOD_FILES["already pinned"].encode()


@pytest.mark.parametrize(
    ("text", "arguments", "code"),
    [
        (ACTION, (f"ghcr.io/owner/hubaction:1.2.3@sha256:{HEX.upper()}",), 2),
        (ACTION, (f"docker://docker://{IMAGE}",), 2),
        (ACTION, ("ghcr.io/owner/hubaction:1.2.3",), 2),
        (BAD_FILES["two images"], (IMAGE,), 1),
        (BAD_FILES["no runs"], ("--check",), 1),
    ],
)
def test_main_refuses_and_leaves_the_file(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    text: str,
    arguments: tuple[str, ...],
    code: int,
) -> None:
    result, written, out, err = _run(tmp_path, text, *arguments, capsys=capsys)
    assert (result, written, out) == (code, text.encode(), "")
    assert err.startswith("release.py: ")


@pytest.mark.parametrize("arguments", [(), ("--check", IMAGE), (IMAGE, f"sha256:{HEX}", "x")])
def test_main_usage_errors_exit_2(arguments: tuple[str, ...]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        release.main(list(arguments))
    assert exit_info.value.code == 2


def test_main_on_a_missing_file_exits_1(tmp_path: Path) -> None:
    assert release.main(["--file", str(tmp_path / "absent.yml"), IMAGE]) == 1


# --------------------------------------------------------------------------------------------
# The workflow that runs it

WORKFLOW = ROOT / ".github" / "workflows" / "release.yml"


def _release_steps() -> list[dict[str, object]]:
    workflow = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    assert workflow["permissions"] == {}
    job = workflow["jobs"]["release"]
    assert job["permissions"] == {"contents": "write", "packages": "write"}
    steps: list[dict[str, object]] = job["steps"]
    return steps


def test_release_workflow_pins_actions_by_sha_and_keeps_templates_out_of_scripts() -> None:
    steps = _release_steps()
    lines = WORKFLOW.read_text(encoding="utf-8").splitlines()
    uses = [line.strip() for line in lines if line.strip().startswith(("uses:", "- uses:"))]
    assert len(uses) == sum("uses" in step for step in steps) == 5
    for line in uses:
        assert re.fullmatch(r"(- )?uses: [\w.-]+/[\w.-]+@[0-9a-f]{40} # v\d+\.\d+\.\d+", line)
    scripts = [str(step["run"]) for step in steps if "run" in step]
    assert scripts and not any("${{" in script for script in scripts)


def test_release_workflow_pins_the_pushed_index_digest() -> None:
    steps = _release_steps()
    build = next(
        step for step in steps if str(step.get("uses", "")).startswith("docker/build-push")
    )
    assert build["with"] == build["with"] | {
        "platforms": "linux/amd64,linux/arm64",
        "push": True,
        "provenance": "mode=max",
        "sbom": True,
    }
    pin = next(step for step in steps if "scripts/release.py" in str(step.get("run", "")))
    assert pin["env"] == {  # the digest is the build step's own output
        "IMAGE": "${{ steps.version.outputs.image }}:${{ steps.version.outputs.version }}",
        "DIGEST": f"${{{{ steps.{build['id']}.outputs.digest }}}}",
    }
    assert build["with"]["tags"] == pin["env"]["IMAGE"]
