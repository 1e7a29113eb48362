"""Issue 17 §2 end to end: ``update-dockerfile`` run by entrypoint.py against the real registry
rewrites the stale pins and nothing else; a second run changes nothing."""

from __future__ import annotations

import json
import os
import re
import shutil
import stat
import subprocess
from pathlib import Path

import pytest
import yaml
from actionrunner import ROOT, run_action, run_in_process
from dockerfile_pins_scenario import PinScenario, counting_session, push_scenario
from registryfixtures import RegistryProcess


@pytest.fixture(scope="module")
def pins(open_registry: RegistryProcess) -> PinScenario:
    return push_scenario(open_registry.url, open_registry.host)


# Comments, flags, ARGs, stages, a continuation with a comment line inside, a heredoc whose
# body names an old pin (no FROM: left alone), an ARG-provided pin (left alone, warned).
TEMPLATE = """\
# syntax={host}/pins/base:1@{index}
# The old pins were {old_index} and {old_arm64}: comments are left alone.
ARG REGISTRY={host}
ARG VERSION=1
ARG BASE={host}/pins/base:1@{old_amd64}
FROM --platform=linux/arm64 \\
    # the arm64 build stage
    {host}/pins/base:1@{arm64}   AS Build
RUN <<EOF
FROM {host}/pins/base:1@{old_amd64}
echo building
EOF
FROM ${{REGISTRY}}/pins/base:${{VERSION}}@{amd64} AS runtime
COPY --from=build /out /out
FROM $BASE AS from-arg
FROM {host}/pins/single:1 AS unpinned
FROM build
FROM scratch
"""


def _text(pins: PinScenario, *, new: bool) -> str:
    version = pins.new if new else pins.old
    return TEMPLATE.format(
        host=pins.host,
        index=version.index,
        arm64=version.arm64,
        amd64=version.amd64,
        old_index=pins.old.index,
        old_arm64=pins.old.arm64,
        old_amd64=pins.old.amd64,
    )


@pytest.mark.parametrize(("ending", "bom"), [("\n", ""), ("\r\n", "\ufeff")], ids=["lf", "crlf"])
def test_update_dockerfile_rewrites_only_the_stale_digests(
    tmp_path: Path, pins: PinScenario, ending: str, bom: str
) -> None:
    path = tmp_path / "workspace" / "docker" / "app.Dockerfile"
    path.parent.mkdir(parents=True)
    before = bom + _text(pins, new=False).replace("\n", ending)
    path.write_bytes(before.encode())
    path.chmod(0o640)
    inputs = {"dockerfile": "docker/app.Dockerfile", "update-dockerfile": "true"}
    run = run_action(inputs, tmp_path)
    assert run.returncode == 0, run.log
    assert run.outputs["dockerfile-updated"] == "true"
    after = path.read_bytes()
    assert after == (bom + _text(pins, new=True).replace("\n", ending)).encode()
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert sorted(p.name for p in path.parent.iterdir()) == ["app.Dockerfile"]  # no temporary
    # The ARG-provided pin is left alone, with one warning naming its line.
    [warning] = [d for name, _p, d in run.commands if name == "warning"]
    assert "line 15" in warning and "ARG" in warning
    statuses = [e["status"] for e in json.loads(run.outputs["base-images"])]
    assert statuses == ["stale", "stale", "stale", "unpinned"]
    assert "Updated" in run.summary

    again = run_action(inputs, tmp_path)
    assert again.returncode == 0, again.log
    assert again.outputs["dockerfile-updated"] == "false"
    assert path.read_bytes() == after


def test_without_update_dockerfile_the_file_is_left_alone(
    tmp_path: Path, pins: PinScenario
) -> None:
    path = tmp_path / "Dockerfile"
    before = _text(pins, new=False)
    path.write_text(before)
    session, _seen = counting_session()
    run = run_in_process({"dockerfile": str(path)}, tmp_path, session=session)
    assert run.returncode == 0, run.log
    assert run.outputs["dockerfile-updated"] == "false"
    assert path.read_text() == before


def test_a_platform_the_tag_lacks_is_warned_and_left(tmp_path: Path, pins: PinScenario) -> None:
    path = tmp_path / "Dockerfile"
    before = f"FROM --platform=linux/s390x {pins.base}@{pins.old.amd64}\n"
    path.write_text(before)
    session, _seen = counting_session()
    inputs = {"dockerfile": str(path), "update-dockerfile": "true"}
    run = run_in_process(inputs, tmp_path, session=session)
    assert run.returncode == 0, run.log
    assert run.outputs["dockerfile-updated"] == "false"
    assert path.read_text() == before
    [warning] = [d for name, _p, d in run.commands if name == "warning"]
    assert "no manifest for the platform" in warning


def test_update_dockerfile_needs_dockerfile(tmp_path: Path) -> None:
    run = run_action({"repository": "localhost:5000/app", "update-dockerfile": "true"}, tmp_path)
    assert run.returncode == 1
    [error] = run.errors()
    assert "`update-dockerfile`" in error and "`dockerfile`" in error


def _readme_recipe() -> dict[str, object]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    match = re.search(
        r"^### Open a pull request that updates the pins\n.*?^```yaml\n(.*?)^```",
        text,
        flags=re.S | re.M,
    )
    assert match, "README.md has no pin-update recipe"
    job = yaml.safe_load(match.group(1))
    assert isinstance(job, dict)
    return job


def test_the_readme_recipe_is_a_valid_least_privilege_workflow(tmp_path: Path) -> None:
    job = _readme_recipe()
    assert job["permissions"] == {"contents": "write", "pull-requests": "write"}
    steps = job["steps"]
    assert isinstance(steps, list)
    pins = next(s for s in steps if s.get("id") == "pins")
    assert pins["with"] == {"dockerfile": "Dockerfile", "update-dockerfile": True}
    assert str(steps[-1]["uses"]).startswith("peter-evans/create-pull-request@")
    workflow = {"name": "pins", "on": {"workflow_dispatch": None}, "permissions": {}}
    path = tmp_path / "recipe.yml"
    path.write_text(yaml.safe_dump({**workflow, "jobs": {"pins": job}}, sort_keys=False))
    for command in (
        ["check-jsonschema", "--builtin-schema", "vendor.github-workflows"],
        ["zizmor", "--offline", "--quiet", "--config", str(ROOT / "zizmor.yml")],
    ):
        found = shutil.which(command[0])
        assert found is not None, f"{command[0]} is not installed (requirements-dev.txt)"
        result = subprocess.run(
            [found, *command[1:], str(path)],
            capture_output=True,
            text=True,
            check=False,
            env={**os.environ, "NO_COLOR": "1"},
        )
        assert result.returncode == 0, result.stdout + result.stderr
