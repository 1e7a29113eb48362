"""Tests for the error model: registry.errors (answers and network failures as exceptions
with their fields) and hubaction.errors (kinds, advice, describe, wrapping).

HTTP answers come from requests-mock's adapter: real ``requests.Response`` objects.
"""

from __future__ import annotations

import email.utils
import io
import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pytest
import requests
import requests_mock
from hypothesis import given, settings
from hypothesis import strategies as st
from test_transport import EndlessBody

from hubaction.errors import (
    ADVICE,
    DigestMismatch,
    ErrorDetail,
    HubActionError,
    InvalidInput,
    Kind,
    NotFound,
    PlatformNotFound,
    RateLimited,
    RegistryError,
    Service,
    Unauthorized,
    advice,
    describe,
)
from hubaction.registry.errors import (
    check_response,
    error_for,
    network_error,
    parse_error_body,
    parse_retry_after,
)
from hubaction.registry.transport import read_body

URL = "mock://registry.test/v2/org/app/manifests/1"
WHAT = "manifest of registry.test/org/app:1"
REGISTRY, REPOSITORY = "registry.test", "org/app"


def _mock_response(
    status: int,
    body: bytes | io.RawIOBase = b"",
    *,
    headers: Mapping[str, str] | None = None,
    method: str = "GET",
    reason: str | None = None,
) -> requests.Response:
    """A real requests.Response, answered by requests-mock's adapter."""
    session = requests.Session()
    adapter = requests_mock.Adapter()
    session.mount("mock://", adapter)
    answer: dict[str, Any] = {"status_code": status, "headers": dict(headers or {})}
    if isinstance(body, bytes):
        answer["content"] = body
    else:
        answer["body"] = body  # a file-like object, read as the client reads
    if reason is not None:
        answer["reason"] = reason
    adapter.register_uri(method, URL, **answer)
    return session.request(method, URL, stream=True)


def _oci(*errors: tuple[str, str]) -> bytes:
    return json.dumps(
        {"errors": [{"code": c, "message": m, "detail": {"x": 1}} for c, m in errors]}
    ).encode()


# ---------------------------------------------------------------------------------------------
# error_for: status x OCI codes x service -> class, kind, fields, facts, advice


@dataclass(frozen=True)
class Case:
    status: int
    body: bytes
    service: Service
    error: type[HubActionError]
    kind: Kind
    facts: tuple[str, ...] = ()  # in str(error): what failed and why
    todo: str | None = None  # in the advice describe() adds: what to do
    codes: tuple[str, ...] = ()
    headers: dict[str, str] = field(default_factory=dict)
    context: dict[str, Any] = field(default_factory=dict)  # user, anonymous, quota


REG, REALM, API, LOGIN = Service.REGISTRY, Service.REALM, Service.HUB_API, Service.HUB_LOGIN
HUB_401 = b'{"detail": "Incorrect authentication credentials"}'

