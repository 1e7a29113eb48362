"""What the GitHub Actions runner reads out of a step: environment files and workflow commands.

Test-side models of the C# runner (``actions/runner``), so tests check the toolkit against the
reader that matters rather than against itself:

* :func:`parse_output_file` follows ``EnvFileKeyValuePairs`` in
  ``src/Runner.Worker/FileCommandManager.cs``, the parser shared by ``GITHUB_OUTPUT``,
  ``GITHUB_ENV`` and ``GITHUB_STATE`` (older runners had a copy of it in ``SetEnvFileCommand``);
* :func:`parse_workflow_commands` follows ``ActionCommand.TryParseV2`` / ``TryParse`` in
  ``src/Runner.Common/ActionCommand.cs`` and the stop-commands handling of
  ``src/Runner.Worker/ActionCommandManager.cs``;
* :func:`issue_properties` follows ``IssueCommandExtension.ValidateLinesAndColumns`` there.

Read at actions/runner 258d6c857db3519913f7deb6004b60172f8043ae.

Both model the Linux runner (container actions run only there).
"""

from __future__ import annotations

import re

__all__ = [
    "REGISTERED_COMMANDS",
    "issue_properties",
    "parse_output_file",
    "parse_workflow_commands",
]

#: Command names the runner knows (``ActionCommandManager`` registers ``stop-commands`` and its
#: command extensions; ``internal-set-repo-path`` is only enabled for plugins).
REGISTERED_COMMANDS = frozenset(
    {
        "add-mask",
        "add-matcher",
        "add-path",
        "debug",
        "echo",
        "endgroup",
        "error",
        "group",
        "notice",
        "remove-matcher",
        "save-state",
        "set-env",
        "set-output",
        "stop-commands",
        "warning",
    }
)

# ProcessInvoker reads stdout with StreamReader.ReadLine: CR, LF or CRLF end a line.
_LINE_BREAK = re.compile(r"\r\n|\r|\n")


def _read_line(text: str, index: int) -> tuple[str | None, int, str | None]:
    """``EnvFileKeyValuePairs.ReadLine`` on Linux: (line, next index, newline or None)."""
    if index >= len(text):
        return None, index, None
    lf = text.find("\n", index)
    if lf < 0:
        return text[index:], len(text), None
    return text[index:lf], lf + 1, "\n"


def parse_output_file(text: str) -> dict[str, str]:
    """Parse a ``GITHUB_OUTPUT`` (or ``GITHUB_ENV``) file as the runner does.

    *text* is the decoded file; a leading byte-order mark is dropped as .NET's
    ``File.ReadAllText`` does. Lines end at LF only (a CR stays in names and values). Empty
    lines are skipped; ``NAME=VALUE`` and ``NAME<<DELIMITER`` are told apart by whichever of
    ``=`` and ``<<`` comes first; a heredoc value runs up to the first line exactly equal to the
    delimiter, without the newline before it. Later duplicates win.

    Raises :class:`ValueError` where the runner fails the step, and also for ``=value`` with an
    empty name: the runner accepts that one only because its check tests the line instead of
    the name (a bug we do not want our writer to lean on).
    """
    if text.startswith("\ufeff"):
        text = text[1:]
    outputs: dict[str, str] = {}
    line, index, _ = _read_line(text, 0)
    while line is not None:
        if line:
            equals = line.find("=")
            heredoc = line.find("<<")
            if equals >= 0 and (heredoc < 0 or equals < heredoc):
                name, value = line[:equals], line[equals + 1 :]
                if not name:
                    raise ValueError(f"Invalid format {line!r}: the name before '=' is empty")
                outputs[name] = value
            elif heredoc >= 0:
                name, delimiter = line[:heredoc], line[heredoc + 2 :]
                if not name or not delimiter:
                    raise ValueError(
                        f"Invalid format {line!r}: name and delimiter must not be empty"
                    )
                start = end = index
                current, index, newline = _read_line(text, index)
                while current != delimiter:
                    if current is None:
                        raise ValueError(
                            f"Invalid value: matching delimiter not found {delimiter!r}"
                        )
                    if newline is None:
                        raise ValueError(
                            f"Invalid value: EOF marker missing new line after {current!r}"
                        )
                    end = index - len(newline)
                    current, index, newline = _read_line(text, index)
                outputs[name] = text[start:end]
            else:
                raise ValueError(f"Invalid format {line!r}: neither NAME=VALUE nor NAME<<DELIM")
        line, index, _ = _read_line(text, index)
    return outputs


def _unescape(text: str, mapping: tuple[tuple[str, str], ...]) -> str:
    # The runner replaces in this order, '%25' last, which undoes escape-'%'-first exactly.
    for escaped, plain in mapping:
        text = text.replace(escaped, plain)
    return text


_DATA = (("%0D", "\r"), ("%0A", "\n"), ("%25", "%"))
_PROPERTY = (("%0D", "\r"), ("%0A", "\n"), ("%3A", ":"), ("%2C", ","), ("%25", "%"))
_LEGACY = (("%3B", ";"), ("%0D", "\r"), ("%0A", "\n"), ("%5D", "]"), ("%25", "%"))

Command = tuple[str, dict[str, str], str]


