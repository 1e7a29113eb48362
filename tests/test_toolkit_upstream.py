"""``@actions/core``'s own tests, ported as tables, for what github.toolkit implements.

Cases are facts from actions/toolkit at 4b9afa4c890de9d1a84c75bb617ee4d96207823a (both files
last changed in 8c90e2297afbb441a5d0a345e901fe83516ab42f):
* COMMAND: ``packages/core/__tests__/command.test.ts``;
* CORE: ``packages/core/__tests__/core.test.ts``.
Each emitted line is also read back with the runner model (tests/runner_files.py).

Not ported, because the toolkit does not have them (docs/differences.md, "Runner and
toolkit"): non-string values (``toCommandValue``'s JSON; our API takes ``str``), the legacy
``::set-output``/``::set-env``/``::save-state`` commands, ``exportVariable``, ``saveState``,
``getState``, ``addPath``, ``setCommandEcho``, ``getMultilineInput``, the OIDC client. Inputs
are ported in test_toolkit_inputs.py.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from runner_files import parse_workflow_commands
from toolkit_steps import Step, local

from hubaction.errors import HubActionError
from hubaction.github import toolkit as toolkit_module
from hubaction.github.toolkit import Position, Toolkit, format_command

pytestmark = pytest.mark.usefixtures("_no_github_env_leaks")

# CORE: the UUID crypto.randomUUID is mocked to return.
UUID = "9b1deb4d-3b7d-4bad-9bdd-2b0d7b3dcb6d"
DELIMITER = f"ghadelimiter_{UUID}"

# COMMAND, each `it(...)` with its expected line (os.EOL is written after it).
COMMAND_CASES = [
    # 'command only'
    ("some-command", {}, "", "::some-command::"),
    # 'command escapes message'
    (
        "some-command",
        {},
        "percent % percent % cr \r cr \r lf \n lf \n",
        "::some-command::percent %25 percent %25 cr %0D cr %0D lf %0A lf %0A",
    ),
    (
        "some-command",
        {},
        "%25 %25 %0D %0D %0A %0A",
        "::some-command::%2525 %2525 %250D %250D %250A %250A",
    ),
    # 'command escapes property'
    (
        "some-command",
        {"name": "percent % percent % cr \r cr \r lf \n lf \n colon : colon : comma , comma ,"},
        "",
        "::some-command name=percent %25 percent %25 cr %0D cr %0D lf %0A lf %0A colon %3A "
        "colon %3A comma %2C comma %2C::",
    ),
    (
        "some-command",
        {},
        "%25 %25 %0D %0D %0A %0A %3A %3A %2C %2C",
        "::some-command::%2525 %2525 %250D %250D %250A %250A %253A %253A %252C %252C",
    ),
    # 'command with message'
    ("some-command", {}, "some message", "::some-command::some message"),
    # 'command with message and properties'
    (
        "some-command",
        {"prop1": "value 1", "prop2": "value 2"},
        "some message",
        "::some-command prop1=value 1,prop2=value 2::some message",
    ),
    # 'command with one property', 'two properties', 'three properties'
    ("some-command", {"prop1": "value 1"}, "", "::some-command prop1=value 1::"),
    (
        "some-command",
        {"prop1": "value 1", "prop2": "value 2"},
        "",
        "::some-command prop1=value 1,prop2=value 2::",
    ),
    (
        "some-command",
        {"prop1": "value 1", "prop2": "value 2", "prop3": "value 3"},
        "",
        "::some-command prop1=value 1,prop2=value 2,prop3=value 3::",
    ),
]


@pytest.mark.parametrize(("command", "properties", "message", "line"), COMMAND_CASES)
def test_command(command: str, properties: dict[str, str], message: str, line: str) -> None:
    assert format_command(command, properties, message) == line


@pytest.mark.parametrize(("command", "properties", "message", "line"), COMMAND_CASES)
def test_command_reads_back(
    command: str, properties: dict[str, str], message: str, line: str
) -> None:
    # The same lines with a command the runner knows: it reads back exactly what was written.
    known = line.replace("::some-command", "::debug", 1)
    assert parse_workflow_commands(known) == [("debug", properties, message)]


WHERE = Position("root/test.txt", start_line=5, end_line=5, start_column=1, end_column=2)
MESSAGE = "Error: this is my error message"  # core.error(new Error(message)) writes this text


def _call(kind: str, message: str, **kwargs: object) -> Callable[[Toolkit], None]:
    return lambda kit: getattr(kit, kind)(message, **kwargs)


# CORE, each `it(...)`: the toolkit call and the line it writes. The Error-object cases pass
# the text core.error(new Error(m)) writes, `Error: m`.
CORE_CASES = [
    # 'setSecret produces the correct command' (first call; the multi-line one differs:
    # docs/differences.md)
    ("setSecret", lambda kit: kit.mask("secret val"), "::add-mask::secret val"),
    # 'setFailed sets the correct exit code and failure message' (the action's one error)
    ("setFailed", _call("error", "Failure message"), "::error::Failure message"),
    # 'setFailed escapes the failure message': the lone CR at the end included
    (
        "setFailed escapes",
        _call("error", "Failure \r\n\nmessage\r"),
        "::error::Failure %0D%0A%0Amessage%0D",
    ),
    ("error", _call("error", "Error message"), "::error::Error message"),
    ("error escapes", _call("error", "Error message\r\n\n"), "::error::Error message%0D%0A%0A"),
    ("error object", _call("error", MESSAGE), f"::error::{MESSAGE}"),
    (
        "error parameters",
        _call("error", MESSAGE, title="A title", at=WHERE),
        "::error title=A title,file=root/test.txt,line=5,endLine=5,col=1,endColumn=2::" + MESSAGE,
    ),
    ("warning", _call("warning", "Warning"), "::warning::Warning"),
    ("warning escapes", _call("warning", "\r\nwarning\n"), "::warning::%0D%0Awarning%0A"),
    ("warning object", _call("warning", MESSAGE), f"::warning::{MESSAGE}"),
    (
        "warning parameters",
        _call("warning", MESSAGE, title="A title", at=WHERE),
        "::warning title=A title,file=root/test.txt,line=5,endLine=5,col=1,endColumn=2::" + MESSAGE,
    ),
    ("notice", _call("notice", "Notice"), "::notice::Notice"),
    ("notice escapes", _call("notice", "\r\nnotice\n"), "::notice::%0D%0Anotice%0A"),
    ("notice object", _call("notice", MESSAGE), f"::notice::{MESSAGE}"),
    (
        "notice parameters",
        _call("notice", MESSAGE, title="A title", at=WHERE),
        "::notice title=A title,file=root/test.txt,line=5,endLine=5,col=1,endColumn=2::" + MESSAGE,
    ),
    ("debug", _call("debug", "Debug"), "::debug::Debug"),
    ("debug escapes", _call("debug", "\r\ndebug\n"), "::debug::%0D%0Adebug%0A"),
]


@pytest.mark.parametrize(
    ("case", "call", "line"), CORE_CASES, ids=[case for case, _, _ in CORE_CASES]
)
def test_core(case: str, call: Callable[[Toolkit], None], line: str) -> None:
    kit, out = local()
    call(kit)
    assert out.getvalue() == line + "\n"
    assert len(parse_workflow_commands(out.getvalue())) == 1


def test_annotation_properties_read_back() -> None:
    # CORE 'annotations map field names correctly': the runner gets title, file, line,
    # endLine, col and endColumn (and no startLine/startColumn).
    kit, out = local()
    kit.error("m", title="A title", at=WHERE)
    ((_, props, _),) = parse_workflow_commands(out.getvalue())
    assert props == {
        "title": "A title",
        "file": "root/test.txt",
        "line": "5",
        "endline": "5",
        "col": "1",
        "endcolumn": "2",
    }


def test_group() -> None:
    # CORE 'startGroup starts a new group', 'endGroup ends new group', 'group wraps an async
    # call in a group'
    kit, out = local()
    with kit.group("mygroup"):
        out.write("in my group\n")
    assert out.getvalue() == "::group::mygroup\nin my group\n::endgroup::\n"
    kit, out = local()
    with kit.group("my-group"):
        pass
    assert out.getvalue().split("\n")[0] == "::group::my-group"


# CORE 'setOutput produces the correct command and sets the output'. Our output names are
# output ids (GitHub's rule), so `my out` is `my_out` here.
def test_set_output_file(step: Step, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(toolkit_module, "_new_delimiter", lambda: DELIMITER)
    step.kit.set_output("my_out", "out val")
    assert step.output_file.read_text() == f"my_out<<{DELIMITER}\nout val\n{DELIMITER}\n"
    assert step.outputs() == {"my_out": "out val"}


# CORE 'setOutput does not allow delimiter as value' / 'as name'. The name keeps to the output
# id grammar, so it is the delimiter check that refuses it.
@pytest.mark.parametrize(
    ("name", "value"),
    [("my_out", f"good stuff {DELIMITER} bad stuff"), (f"good_stuff_{DELIMITER}_bad", "test")],
)
def test_set_output_refuses_the_delimiter(
    step: Step, monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    monkeypatch.setattr(toolkit_module, "_new_delimiter", lambda: DELIMITER)
    with pytest.raises(HubActionError, match="delimiter"):
        step.kit.set_output(name, value)
    assert step.output_file.read_text() == ""
