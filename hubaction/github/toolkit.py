"""A small, standard-library GitHub Actions toolkit (the parts of ``@actions/core`` we use).

A step talks to the GitHub Actions runner in two ways:

* **Workflow commands** on stdout: lines like ``::error title=T::message``. The runner reads the
  process output with .NET ``StreamReader.ReadLine`` (so ``\\r``, ``\\n`` and ``\\r\\n`` all end a
  line) and tries two parsers on every line (``actions/runner``
  ``src/Runner.Common/ActionCommand.cs``): ``TryParseV2``, which trims leading whitespace and
  wants ``::name props::data``, and the legacy ``TryParse``, which finds ``##[name props]data``
  *anywhere* in the line. Data and property values are percent-escaped as in
  ``actions/toolkit`` ``packages/core/src/command.ts`` (:mod:`hubaction.github.commands`).
* **Environment files**: the runner creates a file per step and names it in ``GITHUB_OUTPUT``
  (outputs) and ``GITHUB_STEP_SUMMARY`` (job summary markdown). Outputs are ``name=value`` lines
  or ``name<<DELIMITER`` heredocs (``src/Runner.Worker/FileCommandManager.cs``,
  ``EnvFileKeyValuePairs``).

Registry-supplied text (tags, labels, error bodies) reaches all of these, so this module makes
sure such text can never raise a command or end an output early:

* every output is written in heredoc form with a fresh ``ghadelimiter_<uuid4>`` delimiter, as
  ``@actions/core`` ``prepareKeyValueMessage`` does; a name or value containing it is refused;
* every command's data and properties are escaped, so each command is exactly one line;
* :meth:`Toolkit.info` (and every other plain print) wraps text that the runner could read as a
  command in ``::stop-commands::<random token>`` ... ``::<token>::`` -- the runner's own
  mechanism, chosen over escaping because the log then shows the text unchanged;
* values given to :meth:`Toolkit.mask` are also replaced by ``***`` in everything this class
  prints or writes, in their common encodings too (defense in depth: the runner masks only
  what it has been told about, and only on the runner); values too short to be a credential
  are refused, not masked.

:class:`Toolkit` takes its environment and stdout as arguments so tests can inject them.
"""

from __future__ import annotations

import json
import os
import re
import sys
import unicodedata
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import TextIO

from hubaction.errors import HubActionError, InvalidInput
from hubaction.github.commands import (
    Position,
    escape_data,
    escape_property,
    format_command,
    shown_title,
)
from hubaction.oci.wire import SecretSet, remember_secret

__all__ = [
    "FALSE_VALUES",
    "MIN_SECRET_LENGTH",
    "TRUE_VALUES",
    "Position",
    "Toolkit",
    "escape_data",
    "escape_property",
    "format_command",
    "input_variable",
    "parse_bool_input",
    "parse_int_input",
    "plausible_secret",
    "shown_title",
]

#: YAML 1.2 core schema booleans, exactly the set ``@actions/core`` ``getBooleanInput`` accepts.
TRUE_VALUES = ("true", "True", "TRUE")
FALSE_VALUES = ("false", "False", "FALSE")


# Output ids in action metadata "must start with a letter or _ and contain only alphanumeric
# characters, -, or _" (GitHub docs, metadata syntax). Stricter than the runner, which would
# take any name without '=' before '<<' -- but it rules out by construction every name that
# could change how the file is parsed (newline, '=', '<<', a byte-order mark).
_OUTPUT_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")

# Whole decimal numbers for get_int_input; Python's int() would also take '1_000', ' 7',
# and non-ASCII digits, none of which a workflow author means.
_INTEGER = re.compile(r"[+-]?[0-9]+")

# The runner's line splitter (StreamReader.ReadLine): CR, LF or CRLF.
_LINE_BREAK = re.compile(r"\r\n|\r|\n")

# TryParseV2 applies .NET TrimStart() and then wants '::'. Python's \s is a superset of .NET's
# char.IsWhiteSpace; the extra format characters cover whitespace definitions of older Unicode
# versions. Erring wide here only costs a pair of stop/resume lines.
_COMMAND_START = re.compile(r"[\s\u180e\u200b\u2060\ufeff]*::")

