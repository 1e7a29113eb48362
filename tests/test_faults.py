"""Fault injection: hubaction behind :class:`faultproxy.FaultProxy`, in front of a real registry.

The promise under test (issue 6): with faults on every other request -- 503, 429 with
``Retry-After``, 500, a connection reset, a truncated body, a corrupted body, a slow answer --
``hubaction inspect``, ``hubaction tags`` and the action give exactly the digests and tags that
were pushed; never a wrong digest. A registry that is down, or one that corrupts every answer,
gives one clear error quickly; one that stops answering gives a timeout error, not a hang
(tested in process, with a short read timeout instead of the run's 20 s).

The proxy itself is checked against a tiny upstream in ``tests/fakes/test_faultproxy.py``, so
that a fault that silently did nothing cannot make these tests pass for the wrong reason.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import fakes.faultproxy as fp
import pytest
from actionrunner import ROOT, ActionRun, run_action
from fakes.faultproxy import FaultProxy
from fakes.server import free_port
from registryfixtures import TOKEN_PASSWORD, TOKEN_USER, Fixtures, RegistryProcess

from hubaction.errors import Kind, RegistryError, Service, advice, describe
from hubaction.oci.platform import parse_platform
from hubaction.oci.reference import parse_reference
from hubaction.oci.tags import select_tags
from hubaction.registry.client import open_client
from hubaction.registry.lookup import inspect_image

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


# Bounded time is pytest-timeout's to enforce: connection refused is retried 3 times with
# backoff (seconds), never for the retry budget (a minute).
@pytest.mark.timeout(60)
def test_registry_down_is_one_clear_error_quickly(tmp_path: Path) -> None:
    host = f"127.0.0.1:{free_port()}"
    cli_result, action = concurrently(
        lambda: cli("inspect", f"{host}/{INDEX}:1", "--json"),
        lambda: run_action({"repository": f"{host}/{INDEX}"}, tmp_path),
    )
    # What failed, why, and what to do, in the CLI's `error:` line and the action's `::error::`.
    todo = advice(Kind.UNREACHABLE, Service.REGISTRY)
    assert todo is not None
    line = one_error_line(*cli_result)
    assert "could not connect" in line and host in line and todo in line, line
    assert isinstance(action, ActionRun)
    assert action.returncode == 1
    assert len(action.errors()) == 1, action.commands
    assert "could not connect" in action.errors()[0] and todo in action.errors()[0]
    assert action.outputs == {}
    assert "Traceback" not in action.log


# In a run the read timeout is 20 s (DEFAULT_TIMEOUT): two of them, ~40 s, and the same error.
# Here the client's timeout is short; a hang would be ended by pytest-timeout, a failure.
@pytest.mark.timeout(30)
def test_registry_that_stops_answering_is_a_timeout_error_not_a_hang(
    open_registry: RegistryProcess,
) -> None:
    with FaultProxy(open_registry.host, fp.always(fp.HANG)) as proxy:
        client = open_client(timeout=(5.0, 0.5))
        ref = parse_reference(f"{proxy.host}/{INDEX}:1")
        with pytest.raises(RegistryError) as info:
            inspect_image(client, ref, parse_platform("linux/amd64"))
        asked = proxy.requests
    error = info.value
    assert (type(error), error.kind, error.service) == (
        RegistryError,
        Kind.TIMEOUT,
        Service.REGISTRY,
    )
    assert error.registry == proxy.host
    assert f"{proxy.host} did not answer in time" in str(error)
    assert describe(error).endswith(f"(timeout). {advice(Kind.TIMEOUT)}")
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
