"""Fault injection: hubaction behind :class:`faultproxy.FaultProxy`, in front of a real registry.

The promise under test (issue 6): with faults on every other request -- 503, 429 with
``Retry-After``, 500, a connection reset, a truncated body, a corrupted body, a slow answer --
``hubaction inspect``, ``hubaction tags`` and the action give exactly the digests and tags that
were pushed; never a wrong digest. A registry that is down, or one that corrupts every answer,
gives one clear error quickly; one that stops answering gives a timeout error, not a hang.

The first tests check the proxy itself against a tiny upstream, so that a fault that silently
did nothing cannot make the integration tests pass for the wrong reason.
"""

from __future__ import annotations

import http.client
import json
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, TypeVar

import fakes.faultproxy as fp
import pytest
from actionrunner import ROOT, ActionRun, run_action
from fakes.faultproxy import FaultProxy
from registryfixtures import TOKEN_PASSWORD, TOKEN_USER, Fixtures, RegistryProcess

from hubaction.errors import Kind, Service, advice
from hubaction.oci.tags import select_tags

T = TypeVar("T")

# -- the proxy itself, against a tiny upstream ---------------------------------------------------

BODY = b'{"tags":["' + b"0123456789" * 20 + b'"]}'


class _Upstream(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    hosts: list[str]  # set per server, see `upstream`
    address: str

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _headers(self) -> None:
        self.hosts.append(self.headers.get("Host", ""))
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(BODY)))
        self.send_header("Link", f'<http://{self.address}/v2/a/tags/list?last=x>; rel="next"')
        self.send_header("Location", f"http://{self.address}/v2/a/blobs/uploads/1")
        self.send_header("Docker-Content-Digest", "sha256:" + "a" * 64)
        self.end_headers()

    def do_GET(self) -> None:
        self._headers()
        self.wfile.write(BODY)

    def do_HEAD(self) -> None:
        self._headers()


@pytest.fixture
def upstream() -> Iterator[tuple[str, list[str]]]:
    """``(host:port, Host headers received)`` of a server answering BODY to every GET."""
    hosts: list[str] = []
    handler: type[_Upstream] = type("Upstream", (_Upstream,), {"hosts": hosts})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    handler.address = f"127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield f"127.0.0.1:{server.server_address[1]}", hosts
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def connect(proxy: FaultProxy, timeout: float = 10) -> http.client.HTTPConnection:
    return http.client.HTTPConnection("127.0.0.1", proxy.port, timeout=timeout)


def test_ok_forwards_rewrites_and_keeps_alive(upstream: tuple[str, list[str]]) -> None:
    address, hosts = upstream
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
    assert hosts == [address] * 3


def test_status_fault_answers_itself_and_keeps_the_connection(
    upstream: tuple[str, list[str]],
) -> None:
    address, hosts = upstream
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
    assert len(hosts) == 2  # the faulted requests never reached upstream


def test_reset_is_a_connection_reset_before_any_answer(upstream: tuple[str, list[str]]) -> None:
    address, hosts = upstream
    with FaultProxy(address, [fp.RESET]) as proxy:
        conn = connect(proxy)
        conn.request("GET", "/v2/x")
        with pytest.raises(ConnectionResetError):
            conn.getresponse()
        conn.close()
        assert [r.fault for r in proxy.requests] == [fp.RESET]
    assert hosts == []


def test_truncate_sends_half_the_announced_body_then_closes(
    upstream: tuple[str, list[str]],
) -> None:
    address, _hosts = upstream
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
    upstream: tuple[str, list[str]],
) -> None:
    address, _hosts = upstream
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


def test_slow_delays_and_hang_never_answers_and_stop_is_prompt(
    upstream: tuple[str, list[str]],
) -> None:
    address, _hosts = upstream

    def schedule(index: int, method: str, path: str) -> fp.Fault:
        return fp.slow(0.5) if path == "/slow" else fp.HANG

    proxy = FaultProxy(address, schedule).start()
    try:
        conn = connect(proxy)
        started = time.monotonic()
        conn.request("GET", "/slow")
        assert conn.getresponse().read() == BODY
        assert time.monotonic() - started >= 0.5
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
        assert [r.fault.kind for r in proxy.requests] == ["slow", "hang", "hang", "slow"]
    finally:
        started = time.monotonic()
        proxy.stop()
        stopped_in = time.monotonic() - started
    assert stopped_in < 5
    with pytest.raises((http.client.RemoteDisconnected, ConnectionError)):
        hanging.getresponse()
    hanging.close()
    idle.close()
    conn.close()


