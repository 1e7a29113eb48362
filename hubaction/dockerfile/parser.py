"""The base images of a Dockerfile: every image its ``FROM`` lines pull, resolved as BuildKit would.

A Dockerfile names its base images in ``FROM [--platform=<p>] <image> [AS <name>]``. To report
whether each one is pinned to the current digest of its tag, hubaction needs the image text the
build would pull, which takes more than a regular expression over the file. This module follows
the Dockerfile reference (https://docs.docker.com/reference/dockerfile/) and, where that is
silent, BuildKit's frontend (``frontend/dockerfile/parser/parser.go``, ``split_command.go``,
``line_parsers.go``, ``directives.go``, ``instructions/parse.go``, ``shell/lex.go`` and
``dockerfile2llb/convert.go``):

* Instructions are case-insensitive (``from`` is ``FROM``). A line whose first non-blank
  character is ``#`` is a comment, also in the middle of a continued instruction.
* A line ending in the escape character (``\\``, or `````` after a ``# escape=``` parser
  directive at the top of the file) continues on the next line; the escape character is
  dropped and the lines are joined as they are, with no space added.
* ``RUN``, ``COPY`` and ``ADD`` (also after ``ONBUILD``) may carry heredocs (``<<EOF``,
  ``<<-EOF``, ``<<"EOF"``, ``<<'EOF'``): their bodies run to the terminator line and are not
  instructions, so a body line ``FROM x`` is not a base image.
* ``ARG`` instructions before the first ``FROM`` are global and are the only variables a ``FROM``
  line can use. Build args override their defaults; a default may use earlier global ARGs.
  Expansion is BuildKit's shell-like one: ``$NAME``, ``${NAME}``, ``${NAME:-word}``,
  ``${NAME-word}``, ``${NAME:+word}``, ``${NAME+word}``, ``${NAME:?message}``, quotes and escapes.
  BuildKit's pattern forms (``${NAME#pattern}``, ``%``, ``/``) are refused with an explanation.
* Flags (``--platform=$BUILDPLATFORM``) are skipped: they choose a platform, not an image.
* ``FROM <stage>`` naming an earlier stage (``AS <stage>``, stored lowercased as BuildKit does)
  is not a base image, and neither is ``scratch``, the empty image.

Choices beyond BuildKit, each for a reason:

* BuildKit expands a variable that has no value (an ``ARG`` without default and no build arg,
  an ARG never declared, or a platform ARG such as ``TARGETARCH`` that BuildKit fills in) to an
  empty string. Here a ``FROM`` that needs such a value is an error naming the line and the ARG:
  the image the build pulls then depends on something this file does not say, and guessing
  would report on an image nobody builds. ``${NAME:-default}`` still resolves to the default.
* A base image named twice is reported once (first occurrence): it is one lookup and one pin.
* Unknown ``FROM`` flags are skipped rather than refused, so a newer Dockerfile syntax does not
  break the check; a flag without ``=value`` is refused, as BuildKit does.

Everything here is pure: the text comes in, values come out. Every problem with the Dockerfile
raises :class:`~hubaction.errors.InvalidInput` (for a bad image name its subclass
:class:`~hubaction.errors.InvalidReference`) with the line number, and nothing else.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Literal

from hubaction.errors import InvalidInput, InvalidReference
from hubaction.oci.reference import Digest, Reference, parse_reference

__all__ = [
    "BUILDKIT_PLATFORM_ARGS",
    "BaseImage",
    "BaseImageStatus",
    "Status",
    "base_images_output",
    "parse_dockerfile",
    "status_of",
]

Status = Literal["current", "stale", "unpinned"]
"""``current``: pinned to the tag's current digest; ``stale``: pinned to another digest;
``unpinned``: the ``FROM`` names no digest."""

_STATUSES: frozenset[str] = frozenset({"current", "stale", "unpinned"})

BUILDKIT_PLATFORM_ARGS = frozenset(
    {
        "BUILDPLATFORM",
        "BUILDOS",
        "BUILDOSVERSION",
        "BUILDARCH",
        "BUILDVARIANT",
        "TARGETPLATFORM",
        "TARGETOS",
        "TARGETOSVERSION",
        "TARGETARCH",
        "TARGETVARIANT",
        "TARGETSTAGE",
    }
)
"""Global ARGs BuildKit defines itself (``dockerfile2llb`` ``defaultArgs``); a FROM line may use
them without declaring them. Their values come from the build, so only ``build_args`` gives them."""

_SCRATCH = "scratch"  # dockerfile2llb emptyImageName: compared exactly, after expansion.
_DEFAULT_ESCAPE = "\\"
_BOM = "\ufeff"

# Go's unicode.IsSpace (the Unicode White_Space property), which BuildKit uses to trim lines and
# split words. Python's str.isspace also counts U+001C..U+001F, so it is not used.
_GO_SPACE = frozenset(
    "\t\n\v\f\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009"
    "\u200a\u2028\u2029\u202f\u205f\u3000"
)
# parser.go reWhitespace / line_parsers.go tokenWhitespace: what separates a command from its
# arguments and FROM's arguments from each other.
_TOKEN_WHITESPACE = re.compile(r"[\t\v\f\r ]+")
# directives.go: `# name = value`; Go's \s is [\t\n\f\r ], spelled out as Python's is Unicode.
_DIRECTIVE = re.compile(
    r"#[\t\n\f\r ]*([a-zA-Z][a-zA-Z0-9]*)[\t\n\f\r ]*=[\t\n\f\r ]*(.+?)[\t\n\f\r ]*"
)
_KNOWN_DIRECTIVES = frozenset({"syntax", "escape", "check"})
# parser.go reHeredoc, applied to each word of a RUN/COPY/ADD line.
_HEREDOC = re.compile(r"([0-9]*)<<(-?)([^<]*)", re.DOTALL)
_HEREDOC_COMMANDS = frozenset({"run", "copy", "add"})
# instructions/parse.go parseBuildStageName, on the lowercased name.
_STAGE_NAME = re.compile(r"[a-z][a-z0-9_.-]*")
# shell/lex.go isSpecialParam: `$@`, `$#` and friends are one-character names.
_SPECIAL_PARAMS = frozenset("@*#?-$!0")


# --------------------------------------------------------------------------------------------
# Values


@dataclass(frozen=True)
class BaseImage:
    """One base image of a Dockerfile: a ``FROM`` that pulls an image (not a stage, not scratch).

    ``line`` is the 1-based line where the ``FROM`` instruction starts, ``text`` the image as the
    build would pull it (ARGs substituted, quotes removed), ``reference`` its parsed canonical
    form and ``stage`` the ``AS`` name of the stage it starts (lowercased, as BuildKit stores it).
    """

    line: int
    text: str
    reference: Reference
    stage: str | None = None

    @property
    def pinned_digest(self) -> Digest | None:
        """The digest the ``FROM`` pins (``node:20@sha256:...``); None for a tag only."""
        return self.reference.digest

    @property
    def lookup_reference(self) -> Reference:
        """What to ask the registry for the current digest: the tag without the pin.

        A ``FROM`` that gives only a digest (``node@sha256:...``) follows no tag, so there is
        nothing newer to find: the reference itself is returned and its lookup answers with the
        pinned digest, which makes it ``current`` as long as it exists.
        """
        if self.reference.tag is None:
            return self.reference
        return dataclasses.replace(self.reference, digest=None)


@dataclass(frozen=True)
class BaseImageStatus:
    """A base image with the current digest of its tag and what that makes of the pin."""

    image: BaseImage
    current_digest: Digest | None
    status: Status

    def __post_init__(self) -> None:
        if self.status not in _STATUSES:
            raise ValueError(
                f"status {self.status!r} is not one of {sorted(_STATUSES)}; use status_of()"
            )


def status_of(image: BaseImage, current: Digest | None) -> BaseImageStatus:
    """Compare the pin of ``image`` with ``current``, the digest its tag points to now.

    ``unpinned`` when the ``FROM`` gives no digest; ``current`` when the pinned digest equals
    ``current``; otherwise ``stale``, which includes a pinned image whose tag no longer resolves
    (``current`` is None): the pin then no longer matches what the tag names.
    """
    pinned = image.pinned_digest
    status: Status
    if pinned is None:
        status = "unpinned"
    elif pinned == current:
        status = "current"
    else:
        status = "stale"
    return BaseImageStatus(image=image, current_digest=current, status=status)


def base_images_output(statuses: Iterable[BaseImageStatus]) -> list[dict[str, str | int | None]]:
    """The JSON objects of the ``base-images`` output, one per base image, in Dockerfile order.

    ``reference`` is the canonical reference without the pin (``docker.io/library/node:20``),
    ``image`` the text as in the ``FROM``, ``pinned`` the reference to paste to pin the current
    digest (``docker.io/library/node:20@sha256:...``, None when there is no current digest).
    """
    objects: list[dict[str, str | int | None]] = []
    for entry in statuses:
        unpinned = dataclasses.replace(entry.image.reference, digest=None)
        current = entry.current_digest
        objects.append(
            {
                "reference": str(unpinned),
                "image": entry.image.text,
                "line": entry.image.line,
                "pinned-digest": _str_or_none(entry.image.pinned_digest),
                "current-digest": _str_or_none(current),
                "status": entry.status,
                "pinned": f"{unpinned}@{current}" if current is not None else None,
            }
        )
    return objects


def _str_or_none(digest: Digest | None) -> str | None:
    return None if digest is None else str(digest)


# --------------------------------------------------------------------------------------------
# Parsing


def parse_dockerfile(
    text: str, *, build_args: Mapping[str, str] | None = None, path: str = "Dockerfile"
) -> list[BaseImage]:
    """The base images of the Dockerfile ``text``, in order, each once.

    ``build_args`` are the ``--build-arg`` values of the build: they override the defaults of
    global ARGs and give the platform ARGs (``TARGETARCH`` ...) their values; others are ignored,
    as BuildKit ignores build args no ARG declares. ``path`` only names the file in messages.

    Raises :class:`~hubaction.errors.InvalidInput` naming the line for a Dockerfile BuildKit
    would refuse, a ``FROM`` whose image needs an ARG without a value, or an invalid image name
    (:class:`~hubaction.errors.InvalidReference`).
    """
    args = dict(build_args or {})
    env: dict[str, str | _Unresolved] = {
        name: args.get(name, _Unresolved(_platform_arg_reason(name)))
        for name in BUILDKIT_PLATFORM_ARGS
    }
    stages: set[str] = set()
    images: list[BaseImage] = []
    seen: set[Reference] = set()
    saw_from = False
    reader = _Reader(text, path)
    for instruction in reader.instructions():
        command = instruction.command.lower()
        if command == "from":
            saw_from = True
            image = _from_instruction(instruction, reader.escape, env, stages, path)
            if image is not None and image.reference not in seen:
                seen.add(image.reference)
                images.append(image)
        elif saw_from:
            continue  # ARGs inside a stage are stage-scoped and never reach a FROM line.
        elif command == "arg":
            _declare_args(instruction, reader.escape, env, args, path)
        else:
            raise InvalidInput(
                f"{path} line {instruction.line}: {instruction.command.upper()} comes before the "
                "first FROM; only ARG instructions may precede it (BuildKit: no build stage in "
                "current context). Move it below a FROM."
            )
    if not saw_from:
        raise InvalidInput(
            f"{path} has no FROM instruction, so it has no base image and builds nothing; "
            "check that the path names a Dockerfile"
        )
    return images


@dataclass(frozen=True)
class _Unresolved:
    """A variable with no value the build would see; ``reason`` says why, for the message."""

    reason: str


def _platform_arg_reason(name: str) -> str:
    return (
        f"{name} is filled in by BuildKit from the build's platform or target; "
        f"pass {name} as a build arg to resolve it"
    )


@dataclass(frozen=True)
class _Instruction:
    line: int
    command: str
    flags: tuple[str, ...]
    args: str


def _from_instruction(
    instruction: _Instruction,
    escape: str,
    env: Mapping[str, str | _Unresolved],
    stages: set[str],
    path: str,
) -> BaseImage | None:
    """The base image of one ``FROM`` (None for a stage or scratch); registers its stage name."""
    where = f"{path} line {instruction.line}"
    for flag in instruction.flags:
        if "=" not in flag:
            raise InvalidInput(
                f"{where}: FROM flag {flag!r} has no value; write it as {flag}=<value>"
            )
    words = _TOKEN_WHITESPACE.split(instruction.args) if instruction.args else []
    stage: str | None = None
    if len(words) == 3 and words[1].lower() == "as":
        stage = words[2].lower()
        if not _STAGE_NAME.fullmatch(stage):
            raise InvalidInput(
                f"{where}: invalid build stage name {words[2]!r}: a stage name starts with a "
                "letter and has only letters, digits, '-', '_' and '.'"
            )
    elif len(words) != 1:
        raise InvalidInput(
            f"{where}: FROM takes an image and optionally 'AS <name>' "
            f"(one or three arguments), got {len(words)}: {instruction.args!r}"
        )
    word = words[0]
    text = _expand(word, escape, env, where)
    if not text:
        raise InvalidInput(f"{where}: the image in FROM {word!r} expands to an empty string")
    # dockerfile2llb addState: an earlier stage is looked up by the expanded name as written
    # (stage names were lowercased), before the name is an image or scratch.
    is_stage = text in stages
    if stage is not None:
        stages.add(stage)
    if is_stage or text == _SCRATCH:
        return None
    try:
        reference = parse_reference(text)
    except InvalidReference as error:
        raise type(error)(f"{where}: {error}; fix the image in this FROM line") from None
    return BaseImage(line=instruction.line, text=text, reference=reference, stage=stage)


def _declare_args(
    instruction: _Instruction,
    escape: str,
    env: dict[str, str | _Unresolved],
    build_args: Mapping[str, str],
    path: str,
) -> None:
    """Add the global ARGs of one ``ARG`` instruction to ``env`` (dockerfile2llb buildMetaArgs)."""
    where = f"{path} line {instruction.line}"
    words = _parse_words(instruction.args, escape)
    if not words:
        raise InvalidInput(f"{where}: ARG needs a name, e.g. ARG VERSION=1.0")
    for word in words:
        name, equals, default = word.partition("=")
        if not name:
            raise InvalidInput(f"{where}: ARG {word!r} has an empty name; write NAME=value")
        if name in build_args:
            env[name] = build_args[name]
        elif equals:
            unresolved: dict[str, str] = {}
            value = _expand(default, escape, env, where, unresolved=unresolved)
            if unresolved:
                uses = ", ".join(f"${var}" for var in unresolved)
                env[name] = _Unresolved(
                    f"the default of ARG {name} ({where}) uses {uses} without a value: "
                    + "; ".join(unresolved.values())
                )
            else:
                env[name] = value
        elif name not in env:
            # BuildKit leaves an earlier value in place for a repeated bare `ARG NAME`.
            env[name] = _Unresolved(
                f"ARG {name} ({where}) has no default value and no build arg sets it: give it "
                f"a default (ARG {name}=<value>) or pass {name} as a build arg"
            )


def _expand(
    word: str,
    escape: str,
    env: Mapping[str, str | _Unresolved],
    where: str,
    *,
    unresolved: dict[str, str] | None = None,
) -> str:
    """``word`` with quotes removed and variables substituted from ``env``.

    Variables without a value are collected into ``unresolved`` when given, else they make this
    an error; syntax errors are always errors.
    """
    lexer = _Lexer(word, escape=escape, env=env)
    try:
        result, _ = lexer.process()
    except _ShellError as error:
        raise InvalidInput(f"{where}: cannot expand {word!r}: {error}") from None
    except RecursionError:
        raise InvalidInput(
            f"{where}: cannot expand {word!r}: its ${{...}} substitutions are nested too deeply"
        ) from None
    if unresolved is not None:
        unresolved.update(lexer.unresolved)
    elif lexer.unresolved:
        raise InvalidInput(
            f"{where}: the image in FROM {word!r} cannot be resolved: "
            + "; ".join(lexer.unresolved.values())
        )
    return result


# --------------------------------------------------------------------------------------------
# Lines and instructions (parser.go Parse)


def _is_space(char: str) -> bool:
    return char in _GO_SPACE


def _lstrip(text: str) -> str:
    index = 0
    while index < len(text) and text[index] in _GO_SPACE:
        index += 1
    return text[index:]


def _strip(text: str) -> str:
    end = len(text)
    while end > 0 and text[end - 1] in _GO_SPACE:
        end -= 1
    return _lstrip(text[:end])


def _is_comment(line: str) -> bool:
    return _lstrip(line).startswith("#")


class _Reader:
    """The logical instructions of a Dockerfile, with parser directives, continuations and
    heredoc bodies handled as BuildKit's ``parser.Parse`` does."""

    def __init__(self, text: str, path: str) -> None:
        # bufio.Scanner with scanLines: split on "\n" only (not str.splitlines, which also
        # splits on \v, \f, \x1c.. and U+2028), and no empty line after a final newline.
        lines = text.split("\n")
        if lines and lines[-1] == "":
            lines.pop()
        self._lines = lines
        self._next = 0  # index of the next physical line; also the count of lines consumed
        self._path = path
        self.escape = _DEFAULT_ESCAPE
        self._continuation = self._continuation_re(_DEFAULT_ESCAPE)
        self._directives_done = False
        self._directives_seen: set[str] = set()

    @staticmethod
    def _continuation_re(escape: str) -> re.Pattern[str]:
        # parser.go setEscapeToken: the escape character last on the line (trailing blanks
        # allowed) continues it, unless it is itself escaped; or it is alone on its line.
        e = re.escape(escape)
        return re.compile(rf"([^{e}]){e}[ \t]*\Z|\A{e}[ \t]*\Z")

    def _take(self) -> str | None:
        if self._next >= len(self._lines):
            return None
        line = self._lines[self._next]
        if self._next == 0:
            line = line.removeprefix(_BOM)
        self._next += 1
        # trimNewline: bytes.TrimRight(line, "\r\n").
        return line.rstrip("\r\n")

    def _directive(self, line: str) -> None:
        """directives.go ParseLine: directives only at the very top, each at most once."""
        if self._directives_done:
            return
        match = _DIRECTIVE.fullmatch(line)
        name = match.group(1).lower() if match else ""
        if match is None or name not in _KNOWN_DIRECTIVES:
            self._directives_done = True
            return
        if name in self._directives_seen:
            raise InvalidInput(
                f"{self._path} line {self._next}: the {name} parser directive is given twice; "
                "keep one"
            )
        self._directives_seen.add(name)
        if name == "escape":
            value = match.group(2)
            if value not in ("\\", "`"):
                raise InvalidInput(
                    f"{self._path} line {self._next}: invalid escape parser directive "
                    f"{value!r}: the escape character is '\\' or '`'"
                )
            self.escape = value
            self._continuation = self._continuation_re(value)

    def _trim_continuation(self, line: str) -> tuple[str, bool]:
        """``(line without the continuation character, whether the instruction ends here)``."""
        match = self._continuation.search(line)
        if match is None:
            return line, True
        return line[: match.start()] + (match.group(1) or ""), False

    def instructions(self) -> Iterator[_Instruction]:
        while (raw := self._take()) is not None:
            token = _lstrip(raw)
            self._directive(token)
            if _is_comment(token):
                token = ""
            start = self._next
            token, ended = self._trim_continuation(token)
            if ended and not token:
                continue
            parts = [token]
            while not ended and (raw := self._take()) is not None:
                # Comment lines and blank lines inside a continued instruction are dropped;
                # continuation lines keep their leading blanks.
                if _is_comment(raw) or not _lstrip(raw):
                    continue
                part, ended = self._trim_continuation(raw)
                parts.append(part)
            line = "".join(parts)
            instruction = _split_command(line, self.escape, start)
            if "<<" in line and _can_contain_heredoc(instruction, self.escape):
                self._skip_heredocs(line, start)
            yield instruction

    def _skip_heredocs(self, line: str, start: int) -> None:
        """Consume the heredoc bodies announced on ``line`` (parser.go, after newNodeFromLine)."""
        for name, chomp in _heredocs(line, f"{self._path} line {start}"):
            while (raw := self._take()) is not None:
                candidate = raw.lstrip("\t") if chomp else raw
                if candidate == name:
                    break
            else:
                raise InvalidInput(
                    f"{self._path} line {start}: the heredoc <<{name} is never terminated; "
                    f"end it with a line {name!r}"
                )