_SURROGATE = re.compile(r"[\ud800-\udfff]")

_REDACTED = "***"

#: Shorter lines of a secret are not masked (:meth:`Toolkit.mask`). Registry tokens are far
#: longer (a JWT, or 32+ random characters), and so are the secrets worth hiding; text this
#: short is ordinary text -- ``|``, ``sha256``, ``latest`` -- that masking would blank out.
MIN_SECRET_LENGTH = 8


def plausible_secret(line: str) -> bool:
    """Whether one line of a secret is worth masking: at least :data:`MIN_SECRET_LENGTH`
    characters besides surrounding whitespace.

    Whitespace and control characters are no reason here: passwords may have them. Whoever
    receives a token from a registry should refuse those (and short tokens) as a registry
    error before masking; this is the toolkit's last line of defense.
    """
    return len(line.strip()) >= MIN_SECRET_LENGTH


def input_variable(name: str) -> str:
    """The environment variable the runner sets for input *name*.

    Spaces become ``_`` and the name is upper-cased; hyphens are kept (``list-tags`` ->
    ``INPUT_LIST-TAGS``), as ``@actions/core`` ``getInput`` and the runner's container action
    handler both do.
    """
    return "INPUT_" + name.replace(" ", "_").upper()


def parse_bool_input(name: str, value: str, *, default: bool | None = None) -> bool:
    """Input *name*'s stripped *value* as a YAML 1.2 core schema boolean.

    Empty gives *default*; without a default, empty is an :class:`InvalidInput` too.
    """
    if value in TRUE_VALUES:
        return True
    if value in FALSE_VALUES:
        return False
    accepted = ", ".join(TRUE_VALUES + FALSE_VALUES)
    if not value:
        if default is not None:
            return default
        raise InvalidInput(
            f"Input `{name}` is required: expected one of {accepted}; "
            f"set `{name}:` under `with:` in the workflow step."
        )
    raise InvalidInput(
        f"Input `{name}` is {_quote(value)}: expected one of {accepted}; "
        f"fix `{name}:` under `with:` in the workflow step."
    )


def parse_int_input(name: str, value: str, *, minimum: int | None = None) -> int:
    """Input *name*'s stripped, non-empty *value* as a whole decimal number.

    Raises :class:`InvalidInput` for anything but ASCII digits with an optional sign, or a
    number below *minimum*.
    """
    form = "a whole number in decimal digits"
    if minimum is not None:
        form += f", at least {minimum}"
    problem = f"Input `{name}` is {_quote(value)}: expected {form}"
    if _INTEGER.fullmatch(value) is None:
        raise InvalidInput(f"{problem}; fix `{name}:` under `with:` in the workflow step.")
    try:
        number = int(value)
    except ValueError:  # more digits than int() converts (sys.get_int_max_str_digits)
        raise InvalidInput(
            f"{problem}, and this one has too many digits; "
            f"fix `{name}:` under `with:` in the workflow step."
        ) from None
    if minimum is not None and number < minimum:
        raise InvalidInput(f"{problem}; fix `{name}:` under `with:` in the workflow step.")
    return number


def _uuid4() -> str:
    """A random (version 4) UUID, as text. Not the ``uuid`` module (it imports ``platform``)
    nor ``secrets`` (it imports ``random``, ``hmac``, ``base64``): start-up time for one call.
    ``os.urandom`` is what ``secrets.token_bytes`` reads."""
    raw = bytearray(os.urandom(16))
    raw[6] = (raw[6] & 0x0F) | 0x40  # version 4
    raw[8] = (raw[8] & 0x3F) | 0x80  # RFC 4122 variant
    h = raw.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def _new_delimiter() -> str:
    """A fresh heredoc delimiter (a module function so tests can force a collision)."""
    return f"ghadelimiter_{_uuid4()}"


def _new_stop_token() -> str:
    """A fresh stop-commands token: unguessable, no space, no ``:`` (else it would not parse)."""
    return _uuid4().replace("-", "")


