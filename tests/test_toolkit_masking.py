"""Tests for github.toolkit: masking secrets, and the step summary.

Checked against the runner's own rules (tests/runner_files.py).
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from runner_files import parse_workflow_commands
from toolkit_steps import Step, local, nasty_text

# Tests run inside GitHub Actions too: the real GITHUB_*/INPUT_*/RUNNER_* variables are removed.
pytestmark = pytest.mark.usefixtures("_no_github_env_leaks")


# -- masking --------------------------------------------------------------------------------


def test_mask_emits_add_mask_once() -> None:
    kit, out = local()
    kit.mask("s3cret")
    kit.mask("s3cret")
    kit.mask("")
    assert parse_workflow_commands(out.getvalue()) == [("add-mask", {}, "s3cret")]


def test_mask_multiline_secret_per_line() -> None:
    kit, out = local()
    kit.mask("line-one\n\n  \r\nline-two\rline-three\nline-one")
    assert parse_workflow_commands(out.getvalue()) == [
        ("add-mask", {}, "line-one"),
        ("add-mask", {}, "line-two"),
        ("add-mask", {}, "line-three"),
    ]


def test_mask_line_is_escaped_not_redacted() -> None:
    kit, out = local()
    kit.mask("p%0Ass")
    kit.mask("p%0Ass-longer")
    assert out.getvalue() == "::add-mask::p%250Ass\n::add-mask::p%250Ass-longer\n"
    assert [c[2] for c in parse_workflow_commands(out.getvalue())] == ["p%0Ass", "p%0Ass-longer"]


def test_masks_redacted_from_messages() -> None:
    kit, out = local()
    kit.mask("tok3n")
    out.truncate(0)
    out.seek(0)
    kit.error("auth with tok3n failed", title="tok3n")
    kit.warning("w tok3n")
    kit.notice("n tok3n")
    kit.debug("d tok3n")
    kit.info("i tok3n")
    with kit.group("g tok3n"):
        pass
    kit.set_output("out", "o tok3n")
    kit.append_summary("s tok3n")
    assert "tok3n" not in out.getvalue()
    assert parse_workflow_commands(out.getvalue())[0] == (
        "error",
        {"title": "***"},
        "auth with *** failed",
    )
    assert out.getvalue().count("***") == 9


def test_longer_secret_redacted_whole() -> None:
    kit, out = local()
    kit.mask("abc")
    kit.mask("abcdef")
    out.truncate(0)
    out.seek(0)
    kit.info("x abcdef y abc")
    assert out.getvalue() == "x *** y ***\n"


def test_secret_with_percent_and_newline_redacted_before_escaping() -> None:
    kit, out = local()
    kit.mask("a%b\nc:d")
    out.truncate(0)
    out.seek(0)
    kit.error("a%b\nc:d", title="c:d")
    assert parse_workflow_commands(out.getvalue()) == [("error", {"title": "***"}, "***\n***")]


def test_output_file_values_are_not_redacted(step: Step) -> None:
    step.kit.mask("s3cret")
    step.kit.set_output("token", "s3cret")
    assert step.outputs() == {"token": "s3cret"}


def _secret_lines(secret: str) -> list[str]:
    return [p for p in secret.replace("\r\n", "\n").replace("\r", "\n").split("\n") if p.strip()]


@settings(max_examples=200, deadline=None)
@given(
    secret=st.text(alphabet=st.characters(blacklist_characters="*"), min_size=1, max_size=20),
    message=nasty_text,
)
def test_masked_secret_never_reaches_the_runner(secret: str, message: str) -> None:
    # '*' excluded: replacing 'a**' by '***' in 'aa**' would make it again (the runner's
    # masker shares that quirk).
    kit, out = local()
    kit.mask(secret)
    kit.error(message + secret + message, title=secret)
    kit.warning(secret)
    commands = parse_workflow_commands(out.getvalue())
    assert [c[0] for c in commands if c[0] != "add-mask"] == ["error", "warning"]
    for piece in _secret_lines(secret):
        for name, props, data in commands:
            if name != "add-mask":
                assert piece not in data
                assert all(piece not in v for v in props.values())


@settings(max_examples=200, deadline=None)
@given(secret=st.from_regex(r"[A-Za-z0-9!@#$^&_+.-]{6,20}", fullmatch=True), message=nasty_text)
def test_masked_secret_never_printed(secret: str, message: str) -> None:
    kit, out = local()
    kit.mask(secret)
    before = out.getvalue()
    kit.error(message + secret + message, title=secret)
    kit.info(secret + message)
    kit.set_output("x", message + secret)
    kit.append_summary(secret)
    assert secret not in out.getvalue()[len(before) :]


# -- summary --------------------------------------------------------------------------------


def test_append_summary_in_github(step: Step) -> None:
    step.kit.append_summary("## hubaction\n")
    step.kit.append_summary("| a | b |")
    assert step.summary_file.read_text() == "## hubaction\n| a | b |\n"
    assert step.stdout.getvalue() == ""


def test_append_summary_outside_github() -> None:
    kit, out = local()
    kit.append_summary("## hubaction\n::error::from registry\n")
    assert out.getvalue().startswith("::stop-commands::")
    assert "--- step summary ---\n## hubaction\n::error::from registry\n" in out.getvalue()
    assert parse_workflow_commands(out.getvalue()) == []


def test_append_summary_plain_outside_github() -> None:
    kit, out = local()
    kit.append_summary("## hubaction")
    assert out.getvalue() == "--- step summary ---\n## hubaction\n"


def test_lone_surrogate_in_message_is_printable() -> None:
    kit, out = local()
    kit.info("bad \ud800 label")
    kit.error("bad \udcff")
    out.getvalue().encode("utf-8")  # would raise on a surrogate
    assert "bad \ufffd label" in out.getvalue()
