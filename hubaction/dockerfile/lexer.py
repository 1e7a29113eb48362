"""BuildKit's shell-word lexer (``frontend/dockerfile/shell/lex.go``): quotes, escapes, the
``<<`` of a heredoc, and the variable forms ``$X``, ``${X}``, ``${X-word}``, ``${X:-word}``,
``${X+word}``, ``${X:+word}``, ``${X?message}``, ``${X:?message}``, the patterns ``${X#p}``,
``${X##p}``, ``${X%p}``, ``${X%%p}`` and the replacements ``${X/p/r}``, ``${X//p/r}``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum

from hubaction.dockerfile.patterns import PatternError, replace, trim_prefix, trim_suffix
from hubaction.errors import InvalidInput

# Go's unicode.IsSpace (the Unicode White_Space property), which BuildKit uses to trim lines and
# split words. Python's str.isspace also counts U+001C..U+001F, so it is not used.
GO_SPACE = frozenset(
    "\t\n\v\f\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009"
    "\u200a\u2028\u2029\u202f\u205f\u3000"
)
# lex.go isSpecialParam: `$@`, `$#` and friends are one-character names.
_SPECIAL_PARAMS = frozenset("@*#?-$!0")
# lex.go isWhitespace: what processPossibleHeredoc keeps after `<<`, inside the word.
_HEREDOC_BLANKS = frozenset("\t\r ")


def is_go_space(char: str) -> bool:
    return char in GO_SPACE


@dataclass(frozen=True)
class NoValue:
    """A variable whose value hubaction does not have; ``reason`` says why, for the message.

    ``unset``: the build does not set it either (an ARG without default and no build arg);
    otherwise the build gives it a value hubaction cannot know (``TARGETARCH``...).
    """

    reason: str
    unset: bool = True


Variables = Mapping[str, str | NoValue]
"""What a word can use: a value, or why there is none."""


class _State(Enum):
    SET = "set"
    UNSET = "unset"
    UNKNOWN = "unknown"  # set by the build, to a value hubaction does not know


class ShellError(Exception):
    """A word the lexer refuses; the caller turns it into InvalidInput naming the line."""


def expand(word: str, escape: str, variables: Variables, where: str) -> tuple[str, dict[str, str]]:
    """``(word with quotes removed and variables substituted, {name: reason} of those without
    a value that the result depends on)``; they expand to an empty string.

    Raises :class:`~hubaction.errors.InvalidInput` starting with ``where`` for a word BuildKit
    would refuse (``${X:?message}`` with ``X`` unset or empty: ``X: message``).
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


class _Buffer:
    """The word being built; one per lexer, as lex.go's ``shellWord.wordsBuffer``."""

    def __init__(self) -> None:
        self.text = ""


