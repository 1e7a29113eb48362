"""HubClient against requests-mock: the client, the request log and Docker Hub-like paged
listings, shared by tests/test_dockerhub_client_*.py."""

from __future__ import annotations

from typing import Any

import requests
import requests_mock
from fakes.hubserver import load

from hubaction.dockerhub.client import HubClient
from hubaction.registry.credentials import Credentials

HUB = "https://hub.example.com"
PASSWORD = "s3cr3t-Pw-never-print-me"


REPO = load("repositories-page.json")["results"][0]


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
