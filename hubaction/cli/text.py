"""Registry text made safe for a terminal or a CI log, and the CLI's JSON and tables."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import TextIO

from hubaction.oci.wire import scrub

# What a registry sends must not reach a terminal or a CI log as it is. The runner reads a line
# as a workflow command when it starts, after whitespace, with `::` (TryParseV2), or when it
# holds `##[` anywhere (the legacy parser): a newline in a tag would start such a line. ESC and
# C1 controls drive the terminal; U+2028/U+2029 break lines in some log viewers; bidi controls
# make text read other than it is (CVE-2021-42574); a lone surrogate (JSON's "\ud800") cannot be
# written as UTF-8 at all. Each is escaped, and the first `#` of `##[`.
_JSON_UNSAFE = "[\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069\ud800-\udfff]|#(?=#\\[)"
# json.dumps escapes C0 controls itself, and its indentation is made of real newlines.
_UNSAFE_IN_JSON = re.compile(_JSON_UNSAFE)
_UNSAFE = re.compile(f"[\x00-\x1f]|{_JSON_UNSAFE}")
# As the toolkit's: .NET's TrimStart() whitespace, erring wide.
_COMMAND_START = re.compile(r"[\s\u180e\u200b\u2060\ufeff]*::")
#: Quoted exception text of an internal error is cut here (it may quote a whole registry body).
MAX_INTERNAL_TEXT = 500


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    return "\\x23" if char == "#" else char.encode("unicode_escape").decode("ascii")


def shown(text: str) -> str:
    """*text* safe to print, even at the start of a line: the characters above backslash-escaped
    (``\\n``, ``\\x1b``, ``\\u2028``, ``\\ud800``, ``\\x23#[``), and a leading ``::`` as
    ``\\x3a:``; the rest as is."""
    # Known secrets first (issue 13 §3): escaping a backslash, or a cut, would hide them.
    text = _UNSAFE.sub(_escape, scrub(text))
    start = _COMMAND_START.match(text)
    if start is not None:
        colon = start.end() - 2
        text = f"{text[:colon]}\\x3a{text[colon + 1 :]}"
    return text


def to_json(value: object, *, indent: int | None = 2) -> str:
    """*value* as JSON, non-ASCII kept readable but what :func:`shown` escapes (bar the C0
    controls json.dumps escapes itself) written as ``\\uXXXX``: the document parses to the
    same value. No line of it can start with ``::``: each starts with a bracket or a quote."""
    text = scrub(json.dumps(value, indent=indent, ensure_ascii=False))  # JSON-escaped too
    return _UNSAFE_IN_JSON.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def table(rows: Sequence[tuple[str, str]], out: TextIO) -> None:
    safe = [(shown(key), shown(value)) for key, value in rows]
    width = max((len(k) for k, _ in safe), default=0)
    for key, value in safe:
        out.write(f"{key.ljust(width)}  {value}\n")
