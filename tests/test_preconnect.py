"""With the token realm known up front (Docker Hub), the registry's connection is opened while
the token request is in flight, and the real request then uses that same connection.

Two real HTTP servers on 127.0.0.1: a slow token service and a registry that records when it
accepted each connection."""

from __future__ import annotations

import json
import ssl
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import requests
from urllib3.util.wait import wait_for_read

from hubaction.auth import _Realm
from hubaction.reference import parse_reference
from hubaction.registry import open_client
from hubaction.transport import new_session, preconnect

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"
if str(BENCHMARKS) not in sys.path:
    sys.path.insert(0, str(BENCHMARKS))

from tlsenv import make_tls_files, server_context  # noqa: E402

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


# -- TLS 1.3: session tickets arrive after the handshake ---------------------------------------


@pytest.fixture
def tls_registry(tmp_path: Path) -> Iterator[tuple[Recorder, Path]]:
    """The registry above over TLS 1.3 for ``localhost``. Python's ssl server, like Go's and
    most others, sends NewSessionTicket messages once the client finished the handshake."""
    files = make_tls_files(tmp_path / "tls", ["localhost"])
    context = server_context(files)
    context.minimum_version = ssl.TLSVersion.TLSv1_3
    server = Recorder(Registry)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server, files.ca_cert
    finally:
        server.shutdown()
        server.server_close()


def test_a_connection_opened_ahead_survives_the_tls13_session_tickets(
    tls_registry: tuple[Recorder, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    server, ca = tls_registry
    monkeypatch.setenv("SSL_CERT_FILE", str(ca))
    for name in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"):
        monkeypatch.delenv(name, raising=False)
    session = new_session()
    url = f"https://localhost:{server.server_address[1]}/v2/app/manifests/1"
    preconnect(session, url)()
    # Idle for longer than the tickets take to arrive: the socket has unread TLS records.
    deadline = time.monotonic() + 5
    pool = session.get_adapter(url).get_connection_with_tls_context(  # type: ignore[attr-defined]
        requests.Request("GET", url).prepare(), str(ca), None, None
    )
    conn = pool.pool.queue[-1]
    while not wait_for_read(conn.sock, timeout=0.05) and time.monotonic() < deadline:
        pass
    assert wait_for_read(conn.sock, timeout=0), "the server sent no session ticket"
    response = session.head(url)
    assert response.status_code == 200
    # urllib3 alone took the readable socket for a dropped one and connected again.
    assert len(server.accepted) == 1
    assert server.requests == ["HEAD /v2/app/manifests/1 None"]
