"""Run ``entrypoint.py`` exactly as the GitHub runner runs a Docker action's container.

The runner sets ``INPUT_<NAME>`` for every input of action.yml (upper case, hyphens kept),
with the default where the workflow gives none; it creates the ``GITHUB_OUTPUT`` and
``GITHUB_STEP_SUMMARY`` files; the working directory is the workspace, never the action's
folder. Outputs are then read back with the runner's own rules (``runner_files``).
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import requests
from runner_files import parse_output_file, parse_workflow_commands

from hubaction.github.inputs import INPUT_DEFAULTS
from hubaction.github.toolkit import input_variable

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class ActionRun:
    returncode: int
    stdout: str
    stderr: str
    outputs: dict[str, str]
    summary: str
    commands: list[tuple[str, dict[str, str], str]]

    def errors(self) -> list[str]:
        return [data for name, _props, data in self.commands if name == "error"]

    @property
    def log(self) -> str:
        return self.stdout + self.stderr


def run_action(
    inputs: Mapping[str, str],
    workdir: Path,
    *,
    env: Mapping[str, str] | None = None,
    entrypoint: Path = ROOT / "entrypoint.py",
    python: str = sys.executable,
    timeout: float = 120,
) -> ActionRun:
    workspace = workdir / "workspace"
    workspace.mkdir(parents=True, exist_ok=True)
    output_file = workdir / "github_output"
    summary_file = workdir / "step_summary"
    output_file.write_text("")
    summary_file.write_text("")
    environment = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(workdir),
        "GITHUB_ACTIONS": "true",
        "GITHUB_OUTPUT": str(output_file),
        "GITHUB_STEP_SUMMARY": str(summary_file),
        "GITHUB_WORKSPACE": str(workspace),
        "LANG": "C.UTF-8",
    }
    for name in ("REQUESTS_CA_BUNDLE", "SSL_CERT_FILE"):
        if name in os.environ:
            environment[name] = os.environ[name]
    for name, default in INPUT_DEFAULTS.items():
        environment[input_variable(name)] = default or ""
    for name, value in inputs.items():
        assert name in INPUT_DEFAULTS, f"not an input of action.yml: {name}"
        environment[input_variable(name)] = value
    environment.update(env or {})
    done = subprocess.run(
        [python, str(entrypoint)],
        cwd=workspace,
        env=environment,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    return ActionRun(
        returncode=done.returncode,
        stdout=done.stdout,
        stderr=done.stderr,
        outputs=parse_output_file(output_file.read_text(encoding="utf-8")),
        summary=summary_file.read_text(encoding="utf-8"),
        commands=parse_workflow_commands(done.stdout),
    )


def run_in_process(
    inputs: Mapping[str, str], workdir: Path, *, session: requests.Session
) -> ActionRun:
    """The same as :func:`run_action`, in this process, with ``session`` for every request
    (a session with a fake transport proves what was, or was not, sent)."""
    from hubaction.github.action import run
    from hubaction.github.toolkit import Toolkit

    workdir.mkdir(parents=True, exist_ok=True)
    output_file, summary_file = workdir / "github_output", workdir / "step_summary"
    output_file.write_text("")
    summary_file.write_text("")
    env = {input_variable(k): v or "" for k, v in INPUT_DEFAULTS.items()}
    for name, value in inputs.items():
        assert name in INPUT_DEFAULTS, f"not an input of action.yml: {name}"
        env[input_variable(name)] = value
    env |= {
        "GITHUB_OUTPUT": str(output_file),
        "GITHUB_STEP_SUMMARY": str(summary_file),
        "GITHUB_WORKSPACE": str(workdir),
    }
    stdout = io.StringIO()
    code = run(Toolkit(env, stdout), session=session)
    return ActionRun(
        returncode=code,
        stdout=stdout.getvalue(),
        stderr="",
        outputs=parse_output_file(output_file.read_text(encoding="utf-8")),
        summary=summary_file.read_text(encoding="utf-8"),
        commands=parse_workflow_commands(stdout.getvalue()),
    )
