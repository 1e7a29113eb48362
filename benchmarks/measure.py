"""Running the cases: one sample per run (wall and CPU time, what each proxy saw), one row per
setup, operation, tool and delay."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from cases import Budget, Case
from delayproxy import ProxyStats
from process import Finished, run_process
from runner_files import parse_output_file
from setups import Environment, Setup


@dataclass
class Sample:
    seconds: float
    registry: ProxyStats
    auth: ProxyStats
    cpu_seconds: float = 0.0


def _count(stats: ProxyStats, attribute: str) -> int:
    if attribute == "requests":
        return len(stats.requests)
    value: int = getattr(stats, attribute)
    return value


@dataclass
class Row:
    setup: str
    operation: str
    tool: str
    delay_ms: int
    budget: Budget | None
    reference: bool
    samples: list[Sample] = field(default_factory=list)
    error: str | None = None

    @property
    def median(self) -> float:
        return statistics.median(s.seconds for s in self.samples)

    def spread(self, attribute: str) -> str:
        """``"4+1"`` (registry+auth), or ``"4-5+1"`` when runs differed."""
        parts = []
        for side in ("registry", "auth"):
            values = sorted({_count(getattr(s, side), attribute) for s in self.samples})
            parts.append(str(values[0]) if len(values) == 1 else f"{values[0]}-{values[-1]}")
        return "+".join(parts)

    def budget_problems(self, counts_requests: bool) -> list[str]:
        if self.budget is None or not self.samples:
            return []
        problems = []
        for sample in self.samples:
            conns = (sample.registry.connections, sample.auth.connections)
            if conns != self.budget.connections:
                problems.append(f"connections {conns[0]}+{conns[1]}")
            if counts_requests:
                reqs = (len(sample.registry.requests), len(sample.auth.requests))
                if reqs != (self.budget.registry, self.budget.auth):
                    problems.append(
                        f"requests {reqs[0]}+{reqs[1]} "
                        f"(budget {self.budget.registry}+{self.budget.auth})"
                    )
        return sorted(set(problems))


def run_case(setup: Setup, case: Case) -> tuple[Finished, Sample, str | None]:
    """One run of ``case``, with the proxies' counters reset around it; the error, if any."""
    if case.output_file is not None:
        case.output_file.write_text("")
    setup.registry_proxy.reset()
    setup.auth_proxy.reset()
    finished = run_process(case.argv, env=case.env, cwd=case.cwd)
    registry, auth = setup.registry_proxy.reset(), setup.auth_proxy.reset()
    if case.output_file is not None:
        finished.outputs = parse_output_file(case.output_file.read_text(encoding="utf-8"))
    error = None
    if finished.returncode != 0:
        tail = " | ".join(finished.stderr.strip().splitlines()[-3:]) or finished.stdout[-300:]
        error = f"exit {finished.returncode}: {tail[:400]}"
    else:
        error = case.check(finished)
    return finished, Sample(finished.seconds, registry, auth, finished.cpu_seconds), error


def _warm_up(env: Environment, setup: Setup, cases: list[Case]) -> dict[tuple[str, str], str]:
    """One run of each case at no delay; the errors by case key (those cases are not timed)."""
    # Page cache, bytecode, the registry's first reads: not what a CI run pays twice.
    env.loop.set_delay(0)
    failed = {}
    for case in cases:
        _finished, _sample, error = run_case(setup, case)
        if error:
            failed[case.key] = error
    return failed


def _measure_delay(
    setup: Setup,
    cases: list[Case],
    delay: int,
    runs: int,
    failed: dict[tuple[str, str], str],
    log: Callable[[str], None],
) -> list[Row]:
    """``runs`` rounds of every case at one delay (already set on the proxies)."""
    by_key = {
        case.key: Row(
            setup.name,
            case.operation,
            case.tool,
            delay,
            case.budget,
            case.reference,
            error=failed.get(case.key),
        )
        for case in cases
    }
    for run in range(runs):
        log(f"  {setup.name} {delay:>3} ms  run {run + 1}/{runs}")
        # Rotate the order each round so no tool always runs right after another.
        shift = run % len(cases)
        for case in cases[shift:] + cases[:shift]:
            row = by_key[case.key]
            if row.error:
                continue
            _finished, sample, error = run_case(setup, case)
            if error:
                row.error = error
                continue
            row.samples.append(sample)
            time.sleep(0.02)
    return list(by_key.values())


def measure(
    env: Environment,
    cases_by_setup: dict[str, list[Case]],
    delays: Sequence[int],
    runs: int,
    *,
    warmup: bool,
    log: Callable[[str], None],
) -> list[Row]:
    rows: list[Row] = []
    for setup_name, cases in cases_by_setup.items():
        setup = env.setups[setup_name]
        failed = _warm_up(env, setup, cases) if warmup else {}
        for delay in delays:
            env.loop.set_delay(delay / 1000)
            rows += _measure_delay(setup, cases, delay, runs, failed, log)
    return rows
