"""Tests for hubaction.oci.challenge: WWW-Authenticate (RFC 9110 §11.6.1) and Challenge."""

from __future__ import annotations

import pytest

from hubaction.errors import InvalidHeader, RegistryError
from hubaction.oci.challenge import (
    Challenge,
    parse_www_authenticate,
    parse_www_authenticate_headers,
)

# --- WWW-Authenticate: valid ------------------------------------------------------------------

VALID_CHALLENGES: list[tuple[str, list[tuple[str, dict[str, str]]]]] = [
    # The distribution registry (registry:2 with token auth), as used by the integration tests.
    (
        'Bearer realm="http://127.0.0.1:5003/token",service="test-registry",'
        'scope="repository:a/b:pull"',
        [
            (
                "bearer",
                {
                    "realm": "http://127.0.0.1:5003/token",
                    "service": "test-registry",
                    "scope": "repository:a/b:pull",
                },
            )
        ],
    ),
    # A token without the scope a request needs (RFC 6750 §3.1).
    (
        'Bearer realm="http://127.0.0.1:5003/token",service="test-registry",'
        'scope="repository:a/b:pull,push",error="insufficient_scope"',
        [
            (
                "bearer",
                {
                    "realm": "http://127.0.0.1:5003/token",
                    "service": "test-registry",
                    "scope": "repository:a/b:pull,push",
                    "error": "insufficient_scope",
                },
            )
        ],
    ),
    # Docker Hub.
    (
        'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",'
        'scope="repository:library/alpine:pull"',
        [
            (
                "bearer",
                {
                    "realm": "https://auth.docker.io/token",
                    "service": "registry.docker.io",
                    "scope": "repository:library/alpine:pull",
                },
            )
        ],
    ),
    # ghcr.io.
    (
        'Bearer realm="https://ghcr.io/token",service="ghcr.io",'
        'scope="repository:owner/image:pull"',
        [
            (
                "bearer",
                {
                    "realm": "https://ghcr.io/token",
                    "service": "ghcr.io",
                    "scope": "repository:owner/image:pull",
                },
            )
        ],
    ),
    # Several scopes in one parameter, space-separated (distribution token spec).
    (
        'Bearer realm="https://r/token",scope="repository:a:pull repository:b:pull"',
        [("bearer", {"realm": "https://r/token", "scope": "repository:a:pull repository:b:pull"})],
    ),
    # ECR-style Basic challenge.
    (
        'Basic realm="https://123.dkr.ecr.us-east-1.amazonaws.com/",service="ecr.amazonaws.com"',
        [
            (
                "basic",
                {
                    "realm": "https://123.dkr.ecr.us-east-1.amazonaws.com/",
                    "service": "ecr.amazonaws.com",
                },
            )
        ],
    ),
    # Two challenges in one header.
    (
        'Basic realm="a", Bearer realm="b",service="c"',
        [("basic", {"realm": "a"}), ("bearer", {"realm": "b", "service": "c"})],
    ),
    # Escaped quotes and backslashes, and commas inside quotes.
    (
        r'Bearer realm="say \"hi\", ok",service="back\\slash"',
        [("bearer", {"realm": 'say "hi", ok', "service": "back\\slash"})],
    ),
    # Escaping an ordinary character yields that character (RFC 9110 §5.6.4).
    (r'Basic realm="\a\b"', [("basic", {"realm": "ab"})]),
    # Token (unquoted) values and whitespace around '=' (BWS).
    (
        "Bearer realm = r.example , service\t=\tr",
        [("bearer", {"realm": "r.example", "service": "r"})],
    ),
    # Case-insensitive scheme and parameter names; values keep their case.
    ('BEARER Realm="R",SERVICE="S"', [("bearer", {"realm": "R", "service": "S"})]),
    # RFC 9110 asks for 1*SP after the scheme; a tab is accepted too (robustness).
    ("Bearer\trealm=x", [("bearer", {"realm": "x"})]),
    ("Bearer realm=a,", [("bearer", {"realm": "a"})]),
    # Empty list elements (RFC 9110 §5.6.1).
    (
        ', ,Basic realm="a" , , Bearer realm="b",, service="c",',
        [("basic", {"realm": "a"}), ("bearer", {"realm": "b", "service": "c"})],
    ),
    # Empty quoted string.
    ('Basic realm=""', [("basic", {"realm": ""})]),
    # A scheme with nothing after it, alone and followed by another challenge.
    ("Bearer", [("bearer", {})]),
    ('Negotiate, Basic realm="x"', [("negotiate", {}), ("basic", {"realm": "x"})]),
    # Empty header: no challenges.
    ("", []),
    (" , ", []),
    # obs-text in a quoted string (header bytes decoded as ISO-8859-1).
    ('Basic realm="caf\xe9"', [("basic", {"realm": "caf\xe9"})]),
]


@pytest.mark.parametrize(("header", "expected"), VALID_CHALLENGES)
def test_parse_www_authenticate_valid(
    header: str, expected: list[tuple[str, dict[str, str]]]
) -> None:
    challenges = parse_www_authenticate(header)
    assert [(c.scheme, dict(c.params), c.token68) for c in challenges] == [
        (scheme, params, None) for scheme, params in expected
    ]


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("Negotiate abc==", [("negotiate", "abc==")]),
        ("Negotiate YII+/w==", [("negotiate", "YII+/w==")]),
        ("Negotiate abc=", [("negotiate", "abc=")]),
        ("Negotiate abc", [("negotiate", "abc")]),
        # `realm` and `realm=` with nothing after them are token68 by the grammar.
        ("Bearer realm", [("bearer", "realm")]),
        ("Bearer realm=", [("bearer", "realm=")]),
        ("Negotiate abc== , Basic", [("negotiate", "abc=="), ("basic", None)]),
    ],
)
def test_parse_www_authenticate_token68(
    header: str, expected: list[tuple[str, str | None]]
) -> None:
    challenges = parse_www_authenticate(header)
    assert [(c.scheme, c.token68) for c in challenges] == expected
    assert all(not c.params for c in challenges)


