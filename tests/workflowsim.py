"""A job's steps run here as the runner would run them, for the tests of the workflows.

``uses: ./`` runs entrypoint.py as the runner runs the action's container (actionrunner);
``run:`` runs with bash as GitHub's default shell. Expressions are evaluated by a small
evaluator of what the workflows use: contexts, property and index access, ``.*`` object
filters, ``fromJSON``, ``toJSON``, ``join`` (GitHub's "Expressions" reference).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from actionrunner import run_action
from runner_files import parse_output_file

from hubaction.github.inputs import INPUT_DEFAULTS

_TOKEN = re.compile(r"\s*(?:('(?:[^']|'')*')|(\d+)|([A-Za-z_][\w-]*)|(.))")


class ExpressionError(Exception):
    """What GitHub reports as an expression error (the step fails)."""


class _Filtered(list[Any]):
    """The result of a ``.*`` filter: a property access then applies to each element."""


@dataclass
class _Parser:
    tokens: list[tuple[str, str]]
    contexts: Mapping[str, Any]
    at: int = 0

    def peek(self) -> tuple[str, str]:
        return self.tokens[self.at] if self.at < len(self.tokens) else ("end", "")

    def take(self, text: str | None = None) -> tuple[str, str]:
        token = self.peek()
        if text is not None and token[1] != text:
            raise ExpressionError(f"expected {text!r}, got {token[1]!r}")
        self.at += 1
        return token

    def expression(self) -> Any:
        kind, text = self.take()
        if kind == "string":
            value: Any = text[1:-1].replace("''", "'")
        elif kind == "number":
            value = int(text)
        elif kind == "name" and self.peek()[1] == "(":
            value = self.call(text)
        elif kind == "name":
            value = self.contexts.get(text)
        else:
            raise ExpressionError(f"unexpected {text!r}")
        return self.postfix(value)

    def call(self, name: str) -> Any:
        self.take("(")
        args = [self.expression()]
        while self.peek()[1] == ",":
            self.take(",")
            args.append(self.expression())
        self.take(")")
        if name == "fromJSON":
            try:
                return json.loads(args[0])
            except (TypeError, ValueError) as exc:
                raise ExpressionError(f"fromJSON({args[0]!r}): {exc}") from None
        if name == "toJSON":
            return json.dumps(args[0])
        if name == "join":
            items = args[0] if isinstance(args[0], list) else [args[0]]
            return (args[1] if len(args) > 1 else ",").join(render(i) for i in items)
        raise ExpressionError(f"function {name} is not simulated")

    def postfix(self, value: Any) -> Any:
        while self.peek()[1] in (".", "["):
            if self.take()[1] == ".":
                if self.peek()[1] == "*":
                    self.take("*")
                    value = _Filtered(_values(value))
                else:
                    value = _property(value, self.take()[1])
            else:
                value = _property(value, self.expression())
                self.take("]")
        return value


def _values(value: Any) -> list[Any]:
    if isinstance(value, dict):
        return list(value.values())
    return list(value) if isinstance(value, list) else []


def _property(value: Any, key: Any) -> Any:
    if isinstance(value, _Filtered):
        return _Filtered(_property(item, key) for item in value)
    if isinstance(value, dict):
        return value.get(key)
    if isinstance(value, list) and isinstance(key, int):
        return value[key] if 0 <= key < len(value) else None
    return None


def evaluate(text: str, contexts: Mapping[str, Any]) -> Any:
    tokens: list[tuple[str, str]] = []
    for m in _TOKEN.finditer(text.strip()):
        groups = zip(("string", "number", "name", "punct"), m.groups(), strict=True)
        tokens.extend((kind, part) for kind, part in groups if part is not None)
    parser = _Parser(tokens, contexts)
    value = parser.expression()
    if parser.peek()[0] != "end":
        raise ExpressionError(f"unexpected {parser.peek()[1]!r} in {text!r}")
    return value


def render(value: Any) -> str:
    """A value as GitHub puts it into an input or env variable."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, int | float):
        return str(int(value)) if float(value).is_integer() else str(value)
    return json.dumps(value)


def substitute(value: object, contexts: Mapping[str, Any]) -> str:
    text = render(value) if not isinstance(value, str) else value
    return re.sub(r"\$\{\{(.*?)\}\}", lambda m: render(evaluate(m.group(1), contexts)), text)


@dataclass
class SimulatedJob:
    """Runs a job's steps here: ``uses: ./`` through entrypoint.py as the runner runs it, ``run:``
    with bash as GitHub's default shell does. ``host_url`` replaces the service's published port
    (``http://localhost:5000``) in scripts, ``contexts['env']`` is the job's env."""

    workdir: Path
    contexts: dict[str, Any]
    host_url: str
    outputs: dict[str, dict[str, str]] = field(default_factory=dict)

    @property
    def workspace(self) -> Path:
        return self.workdir / "workspace"

    def action(self, step: Mapping[str, Any], step_dir: Path) -> dict[str, str]:
        inputs = {k: substitute(v, self.contexts) for k, v in step.get("with", {}).items()}
        assert set(inputs) <= set(INPUT_DEFAULTS), step
        # run_action's workspace is step_dir/workspace: the job's workspace, shared.
        step_dir.mkdir(exist_ok=True)
        if not (step_dir / "workspace").exists():
            (step_dir / "workspace").symlink_to(self.workspace)
        done = run_action(inputs, step_dir)
        assert done.returncode == 0, done.log
        return done.outputs

    def script(self, step: Mapping[str, Any], step_dir: Path) -> tuple[int, str, dict[str, str]]:
        env = {k: substitute(v, self.contexts) for k, v in step.get("env", {}).items()}
        step_dir.mkdir(exist_ok=True)
        output_file = step_dir / "github_output"
        output_file.write_text("")
        environment = {
            "PATH": f"{Path(sys.executable).parent}:{os.environ.get('PATH', '/usr/bin:/bin')}",
            "GITHUB_OUTPUT": str(output_file),
            "LANG": "C.UTF-8",
            **{k: render(v) for k, v in self.contexts["env"].items()},
            **env,
        }
        script = step["run"].replace("http://localhost:5000", self.host_url)
        done = subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script],
            cwd=self.workspace,
            env=environment,
            capture_output=True,
            text=True,
            timeout=120,
        )
        # Read as the runner reads it (FileCommandManager.cs, modelled in runner_files): heredoc
        # values too, and a malformed line fails the step there, so it fails the test here.
        outputs = parse_output_file(output_file.read_bytes().decode("utf-8"))
        return done.returncode, done.stdout + done.stderr, outputs

    def record(self, step: Mapping[str, Any], outputs: dict[str, str]) -> None:
        if "id" in step:
            self.outputs[step["id"]] = outputs
            self.contexts["steps"] = {k: {"outputs": v} for k, v in self.outputs.items()}
