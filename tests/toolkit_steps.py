"""A fake runner step and nasty text for tests/test_toolkit_*.py, checked against the
runner's own rules (tests/runner_files.py)."""

from __future__ import annotations

import io
from pathlib import Path

from hypothesis import strategies as st
from runner_files import parse_output_file, parse_workflow_commands

from hubaction.github.toolkit import Toolkit


class Step:
    """A fake runner step: env files in a temp dir, stdout captured."""

    def __init__(self, directory: Path, env: dict[str, str] | None = None) -> None:
        self.output_file = directory / "set_output_file"
        self.summary_file = directory / "step_summary_file"
        self.output_file.write_bytes(b"")
        self.summary_file.write_bytes(b"")
        self.env = {
            "GITHUB_OUTPUT": str(self.output_file),
            "GITHUB_STEP_SUMMARY": str(self.summary_file),
            **(env or {}),
        }
        self.stdout = io.StringIO()
        self.kit = Toolkit(env=self.env, stdout=self.stdout)

    def outputs(self) -> dict[str, str]:
        return parse_output_file(self.output_file.read_bytes().decode("utf-8"))

    def commands(self) -> list[tuple[str, dict[str, str], str]]:
        return parse_workflow_commands(self.stdout.getvalue())


def local(env: dict[str, str] | None = None) -> tuple[Toolkit, io.StringIO]:
    out = io.StringIO()
    return Toolkit(env=env or {}, stdout=out), out


# Pieces that are dangerous in env files and command lines; hypothesis mixes them with text.
NASTY = [
    "\n",
    "\r",
    "\r\n",
    "EOF",
    "ghadelimiter_",
    "ghadelimiter_00000000-0000-0000-0000-000000000000",
    "%0A",
    "%25",
    "%",
    "::error::x",
    "##[error]x",
    "::stop-commands::t",
    "x<<EOF",
    "a=b",
    "<<",
    "=",
    "::",
    ",",
    ":",
    " ",
    "\ufeff",
    "é",
    "\u2028",
    "\x00",
    "🐳",
]
nasty_text = st.one_of(
    st.text(max_size=60),
    st.lists(st.one_of(st.sampled_from(NASTY), st.text(max_size=5)), max_size=12).map("".join),
)
output_names = st.from_regex(r"[A-Za-z_][A-Za-z0-9_-]{0,20}", fullmatch=True)