def _split_command(line: str, escape: str, start: int) -> _Instruction:
    """split_command.go: ``command [--flag ...] args``."""
    parts = _TOKEN_WHITESPACE.split(_strip(line), maxsplit=1)
    command = parts[0]
    flags: list[str] = []
    args = ""
    if len(parts) == 2:
        args, flags = _extract_flags(parts[1], escape)
    return _Instruction(line=start, command=command, flags=tuple(flags), args=_strip(args))


def _extract_flags(rest: str, escape: str) -> tuple[str, list[str]]:
    """split_command.go extractBuilderFlags: leading ``--words`` (quotes allowed), then the rest.

    A lone ``--`` ends the flags.
    """
    words: list[str] = []
    index, size = 0, len(rest)
    while True:
        while index < size and _is_space(rest[index]):
            index += 1
        if index == size:
            return "", words
        if not rest.startswith("--", index):
            return rest[index:], words
        chars: list[str] = []
        quote = ""
        blank_ok = False
        while index < size:
            char = rest[index]
            if not quote and _is_space(char):
                break
            if not quote and char in "'\"":
                quote, blank_ok = char, True
                index += 1
                continue
            if quote and char == quote:
                quote = ""
                index += 1
                continue
            if char == escape:
                if index + 1 == size:
                    quote = ""
                    index += 1
                    continue
                index += 1
                char = rest[index]
            chars.append(char)
            index += 1
        word = "".join(chars)
        if index == size:
            if word != "--" and (blank_ok or word):
                words.append(word)
            return "", words
        if word == "--":
            return rest[index:], words
        if blank_ok or word:
            words.append(word)


