"""HubClient.tag: one tag of Docker Hub's API (``GET /v2/namespaces/{ns}/repositories/{repo}/
tags/{tag}``, docs/docker-hub-api.md), against the fake Docker Hub (tests/fakes/hubserver.py)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import pytest
from fakes.hubserver import HUB_PAT, HUB_USER, NAMESPACE, HubServer
from fakes.server import FakeServer, Handler, Response

from hubaction.dockerhub.client import HubClient
from hubaction.errors import InvalidInput, Kind, NotFound, RegistryError
from hubaction.registry.credentials import Credentials
from hubaction.registry.transport import new_session


@pytest.fixture(scope="module")
def hub() -> Iterator[HubServer]:
    with HubServer() as server:
        yield server


def client(server: HubServer, creds: Credentials | None = None) -> HubClient:
    return HubClient(new_session(retry_budget=5), hub_url=server.url, credentials=creds)


def test_one_tag_with_its_push_date(hub: HubServer) -> None:
    hub.reset()
    tag = client(hub).tag(NAMESPACE, "small", "1.2.3")
    assert tag.name == "1.2.3"
    assert tag.pushed_at == datetime(2024, 5, 15, 8, 0, tzinfo=UTC)
    paths = [r.path for r in hub.requests]
    assert paths == [f"/v2/namespaces/{NAMESPACE}/repositories/small/tags/1.2.3"]


def test_a_tag_without_tag_last_pushed_falls_back_to_last_updated(hub: HubServer) -> None:
    tag = client(hub).tag(NAMESPACE, "small", "legacy")
    assert tag.pushed_at == datetime(2023, 12, 24, 18, 30, tzinfo=UTC)


@pytest.mark.parametrize(("repository", "tag"), [("small", "9.9.9"), ("nope", "1")])
def test_missing_tag_or_repository_is_not_found(hub: HubServer, repository: str, tag: str) -> None:
    with pytest.raises(NotFound) as caught:
        client(hub).tag(NAMESPACE, repository, tag)
    assert caught.value.kind is Kind.TAG and caught.value.status == 404
    assert f"{NAMESPACE}/{repository}:{tag}" in str(caught.value)


def test_private_repository_needs_credentials(hub: HubServer) -> None:
    with pytest.raises(NotFound):
        client(hub).tag(HUB_USER, "tools", "1.2.3")
    with pytest.raises(NotFound):  # visible now, but it has no tags in the fake's data
        client(hub, Credentials(HUB_USER, HUB_PAT)).tag(HUB_USER, "tools", "1.2.3")


def test_names_are_checked_before_any_request(hub: HubServer) -> None:
    hub.reset()
    for args in (("Acme", "small", "1"), (NAMESPACE, "small", "-bad"), (NAMESPACE, "a/b", "1")):
        with pytest.raises(InvalidInput):
            client(hub).tag(*args)
    assert hub.requests == []


def test_a_malformed_answer_is_a_registry_error(
    serve: Callable[[Handler], FakeServer],
) -> None:
    server = serve(lambda _request: Response.json(200, ["not", "an", "object"]))
    with pytest.raises(RegistryError, match="not an object"):
        HubClient(new_session(), hub_url=server.url).tag(NAMESPACE, "small", "1")
