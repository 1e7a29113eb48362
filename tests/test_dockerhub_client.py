"""Tests for dockerhub.client: :class:`HubClient` (login, namespaces, repositories, tags).

* against requests-mock, for the exact requests a flow costs and for every error answer (401,
  403, 404, 429, garbage) the Hub API can give;
* against ``tests/fakes/hubserver.py``, a real HTTP server serving the fixtures in
  ``tests/hubfixtures/`` (namespace ``acme`` with 250 repositories, ``acme/big`` with 230 tags),
  through the run's real session (retries, pooling, concurrency).
"""

from __future__ import annotations

import base64
import copy
import threading
import time
from collections.abc import Iterator
from typing import Any

import fakes.hubserver as hubserver
import pytest
import requests
import requests_mock
from fakes.clock import FakeClock
from fakes.hubserver import (
    BIG_REPO,
    BIG_TAG_COUNT,
    HUB_OAT,
    HUB_ORG,
    HUB_PASSWORD,
    HUB_PAT,
    HUB_USER,
    NAMESPACE,
    PRIVATE_COUNT,
    REPO_COUNT,
    TWOFA_PASSWORD,
    TWOFA_PAT,
    TWOFA_USER,
    HubServer,
    big_tag_dates,
    load,
)

from hubaction.dockerhub.client import PAGE_SIZE, HubClient
from hubaction.dockerhub.models import (
    HubRateLimit,
    parse_hub_time,
)
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
from hubaction.oci.reference import DOCKER_HUB_REALM, parse_reference
from hubaction.oci.tags import select_tags
from hubaction.registry.client import open_client
from hubaction.registry.credentials import Credentials, CredentialStore
from hubaction.registry.transport import new_session

HUB = "https://hub.example.com"
PASSWORD = "s3cr3t-Pw-never-print-me"
DIGEST = "sha256:" + "a" * 64


REPO = load("repositories-page.json")["results"][0]


# === HubClient against requests-mock =============================================================


@pytest.fixture
def fake() -> Iterator[requests_mock.Adapter]:
    yield requests_mock.Adapter()


def mock_client(
    adapter: requests_mock.Adapter,
    creds: Credentials | None = None,
    *,
    secrets: list[str] | None = None,
    hub_url: str = HUB,
    max_pages: int = 500,
) -> HubClient:
    session = requests.Session()
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return HubClient(
        session,
        hub_url=hub_url,
        credentials=creds,
        on_secret=(secrets.append if secrets is not None else lambda _s: None),
        max_pages=max_pages,
    )


def calls(adapter: requests_mock.Adapter) -> list[tuple[str, str]]:
    return [(r.method, r.url) for r in adapter.request_history]


def repo_items(count: int, namespace: str = "acme") -> list[dict[str, Any]]:
    return [{**REPO, "name": f"r{i:04d}", "namespace": namespace} for i in range(count)]


