"""Tests for registry.errors.error_for and check_response: status x OCI codes x service ->
class, kind, fields, facts and advice.

HTTP answers come from requests-mock's adapter: real ``requests.Response`` objects.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any

import pytest
import requests
from error_responses import REGISTRY, REPOSITORY, WHAT, mock_response, oci_errors

from hubaction.errors import (
    HubActionError,
    Kind,
    NotFound,
    RateLimited,
    RegistryError,
    Service,
    Unauthorized,
    advice,
    describe,
)
from hubaction.registry.errors import check_response, error_for
from hubaction.registry.transport import read_body

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
        oci_errors(("UNAUTHORIZED", "authentication required")),
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
        oci_errors(("DENIED", "requested access to the resource is denied")),
        REG,
        Unauthorized,
        Kind.ACCESS_DENIED,
        ("403", "DENIED: requested access to the resource is denied"),
        "check the token's scopes",
        codes=("DENIED",),
    ),
    "NAME_UNKNOWN": Case(
        404,
        oci_errors(("NAME_UNKNOWN", "repository name not known to registry")),
        REG,
        NotFound,
        Kind.REPOSITORY,
        ("NAME_UNKNOWN", "repository name not known to registry"),
        "Check the repository name",
        codes=("NAME_UNKNOWN",),
    ),
    "lowercase code": Case(
        404,
        oci_errors(("name_unknown", "lowercase code")),
        REG,
        NotFound,
        Kind.REPOSITORY,
        ("name_unknown",),
        codes=("NAME_UNKNOWN",),
    ),
    "MANIFEST_UNKNOWN": Case(
        404,
        oci_errors(("MANIFEST_UNKNOWN", "manifest unknown")),
        REG,
        NotFound,
        Kind.MANIFEST,
        ("MANIFEST_UNKNOWN: manifest unknown",),
        "Check the tag or digest",
        codes=("MANIFEST_UNKNOWN",),
    ),
    "BLOB_UNKNOWN": Case(
        404,
        oci_errors(("BLOB_UNKNOWN", "blob unknown to registry")),
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
        oci_errors(("MANIFEST_UNKNOWN", "m"), ("NAME_UNKNOWN", "n")),
        REG,
        NotFound,
        Kind.REPOSITORY,
        ("MANIFEST_UNKNOWN: m; NAME_UNKNOWN: n",),
        codes=("MANIFEST_UNKNOWN", "NAME_UNKNOWN"),
    ),
    "registry 429": Case(
        429,
        oci_errors(("TOOMANYREQUESTS", "You have reached your pull rate limit")),
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
        oci_errors(("UNKNOWN", "unknown error")),
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
        oci_errors(("MANIFEST_INVALID", "manifest invalid")),
        REG,
        RegistryError,
        Kind.REQUEST_REFUSED,
        ("400", "MANIFEST_INVALID"),
        "refused",
        codes=("MANIFEST_INVALID",),
    ),
    "405": Case(
        405,
        oci_errors(("UNSUPPORTED", "The operation is unsupported.")),
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
    response = mock_response(case.status, case.body, headers=case.headers)
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
        mock_response(case.status, b"", headers=case.headers),
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
    response = mock_response(status, b"{}")
    assert check_response(response, what=WHAT) is response


def test_quoted_answers_are_scrubbed_of_secrets() -> None:
    secret = "s3cr3t-Pw-never-print-me"
    body = json.dumps({"detail": f"bad secret {secret!r} for hubuser"}).encode()
    error = error_for(
        mock_response(401, body), what=WHAT, service=Service.HUB_LOGIN, secrets=[secret]
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
    error = error_for(mock_response(429, headers=headers), what=WHAT)
    assert isinstance(error, RateLimited)
    assert error.retry_after == expected
    assert ("Retry after about" in str(error)) is (expected is not None)


def test_rate_limited_unix_timestamp() -> None:
    when = int(time.time()) + 120
    error = error_for(mock_response(429, headers={"X-Retry-After": str(when)}), what=WHAT)
    assert isinstance(error, RateLimited)
    assert error.retry_after is not None
    assert 115 <= error.retry_after <= 121


def test_head_response_body_is_not_read() -> None:
    response = mock_response(404, oci_errors(("NAME_UNKNOWN", "x")), method="HEAD")
    error = error_for(response, what=WHAT)
    # No body for HEAD: no code to tell a repository from a manifest.
    assert (type(error), error.kind, error.codes) == (NotFound, Kind.MANIFEST, ())


def test_error_for_without_request() -> None:
    # A hand-built Response has no request; error_for must still work.
    response = requests.Response()
    response.status_code = 404
    response._content = oci_errors(("NAME_UNKNOWN", "nope"))
    response._content_consumed = True  # type: ignore[attr-defined]  # as after a plain GET
    error = error_for(response, what=WHAT)
    assert (type(error), error.kind, error.codes) == (NotFound, Kind.REPOSITORY, ("NAME_UNKNOWN",))


def test_error_for_after_body_was_consumed() -> None:
    response = mock_response(500, b"x" * 100)
    read_body(response, limit=1000, what=WHAT)
    error = error_for(response, what=WHAT)
    assert (type(error), error.kind, error.status) == (RegistryError, Kind.SERVER_FAILED, 500)