# .NET char.IsWhiteSpace, what String.Trim/TrimStart remove: U+0009-U+000D, U+0020, U+0085,
# and the Zs, Zl, Zp categories. Python's str.strip() also removes U+001C-U+001F; .NET keeps them.
_DOTNET_WHITESPACE = (
    "\t\n\x0b\x0c\r \x85\xa0\u1680"
    + "".join(map(chr, range(0x2000, 0x200B)))
    + "\u2028\u2029\u202f\u205f\u3000"
)


def _split_pair(item: str) -> list[str]:
    """.NET ``item.Split('=', 2, StringSplitOptions.RemoveEmptyEntries)``: empty entries are
    skipped, also those right before the last one (dotnet/runtime
    ``src/libraries/System.Private.CoreLib/src/System/String.Manipulation.cs``
    ``SplitWithPostProcessing`` at 005e2802d5ccce2e1755aa7d46cf03f2271ab203), so the value
    loses any '=' it starts with, and ``=x`` is the single entry ``x``."""
    rest = item.lstrip("=")
    if not rest:
        return []
    key, equals, value = rest.partition("=")
    value = value.lstrip("=")
    return [key, value] if equals and value else [key]


def _properties(text: str, separator: str, mapping: tuple[tuple[str, str], ...]) -> dict[str, str]:
    properties: dict[str, str] = {}
    for item in text.split(separator):
        pair = _split_pair(item)  # RemoveEmptyEntries on the ',' split too: '' gives []
        if len(pair) == 2:
            # Dictionary(StringComparer.OrdinalIgnoreCase): keys compare without case.
            properties[pair[0].lower()] = _unescape(pair[1], mapping)
    return properties


def _parse_v2(line: str, known: frozenset[str]) -> Command | None:
    message = line.lstrip(_DOTNET_WHITESPACE)
    if not message.startswith("::"):
        return None
    end = message.find("::", 2)
    if end < 0:
        return None
    info = message[2:end]
    name, space, rest = info.partition(" ")
    if not name or name.lower() not in known:
        return None
    properties = _properties(rest.strip(_DOTNET_WHITESPACE), ",", _PROPERTY) if space else {}
    return name.lower(), properties, _unescape(message[end + 2 :], _DATA)


def _parse_legacy(line: str, known: frozenset[str]) -> Command | None:
    start = line.find("##[")
    if start < 0:
        return None
    end = line.find("]", start)
    if end < 0:
        return None
    name, space, rest = line[start + 3 : end].partition(" ")
    if not name or name.lower() not in known:
        return None
    properties = _properties(rest, ";", _LEGACY) if space else {}
    return name.lower(), properties, _unescape(line[end + 1 :], _LEGACY)


def parse_workflow_commands(stdout: str) -> list[tuple[str, dict[str, str], str]]:
    """The workflow commands the runner would process in *stdout*, in order.

    Each is ``(command, properties, data)`` with the name and property keys lower-cased (the
    runner compares both case-insensitively) and values un-escaped. Like the runner, a line is
    tried as ``::name props::data`` after leading whitespace, then as ``##[name props]data``
    anywhere in it, and only registered names count. ``stop-commands`` and its resume token are
    followed but not returned; lines in between yield nothing.

    Raises :class:`ValueError` for a stop with an empty token or one never resumed: the runner
    would then silently ignore every later command of the step.
    """
    commands: list[Command] = []
    token: str | None = None
    for line in _LINE_BREAK.split(stdout):
        known = REGISTERED_COMMANDS if token is None else REGISTERED_COMMANDS | {token}
        command = _parse_v2(line, known) or _parse_legacy(line, known)
        if command is None:
            continue
        name, _, data = command
        if token is not None:
            if name == token:
                token = None
        elif name == "stop-commands":
            if not data:
                raise ValueError(f"{line!r} stops commands with an empty token: never resumed")
            token = data.lower()
        else:
            commands.append(command)
    if token is not None:
        raise ValueError(f"Commands were stopped with token {token!r} and never resumed")
    return commands


def _int32(text: str | None) -> int | None:
    # int.TryParse(string): optional surrounding whitespace and sign, decimal digits, Int32.
    if text is None or re.fullmatch(r"\s*[+-]?[0-9]+\s*", text, re.ASCII) is None:
        return None
    number = int(text)
    return number if -(2**31) <= number < 2**31 else None


def issue_properties(properties: dict[str, str]) -> dict[str, str]:
    """An annotation's properties (lower-cased keys, as :func:`parse_workflow_commands` gives
    them) after ``ValidateLinesAndColumns``, which moves or drops inconsistent positions. As
    there, the numbers compared are those parsed first (0 when a start did not parse)."""
    props = dict(properties)
    numbers = {key: _int32(props.get(key)) for key in ("line", "endline", "col", "endcolumn")}
    has = {key: number is not None for key, number in numbers.items()}
    value = {key: number or 0 for key, number in numbers.items()}
    has_column = has["col"] or has["endcolumn"]
    for start, end in (("line", "endline"), ("col", "endcolumn")):
        if has[end] and not has[start]:
            props[start] = props[end]
            has[start] = True
    spans_lines = has["endline"] and props.get("line") != props.get("endline")
    if has_column and (not has["line"] or spans_lines):
        props.pop("col", None)
        props.pop("endcolumn", None)
    for start, end in (("line", "endline"), ("col", "endcolumn")):
        if has[start] and has[end] and value[end] < value[start]:
            props.pop(start, None)
            props.pop(end, None)
    return props