def serve_pages(
    adapter: requests_mock.Adapter, url: str, items: list[dict[str, Any]], **headers: str
) -> None:
    """A paged listing at ``url`` that honours page/page_size like Docker Hub."""

    def answer(request: Any, context: Any) -> Any:
        size = int(request.qs.get("page_size", ["10"])[0])
        page = int(request.qs.get("page", ["1"])[0])
        if size > 100:
            context.status_code = 400
            return load("errors.json")["page_size"]
        last = max(1, -(-len(items) // size))
        if page > last:
            context.status_code = 404
            return load("errors.json")["invalid_page"]
        context.headers.update(headers)
        return {
            "count": len(items),
            # a `next` on another host: it must never be followed
            "next": f"https://evil.example.net/steal?page={page + 1}" if page < last else None,
            "previous": None,
            "results": items[(page - 1) * size : page * size],
        }

    adapter.register_uri("GET", url, json=answer)


NS_URL = f"{HUB}/v2/namespaces/acme/repositories"
TAGS_URL = f"{HUB}/v2/namespaces/acme/repositories/app/tags"


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
    fake.register_uri("POST", f"{HUB}/v2/auth/token", json={"access_token": "t1"})
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
    fake.register_uri("POST", f"{HUB}/v2/users/login", json={"token": "t"})
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
    fake.register_uri("POST", f"{HUB}/v2/auth/token", json={"token": "wrong-key"})
    with pytest.raises(RegistryError, match="no `access_token`"):
        mock_client(fake, Credentials("hubuser", PASSWORD)).login()


def test_login_does_not_follow_redirects(fake: requests_mock.Adapter) -> None:
    fake.register_uri(
        "POST",
        f"{HUB}/v2/auth/token",
        status_code=307,
        headers={"Location": "https://evil.example.net/collect"},
    )
    fake.register_uri("POST", "https://evil.example.net/collect", json={"access_token": "x"})
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
    fake.register_uri("POST", f"{HUB}/v2/auth/token", json={"access_token": "t"})
    fake.register_uri("GET", f"{HUB}/v2/repositories/namespaces/", json=load("namespaces.json"))
    assert mock_client(fake, Credentials("hubuser", PASSWORD)).namespaces() == ["hubuser", "acme"]
    assert fake.request_history[1].headers["Authorization"] == "Bearer t"


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
    fake.register_uri("POST", f"{HUB}/v2/auth/token", json={"access_token": "t"})
    fake.register_uri("GET", f"{HUB}/v2/repositories/namespaces/", status_code=status, json=body)
    with pytest.raises(error, match=match):
        mock_client(fake, Credentials("hubuser", PASSWORD)).namespaces()


def test_250_repositories_in_three_pages_of_100(fake: requests_mock.Adapter) -> None:
    items = repo_items(250)
    serve_pages(fake, NS_URL, items)
    repos = mock_client(fake).repositories("acme")
    assert [r.name for r in repos] == [i["name"] for i in items]
    assert sorted(r.qs["page"][0] for r in fake.request_history) == ["1", "2", "3"]
    assert {r.qs["page_size"][0] for r in fake.request_history} == {"100"}
    # `next` pointed at another host on every page but the last: never followed
    assert all(r.hostname == "hub.example.com" for r in fake.request_history)


@pytest.mark.parametrize(("count", "requests_made"), [(0, 1), (1, 1), (100, 1), (101, 2), (300, 3)])
def test_page_arithmetic(fake: requests_mock.Adapter, count: int, requests_made: int) -> None:
    serve_pages(fake, NS_URL, repo_items(count))
    assert len(mock_client(fake).repositories("acme")) == count
    assert len(fake.request_history) == requests_made


def test_max_pages_bounds_the_listing(fake: requests_mock.Adapter) -> None:
    fake.register_uri(
        "GET",
        NS_URL,
        json={"count": 10**12, "next": f"{NS_URL}?page=2", "previous": None, "results": []},
    )
    with pytest.raises(RegistryError, match=r"more than the 500 pages \(50000 items\)"):
        mock_client(fake).repositories("acme")
    assert len(fake.request_history) == 1


def test_max_pages_is_configurable(fake: requests_mock.Adapter) -> None:
    serve_pages(fake, NS_URL, repo_items(250))
    with pytest.raises(RegistryError, match="3 pages of 100, more than the 2 pages"):
        mock_client(fake, max_pages=2).repositories("acme")


def test_legacy_listing_on_404_of_the_new_path(fake: requests_mock.Adapter) -> None:
    fake.register_uri("GET", NS_URL, status_code=404, json=load("errors.json")["not_found"])
    serve_pages(fake, f"{HUB}/v2/repositories/acme/", repo_items(150))
    client = mock_client(fake)
    assert len(client.repositories("acme")) == 150
    assert [r.path for r in fake.request_history] == [
        "/v2/namespaces/acme/repositories",
        "/v2/repositories/acme/",
        "/v2/repositories/acme/",
    ]
    # remembered: the next listing goes straight to the legacy path
    fake.reset()
    client.repositories("acme")
    assert {r.path for r in fake.request_history} == {"/v2/repositories/acme/"}


def test_missing_namespace(fake: requests_mock.Adapter) -> None:
    fake.register_uri("GET", NS_URL, status_code=404, json=load("errors.json")["not_found"])
    fake.register_uri("GET", f"{HUB}/v2/repositories/acme/", status_code=404)
    with pytest.raises(NotFound, match="namespace does not exist") as info:
        mock_client(fake).repositories("acme")
    assert info.value.kind is Kind.NAMESPACE


def test_missing_namespace_once_the_new_path_is_known_to_work(
    fake: requests_mock.Adapter,
) -> None:
    serve_pages(fake, NS_URL, repo_items(1))
    fake.register_uri("GET", f"{HUB}/v2/namespaces/ghost/repositories", status_code=404)
    client = mock_client(fake)
    client.repositories("acme")
    with pytest.raises(NotFound):
        client.repositories("ghost")
    # no legacy probe: the new endpoint exists, so a 404 there means the namespace is missing
    assert fake.request_history[-1].path == "/v2/namespaces/ghost/repositories"


@pytest.mark.parametrize(("anonymous", "hint"), [(True, "it may be private"), (False, "or it is")])
def test_missing_repository(fake: requests_mock.Adapter, anonymous: bool, hint: str) -> None:
    fake.register_uri("POST", f"{HUB}/v2/auth/token", json={"access_token": "t"})
    fake.register_uri("GET", TAGS_URL, status_code=404)
    fake.register_uri("GET", f"{HUB}/v2/repositories/acme/app/tags", status_code=404)
    creds = None if anonymous else Credentials("hubuser", PASSWORD)
    with pytest.raises(NotFound, match=hint) as info:
        mock_client(fake, creds).tags("acme", "app")
    assert info.value.kind is Kind.REPOSITORY


def test_tags_with_metadata(fake: requests_mock.Adapter) -> None:
    template = load("tags-page.json")["results"]
    items = [{**template[i % 3], "name": f"t{i:03d}"} for i in range(120)]
    serve_pages(fake, TAGS_URL, items)
    tags = mock_client(fake).tags("acme", "app")
    assert [t.name for t in tags] == [f"t{i:03d}" for i in range(120)]
    assert tags[0].images[2].is_attestation
    assert len(fake.request_history) == 2


@pytest.mark.parametrize("name", ["Acme", "a/b", "", "../x", "a b"])
def test_invalid_names_are_refused_before_any_request(
    fake: requests_mock.Adapter, name: str
) -> None:
    client = mock_client(fake)
    with pytest.raises(InvalidInput):
        client.repositories(name)
    with pytest.raises(InvalidInput):
        client.tags("acme", name)
    assert fake.request_history == []


LISTING_ERRORS: list[tuple[int, Any, dict[str, str], type[Exception], str]] = [
    (
        401,
        {"detail": "Authentication credentials were not provided."},
        {},
        Unauthorized,
        "this needs credentials",
    ),
    (403, {"detail": "private"}, {}, Unauthorized, "denied access"),
    (
        429,
        load("errors.json")["rate_limited"],
        {"X-Retry-After": str(int(time.time()) + 30)},
        RateLimited,
        "rate limit",
    ),
    (429, {}, {"Retry-After": "7"}, RateLimited, "about 7 s"),
    (500, "oops", {}, RegistryError, "500"),
    (502, {"message": "bad gateway"}, {}, RegistryError, "bad gateway"),
    (200, "<html>maintenance</html>", {}, RegistryError, "did not answer JSON"),
    (200, {"count": 1, "results": []}, {}, RegistryError, "no `next`"),
    (
        200,
        {"count": 1, "next": None, "previous": None, "results": [{"name": 1}]},
        {},
        RegistryError,
        "no `name`",
    ),
    (400, load("errors.json")["page_size"], {}, RegistryError, "page_size"),
]


@pytest.mark.parametrize(("status", "body", "headers", "error", "match"), LISTING_ERRORS)
def test_listing_errors(
    fake: requests_mock.Adapter,
    status: int,
    body: Any,
    headers: dict[str, str],
    error: type[Exception],
    match: str,
) -> None:
    if isinstance(body, str):
        fake.register_uri("GET", NS_URL, status_code=status, text=body, headers=headers)
    else:
        fake.register_uri("GET", NS_URL, status_code=status, json=body, headers=headers)
    with pytest.raises(error, match=match) as info:
        mock_client(fake).repositories("acme")
    assert "namespace 'acme'" in str(info.value)


def test_rate_limited_carries_retry_after(fake: requests_mock.Adapter) -> None:
    fake.register_uri("GET", NS_URL, status_code=429, headers={"Retry-After": "12"})
    with pytest.raises(RateLimited) as info:
        mock_client(fake).repositories("acme")
    assert info.value.retry_after == 12


def test_expired_token_logs_in_again_once(fake: requests_mock.Adapter) -> None:
    tokens = iter(["old", "new"])
    fake.register_uri(
        "POST", f"{HUB}/v2/auth/token", json=lambda _r, _c: {"access_token": next(tokens)}
    )

    def listing(request: Any, context: Any) -> Any:
        if request.headers.get("Authorization") != "Bearer new":
            context.status_code = 401
            return load("errors.json")["token_invalid"]
        return {"count": 1, "next": None, "previous": None, "results": repo_items(1)}

    fake.register_uri("GET", NS_URL, json=listing)
    secrets: list[str] = []
    client = mock_client(fake, Credentials("hubuser", PASSWORD), secrets=secrets)
    assert len(client.repositories("acme")) == 1
    assert [m for m, _ in calls(fake)] == ["POST", "GET", "POST", "GET"]
    assert secrets == ["old", "new"]


def test_token_refused_twice_is_unauthorized(fake: requests_mock.Adapter) -> None:
    fake.register_uri("POST", f"{HUB}/v2/auth/token", json={"access_token": "tok-Zq81"})
    fake.register_uri("GET", NS_URL, status_code=401, json=load("errors.json")["token_invalid"])
    with pytest.raises(Unauthorized, match="refused the login token") as info:
        mock_client(fake, Credentials("hubuser", PASSWORD)).repositories("acme")
    assert "tok-Zq81" not in str(info.value)
    assert [m for m, _ in calls(fake)] == ["POST", "GET", "POST", "GET"]


def test_hub_api_rate_limit_headers_are_recorded(fake: requests_mock.Adapter) -> None:
    serve_pages(
        fake,
        NS_URL,
        repo_items(3),
        **{"X-RateLimit-Limit": "180", "X-RateLimit-Remaining": "177", "X-RateLimit-Reset": "99"},
    )
    client = mock_client(fake)
    assert client.last_ratelimit is None
    client.repositories("acme")
    assert client.last_ratelimit == HubRateLimit(180, 177, 99)


def test_hub_url_must_be_http(fake: requests_mock.Adapter) -> None:
    for url in ["ftp://hub", "hub.docker.com", "https://", "https://h/?q=1"]:
        with pytest.raises(InvalidInput, match="hub-url"):
            mock_client(fake, hub_url=url)


def test_hub_url_may_have_a_path_prefix(fake: requests_mock.Adapter) -> None:
    serve_pages(fake, f"{HUB}/mirror/v2/namespaces/acme/repositories", repo_items(1))
    assert len(mock_client(fake, hub_url=f"{HUB}/mirror/").repositories("acme")) == 1


# --- pages that shift while they are read ---------------------------------------------------------


def shifting_listing(
    adapter: requests_mock.Adapter, shifts: int, *, kind: str = "insert"
) -> dict[str, int]:
    """A listing of 250 whose first ``shifts`` reads change between page 1 and the others."""
    state = {"reads": 0, "extra": 0}
    items = repo_items(250)

    def answer(request: Any, context: Any) -> Any:
        page = int(request.qs["page"][0])
        if page == 1:
            state["reads"] += 1
        current = list(items)
        if state["reads"] <= shifts and page > 1:
            if kind == "insert":  # a new repository at the front: everything moves down
                current.insert(0, {**REPO, "name": "new-one"})
            else:  # one moved to the front (re-pushed): same count, pages shift
                current.insert(0, current.pop(180))
        last = -(-len(current) // 100)
        return {
            "count": len(current),
            "next": None if page == last else "x",
            "previous": None,
            "results": current[(page - 1) * 100 : page * 100],
        }

    adapter.register_uri("GET", NS_URL, json=answer)
    return state


@pytest.mark.parametrize("kind", ["insert", "move"])
def test_a_listing_that_shifted_is_read_again(fake: requests_mock.Adapter, kind: str) -> None:
    state = shifting_listing(fake, shifts=1, kind=kind)
    repos = mock_client(fake).repositories("acme")
    assert state["reads"] == 2
    names = [r.name for r in repos]
    assert len(names) == len(set(names)) == 250
    assert set(names) == {i["name"] for i in repo_items(250)}


def test_a_listing_that_keeps_shifting_fails_clearly(fake: requests_mock.Adapter) -> None:
    state = shifting_listing(fake, shifts=99)
    with pytest.raises(RegistryError, match="kept changing while it was read"):
        mock_client(fake).repositories("acme")
    assert state["reads"] == 3


def test_a_page_past_the_end_means_the_listing_shrank(fake: requests_mock.Adapter) -> None:
    reads = {"n": 0}

    def answer(request: Any, context: Any) -> Any:
        page = int(request.qs["page"][0])
        reads["n"] += page == 1
        count = 150 if reads["n"] == 1 else 90
        if page > -(-count // 100) or (reads["n"] == 1 and page == 2):
            context.status_code = 404
            return load("errors.json")["invalid_page"]
        return {"count": count, "next": None, "previous": None, "results": repo_items(count)}

    fake.register_uri("GET", NS_URL, json=answer)
    assert len(mock_client(fake).repositories("acme")) == 90


# --- registry access for private Docker Hub repositories (issue 4 §4) -----------------------------


def test_private_docker_hub_repository_uses_basic_credentials_at_auth_docker_io(
    fake: requests_mock.Adapter,
) -> None:
    """The registry token comes from auth.docker.io with Basic credentials; the Hub API
    token is not a registry token and never goes to the registry."""
    fake.register_uri("GET", DOCKER_HUB_REALM, json={"token": "registry-tok", "expires_in": 300})
    fake.register_uri(
        "HEAD",
        "https://registry-1.docker.io/v2/acme/secret/manifests/1.0",
        headers={"Docker-Content-Digest": DIGEST, "ratelimit-limit": "200;w=21600"},
    )
    session = requests.Session()
    session.mount("https://", fake)
    secrets: list[str] = []
    client = open_client(
        CredentialStore(explicit=Credentials("hubuser", HUB_PAT), primary_registry="docker.io"),
        session=session,
        on_secret=secrets.append,
    )
    head = client.head_manifest(parse_reference("acme/secret:1.0"))
    assert str(head.digest) == DIGEST
    token_request, manifest_request = fake.request_history
    expected = base64.b64encode(f"hubuser:{HUB_PAT}".encode()).decode()
    assert token_request.headers["Authorization"] == f"Basic {expected}"
    assert token_request.qs == {
        "service": ["registry.docker.io"],
        "scope": ["repository:acme/secret:pull"],
    }
    assert manifest_request.headers["Authorization"] == "Bearer registry-tok"
    assert secrets == ["registry-tok"]


# === HubClient against the local Docker Hub server ===============================================


@pytest.fixture(scope="module")
def hub_server() -> Iterator[HubServer]:
    with HubServer() as server:
        yield server


@pytest.fixture
def hub(hub_server: HubServer) -> Iterator[HubServer]:
    """The shared server, reset; afterwards, no request may have asked for over 100."""
    hub_server.reset()
    hub_server.token_endpoint = True
    hub_server.new_listings = True
    hub_server.before_page = None
    hub_server.data = hubserver.HubData.default()
    yield hub_server
    sizes = [r.page_size for r in hub_server.requests if r.page_size is not None]
    assert all(size <= PAGE_SIZE for size in sizes), sizes
    assert not [r for r in hub_server.requests if "page" in r.query and r.page_size is None]


def server_client(
    server: HubServer,
    creds: Credentials | None = None,
    *,
    secrets: list[str] | None = None,
    session: requests.Session | None = None,
) -> HubClient:
    return HubClient(
        session or new_session(retry_budget=5),
        hub_url=server.url,
        credentials=creds,
        on_secret=(secrets.append if secrets is not None else lambda _s: None),
    )


def test_server_data_is_what_the_acceptance_criteria_need() -> None:
    data = hubserver.HubData.default()
    repos = data.repositories[NAMESPACE]
    assert len(repos) == REPO_COUNT
    assert sum(r["is_private"] for r in repos) == PRIVATE_COUNT
    dates = big_tag_dates()
    assert len(dates) == BIG_TAG_COUNT == len(set(dates.values()))
    by_date = sorted(dates, key=dates.__getitem__)
    assert by_date != sorted(dates)
    assert by_date != [t["name"] for t in data.tags[(NAMESPACE, BIG_REPO)]]
    assert hubserver.make_big_tags() == data.tags[(NAMESPACE, BIG_REPO)]  # deterministic


def test_server_refuses_page_size_over_100(hub: HubServer) -> None:
    url = f"{hub.url}/v2/namespaces/acme/repositories"
    assert requests.get(url, params={"page_size": 100}, timeout=5).status_code == 200
    refused = requests.get(url, params={"page_size": 101}, timeout=5)
    assert refused.status_code == 400
    assert "page_size" in refused.text
    hub.forget_requests()  # these two were ours, not the client's


def test_pat_lists_250_repositories_in_3_requests_of_100(hub: HubServer) -> None:
    secrets: list[str] = []
    client = server_client(hub, Credentials(HUB_USER, HUB_PAT), secrets=secrets)
    repos = client.repositories(NAMESPACE)
    assert len(repos) == REPO_COUNT == len({r.name for r in repos})
    assert sum(r.is_private for r in repos) == PRIVATE_COUNT
    listings = hub.listing_requests()
    assert len(listings) == 3
    assert sorted(r.query["page"][0] for r in listings) == ["1", "2", "3"]
    assert {r.query["page_size"][0] for r in listings} == {"100"}
    assert {r.auth for r in listings} == {"bearer"}
    logins = [r for r in hub.requests if r.method == "POST"]
    assert [(r.path, r.body_keys) for r in logins] == [("/v2/auth/token", ("identifier", "secret"))]
    assert secrets == hub.issued_tokens()
    assert client.last_ratelimit is not None and client.last_ratelimit.limit == 180


def test_password_works_too(hub: HubServer) -> None:
    client = server_client(hub, Credentials(HUB_USER, HUB_PASSWORD))
    assert len(client.repositories(NAMESPACE)) == REPO_COUNT


def test_organization_access_token(hub: HubServer) -> None:
    client = server_client(hub, Credentials(HUB_ORG, HUB_OAT))
    assert len(client.repositories(NAMESPACE)) == REPO_COUNT
    assert client.namespaces() == ["acme"]


def test_anonymous_listing_shows_public_repositories_only(hub: HubServer) -> None:
    repos = server_client(hub).repositories(NAMESPACE)
    assert len(repos) == REPO_COUNT - PRIVATE_COUNT
    assert not any(r.is_private for r in repos)
    assert "secret" not in {r.name for r in repos}
    assert [r.auth for r in hub.requests] == ["none", "none"]  # 200 repositories: 2 pages


def test_namespaces_with_a_pat(hub: HubServer) -> None:
    client = server_client(hub, Credentials(HUB_USER, HUB_PAT))
    assert client.namespaces() == ["acme", "hubuser"]
    assert [r.auth for r in hub.requests] == ["none", "bearer"]  # login, then the listing


def test_230_tags_each_with_its_date_sorted_by_push_date(hub: HubServer) -> None:
    client = server_client(hub)
    tags = client.tags(NAMESPACE, BIG_REPO)
    assert len(hub.listing_requests()) == 3
    expected = big_tag_dates()
    assert len(tags) == BIG_TAG_COUNT
    updated = {t.name: t.pushed_at for t in tags}
    assert updated == expected  # every tag has its date, from tag_last_pushed or last_updated
    dated = {name: moment for name, moment in updated.items() if moment is not None}
    selection = select_tags(updated, sort="updated", max_tags=0, updated=dated)
    newest_first = sorted(expected, key=lambda n: expected[n], reverse=True)
    assert list(selection.tags) == newest_first
    assert selection.count == BIG_TAG_COUNT
    # sorting by last_updated would be wrong: the fixture makes it disagree
    by_last_updated = sorted(
        (t for t in tags if t.last_updated),
        key=lambda t: parse_hub_time(t.last_updated or ""),
        reverse=True,
    )
    assert [t.name for t in by_last_updated] != newest_first
    multi = [t for t in tags if len(t.images) == 3]
    assert multi and all(t.images[2].is_attestation for t in multi)


def test_wrong_credentials_are_one_clear_error(hub: HubServer) -> None:
    wrong = "not-the-Password-9vX"
    client = server_client(hub, Credentials(HUB_USER, wrong))
    with pytest.raises(Unauthorized) as info:
        client.repositories(NAMESPACE)
    message = describe(info.value)
    assert "Docker Hub refused the credentials (401: Incorrect authentication credentials)" in (
        message
    )
    assert wrong not in message and "Check `username` and `password`" in message
    assert [(r.method, r.path) for r in hub.requests] == [("POST", "/v2/auth/token")]


def test_legacy_login_when_the_token_endpoint_is_missing(hub: HubServer) -> None:
    hub.token_endpoint = False
    secrets: list[str] = []
    client = server_client(hub, Credentials(HUB_USER, HUB_PASSWORD), secrets=secrets)
    assert len(client.tags(NAMESPACE, "secret")) == 1  # a private repository: the JWT works
    assert [(r.method, r.path, r.auth) for r in hub.requests] == [
        ("POST", "/v2/auth/token", "none"),
        ("POST", "/v2/users/login", "none"),
        ("GET", "/v2/namespaces/acme/repositories/secret/tags", "jwt"),
    ]
    assert hub.requests[1].body_keys == ("password", "username")
    assert secrets == hub.issued_tokens()


def test_legacy_login_refuses_organization_tokens(hub: HubServer) -> None:
    hub.token_endpoint = False
    with pytest.raises(Unauthorized):
        server_client(hub, Credentials(HUB_ORG, HUB_OAT)).login()


def test_legacy_listings_when_the_new_paths_are_missing(hub: HubServer) -> None:
    hub.new_listings = False
    client = server_client(hub, Credentials(HUB_USER, HUB_PAT))
    assert len(client.repositories(NAMESPACE)) == REPO_COUNT
    assert len(client.tags(NAMESPACE, BIG_REPO)) == BIG_TAG_COUNT
    paths = [r.path for r in hub.listing_requests()]
    assert paths.count("/v2/namespaces/acme/repositories") == 1
    assert paths.count("/v2/repositories/acme/") == 3
    assert paths.count("/v2/namespaces/acme/repositories/big/tags") == 1
    assert paths.count("/v2/repositories/acme/big/tags") == 3


@pytest.mark.parametrize("token_endpoint", [True, False])
def test_two_factor_account_is_told_to_use_a_pat(hub: HubServer, token_endpoint: bool) -> None:
    hub.token_endpoint = token_endpoint
    secrets: list[str] = []
    client = server_client(hub, Credentials(TWOFA_USER, TWOFA_PASSWORD), secrets=secrets)
    with pytest.raises(Unauthorized) as info:
        client.repositories(NAMESPACE)
    assert info.value.kind is Kind.SECOND_FACTOR
    message = describe(info.value)
    assert "Create a personal access token" in message
    assert TWOFA_PASSWORD not in message
    assert "two-factor authentication or single sign-on" in message
    if not token_endpoint:
        assert len(secrets) == 1 and secrets[0].startswith("hub2fa-")  # masked as it arrived
        assert secrets[0] not in message
    assert server_client(hub, Credentials(TWOFA_USER, TWOFA_PAT)).repositories(NAMESPACE)


def test_anonymous_tags_of_a_private_repository(hub: HubServer) -> None:
    with pytest.raises(NotFound, match="it may be private") as info:
        server_client(hub).tags(NAMESPACE, "secret")
    assert info.value.kind is Kind.REPOSITORY


def test_missing_namespace_on_the_server(hub: HubServer) -> None:
    with pytest.raises(NotFound) as info:
        server_client(hub).repositories("nobody")
    assert info.value.kind is Kind.NAMESPACE
    assert [r.path for r in hub.requests] == [
        "/v2/namespaces/nobody/repositories",
        "/v2/repositories/nobody/",
    ]


def test_429_once_is_waited_out_within_the_retry_budget(
    hub: HubServer, retry_clock: FakeClock
) -> None:
    hub.throttle(1, headers={"Retry-After": "1"})
    client = server_client(hub, session=new_session(retry_budget=5))
    tags = client.tags(NAMESPACE, "small")
    assert [t.name for t in tags] == ["1.2.3", "1.2-windows", "legacy"]
    assert retry_clock.sleeps == [1.0]  # Retry-After: 1 was honoured, not hammered through
    assert len(hub.requests) == 2  # the 429, then the answer


def test_x_retry_after_unix_time_is_honoured(hub: HubServer, retry_clock: FakeClock) -> None:
    hub.throttle(1, headers={"X-Retry-After": str(int(retry_clock.time()) + 2)})
    assert server_client(hub).repositories("hubuser") == []  # anonymous: `tools` is private
    assert retry_clock.sleeps == [2.0]
    assert len(hub.requests) == 2


def test_429_beyond_the_budget_is_rate_limited(hub: HubServer, retry_clock: FakeClock) -> None:
    hub.throttle(50, headers={"Retry-After": "1"})
    client = server_client(hub, session=new_session(retry_budget=1.5))
    with pytest.raises(RateLimited, match="Docker Hub's API rate limit"):
        client.repositories(NAMESPACE)
    # Waited what each 429 asked, the last wait cut to what was left of the budget; no more.
    assert retry_clock.sleeps == [1.0, 0.5]
    assert len(hub.requests) == 3


def test_expired_tokens_are_renewed(hub: HubServer) -> None:
    client = server_client(hub, Credentials(HUB_USER, HUB_PAT))
    client.tags(NAMESPACE, "secret")
    hub.revoke_tokens()
    assert len(client.tags(NAMESPACE, "secret")) == 1
    assert [r.method for r in hub.requests] == ["POST", "GET", "GET", "POST", "GET"]


def test_every_issued_token_reaches_on_secret(hub: HubServer) -> None:
    secrets: list[str] = []
    client = server_client(hub, Credentials(HUB_USER, HUB_PAT), secrets=secrets)
    client.namespaces()
    assert secrets == hub.issued_tokens()
    hub.revoke_tokens()
    client.namespaces()
    assert len(secrets) == 2
    assert hub.issued_tokens() == secrets[1:]


def test_tags_pushed_while_listing_are_neither_lost_nor_doubled(hub: HubServer) -> None:
    pushed = threading.Event()

    def push_once(path: str, page: int) -> None:
        if page == 2 and not pushed.is_set():
            pushed.set()
            new = copy.deepcopy(hub.data.tags[(NAMESPACE, BIG_REPO)][0])
            new.update(name="hotfix", tag_last_pushed="2025-01-01T00:00:00.000000Z")
            with hub.lock:
                hub.data.tags[(NAMESPACE, BIG_REPO)].insert(0, new)

    hub.before_page = push_once
    tags = server_client(hub).tags(NAMESPACE, BIG_REPO)
    names = [t.name for t in tags]
    assert len(names) == len(set(names)) == BIG_TAG_COUNT + 1
    assert "hotfix" in names
    assert len(hub.listing_requests()) == 6  # read twice: the first read saw the shift


def test_concurrent_pages_are_bounded(hub: HubServer) -> None:
    active = {"now": 0, "max": 0}
    guard = threading.Lock()

    def slow(path: str, page: int) -> None:
        with guard:
            active["now"] += 1
            active["max"] = max(active["max"], active["now"])
        time.sleep(0.05)
        with guard:
            active["now"] -= 1

    hub.data.repositories[NAMESPACE] = hub.data.repositories[NAMESPACE] + [
        {**REPO, "name": f"more-{i}"} for i in range(750)
    ]
    hub.before_page = slow
    client = HubClient(new_session(), hub_url=hub.url, concurrency=3)
    assert len(client.repositories(NAMESPACE)) == REPO_COUNT - PRIVATE_COUNT + 750
    assert 2 <= active["max"] <= 3  # concurrent, and never more than asked
