"""Tests for dockerhub.client: :class:`HubClient` listings (repositories, tags) against
requests-mock: paging, legacy paths, every error answer, pages that shift while they are read,
and registry access for private Docker Hub repositories."""

from __future__ import annotations

import base64
import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests
import requests_mock
from fakes.hubserver import HUB_PAT, load
from hubmock import (
    HUB,
    NS_URL,
    PASSWORD,
    REPO,
    TAGS_URL,
    calls,
    mock_client,
    repo_items,
    serve_pages,
)

from hubaction.dockerhub.models import HubRateLimit
from hubaction.errors import InvalidInput, Kind, NotFound, RateLimited, RegistryError, Unauthorized
from hubaction.oci.reference import DOCKER_HUB_REALM, parse_reference
from hubaction.registry.client import open_client
from hubaction.registry.credentials import Credentials, CredentialStore

DIGEST = "sha256:" + "a" * 64


# === HubClient against requests-mock =============================================================


@pytest.fixture
def fake() -> Iterator[requests_mock.Adapter]:
    yield requests_mock.Adapter()


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
    fake.register_uri("POST", f"{HUB}/v2/auth/token", json={"access_token": "t-0123456789abcdef"})
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
    tokens = iter(["old-0123456789abcdef", "new-0123456789abcdef"])
    fake.register_uri(
        "POST", f"{HUB}/v2/auth/token", json=lambda _r, _c: {"access_token": next(tokens)}
    )

    def listing(request: Any, context: Any) -> Any:
        if request.headers.get("Authorization") != "Bearer new-0123456789abcdef":
            context.status_code = 401
            return load("errors.json")["token_invalid"]
        return {"count": 1, "next": None, "previous": None, "results": repo_items(1)}

    fake.register_uri("GET", NS_URL, json=listing)
    secrets: list[str] = []
    client = mock_client(fake, Credentials("hubuser", PASSWORD), secrets=secrets)
    assert len(client.repositories("acme")) == 1
    assert [m for m, _ in calls(fake)] == ["POST", "GET", "POST", "GET"]
    assert secrets == ["old-0123456789abcdef", "new-0123456789abcdef"]


def test_token_refused_twice_is_unauthorized(fake: requests_mock.Adapter) -> None:
    fake.register_uri(
        "POST", f"{HUB}/v2/auth/token", json={"access_token": "tok-Zq81-0123456789abcdef"}
    )
    fake.register_uri("GET", NS_URL, status_code=401, json=load("errors.json")["token_invalid"])
    with pytest.raises(Unauthorized, match="refused the login token") as info:
        mock_client(fake, Credentials("hubuser", PASSWORD)).repositories("acme")
    assert "tok-Zq81-0123456789abcdef" not in str(info.value)
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
    fake.register_uri(
        "GET", DOCKER_HUB_REALM, json={"token": "registry-tok-0123456789abcdef", "expires_in": 300}
    )
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
    assert manifest_request.headers["Authorization"] == "Bearer registry-tok-0123456789abcdef"
    assert secrets == ["registry-tok-0123456789abcdef"]
