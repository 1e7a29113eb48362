"""Tests for github.toolkit: inputs (INPUT_* variables, booleans, numbers) and the environment.

Checked against the runner's own rules (tests/runner_files.py).
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from toolkit_steps import local

from hubaction.errors import InvalidInput
from hubaction.github.toolkit import Toolkit, input_variable

# Tests run inside GitHub Actions too: the real GITHUB_*/INPUT_*/RUNNER_* variables are removed.
pytestmark = pytest.mark.usefixtures("_no_github_env_leaks")


# -- inputs ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "variable"),
    [
        ("list-tags", "INPUT_LIST-TAGS"),
        ("image", "INPUT_IMAGE"),
        ("my input", "INPUT_MY_INPUT"),
        ("two  spaces", "INPUT_TWO__SPACES"),
        ("Mixed-Case name", "INPUT_MIXED-CASE_NAME"),
        ("under_score", "INPUT_UNDER_SCORE"),
    ],
)
def test_input_variable_names(name: str, variable: str) -> None:
    assert input_variable(name) == variable
    kit, _ = local({variable: "value"})
    assert kit.get_input(name) == "value"


@pytest.mark.parametrize(
    ("raw", "value"),
    [("  spaced  ", "spaced"), ("\tx\n", "x"), ("a b", "a b"), ("", ""), (" \n ", "")],
)
def test_get_input_strips_whitespace(raw: str, value: str) -> None:
    kit, _ = local({"INPUT_IMAGE": raw})
    assert kit.get_input("image") == value


def test_get_input_unset_is_empty() -> None:
    kit, _ = local()
    assert kit.get_input("image") == ""


@pytest.mark.parametrize("raw", [None, "", "   ", "\n"])
def test_get_input_required_and_empty(raw: str | None) -> None:
    kit, _ = local({} if raw is None else {"INPUT_LIST-TAGS": raw})
    with pytest.raises(InvalidInput, match=r"`list-tags` is required.*INPUT_LIST-TAGS"):
        kit.get_input("list-tags", required=True)


def test_get_input_required_and_present() -> None:
    kit, _ = local({"INPUT_IMAGE": " alpine "})
    assert kit.get_input("image", required=True) == "alpine"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("true", True),
        ("True", True),
        ("TRUE", True),
        ("false", False),
        ("False", False),
        ("FALSE", False),
        ("  true\n", True),
        (" FALSE ", False),
    ],
)
def test_get_bool_input_valid(raw: str, expected: bool) -> None:
    kit, _ = local({"INPUT_LIST-TAGS": raw})
    assert kit.get_bool_input("list-tags") is expected
    assert kit.get_bool_input("list-tags", default=not expected) is expected


@pytest.mark.parametrize(
    "raw",
    ["yes", "no", "on", "off", "1", "0", "y", "n", "tRUE", "fALSE", "truee", "t", "true false"],
)
def test_get_bool_input_invalid(raw: str) -> None:
    kit, _ = local({"INPUT_LIST-TAGS": raw})
    with pytest.raises(InvalidInput) as caught:
        kit.get_bool_input("list-tags", default=True)
    assert str(caught.value).startswith(
        f'Input `list-tags` is "{raw}": expected one of true, True, TRUE, false, False, FALSE'
    )


def test_get_bool_input_message_exact_prefix() -> None:
    kit, _ = local({"INPUT_LIST-TAGS": "yes"})
    with pytest.raises(InvalidInput) as caught:
        kit.get_bool_input("list-tags")
    assert str(caught.value).startswith(
        'Input `list-tags` is "yes": expected one of true, True, TRUE, false, False, FALSE'
    )


@pytest.mark.parametrize("default", [True, False])
@pytest.mark.parametrize("raw", [None, "", "  "])
def test_get_bool_input_empty_gives_default(raw: str | None, default: bool) -> None:
    kit, _ = local({} if raw is None else {"INPUT_X": raw})
    assert kit.get_bool_input("x", default=default) is default


def test_get_bool_input_empty_without_default() -> None:
    kit, _ = local()
    with pytest.raises(InvalidInput, match=r"`x` is required: expected one of true"):
        kit.get_bool_input("x")


def test_get_bool_input_quotes_multiline_value_on_one_line() -> None:
    kit, _ = local({"INPUT_X": 'a"\nb'})
    with pytest.raises(InvalidInput) as caught:
        kit.get_bool_input("x")
    assert "\n" not in str(caught.value)
    assert '"a\\"\\nb"' in str(caught.value)


@settings(max_examples=200, deadline=None)
@given(raw=st.text(max_size=30))
def test_get_bool_input_arbitrary_text(raw: str) -> None:
    kit, _ = local({"INPUT_X": raw})
    try:
        result = kit.get_bool_input("x", default=None)
    except InvalidInput as error:
        assert "`x`" in str(error)
    else:
        assert raw.strip() in ("true", "True", "TRUE", "false", "False", "FALSE")
        assert result is (raw.strip() in ("true", "True", "TRUE"))


@pytest.mark.parametrize(
    ("raw", "minimum", "expected"),
    [
        ("5", None, 5),
        (" 42 ", None, 42),
        ("+7", None, 7),
        ("-3", None, -3),
        ("007", None, 7),
        ("0", 0, 0),
        ("1", 1, 1),
        ("1000000", 1, 1000000),
    ],
)
def test_get_int_input_valid(raw: str, minimum: int | None, expected: int) -> None:
    kit, _ = local({"INPUT_MAX-TAGS": raw})
    assert kit.get_int_input("max-tags", default=99, minimum=minimum) == expected


@pytest.mark.parametrize(
    ("raw", "minimum"),
    [
        ("1.5", None),
        ("1e3", None),
        ("1_000", None),
        ("0x10", None),
        ("٣", None),  # Arabic-Indic digit: int() would take it
        ("ten", None),
        ("-", None),
        ("5 5", None),
        ("0", 1),
        ("-1", 0),
        ("9" * 5000, None),  # beyond int()'s default digit limit
    ],
)
def test_get_int_input_invalid(raw: str, minimum: int | None) -> None:
    kit, _ = local({"INPUT_MAX-TAGS": raw})
    with pytest.raises(InvalidInput) as caught:
        kit.get_int_input("max-tags", default=1, minimum=minimum)
    message = str(caught.value)
    assert message.startswith("Input `max-tags` is ")
    assert "expected a whole number in decimal digits" in message
    if minimum is not None:
        assert f"at least {minimum}" in message


@pytest.mark.parametrize("raw", [None, "", " \t "])
def test_get_int_input_empty_gives_default(raw: str | None) -> None:
    kit, _ = local({} if raw is None else {"INPUT_N": raw})
    assert kit.get_int_input("n", default=17, minimum=1) == 17


@settings(max_examples=200, deadline=None)
@given(raw=st.text(max_size=20))
def test_get_int_input_arbitrary_text(raw: str) -> None:
    kit, _ = local({"INPUT_N": raw})
    try:
        result = kit.get_int_input("n", default=-1, minimum=0)
    except InvalidInput as error:
        assert "`n`" in str(error)
    else:
        assert result == -1 if not raw.strip() else result == int(raw.strip()) >= 0


# -- environment ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("env", "expected"),
    [({}, False), ({"GITHUB_OUTPUT": ""}, False), ({"GITHUB_OUTPUT": "/tmp/out"}, True)],
)
def test_in_github(env: dict[str, str], expected: bool) -> None:
    assert Toolkit(env=env).in_github is expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [(None, False), ("1", True), ("0", False), ("true", False), ("", False)],
)
def test_debug_enabled(value: str | None, expected: bool) -> None:
    env = {} if value is None else {"RUNNER_DEBUG": value}
    assert Toolkit(env=env).debug_enabled is expected


def test_defaults_to_process_env_and_stdout(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("INPUT_PROBE", "from-os-environ")
    kit = Toolkit()
    assert kit.get_input("probe") == "from-os-environ"
    kit.info("hello")
    assert capsys.readouterr().out == "hello\n"
