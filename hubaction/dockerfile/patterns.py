"""The shell patterns of ``${X#p}``, ``${X%p}`` and ``${X/p/r}`` as BuildKit's
``frontend/dockerfile/shell/lex.go`` applies them: ``?`` is one character, ``*`` the shortest
or longest string, ``\\`` escapes ``*``, ``?`` and itself; no bracket expressions.
"""

from __future__ import annotations

import re

# lex.go convertShellPatternToRegex: characters a Go regexp would read as syntax.
_REGEX_SPECIAL = frozenset("[]{}.+()|^$")


class PatternError(Exception):
    """A pattern BuildKit refuses (``invalid escape``)."""


def shell_pattern_regex(pattern: str, *, greedy: bool, anchored: bool) -> re.Pattern[str]:
    """lex.go convertShellPatternToRegex, as a Python regex (the same syntax for these)."""
    out: list[str] = ["^"] if anchored else []
    star = ".*" if greedy else ".*?"
    index = 0
    while index < len(pattern):
        char = pattern[index]
        index += 1
        if char == "*":
            out.append(star)
            continue
        if char == "?":
            out.append(".")
            continue
        if char == "\\":
            following = pattern[index] if index < len(pattern) else ""
            # `}` and `/` are escaped to get them past ${...}; the escape is not the pattern's.
            if following in ("}", "/"):
                continue
            if following not in ("*", "?", "\\"):
                raise PatternError(f"invalid escape '\\{following}'")
            out.append("\\" + following)
            index += 1
            continue
        out.append("\\" + char if char in _REGEX_SPECIAL else char)
    return re.compile("".join(out))


def trim_prefix(pattern: str, value: str, *, greedy: bool) -> str:
    """``${X#pattern}`` (``greedy``: ``##``): ``value`` without its matching prefix."""
    match = shell_pattern_regex(pattern, greedy=greedy, anchored=True).search(value)
    return value[match.end() :] if match else value


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
    """``${X/pattern/replacement}`` (``replace_all``: ``//``), longest matches, unanchored."""
    regex = shell_pattern_regex(pattern, greedy=True, anchored=False)
    if replace_all:
        return _go_replace_all(regex, replacement, value)
    match = regex.search(value)
    if match is None:
        return value
    return value[: match.start()] + replacement + value[match.end() :]


def _go_replace_all(regex: re.Pattern[str], replacement: str, value: str) -> str:
    """Go's ``ReplaceAllString``: an empty match right after a match is skipped (Python's
    ``re.sub`` keeps it), and ``$0`` / ``${name}`` in the replacement are expanded."""
    out: list[str] = []
    last = 0
    previous_end = -1
    for match in regex.finditer(value):
        if match.start() == match.end() == previous_end:
            continue
        out.append(value[last : match.start()])
        out.append(_go_expand(replacement, match))
        last = previous_end = match.end()
    out.append(value[last:])
    return "".join(out)


# regexp.extract: a name is letters, digits and `_`; only group 0 exists ("0": no leading zero).
_GO_NAME = re.compile(r"\w+")


def _go_expand(template: str, match: re.Match[str]) -> str:
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
        out.append(match.group(0) if name.group(0) == "0" else "")
        index = name.end() + braced
    out.append(template[index:])
    return "".join(out)
