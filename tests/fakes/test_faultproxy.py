"""The fault proxy (:mod:`fakes.faultproxy`) against a tiny upstream: every fault does what it
says, so that one that silently did nothing cannot make ``tests/test_faults.py`` pass for the
wrong reason."""

from __future__ import annotations

import http.client
import json
from collections.abc import Iterator

import pytest

import fakes.faultproxy as fp
from fakes.faultproxy import FaultProxy
from fakes.server import FakeServer, Request, Response

BODY = b'{"tags":["' + b"0123456789" * 20 + b'"]}'


class Upstream(FakeServer):
    """Answers BODY to every GET, with ``Link`` and ``Location`` naming its own address (for
    the proxy to rewrite)."""

    def __init__(self) -> None:
        super().__init__(self._handle)

    def _handle(self, request: Request) -> Response:
        headers = (
            ("Content-Type", "application/json"),
            ("Link", f'<http://{self.host}/v2/a/tags/list?last=x>; rel="next"'),
            ("Location", f"http://{self.host}/v2/a/blobs/uploads/1"),
            ("Docker-Content-Digest", "sha256:" + "a" * 64),
        )
        return Response(200, headers, BODY)

    @property
    def hosts(self) -> list[str]:
        """The ``Host`` header of every request received."""
        return [e.request.header("Host") for e in self.exchanges]


@pytest.fixture
def upstream() -> Iterator[Upstream]:
    with Upstream() as server:
        yield server


def connect(proxy: FaultProxy, timeout: float = 10) -> http.client.HTTPConnection:
    return http.client.HTTPConnection("127.0.0.1", proxy.port, timeout=timeout)


def test_ok_forwards_rewrites_and_keeps_alive(upstream: Upstream) -> None:
    address = upstream.host
    with FaultProxy(address) as proxy:
        conn = connect(proxy)
        for method in ("GET", "HEAD", "GET"):
            conn.request(method, "/v2/a/tags/list?n=5")
            response = conn.getresponse()
            body = response.read()
            assert response.status == 200
            assert body == (BODY if method == "GET" else b"")
            assert response.headers["Content-Length"] == str(len(BODY))
            assert response.headers["Link"] == (f'<{proxy.url}/v2/a/tags/list?last=x>; rel="next"')
            assert response.headers["Location"] == f"{proxy.url}/v2/a/blobs/uploads/1"
            assert response.headers["Docker-Content-Digest"] == "sha256:" + "a" * 64
        sock = conn.sock
        conn.close()
        assert sock is not None  # one connection carried all three
        assert [(r.index, r.method, r.path, r.fault) for r in proxy.requests] == [
            (0, "GET", "/v2/a/tags/list?n=5", fp.OK),
            (1, "HEAD", "/v2/a/tags/list?n=5", fp.OK),
            (2, "GET", "/v2/a/tags/list?n=5", fp.OK),
        ]
        assert [r.upstream_status for r in proxy.requests] == [200, 200, 200]
    assert upstream.hosts == [address] * 3


def test_status_fault_answers_itself_and_keeps_the_connection(
    upstream: Upstream,
) -> None:
    address = upstream.host
    schedule = [fp.status(429, retry_after="1"), fp.OK]
    with FaultProxy(address, schedule) as proxy:
        conn = connect(proxy)
        answers = []
        for method in ("GET", "GET", "HEAD", "HEAD"):
            conn.request(method, "/v2/x")
            response = conn.getresponse()
            answers.append((response.status, response.headers.get("Retry-After"), response.read()))
        conn.close()
    assert [(s, ra) for s, ra, _b in answers] == [(429, "1"), (200, None), (429, "1"), (200, None)]
    assert b"fault injected" in answers[0][2] and answers[2][2] == b""
    assert len(upstream.hosts) == 2  # the faulted requests never reached upstream


def test_reset_is_a_connection_reset_before_any_answer(upstream: Upstream) -> None:
    address = upstream.host
    with FaultProxy(address, [fp.RESET]) as proxy:
        conn = connect(proxy)
        conn.request("GET", "/v2/x")
        with pytest.raises(ConnectionResetError):
            conn.getresponse()
        conn.close()
        assert [r.fault for r in proxy.requests] == [fp.RESET]
    assert upstream.hosts == []


