"""Tests for github.toolkit: step outputs in GITHUB_OUTPUT and outside GitHub.

Checked against the runner's own rules (tests/runner_files.py: actions/runner
``src/Runner.Worker/FileCommandManager.cs`` ``EnvFileKeyValuePairs`` at
258d6c857db3519913f7deb6004b60172f8043ae). The heredoc form is ``@actions/core``'s
``prepareKeyValueMessage`` (actions/toolkit ``packages/core/src/file-command.ts`` at
4b9afa4c890de9d1a84c75bb617ee4d96207823a); its own cases are in test_toolkit_upstream.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from runner_files import parse_workflow_commands
from toolkit_steps import Step, local, nasty_text, output_names

from hubaction.errors import HubActionError
from hubaction.github import toolkit as toolkit_module

# Tests run inside GitHub Actions too: the real GITHUB_*/INPUT_*/RUNNER_* variables are removed.
pytestmark = pytest.mark.usefixtures("_no_github_env_leaks")


# -- outputs --------------------------------------------------------------------------------


def test_set_output_writes_heredoc_form(step: Step, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(toolkit_module, "_new_delimiter", lambda: "ghadelimiter_fixed")
    step.kit.set_output("digest", "sha256:abc")
    assert step.output_file.read_text() == (
        "digest<<ghadelimiter_fixed\nsha256:abc\nghadelimiter_fixed\n"
    )
    assert step.stdout.getvalue() == ""


def test_set_output_uses_a_fresh_delimiter_each_time(step: Step) -> None:
    step.kit.set_output("a", "1")
    step.kit.set_output("b", "2")
    headers = [line for line in step.output_file.read_text().splitlines() if "<<" in line]
    delimiters = {line.split("<<", 1)[1] for line in headers}
    assert len(delimiters) == 2
    assert all(d.startswith("ghadelimiter_") for d in delimiters)


def test_multiple_outputs_in_one_file(step: Step) -> None:
    step.kit.set_output("digest", "sha256:" + "a" * 64)
    step.kit.set_output("tags", "3.19\n3.20\nlatest")
    step.kit.set_output("empty", "")
    step.kit.set_output("json", '{"a": [1, 2]}')
    assert step.outputs() == {
        "digest": "sha256:" + "a" * 64,
        "tags": "3.19\n3.20\nlatest",
        "empty": "",
        "json": '{"a": [1, 2]}',
    }


def test_later_output_wins(step: Step) -> None:
    step.kit.set_output("x", "first")
    step.kit.set_output("x", "second")
    assert step.outputs() == {"x": "second"}


@pytest.mark.parametrize(
    "value",
    [
        "x<<EOF",
        "a=b",
        "ok\nevil=1",
        "ok\nevil<<EOF\ninjected\nEOF",
        "ok\nghadelimiter_00000000-0000-0000-0000-000000000000\nevil=1",
        "\nEOF\n",
        "trailing newline\n",
        "\n",
        "crlf\r\nline\r\n",
        "%0A::error::x",
    ],
)
def test_values_cannot_add_outputs(step: Step, value: str) -> None:
    step.kit.set_output("x", value)
    assert step.outputs() == {"x": value}


def test_appends_after_file_without_final_newline(step: Step) -> None:
    # Another writer left an unterminated heredoc-closing line; ours must not glue onto it.
    step.output_file.write_text("pre<<D\nv\nD")
    step.kit.set_output("x", "1")
    assert step.outputs() == {"pre": "v", "x": "1"}


@settings(max_examples=200, deadline=None)
@given(
    items=st.lists(st.tuples(output_names, nasty_text), min_size=1, max_size=4),
)
def test_output_round_trip(
    tmp_path_factory: pytest.TempPathFactory, items: list[tuple[str, str]]
) -> None:
    step = Step(tmp_path_factory.mktemp("out"))
    for name, value in items:
        step.kit.set_output(name, value)
    assert step.outputs() == dict(items)


def test_value_containing_current_delimiter_is_refused(
    step: Step, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(toolkit_module, "_new_delimiter", lambda: "ghadelimiter_fixed")
    with pytest.raises(HubActionError, match="ghadelimiter_fixed"):
        step.kit.set_output("x", "before\nghadelimiter_fixed\nevil=1")
    with pytest.raises(HubActionError):
        step.kit.set_output("x", "inline ghadelimiter_fixed too")
    assert step.output_file.read_bytes() == b""
    # a delimiter from another write is just text
    step.kit.set_output("x", "ghadelimiter_other")
    assert step.outputs() == {"x": "ghadelimiter_other"}


@pytest.mark.parametrize(
    "name",
    ["", "a\nb", "a<<b", "a=b", "1digit", "sp ace", "a\rb", "\ufeffx", "é", "a:b", "-x"],
)
def test_bad_output_names_are_refused(step: Step, name: str) -> None:
    with pytest.raises(HubActionError, match="Cannot set output"):
        step.kit.set_output(name, "v")
    assert step.output_file.read_bytes() == b""


@pytest.mark.parametrize("name", ["digest", "_x", "list-tags", "A_b-9"])
def test_good_output_names(step: Step, name: str) -> None:
    step.kit.set_output(name, "v")
    assert step.outputs() == {name: "v"}


def test_value_with_lone_surrogate_is_refused(step: Step) -> None:
    with pytest.raises(HubActionError, match="surrogate"):
        step.kit.set_output("x", "bad \ud800 label")
    assert step.output_file.read_bytes() == b""


def test_unwritable_output_file(tmp_path: Path) -> None:
    kit, _ = local({"GITHUB_OUTPUT": str(tmp_path / "missing-dir" / "out")})
    with pytest.raises(HubActionError, match="GITHUB_OUTPUT"):
        kit.set_output("x", "1")


@pytest.mark.parametrize(
    ("name", "value", "line"),
    [
        ("digest", "sha256:abc", "output digest=sha256:abc"),
        ("tags", "a\nb", "output tags=a\\nb"),
        ("cr", "a\r\nb", "output cr=a\\r\\nb"),
        ("slash", "a\\nb", "output slash=a\\\\nb"),
        ("empty", "", "output empty="),
        ("uni", "héllo 🐳", "output uni=héllo 🐳"),
        ("ls", "a\u2028b", "output ls=a\\u2028b"),
    ],
)
def test_set_output_outside_github_prints(name: str, value: str, line: str) -> None:
    kit, out = local()
    kit.set_output(name, value)
    assert out.getvalue() == line + "\n"


def test_set_output_outside_github_cannot_raise_command() -> None:
    kit, out = local()
    kit.set_output("label", "##[error]boom")
    assert parse_workflow_commands(out.getvalue()) == []
    assert "output label=##[error]boom" in out.getvalue()
