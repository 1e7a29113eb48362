"""Tests for dockerhub.client: :class:`HubClient` login and namespaces, against requests-mock,
for the exact requests a login costs and for every refusal (401, 403, 404, 429, garbage) the
Hub API can give."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests_mock
from fakes.hubserver import load
from hubmock import HUB, NS_URL, PASSWORD, calls, mock_client, repo_items, serve_pages

from hubaction.errors import (
    InvalidInput,
    Kind,
    NotFound,
    RateLimited,
    RegistryError,
    Service,
    Unauthorized,
    describe,
)
from hubaction.registry.credentials import Credentials

# === HubClient against requests-mock =============================================================


@pytest.fixture
def fake() -> Iterator[requests_mock.Adapter]:
    yield requests_mock.Adapter()


def test_login_with_access_token_endpoint(fake: requests_mock.Adapter) -> None:
    fake.register_uri("POST", f"{HUB}/v2/auth/token", json=load("auth-token.json"))
    serve_pages(fake, NS_URL, repo_items(3))
    secrets: list[str] = []
    client = mock_client(fake, Credentials("hubuser", PASSWORD), secrets=secrets)
    assert [r.name for r in client.repositories("acme")] == ["r0000", "r0001", "r0002"]
    token = load("auth-token.json")["access_token"]
    assert secrets == [token]
    login, listing = fake.request_history
    assert login.json() == {"identifier": "hubuser", "secret": PASSWORD}
    assert listing.headers["Authorization"] == f"Bearer {token}"
    assert listing.qs == {"page_size": ["100"], "page": ["1"]}


def test_login_is_lazy_and_happens_once(fake: requests_mock.Adapter) -> None:
    fake.register_uri("POST", f"{HUB}/v2/auth/token", json={"access_token": "t1-0123456789abcdef"})
    serve_pages(fake, NS_URL, repo_items(250))
    client = mock_client(fake, Credentials("hubuser", PASSWORD))
    assert fake.request_history == []
    client.repositories("acme")
    client.repositories("acme")
    assert [m for m, _ in calls(fake)].count("POST") == 1


def test_legacy_login_only_when_the_token_endpoint_is_missing(
    fake: requests_mock.Adapter,
) -> None:
    fake.register_uri("POST", f"{HUB}/v2/auth/token", status_code=404, json={})
    fake.register_uri("POST", f"{HUB}/v2/users/login", json=load("users-login.json"))
    serve_pages(fake, NS_URL, repo_items(1))
    secrets: list[str] = []
    client = mock_client(fake, Credentials("hubuser", PASSWORD), secrets=secrets)
    client.repositories("acme")
    jwt = load("users-login.json")["token"]
    assert calls(fake) == [
        ("POST", f"{HUB}/v2/auth/token"),
        ("POST", f"{HUB}/v2/users/login"),
        ("GET", f"{NS_URL}?page_size=100&page=1"),
    ]
    assert fake.request_history[1].json() == {"username": "hubuser", "password": PASSWORD}
    assert fake.request_history[2].headers["Authorization"] == f"JWT {jwt}"
    assert secrets == [jwt]


@pytest.mark.parametrize("status", [401, 403, 429, 500])
def test_no_legacy_login_unless_404(fake: requests_mock.Adapter, status: int) -> None:
    fake.register_uri(
        "POST", f"{HUB}/v2/auth/token", status_code=status, json=load("errors.json")["unauthorized"]
    )
    fake.register_uri("POST", f"{HUB}/v2/users/login", json={"token": "t-0123456789abcdef"})
    with pytest.raises((Unauthorized, RateLimited, RegistryError)):
        mock_client(fake, Credentials("hubuser", PASSWORD)).login()
    assert calls(fake) == [("POST", f"{HUB}/v2/auth/token")]


def test_login_without_any_endpoint(fake: requests_mock.Adapter) -> None:
    fake.register_uri("POST", f"{HUB}/v2/auth/token", status_code=404)
    fake.register_uri("POST", f"{HUB}/v2/users/login", status_code=404)
    with pytest.raises(RegistryError, match="check `hub-url`"):
        mock_client(fake, Credentials("hubuser", PASSWORD)).login()


LOGIN_REFUSALS: list[tuple[str, int, dict[str, Any], str]] = [
    (
        "auth/token",
        401,
        {"detail": "Incorrect authentication credentials"},
        "refused the credentials",
    ),
    ("auth/token", 403, {"message": "forbidden"}, "refused the credentials"),
    ("auth/token", 401, {"detail": "Two-factor authentication required"}, "personal access token"),
    ("auth/token", 401, {"detail": "2FA is enabled"}, "two-factor"),
    ("auth/token", 401, {"message": "SSO is enforced for organization acme"}, "SSO"),
    ("auth/token", 401, {"detail": "Single Sign-On enforced"}, "personal access token"),
    ("users/login", 401, load("errors.json")["login_2fa"], "two-factor"),
    ("users/login", 401, load("errors.json")["unauthorized"], "refused the credentials"),
]


@pytest.mark.parametrize(("endpoint", "status", "body", "expected"), LOGIN_REFUSALS)
def test_login_refusals(
    fake: requests_mock.Adapter, endpoint: str, status: int, body: dict[str, Any], expected: str
) -> None:
    if endpoint == "users/login":
        fake.register_uri("POST", f"{HUB}/v2/auth/token", status_code=404)
    fake.register_uri("POST", f"{HUB}/v2/{endpoint}", status_code=status, json=body)
    secrets: list[str] = []
    client = mock_client(fake, Credentials("hubuser", PASSWORD), secrets=secrets)
    with pytest.raises(Unauthorized) as info:
        client.repositories("acme")
    message = describe(info.value)
    assert expected in message
    assert "'hubuser'" in message
    assert PASSWORD not in message
    is_2fa = expected != "refused the credentials"
    assert info.value.kind is (Kind.SECOND_FACTOR if is_2fa else Kind.CREDENTIALS_REFUSED)
    assert (info.value.status, info.value.service) == (status, Service.HUB_LOGIN)
    assert ("Create a personal access token" in message) is is_2fa
    # the pending second-factor token is masked too, and never printed
    if "login_2fa_token" in body:
        assert secrets == [body["login_2fa_token"]]
        assert body["login_2fa_token"] not in message
    assert all(r.method == "POST" for r in fake.request_history)


def test_a_server_echoing_the_password_does_not_leak_it(fake: requests_mock.Adapter) -> None:
    fake.register_uri(
        "POST",
        f"{HUB}/v2/auth/token",
        status_code=401,
        json={"detail": f"bad secret {PASSWORD!r} for hubuser"},
    )
    with pytest.raises(Unauthorized) as info:
        mock_client(fake, Credentials("hubuser", PASSWORD)).namespaces()
    assert PASSWORD not in str(info.value)
    assert "***" in str(info.value)


def test_login_answer_without_token_is_garbage(fake: requests_mock.Adapter) -> None:
    fake.register_uri("POST", f"{HUB}/v2/auth/token", json={"token": "wrong-key-0123456789abcdef"})
    with pytest.raises(RegistryError, match="no `access_token`"):
        mock_client(fake, Credentials("hubuser", PASSWORD)).login()


def test_login_does_not_follow_redirects(fake: requests_mock.Adapter) -> None:
    fake.register_uri(
        "POST",
        f"{HUB}/v2/auth/token",
        status_code=307,
        headers={"Location": "https://evil.example.net/collect"},
    )
    fake.register_uri(
        "POST", "https://evil.example.net/collect", json={"access_token": "x-0123456789abcdef"}
    )
    with pytest.raises(RegistryError, match="redirect"):
        mock_client(fake, Credentials("hubuser", PASSWORD)).login()
    assert calls(fake) == [("POST", f"{HUB}/v2/auth/token")]


def test_credentials_never_go_over_plain_http(fake: requests_mock.Adapter) -> None:
    client = mock_client(fake, Credentials("hubuser", PASSWORD), hub_url="http://hub.example.com")
    with pytest.raises(Unauthorized, match="plain HTTP"):
        client.repositories("acme")
    assert fake.request_history == []


def test_anonymous_client_never_logs_in(fake: requests_mock.Adapter) -> None:
    serve_pages(fake, NS_URL, repo_items(3))
    client = mock_client(fake)
    client.login()  # nothing to do
    client.repositories("acme")
    assert calls(fake) == [("GET", f"{NS_URL}?page_size=100&page=1")]
    assert "Authorization" not in fake.request_history[0].headers


def test_namespaces(fake: requests_mock.Adapter) -> None:
    fake.register_uri("POST", f"{HUB}/v2/auth/token", json={"access_token": "t-0123456789abcdef"})
    fake.register_uri("GET", f"{HUB}/v2/repositories/namespaces/", json=load("namespaces.json"))
    assert mock_client(fake, Credentials("hubuser", PASSWORD)).namespaces() == ["hubuser", "acme"]
    assert fake.request_history[1].headers["Authorization"] == "Bearer t-0123456789abcdef"


def test_namespaces_need_credentials(fake: requests_mock.Adapter) -> None:
    with pytest.raises(InvalidInput, match="list-namespaces needs credentials"):
        mock_client(fake).namespaces()
    assert fake.request_history == []


@pytest.mark.parametrize(
    ("status", "body", "error", "match"),
    [
        (404, {}, NotFound, "check `hub-url`"),
        (403, {"detail": "nope"}, Unauthorized, r"denied access \(403\) \(nope\)"),
        (500, {}, RegistryError, "500"),
        (200, {"username": "x"}, RegistryError, "no `namespaces`"),
        (200, [], RegistryError, "no `namespaces`"),
    ],
)
def test_namespaces_errors(
    fake: requests_mock.Adapter, status: int, body: Any, error: type[Exception], match: str
) -> None:
    fake.register_uri("POST", f"{HUB}/v2/auth/token", json={"access_token": "t-0123456789abcdef"})
    fake.register_uri("GET", f"{HUB}/v2/repositories/namespaces/", status_code=status, json=body)
    with pytest.raises(error, match=match):
        mock_client(fake, Credentials("hubuser", PASSWORD)).namespaces()
