"""The README's "Registries" section: one subsection per registry people run, and recipes that
are valid jobs (GitHub's workflow schema, zizmor), as the examples are."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
REGISTRIES = [
    "Docker Hub",
    "ghcr.io",
    "Quay",
    "Amazon ECR",
    "Google Artifact Registry and Container Registry",
    "Azure Container Registry",
    "Harbor",
    "JFrog Artifactory",
    "Sonatype Nexus",
    "GitLab",
    "Self-hosted distribution, Pulp",
]
# Each recipe's login action, by the registry it logs in to.
LOGIN_ACTIONS = {
    "Amazon ECR": "aws-actions/amazon-ecr-login@",
    "Google Artifact Registry and Container Registry": "google-github-actions/auth@",
    "Azure Container Registry": "azure/login@",
}


def section() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    match = re.search(r"^## Registries\n(.*?)(?=^## )", text, flags=re.S | re.M)
    assert match, "README.md has no '## Registries' section"
    return match.group(1)


def subsections() -> dict[str, str]:
    parts = re.split(r"^### (.+)\n", section(), flags=re.M)
    return dict(zip(parts[1::2], parts[2::2], strict=True))


def recipes() -> list[tuple[str, dict[str, Any]]]:
    found = []
    for name, body in subsections().items():
        for block in re.findall(r"^```ya?ml\n(.*?)^```", body, flags=re.S | re.M):
            job = yaml.safe_load(block)
            assert isinstance(job, dict), name
            found.append((name, job))
    return found


def test_every_registry_has_its_subsection_saying_what_works_and_how_to_log_in() -> None:
    found = subsections()
    assert list(found) == REGISTRIES
    for name, body in found.items():
        assert "- Works:" in body and "- Log in:" in body, name


def test_the_registries_with_a_login_action_have_a_recipe_using_it() -> None:
    jobs = dict(recipes())
    for name, action in LOGIN_ACTIONS.items():
        uses = [str(step.get("uses", "")) for step in jobs[name]["steps"]]
        assert any(u.startswith(action) for u in uses), name
        assert any(u.startswith("hubaction/hubaction@") for u in uses), name


@pytest.fixture(scope="module")
def recipe_workflows(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """Each recipe as the one job of a workflow file."""
    folder = tmp_path_factory.mktemp("registry-recipes")
    paths = []
    for number, (name, job) in enumerate(recipes()):
        workflow = {
            "name": name,
            "on": {"workflow_dispatch": None},
            "permissions": {},
            "jobs": {"lookup": job},
        }
        path = folder / f"recipe-{number}.yml"
        path.write_text(yaml.safe_dump(workflow, sort_keys=False), encoding="utf-8")
        paths.append(path)
    assert len(paths) >= 6
    return paths


def tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        pytest.fail(f"{name} is not installed (it is in requirements-dev.txt)")
    return found


def test_recipes_validate_as_workflows(recipe_workflows: list[Path]) -> None:
    command = [tool("check-jsonschema"), "--builtin-schema", "vendor.github-workflows"]
    result = subprocess.run(
        [*command, *map(str, recipe_workflows)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_recipes_pass_zizmor(recipe_workflows: list[Path]) -> None:
    command = [tool("zizmor"), "--offline", "--quiet", "--config", str(ROOT / "zizmor.yml")]
    result = subprocess.run(
        [*command, *map(str, recipe_workflows)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_recipes_ask_for_least_permissions() -> None:
    for name, job in recipes():
        granted = job["permissions"]
        assert set(granted.items()) <= {("id-token", "write"), ("packages", "read")}, name
        if ("id-token", "write") in granted.items():
            assert name in LOGIN_ACTIONS, f"{name}: OpenID Connect without a login action"