def test_schedule_list_cycles_and_reset_log_restarts_it(upstream: tuple[str, list[str]]) -> None:
    address, _hosts = upstream
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


# -- hubaction through the proxy, against the real registry --------------------------------------

FAULTS: list[fp.Fault] = [
    fp.status(503),
    fp.status(429, retry_after="1"),
    fp.status(500),
    fp.RESET,
    fp.TRUNCATE,
    fp.CORRUPT,
    fp.slow(1),
]
MIXED: list[fp.Fault] = [
    f for fault in [*FAULTS, fp.status(502), fp.status(504)] for f in fp.every_other(fault)
]
SCHEDULES: list[Any] = [
    *(pytest.param(fp.every_other(f), id=str(f)) for f in FAULTS),
    pytest.param(MIXED, id="mixed"),
]

INDEX = "fixtures/oci-index"
# (platform asked, platform as pushed): a variant filled in and one given exactly.
PLATFORMS = [("linux/arm64", "linux/arm64/v8"), ("windows/amd64", "windows/amd64")]


def cli(*args: str, stdin: str = "", env: dict[str, str] | None = None) -> tuple[int, str, str]:
    """``python -m hubaction.cli ARGS`` in a fresh process: (exit code, stdout, stderr)."""
    done = subprocess.run(
        [sys.executable, "-m", "hubaction.cli", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=150,
        cwd="/",
        env={"PATH": "/usr/bin:/bin", "HOME": "/nonexistent", "PYTHONPATH": str(ROOT)}
        | (env or {}),
    )
    return done.returncode, done.stdout, done.stderr


def concurrently(*calls: Callable[[], Any]) -> list[Any]:
    """Run independent subprocess-driving calls at once (each through its own proxy, so each
    sees the schedule from its own first request)."""
    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return [future.result() for future in [pool.submit(call) for call in calls]]


def assert_faults_applied(proxy: FaultProxy, schedule: Sequence[fp.Fault]) -> None:
    """The schedule really ran: every request got the fault its index says, about half were
    faulted, and every faulted GET that a retry should cure was asked again."""
    requests = proxy.requests
    assert requests, "nothing went through the proxy"
    for request in requests:
        assert request.fault == schedule[request.index % len(schedule)]
    faulted = [r for r in requests if r.fault.kind != "ok"]
    assert len(faulted) >= len(requests) // 2
    for request in faulted:
        if request.method == "GET" and request.fault.kind != "slow":
            later = [r for r in requests if r.index > request.index and r.path == request.path]
            assert later, f"{request} was never asked again"


def one_error_line(code: int, out: str, err: str) -> str:
    assert code == 1, (code, out, err)
    assert out == ""
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    assert "Traceback" not in err
    return lines[0]


@pytest.mark.parametrize("schedule", SCHEDULES)
def test_cli_gives_the_pushed_digests_and_tags_through_faults(
    open_registry: RegistryProcess, registry_fixtures: Fixtures, schedule: list[fp.Fault]
) -> None:
    pushed = registry_fixtures.oci_index
    many = registry_fixtures.many_tags_repository
    proxies = [FaultProxy(open_registry.host, schedule) for _ in range(len(PLATFORMS) + 2)]
    for proxy in proxies:
        proxy.start()
    try:
        inspect_calls = [
            (
                lambda p=p, asked=asked: cli(
                    "inspect", f"{p.host}/{INDEX}:1", "--platform", asked, "--json"
                )
            )
            for p, (asked, _) in zip(proxies, PLATFORMS, strict=False)
        ]
        index_tags, many_tags = proxies[-2], proxies[-1]
        results = concurrently(
            *inspect_calls,
            lambda: cli("tags", f"{index_tags.host}/{INDEX}", "--json"),
            lambda: cli("tags", f"{many_tags.host}/{many}", "--json", "--sort", "lexical"),
        )
        for proxy in proxies:
            assert_faults_applied(proxy, schedule)
    finally:
        for proxy in proxies:
            proxy.stop()
    for (code, out, err), (_asked, platform) in zip(results, PLATFORMS, strict=False):
        assert code == 0, err
        doc = json.loads(out)
        entry = pushed.platforms[platform]
        assert (doc["digest"], doc["platform-digest"], doc["config-digest"]) == (
            pushed.digest,
            entry.manifest_digest,
            entry.config_digest,
        )
        assert doc["media-type"] == pushed.media_type
        assert {m["platform"]: m["digest"] for m in doc["manifests"]} == {
            p: e.manifest_digest for p, e in pushed.platforms.items()
        }
        assert doc["labels"] == entry.labels
    code, out, err = results[-2]
    assert code == 0, err
    assert json.loads(out)["tags"] == list(select_tags(pushed.tags).tags)
    code, out, err = results[-1]
    assert code == 0, err
    doc = json.loads(out)
    assert doc["tags"] == sorted(registry_fixtures.many_tags)
    assert doc["tag-count"] == len(registry_fixtures.many_tags) == 2_100


@pytest.mark.parametrize("schedule", SCHEDULES)
def test_action_gives_the_pushed_digests_and_tags_through_faults(
    tmp_path: Path,
    open_registry: RegistryProcess,
    registry_fixtures: Fixtures,
    schedule: list[fp.Fault],
) -> None:
    pushed = registry_fixtures.oci_index
    many = registry_fixtures.many_tags_image
    with (
        FaultProxy(open_registry.host, schedule) as index_proxy,
        FaultProxy(open_registry.host, schedule) as many_proxy,
    ):
        index_run, many_run = concurrently(
            lambda: run_action(
                {"repository": f"{index_proxy.host}/{INDEX}", "tag": "1", "platform": "linux/arm"},
                tmp_path / "index",
            ),
            lambda: run_action(
                {
                    "repository": f"{many_proxy.host}/{registry_fixtures.many_tags_repository}",
                    "tag": "latest",
                    "max-tags": "3",
                    "tag-sort": "lexical",
                },
                tmp_path / "many",
            ),
        )
        assert_faults_applied(index_proxy, schedule)
        assert_faults_applied(many_proxy, schedule)
    for run in (index_run, many_run):
        assert run.returncode == 0, run.log
        assert run.errors() == []
    entry = pushed.platforms["linux/arm/v7"]
    out = index_run.outputs
    assert (out["digest"], out["platform-digest"], out["config-digest"]) == (
        pushed.digest,
        entry.manifest_digest,
        entry.config_digest,
    )
    assert out["pinned"] == f"{index_proxy.host}/{INDEX}:1@{pushed.digest}"
    assert json.loads(out["platforms"]) == list(pushed.platforms)
    assert json.loads(out["tags"]) == list(select_tags(pushed.tags).tags)
    assert pushed.digest in index_run.summary
    out = many_run.outputs
    assert out["digest"] == out["platform-digest"] == many.digest
    assert json.loads(out["tags"]) == sorted(registry_fixtures.many_tags)[:3]
    assert out["tag-count"] == "2100"


def test_token_registry_with_credentials_through_faults(
    token_registry: RegistryProcess, registry_fixtures: Fixtures
) -> None:
    """The 401 challenge and the token's use both pass through faults (and the token server
    stays direct: its realm names its own address)."""
    pushed = registry_fixtures.oci_index
    with FaultProxy(token_registry.host, MIXED) as proxy:
        code, out, err = cli(
            "inspect",
            f"{proxy.host}/{INDEX}:1",
            "--json",
            "--username",
            TOKEN_USER,
            "--password-stdin",
            stdin=TOKEN_PASSWORD,
        )
        statuses = [r.upstream_status for r in proxy.requests]
    assert code == 0, err
    assert json.loads(out)["digest"] == pushed.digest
    assert 401 in statuses  # the challenge came through the proxy
    assert TOKEN_PASSWORD not in out + err


# -- one clear error, in bounded time -------------------------------------------------------------


def closed_port() -> int:
    """A port on 127.0.0.1 that nothing listens on (bound, read, closed)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def timed(call: Callable[[], T]) -> Callable[[], tuple[T, float]]:
    def run() -> tuple[T, float]:
        started = time.monotonic()
        result = call()
        return result, time.monotonic() - started

    return run


def test_registry_down_is_one_clear_error_quickly(tmp_path: Path) -> None:
    host = f"127.0.0.1:{closed_port()}"
    (cli_result, cli_took), (action, action_took) = concurrently(
        timed(lambda: cli("inspect", f"{host}/{INDEX}:1", "--json")),
        timed(lambda: run_action({"repository": f"{host}/{INDEX}"}, tmp_path)),
    )
    # What failed, why, and what to do, in the CLI's `error:` line and the action's `::error::`.
    todo = advice(Kind.UNREACHABLE, Service.REGISTRY)
    assert todo is not None
    line = one_error_line(*cli_result)
    assert "could not connect" in line and host in line and todo in line, line
    assert cli_took < 60
    assert isinstance(action, ActionRun)
    assert action.returncode == 1
    assert len(action.errors()) == 1, action.commands
    assert "could not connect" in action.errors()[0] and todo in action.errors()[0]
    assert action.outputs == {}
    assert "Traceback" not in action.log
    assert action_took < 60


@pytest.mark.timeout(120)
def test_registry_that_stops_answering_is_a_timeout_error_not_a_hang(
    open_registry: RegistryProcess,
) -> None:
    """Every request hangs: two read timeouts (one retry) of 20 s, then one error (~40 s)."""
    with FaultProxy(open_registry.host, fp.always(fp.HANG)) as proxy:
        started = time.monotonic()
        result = cli("inspect", f"{proxy.host}/{INDEX}:1", "--json")
        took = time.monotonic() - started
        asked = proxy.requests
    line = one_error_line(*result)
    assert "did not answer in time" in line and "timeout" in line, line
    assert line.endswith(f"(timeout). {advice(Kind.TIMEOUT)}"), line
    assert took < 60
    assert [r.method for r in asked] == ["GET", "GET"]  # asked once more, then gave up


@pytest.mark.parametrize(
    ("fault", "needle"),
    [(fp.CORRUPT, "hashes to"), (fp.TRUNCATE, "connection broke")],
    ids=str,
)
def test_broken_body_on_every_request_is_one_error_never_an_answer(
    tmp_path: Path,
    open_registry: RegistryProcess,
    registry_fixtures: Fixtures,
    fault: fp.Fault,
    needle: str,
) -> None:
    with (
        FaultProxy(open_registry.host, fp.always(fault)) as inspect_proxy,
        FaultProxy(open_registry.host, fp.always(fault)) as tags_proxy,
        FaultProxy(open_registry.host, fp.always(fault)) as action_proxy,
    ):
        inspected, listed, action = concurrently(
            lambda: cli("inspect", f"{inspect_proxy.host}/{INDEX}:1", "--json"),
            lambda: cli("tags", f"{tags_proxy.host}/{INDEX}", "--json"),
            lambda: run_action(
                {"repository": f"{action_proxy.host}/{INDEX}", "tag": "1"}, tmp_path
            ),
        )
        inspect_requests = inspect_proxy.requests
        tags_requests = tags_proxy.requests
    line = one_error_line(*inspected)
    assert needle in line, line
    # fetched once more, then reported
    assert [r.path for r in inspect_requests] == [f"/v2/{INDEX}/manifests/1"] * 2
    line = one_error_line(*listed)
    assert "tags of" in line, line
    assert len(tags_requests) == 2
    assert isinstance(action, ActionRun)
    assert action.returncode == 1, action.log
    assert len(action.errors()) == 1 and needle in action.errors()[0]
    assert action.outputs == {}
    assert action.summary == ""
    assert "Traceback" not in action.log
