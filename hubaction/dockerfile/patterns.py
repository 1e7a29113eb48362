"""The shell patterns of ``${X#p}``, ``${X%p}`` and ``${X/p/r}`` as BuildKit's
``frontend/dockerfile/shell/lex.go`` applies them: ``?`` is one character, ``*`` the shortest
or longest string, ``\\`` escapes ``*``, ``?`` and itself; no bracket expressions.

Upstream turns a pattern into a Go regexp (``convertShellPatternToRegex``); :func:`regex_source`
gives the same text. Matching is done here by a simulation in time linear in the value for
each pattern element, as Go's RE2 engine is: Python's backtracking ``re`` would take
exponential time on ``*a*a*a*a*b``. Neither ``*`` nor ``?`` matches a newline (Go's ``.``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# lex.go convertShellPatternToRegex: characters a Go regexp would read as syntax.
_REGEX_SPECIAL = frozenset("[]{}.+()|^$")
_STAR, _ANY = "*", "?"


class PatternError(Exception):
    """A pattern BuildKit refuses (``invalid escape``)."""


@dataclass(frozen=True)
class _Token:
    kind: str  # _STAR, _ANY, or "" for the literal ``char``
    char: str = ""


def _tokens(pattern: str) -> tuple[_Token, ...]:
    """The elements of ``pattern``, as convertShellPatternToRegex reads it."""
    tokens: list[_Token] = []
    index = 0
    while index < len(pattern):
        char = pattern[index]
        index += 1
        if char in (_STAR, _ANY):
            tokens.append(_Token(char))
        elif char == "\\":
            following = pattern[index] if index < len(pattern) else ""
            # `}` and `/` are escaped to get them past ${...}; the escape is not the pattern's.
            if following in ("}", "/"):
                continue
            if following not in ("*", "?", "\\"):
                raise PatternError(f"invalid escape '\\{following}'")
            tokens.append(_Token("", following))
            index += 1
        else:
            tokens.append(_Token("", char))
    return tuple(tokens)


def regex_source(pattern: str, *, greedy: bool, anchored: bool) -> str:
    """The Go regexp convertShellPatternToRegex makes of ``pattern`` (for comparison)."""
    out = ["^"] if anchored else []
    for token in _tokens(pattern):
        if token.kind == _STAR:
            out.append(".*" if greedy else ".*?")
        elif token.kind == _ANY:
            out.append(".")
        elif token.char in _REGEX_SPECIAL or token.char in "*?\\":
            out.append("\\" + token.char)
        else:
            out.append(token.char)
    return "".join(out)


def _closure(tokens: tuple[_Token, ...], states: dict[int, int]) -> dict[int, int]:
    """Add the states reachable by matching a ``*`` with nothing; each keeps its start."""
    for state in range(len(tokens)):
        if state in states and tokens[state].kind == _STAR:
            start = states[state]
            if states.get(state + 1, start + 1) > start:
                states[state + 1] = start
    return states


def _step(tokens: tuple[_Token, ...], states: dict[int, int], char: str) -> dict[int, int]:
    following: dict[int, int] = {}
    for state, start in states.items():
        if state == len(tokens):
            continue
        token = tokens[state]
        if token.kind == _STAR:
            target = state if char != "\n" else -1
        elif token.kind == _ANY:
            target = state + 1 if char != "\n" else -1
        else:
            target = state + 1 if char == token.char else -1
        if target >= 0 and following.get(target, start + 1) > start:
            following[target] = start
    return _closure(tokens, following)


def _search(
    tokens: tuple[_Token, ...], value: str, pos: int, *, anchored: bool, greedy: bool
) -> tuple[int, int] | None:
    """The leftmost match at or after ``pos`` and, among those starting there, the longest
    (``greedy``) or shortest end: what Go's leftmost-first search gives for these patterns."""
    final = len(tokens)
    best: tuple[int, int] | None = None
    states: dict[int, int] = {}
    for index in range(pos, len(value) + 1):
        if best is None and (not anchored or index == pos):
            states.setdefault(0, index)
            states = _closure(tokens, states)
        if final in states:
            start = states[final]
            if best is None or start < best[0] or (greedy and start == best[0]):
                best = (start, index)
            if not greedy:
                return best
        if best is not None:
            states = {s: start for s, start in states.items() if start <= best[0]}
        if index == len(value) or not states:
            break
        states = _step(tokens, states, value[index])
    return best


def trim_prefix(pattern: str, value: str, *, greedy: bool) -> str:
    """``${X#pattern}`` (``greedy``: ``##``): ``value`` without its matching prefix."""
    match = _search(_tokens(pattern), value, 0, anchored=True, greedy=greedy)
    return value[match[1] :] if match else value


def trim_suffix(pattern: str, value: str, *, greedy: bool) -> str:
    """``${X%pattern}`` (``greedy``: ``%%``): a shortest rightmost match is a leftmost one
    of the reversed pattern in the reversed value, as lex.go trimSuffix does."""
    return trim_prefix(reverse_pattern(pattern), value[::-1], greedy=greedy)[::-1]


def reverse_pattern(pattern: str) -> str:
    """lex.go reversePattern: reversed, an escape kept before the character it escapes."""
    chars = list(pattern)
    out = [""] * len(chars)
    last = len(chars) - 1
    index = 0
    while index <= last:
        char = chars[index]
        at = last - index
        if char == "\\" and index != last:
            out[at - 1] = char
            out[at] = chars[index + 1]
            index += 2
        else:
            out[at] = char
            index += 1
    return "".join(out)


def replace(pattern: str, replacement: str, value: str, *, replace_all: bool) -> str:
    """``${X/pattern/replacement}`` (``replace_all``: ``//``): longest leftmost matches.

    Like Go's ``ReplaceAllString``, all matches skip an empty match right after a match and
    expand ``$0`` / ``${name}`` in the replacement; a single replacement is literal.
    """
    tokens = _tokens(pattern)
    if not replace_all:
        match = _search(tokens, value, 0, anchored=False, greedy=True)
        if match is None:
            return value
        return value[: match[0]] + replacement + value[match[1] :]
    out: list[str] = []
    last = pos = 0
    previous_end = -1
    # regexp.allMatches: after an empty match the search moves on by one character.
    while pos <= len(value) and (match := _search(tokens, value, pos, anchored=False, greedy=True)):
        start, end = match
        accept = not (end == pos and start == previous_end)
        pos = pos + 1 if end == pos else end
        previous_end = end
        if accept:
            out.append(value[last:start])
            out.append(_go_expand(replacement, value[start:end]))
            last = end
    out.append(value[last:])
    return "".join(out)


# regexp.extract: a name is letters, digits and `_`; only group 0 exists ("0": no leading zero).
_GO_NAME = re.compile(r"\w+")


def _go_expand(template: str, matched: str) -> str:
    """Go's ``Regexp.Expand``: ``$$`` is ``$``, ``$name`` / ``${name}`` a group (the pattern
    has only group 0; other names are empty), and a malformed ``$`` is literal."""
    out: list[str] = []
    index = 0
    while (dollar := template.find("$", index)) >= 0:
        out.append(template[index:dollar])
        index = dollar + 1
        if template.startswith("$", index):
            out.append("$")
            index += 1
            continue
        braced = template.startswith("{", index)
        name = _GO_NAME.match(template, index + braced)
        closed = name is not None and (not braced or template.startswith("}", name.end()))
        if name is None or not closed:
            out.append("$")
            continue
        out.append(matched if name.group(0) == "0" else "")
        index = name.end() + braced
    out.append(template[index:])
    return "".join(out)