def _parse_words(rest: str, escape: str) -> list[str]:
    """line_parsers.go parseWords: split on blanks, keeping quotes and escapes for expansion."""
    words: list[str] = []
    chars: list[str] = []
    in_word = False
    quote = ""
    blank_ok = False
    index, size = 0, len(rest)
    while index < size:
        char = rest[index]
        if not in_word:
            if _is_space(char):
                index += 1
                continue
            in_word = True
        if not quote:
            if _is_space(char):
                if blank_ok or chars:
                    words.append("".join(chars))
                chars, in_word, blank_ok = [], False, False
                index += 1
                continue
            if char in "'\"":
                quote, blank_ok = char, True
            elif char == escape:
                if index + 1 == size:
                    index += 1
                    continue
                chars.append(char)
                index += 1
                char = rest[index]
            chars.append(char)
            index += 1
            continue
        if char == quote:
            quote = ""
        elif char == escape and quote != "'":
            if index + 1 == size:
                quote = ""
                index += 1
                continue
            chars.append(char)
            index += 1
            char = rest[index]
        chars.append(char)
        index += 1
    if in_word and (blank_ok or chars):
        words.append("".join(chars))
    return words


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


def _can_contain_heredoc(instruction: _Instruction, escape: str) -> bool:
    """parser.go canContainHeredoc: RUN, COPY, ADD (also as an ONBUILD trigger), shell form."""
    command, args = instruction.command.lower(), instruction.args
    if command == "onbuild":
        if not args:
            return False
        sub = _split_command(args, escape, instruction.line)
        command, args = sub.command.lower(), sub.args
    return command in _HEREDOC_COMMANDS and not _is_json_array(args)


