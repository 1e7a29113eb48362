"""Heredocs (``RUN <<EOF``) as BuildKit's ``frontend/dockerfile/parser/parser.go`` finds them:
the words of a ``RUN``, ``COPY`` or ``ADD`` line that start with ``<<``, and their terminators.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from hubaction.dockerfile.lexer import ShellError, ShellLexer
from hubaction.errors import InvalidInput

# parser.go reHeredoc `^(\d*)<<(-?)\s*([^<]*)$`. Go's \d is ASCII and \s is [\t\n\f\r ]; the
# blanks after `<<` (`RUN <<  EOF`) stay in the word because the lexer keeps them there.
_HEREDOC = re.compile(r"([0-9]*)<<(-?)[\t\n\f\r ]*([^<]*)", re.DOTALL)
_MAX_UINT64 = 2**64 - 1


@dataclass(frozen=True)
class Heredoc:
    """parser.go Heredoc: the terminator ``name``, the file descriptor (``3<<EOF``),
    ``expand`` (no part of the name was quoted), ``chomp`` (``<<-``: leading tabs are
    stripped) and the body, each line with its line ending."""

    name: str
    file_descriptor: int = 0
    expand: bool = True
    chomp: bool = False
    content: str = ""


def parse_heredoc(word: str) -> Heredoc | None:
    """parser.go ParseHeredoc: the heredoc ``word`` announces, or None if it is not one.

    Raises :class:`InvalidInput` for a word BuildKit refuses (``<<'EOF``: an open quote).
    """
    match = _HEREDOC.fullmatch(word)
    if match is None or not match.group(3):
        return None
    rest = match.group(3)
    try:
        _, names = ShellLexer(rest, escape="\\", variables={}, skip_unset=True).process()
        _, raw_names = ShellLexer(
            rest, escape="\\", variables={}, raw_quotes=True, skip_unset=True
        ).process()
    except (ShellError, RecursionError) as error:
        raise InvalidInput(f"cannot read the heredoc word {word!r}: {error}") from None
    if len(names) != 1:
        return None
    if len(raw_names) != len(names):
        raise InvalidInput(f"the heredoc word {word!r} is ambiguous")
    # Quotes in the raw name that the processed one lacks: part of it was quoted.
    expand = _quotes(names[0]) == _quotes(raw_names[0])
    return Heredoc(
        name=names[0],
        file_descriptor=_parse_uint(match.group(1)),
        expand=expand,
        chomp=match.group(2) == "-",
    )


def _parse_uint(digits: str) -> int:
    """strconv.ParseUint(digits, 10, 0) with its error ignored: "" is 0, an overflow the
    largest uint64. Not int() of the whole text: a hostile run of digits stays cheap."""
    significant = digits.lstrip("0")
    if len(significant) > 20:
        return _MAX_UINT64
    return min(int(significant or "0"), _MAX_UINT64)


def _quotes(text: str) -> int:
    return text.count("'") + text.count('"')


def heredocs_from_line(line: str) -> list[Heredoc]:
    """parser.go heredocsFromLine: the heredocs of an instruction line, in order.

    BuildKit lexes the line with ``\\`` as escape whatever the escape directive says, keeping
    quotes and escapes, and finds no heredocs (silently) when the line does not lex.
    """
    try:
        _, words = ShellLexer(
            line, escape="\\", variables={}, raw_quotes=True, raw_escapes=True, skip_unset=True
        ).process()
    except (ShellError, RecursionError):
        return []
    return [heredoc for word in words if (heredoc := parse_heredoc(word)) is not None]