def _could_be_command(line: str) -> bool:
    """Whether the runner might parse *line* (already split as the runner splits) as a command."""
    return "##[" in line or _COMMAND_START.match(line) is not None


def _printable(text: str) -> str:
    # A lone surrogate (e.g. from json.loads('"\\ud800"') on a registry body) cannot be encoded
    # as UTF-8; printing it would raise UnicodeEncodeError in the middle of reporting.
    return _SURROGATE.sub("\ufffd", text)


def _visible(value: str) -> str:
    """One-line, unambiguous rendering of *value*: backslash and control characters escaped."""
    return "".join(
        ch.encode("unicode_escape").decode("ascii")
        if ch == "\\" or unicodedata.category(ch) in ("Cc", "Zl", "Zp", "Cs")
        else ch
        for ch in value
    )


def _quote(value: str) -> str:
    # Double-quoted like the messages users see in @actions/core, but with any newline or
    # quote inside escaped so the message stays one line.
    return json.dumps(value, ensure_ascii=False)


class Toolkit:
    """Inputs, outputs, log commands, masking and the job summary for one step.

    *env* defaults to :data:`os.environ` and *stdout* to :data:`sys.stdout` (looked up at each
    write, so pytest's capture works).
    """

    def __init__(self, env: Mapping[str, str] | None = None, stdout: TextIO | None = None) -> None:
        self._env: Mapping[str, str] = os.environ if env is None else env
        self._stdout = stdout
        self._masked: set[str] = set()
        self._refused: set[str] = set()
        # What _redact hides: each masked line in its common encodings (repr, JSON, URL,
        # folded); adding one rebuilds nothing, so masking many tokens stays linear.
        self._redactions = SecretSet(min_length=MIN_SECRET_LENGTH)

    # -- inputs -----------------------------------------------------------------------------

    def get_input(self, name: str, *, required: bool = False) -> str:
        """The input *name*, stripped of surrounding whitespace ('' when unset).

        Raises :class:`InvalidInput` if *required* and the value is empty.
        """
        variable = input_variable(name)
        value = self._env.get(variable, "").strip()
        if required and not value:
            raise InvalidInput(
                f"Input `{name}` is required but was not supplied "
                f"(environment variable {variable} is unset or empty); "
                f"set `{name}:` under `with:` in the workflow step."
            )
        return value

    def get_bool_input(self, name: str, *, default: bool | None = None) -> bool:
        """The input *name* as a YAML 1.2 core schema boolean.

        Empty gives *default*; without a default, empty is an :class:`InvalidInput` too.
        """
        return parse_bool_input(name, self.get_input(name), default=default)

    def get_int_input(self, name: str, *, default: int, minimum: int | None = None) -> int:
        """The input *name* as a whole decimal number; empty gives *default*.

        Raises :class:`InvalidInput` for anything but ASCII digits with an optional sign, or a
        number below *minimum*.
        """
        value = self.get_input(name)
        if not value:
            return default
        return parse_int_input(name, value, minimum=minimum)

    # -- environment ------------------------------------------------------------------------

    @property
    def in_github(self) -> bool:
        """Whether the runner gave this step an output file (``GITHUB_OUTPUT`` is set)."""
        return bool(self._env.get("GITHUB_OUTPUT"))

    @property
    def debug_enabled(self) -> bool:
        """Whether step debug logging is on (``RUNNER_DEBUG`` is ``1``)."""
        return self._env.get("RUNNER_DEBUG") == "1"

    # -- outputs ----------------------------------------------------------------------------

    def set_output(self, name: str, value: str) -> None:
        """Set the step output *name* to *value*, exactly.

        In GitHub the output is appended to the ``GITHUB_OUTPUT`` file, always in heredoc form
        ``name<<ghadelimiter_<uuid4>`` / value / delimiter, so no text in *value* can end it
        early or add another output; masked values are replaced by ``***``. Outside GitHub
        one readable line is printed instead: ``output name=value`` with control characters
        backslash-escaped.

        Raises :class:`HubActionError` (the step fails with a clean error, not a traceback) if
        *name* is not an output id (letter or ``_``, then letters, digits, ``-``, ``_``), if the
        name or value contains the delimiter drawn for this write, if the value contains a lone
        surrogate (not UTF-8 encodable), or if the file cannot be written.
        """
        if _OUTPUT_NAME.fullmatch(name) is None:
            raise HubActionError(
                f"Cannot set output {name!r}: output names must start with a letter or '_' and "
                "contain only letters, digits, '-' and '_' (GitHub's rule for output ids); "
                "this is a bug in hubaction, please report it."
            )
        if not self.in_github:
            self._write_plain(f"output {name}={_visible(self._redact(value))}")
            return
        # Masked values are hidden in the file too (issue 13 §3): registry text echoing a
        # password (a label, a tag) must not carry it into outputs that later steps print.
        value = self._redact(value)
        surrogate = _SURROGATE.search(value)
        if surrogate is not None:
            raise HubActionError(
                f"Cannot set output {name!r}: its value has a lone surrogate "
                f"{surrogate.group()!r} at index {surrogate.start()}, which is not valid Unicode "
                "and cannot be written as UTF-8; this is a bug in hubaction, please report it."
            )
        delimiter = _new_delimiter()
        # As @actions/core: a uuid4 collision "should realistically never happen", but if it
        # did, the value could end its own heredoc and smuggle in further outputs.
        if delimiter in name or delimiter in value:
            raise HubActionError(
                f"Cannot set output {name!r}: the name or value contains the heredoc delimiter "
                f"{delimiter!r} drawn for it, so writing it could end the value early; "
                "run the step again."
            )
        self._append_file("GITHUB_OUTPUT", f"{name}<<{delimiter}\n{value}\n{delimiter}\n")

    def append_summary(self, markdown: str) -> None:
        """Append *markdown* to the job summary (``GITHUB_STEP_SUMMARY``).

        Masked values are redacted here too. Outside GitHub the markdown is printed under a
        ``--- step summary ---`` header instead.
        """
        text = self._redact(markdown)
        if not text.endswith("\n"):
            text += "\n"
        if self._env.get("GITHUB_STEP_SUMMARY"):
            self._append_file("GITHUB_STEP_SUMMARY", _printable(text))
        else:
            self._write_plain("--- step summary ---\n" + text[:-1])

    # -- secrets ----------------------------------------------------------------------------

    def mask(self, secret: str) -> None:
        """Ask the runner to mask *secret* in the log, and redact it from all our output.

        The runner's masker sees the log line by line, so a multi-line secret is registered one
        line at a time (split as the runner splits lines). Empty and whitespace-only lines are
        skipped -- the runner answers ``::add-mask::`` with only whitespace by a warning -- and
        every value is registered once.

        A line that cannot be a credential (:func:`plausible_secret`: shorter than
        :data:`MIN_SECRET_LENGTH`) is refused with a warning that does not quote it: the runner
        would blank every occurrence of ``|`` or ``sha256`` in the job log and drop every output
        containing it.
        """
        refused = 0
        for piece in _LINE_BREAK.split(secret):
            if not piece.strip() or piece in self._masked:
                continue
            if not plausible_secret(piece):
                refused += piece not in self._refused  # warned about once
                self._refused.add(piece)
                continue
            # Not redacted, of course: the runner needs the value itself.
            self._write("::add-mask::" + escape_data(_printable(piece)))
            self._masked.add(piece)
            self._redactions.add(piece)
            # And for every message the lower layers build: they hide known secrets before
            # they fold, escape or cut registry text (hubaction.oci.wire.scrub).
            remember_secret(piece)
        if refused:
            self.warning(
                f"{refused} secret value(s) shorter than {MIN_SECRET_LENGTH} characters not "
                "masked: masking text that short would blank it wherever it appears in the log "
                "and make the runner drop every output containing it."
            )

    # -- log --------------------------------------------------------------------------------

    def error(self, message: str, *, title: str | None = None, at: Position | None = None) -> None:
        """An error annotation: ``::error title=...::message`` (see :meth:`notice`)."""
        self._annotation("error", message, title, at)

    def warning(
        self, message: str, *, title: str | None = None, at: Position | None = None
    ) -> None:
        """A warning annotation: ``::warning title=...::message`` (see :meth:`notice`)."""
        self._annotation("warning", message, title, at)

    def notice(self, message: str, *, title: str | None = None, at: Position | None = None) -> None:
        """A notice annotation: ``::notice title=...,file=...,line=...::message``.

        *title* is shown as :func:`~hubaction.github.commands.shown_title` says: leading and
        inner spacing kept. *at* places the annotation in a file, as ``@actions/core``
        ``AnnotationProperties`` do.
        """
        self._annotation("notice", message, title, at)

    def debug(self, message: str) -> None:
        """``::debug::message``, always written; the runner shows it only with debug on."""
        self._command("debug", {}, message)

    def info(self, message: str) -> None:
        """Print *message* as plain log text; it can never raise a workflow command.

        If any of its lines could be read as a command (``::`` after leading whitespace, or
        ``##[`` anywhere), the text is wrapped in ``::stop-commands::<random token>`` ...
        ``::<token>::``, so the runner logs it unchanged and processes none of it.
        """
        self._write_plain(message)

    @contextmanager
    def group(self, title: str) -> Iterator[None]:
        """A collapsible log group (``::group::title`` ... ``::endgroup::``); not nestable."""
        self._command("group", {}, title)
        try:
            yield
        finally:
            self._command("endgroup", {}, "")

    # -- internals --------------------------------------------------------------------------

    def _redact(self, text: str) -> str:
        # Overlapping secrets are hidden whole, a secret containing another too.
        return self._redactions.scrub(text, _REDACTED)

    def _annotation(
        self, command: str, message: str, title: str | None, at: Position | None
    ) -> None:
        # Redacted before shown_title, which could otherwise cut a leading '=' off a secret.
        # An empty title is left out, as @actions/core leaves out empty properties; the title
        # goes first, as toCommandProperties orders them.
        shown = shown_title(_printable(self._redact(title or "")))
        where = at.properties() if at is not None else {}
        self._command(command, {"title": shown, **where}, message)

    def _command(self, command: str, properties: Mapping[str, str], message: str) -> None:
        clean = {key: _printable(self._redact(value)) for key, value in properties.items()}
        self._write(format_command(command, clean, _printable(self._redact(message))))

    def _write_plain(self, text: str) -> None:
        text = _printable(self._redact(text))
        lines = _LINE_BREAK.split(text)
        if any(map(_could_be_command, lines)):
            token = _new_stop_token()
            while any(token.lower() in line.lower() for line in lines):  # pragma: no cover
                token = _new_stop_token()
            text = f"::stop-commands::{token}\n{text}\n::{token}::"
        # The text itself is written unchanged, line breaks and all: a lone CR at its end
        # then meets our LF as the CRLF the runner reads as one line end, as console.log's
        # would (rewriting it as LF would add an empty line).
        self._write(text)

    def _write(self, text: str) -> None:
        # One write per call, flushed, so a command never interleaves with other output.
        stream = sys.stdout if self._stdout is None else self._stdout
        stream.write(text + "\n")
        stream.flush()

    def _append_file(self, variable: str, text: str) -> None:
        path = self._env[variable]
        data = text.encode("utf-8")
        try:
            with open(path, "a+b") as handle:
                # If whoever wrote last left no final newline, our first line would be glued to
                # theirs (e.g. onto a heredoc's closing delimiter, breaking both records).
                if handle.seek(0, os.SEEK_END) > 0:
                    handle.seek(-1, os.SEEK_END)
                    if handle.read(1) != b"\n":
                        data = b"\n" + data
                handle.write(data)
        except OSError as error:
            raise HubActionError(
                f"Cannot append to the {variable} file {path!r}: {error.strerror or error}; "
                "the runner creates this file for each step, so check the runner's disk and "
                "that nothing else removed it."
            ) from error
