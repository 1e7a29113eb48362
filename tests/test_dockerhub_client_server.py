"""Tests for dockerhub.client: :class:`HubClient` against ``tests/fakes/hubserver.py``, a real
HTTP server serving the fixtures in ``tests/hubfixtures/`` (namespace ``acme`` with 250
repositories, ``acme/big`` with 230 tags), through the run's real session (retries, pooling,
concurrency)."""

from __future__ import annotations

import copy
import threading
from collections.abc import Iterator
from typing import Any

import fakes.hubserver as hubserver
import pytest
import requests
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
)
from hubmock import REPO

from hubaction.dockerhub.client import HubClient
from hubaction.dockerhub.pages import PAGE_SIZE
from hubaction.errors import Kind, NotFound, RateLimited, Unauthorized, describe
from hubaction.oci.tags import select_tags
from hubaction.oci.times import parse_time
from hubaction.registry.credentials import Credentials
from hubaction.registry.transport import new_session

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
        key=lambda t: parse_time(t.last_updated or ""),
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
    # The server holds the first three pages after page 1 at a barrier: none is answered before
    # all three are in flight, so reaching three needs no sleep (a client fetching fewer at a time
    # leaves the barrier waiting until its timeout breaks it, and the test fails). The session
    # counts the requests in flight on the client's side, where a fourth would start while the
    # three are held.
    guard = threading.Lock()
    meet = threading.Barrier(3, timeout=30)
    held = {"pages": 0}
    active = {"now": 0, "max": 0}

    def hold(path: str, page: int) -> None:
        with guard:
            first_three = page > 1 and held["pages"] < 3
            held["pages"] += first_three
        if first_three:
            meet.wait()

    session = new_session()
    send = session.send

    def counted_send(request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        with guard:
            active["now"] += 1
            active["max"] = max(active["max"], active["now"])
        try:
            return send(request, **kwargs)
        finally:
            with guard:
                active["now"] -= 1

    session.send = counted_send  # type: ignore[method-assign]
    hub.data.repositories[NAMESPACE] = hub.data.repositories[NAMESPACE] + [
        {**REPO, "name": f"more-{i}"} for i in range(750)
    ]
    hub.before_page = hold
    client = HubClient(session, hub_url=hub.url, concurrency=3)
    assert len(client.repositories(NAMESPACE)) == REPO_COUNT - PRIVATE_COUNT + 750
    assert held["pages"] == 3 and not meet.broken  # three were in flight together
    assert active["max"] == 3  # concurrent, and never more than asked
