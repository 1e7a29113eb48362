"""The repository's workflows, the examples and the README's snippets: valid, pinned, least
permissions, no output expanded into a script; and the self-test's steps run here.

A ``${{ }}`` expression inside ``run:`` is pasted into the script before the shell reads it, so
a tag or label a registry sends would run as code: values go through ``env:``, quoted.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from workflowsim import ExpressionError, SimulatedJob, evaluate, render

from hubaction.github.inputs import INPUT_DEFAULTS

ROOT = Path(__file__).resolve().parent.parent
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
EXAMPLES = sorted((ROOT / "examples").glob("*.yml"))
SELF_TEST = ROOT / ".github" / "workflows" / "self-test.yml"
DRIFT = ROOT / ".github" / "workflows" / "registry-drift.yml"

SHA_PIN = re.compile(r"^[\w.-]+/[\w.-]+(/[\w./-]+)?@[0-9a-f]{40}$")
VERSION_COMMENT = re.compile(r"#\s*v\d+(\.\d+)*\b")
#: How the examples and README reference a release of this action (zizmor.yml allows it).
RELEASE_REF = re.compile(r"^hubaction/hubaction@v\d+$")
IMAGE_PIN = re.compile(r"@sha256:[0-9a-f]{64}$")


def load(path: Path) -> dict[Any, Any]:
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(doc, dict), path
    return doc


def readme_yaml_blocks() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    return re.findall(r"^```ya?ml\n(.*?)^```", text, flags=re.S | re.M)


def walk(node: object) -> Iterator[dict[Any, Any]]:
    """Every mapping in a parsed YAML document, depth first."""
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from walk(value)
    elif isinstance(node, list):
        for item in node:
            yield from walk(item)


def scripts_with_expressions(doc: object) -> list[str]:
    return [
        str(node["run"])
        for node in walk(doc)
        if isinstance(node.get("run"), str) and "${{" in node["run"]
    ]


ALL_FILES = [*WORKFLOWS, *EXAMPLES]
#: The workflows that only read (release.yml, which writes, is checked by its own tests), and
#: the examples, which may write packages (skip-existing-tag pushes).
READ_ONLY = [p for p in WORKFLOWS if p.name in ("ci.yml", "self-test.yml", "registry-drift.yml")]
LEAST = [*READ_ONLY, *EXAMPLES]


def test_the_repository_has_its_workflows() -> None:
    assert {p.name for p in WORKFLOWS} >= {"ci.yml", "self-test.yml", "registry-drift.yml"}


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=lambda p: p.name)
def test_workflow_validates(workflow: Path) -> None:
    tool = shutil.which("check-jsonschema")
    if tool is None:
        pytest.fail("check-jsonschema is not installed (it is in requirements-dev.txt)")
    result = subprocess.run(
        [tool, "--builtin-schema", "vendor.github-workflows", str(workflow)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("path", ALL_FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_no_expression_inside_a_script(path: Path) -> None:
    assert scripts_with_expressions(load(path)) == []


def test_no_readme_snippet_expands_an_expression_inside_a_script() -> None:
    blocks = readme_yaml_blocks()
    assert len(blocks) >= 5
    for block in blocks:
        assert scripts_with_expressions(yaml.safe_load(block)) == [], block


@pytest.mark.parametrize(
    ("doc", "found"),
    [
        ("- run: echo ${{ steps.x.outputs.tags }}", 1),
        ("jobs: {a: {steps: [{run: 'echo \"${{ github.sha }}\"'}]}}", 1),
        ("- env: {TAGS: '${{ steps.x.outputs.tags }}'}\n  run: echo \"$TAGS\"", 0),
        ("- if: steps.x.outputs.exists == 'false'\n  run: exit 1", 0),
    ],
)
def test_the_script_check_finds_expressions(doc: str, found: int) -> None:
    assert len(scripts_with_expressions(yaml.safe_load(doc))) == found


def uses_lines(text: str) -> list[tuple[str, str]]:
    """``(reference, comment)`` of every ``uses:`` line (steps and reusable workflows)."""
    found = []
    for line in text.splitlines():
        m = re.match(r"^\s*(?:-\s+)?uses:\s*([^\s#]+)\s*(#.*)?$", line)
        if m:
            found.append((m.group(1).strip("'\""), m.group(2) or ""))
    return found


@pytest.mark.parametrize("path", ALL_FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_third_party_actions_are_pinned_by_commit(path: Path) -> None:
    uses = uses_lines(path.read_text(encoding="utf-8"))
    assert uses
    for reference, comment in uses:
        if reference.startswith("./") or RELEASE_REF.match(reference):
            continue
        assert SHA_PIN.match(reference), f"{reference} is not pinned by a 40-hex commit SHA"
        assert VERSION_COMMENT.search(comment), f"{reference} has no '# vX.Y.Z' comment"


def test_readme_snippets_pin_third_party_actions() -> None:
    for reference, comment in uses_lines("\n".join(readme_yaml_blocks())):
        if not RELEASE_REF.match(reference):
            assert SHA_PIN.match(reference), reference
            assert VERSION_COMMENT.search(comment), reference


@pytest.mark.parametrize(
    ("line", "pinned"),
    [
        ("      - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.2", True),
        ("      - uses: actions/checkout@v4", False),
        ("        uses: actions/checkout@11bd719", False),
    ],
)
def test_the_pin_check_tells_pinned_from_unpinned(line: str, pinned: bool) -> None:
    [(reference, comment)] = uses_lines(line)
    assert bool(SHA_PIN.match(reference) and VERSION_COMMENT.search(comment)) is pinned


@pytest.mark.parametrize("path", ALL_FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_job_declares_its_permissions(path: Path) -> None:
    doc = load(path)
    for name, job in doc["jobs"].items():
        assert isinstance(job.get("permissions"), dict), f"job {name}: no permissions mapping"


@pytest.mark.parametrize("path", LEAST, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_jobs_get_least_permissions(path: Path) -> None:
    doc = load(path)
    assert doc.get("permissions") == {}, "the workflow grants nothing; each job says what it needs"
    allowed = {"packages"} if path in EXAMPLES else set()
    for name, job in doc["jobs"].items():
        granted = job["permissions"]
        assert set(granted.values()) <= {"read", "write"}, f"job {name}: {granted}"
        writes = {scope for scope, level in granted.items() if level == "write"}
        assert writes <= allowed, f"job {name} writes {writes}"


@pytest.mark.parametrize("path", LEAST, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_checkouts_keep_no_credentials_and_images_are_pinned(path: Path) -> None:
    doc = load(path)
    for job in doc["jobs"].values():
        for step in job.get("steps", []):
            if str(step.get("uses", "")).startswith("actions/checkout@"):
                assert step.get("with", {}).get("persist-credentials") is False
        for service in job.get("services", {}).values():
            assert IMAGE_PIN.search(service["image"]), service["image"]


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=lambda p: p.name)
def test_local_action_steps_use_only_declared_inputs(workflow: Path) -> None:
    for job in load(workflow)["jobs"].values():
        for step in job.get("steps", []):
            if str(step.get("uses", "")).startswith("./"):
                assert set(step.get("with", {})) <= set(INPUT_DEFAULTS), step


# -- the self-test's steps, run here (workflowsim) -------------------------------------------


@pytest.mark.parametrize(
    ("expression", "rendered"),
    [
        ("join(fromJSON(steps.a.outputs.list), ' ')", "x y"),
        ("fromJSON(steps.a.outputs.objects).*.status", '["current", "stale"]'),
        ("fromJSON(steps.a.outputs.objects)[1].pinned", "p"),
        ("fromJSON(steps.a.outputs.labels)['org.x']", "v"),
        ("fromJSON(steps.a.outputs.count)", "3"),
        ("fromJSON(steps.a.outputs.flag)", "false"),
        ("steps.a.outputs.absent", ""),
    ],
)
def test_the_evaluator(expression: str, rendered: str) -> None:
    outputs = {
        "list": '["x","y"]',
        "objects": '[{"status":"current"},{"status":"stale","pinned":"p"}]',
        "labels": '{"org.x":"v"}',
        "count": "3",
        "flag": "false",
    }
    assert render(evaluate(expression, {"steps": {"a": {"outputs": outputs}}})) == rendered


def test_the_evaluator_fails_as_github_does_on_bad_json() -> None:
    with pytest.raises(ExpressionError):
        evaluate("fromJSON(steps.a.outputs.absent)", {"steps": {"a": {"outputs": {}}}})


def self_test_job() -> dict[str, Any]:
    [job] = load(SELF_TEST)["jobs"].values()
    assert isinstance(job, dict)
    return job


Step = dict[str, Any]


def pairs_of_action_and_check(steps: list[Step]) -> list[tuple[Step, Step]]:
    return [
        (step, steps[i + 1])
        for i, step in enumerate(steps)
        if str(step.get("uses", "")).startswith("./")
    ]


@pytest.fixture(scope="module")
def self_test_run(
    docker_registry_binary: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[SimulatedJob, list[dict[str, Any]]]]:
    """The self-test job's steps from ``sample`` on, against a local docker-registry."""
    from registryfixtures import RegistryProcess

    work = tmp_path_factory.mktemp("self-test")
    registry = RegistryProcess.start_open(work / "storage", work / "registry")
    try:
        job = self_test_job()
        env = dict(job["env"], REGISTRY=registry.host)
        sim = SimulatedJob(work, {"env": env, "steps": {}}, registry.url)
        sim.workspace.mkdir()
        for name in ("scripts", "tests"):
            (sim.workspace / name).symlink_to(ROOT / name)
        steps = job["steps"]
        start = next(i for i, s in enumerate(steps) if s.get("id") == "sample")
        checks: list[dict[str, Any]] = []
        for number, step in enumerate(steps[start:]):
            step_dir = work / f"step-{number}"
            if "uses" in step:
                sim.record(step, sim.action(step, step_dir))
                continue
            code, log, outputs = sim.script(step, step_dir)
            assert code == 0, f"{step.get('name', step.get('id'))} failed:\n{log}"
            sim.record(step, outputs)
            if step.get("id") != "sample":
                checks.append(step)
        yield sim, checks
    finally:
        registry.stop()