def test_truncate_sends_half_the_announced_body_then_closes(
    upstream: Upstream,
) -> None:
    address = upstream.host
    with FaultProxy(address, [fp.TRUNCATE]) as proxy:
        conn = connect(proxy)
        conn.request("GET", "/v2/x")
        response = conn.getresponse()
        assert response.headers["Content-Length"] == str(len(BODY))
        assert response.headers["Connection"] == "close"
        with pytest.raises(http.client.IncompleteRead) as info:
            response.read()
        assert info.value.partial == BODY[: len(BODY) // 2]
        conn.close()
        # HEAD has no body to cut: the headers arrive whole.
        conn = connect(proxy)
        conn.request("HEAD", "/v2/x")
        response = conn.getresponse()
        assert (response.status, response.read()) == (200, b"")
        assert response.headers["Content-Length"] == str(len(BODY))
        conn.close()


def test_corrupt_keeps_headers_and_length_but_not_the_bytes(
    upstream: Upstream,
) -> None:
    address = upstream.host
    with FaultProxy(address, [fp.CORRUPT, fp.OK]) as proxy:
        conn = connect(proxy)
        bodies = []
        for _ in range(2):
            conn.request("GET", "/v2/x")
            response = conn.getresponse()
            assert response.headers["Content-Length"] == str(len(BODY))
            bodies.append(response.read())
        conn.close()
    assert bodies[1] == BODY
    assert bodies[0] == fp.corrupt_bytes(BODY) and len(bodies[0]) == len(BODY)
    assert bodies[0] != BODY
    with pytest.raises(UnicodeDecodeError):  # detectable: no longer UTF-8, so not JSON
        json.loads(bodies[0])


# A stop that waited for the hanging handler (MAX_HANG, 300 s) or for the idle keep-alive
# connection (IDLE_TIMEOUT, 60 s) would end here.
@pytest.mark.timeout(30)
def test_slow_delays_and_hang_never_answers_and_stop_is_prompt(upstream: Upstream) -> None:
    def schedule(index: int, method: str, path: str) -> fp.Fault:
        return fp.slow(0.5) if path == "/slow" else fp.HANG

    proxy = FaultProxy(upstream.host, schedule).start()
    try:
        impatient = connect(proxy, timeout=0.1)
        impatient.request("GET", "/slow")
        with pytest.raises(TimeoutError):  # not a byte before the delay is over
            impatient.getresponse()
        impatient.close()
        conn = connect(proxy)
        conn.request("GET", "/slow")
        assert conn.getresponse().read() == BODY  # then the whole answer
        conn.close()
        conn = connect(proxy, timeout=0.5)
        conn.request("GET", "/hang")
        with pytest.raises(TimeoutError):
            conn.getresponse()
        # A second client still hanging when the proxy stops, and an idle keep-alive one.
        hanging = connect(proxy, timeout=10)
        hanging.request("GET", "/hang")
        idle = connect(proxy)
        idle.request("GET", "/slow")
        idle.getresponse().read()
        seen = [r.fault.kind for r in proxy.requests]
        # The last two arrive on two connections at once: their order in the log may vary.
        assert seen[:3] == ["slow", "slow", "hang"]
        assert sorted(seen[3:]) == ["hang", "slow"]
    finally:
        proxy.stop()
    with pytest.raises((http.client.RemoteDisconnected, ConnectionError)):
        hanging.getresponse()
    hanging.close()
    idle.close()
    conn.close()


def test_schedule_list_cycles_and_reset_log_restarts_it(upstream: Upstream) -> None:
    address = upstream.host
    with FaultProxy(address, [fp.status(503), fp.OK, fp.status(500)]) as proxy:
        conn = connect(proxy)
        seen = []
        for _ in range(5):
            conn.request("GET", "/v2/x")
            response = conn.getresponse()
            response.read()
            seen.append(response.status)
        assert seen == [503, 200, 500, 503, 200]
        proxy.reset_log()
        conn.request("GET", "/v2/x")
        response = conn.getresponse()
        response.read()
        assert response.status == 503
        assert [r.index for r in proxy.requests] == [0]
        conn.close()
