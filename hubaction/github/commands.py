"""Workflow command lines as ``@actions/core`` writes them and the runner reads them.

``actions/toolkit`` ``packages/core/src/command.ts`` (``Command.toString``, ``escapeData``,
``escapeProperty``) and ``src/utils.ts`` (``toCommandProperties``) write them;
``actions/runner`` ``src/Runner.Common/ActionCommand.cs`` (``TryParseV2``) and
``src/Runner.Worker/ActionCommandManager.cs`` (``IssueCommandExtension``) read them. Pure text:
:class:`hubaction.github.toolkit.Toolkit` adds the redaction and the writing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

__all__ = ["Position", "escape_data", "escape_property", "format_command", "shown_title"]


def escape_data(value: str) -> str:
    """Escape command data as ``command.ts`` ``escapeData``: ``%``, CR, LF.

    ``%`` goes first so the runner's un-escaping (``%0D``, ``%0A`` and then ``%25``) is exact.
    """
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(value: str) -> str:
    """Escape a command property value as ``command.ts`` ``escapeProperty``.

    In addition to :func:`escape_data`, ``:`` (would end the properties at ``::``) and ``,``
    (separates properties).
    """
    return escape_data(value).replace(":", "%3A").replace(",", "%2C")


def format_command(command: str, properties: Mapping[str, str], message: str) -> str:
    """One workflow command line, ``::command key=value,...::message``, as ``command.ts``
    ``Command.toString``: properties with an empty value are left out, values escaped with
    :func:`escape_property`, the message with :func:`escape_data`.

    Unlike ``command.ts``, no space is written when every property is left out (the runner
    parses ``::name ::`` and ``::name::`` alike). Command names and keys are ours: not escaped.
    """
    props = ",".join(
        f"{key}={escape_property(value)}" for key, value in properties.items() if value
    )
    return f"::{command}{' ' + props if props else ''}::{escape_data(message)}"


def shown_title(title: str) -> str:
    """The annotation title the runner records for *title*; ``''`` means none.

    The runner ``Trim()``s the property list and splits each pair with ``Split('=', 2,
    RemoveEmptyEntries)`` (``ActionCommand.cs`` ``TryParseV2``), so it drops trailing
    whitespace and any ``=`` a value starts with. Leading and inner spacing survive, and so
    does everything else. We drop just these ourselves, trailing line breaks too (escaped, the
    runner would keep them, and a title is one line), so a title is what the runner shows.
    """
    # Python's whitespace is a superset of .NET's char.IsWhiteSpace: nothing the runner trims
    # is left at the end.
    return title.rstrip().lstrip("=")


@dataclass(frozen=True)
class Position:
    """Where an annotation points: ``@actions/core`` ``AnnotationProperties`` (``file``,
    ``startLine``, ``endLine``, ``startColumn``, ``endColumn``), lines and columns from 1.

    Raises :class:`ValueError` for what the runner's ``ValidateLinesAndColumns`` would move or
    drop (an end without its start, columns without a line or across lines, an end before its
    start), and for numbers below 1 (``@actions/core`` leaves a 0 out): a caller's bug.
    """

    file: str = ""
    start_line: int | None = None
    end_line: int | None = None
    start_column: int | None = None
    end_column: int | None = None

    def __post_init__(self) -> None:
        numbers = (self.start_line, self.end_line, self.start_column, self.end_column)
        if any(n is not None and n < 1 for n in numbers):
            raise ValueError(f"annotation lines and columns start at 1: {self}")
        if self.end_line is not None and self.start_line is None:
            raise ValueError(f"an annotation's end_line needs its start_line: {self}")
        if self.end_column is not None and self.start_column is None:
            raise ValueError(f"an annotation's end_column needs its start_column: {self}")
        if self.start_column is not None and self.start_line is None:
            raise ValueError(f"an annotation's columns need a start_line: {self}")
        if self.start_column is not None and self.end_line not in (None, self.start_line):
            raise ValueError(f"an annotation spanning lines cannot have columns: {self}")
        if _before(self.end_line, self.start_line) or _before(self.end_column, self.start_column):
            raise ValueError(f"an annotation cannot end before it starts: {self}")

    def properties(self) -> dict[str, str]:
        """The command properties, named and ordered as ``utils.ts`` ``toCommandProperties``
        (after ``title``); unset ones are empty, so :func:`format_command` leaves them out."""
        return {
            "file": self.file,
            "line": _number(self.start_line),
            "endLine": _number(self.end_line),
            "col": _number(self.start_column),
            "endColumn": _number(self.end_column),
        }


def _before(end: int | None, start: int | None) -> bool:
    return end is not None and start is not None and end < start


def _number(value: int | None) -> str:
    return "" if value is None else str(value)
