"""Benchmark: hubaction against skopeo, python-dxf and a bare ``requests`` script, through a
delay proxy, on a real registry (README.md has the model and the results)::

    python benchmarks/run.py                      # the table (both setups, 30 and 100 ms)
    python benchmarks/run.py --importtime         # plus hubaction's start-up import report
    python benchmarks/run.py --scaling            # plus the scaling report (issue 7, section 4)
    python benchmarks/run.py --runs 1 --delays 0 --quick --setups plain   # smoke run

Needs ``docker-registry`` and ``skopeo`` on PATH; python-dxf is optional (its column is skipped
with a note). The TLS setup maps two host names in ``/etc/hosts`` for the run (root needed; see
``tlsenv.py``); without that it is skipped with a note. Every tool runs as a fresh process per
run, and an answer that is not the pushed fixture's counts as failed, never timed.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import shutil
import sys
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
# The modules beside this one import the test suite's fixtures (tests/) and hubaction itself.
for _path in (str(ROOT / "tests"), str(ROOT), str(ROOT / "benchmarks")):
    if _path not in sys.path:
        sys.path.insert(0, _path)

from cases import build_cases, dxf_available  # noqa: E402
from importtime import importtime_report  # noqa: E402
from measure import measure  # noqa: E402
from report import acceptance, budget_report, machine, request_log, row_json, table  # noqa: E402
from setups import Environment, environment  # noqa: E402

TOOLS = ("hubaction", "skopeo", "python-dxf", "requests")
DXF_INSTALL = "pip install -r benchmarks/requirements.txt  (python-dxf==12.1.1)"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        description="hubaction vs skopeo, python-dxf and bare requests, through a delay proxy."
    )
    parser.add_argument(
        "--delays", default="30,100", help="ms per round trip, comma-separated (default 30,100)"
    )
    parser.add_argument("--runs", type=int, default=5, help="runs per tool and delay (default 5)")
    parser.add_argument("--setups", default="plain,tls", help="plain and/or tls (default both)")
    parser.add_argument("--tools", default=",".join(TOOLS), help="which tools (default all)")
    parser.add_argument("--quick", action="store_true", help="no warm-up runs")
    parser.add_argument("--importtime", action="store_true", help="start-up import report")
    parser.add_argument("--scaling", action="store_true", help="scaling report (issue 7 §4)")
    parser.add_argument(
        "--scaling-delay", type=int, default=30, help="ms per round trip for --scaling"
    )
    parser.add_argument("--no-table", action="store_true", help="skip the tool comparison")
    parser.add_argument("--json", metavar="FILE", help="also write the raw results as JSON")
    parser.add_argument("--verbose", action="store_true", help="print every request seen")
    parser.add_argument(
        "--check-budget",
        action="store_true",
        help="exit with status 3 when a hubaction run exceeds its request or connection budget",
    )
    parser.add_argument("--workdir", metavar="DIR", help="keep files here (default: a temp dir)")
    parser.add_argument(
        "--hubaction-src",
        metavar="DIR",
        default=str(ROOT),
        help="measure the hubaction in this tree (entrypoint.py + hubaction/), e.g. a patched "
        "copy, against the same servers (default: this repository)",
    )
    return parser


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        args.delays = [int(d) for d in args.delays.split(",") if d.strip()]
    except ValueError:
        parser.error(f"--delays {args.delays!r}: expected milliseconds such as 30,100")
    args.setups = [s.strip() for s in args.setups.split(",") if s.strip()]
    if not set(args.setups) <= {"plain", "tls"} or not args.setups:
        parser.error("--setups: plain and/or tls")
    args.tools = {t.strip() for t in args.tools.split(",") if t.strip()}
    unknown = args.tools - set(TOOLS)
    if unknown:
        parser.error(f"--tools: unknown {sorted(unknown)}")
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    return args


def _log(text: str) -> None:
    sys.stderr.write(text + "\n")
    sys.stderr.flush()


def _preflight_notes(args: argparse.Namespace) -> list[str] | None:
    """Notes on skipped columns; None (after an error line) when the run cannot start."""
    if shutil.which("docker-registry") is None:
        _log("error: docker-registry is not on PATH (apt-get install docker-registry)")
        return None
    notes: list[str] = []
    if "skopeo" in args.tools and shutil.which("skopeo") is None:
        notes.append("skopeo column skipped: skopeo is not on PATH (apt-get install skopeo).")
    if "python-dxf" in args.tools and not dxf_available():
        notes.append(f"python-dxf column skipped: python-dxf is not installed ({DXF_INSTALL}).")
    if "python-dxf" in args.tools and "plain" in args.setups:
        notes.append(
            "python-dxf runs in the TLS setup only: with insecure=True it refuses token auth "
            "(DXFAuthInsecureError) and it always asks the token realm over https."
        )
    return notes


def _comparison(
    args: argparse.Namespace, env: Environment, workdir: Path, src: Path, results: dict[str, Any]
) -> int:
    """The tool comparison: table, budgets, acceptance; the exit code it calls for."""
    cases = {
        name: build_cases(setup, env.image, workdir, args.tools, src)
        for name, setup in env.setups.items()
    }
    _log(f"measuring: {args.runs} runs x delays {args.delays} ms ...")
    rows = measure(env, cases, args.delays, args.runs, warmup=not args.quick, log=_log)
    print()
    print(table(rows, env.setups))
    print()
    budget_text, budget_ok = budget_report(rows, env.setups)
    print(budget_text)
    print()
    accept_text, accept_ok = acceptance(rows, args.delays)
    print(accept_text)
    if args.verbose and any(s.counts_requests for s in env.setups.values()):
        print()
        print(request_log(rows, env.setups))
    results["rows"] = [row_json(r) for r in rows]
    results["acceptance_passed"] = accept_ok
    results["budget_met"] = budget_ok
    return 3 if not budget_ok and args.check_budget else 0


def _importtime(args: argparse.Namespace, env: Environment, workdir: Path, src: Path) -> str:
    setup = env.setups.get("plain") or next(iter(env.setups.values()))
    case = next(
        c
        for c in build_cases(setup, env.image, workdir, {"hubaction"}, src)
        if c.operation == "inspect" and c.tool == "hubaction (action)"
    )
    return importtime_report(env, case, src, 3 if args.quick else 10)


def _scaling(args: argparse.Namespace, env: Environment, src: Path) -> str:
    # Imported when asked for: it imports hubaction's registry and Docker Hub clients (and
    # requests), which the comparison does not load into this process.
    from scaling import scaling_report

    return scaling_report(env, args.scaling_delay, quick=args.quick, log=_log, src=src)


def _workdir(args: argparse.Namespace, stack: contextlib.ExitStack) -> Path:
    if args.workdir:
        workdir = Path(args.workdir).resolve()
        workdir.mkdir(parents=True, exist_ok=True)
    else:
        workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="hubbench-")))
    (workdir / "tmp").mkdir(exist_ok=True)
    return workdir


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    src = Path(args.hubaction_src).resolve()
    if not (src / "entrypoint.py").is_file() or not (src / "hubaction").is_dir():
        sys.stderr.write(f"error: --hubaction-src {src}: no entrypoint.py and hubaction/ there\n")
        return 2
    notes = _preflight_notes(args)
    if notes is None:
        return 2
    with contextlib.ExitStack() as outer:
        workdir = _workdir(args, outer)
        env = outer.enter_context(environment(workdir, args.setups, _log))
        notes += env.notes
        print(f"Machine: {machine()}")
        for name, setup in env.setups.items():
            print(f"Setup {name}: {setup.title}; registry {setup.base_url}")
        results: dict[str, Any] = {"machine": machine(), "notes": notes}
        exit_code = 0 if args.no_table else _comparison(args, env, workdir, src, results)
        reports: list[tuple[str, bool, Callable[[], str]]] = [
            ("importtime", args.importtime, lambda: _importtime(args, env, workdir, src)),
            ("scaling", args.scaling, lambda: _scaling(args, env, src)),
        ]
        for key, wanted, report in reports:
            if wanted:
                print()
                results[key] = report()
                print(results[key])
        print()
        print(f"Finished: {machine()}")
        for note in notes:
            print(f"Note: {note}")
        if args.json:
            Path(args.json).write_text(json.dumps(results, indent=2), encoding="utf-8")
    return exit_code


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.stderr.write("interrupted; everything started was stopped\n")
        sys.exit(130)