CASES: dict[str, Case] = {
    "registry 401": Case(
        401,
        _oci(("UNAUTHORIZED", "authentication required")),
        REG,
        Unauthorized,
        Kind.CREDENTIALS_REFUSED,
        ("401", "UNAUTHORIZED: authentication required"),
        "Check the username and password or token",
        codes=("UNAUTHORIZED",),
    ),
    "registry 401, no body": Case(401, b"", REG, Unauthorized, Kind.CREDENTIALS_REFUSED, ("401",)),
    "registry 403": Case(
        403,
        _oci(("DENIED", "requested access to the resource is denied")),
        REG,
        Unauthorized,
        Kind.ACCESS_DENIED,
        ("403", "DENIED: requested access to the resource is denied"),
        "check the token's scopes",
        codes=("DENIED",),
    ),
    "NAME_UNKNOWN": Case(
        404,
        _oci(("NAME_UNKNOWN", "repository name not known to registry")),
        REG,
        NotFound,
        Kind.REPOSITORY,
        ("NAME_UNKNOWN", "repository name not known to registry"),
        "Check the repository name",
        codes=("NAME_UNKNOWN",),
    ),
    "lowercase code": Case(
        404,
        _oci(("name_unknown", "lowercase code")),
        REG,
        NotFound,
        Kind.REPOSITORY,
        ("name_unknown",),
        codes=("NAME_UNKNOWN",),
    ),
    "MANIFEST_UNKNOWN": Case(
        404,
        _oci(("MANIFEST_UNKNOWN", "manifest unknown")),
        REG,
        NotFound,
        Kind.MANIFEST,
        ("MANIFEST_UNKNOWN: manifest unknown",),
        "Check the tag or digest",
        codes=("MANIFEST_UNKNOWN",),
    ),
    "BLOB_UNKNOWN": Case(
        404,
        _oci(("BLOB_UNKNOWN", "blob unknown to registry")),
        REG,
        NotFound,
        Kind.BLOB,
        ("BLOB_UNKNOWN", "blob not found"),
        codes=("BLOB_UNKNOWN",),
    ),
    "404, no body": Case(404, b"", REG, NotFound, Kind.MANIFEST, ("404",)),
    "404, HTML": Case(404, b"<html>Not Found</html>", REG, NotFound, Kind.MANIFEST, ("404",)),
    # A repository error wins over a manifest one in the same body.
    "two codes": Case(
        404,
        _oci(("MANIFEST_UNKNOWN", "m"), ("NAME_UNKNOWN", "n")),
        REG,
        NotFound,
        Kind.REPOSITORY,
        ("MANIFEST_UNKNOWN: m; NAME_UNKNOWN: n",),
        codes=("MANIFEST_UNKNOWN", "NAME_UNKNOWN"),
    ),
    "registry 429": Case(
        429,
        _oci(("TOOMANYREQUESTS", "You have reached your pull rate limit")),
        REG,
        RateLimited,
        Kind.PULL_RATE_LIMIT,
        ("429", "TOOMANYREQUESTS", "Retry after about 30 s"),
        "digest-only",
        codes=("TOOMANYREQUESTS",),
        headers={"Retry-After": "30"},
    ),
    "registry 429, no body": Case(429, b"", REG, RateLimited, Kind.PULL_RATE_LIMIT, ("429",)),
    "registry 500": Case(
        500,
        _oci(("UNKNOWN", "unknown error")),
        REG,
        RegistryError,
        Kind.SERVER_FAILED,
        ("500", "UNKNOWN: unknown error"),
        "retry later",
        codes=("UNKNOWN",),
    ),
    "502 HTML": Case(
        502, b"<html>Bad Gateway</html>", REG, RegistryError, Kind.SERVER_FAILED, ("502",)
    ),
    "503": Case(503, b"", REG, RegistryError, Kind.SERVER_FAILED, ("503",), "retry later"),
    "400": Case(
        400,
        _oci(("MANIFEST_INVALID", "manifest invalid")),
        REG,
        RegistryError,
        Kind.REQUEST_REFUSED,
        ("400", "MANIFEST_INVALID"),
        "refused",
        codes=("MANIFEST_INVALID",),
    ),
    "405": Case(
        405,
        _oci(("UNSUPPORTED", "The operation is unsupported.")),
        REG,
        RegistryError,
        Kind.REQUEST_REFUSED,
        ("405", "UNSUPPORTED"),
        codes=("UNSUPPORTED",),
    ),
    # Docker Hub's shapes, from the registry.
    "registry 401, Hub detail": Case(
        401,
        HUB_401,
        REG,
        Unauthorized,
        Kind.CREDENTIALS_REFUSED,
        ("Incorrect authentication credentials",),
    ),
    "404, Hub message": Case(
        404,
        b'{"message": "httperror 404: object not found"}',
        REG,
        NotFound,
        Kind.MANIFEST,
        ("httperror 404: object not found",),
    ),
    "500, error": Case(500, b'{"error": "internal"}', REG, RegistryError, Kind.SERVER_FAILED),
    # A registry's token service.
    "realm 401 with credentials": Case(
        401,
        b'{"details": "bad creds"}',
        REALM,
        Unauthorized,
        Kind.CREDENTIALS_REFUSED,
        ("token service refused user 'alice' (401)",),
        "Check the username and password or token",
        context={"user": "alice"},
    ),
    "realm 403 anonymous": Case(
        403,
        b"",
        REALM,
        Unauthorized,
        Kind.NEEDS_CREDENTIALS,
        ("token service refused anonymous access (403)",),
        "supply credentials: the repository may be private",
        context={"anonymous": True},
    ),
    "realm 500": Case(500, b"", REALM, RegistryError, Kind.SERVER_FAILED, ("token service",)),
    # Docker Hub's API.
    "Hub 401 anonymous": Case(
        401,
        b'{"detail": "Authentication credentials were not provided."}',
        API,
        Unauthorized,
        Kind.NEEDS_CREDENTIALS,
        ("Docker Hub answered 401", "this needs credentials", "were not provided"),
        "Set `username` and `password`",
        context={"anonymous": True},
    ),
    "Hub 401 with a token": Case(
        401,
        b'{"detail": "Token is invalid"}',
        API,
        Unauthorized,
        Kind.CREDENTIALS_REFUSED,
        ("refused the login token (401) (Token is invalid)",),
        "personal access token's scopes",
    ),
    "Hub 403": Case(
        403,
        b'{"detail": "nope"}',
        API,
        Unauthorized,
        Kind.ACCESS_DENIED,
        ("Docker Hub denied access (403) (nope)",),
        "membership of the namespace",
    ),
    "Hub 429 with quota": Case(
        429,
        b'{"detail": "rate limited"}',
        API,
        RateLimited,
        Kind.API_RATE_LIMIT,
        ("Docker Hub's API rate limit was hit (limit 180 per minute)", "about 7 s"),
        "log in for a higher limit",
        headers={"X-Retry-After": "7", "Retry-After": "99"},
        context={"quota": 180},
    ),
    "Hub 500": Case(500, b"", API, RegistryError, Kind.SERVER_FAILED, ("Docker Hub answered 500",)),
    # Docker Hub's login.
    "login refused": Case(
        401,
        HUB_401,
        LOGIN,
        Unauthorized,
        Kind.CREDENTIALS_REFUSED,
        ("Docker Hub refused the credentials (401: Incorrect authentication credentials)",),
        "Check `username` and `password`",
    ),
    "login 403": Case(
        403, b'{"message": "forbidden"}', LOGIN, Unauthorized, Kind.CREDENTIALS_REFUSED
    ),
    "login 2FA detail": Case(
        401,
        b'{"detail": "Two-factor authentication required"}',
        LOGIN,
        Unauthorized,
        Kind.SECOND_FACTOR,
        ("refused the password", "two-factor authentication or single sign-on"),
        "Create a personal access token",
    ),
    "login SSO": Case(
        401,
        b'{"message": "SSO is enforced for organization acme"}',
        LOGIN,
        Unauthorized,
        Kind.SECOND_FACTOR,
    ),
    "legacy login 2FA token": Case(
        401,
        b'{"detail": "Require secondary authentication", "login_2fa_token": "pending"}',
        LOGIN,
        Unauthorized,
        Kind.SECOND_FACTOR,
    ),
    "login 429": Case(429, b"", LOGIN, RateLimited, Kind.API_RATE_LIMIT, ("Docker Hub's API",)),
}


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_error_mapping(case: Case) -> None:
    response = _mock_response(case.status, case.body, headers=case.headers)
    with pytest.raises(HubActionError) as info:
        check_response(
            response,
            what=WHAT,
            service=case.service,
            registry=REGISTRY,
            repository=REPOSITORY,
            **case.context,
        )
    error = info.value
    assert type(error) is case.error
    assert (error.kind, error.status, error.service) == (case.kind, case.status, case.service)
    assert (error.registry, error.repository) == (REGISTRY, REPOSITORY)
    assert error.codes == case.codes
    message = str(error)
    assert message.startswith(WHAT + ":")
    assert "\n" not in message
    for fact in case.facts:
        assert fact in message
    rendered = describe(error)
    assert rendered.startswith(message)
    todo = rendered[len(message) :].lstrip(". ")
    assert todo == (advice(error.kind, error.service) or "")
    if case.todo is not None:
        assert case.todo in todo
    # The same error from error_for directly, with the body passed in.
    again = error_for(
        _mock_response(case.status, b"", headers=case.headers),
        what=WHAT,
        body=case.body,
        service=case.service,
        registry=REGISTRY,
        repository=REPOSITORY,
        **case.context,
    )
    assert (type(again), again.kind, str(again)) == (case.error, case.kind, message)


