"""Tests for github.toolkit: masking secrets, and the step summary.

Checked against the runner's own rules (tests/runner_files.py).
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from runner_files import parse_workflow_commands
from toolkit_steps import Step, local, nasty_text

from hubaction.github.toolkit import MIN_SECRET_LENGTH, plausible_secret

# Tests run inside GitHub Actions too: the real GITHUB_*/INPUT_*/RUNNER_* variables are removed.
pytestmark = pytest.mark.usefixtures("_no_github_env_leaks")


# -- masking --------------------------------------------------------------------------------


def test_mask_emits_add_mask_once() -> None:
    kit, out = local()
    kit.mask("s3cret-pw")
    kit.mask("s3cret-pw")
    kit.mask("")
    assert parse_workflow_commands(out.getvalue()) == [("add-mask", {}, "s3cret-pw")]


def test_mask_multiline_secret_per_line() -> None:
    kit, out = local()
    kit.mask("line-one\n\n  \r\nline-two\rline-three\nline-one")
    assert parse_workflow_commands(out.getvalue()) == [
        ("add-mask", {}, "line-one"),
        ("add-mask", {}, "line-two"),
        ("add-mask", {}, "line-three"),
    ]


@pytest.mark.parametrize(
    "secret",
    ["|", "sha256", "latest", "a:b", "1234567", "  pw-1\t ", "x" * (MIN_SECRET_LENGTH - 1)],
)
def test_implausible_secret_is_refused_not_masked(secret: str) -> None:
    # Issue 13: masking "|" or "sha256" blanks it everywhere in the job log, and the runner
    # drops every output that contains a masked value.
    kit, out = local()
    kit.mask(secret)
    kit.mask(secret)
    commands = parse_workflow_commands(out.getvalue())
    assert [name for name, _props, _data in commands] == ["warning"]  # once, not per call
    assert secret.strip() not in commands[0][2]  # the warning does not quote it
    out.truncate(0)
    out.seek(0)
    kit.info(f"digest sha256:abc | {secret}")
    kit.append_summary(f"| a | {secret} |")
    assert out.getvalue() == (
        f"digest sha256:abc | {secret}\n--- step summary ---\n| a | {secret} |\n"
    )


def test_plausible_lines_of_a_secret_are_masked_short_ones_refused() -> None:
    kit, out = local()
    kit.mask("long-enough-1\n|\nlong-enough-2")
    kit.mask("long-enough-1")
    kit.mask("x" * MIN_SECRET_LENGTH)
    kit.mask(" \n")  # nothing to mask, nothing refused
    assert [(n, d) for n, _p, d in parse_workflow_commands(out.getvalue())] == [
        ("add-mask", "long-enough-1"),
        ("add-mask", "long-enough-2"),
        (
            "warning",
            "1 secret value(s) shorter than 8 characters not masked: masking text that "
            "short would blank it wherever it appears in the log and make the runner drop every "
            "output containing it.",
        ),
        ("add-mask", "x" * MIN_SECRET_LENGTH),
    ]


def test_mask_line_is_escaped_not_redacted() -> None:
    kit, out = local()
    kit.mask("p%0Ass-pw")
    kit.mask("p%0Ass-pw-longer")
    assert out.getvalue() == "::add-mask::p%250Ass-pw\n::add-mask::p%250Ass-pw-longer\n"
    assert [c[2] for c in parse_workflow_commands(out.getvalue())] == [
        "p%0Ass-pw",
        "p%0Ass-pw-longer",
    ]


def test_masks_redacted_from_messages() -> None:
    kit, out = local()
    kit.mask("tok3n-xyz")
    out.truncate(0)
    out.seek(0)
    kit.error("auth with tok3n-xyz failed", title="tok3n-xyz")
    kit.warning("w tok3n-xyz")
    kit.notice("n tok3n-xyz")
    kit.debug("d tok3n-xyz")
    kit.info("i tok3n-xyz")
    with kit.group("g tok3n-xyz"):
        pass
    kit.set_output("out", "o tok3n-xyz")
    kit.append_summary("s tok3n-xyz")
    assert "tok3n-xyz" not in out.getvalue()
    assert parse_workflow_commands(out.getvalue())[0] == (
        "error",
        {"title": "***"},
        "auth with *** failed",
    )
    assert out.getvalue().count("***") == 9


def test_longer_secret_redacted_whole() -> None:
    kit, out = local()
    kit.mask("abcdefgh")
    kit.mask("abcdefghijk")
    out.truncate(0)
    out.seek(0)
    kit.info("x abcdefghijk y abcdefgh")
    assert out.getvalue() == "x *** y ***\n"


def test_secret_with_percent_and_newline_redacted_before_escaping() -> None:
    kit, out = local()
    kit.mask("a%b:pass\nc:d,word")
    out.truncate(0)
    out.seek(0)
    kit.error("a%b:pass\nc:d,word", title="c:d,word")
    assert parse_workflow_commands(out.getvalue()) == [("error", {"title": "***"}, "***\n***")]


def test_output_file_values_are_not_redacted(step: Step) -> None:
    step.kit.mask("s3cret-pw")
    step.kit.set_output("token", "s3cret-pw")
    assert step.outputs() == {"token": "s3cret-pw"}


def _secret_lines(secret: str) -> list[str]:
    return [p for p in secret.replace("\r\n", "\n").replace("\r", "\n").split("\n") if p.strip()]


@settings(max_examples=200, deadline=None)
@given(
    secret=st.text(alphabet=st.characters(blacklist_characters="*"), min_size=8, max_size=30),
    message=nasty_text,
)
def test_masked_secret_never_reaches_the_runner(secret: str, message: str) -> None:
    # '*' excluded: replacing 'a**' by '***' in 'aa**' would make it again (the runner's
    # masker shares that quirk).
    kit, out = local()
    kit.mask(secret)
    start = len(out.getvalue())
    kit.error(message + secret + message, title=secret)
    kit.warning(secret)
    commands = parse_workflow_commands(out.getvalue()[start:])
    assert [c[0] for c in commands] == ["error", "warning"]
    for piece in filter(plausible_secret, _secret_lines(secret)):
        for _name, props, data in commands:
            assert piece not in data
            assert all(piece not in v for v in props.values())


@settings(max_examples=200, deadline=None)
@given(secret=st.from_regex(r"[A-Za-z0-9!@#$^&_+.-]{8,20}", fullmatch=True), message=nasty_text)
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
