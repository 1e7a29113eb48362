"""BuildKit's shell-word lexer (``frontend/dockerfile/shell/lex.go``): quotes, escapes and the
variable forms ``$X``, ``${X}``, ``${X:-word}``, ``${X-word}``, ``${X:+word}``, ``${X+word}`` and
``${X:?message}``. The pattern forms (``${X#p}``, ``%``, ``/``) are refused with an explanation.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from hubaction.errors import InvalidInput

# Go's unicode.IsSpace (the Unicode White_Space property), which BuildKit uses to trim lines and
# split words. Python's str.isspace also counts U+001C..U+001F, so it is not used.
GO_SPACE = frozenset(
    "\t\n\v\f\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009"
    "\u200a\u2028\u2029\u202f\u205f\u3000"
)
# lex.go isSpecialParam: `$@`, `$#` and friends are one-character names.
_SPECIAL_PARAMS = frozenset("@*#?-$!0")


def is_go_space(char: str) -> bool:
    return char in GO_SPACE


@dataclass(frozen=True)
class NoValue:
    """A variable with no value the build would see; ``reason`` says why, for the message."""

    reason: str


Variables = Mapping[str, str | NoValue]
"""What a word can use: a value, or why there is none."""


class ShellError(Exception):
    """A word the lexer refuses; the caller turns it into InvalidInput naming the line."""


def expand(word: str, escape: str, variables: Variables, where: str) -> tuple[str, dict[str, str]]:
    """``(word with quotes removed and variables substituted, {name: reason} of those without
    a value that the result depends on)``; they expand to an empty string.

    Raises :class:`~hubaction.errors.InvalidInput` starting with ``where`` for a word BuildKit
    would refuse, or one hubaction does not support.
    """
    lexer = ShellLexer(word, escape=escape, variables=variables)
    try:
        result, _ = lexer.process()
    except ShellError as error:
        raise InvalidInput(f"{where}: cannot expand {word!r}: {error}") from None
    except RecursionError:
        raise InvalidInput(
            f"{where}: cannot expand {word!r}: its ${{...}} substitutions are nested too deeply"
        ) from None
    return result, lexer.missing


class _WordSplitter:
    """lex.go wordsStruct: splits the processed text into words on blanks outside quotes."""

    def __init__(self) -> None:
        self.word = ""
        self.words: list[str] = []
        self.in_word = False

    def add_char(self, char: str) -> None:
        if is_go_space(char) and self.in_word:
            if self.word:
                self.words.append(self.word)
                self.word = ""
                self.in_word = False
        elif not is_go_space(char):
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


class ShellLexer:
    """A port of BuildKit's ``shell.Lex`` for one word.

    ``raw_quotes`` / ``raw_escapes`` keep quotes and escape characters in the output, and
    ``skip_unset`` leaves unset variables as written: together they are the heredoc detection
    mode. Otherwise variables come from ``variables``; one whose value matters but which has
    none is recorded in ``missing`` (name -> reason) and expands to an empty string.
    """

    def __init__(
        self,
        text: str,
        *,
        escape: str,
        variables: Variables,
        raw_quotes: bool = False,
        raw_escapes: bool = False,
        skip_unset: bool = False,
    ) -> None:
        self._text = text
        self._pos = 0
        self._escape = escape
        self._variables = variables
        self._raw_quotes = raw_quotes
        self._raw_escapes = raw_escapes
        self._skip_unset = skip_unset
        self.missing: dict[str, str] = {}

    def process(self) -> tuple[str, list[str]]:
        """``(the word processed, the words it splits into)``."""
        return self._read_until(None, self._raw_escapes)

    def _peek(self) -> str | None:
        return self._text[self._pos] if self._pos < len(self._text) else None

    def _next(self) -> str | None:
        char = self._peek()
        if char is not None:
            self._pos += 1
        return char

    def _lookup(self, name: str) -> tuple[str, bool]:
        value = self._variables.get(name)
        if isinstance(value, str):
            return value, True
        return "", False

    def _record_missing(self, name: str) -> None:
        """``name`` has no value but the result depends on it: remember why."""
        value = self._variables.get(name)
        if isinstance(value, NoValue):
            reason = value.reason
        else:
            reason = (
                f"{name} is not declared by an ARG before the first FROM (ARGs inside a stage "
                f"do not reach FROM lines); declare it at the top with ARG {name}=<value>"
            )
        self.missing.setdefault(name, reason)

    def _read_until(self, stop: str | None, raw_escapes: bool) -> tuple[str, list[str]]:
        """lex.go processStopOn: the text up to ``stop`` (None: the end), and its words."""
        saved, self._raw_escapes = self._raw_escapes, raw_escapes
        try:
            result: list[str] = []
            words = _WordSplitter()
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
                if char != self._escape:
                    words.add_char(char)
                    result.append(char)
                    continue
                if self._raw_escapes:
                    words.add_raw(char)
                    result.append(char)
                escaped = self._next()
                if escaped is None:
                    break
                words.add_raw(escaped)
                result.append(escaped)
            if stop is not None:
                raise ShellError(f"unexpected end of text while looking for a matching {stop!r}")
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
                raise ShellError('unexpected end of text while looking for a matching "\'"')
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
                raise ShellError("unexpected end of text while looking for a matching '\"'")
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

    def _variable_name(self) -> str:
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

    def _value_of(self, name: str, as_written: str) -> str:
        """The value of ``name``; without one, ``as_written`` in heredoc mode, else empty."""
        value, found = self._lookup(name)
        if not found:
            if self._skip_unset:
                return as_written
            self._record_missing(name)
        return value

    def _dollar(self) -> str:
        """lex.go processDollar: ``$NAME`` or ``${...}``; a lone ``$`` is literal."""
        self._next()  # the '$'
        if self._peek() == "{":
            self._next()
            return self._braced()
        name = self._variable_name()
        if not name:
            return "$"
        return self._value_of(name, "$" + name)

    def _braced(self) -> str:
        """``${...}`` after the ``{``."""
        char = self._peek()
        if char is None:
            raise ShellError("syntax error: missing '}'")
        if char in "{}:":
            raise ShellError("syntax error: bad substitution")
        name = self._variable_name()
        modifier = self._next() or ""
        if not modifier:
            raise ShellError("syntax error: missing '}'")
        if modifier == "}":
            return self._value_of(name, f"${{{name}}}")
        null_is_unset = modifier == ":"
        if null_is_unset:
            modifier = self._next() or ""
        if null_is_unset or modifier in ("+", "-", "?", "#", "%"):
            return self._with_modifier(name, modifier, null_is_unset)
        if modifier == "/":
            return self._replacement(name)
        raise ShellError(f"unsupported modifier ({modifier}) in substitution ${{{name}...}}")

    def _with_modifier(self, name: str, modifier: str, null_is_unset: bool) -> str:
        """``${name[:]-word}`` and friends; what ``word`` needs counts only if it is the result."""
        before = dict(self.missing)
        try:
            word, _ = self._read_until("}", modifier in ("#", "%"))
        except ShellError:
            if self._peek() is None:
                raise ShellError("syntax error: missing '}'") from None
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
        self.missing = before
        if modifier == "-":
            return value
        if modifier == "+":
            return ""
        if modifier == "?":
            return self._required(name, word, null_is_unset)
        if modifier in ("#", "%"):
            raise ShellError(
                f"the pattern substitution ${{{name}{chs}...}} is not supported by hubaction; "
                "pass the image as a build arg or write it out"
            )
        raise ShellError(f"unsupported modifier ({chs}) in substitution ${{{name}...}}")

    def _required(self, name: str, message: str, null_is_unset: bool) -> str:
        """``${name?message}`` / ``${name:?message}``: the value, or an error with ``message``."""
        value, found = self._lookup(name)
        if not found:
            # Reported like any variable without a value (the message says how to give it
            # one) rather than as BuildKit's "NAME: message" error.
            self._record_missing(name)
            return ""
        if null_is_unset and value == "":
            raise ShellError(f"{name}: {message or 'is not allowed to be empty'}")
        return value

    def _replacement(self, name: str) -> str:
        """``${name/pattern/replacement}``: kept as written in heredoc mode, else refused."""
        replace_all = self._peek() == "/"
        if replace_all:
            self._next()
        try:
            pattern, _ = self._read_until("/", True)
        except ShellError:
            if self._peek() is None:
                raise ShellError("syntax error: missing '/' in ${}") from None
            raise
        try:
            replacement, _ = self._read_until("}", True)
        except ShellError:
            if self._peek() is None:
                raise ShellError("syntax error: missing '}'") from None
            raise
        _, found = self._lookup(name)
        if self._skip_unset and not found:
            return f"${{{name}/{pattern}/{replacement}}}"
        raise ShellError(
            f"the pattern substitution ${{{name}/...}} is not supported by hubaction; "
            "pass the image as a build arg or write it out"
        )
