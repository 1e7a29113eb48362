"""Tests for registry.errors: hostile error bodies, parse_error_body, and network failures
as exceptions with their fields (network_error).

HTTP answers come from requests-mock's adapter: real ``requests.Response`` objects.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from urllib.parse import quote, quote_plus, unquote_plus

import pytest
import requests
from error_responses import WHAT, mock_response, oci_errors
from hypothesis import given, settings
from hypothesis import strategies as st
from test_transport import EndlessBody

from hubaction.errors import CorruptBody, Kind, RegistryError, Service, describe
from hubaction.oci.wire import quote_bounded, remember_secret, scrub, show_bounded
from hubaction.registry.errors import error_for, network_error, parse_error_body
from hubaction.registry.transport import quoted_url, read_body, redact_url

# ---------------------------------------------------------------------------------------------
# Hostile error bodies


HOSTILE_BODIES: list[tuple[str, bytes]] = [
    ("huge non-JSON", b"<html>" + b"A" * 5_000_000),
    (
        "huge JSON message",
        json.dumps({"errors": [{"code": "X", "message": "m" * 200_000}]}).encode(),
    ),
    ("huge JSON code", json.dumps({"errors": [{"code": "C" * 100_000, "message": "m"}]}).encode()),
    ("many errors", oci_errors(*[("CODE", "message " * 100)] * 1000)),
    ("newlines", oci_errors(("UNKNOWN", "line1\nline2\r\n::error::injected\n\n"))),
    ("detail newlines", b'{"detail": "a\\nb\\n::warning::x"}'),
    ("binary", bytes(range(256)) * 100),
    ("errors not a list", b'{"errors": "nope"}'),
    ("errors of strings", b'{"errors": ["a", "b"]}'),
    ("code not a string", b'{"errors": [{"code": 5, "message": ["x"]}]}'),
    ("deep nesting", b"[" * 100_000),
    ("top-level list", b'[{"code": "X"}]'),
    ("invalid utf-8", b'{"detail": "\xff\xfe"}'),
]


@pytest.mark.parametrize("body", [b for _, b in HOSTILE_BODIES], ids=[i for i, _ in HOSTILE_BODIES])
@pytest.mark.parametrize("status", [401, 404, 429, 500])
@pytest.mark.parametrize("service", list(Service))
def test_hostile_bodies_give_one_bounded_line(status: int, body: bytes, service: Service) -> None:
    error = error_for(mock_response(status, body), what=WHAT, service=service)
    message = describe(error)
    assert "\n" not in message
    assert "\r" not in message
    assert len(message) < 2500
    assert message.startswith(WHAT)
    assert len(error.details) <= 5


def test_error_for_reads_a_bounded_part_of_an_endless_streamed_body() -> None:
    endless = EndlessBody()
    error = error_for(mock_response(500, endless), what=WHAT)
    assert type(error) is RegistryError
    assert endless.sent <= 1024 * 1024


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (oci_errors(("A", "a"), ("B", "b")), ["A: a", "B: b"]),
        (b'{"errors": [{"code": "A"}]}', ["A"]),
        (b'{"errors": [{"message": "only message"}]}', ["only message"]),
        (b'{"detail": "d"}', ["d"]),
        (b'{"message": "m"}', ["m"]),
        (b'{"error": "e"}', ["e"]),
        # The OCI list wins over the Hub fields.
        (b'{"errors": [{"code": "A", "message": "a"}], "detail": "d"}', ["A: a"]),
        (b'{"detail": "d", "message": "m"}', ["d"]),
        (b'{"detail": ""}', []),
        (b"", []),
        (b"not json", []),
        (b"[]", []),
        (oci_errors(*[("C", str(i)) for i in range(10)]), [f"C: {i}" for i in range(5)]),
    ],
)
def test_parse_error_body(body: bytes, expected: list[str]) -> None:
    assert [str(d) for d in parse_error_body(body)] == expected


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=2048))
def test_property_parse_error_body_never_raises(body: bytes) -> None:
    for detail in parse_error_body(body):
        assert "\n" not in str(detail)
        assert len(detail.code) <= 300
        assert len(detail.message) <= 300


# ---------------------------------------------------------------------------------------------
# network_error


@pytest.mark.parametrize(
    ("exc", "service", "kind", "fact", "todo"),
    [
        (
            requests.exceptions.SSLError("certificate verify failed"),
            Service.REGISTRY,
            Kind.TLS_FAILED,
            "TLS verification of registry.test failed (certificate verify failed)",
            "REQUESTS_CA_BUNDLE",
        ),
        (
            requests.exceptions.ReadTimeout("read timed out"),
            Service.REGISTRY,
            Kind.TIMEOUT,
            "registry.test did not answer in time (timeout)",
            "retry later",
        ),
        (
            requests.exceptions.ConnectionError(OSError(111, "Connection refused")),
            Service.REGISTRY,
            Kind.UNREACHABLE,
            "could not connect to registry.test ([Errno 111] Connection refused)",
            "Check the registry address",
        ),
        (
            requests.exceptions.ConnectionError("refused"),
            Service.HUB_API,
            Kind.UNREACHABLE,
            "could not connect to registry.test",
            "Check `hub-url`",
        ),
    ],
)
def test_network_error(
    exc: requests.RequestException, service: Service, kind: Kind, fact: str, todo: str
) -> None:
    error = network_error(exc, what=WHAT, url="https://user:pw@registry.test/v2/", service=service)
    assert (type(error), error.kind, error.service, error.status) == (
        RegistryError,
        kind,
        service,
        None,
    )
    assert str(error).startswith(f"{WHAT}: {fact}")
    assert todo in describe(error)
    assert "pw" not in describe(error)


# ---------------------------------------------------------------------------------------------
# Secrets echoed in error bodies (issue 13 §3): hidden before any folding, escaping or cut


def eight_grams(text: str) -> set[str]:
    return {text[i : i + 8] for i in range(len(text) - 7)}


def leaked(secret: str, message: str) -> set[str]:
    """The 8-character pieces of ``secret`` that ``message`` shows."""
    return {gram for gram in eight_grams(secret) if gram in message}


# Each secret sits where the old order (fold, cut at 300, then scrub) showed part of it.
ECHOED = {
    "long, straddling the cut": ("x" * 280, "Lg" + "0123456789abcdef" * 8),
    "long, past the cut": ("y" * 299, "Pc" + "fedcba9876543210" * 8),
    "two spaces": ("bad password:", "correct  horse  battery  staple"),
    "a tab and newline": ("bad password:", "tab\there\nnewline-pw"),
    "backslashes": ("bad password:", "C:\\pass\\word\\n0t-a-newline"),
}


@pytest.mark.parametrize(("before", "secret"), ECHOED.values(), ids=list(ECHOED))
@pytest.mark.parametrize("where", ["message", "code", "detail", "reason"])
def test_an_echoed_password_is_hidden_before_the_text_is_folded_or_cut(
    before: str, secret: str, where: str
) -> None:
    text = f"{before} {secret} (end)"
    if where == "reason":
        response, body = mock_response(500, b"", reason=text), b""
    elif where == "detail":
        response, body = mock_response(401), json.dumps({"detail": text}).encode()
    else:
        other = "message" if where == "code" else "code"
        doc = {"errors": [{where: text, other: "X"}]}
        response, body = mock_response(401), json.dumps(doc).encode()
    error = error_for(response, what=WHAT, body=body, secrets=[secret])
    message = describe(error)
    assert leaked(secret, message) == set()
    assert leaked(secret, repr(error.details)) == set()
    cut = 100 if where == "reason" else 300  # the mask itself may be past the cut
    assert "***" in message or len(before) + 4 > cut


def test_known_secrets_are_hidden_without_being_passed() -> None:
    secret = "kn0wn  secret\\with\\backslashes-" + "k" * 300
    remember_secret(secret)
    body = json.dumps({"errors": [{"code": "DENIED", "message": f"no: {secret}"}]}).encode()
    message = describe(error_for(mock_response(403), what=WHAT, body=body))
    assert leaked(secret, message) == set()
    assert "no: ***" in message


@pytest.mark.parametrize("limit", [20, 40, 200])
@pytest.mark.parametrize("offset", [0, 5, 15, 30, 190])
def test_a_quote_never_shows_part_of_a_known_secret(limit: int, offset: int) -> None:
    secret = "q\\u0074e  s3cret\\x" + "Q" * 40
    remember_secret(secret)
    text = "a" * offset + secret + "b" * 300
    shown = quote_bounded(text, limit)
    assert leaked(secret, shown) == set()
    assert leaked(secret, show_bounded({"k": [text, {"deep": text}]}, limit)) == set()
    assert leaked(secret, show_bounded({text: 1}, limit)) == set()


def test_scrub_hides_overlapping_and_encoded_forms() -> None:
    one, two = "abcdefgh12", "gh12345678"
    assert scrub("<abcdefgh12345678>", [one, two]) == "<***>"
    assert scrub("p%40ss%2Fword%20x", ["p@ss/word x"]) == "***"
    assert scrub(repr('it\'s\\ "a" secret'), ['it\'s\\ "a" secret']) == "'***'"
    assert scrub("short and shorts", ["short"]) == "short and shorts"  # below MIN_SCRUB_LENGTH


def test_network_errors_quote_no_known_secret() -> None:
    secret = "net-s3cret-" + "n" * 250
    remember_secret(secret)
    exc = requests.ConnectionError(f"failed for https://u:{secret}@host/ and more text")
    message = describe(network_error(exc, what=WHAT, url="https://host/v2/"))
    assert leaked(secret, message) == set()


# ---------------------------------------------------------------------------------------------
# The body reader's errors say who sent the body (issue 13 §3)


@pytest.mark.parametrize(
    ("headers", "words"),
    [({"Content-Length": "4096"}, "over the 100-byte limit"), ({}, "exceeds the 100-byte")],
)
@pytest.mark.parametrize("service", [Service.REGISTRY, Service.REALM, Service.HUB_API])
def test_a_body_over_its_limit_names_the_service_and_registry(
    headers: dict[str, str], words: str, service: Service
) -> None:
    response = mock_response(200, b"x" * 4096, headers=headers)
    with pytest.raises(RegistryError) as info:
        read_body(response, limit=100, what=WHAT, service=service, registry="reg.example")
    assert words in str(info.value)
    assert (info.value.service, info.value.registry) == (service, "reg.example")


def test_a_truncated_body_names_the_service_and_registry() -> None:
    response = mock_response(200, b"x" * 10, headers={"Content-Length": "20"})
    with pytest.raises(CorruptBody) as info:
        read_body(response, limit=100, what=WHAT, service=Service.REALM, registry="r.example")
    assert (info.value.service, info.value.registry) == (Service.REALM, "r.example")


# ---------------------------------------------------------------------------------------------
# URLs quoted in messages: a known secret in a path segment or a query value, in any encoding


@pytest.mark.parametrize(
    "encode",
    [
        lambda s: s,
        lambda s: quote(s, safe=""),
        lambda s: quote_plus(s),
        lambda s: quote(quote(s, safe=""), safe=""),  # encoded twice (a proxy)
        lambda s: quote(s, safe=":/@ "),  # an encoder that escapes less
    ],
    ids=["raw", "quote", "quote_plus", "twice", "lenient"],
)
def test_a_quoted_url_hides_a_known_secret_in_any_encoding(encode: Callable[[str], str]) -> None:
    secret = "url s3cret/with@odd:chars 100%"
    remember_secret(secret)
    url = f"https://reg.example/v2/app/{encode(secret)}/tags?cursor={encode(secret)}&n=10"
    for shown in (redact_url(url), quoted_url(url)):
        assert leaked(secret, unquote_plus(unquote_plus(shown))) == set(), shown
        assert shown.startswith("https://reg.example/") and "n=10" in shown


def test_a_url_without_secrets_is_shown_as_it_is() -> None:
    remember_secret("unrelated-secret-value")
    url = "https://reg.example/v2/app/tags/list?last=1.0&n=10"
    assert redact_url(url) == url