def _heredocs(line: str, where: str) -> list[tuple[str, bool]]:
    """parser.go heredocsFromLine: ``(terminator, strip leading tabs)`` for each ``<<WORD``.

    BuildKit lexes the line with ``\\`` as escape whatever the escape directive says, keeping
    quotes, and gives up silently (no heredocs) when the line does not lex.
    """
    try:
        _, words = _Lexer(
            line, escape="\\", env={}, raw_quotes=True, raw_escapes=True, skip_unset=True
        ).process()
    except (_ShellError, RecursionError):
        return []
    found: list[tuple[str, bool]] = []
    for word in words:
        match = _HEREDOC.fullmatch(word)
        if match is None or not match.group(3):
            continue
        rest = match.group(3)
        try:
            _, names = _Lexer(rest, escape="\\", env={}, skip_unset=True).process()
            _, raw_names = _Lexer(
                rest, escape="\\", env={}, raw_quotes=True, skip_unset=True
            ).process()
        except (_ShellError, RecursionError) as error:
            raise InvalidInput(f"{where}: cannot read the heredoc word {word!r}: {error}") from None
        if len(names) != 1:
            continue
        if len(raw_names) != len(names):
            raise InvalidInput(f"{where}: the heredoc word {word!r} is ambiguous")
        found.append((names[0], match.group(2) == "-"))
    return found


