"""``--importtime``: ``python -X importtime`` of one action run, and the start-up split into
interpreter, ``requests`` and hubaction itself (wall and CPU, with and without cached bytecode)."""

from __future__ import annotations

import re
import shutil
import statistics
from pathlib import Path

from cases import Case
from process import PYTHON, Finished, base_env, run_process
from setups import Environment

IMPORT_LINE = re.compile(r"import time:\s+(\d+) \|\s+(\d+) \|( *)(\S+)")

Step = tuple[str, list[str], dict[str, str], Path]


class ImportTimes:
    """Self and cumulative microseconds per module over several runs, and its nesting depth."""

    def __init__(self) -> None:
        self.self_us: dict[str, list[int]] = {}
        self.cumulative_us: dict[str, list[int]] = {}
        self.depths: dict[str, int] = {}

    def add(self, stderr: str) -> None:
        for line in stderr.splitlines():
            match = IMPORT_LINE.match(line)
            if match:
                name = match[4]
                self.self_us.setdefault(name, []).append(int(match[1]))
                self.cumulative_us.setdefault(name, []).append(int(match[2]))
                self.depths[name] = len(match[3])


def _fresh_run(case: Case, argv: list[str], env: dict[str, str], cwd: Path) -> Finished:
    # The action appends to its output file: start each run from an empty one.
    if case.output_file is not None:
        case.output_file.write_text("")
    return run_process(argv, env=env, cwd=cwd)


def _top(values: dict[str, float], count: int) -> list[tuple[str, float]]:
    return sorted(values.items(), key=lambda kv: -kv[1])[:count]


def _import_lines(times: ImportTimes, n: int) -> list[str]:
    own = {name: statistics.median(values) for name, values in times.self_us.items()}
    cumulative = {name: statistics.median(values) for name, values in times.cumulative_us.items()}
    depths = times.depths
    top_level = min(depths.values())
    roots = sorted(
        ((cumulative[name], name) for name, depth in depths.items() if depth == top_level),
        reverse=True,
    )
    total = sum(c for c, _n in roots)
    by_package: dict[str, float] = {}
    for name, value in own.items():
        package = name.split(".")[0]
        by_package[package] = by_package.get(package, 0) + value
    lines = [
        f"python -X importtime, action run (inspect), medians of {n} runs: {len(depths)} "
        f"modules, {total / 1000:.0f} ms of imports (-X importtime itself inflates this).",
        "Top-level imports by cumulative time:",
    ]
    lines += [f"  {c / 1000:7.1f} ms  {name}" for c, name in roots[:10]]
    lines.append("Self time by top-level package:")
    lines += [f"  {value / 1000:7.1f} ms  {package}" for package, value in _top(by_package, 10)]
    lines.append("Slowest single modules (self time):")
    lines += [f"  {value / 1000:7.1f} ms  {name}" for name, value in _top(own, 12)]
    hub_modules = sorted(name for name in depths if name.startswith("hubaction"))
    hub_total = sum(own[name] for name in hub_modules)
    lines.append(
        f"hubaction's own modules: {len(hub_modules)}, {hub_total / 1000:.1f} ms self time: "
        + ", ".join(
            f"{name.removeprefix('hubaction.')} {own[name] / 1000:.1f}" for name in hub_modules
        )
    )
    return lines


def _image_like_app(src: Path, workdir: Path) -> Path:
    """A copy of ``src`` without ``__pycache__``, as in the Docker image (.dockerignore)."""
    app = workdir / "app-no-pyc"
    if not app.exists():
        app.mkdir()
        shutil.copy2(src / "entrypoint.py", app / "entrypoint.py")
        shutil.copytree(
            src / "hubaction", app / "hubaction", ignore=shutil.ignore_patterns("__pycache__")
        )
    return app


def _startup_steps(env: Environment, case: Case, src: Path) -> list[Step]:
    common = base_env(env.workdir)
    all_imports = (
        "import hubaction.github.action, hubaction.registry.lookup, hubaction.registry.client"
    )
    # As in the Docker image: PYTHONDONTWRITEBYTECODE=1 and no __pycache__ copied
    # (.dockerignore), so hubaction's own modules are compiled from source on every run.
    app = _image_like_app(src, env.workdir)
    no_pyc = {"PYTHONDONTWRITEBYTECODE": "1"}
    action_import = "import hubaction.github.action"
    return [
        ("python -c pass", [PYTHON, "-c", "pass"], common, src),
        ("python -S -c pass (no site)", [PYTHON, "-S", "-c", "pass"], common, src),
        ("python -c 'import requests'", [PYTHON, "-c", "import requests"], common, src),
        (f"python -c '{action_import}'", [PYTHON, "-c", action_import], common, src),
        (
            "+ hubaction.registry.lookup, hubaction.registry.client",
            [PYTHON, "-c", all_imports],
            common,
            src,
        ),
        ("action run, inspect, no delay", case.argv, case.env, case.cwd),
        ("same imports, image-like (no .pyc)", [PYTHON, "-c", all_imports], common | no_pyc, app),
        (
            "action run, no delay, image-like (no .pyc)",
            [PYTHON, str(app / "entrypoint.py")],
            case.env | no_pyc,
            case.cwd,
        ),
    ]


def _startup_lines(steps: list[Step], case: Case, n: int) -> list[str]:
    """Wall-clock and CPU medians of ``n`` rounds of every step."""
    walls: dict[str, list[float]] = {label: [] for label, *_rest in steps}
    cpus: dict[str, list[float]] = {label: [] for label, *_rest in steps}
    # Round-robin, so a change of load on the machine hits every step alike.
    for _ in range(n):
        for label, argv, env, cwd in steps:
            finished = _fresh_run(case, argv, env, cwd)
            walls[label].append(finished.seconds)
            cpus[label].append(finished.cpu_seconds)
    lines = [f"Start-up, medians of {n} rounds (no -X importtime):      wall     CPU"]
    for label in walls:
        wall, cpu = statistics.median(walls[label]), statistics.median(cpus[label])
        lines.append(f"  {label:<44} {wall * 1000:5.0f} ms {cpu * 1000:5.0f} ms")
    lines.append(
        "  (image-like: PYTHONDONTWRITEBYTECODE=1 as in the Dockerfile, and no __pycache__, "
        "which .dockerignore keeps out of the image)"
    )
    return lines


def importtime_report(env: Environment, case: Case, src: Path, n: int) -> str:
    """``python -X importtime`` of one action run (inspect, plain HTTP, no delay), and the
    start-up split into interpreter, ``requests`` and hubaction itself."""
    env.loop.set_delay(0)
    argv = [PYTHON, "-X", "importtime", *case.argv[1:]]
    # One -X importtime run is noisy (a loaded 2-CPU machine moves single modules by 2x):
    # medians per module over n runs.
    times = ImportTimes()
    for _ in range(n):
        finished = _fresh_run(case, argv, case.env, case.cwd)
        times.add(finished.stderr)
    if not times.depths:
        return f"-X importtime gave nothing: {finished.stderr[-500:]!r}"
    lines = _import_lines(times, n)
    lines += _startup_lines(_startup_steps(env, case, src), case, n)
    return "\n".join(lines)
