"""One quick end-to-end run of ``benchmarks/run.py`` on plain HTTP, as a subprocess.

The run is what issue 7's acceptance reads: hubaction's request counts equal the round-trip
budget (inspect 4+1, digest 2+1, tags 2+1 on an anonymous token registry). It needs
``docker-registry`` and ``skopeo`` like the other integration tests. The benchmark's own
machinery (the delay proxy) is not imported here: tests do not depend on benchmarks/.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from registryfixtures import require_tool

ROOT = Path(__file__).resolve().parent.parent
BENCHMARKS = ROOT / "benchmarks"

# One worker runs every test of this module, so the benchmark runs once (with `--dist loadgroup`).
pytestmark = pytest.mark.xdist_group("benchmark-smoke")

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
