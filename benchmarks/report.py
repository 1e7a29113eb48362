"""What the comparison prints: the table, the round-trip budget, the acceptance ratios with the
fit ``wall = fixed + n x delay``, the request log, the machine line, and the rows as JSON."""

from __future__ import annotations

import contextlib
import dataclasses
import os
import platform
import re
import shutil
import statistics
import subprocess
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from delayproxy import ProxyStats
from measure import Row
from setups import Setup

#: Acceptance (issue 7): hubaction's action process over skopeo, TLS setup, inspect.
TARGETS = {30: 0.85, 100: 0.75}

OPERATION_TITLES = {
    "inspect": "inspect (digest + platform digest + config)",
    "digest": "digest only",
    "tags": "tags",
}
TOOL_ORDER = [
    "hubaction (action)",
    "hubaction (CLI)",
    "skopeo",
    "python-dxf",
    "requests (floor)",
]


# -- the table -------------------------------------------------------------------------------


def _reference(rows: list[Row], row: Row) -> Row | None:
    for other in rows:
        if (
            other.reference
            and other.setup == row.setup
            and other.operation == row.operation
            and other.delay_ms == row.delay_ms
            and other.samples
        ):
            return other
    return None


def _table_line(rows: list[Row], row: Row, setup: Setup) -> str:
    if not row.samples:
        return (
            f"| {row.setup} | {row.operation} | {row.tool} | {row.delay_ms} ms | "
            f"FAILED: {(row.error or 'no runs').replace('|', '/')[:160]} | | | | | |"
        )
    requests = row.spread("requests") if setup.counts_requests else "n/a (TLS)"
    # A TLS ClientHello on a plain HTTP port: a client that tried TLS first.
    if setup.counts_requests and any(
        s.registry.non_http_connections or s.auth.non_http_connections for s in row.samples
    ):
        requests += " (+TLS attempt)"
    reference = _reference(rows, row)
    ratio = f"{row.median / reference.median:.2f}" if reference is not None else ""
    times = [s.seconds for s in row.samples]
    return (
        f"| {row.setup} | {row.operation} | {row.tool} | {row.delay_ms} ms | {requests} | "
        f"{row.spread('connections')} | {row.median:.3f} | {min(times):.3f}-{max(times):.3f} "
        f"| {ratio} | {statistics.median(s.cpu_seconds for s in row.samples):.3f} |"
    )


def table(rows: list[Row], setups: dict[str, Setup]) -> str:
    header = (
        "| setup | operation | tool | delay | requests (reg+auth) | connections (reg+auth) "
        "| median s | min-max s | tool / hubaction | CPU s |"
    )
    lines = [header, "|" + "---|" * 10]
    ordered = sorted(
        rows,
        key=lambda r: (
            list(setups).index(r.setup),
            list(OPERATION_TITLES).index(r.operation),
            r.delay_ms,
            TOOL_ORDER.index(r.tool),
        ),
    )
    lines += [_table_line(rows, row, setups[row.setup]) for row in ordered]
    return "\n".join(lines)


# -- acceptance ------------------------------------------------------------------------------


def _find(rows: list[Row], setup: str, operation: str, tool: str, delay: int) -> Row | None:
    for row in rows:
        if (row.setup, row.operation, row.tool, row.delay_ms) == (setup, operation, tool, delay):
            return row if row.samples else None
    return None


def _ratio_lines(rows: list[Row], delays: Sequence[int]) -> tuple[list[str], bool, bool]:
    """One line per delay measured; whether every target met, whether any was checked."""
    lines = []
    passed = True
    any_checked = False
    for delay in delays:
        hub = _find(rows, "tls", "inspect", "hubaction (action)", delay)
        sko = _find(rows, "tls", "inspect", "skopeo", delay)
        floor = _find(rows, "tls", "inspect", "requests (floor)", delay)
        if hub is None or sko is None:
            continue
        ratio = hub.median / sko.median
        target = TARGETS.get(delay)
        verdict = ""
        if target is not None:
            any_checked = True
            ok = ratio <= target
            passed &= ok
            verdict = f"(target <= {target:.2f}: {'PASS' if ok else 'FAIL'})"
        floor_text = f"; floor/skopeo {floor.median / sko.median:.2f}" if floor else ""
        lines.append(
            f"  {delay:>3} ms: hubaction {hub.median:.3f} s / skopeo {sko.median:.3f} s = "
            f"{ratio:.2f} {verdict}{floor_text}"
        )
    return lines, passed, any_checked


def _fit_lines(rows: list[Row], delays: Sequence[int]) -> list[str]:
    """The straight line through the lowest and highest non-zero delay, per tool."""
    fits = sorted({d for d in delays if d > 0})
    if len(fits) < 2:
        return []
    low, high = fits[0], fits[-1]
    lines = [
        f"Model wall = fixed + n x delay, through {low} and {high} ms (TLS, inspect): n is "
        "round trips on the critical path (TCP and TLS handshakes included), fixed is "
        "start-up plus CPU:"
    ]
    for tool in TOOL_ORDER:
        a = _find(rows, "tls", "inspect", tool, low)
        b = _find(rows, "tls", "inspect", tool, high)
        if a is None or b is None:
            continue
        n = (b.median - a.median) / ((high - low) / 1000)
        fixed = a.median - n * low / 1000
        lines.append(f"  {tool:<34} n = {n:4.1f}   fixed = {fixed * 1000:4.0f} ms")
    return lines