@pytest.mark.parametrize("status", [200, 201, 202, 204, 206, 299])
def test_check_response_passes_success(status: int) -> None:
    response = _mock_response(status, b"{}")
    assert check_response(response, what=WHAT) is response


def test_quoted_answers_are_scrubbed_of_secrets() -> None:
    secret = "s3cr3t-Pw-never-print-me"
    body = json.dumps({"detail": f"bad secret {secret!r} for hubuser"}).encode()
    error = error_for(
        _mock_response(401, body), what=WHAT, service=Service.HUB_LOGIN, secrets=[secret]
    )
    assert secret not in describe(error)
    assert "***" in str(error)
    assert all(secret not in d.message for d in error.details)


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"Retry-After": "30"}, 30.0),
        ({"Retry-After": "0"}, 0.0),
        ({"X-Retry-After": "12"}, 12.0),
        ({"Retry-After": "soon"}, None),
        ({"Retry-After": "inf"}, None),
        ({}, None),
    ],
)
def test_rate_limited_retry_after(headers: dict[str, str], expected: float | None) -> None:
    error = error_for(_mock_response(429, headers=headers), what=WHAT)
    assert isinstance(error, RateLimited)
    assert error.retry_after == expected
    assert ("Retry after about" in str(error)) is (expected is not None)