# --------------------------------------------------------------------------------------------
# Shell-like expansion (shell/lex.go)


class _ShellError(Exception):
    """A syntax error in a word; turned into InvalidInput with the line by the caller."""


class _Words:
    """lex.go wordsStruct: splits the processed text into words on blanks outside quotes."""

    def __init__(self) -> None:
        self.word = ""
        self.words: list[str] = []
        self.in_word = False

    def add_char(self, char: str) -> None:
        if _is_space(char) and self.in_word:
            if self.word:
                self.words.append(self.word)
                self.word = ""
                self.in_word = False
        elif not _is_space(char):
            self.add_raw(char)

    def add_raw(self, text: str) -> None:
        self.word += text
        self.in_word = True

    def add_string(self, text: str) -> None:
        for char in text:
            self.add_char(char)

    def result(self) -> list[str]:
        if self.word:
            self.words.append(self.word)
            self.word = ""
            self.in_word = False
        return self.words


class _Lexer:
    """A port of BuildKit's ``shell.Lex`` for one word.

    ``raw_quotes`` / ``raw_escapes`` keep quotes and escape characters in the output, and
    ``skip_unset`` leaves unset variables as written: together they are the heredoc detection
    mode. Otherwise variables come from ``env``; a variable whose value matters but which has
    none is recorded in ``unresolved`` (name -> reason) and expands to an empty string.
    """

    def __init__(
        self,
        text: str,
        *,
        escape: str,
        env: Mapping[str, str | _Unresolved],
        raw_quotes: bool = False,
        raw_escapes: bool = False,
        skip_unset: bool = False,
    ) -> None:
        self._text = text
        self._pos = 0
        self._escape = escape
        self._env = env
        self._raw_quotes = raw_quotes
        self._raw_escapes = raw_escapes
        self._skip_unset = skip_unset
        self.unresolved: dict[str, str] = {}

    def process(self) -> tuple[str, list[str]]:
        """``(the word processed, the words it splits into)``."""
        return self._stop_on(None, self._raw_escapes)

    def _peek(self) -> str | None:
        return self._text[self._pos] if self._pos < len(self._text) else None

    def _next(self) -> str | None:
        char = self._peek()
        if char is not None:
            self._pos += 1
        return char

    def _lookup(self, name: str) -> tuple[str, bool]:
        value = self._env.get(name)
        if isinstance(value, str):
            return value, True
        return "", False

    def _need(self, name: str) -> None:
        """``name`` has no value but the result depends on it: remember why."""
        value = self._env.get(name)
        if isinstance(value, _Unresolved):
            reason = value.reason
        else:
            reason = (
                f"{name} is not declared by an ARG before the first FROM (ARGs inside a stage "
                f"do not reach FROM lines); declare it at the top with ARG {name}=<value>"
            )
        self.unresolved.setdefault(name, reason)

    def _stop_on(self, stop: str | None, raw_escapes: bool) -> tuple[str, list[str]]:
        saved, self._raw_escapes = self._raw_escapes, raw_escapes
        try:
            result: list[str] = []
            words = _Words()
            while (char := self._peek()) is not None:
                if char == stop:
                    self._next()
                    return "".join(result), words.result()
                if char == "$":
                    text = self._dollar()
                    result.append(text)
                    words.add_string(text)
                    continue
                if char in "'\"":
                    text = self._single_quote() if char == "'" else self._double_quote()
                    result.append(text)
                    words.add_raw(text)
                    continue
                self._next()
                if char == self._escape:
                    if self._raw_escapes:
                        words.add_raw(char)
                        result.append(char)
                    escaped = self._next()
                    if escaped is None:
                        break
                    words.add_raw(escaped)
                    result.append(escaped)
                else:
                    words.add_char(char)
                    result.append(char)
            if stop is not None:
                raise _ShellError(f"unexpected end of text while looking for a matching {stop!r}")
            return "".join(result), words.result()
        finally:
            self._raw_escapes = saved

    def _single_quote(self) -> str:
        # Everything up to the next ' is literal; a ' cannot be escaped inside.
        opening = self._next() or ""
        result = [opening] if self._raw_quotes else []
        while True:
            char = self._next()
            if char is None:
                raise _ShellError('unexpected end of text while looking for a matching "\'"')
            if char == "'":
                if self._raw_quotes:
                    result.append(char)
                return "".join(result)
            result.append(char)

    def _double_quote(self) -> str:
        # Literal except $ expansions; the escape character escapes only " $ and itself.
        opening = self._next() or ""
        result = [opening] if self._raw_quotes else []
        while True:
            char = self._peek()
            if char is None:
                raise _ShellError("unexpected end of text while looking for a matching '\"'")
            if char == '"':
                self._next()
                if self._raw_quotes:
                    result.append(char)
                return "".join(result)
            if char == "$":
                result.append(self._dollar())
                continue
            self._next()
            if char == self._escape:
                if self._raw_escapes:
                    result.append(char)
                following = self._peek()
                if following is None:
                    continue
                if following in ('"', "$", self._escape):
                    char = following
                    self._next()
            result.append(char)

    def _name(self) -> str:
        """lex.go processName: letters, digits and '_'; or digits only; or one special char."""
        name: list[str] = []
        while (char := self._peek()) is not None:
            if not name and char.isdecimal():
                while (digit := self._peek()) is not None and digit.isdecimal():
                    name.append(digit)
                    self._next()
                return "".join(name)
            if not name and char in _SPECIAL_PARAMS:
                self._next()
                return char
            if not (char.isalpha() or char.isdecimal() or char == "_"):
                break
            name.append(char)
            self._next()
        return "".join(name)

    def _dollar(self) -> str:
        self._next()  # the '$'
        if self._peek() != "{":
            name = self._name()
            if not name:
                return "$"
            value, found = self._lookup(name)
            if not found:
                if self._skip_unset:
                    return "$" + name
                self._need(name)
            return value
        self._next()  # the '{'
        char = self._peek()
        if char is None:
            raise _ShellError("syntax error: missing '}'")
        if char in "{}:":
            raise _ShellError("syntax error: bad substitution")
        name = self._name()
        modifier = self._next() or ""
        if not modifier:
            raise _ShellError("syntax error: missing '}'")
        if modifier == "}":
            value, found = self._lookup(name)
            if not found:
                if self._skip_unset:
                    return f"${{{name}}}"
                self._need(name)
            return value
        null_is_unset = modifier == ":"
        if null_is_unset:
            modifier = self._next() or ""
        if null_is_unset or modifier in ("+", "-", "?", "#", "%"):
            return self._modified(name, modifier, null_is_unset)
        if modifier == "/":
            return self._replaced(name)
        raise _ShellError(f"unsupported modifier ({modifier}) in substitution ${{{name}...}}")

    def _modified(self, name: str, modifier: str, null_is_unset: bool) -> str:
        """``${name[:]-word}`` and friends; what ``word`` needs counts only if it is the result."""
        before = dict(self.unresolved)
        try:
            word, _ = self._stop_on("}", modifier in ("#", "%"))
        except _ShellError:
            if self._peek() is None:
                raise _ShellError("syntax error: missing '}'") from None
            raise
        chs = (":" if null_is_unset else "") + modifier
        value, found = self._lookup(name)
        if self._skip_unset and not found:
            return f"${{{name}{chs}{word}}}"
        # Without ':' only an unset variable counts as missing; with it, an empty one too.
        missing = not found or (null_is_unset and value == "")
        if modifier == "-" and missing:
            return word
        if modifier == "+" and not missing:
            return word
        self.unresolved = before
        if modifier == "-":
            return value
        if modifier == "+":
            return ""
        if modifier == "?":
            if not found:
                self._need(name)
                return ""
            if null_is_unset and value == "":
                raise _ShellError(f"{name}: {word or 'is not allowed to be empty'}")
            return value
        if modifier in ("#", "%"):
            raise _ShellError(
                f"the pattern substitution ${{{name}{chs}...}} is not supported by hubaction; "
                "pass the image as a build arg or write it out"
            )
        raise _ShellError(f"unsupported modifier ({chs}) in substitution ${{{name}...}}")

    def _replaced(self, name: str) -> str:
        """``${name/pattern/replacement}``: kept as written in heredoc mode, else refused."""
        replace_all = self._peek() == "/"
        if replace_all:
            self._next()
        try:
            pattern, _ = self._stop_on("/", True)
        except _ShellError:
            if self._peek() is None:
                raise _ShellError("syntax error: missing '/' in ${}") from None
            raise
        try:
            replacement, _ = self._stop_on("}", True)
        except _ShellError:
            if self._peek() is None:
                raise _ShellError("syntax error: missing '}'") from None
            raise
        _, found = self._lookup(name)
        if self._skip_unset and not found:
            return f"${{{name}/{pattern}/{replacement}}}"
        raise _ShellError(
            f"the pattern substitution ${{{name}/...}} is not supported by hubaction; "
            "pass the image as a build arg or write it out"
        )