class _WordSplitter:
    """lex.go wordsStruct: splits the processed text into words on blanks outside quotes.

    Like upstream's, every splitter of one lexer shares its buffer and empties it when it
    starts: a ``${X:-word}`` inside a word drops what the outer word had so far from the word
    list (not from the processed text). Heredoc detection sees words so, hence the copy.
    """

    def __init__(self, buffer: _Buffer) -> None:
        self.buffer = buffer
        buffer.text = ""
        self.words: list[str] = []
        self.in_word = False

    def add_char(self, char: str) -> None:
        if is_go_space(char) and self.in_word:
            if self.buffer.text:
                self.words.append(self.buffer.text)
                self.buffer.text = ""
                self.in_word = False
        elif not is_go_space(char):
            self.add_raw(char)

    def add_raw(self, text: str) -> None:
        self.buffer.text += text
        self.in_word = True

    def add_string(self, text: str) -> None:
        for char in text:
            self.add_char(char)

    def result(self) -> list[str]:
        if self.buffer.text:
            self.words.append(self.buffer.text)
            self.buffer.text = ""
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
        self._buffer = _Buffer()
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

    def _lookup(self, name: str) -> tuple[str, _State]:
        value = self._variables.get(name)
        if isinstance(value, str):
            return value, _State.SET
        if isinstance(value, NoValue) and not value.unset:
            return "", _State.UNKNOWN
        return "", _State.UNSET

    def _why(self, name: str) -> str:
        value = self._variables.get(name)
        if isinstance(value, NoValue):
            return value.reason
        return (
            f"{name} is not declared by an ARG before the first FROM (ARGs inside a stage "
            f"do not reach FROM lines); declare it at the top with ARG {name}=<value>"
        )

    def _record_missing(self, name: str) -> None:
        """``name`` has no value but the result depends on it: remember why."""
        self.missing.setdefault(name, self._why(name))

    def _read_until(self, stop: str | None, raw_escapes: bool) -> tuple[str, list[str]]:
        """lex.go processStopOn: the text up to ``stop`` (None: the end), and its words."""
        saved, self._raw_escapes = self._raw_escapes, raw_escapes
        try:
            result: list[str] = []
            words = _WordSplitter(self._buffer)
            while (char := self._peek()) is not None:
                if char == stop:
                    self._next()
                    return "".join(result), words.result()
                if char in "$'\"<":
                    text = self._special(char)
                    result.append(text)
                    if char == "$":
                        words.add_string(text)
                    else:
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

    def _special(self, char: str) -> str:
        if char == "$":
            return self._dollar()
        if char == "<":
            return self._possible_heredoc()
        return self._single_quote() if char == "'" else self._double_quote()

    def _possible_heredoc(self) -> str:
        """lex.go processPossibleHeredoc: ``<<`` keeps the blanks after it in its word, so
        ``<< EOF`` is one word, as the heredoc detection needs."""
        self._next()
        if self._peek() != "<":
            return "<"
        self._next()
        start = self._pos
        while (char := self._peek()) is not None and char in _HEREDOC_BLANKS:
            self._next()
        return "<<" + self._text[start : self._pos]

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
        value, state = self._lookup(name)
        if state is not _State.SET:
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
            if modifier in ("#", "%"):
                raise ShellError(f"unsupported modifier (:{modifier}) in substitution")
        if null_is_unset or modifier in ("+", "-", "?", "#", "%"):
            return self._with_modifier(name, modifier, null_is_unset)
        if modifier == "/":
            return self._replacement(name)
        raise ShellError(f"unsupported modifier ({modifier}) in substitution ${{{name}...}}")

    def _word_until_brace(self, raw_escapes: bool) -> str:
        try:
            word, _ = self._read_until("}", raw_escapes)
        except ShellError:
            if self._peek() is None:
                raise ShellError("syntax error: missing '}'") from None
            raise
        return word

    def _with_modifier(self, name: str, modifier: str, null_is_unset: bool) -> str:
        """``${name[:]-word}`` and friends; what ``word`` needs counts only if it is the result."""
        before = dict(self.missing)
        word = self._word_until_brace(modifier in ("#", "%"))
        chs = (":" if null_is_unset else "") + modifier
        value, state = self._lookup(name)
        if self._skip_unset and state is not _State.SET:
            return f"${{{name}{chs}{word}}}"
        if modifier in ("#", "%"):
            return self._trim(name, modifier, word, value, state)
        with_word, self.missing = self.missing, before
        if modifier not in ("-", "+", "?"):
            raise ShellError(f"unsupported modifier ({chs}) in substitution ${{{name}...}}")
        if state is _State.UNKNOWN:
            if modifier == "+" and not null_is_unset:
                self.missing = with_word  # set, whatever its value: the word
                return word
            self._record_missing(name)
            return ""
        # Without ':' only an unset variable counts as absent; with it, an empty one too.
        absent = state is _State.UNSET or (null_is_unset and value == "")
        if modifier == "?":
            if absent:
                raise ShellError(self._required_message(name, word, state))
            return value
        if (modifier == "-") == absent:
            self.missing = with_word
            return word
        return "" if modifier == "+" else value

    def _required_message(self, name: str, message: str, state: _State) -> str:
        """lex.go: ``NAME: message``, with upstream's default messages; and why it is unset."""
        if state is _State.UNSET:
            return f"{name}: {message or 'is not allowed to be unset'} ({self._why(name)})"
        return f"{name}: {message or 'is not allowed to be empty'}"

    def _trim(self, name: str, modifier: str, word: str, value: str, state: _State) -> str:
        """``${name#pattern}`` / ``##`` / ``%`` / ``%%`` (lex.go trimPrefix, trimSuffix)."""
        if state is not _State.SET:
            self._record_missing(name)
        greedy = word.startswith(modifier)
        if greedy:
            word = word[1:]
        try:
            if modifier == "%":
                return trim_suffix(word, value, greedy=greedy)
            return trim_prefix(word, value, greedy=greedy)
        except PatternError as error:
            raise ShellError(f"invalid pattern ({word}) in substitution: {error}") from None

    def _replacement(self, name: str) -> str:
        """``${name/pattern/replacement}``, ``${name//pattern/replacement}``."""
        replace_all = self._peek() == "/"
        if replace_all:
            self._next()
        try:
            pattern, _ = self._read_until("/", True)
        except ShellError:
            if self._peek() is None:
                raise ShellError("syntax error: missing '/' in ${}") from None
            raise
        replacement = self._word_until_brace(True)
        value, state = self._lookup(name)
        if self._skip_unset and state is not _State.SET:
            return f"${{{name}/{pattern}/{replacement}}}"
        if state is not _State.SET:
            self._record_missing(name)
        try:
            return replace(pattern, replacement, value, replace_all=replace_all)
        except PatternError as error:
            raise ShellError(f"invalid pattern ({pattern}) in substitution: {error}") from None