def test_rate_limited_unix_timestamp() -> None:
    when = int(time.time()) + 120
    error = error_for(_mock_response(429, headers={"X-Retry-After": str(when)}), what=WHAT)
    assert isinstance(error, RateLimited)
    assert error.retry_after is not None
    assert 115 <= error.retry_after <= 121


def test_head_response_body_is_not_read() -> None:
    response = _mock_response(404, _oci(("NAME_UNKNOWN", "x")), method="HEAD")
    error = error_for(response, what=WHAT)
    # No body for HEAD: no code to tell a repository from a manifest.
    assert (type(error), error.kind, error.codes) == (NotFound, Kind.MANIFEST, ())


def test_error_for_without_request() -> None:
    # A hand-built Response has no request; error_for must still work.
    response = requests.Response()
    response.status_code = 404
    response._content = _oci(("NAME_UNKNOWN", "nope"))
    response._content_consumed = True  # type: ignore[attr-defined]  # as after a plain GET
    error = error_for(response, what=WHAT)
    assert (type(error), error.kind, error.codes) == (NotFound, Kind.REPOSITORY, ("NAME_UNKNOWN",))


def test_error_for_after_body_was_consumed() -> None:
    response = _mock_response(500, b"x" * 100)
    read_body(response, limit=1000, what=WHAT)
    error = error_for(response, what=WHAT)
    assert (type(error), error.kind, error.status) == (RegistryError, Kind.SERVER_FAILED, 500)


# ---------------------------------------------------------------------------------------------
# Hostile error bodies


HOSTILE_BODIES: list[tuple[str, bytes]] = [
    ("huge non-JSON", b"<html>" + b"A" * 5_000_000),
    (
        "huge JSON message",
        json.dumps({"errors": [{"code": "X", "message": "m" * 200_000}]}).encode(),
    ),
    ("huge JSON code", json.dumps({"errors": [{"code": "C" * 100_000, "message": "m"}]}).encode()),
    ("many errors", _oci(*[("CODE", "message " * 100)] * 1000)),
    ("newlines", _oci(("UNKNOWN", "line1\nline2\r\n::error::injected\n\n"))),
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
    error = error_for(_mock_response(status, body), what=WHAT, service=service)
    message = describe(error)
    assert "\n" not in message
    assert "\r" not in message
    assert len(message) < 2500
    assert message.startswith(WHAT)
    assert len(error.details) <= 5


def test_error_for_reads_a_bounded_part_of_an_endless_streamed_body() -> None:
    endless = EndlessBody()
    error = error_for(_mock_response(500, endless), what=WHAT)
    assert type(error) is RegistryError
    assert endless.sent <= 1024 * 1024


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (_oci(("A", "a"), ("B", "b")), ["A: a", "B: b"]),
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
        (_oci(*[("C", str(i)) for i in range(10)]), [f"C: {i}" for i in range(5)]),
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
# parse_retry_after


def _http_date(offset: float) -> str:
    return email.utils.formatdate(time.time() + offset, usegmt=True)


def _unix_time(offset: float) -> str:
    return str(int(time.time() + offset))


@pytest.mark.parametrize(
    ("make", "low", "high"),
    [
        (lambda: "120", 120, 120),
        (lambda: "0", 0, 0),
        (lambda: "  5  ", 5, 5),
        (lambda: "1.5", 1.5, 1.5),
        (lambda: "-3", 0, 0),
        (lambda: _http_date(60), 55, 61),
        (lambda: _http_date(-3600), 0, 0),
        (lambda: "Wed, 21 Oct 2015 07:28:00 GMT", 0, 0),
        (lambda: _unix_time(30), 25, 31),
        (lambda: _unix_time(-30), 0, 0),
    ],
    ids=[
        "seconds",
        "zero",
        "spaces",
        "fraction",
        "negative",
        "date",
        "past date",
        "old date",
        "unix time",
        "past unix time",
    ],
)
def test_parse_retry_after_valid(make: Callable[[], str], low: float, high: float) -> None:
    seconds = parse_retry_after(make())
    assert seconds is not None
    assert low <= seconds <= high


@pytest.mark.parametrize(
    "value",
    ["", "   ", "soon", "abc", "12 s", "Mon, 32 Foo", "inf", "-inf", "nan", "1e999", "0x10", "∞"],
)
def test_parse_retry_after_garbage(value: str) -> None:
    assert parse_retry_after(value) is None


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=40))
def test_property_parse_retry_after_is_none_or_finite(value: str) -> None:
    seconds = parse_retry_after(value)
    assert seconds is None or 0 <= seconds < float("inf")


