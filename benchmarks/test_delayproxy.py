"""The benchmark's own machinery: the delay proxy's request parser and its delay model.

Tests of benchmarks/ live here, beside it (tests/ never imports benchmarks/); scripts/test runs
them with the rest. The end-to-end smoke run of ``run.py`` is tests/test_benchmark_smoke.py.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parent.parent
for _path in (str(ROOT / "benchmarks"), str(ROOT / "tests")):
    if _path not in sys.path:
        sys.path.insert(0, _path)

from delayproxy import ProxyLoop, RequestParser  # noqa: E402
from fakes.server import FakeServer, Request, Response  # noqa: E402

# -- request parser ---------------------------------------------------------------------------

TLS_CLIENT_HELLO = bytes.fromhex("16030100f4010000f00303") + b"\x00" * 40


def _parse(chunks: list[bytes]) -> tuple[list[str], int, bool]:
    seen: list[str] = []
    not_http = []
    parser = RequestParser(lambda m, t: seen.append(f"{m} {t}"), lambda: not_http.append(1))
    for chunk in chunks:
        parser.feed(chunk)
    return seen, len(not_http), parser.dead


@pytest.mark.parametrize(
    ("chunks", "requests_seen", "not_http"),
    [
        ([b"GET /v2/ HTTP/1.1\r\nHost: x\r\n\r\n"], ["GET /v2/"], 0),
        # Split anywhere, even inside the request line and the blank line.
        ([b"HE", b"AD /a HTTP/1.1\r\nHost: x\r", b"\n\r\n"], ["HEAD /a"], 0),
        # Keep-alive: two requests in one chunk, HTTP/1.0 too.
        ([b"GET /a HTTP/1.1\r\n\r\nGET /b HTTP/1.0\r\n\r\n"], ["GET /a", "GET /b"], 0),
        # A body announced by Content-Length is skipped, even one that looks like a request.
        (
            [
                b"POST /t HTTP/1.1\r\nContent-Length: 19\r\n\r\n",
                b"GET /x HTTP/1.1\r\n\r\n",
                b"GET /y HTTP/1.1\r\n\r\n",
            ],
            ["POST /t", "GET /y"],
            0,
        ),
        # A ClientHello sent to a plain HTTP port (skopeo trying HTTPS first).
        ([TLS_CLIENT_HELLO], [], 1),
        ([b"hello world\r\n\r\n"], [], 1),
        ([b"GET /a HTTP/2\r\n\r\n"], [], 1),
        ([b"GET  HTTP/1.1\r\n\r\n"], [], 1),
        # Garbage after a good request: the connection stops being parsed, no double count.
        ([b"GET /a HTTP/1.1\r\n\r\n", TLS_CLIENT_HELLO], ["GET /a"], 0),
        # Chunked request bodies are not parsed: counting stops rather than guessing.
        (
            [b"POST /a HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nGET /\r\n0\r\n\r\n"],
            ["POST /a"],
            0,
        ),
        ([b""], [], 0),
    ],
)
def test_request_parser(chunks: list[bytes], requests_seen: list[str], not_http: int) -> None:
    seen, garbage, _dead = _parse(chunks)
    assert seen == requests_seen
    assert garbage == not_http


def test_request_parser_gives_up_on_an_endless_head() -> None:
    seen, garbage, dead = _parse([b"GET /" + b"a" * 70_000])
    assert (seen, garbage, dead) == ([], 1, True)


# -- delay model ------------------------------------------------------------------------------


def _hello(_request: Request) -> Response:
    return Response(200, body=b"hello")


def test_delay_model_connect_and_request_cost_one_delay_each() -> None:
    # The one timed test of the project, on purpose: what it checks is the benchmark's clock.
    delay = 0.3
    with FakeServer(_hello) as hello, ProxyLoop() as loop, requests.Session() as session:
        session.trust_env = False
        proxy = loop.proxy("hello", ("127.0.0.1", hello.port), delay=delay, parse_http=True)
        url = f"http://{proxy.address}/x"
        timings = []
        for _ in range(2):
            start = time.perf_counter()
            assert session.get(url, timeout=10).text == "hello"
            timings.append(time.perf_counter() - start)
        stats = proxy.stats()
    # Cold: TCP connect (one delay) + request (one delay). Warm (kept alive): one delay.
    assert 2 * delay <= timings[0] < 2 * delay + 1.0
    assert delay <= timings[1] < delay + 0.25
    assert stats.connections == 1
    assert [str(r) for r in stats.requests] == ["GET /x", "GET /x"]
