"""The benchmark's machinery (benchmarks/): the delay proxy's request parser and delay model,
and one quick end-to-end run of ``benchmarks/run.py`` on plain HTTP.

The end-to-end run is what issue 7's acceptance reads: hubaction's request counts equal the
round-trip budget (inspect 4+1, digest 2+1, tags 2+1 on an anonymous token registry). It needs
``docker-registry`` and ``skopeo`` like the other integration tests.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import requests
from registryfixtures import require_tool

ROOT = Path(__file__).resolve().parent.parent
BENCHMARKS = ROOT / "benchmarks"
if str(BENCHMARKS) not in sys.path:
    sys.path.insert(0, str(BENCHMARKS))

from delayproxy import ProxyLoop, RequestParser  # noqa: E402

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


class _Hello(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        body = b"hello"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def hello_server() -> Iterator[int]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Hello)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


def test_delay_model_connect_and_request_cost_one_delay_each(hello_server: int) -> None:
    delay = 0.3
    with ProxyLoop() as loop, requests.Session() as session:
        session.trust_env = False
        proxy = loop.proxy("hello", ("127.0.0.1", hello_server), delay=delay, parse_http=True)
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


# -- end to end -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def smoke_run(tmp_path_factory: pytest.TempPathFactory, docker_registry_binary: str) -> Any:
    """One run of the benchmark: plain HTTP, no delay, one run per tool, no warm-up."""
    require_tool("skopeo")
    out = tmp_path_factory.mktemp("bench")
    results = out / "results.json"
    command = [sys.executable, str(BENCHMARKS / "run.py"), "--runs", "1", "--delays", "0"]
    command += ["--quick", "--setups", "plain", "--tools", "hubaction,skopeo,requests"]
    done = subprocess.run(
        [*command, "--json", str(results)],
        capture_output=True,
        text=True,
        timeout=240,
        cwd=out,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout, json.loads(results.read_text())


def _table_rows(stdout: str) -> list[dict[str, str]]:
    lines = [line for line in stdout.splitlines() if line.startswith("|")]
    header = [cell.strip() for cell in lines[0].strip("|").split("|")]
    return [
        dict(zip(header, (cell.strip() for cell in line.strip("|").split("|")), strict=True))
        for line in lines[2:]
    ]


BUDGET = {
    ("inspect", "hubaction (action)"): "4+1",
    ("inspect", "hubaction (CLI)"): "4+1",
    ("digest", "hubaction (action)"): "2+1",
    ("tags", "hubaction (CLI)"): "2+1",
}


def test_benchmark_prints_the_table_with_every_tool(smoke_run: Any) -> None:
    stdout, _results = smoke_run
    rows = _table_rows(stdout)
    seen = {(row["operation"], row["tool"]) for row in rows}
    for operation in ("inspect", "digest", "tags"):
        assert (operation, "skopeo") in seen
        assert (operation, "requests (floor)") in seen
    assert set(BUDGET) <= seen
    failed = [row for row in rows if row["requests (reg+auth)"].startswith("FAILED")]
    assert failed == []
    assert re.search(r"^Machine: .*Python 3\.", stdout, re.MULTILINE)


def test_hubaction_request_counts_equal_the_budget(smoke_run: Any) -> None:
    stdout, results = smoke_run
    for row in _table_rows(stdout):
        key = (row["operation"], row["tool"])
        if key in BUDGET:
            assert row["requests (reg+auth)"] == BUDGET[key], row
    # The same from the raw results: no /v2/ ping, the token fetched once, nothing repeated.
    for row in results["rows"]:
        if row["tool"].startswith("hubaction"):
            sample = row["samples"][0]
            assert not any(r.endswith(" /v2/") for r in sample["registry"]["requests"])
            assert len(sample["auth"]["requests"]) == 1


def test_the_floor_meets_the_same_budget(smoke_run: Any) -> None:
    """The bare requests script shows the budget is reachable: same counts, 1+1 connections."""
    stdout, _results = smoke_run
    floor = {"inspect": "4+1", "digest": "2+1", "tags": "2+1"}
    rows = [row for row in _table_rows(stdout) if row["tool"] == "requests (floor)"]
    assert {row["operation"]: row["requests (reg+auth)"] for row in rows} == floor
    assert {row["connections (reg+auth)"] for row in rows} == {"1+1"}


def test_hubaction_uses_one_connection_per_host(smoke_run: Any) -> None:
    """The 401 before the token and every HEAD leave their connection in the pool (closing an
    unread response makes urllib3 drop it, and the next request pays a new handshake)."""
    stdout, _results = smoke_run
    for row in _table_rows(stdout):
        if (row["operation"], row["tool"]) in BUDGET:
            assert row["connections (reg+auth)"] == "1+1", row
