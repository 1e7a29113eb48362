"""Tests for hubaction.dockerfile.lexer: BuildKit's shell-word lexer (shell/lex.go) and the
expansion of variables, with the variables that have no value reported instead of guessed."""

from __future__ import annotations

import pytest

from hubaction.dockerfile import parse_dockerfile
from hubaction.dockerfile.lexer import NoValue, ShellLexer, Variables, expand
from hubaction.errors import InvalidInput

VARIABLES: Variables = {"A": "1", "E": "", "N": NoValue("N has none")}

EXPANSIONS: list[tuple[str, str, str, list[str]]] = [
    ("plain", "$A", "1", []),
    ("braced", "${A}", "1", []),
    ("inside a word", "a${A}b", "a1b", []),
    ("no value", "${N}", "", ["N"]),
    ("never declared", "$U", "", ["U"]),
    (":- undeclared", "${U:-d}", "d", []),
    (":- without a value", "${N:-d}", "d", []),
    ("- without a value", "${N-d}", "d", []),
    ("- keeps an empty value", "${E-d}", "", []),
    (":- replaces an empty value", "${E:-d}", "d", []),
    (":+ set", "${A:+x}", "x", []),
    ("+ set", "${A+x}", "x", []),
    (":+ empty", "${E:+x}", "", []),
    (":? set", "${A:?m}", "1", []),
    ("? empty is allowed", "${E?m}", "", []),
    ("the unused default needs nothing", "${A:-$N}", "1", []),
    ("the default used", "${N:-$A}", "1", []),
    ("the default used needs a value", "${U:-$N}", "", ["N"]),
    ("single quotes are literal", "'$A'", "$A", []),
    ("double quotes expand", '"$A"', "1", []),
    ("quotes removed, blanks kept", '"a b"', "a b", []),
    ("escaped dollar", "a\\$A", "a$A", []),
    ("a lone dollar", "$", "$", []),
    ("# of a value", "${A#1}", "", []),
    ("# of no value", "${N#x}", "", ["N"]),
    ("/ of no value", "${N/x/y}", "", ["N"]),
    ("the pattern needs a value", "${A%$N}", "1", ["N"]),
]


@pytest.mark.parametrize(
    ("word", "expected", "missing"), [pytest.param(w, e, m, id=i) for i, w, e, m in EXPANSIONS]
)
def test_expand(word: str, expected: str, missing: list[str]) -> None:
    text, without_value = expand(word, "\\", VARIABLES, "D line 1")
    assert (text, list(without_value)) == (expected, missing)


def test_missing_values_say_why() -> None:
    _, missing = expand("$N$U", "\\", VARIABLES, "D line 1")
    assert missing["N"] == "N has none"
    assert "ARG U=<value>" in missing["U"]


def test_backtick_escape() -> None:
    assert expand("a`$A\\", "`", VARIABLES, "D line 1") == ("a$A\\", {})


REFUSED: list[tuple[str, str, str]] = [
    ("unterminated brace", "${A", "missing '}'"),
    ("empty braces", "${}", "bad substitution"),
    ("unknown modifier", "${A!}", "unsupported modifier (!)"),
    ("pattern with a bad escape", "${A#\\x}", "invalid escape"),
    (":# is not a modifier", "${A:#x}", "unsupported modifier (:#)"),
    ("? of an undeclared variable", "${U?need U}", "U: need U"),
    (":? empty with a message", "${E:?boom}", "E: boom"),
    (":? empty without one", "${E:?}", "E: is not allowed to be empty"),
    ("unterminated quote", "'abc", 'matching "\'"'),
    ("nested too deeply", "${A:-" * 5000 + "}" * 5000, "nested too deeply"),
]


