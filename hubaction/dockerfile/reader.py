"""A Dockerfile read as BuildKit's ``frontend/dockerfile/parser`` reads it: parser directives,
continuation lines, comments, heredoc bodies, and each instruction with its ``--flags``.

Instructions are case-insensitive; a line whose first non-blank character is ``#`` is a comment,
also inside a continued instruction. Heredoc bodies of ``RUN``, ``COPY`` and ``ADD`` (also after
``ONBUILD``, shell form only) belong to their instruction: a body line ``FROM x`` is not one.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass

from hubaction.dockerfile.directives import BOM, parse_directive
from hubaction.dockerfile.heredoc import Heredoc, heredocs_from_line
from hubaction.dockerfile.lexer import GO_SPACE, is_go_space
from hubaction.errors import InvalidInput

_DEFAULT_ESCAPE = "\\"
# parser.go reWhitespace / line_parsers.go tokenWhitespace: what separates a command from its
# arguments and FROM's arguments from each other.
_TOKEN_WHITESPACE = re.compile(r"[\t\v\f\r ]+")
_HEREDOC_COMMANDS = frozenset({"run", "copy", "add"})


@dataclass(frozen=True)
class Instruction:
    """One logical instruction: ``line`` is the 1-based line it starts on, ``command`` as
    written (compare it lowercased), ``flags`` its leading ``--flags`` with quotes removed,
    ``args`` the rest, ``escape`` the escape character of the file and ``heredocs`` the
    heredoc bodies that follow it. ``end_line`` is the last physical line of the instruction
    itself (its continuation lines and the comment lines among them; heredoc bodies after it):
    with ``line``, where :mod:`hubaction.dockerfile.rewrite` finds its words in the source."""

    line: int
    command: str
    flags: tuple[str, ...]
    args: str
    escape: str = _DEFAULT_ESCAPE
    heredocs: tuple[Heredoc, ...] = ()
    end_line: int = 0


def read_instructions(text: str, path: str) -> Iterator[Instruction]:
    """The instructions of the Dockerfile ``text``, in order (parser.go Parse).

    Raises :class:`~hubaction.errors.InvalidInput` naming ``path`` and the line for a bad or
    repeated parser directive, a heredoc word BuildKit refuses (``<<'EOF``) and a heredoc
    that is never terminated.
    """
    return _Reader(text, path).instructions()


def split_arguments(args: str) -> list[str]:
    """line_parsers.go parseStringsWhitespaceDelimited, as FROM splits its arguments."""
    return _TOKEN_WHITESPACE.split(args) if args else []


def parse_words(rest: str, escape: str) -> list[str]:
    """line_parsers.go parseWords: split on blanks, keeping quotes and escapes for expansion."""
    words: list[str] = []
    index = 0
    while (index := _skip_spaces(rest, index)) < len(rest):
        word, quoted, index = _shell_word(rest, index, escape)
        if quoted or word:
            words.append(word)
    return words


def _shell_word(rest: str, index: int, escape: str) -> tuple[str, bool, int]:
    """One word of parseWords from ``index``: ``(its text, whether it has quotes, the index
    after it)``. Quotes and escapes stay in the text; an escape last in ``rest`` is dropped."""
    chars: list[str] = []
    quote = ""
    quoted = False
    size = len(rest)
    while index < size:
        char = rest[index]
        if not quote and is_go_space(char):
            break
        if not quote and char in "'\"":
            quote, quoted = char, True
        elif quote and char == quote:
            quote = ""
        elif char == escape and quote != "'":
            if index + 1 == size:
                return "".join(chars), quoted, size
            chars.append(char)
            index += 1
            char = rest[index]
        chars.append(char)
        index += 1
    return "".join(chars), quoted, index


def _skip_spaces(text: str, index: int) -> int:
    while index < len(text) and is_go_space(text[index]):
        index += 1
    return index


def _lstrip(text: str) -> str:
    return text[_skip_spaces(text, 0) :]


def _strip(text: str) -> str:
    end = len(text)
    while end > 0 and text[end - 1] in GO_SPACE:
        end -= 1
    return _lstrip(text[:end])


def is_comment(line: str) -> bool:
    """A comment line (``#`` first after blanks), also inside a continued instruction."""
    return _lstrip(line).startswith("#")


def _continuation_re(escape: str) -> re.Pattern[str]:
    # parser.go setEscapeToken: the escape character last on the line (trailing blanks
    # allowed) continues it, unless it is itself escaped; or it is alone on its line.
    e = re.escape(escape)
    return re.compile(rf"([^{e}]){e}[ \t]*\Z|\A{e}[ \t]*\Z")


class _Reader:
    """The logical instructions of a Dockerfile, with parser directives, continuations and
    heredoc bodies handled as BuildKit's ``parser.Parse`` does."""

    def __init__(self, text: str, path: str) -> None:
        # bufio.Scanner with scanLines: split after "\n" only (not str.splitlines, which also
        # splits on \v, \f, \x1c.. and U+2028), each line keeping its ending for heredocs.
        self._lines = scan_lines(text)
        self._next = 0  # index of the next physical line; also the count of lines consumed
        self._path = path
        self._escape = _DEFAULT_ESCAPE
        self._continuation = _continuation_re(_DEFAULT_ESCAPE)
        self._directives_done = False
        self._directives_seen: set[str] = set()

    def _take_raw(self) -> str | None:
        if self._next >= len(self._lines):
            return None
        line = self._lines[self._next]
        if self._next == 0:
            line = line.removeprefix(BOM)
        self._next += 1
        return line

    def _take(self) -> str | None:
        line = self._take_raw()
        # trimNewline: bytes.TrimRight(line, "\r\n").
        return None if line is None else line.rstrip("\r\n")

    def _directive(self, line: str) -> None:
        """directives.go ParseLine: directives only at the very top, each at most once."""
        if self._directives_done:
            return
        directive = parse_directive(line)
        if directive is None:
            self._directives_done = True
            return
        name, value = directive
        if name in self._directives_seen:
            raise InvalidInput(
                f"{self._path} line {self._next}: the {name} parser directive is given twice "
                f"(BuildKit: only one {name} parser directive can be used); keep one"
            )
        self._directives_seen.add(name)
        if name == "escape":
            if value not in ("\\", "`"):
                raise InvalidInput(
                    f"{self._path} line {self._next}: invalid escape parser directive "
                    f"{value!r}: the escape character is '\\' or '`'"
                )
            self._escape = value
            self._continuation = _continuation_re(value)

    def _trim_continuation(self, line: str) -> tuple[str, bool]:
        """``(line without the continuation character, whether the instruction ends here)``."""
        match = self._continuation.search(line)
        if match is None:
            return line, True
        return line[: match.start()] + (match.group(1) or ""), False

    def instructions(self) -> Iterator[Instruction]:
        while (raw := self._take()) is not None:
            token = _lstrip(raw)
            self._directive(token)
            if is_comment(token):
                token = ""
            start = self._next
            token, ended = self._trim_continuation(token)
            if ended and not token:
                continue
            parts = [token]
            while not ended and (raw := self._take()) is not None:
                # Comment lines and blank lines inside a continued instruction are dropped;
                # continuation lines keep their leading blanks.
                if is_comment(raw) or not _lstrip(raw):
                    continue
                part, ended = self._trim_continuation(raw)
                parts.append(part)
            line = "".join(parts)
            instruction = _split_command(line, self._escape, start)
            instruction = dataclasses.replace(instruction, end_line=self._next)
            if "<<" in line and _can_contain_heredoc(instruction):
                bodies = self._heredoc_bodies(line, start)
                instruction = dataclasses.replace(instruction, heredocs=bodies)
            yield instruction

    def _heredoc_bodies(self, line: str, start: int) -> tuple[Heredoc, ...]:
        """Read the bodies of the heredocs announced on ``line`` (parser.go Parse)."""
        where = f"{self._path} line {start}"
        try:
            heredocs = heredocs_from_line(line)
        except InvalidInput as error:
            raise InvalidInput(f"{where}: {error}") from None
        bodies: list[Heredoc] = []
        for heredoc in heredocs:
            content: list[str] = []
            while (raw := self._take_raw()) is not None:
                candidate = raw.rstrip("\r\n")
                if (candidate.lstrip("\t") if heredoc.chomp else candidate) == heredoc.name:
                    break
                content.append(raw)
            else:
                raise InvalidInput(
                    f"{where}: the heredoc <<{heredoc.name} is never terminated (BuildKit: "
                    f"unterminated heredoc); end it with a line {heredoc.name!r}"
                )
            bodies.append(dataclasses.replace(heredoc, content="".join(content)))
        return tuple(bodies)


def scan_lines(text: str) -> list[str]:
    """parser.go scanLines: lines split after each "\n", endings kept; no empty last line."""
    lines = [line + "\n" for line in text.split("\n")]
    last = lines.pop()[:-1]
    if last:
        lines.append(last)
    return lines


def _split_command(line: str, escape: str, start: int) -> Instruction:
    """split_command.go: ``command [--flag ...] args``."""
    parts = _TOKEN_WHITESPACE.split(_strip(line), maxsplit=1)
    command = parts[0]
    flags: list[str] = []
    args = ""
    if len(parts) == 2:
        args, flags = _extract_flags(parts[1], escape)
    return Instruction(
        line=start, command=command, flags=tuple(flags), args=_strip(args), escape=escape
    )


def _extract_flags(rest: str, escape: str) -> tuple[str, list[str]]:
    """split_command.go extractBuilderFlags: ``(the rest, the leading --words)``.

    A lone ``--`` ends the flags.
    """
    flags: list[str] = []
    index = 0
    while (index := _skip_spaces(rest, index)) < len(rest):
        if not rest.startswith("--", index):
            return rest[index:], flags
        # A flag word starts with "--", so it is never empty, quoted or not.
        flag, index = _flag_word(rest, index, escape)
        if flag == "--":
            return rest[index:], flags
        flags.append(flag)
    return "", flags


def _flag_word(rest: str, index: int, escape: str) -> tuple[str, int]:
    """One word of extractBuilderFlags from ``index``, quotes and escapes removed, and the index
    after it. Unlike parseWords, the escape character escapes inside single quotes too."""
    chars: list[str] = []
    quote = ""
    size = len(rest)
    while index < size:
        char = rest[index]
        if not quote and is_go_space(char):
            break
        if not quote and char in "'\"":
            quote = char
        elif quote and char == quote:
            quote = ""
        elif char == escape:
            if index + 1 == size:
                return "".join(chars), size
            chars.append(rest[index + 1])
            index += 1
        else:
            chars.append(char)
        index += 1
    return "".join(chars), index


def _is_json_array(args: str) -> bool:
    """line_parsers.go parseJSON: the exec form ``["a", "b"]`` (only the first value counts)."""
    text = _lstrip(args)
    if not text.startswith("["):
        return False
    try:
        value, _ = json.JSONDecoder().raw_decode(text)
    except (ValueError, RecursionError):
        return False
    return isinstance(value, list) and all(isinstance(item, str) for item in value)


def _can_contain_heredoc(instruction: Instruction) -> bool:
    """parser.go canContainHeredoc: RUN, COPY, ADD (also as an ONBUILD trigger), shell form."""
    command, args = instruction.command.lower(), instruction.args
    if command == "onbuild":
        if not args:
            return False
        trigger = _split_command(args, instruction.escape, instruction.line)
        command, args = trigger.command.lower(), trigger.args
    return command in _HEREDOC_COMMANDS and not _is_json_array(args)