def acceptance(rows: list[Row], delays: Sequence[int]) -> tuple[str, bool]:
    """hubaction's action process over skopeo, TLS setup, inspect; and a fit of
    ``wall = fixed + n * delay`` through the two delays, which splits start-up and CPU from
    round trips."""
    lines = [
        "Acceptance: TLS setup, inspect (digest + platform digest + config digest), anonymous;",
        "median wall time of the whole action process over skopeo's:",
    ]
    ratio_lines, passed, any_checked = _ratio_lines(rows, delays)
    lines += ratio_lines
    if not any_checked:
        lines.append("  (not measured: needs the tls setup at 30 and/or 100 ms)")
    lines += _fit_lines(rows, delays)
    return "\n".join(lines), passed or not any_checked


# -- budget and requests ---------------------------------------------------------------------


def budget_report(rows: list[Row], setups: dict[str, Setup]) -> tuple[str, bool]:
    lines = ["Round-trip budget (hubaction rows; requests counted on plain HTTP only):"]
    ok = True
    for row in rows:
        if row.budget is None or not row.samples:
            if row.budget is not None and row.error:
                ok = False
                lines.append(f"  {row.setup} {row.operation} {row.tool}: FAILED {row.error}")
            continue
        counts = setups[row.setup].counts_requests
        problems = row.budget_problems(counts)
        budget = f"{row.budget.registry}+{row.budget.auth} requests, 1+1 connections"
        if problems:
            ok = False
            lines.append(
                f"  {row.setup:<5} {row.delay_ms:>3} ms {row.operation:<7} {row.tool}: OVER "
                f"budget ({budget}): {', '.join(problems)}"
            )
    if ok:
        lines.append("  every hubaction run met its budget (inspect 4+1, digest 2+1, tags 2+1;")
        lines.append("  one connection to the registry and one to the token service)")
    return "\n".join(lines), ok


def request_log(rows: list[Row], setups: dict[str, Setup]) -> str:
    """What each tool sent, from its first measured run in the plain HTTP setup."""
    lines = ["Requests per tool (plain HTTP setup, first measured run; conn = connection number):"]
    seen: set[tuple[str, str]] = set()
    for row in rows:
        if row.setup not in setups or not setups[row.setup].counts_requests or not row.samples:
            continue
        if (row.operation, row.tool) in seen:
            continue
        seen.add((row.operation, row.tool))
        sample = row.samples[0]
        lines.append(f"  {row.operation} / {row.tool}:")
        for side, stats in (("registry", sample.registry), ("auth", sample.auth)):
            if stats.non_http_connections:
                lines.append(f"    {side:<8} {stats.non_http_connections} non-HTTP connection(s)")
            for request in stats.requests:
                # The scope and service are long and the same for every tool.
                target = re.sub(r"(scope|service)=[^&]*", r"\1=...", request.target)
                lines.append(f"    {side:<8} conn {request.connection}: {request.method} {target}")
    return "\n".join(lines)


# -- machine and JSON ------------------------------------------------------------------------


def _cpu_model() -> str:
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return "unknown CPU"


def _skopeo_version() -> str:
    skopeo = shutil.which("skopeo")
    if not skopeo:
        return "missing"
    done = subprocess.run([skopeo, "--version"], capture_output=True, text=True, check=False)
    return done.stdout.strip().removeprefix("skopeo version ")


def _dxf_version() -> str:
    with contextlib.suppress(Exception):
        from importlib.metadata import version

        return version("python-dxf")
    return "missing"


def machine() -> str:
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    return (
        f"{time.strftime('%Y-%m-%d')}, {platform.system()} {platform.release()}, "
        f"{os.cpu_count()} CPUs ({_cpu_model()}), Python {platform.python_version()}, "
        f"skopeo {_skopeo_version()}, python-dxf {_dxf_version()}; load average {load}"
    )


def _stats_json(stats: ProxyStats) -> dict[str, Any]:
    return {
        "connections": stats.connections,
        "non_http_connections": stats.non_http_connections,
        "requests": [str(r) for r in stats.requests],
    }


def row_json(row: Row) -> dict[str, Any]:
    return {
        "setup": row.setup,
        "operation": row.operation,
        "tool": row.tool,
        "delay_ms": row.delay_ms,
        "error": row.error,
        "budget": dataclasses.asdict(row.budget) if row.budget else None,
        "median_s": row.median if row.samples else None,
        "samples": [
            {
                "seconds": s.seconds,
                "cpu_seconds": s.cpu_seconds,
                "registry": _stats_json(s.registry),
                "auth": _stats_json(s.auth),
            }
            for s in row.samples
        ],
    }
