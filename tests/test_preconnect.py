"""With the token realm known up front (Docker Hub), the registry's connection is opened while
the token request is in flight, and the real request then uses that same connection.

Two real HTTP servers on 127.0.0.1: a slow token service and a registry that records when it
accepted each connection."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from hubaction.auth import _Realm
from hubaction.reference import parse_reference
from hubaction.registry import open_client

DIGEST = "sha256:" + "c" * 64
TOKEN_DELAY = 0.4


class Recorder(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, handler: type[BaseHTTPRequestHandler]) -> None:
        super().__init__(("127.0.0.1", 0), handler)
        self.accepted: list[float] = []
        self.answered: list[float] = []
        self.requests: list[str] = []

    def get_request(self):  # type: ignore[no-untyped-def]
        conn = super().get_request()
        self.accepted.append(time.monotonic())
        return conn


class Registry(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_HEAD(self) -> None:
        server = self.server
        assert isinstance(server, Recorder)
        server.requests.append(f"{self.command} {self.path} {self.headers.get('Authorization')}")
        self.send_response(200)
        self.send_header("Docker-Content-Digest", DIGEST)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


class Token(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        server = self.server
        assert isinstance(server, Recorder)
        time.sleep(TOKEN_DELAY)
        body = json.dumps({"token": "tok", "expires_in": 300}).encode()
        server.answered.append(time.monotonic())
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def servers() -> Iterator[tuple[Recorder, Recorder]]:
    registry, token = Recorder(Registry), Recorder(Token)
    threads = [threading.Thread(target=s.serve_forever, daemon=True) for s in (registry, token)]
    for thread in threads:
        thread.start()
    try:
        yield registry, token
    finally:
        for server in (registry, token):
            server.shutdown()
            server.server_close()


def test_registry_handshake_overlaps_the_token_request(
    servers: tuple[Recorder, Recorder],
) -> None:
    registry, token = servers
    host = f"127.0.0.1:{registry.server_address[1]}"
    client = open_client()
    # As for Docker Hub: the realm is known before any request.
    client.auth._realms[host] = _Realm(f"http://127.0.0.1:{token.server_address[1]}/token", "s")
    head = client.head_manifest(parse_reference(f"{host}/app:1"))
    assert str(head.digest) == DIGEST
    assert registry.requests == ["HEAD /v2/app/manifests/1 Bearer tok"]
    # the registry connection was open before the token arrived ...
    assert len(registry.accepted) == 1 and len(token.answered) == 1
    assert registry.accepted[0] < token.answered[0] - TOKEN_DELAY / 2
    # ... and the HEAD used it: one connection to the registry in all
    pools = client.session.get_adapter("http://x").poolmanager.pools  # type: ignore[attr-defined]
    registry_pool = next(
        p for p in pools._container.values() if p.port == registry.server_address[1]
    )
    assert registry_pool.num_connections == 1