def test_self_test_covers_the_input_sets() -> None:
    pairs = pairs_of_action_and_check(self_test_job()["steps"])
    ids = [action["id"] for action, _check in pairs]
    assert ids == ["inspect", "digest-only", "missing", "tags", "dockerfile"]
    for _action, check in pairs:
        assert "run" in check and "fromJSON(" in json.dumps(check["env"]), check
    inputs = {action["id"]: action["with"] for action, _check in pairs}
    assert inputs["missing"]["fail-on-missing"] is False
    assert inputs["digest-only"]["digest-only"] is True
    assert inputs["tags"]["tag-filter"]
    assert inputs["dockerfile"]["dockerfile"]


def test_self_test_steps_pass_against_a_real_registry(
    self_test_run: tuple[SimulatedJob, list[dict[str, Any]]],
) -> None:
    sim, checks = self_test_run
    assert len(checks) == 5
    assert sim.outputs["sample"]["digest"] == sim.outputs["inspect"]["digest"]
    statuses = [b["status"] for b in json.loads(sim.outputs["dockerfile"]["base-images"])]
    assert statuses == ["current", "stale"]


def test_each_self_test_check_fails_on_wrong_outputs(
    self_test_run: tuple[SimulatedJob, list[dict[str, Any]]],
) -> None:
    """Each check, given the outputs of the next input set instead, fails."""
    sim, _checks = self_test_run
    pairs = pairs_of_action_and_check(self_test_job()["steps"])
    for number, (action, check) in enumerate(pairs):
        other = pairs[(number + 1) % len(pairs)][0]["id"]
        wrong = SimulatedJob(sim.workdir, dict(sim.contexts), sim.host_url, dict(sim.outputs))
        wrong.record(action, sim.outputs[other])
        try:
            code, _log, _outputs = wrong.script(check, sim.workdir / f"wrong-{number}")
        except ExpressionError:
            continue
        assert code != 0, f"{check['name']} passed with the outputs of {other}"


def test_drift_check_accepts_well_formed_outputs_and_refuses_others(
    self_test_run: tuple[SimulatedJob, list[dict[str, Any]]],
) -> None:
    """The drift job's check, fed this registry's sample as its matrix entry."""
    sim, _checks = self_test_run
    [job] = load(DRIFT)["jobs"].values()
    lookup, check = job["steps"][-2:]
    repository = f"{sim.contexts['env']['REGISTRY']}/{sim.outputs['sample']['repository']}"
    drift = SimulatedJob(sim.workdir, {"env": {}, "matrix": {"repository": repository}}, "")
    drift.record(lookup, drift.action(lookup, sim.workdir / "drift"))
    code, log, _outputs = drift.script(check, sim.workdir / "drift-check")
    assert code == 0, log
    drift.record(lookup, sim.outputs["missing"])
    with pytest.raises(ExpressionError):  # `tag-count` is not there: fromJSON fails
        drift.script(check, sim.workdir / "drift-check-missing")
    drift.record(lookup, dict(sim.outputs["inspect"], digest="sha256:" + "0" * 63))
    code, log, _outputs = drift.script(check, sim.workdir / "drift-check-bad")
    assert code != 0 and "digest is not sha256" in log
