"""BuildKit's own lexer tests run against hubaction.dockerfile.lexer: the ``envVarTest`` and
``wordsTest`` data files (tests/dockerfile/, copied unchanged) read as ``lex_test.go`` reads
them, and the table cases of ``lex_test.go``.

Every case is from github.com/moby/buildkit at commit 73ed6825c4b7569379ef89df0aedcdbe64473d31,
``frontend/dockerfile/shell/`` (the file named in each test). What lex_test.go checks besides
the result (the ``Matched``/``Unmatched`` sets of its linter) has no counterpart here:
hubaction reports the variables without a value instead (tests/test_dockerfile_lexer.py).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest
from _pytest.mark import ParameterSet

from hubaction.dockerfile.lexer import ShellError, ShellLexer
from hubaction.dockerfile.patterns import PatternError, regex_source, reverse_pattern

DATA = Path(__file__).parent / "dockerfile"
ERROR = "error"


def process(word: str, variables: Mapping[str, str]) -> str:
    """shlex.ProcessWord(word, env) with NewLex('\\\\')."""
    return ShellLexer(word, escape="\\", variables=variables).process()[0]


def process_words(word: str, variables: Mapping[str, str]) -> list[str]:
    """shlex.ProcessWords(word, env), an error as ["error"] as TestShellParser4Words has it."""
    try:
        return ShellLexer(word, escape="\\", variables=variables).process()[1]
    except ShellError:
        return [ERROR]


def data_lines(name: str) -> Iterator[tuple[int, str]]:
    # bufio.Scanner: lines without their "\n"; newline="" keeps a "\r" as Go would.
    with (DATA / name).open(encoding="utf-8", newline="") as file:
        for number, line in enumerate(file, 1):
            yield number, line.removesuffix("\n")


# -- lex_test.go TestShellParser4EnvVars, shell/envVarTest --------------------------------------

ENV_VAR_TEST_ENV = {"PWD": "/home", "SHELL": "bash", "KOREAN": "한국어", "NULL": ""}


def env_var_cases() -> list[ParameterSet]:
    cases = []
    for number, line in data_lines("envVarTest"):
        if line.startswith("#") or not line.strip():
            continue
        platform, source, expected = (part.strip() for part in line.strip().split("|"))
        assert platform in ("A", "U", "W"), f"envVarTest line {number}"
        if platform != "W":  # hubaction reads Dockerfiles as BuildKit on Linux does
            cases.append(pytest.param(source, expected, id=f"envVarTest:{number}:{source}"))
    return cases


@pytest.mark.parametrize(("source", "expected"), env_var_cases())
def test_env_var_test(source: str, expected: str) -> None:
    if expected == ERROR:
        with pytest.raises(ShellError):
            process(source, ENV_VAR_TEST_ENV)
    else:
        assert process(source, ENV_VAR_TEST_ENV) == expected


def test_env_var_test_is_all_there() -> None:
    assert len(env_var_cases()) == 228  # every A and U line


# -- lex_test.go TestShellParser4Words, shell/wordsTest ----------------------------------------
# Upstream loops over two modes but the second reads the already exhausted file, so only the
# normal mode (no RawQuotes, no SkipUnsetEnv) runs there; the same here.


def words_cases() -> list[ParameterSet]:
    cases = []
    env: dict[str, str] = {}
    for number, line in data_lines("wordsTest"):
        if line.startswith("#"):
            continue
        if line.startswith("ENV "):
            name, _, value = line[3:].lstrip(" ").partition("=")  # EnvsFromSlice: last wins
            env[name] = value
            continue
        source, expected = line.split("|")
        cases.append(
            pytest.param(
                source.strip(),
                dict(env),
                expected.lstrip(" ").split(","),
                id=f"wordsTest:{number}:{source.strip()}",
            )
        )
    return cases


@pytest.mark.parametrize(("source", "env", "expected"), words_cases())
def test_words_test(source: str, env: dict[str, str], expected: list[str]) -> None:
    assert process_words(source, env) == expected


def test_words_test_is_all_there() -> None:
    assert len(words_cases()) == 24  # every line but comments and ENV


# -- lex_test.go TestShellParserMandatoryEnvVars ---------------------------------------------

SET = {"VAR": "plain", "ARG": "x"}
EMPTY = {"VAR": "", "ARG": "x"}
UNSET = {"ARG": "x"}
MANDATORY: list[tuple[str, dict[str, str], str]] = [
    ("${VAR:?message here$ARG}", SET, "plain"),
    ("${VAR:?message here$ARG}", EMPTY, "error: message herex"),
    ("${VAR:?message here$ARG}", UNSET, "error: message herex"),
    ("${VAR?message here$ARG}", SET, "plain"),
    ("${VAR?message here$ARG}", EMPTY, ""),
    ("${VAR?message here$ARG}", UNSET, "error: message herex"),
]


@pytest.mark.parametrize(("word", "env", "expected"), MANDATORY)
def test_mandatory_env_vars(word: str, env: dict[str, str], expected: str) -> None:
    if expected.startswith("error: "):
        with pytest.raises(ShellError, match=expected.removeprefix("error: ")):
            process(word, env)
    else:
        assert process(word, env) == expected


# -- lex_test.go TestProcessWithMatches, TestProcessWithMatchesPlatform --------------------------

FOO_BAR = {"FOO": "xxx", "BAR": ""}
MATCHES: list[tuple[str, dict[str, str], str | None]] = [
    ("x", {"DUMMY": "dummy"}, "x"),
    ("x ${UNUSED}", {"DUMMY": "dummy"}, "x "),
    ("x ${FOO}", {"FOO": "y"}, "x y"),
    ("${FOO-aaa} ${BAR-bbb} ${BAZ-ccc}", FOO_BAR, "xxx  ccc"),
    ("${FOO:-aaa} ${BAR:-bbb} ${BAZ:-ccc}", FOO_BAR, "xxx bbb ccc"),
    ("${FOO:-}", FOO_BAR, "xxx"),
    ("${FOO:-}", {}, ""),
    ("${FOO+aaa} ${BAR+bbb} ${BAZ+ccc}", FOO_BAR, "aaa bbb "),
    ("${FOO:+aaa} ${BAR:+bbb} ${BAZ:+ccc}", FOO_BAR, "aaa  "),
    ("${FOO?aaa}", FOO_BAR, "xxx"),
    ("${BAR?bbb}", FOO_BAR, ""),
    ("${BAZ?ccc}", FOO_BAR, None),
    ("${FOO:?aaa}", FOO_BAR, "xxx"),
    ("${BAR:?bbb}", FOO_BAR, None),
    ("${BAZ:?ccc}", FOO_BAR, None),
    ("${BAZ:?}", FOO_BAR, None),
    ("${FOO=aaa}", FOO_BAR, None),
    ("${FOO=:aaa}", FOO_BAR, None),
    ("${FOO=}", {}, None),
    ("${FOO#()[]{\\}^$.\\*\\?|\\\\}", {"FOO": "()[]{}^$.*?|\\x"}, "x"),
    ("${FOO%%\\**}", {"FOO": "xx**"}, "xx"),
    ("${FOO#*x*y}", {"FOO": "xxyy"}, "y"),
    ("${FOO#*}", {"FOO": "xxyy"}, "xxyy"),
    ("${FOO#$BAR}", {"FOO": "xxyy", "BAR": "x"}, "xyy"),
    ("${FOO#$BAR}", {"FOO": "xxyy", "BAR": ""}, "xxyy"),
    ("${FOO#}", {"FOO": "xxyy"}, "xxyy"),
    ("${FOO##*x}", {"FOO": "xxyy"}, "yy"),
    ("${FOO##}", {"FOO": "xxyy"}, "xxyy"),
    ("${FOO#?\\?}", {"FOO": "???y"}, "?y"),
    ("${ABC:-.}${FOO%x}${ABC:-.}", {"FOO": "xxyy"}, ".xxyy."),
    ("${FOO%%\\**\\*}", {"FOO": "a***yy*"}, "a"),
    ("${FOO%}", {"FOO": "xxyy"}, "xxyy"),
    ("${FOO%%$BAR}", {"FOO": "xxyy", "BAR": ""}, "xxyy"),
    ("${FOO:#}", {}, None),
    ("${FOO:##}", {}, None),
    ("${FOO:%}", {}, None),
    ("${FOO:%%}", {}, None),
    (
        "${FOO/$NEEDLE/.} - ${FOO//$NEEDLE/.}",
        {"FOO": "/foo*/*/*.txt", "NEEDLE": "\\*/"},
        "/foo.*/*.txt - /foo..*.txt",
    ),
    (
        "${FOO/$NEEDLE/} - ${FOO//$NEEDLE/}",
        {"FOO": "/tmp/tmp/bar.txt", "NEEDLE": "/tmp"},
        "/tmp/bar.txt - /bar.txt",
    ),
    (
        "${FOO/$NEEDLE/$REPLACEMENT} - ${FOO//$NEEDLE/$REPLACEMENT}",
        {"FOO": "/a/foo/b/c.txt", "NEEDLE": "/?/", "REPLACEMENT": "/"},
        "/foo/b/c.txt - /foo/c.txt",
    ),
    (
        "${FOO/$NEEDLE/$REPLACEMENT}",
        {"FOO": "http://google.de", "NEEDLE": "http://", "REPLACEMENT": "https://"},
        "https://google.de",
    ),
    ("${FOO//\\//\\/}", {"FOO": "/tmp/foo.txt"}, "\\/tmp\\/foo.txt"),
    ("${FOO/$BAR/ww}", {"FOO": "xxyy", "BAR": ""}, "wwxxyy"),
    ("${FOO//ww}", {"FOO": "xxyy"}, None),
    ("${FOO//}", {"FOO": "xxyy"}, None),
    ("${FOO///}", {"FOO": "xxyy"}, "xxyy"),
    ("${FOO///}", {}, ""),
]
RELEASE = "something-${VERSION}.${TARGETOS}-${TARGETARCH}${TARGETVARIANT:+-${TARGETVARIANT}}.tar.gz"
PLATFORM = {"VERSION": "v1.2.3", "TARGETOS": "linux"}
MATCHES += [
    (
        RELEASE,
        PLATFORM | {"TARGETARCH": "arm", "TARGETVARIANT": "v7"},
        "something-v1.2.3.linux-arm-v7.tar.gz",
    ),
    (
        RELEASE,
        PLATFORM | {"TARGETARCH": "arm64", "TARGETVARIANT": ""},
        "something-v1.2.3.linux-arm64.tar.gz",
    ),
    (RELEASE, PLATFORM | {"TARGETARCH": "arm64"}, "something-v1.2.3.linux-arm64.tar.gz"),
]


@pytest.mark.parametrize(("word", "env", "expected"), MATCHES)
def test_process_with_matches(word: str, env: dict[str, str], expected: str | None) -> None:
    if expected is None:
        with pytest.raises(ShellError):
            process(word, env)
    else:
        assert process(word, env) == expected


# -- lex_test.go TestConvertShellPatternToRegex, TestReversePattern ----------------------------


@pytest.mark.parametrize(
    ("pattern", "regex"),
    [
        ("*", "^.*"),
        ("?", "^."),
        ("\\*", "^\\*"),
        ("(()[]{\\}^$.\\*\\?|\\\\", "^\\(\\(\\)\\[\\]\\{\\}\\^\\$\\.\\*\\?\\|\\\\"),
    ],
)
def test_convert_shell_pattern_to_regex(pattern: str, regex: str) -> None:
    assert regex_source(pattern, greedy=True, anchored=True) == regex


@pytest.mark.parametrize("pattern", ["\\", "\\x", "\\\\\\"])
def test_convert_shell_pattern_to_regex_refuses(pattern: str) -> None:
    with pytest.raises(PatternError):
        regex_source(pattern, greedy=True, anchored=True)


@pytest.mark.parametrize(
    ("pattern", "reversed_pattern"),
    [
        ("a\\*c", "c\\*a"),
        ("\\\\\\ab", "b\\a\\\\"),
        ("ab\\", "\\ba"),
        ("👽\\🚀🖖", "🖖\\🚀👽"),
        ("\\\\b", "b\\\\"),
    ],
)
def test_reverse_pattern(pattern: str, reversed_pattern: str) -> None:
    assert reverse_pattern(pattern) == reversed_pattern