def test_token68_followed_by_param_form_is_params() -> None:
    # `abc=def` looks like the start of a token68 but is a parameter.
    (challenge,) = parse_www_authenticate("Custom abc=def")
    assert challenge.token68 is None
    assert dict(challenge.params) == {"abc": "def"}


INVALID_CHALLENGES: list[tuple[str, str]] = [
    ('Bearer realm="unterminated', "never closed"),
    ('realm="x"', "not preceded by an auth scheme"),
    ('realm = "x", Bearer', "not preceded by an auth scheme"),
    ("=", "expected an auth scheme"),
    ('"Bearer"', "expected an auth scheme"),
    ('Bearer realm="a" service="b"', "expected ','"),
    ('Bearer realm="a" garbage', "expected ','"),
    # `realm=` alone is a token68, so the parameter after it has no scheme.
    ('Bearer realm=,service="x"', "'service' is not preceded by an auth scheme"),
    ('Bearer "x"', "expected a parameter name"),
    ('Bearer realm="a", realm="b"', "appears twice"),
    ('Bearer realm="a", REALM="b"', "appears twice"),
    # Messages name a parameter as written and point at where it starts.
    ('Bearer realm="a", REALM="b"', "'REALM' appears twice in one challenge at character 18"),
    ('Bearer Realm="a" x', "expected ',' or the end after parameter 'Realm', found 'x'"),
    ('Bearer realm="a\x01b"', "control character"),
    ('Bearer realm="a\\', "backslash"),
    ('Bearer realm="a\\\x01"', "backslash"),
    ('Bearer"x"', "unexpected"),
    ("Bearer realm=a b", "expected ','"),
    ("Bearer a=b c", "expected ','"),
    ("Négociation", "unexpected 'é' after auth scheme 'N'"),
    ("Basic realm=\u263a", "expected a token or a quoted string"),
    # A URL is not a token: it must be quoted.
    ("Bearer realm=https://r/token", "expected ','"),
]


@pytest.mark.parametrize(("header", "fragment"), INVALID_CHALLENGES)
def test_parse_www_authenticate_invalid(header: str, fragment: str) -> None:
    with pytest.raises(InvalidHeader) as info:
        parse_www_authenticate(header)
    message = str(info.value)
    assert fragment in message
    assert repr(header) in message  # the header is quoted
    assert "WWW-Authenticate" in message
    assert isinstance(info.value, RegistryError)


def test_long_malformed_header_is_truncated_in_message() -> None:
    header = 'Bearer realm="' + "x" * 5000
    with pytest.raises(InvalidHeader) as info:
        parse_www_authenticate(header)
    message = str(info.value)
    assert len(message) < 600
    assert "truncated, 5014 characters" in message


def test_parse_www_authenticate_headers_concatenates_lines() -> None:
    challenges = parse_www_authenticate_headers(['Basic realm="a"', "", 'Bearer realm="b"'])
    assert [c.scheme for c in challenges] == ["basic", "bearer"]
    with pytest.raises(InvalidHeader):
        parse_www_authenticate_headers(['Basic realm="a"', 'realm="b"'])


# --- Challenge ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("challenge", "text"),
    [
        (
            Challenge("Bearer", {"realm": "https://r/token", "service": "r"}),
            'Bearer realm="https://r/token",service="r"',
        ),
        (Challenge("BASIC", {"Realm": "a"}), 'Basic realm="a"'),
        (Challenge("negotiate", token68="abc=="), "Negotiate abc=="),
        (Challenge("x-custom", {"a": 'q"b\\'}), r'x-custom a="q\"b\\"'),
        (Challenge("bearer"), "Bearer"),
    ],
)
def test_challenge_str(challenge: Challenge, text: str) -> None:
    assert str(challenge) == text
    assert parse_www_authenticate(text) == [challenge]


def test_challenge_is_frozen_and_hashable() -> None:
    params = {"realm": "a", "scope": "repository:a:pull repository:b:pull"}
    challenge = Challenge("Bearer", params)
    params["realm"] = "changed"  # the challenge took a copy
    assert challenge.realm == "a"
    assert challenge.scopes == ("repository:a:pull", "repository:b:pull")
    assert challenge.service is None
    assert challenge.error is None
    with pytest.raises(TypeError):
        challenge.params["realm"] = "b"  # type: ignore[index]
    same = Challenge("bearer", {"scope": params["scope"], "REALM": "a"})
    assert challenge == same
    assert hash(challenge) == hash(same)
    assert len({challenge, same}) == 1


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"scheme": "Bear er"}, "not an RFC 9110 token"),
        ({"scheme": ""}, "not an RFC 9110 token"),
        ({"scheme": "b", "params": {"a b": "x"}}, "not an RFC 9110 token"),
        ({"scheme": "b", "params": {"a": "x\ny"}}, "quoted-string cannot carry"),
        ({"scheme": "b", "params": {"a": "1", "A": "2"}}, "given twice"),
        ({"scheme": "b", "token68": "a b"}, "token68"),
        ({"scheme": "b", "token68": "abc", "params": {"a": "1"}}, "not both"),
    ],
)
def test_challenge_rejects_unrepresentable(kwargs: dict[str, object], fragment: str) -> None:
    with pytest.raises(ValueError, match=fragment):
        Challenge(**kwargs)  # type: ignore[arg-type]