@pytest.mark.parametrize(("word", "fragment"), [pytest.param(w, f, id=i) for i, w, f in REFUSED])
def test_expand_refuses(word: str, fragment: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        expand(word, "\\", VARIABLES, "D line 7")
    assert str(caught.value).startswith("D line 7: cannot expand ")
    assert fragment in str(caught.value)


def test_heredoc_mode_keeps_what_it_cannot_expand() -> None:
    lexer = ShellLexer(
        "$Z ${Z} ${Z:-d} ${Z/a/b} 'q'", escape="\\", variables={}, raw_quotes=True, skip_unset=True
    )
    assert lexer.process() == (
        "$Z ${Z} ${Z:-d} ${Z/a/b} 'q'",
        ["$Z", "${Z}", "${Z:-d}", "${Z/a/b}", "'q'"],
    )
    assert lexer.missing == {}


def test_words_split_on_expanded_blanks_outside_quotes() -> None:
    lexer = ShellLexer('$S "$S"x', escape="\\", variables={"S": "a b"})
    assert lexer.process() == ("a b a bx", ["a", "b", "a bx"])


def test_inner_substitution_restarts_the_word_list_as_upstream() -> None:
    """lex.go shares one words buffer between processStopOn calls and empties it on each: the
    word list loses what came before a ``${X:-...}`` (the text does not)."""
    lexer = ShellLexer("a hello${X:-in}bye", escape="\\", variables={})
    assert lexer.process() == ("a helloinbye", ["a", "inbye"])


def test_heredoc_detection_sees_words_so() -> None:
    # BuildKit 73ed6825 finds no heredoc here: the word `<<EOF${X:-y}` is seen as `${X:-y}`.
    text = "FROM a:1\nRUN cat <<EOF${X:-y}\nFROM b:1\n"
    assert [i.text for i in parse_dockerfile(text)] == ["a:1", "b:1"]


def test_blanks_after_heredoc_marker_stay_in_the_word() -> None:
    """lex.go processPossibleHeredoc: `<<` keeps the tabs, CRs and spaces after it."""
    lexer = ShellLexer("cat <<  EOF x<y <<-\tZ", escape="\\", variables={})
    assert lexer.process()[1] == ["cat", "<<  EOF", "x<y", "<<-", "Z"]


PATTERNS: list[tuple[str, str, str]] = [
    # What Go's regexp gives for lex.go's patterns; Python's re would agree but backtracks.
    ("${V%%.*}", "1.2.3", "1"),
    ("${V%.*}", "1.2.3", "1.2"),
    ("${V##*.}", "1.2.3", "3"),
    ("${V#*.}", "1.2.3", "2.3"),
    ("${V#?}", "abc", "bc"),
    ("${V#x}", "abc", "abc"),
    ("${V##*}", "a\nb", "\nb"),  # `*` is Go's `.*`: no newline
    ("${V/b*/X}", "abcb", "aX"),
    ("${V//b/X}", "abcb", "aXcX"),
    ("${V//*/X}", "abc", "X"),  # Go skips the empty match right after a match
    ("${V//b*/X}", "ab\nab", "aX\naX"),
    ("${V///X}", "ab", "XaXbX"),  # an empty pattern matches everywhere
    ("${V/?/X}", "ab", "Xb"),
]


@pytest.mark.parametrize(("word", "value", "expected"), PATTERNS)
def test_patterns(word: str, value: str, expected: str) -> None:
    assert expand(word, "\\", {"V": value}, "D line 1") == (expected, {})


def test_replace_all_expands_go_templates() -> None:
    # Go's ReplaceAllString reads `$0` in the replacement as the match; the single form does not.
    variables = {"V": "a?b", "R": "<$0$$${0}$x>"}
    assert expand("${V//\\?/$R}", "\\", variables, "D")[0] == "a<?$?>b"
    assert expand("${V/\\?/$R}", "\\", variables, "D")[0] == "a<$0$$${0}$x>b"


def test_pattern_matching_does_not_backtrack() -> None:
    # `*a*a...*b` on a run of `a`: exponential for a backtracking regex, linear per element here.
    word = "${V##" + "*a" * 30 + "*b}"
    assert expand(word, "\\", {"V": "a" * 3000}, "D line 1") == ("a" * 3000, {})
    assert expand("${V//" + "*a" * 30 + "*b/x}", "\\", {"V": "a" * 300}, "D") == ("a" * 300, {})