# ---------------------------------------------------------------------------------------------
# The model: kinds, advice, describe, wrapping


@pytest.mark.parametrize(
    ("error", "kind"),
    [
        (HubActionError("x"), Kind.OTHER),
        (InvalidInput("x"), Kind.OTHER),
        (Unauthorized("x"), Kind.CREDENTIALS_REFUSED),
        (NotFound("x"), Kind.MANIFEST),
        (PlatformNotFound("x"), Kind.PLATFORM),
        (RateLimited("x"), Kind.PULL_RATE_LIMIT),
        (RegistryError("x"), Kind.OTHER),
        (NotFound("x", kind=Kind.NAMESPACE), Kind.NAMESPACE),
    ],
)
def test_default_kinds(error: HubActionError, kind: Kind) -> None:
    assert error.kind is kind
    assert (error.status, error.service, error.codes, str(error)) == (None, None, (), "x")


def test_every_advice_key_is_a_kind_and_every_text_one_line() -> None:
    for (kind, service), text in ADVICE.items():
        assert isinstance(kind, Kind)
        assert service is None or isinstance(service, Service)
        assert text and "\n" not in text and not text.endswith(".")


@pytest.mark.parametrize(
    ("error", "rendered"),
    [
        (RegistryError("x: broken"), "x: broken"),  # no advice: the facts alone
        (
            NotFound("x: gone", kind=Kind.TAG),
            "x: gone. Check the tag; `hubaction tags` lists the tags that exist",
        ),
        (
            RateLimited("x: slow down. Retry after about 3 s", retry_after=3),
            "x: slow down. Retry after about 3 s. " + ADVICE[Kind.PULL_RATE_LIMIT, None],
        ),
        (
            Unauthorized("x: no.", kind=Kind.ACCESS_DENIED, service=Service.HUB_API),
            "x: no. " + ADVICE[Kind.ACCESS_DENIED, Service.HUB_API],
        ),
    ],
)
def test_describe(error: HubActionError, rendered: str) -> None:
    assert describe(error) == rendered


def test_within_wraps_keeping_class_fields_and_cause() -> None:
    inner = RateLimited(
        "manifest of x: rate limited (429)",
        retry_after=5.0,
        status=429,
        service=Service.REGISTRY,
        registry="docker.io",
        repository="library/node",
        details=(ErrorDetail("TOOMANYREQUESTS", "slow down"),),
    )
    with pytest.raises(RateLimited) as info:
        try:
            raise inner
        except RateLimited as exc:
            raise exc.within("Input `dockerfile`: looking up node failed") from exc
    outer = info.value
    assert outer is not inner and outer.__cause__ is inner
    assert str(outer) == (
        "Input `dockerfile`: looking up node failed: manifest of x: rate limited (429)"
    )
    assert str(inner) == "manifest of x: rate limited (429)"  # the original is left alone
    assert (outer.kind, outer.status, outer.codes, outer.retry_after) == (
        Kind.PULL_RATE_LIMIT,
        429,
        ("TOOMANYREQUESTS",),
        5.0,
    )
    assert (outer.registry, outer.repository) == ("docker.io", "library/node")
    assert describe(outer).endswith(ADVICE[Kind.PULL_RATE_LIMIT, None])


def test_within_keeps_subclasses_with_their_own_constructor() -> None:
    assert type(PlatformNotFound("p").within("c")) is PlatformNotFound
    assert type(DigestMismatch("d").within("c")) is DigestMismatch
