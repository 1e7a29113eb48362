"""Benchmark: hubaction against skopeo, python-dxf and a bare ``requests`` script, through a
delay proxy, on a real registry. One command::

    python benchmarks/run.py                      # the table (both setups, 30 and 100 ms)
    python benchmarks/run.py --importtime         # plus hubaction's start-up import report
    python benchmarks/run.py --scaling            # plus the scaling report (issue 7, section 4)
    python benchmarks/run.py --runs 1 --delays 0 --quick --setups plain   # smoke run

Needs ``docker-registry`` (Debian's distribution 2.8) and ``skopeo`` on PATH; python-dxf is
optional (``pip install -r benchmarks/requirements.txt``; its column is skipped with a note
when it is missing). The TLS setup maps two host names in ``/etc/hosts`` for the duration of
the run (root needed; see ``tlsenv.py``); without that it is skipped with a note.

What runs (see README.md for the model and the results):

* a token-auth registry (``docker-registry``) and its token server
  (``tests/registryfixtures``), each behind its own :mod:`delayproxy` that adds ``delay`` per
  round trip and counts connections (and, over plain HTTP, requests);
* setup ``plain``: both over plain HTTP on 127.0.0.1 (requests are counted);
  setup ``tls``: shaped like Docker Hub, the registry over TLS on ``registry.bench.test`` and
  its token service over TLS on ``auth.bench.test``, trusted through a test CA;
* every tool as a fresh process per run, anonymous, on ``fixtures/oci-index:1`` (an OCI index
  of four platforms and an attestation), platform ``linux/arm64``:
  ``inspect`` (digest, platform digest, config digest; everyone also reads the config blob,
  as hubaction does for ``created``/``labels``), ``digest`` (digest only) and ``tags``.

Each tool's answer is checked against the digests computed when the fixture was pushed: a tool
that fails is reported as failed, never timed.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import hashlib
import importlib.util
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "benchmarks"
CLIENTS = BENCH / "clients"
for _path in (str(ROOT / "tests"), str(ROOT), str(BENCH)):
    if _path not in sys.path:
        sys.path.insert(0, _path)

from delayproxy import DelayProxy, ProxyLoop, ProxyStats  # noqa: E402
from fakes.tokenserver import TokenServer  # noqa: E402
from registryfixtures import TOKEN_ISSUER, TOKEN_SERVICE, RegistryProcess  # noqa: E402
from registryfixtures.images import PushedImage, Pusher, push_oci_index  # noqa: E402
from runner_files import parse_output_file  # noqa: E402
from tlsenv import (  # noqa: E402
    AUTH_NAME,
    REGISTRY_NAME,
    HostsUnavailable,
    TlsFiles,
    TlsRegistryProcess,
    TlsTokenServer,
    make_tls_files,
    mapped_hosts,
    server_context,
)

from hubaction.github.inputs import INPUT_DEFAULTS  # noqa: E402
from hubaction.github.toolkit import input_variable  # noqa: E402

PYTHON = sys.executable
REPOSITORY = "fixtures/oci-index"
TAG = "1"
PLATFORM = "linux/arm64"
PLATFORM_KEY = "linux/arm64/v8"  # how the fixture's index names it
PROCESS_TIMEOUT = 120.0
DXF_INSTALL = "pip install -r benchmarks/requirements.txt  (python-dxf==12.1.1)"

#: Acceptance (issue 7): hubaction's action process over skopeo, TLS setup, inspect.
TARGETS = {30: 0.85, 100: 0.75}


# -- budgets ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Budget:
    """Requests a cold run may make on an anonymous token registry, and connections per host.

    ``inspect``: GET index (401), token, GET index, GET platform manifest, GET config blob.
    ``digest``: HEAD (401), token, HEAD. ``tags``: GET tags/list (401), token, GET. No ``/v2/``
    ping; one connection to each host.
    """

    registry: int
    auth: int
    connections: tuple[int, int] = (1, 1)


BUDGETS = {"inspect": Budget(4, 1), "digest": Budget(2, 1), "tags": Budget(2, 1)}


# -- processes -------------------------------------------------------------------------------


@dataclass
class Finished:
    returncode: int
    seconds: float
    stdout: str
    stderr: str
    max_rss_kib: int
    #: User + system CPU time of the process (``os.wait4``): start-up and work, without the
    #: waiting, and much less disturbed by other load on the machine than wall time.
    cpu_seconds: float
    outputs: dict[str, str] = field(default_factory=dict)


def run_process(
    argv: Sequence[str], *, env: dict[str, str], cwd: Path, timeout: float = PROCESS_TIMEOUT
) -> Finished:
    """Run ``argv`` to completion; wall time from spawn to reap.

    ``ru_maxrss`` of ``os.wait4`` is kept but means little: Linux carries the forking parent's
    RSS over into the child's maximum at exec, so it is at least this process's size. Peak
    memory of a tool is measured from inside (``VmHWM``, see ``scaling.py``)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        process = subprocess.Popen(
            list(argv), stdin=subprocess.DEVNULL, stdout=out, stderr=err, env=env, cwd=cwd
        )
        timer = threading.Timer(timeout, process.kill)
        timer.start()
        try:
            _pid, status, usage = os.wait4(process.pid, 0)
        finally:
            timer.cancel()
        seconds = time.perf_counter() - start
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return Finished(
            returncode=process.returncode,
            seconds=seconds,
            stdout=out.read().decode("utf-8", "replace"),
            stderr=err.read().decode("utf-8", "replace"),
            max_rss_kib=usage.ru_maxrss,
            cpu_seconds=usage.ru_utime + usage.ru_stime,
        )


# -- setups ----------------------------------------------------------------------------------


@dataclass
class Setup:
    name: str
    title: str
    host: str  # HOST:PORT the clients use
    scheme: str
    registry_proxy: DelayProxy
    auth_proxy: DelayProxy
    env: dict[str, str]
    skopeo_tls: list[str]

    @property
    def counts_requests(self) -> bool:
        return self.scheme == "http"

    @property
    def base_url(self) -> str:
        return f"{self.scheme}://{self.host}"


@dataclass
class Environment:
    """Everything started for a run; :meth:`close` stops it all."""

    workdir: Path
    loop: ProxyLoop
    stack: contextlib.ExitStack
    image: PushedImage
    open_registry: RegistryProcess
    storage: Path
    setups: dict[str, Setup] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def base_env(workdir: Path) -> dict[str, str]:
    """A clean environment for every tool: no proxies, no credentials, no user config."""
    home = workdir / "home"
    (home / ".docker").mkdir(parents=True, exist_ok=True)
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "LANG": "C.UTF-8",
        "DOCKER_CONFIG": str(home / ".docker"),
        "TMPDIR": str(workdir / "tmp"),
    }


def start_plain(env: Environment) -> Setup:
    auth_server = TokenServer(
        workdir=env.workdir / "plain-token", service=TOKEN_SERVICE, issuer=TOKEN_ISSUER
    ).start()
    env.stack.callback(auth_server.stop)
    auth_proxy = env.loop.proxy("plain-auth", ("127.0.0.1", auth_server.port), parse_http=True)
    registry = RegistryProcess.start_token(
        env.storage,
        env.workdir / "plain-registry",
        realm=f"http://{auth_proxy.address}/token",
        service=TOKEN_SERVICE,
        issuer=TOKEN_ISSUER,
        rootcertbundle=auth_server.cert_path,
    )
    env.stack.callback(registry.stop)
    registry_proxy = env.loop.proxy("plain-registry", ("127.0.0.1", registry.port), parse_http=True)
    return Setup(
        name="plain",
        title="plain HTTP, 127.0.0.1",
        host=registry_proxy.address,
        scheme="http",
        registry_proxy=registry_proxy,
        auth_proxy=auth_proxy,
        env={},
        skopeo_tls=["--tls-verify=false"],
    )


def start_tls(env: Environment) -> Setup:
    files: TlsFiles = make_tls_files(env.workdir / "tls", [REGISTRY_NAME, AUTH_NAME])
    how = env.stack.enter_context(mapped_hosts([REGISTRY_NAME, AUTH_NAME]))
    env.notes.append(f"TLS setup: {REGISTRY_NAME} and {AUTH_NAME} -> 127.0.0.1 ({how}).")
    auth_server = TlsTokenServer(
        context=server_context(files),
        workdir=env.workdir / "tls-token",
        service=TOKEN_SERVICE,
        issuer=TOKEN_ISSUER,
    ).start()
    env.stack.callback(auth_server.stop)
    auth_proxy = env.loop.proxy("tls-auth", ("127.0.0.1", auth_server.port))
    registry = TlsRegistryProcess.start_tls(
        env.storage,
        env.workdir / "tls-registry",
        files,
        realm=f"https://{AUTH_NAME}:{auth_proxy.port}/token",
        service=TOKEN_SERVICE,
        issuer=TOKEN_ISSUER,
        rootcertbundle=auth_server.cert_path,
    )
    env.stack.callback(registry.stop)
    registry_proxy = env.loop.proxy("tls-registry", ("127.0.0.1", registry.port))
    return Setup(
        name="tls",
        title=f"TLS, {REGISTRY_NAME} + {AUTH_NAME} (Docker Hub shape)",
        host=f"{REGISTRY_NAME}:{registry_proxy.port}",
        scheme="https",
        registry_proxy=registry_proxy,
        auth_proxy=auth_proxy,
        env={"SSL_CERT_FILE": str(files.ca_cert), "REQUESTS_CA_BUNDLE": str(files.ca_cert)},
        skopeo_tls=["--cert-dir", str(files.cert_dir)],
    )


# -- cases -----------------------------------------------------------------------------------


Check = Callable[[Finished], str | None]


@dataclass
class Case:
    tool: str
    operation: str
    argv: list[str]
    env: dict[str, str]
    cwd: Path
    check: Check
    output_file: Path | None = None
    #: hubaction rows: the budget they must meet, and the row the others are compared to.
    budget: Budget | None = None
    reference: bool = False

    @property
    def key(self) -> tuple[str, str]:
        return (self.operation, self.tool)


def _json(finished: Finished) -> Any:
    try:
        return json.loads(finished.stdout)
    except ValueError:
        return None


def expect_fields(source: str, wanted: dict[str, str]) -> Check:
    """Check named fields of the action's outputs (``source="outputs"``) or of JSON stdout."""

    def check(finished: Finished) -> str | None:
        doc = finished.outputs if source == "outputs" else _json(finished)
        if not isinstance(doc, dict):
            return f"no JSON answer: {finished.stdout[:200]!r}"
        for name, value in wanted.items():
            if doc.get(name) != value:
                return f"{name} is {doc.get(name)!r}, expected {value!r}"
        return None

    return check


def expect_tags(extract: Callable[[Finished], Any], tags: Sequence[str]) -> Check:
    def check(finished: Finished) -> str | None:
        try:
            found = set(extract(finished))
        except (TypeError, KeyError, AttributeError):
            return f"no tag list in {finished.stdout[:200]!r}"
        missing = set(tags) - found
        return f"tags {sorted(missing)} missing" if missing else None

    return check


def expect_raw_digest(digest: str) -> Check:
    def check(finished: Finished) -> str | None:
        got = "sha256:" + hashlib.sha256(finished.stdout.encode("utf-8")).hexdigest()
        return None if got == digest else f"raw manifest hashes to {got}, expected {digest}"

    return check


def expect_skopeo_inspect(digest: str, architecture: str) -> Check:
    def check(finished: Finished) -> str | None:
        doc = _json(finished)
        if not isinstance(doc, dict):
            return f"no JSON answer: {finished.stdout[:200]!r}"
        if doc.get("Digest") != digest:
            return f"Digest is {doc.get('Digest')!r}, expected {digest}"
        if doc.get("Architecture") != architecture:
            return f"Architecture is {doc.get('Architecture')!r}, expected {architecture}"
        return None

    return check


def action_env(
    common: dict[str, str], workdir: Path, name: str, inputs: dict[str, str]
) -> tuple[dict[str, str], Path]:
    """The environment the GitHub runner gives a Docker action's container (tests/actionrunner)."""
    run_dir = workdir / "action" / name
    (run_dir / "workspace").mkdir(parents=True, exist_ok=True)
    output = run_dir / "github_output"
    summary = run_dir / "step_summary"
    output.write_text("")
    summary.write_text("")
    env = dict(common)
    env.update(
        {
            "GITHUB_ACTIONS": "true",
            "GITHUB_OUTPUT": str(output),
            "GITHUB_STEP_SUMMARY": str(summary),
            "GITHUB_WORKSPACE": str(run_dir / "workspace"),
        }
    )
    for input_name, default in INPUT_DEFAULTS.items():
        env[input_variable(input_name)] = default or ""
    for input_name, value in inputs.items():
        assert input_name in INPUT_DEFAULTS, input_name
        env[input_variable(input_name)] = value
    return env, output


def build_cases(
    setup: Setup, image: PushedImage, workdir: Path, tools: set[str], src: Path = ROOT
) -> list[Case]:
    """The measured runs of ``setup``; hubaction from the source tree ``src``."""
    common = base_env(workdir) | setup.env
    host = setup.host
    wanted_platform = image.platforms[PLATFORM_KEY]
    inspect_fields = {
        "digest": image.digest,
        "platform-digest": wanted_platform.manifest_digest,
        "config-digest": wanted_platform.config_digest,
    }
    tags = ("1", "latest")
    cases: list[Case] = []
    entrypoint = str(src / "entrypoint.py")

    if "hubaction" in tools:
        for operation, extra in (("inspect", {}), ("digest", {"digest-only": "true"})):
            env, output = action_env(
                common,
                workdir,
                f"{setup.name}-{operation}",
                {
                    "repository": f"{host}/{REPOSITORY}",
                    "tag": TAG,
                    "platform": PLATFORM,
                    "list-tags": "false",
                    "summary": "false",
                    **extra,
                },
            )
            wanted = inspect_fields if operation == "inspect" else {"digest": image.digest}
            cases.append(
                Case(
                    "hubaction (action)",
                    operation,
                    [PYTHON, entrypoint],
                    env,
                    Path(env["GITHUB_WORKSPACE"]),
                    expect_fields("outputs", wanted),
                    output_file=output,
                    budget=BUDGETS[operation],
                    reference=True,
                )
            )
        cases.append(
            Case(
                "hubaction (CLI)",
                "inspect",
                [
                    PYTHON,
                    "-m",
                    "hubaction.cli",
                    "inspect",
                    f"{host}/{REPOSITORY}:{TAG}",
                    "--platform",
                    PLATFORM,
                    "--json",
                ],
                common,
                src,
                expect_fields("json", inspect_fields),
                budget=BUDGETS["inspect"],
            )
        )
        cases.append(
            Case(
                "hubaction (CLI)",
                "tags",
                [PYTHON, "-m", "hubaction.cli", "tags", f"{host}/{REPOSITORY}"],
                common,
                src,
                expect_tags(lambda f: f.stdout.split(), tags),
                budget=BUDGETS["tags"],
                reference=True,
            )
        )

    skopeo = shutil.which("skopeo")
    if "skopeo" in tools and skopeo:
        ref = f"docker://{host}/{REPOSITORY}"
        flags = ["--no-creds", *setup.skopeo_tls]
        cases += [
            Case(
                "skopeo",
                "inspect",
                [
                    skopeo,
                    "--override-os",
                    "linux",
                    "--override-arch",
                    "arm64",
                    "inspect",
                    "--no-tags",
                    *flags,
                    f"{ref}:{TAG}",
                ],
                common,
                workdir,
                expect_skopeo_inspect(image.digest, "arm64"),
            ),
            Case(
                "skopeo",
                "digest",
                [skopeo, "inspect", "--raw", *flags, f"{ref}:{TAG}"],
                common,
                workdir,
                expect_raw_digest(image.digest),
            ),
            Case(
                "skopeo",
                "tags",
                [skopeo, "list-tags", *flags, ref],
                common,
                workdir,
                expect_tags(lambda f: _json(f)["Tags"], tags),
            ),
        ]

    if "python-dxf" in tools and setup.scheme == "https" and dxf_available():
        for operation in ("inspect", "digest", "tags"):
            cases.append(
                Case(
                    "python-dxf",
                    operation,
                    [
                        PYTHON,
                        str(CLIENTS / "dxf_client.py"),
                        "--op",
                        operation,
                        "--host",
                        host,
                        "--repository",
                        REPOSITORY,
                        "--tag",
                        TAG,
                        "--platform",
                        PLATFORM,
                    ],
                    common,
                    workdir,
                    _client_check(operation, image, inspect_fields, tags),
                )
            )

    if "requests" in tools:
        for operation in ("inspect", "digest", "tags"):
            cases.append(
                Case(
                    "requests (floor)",
                    operation,
                    [
                        PYTHON,
                        str(CLIENTS / "bare_client.py"),
                        "--op",
                        operation,
                        "--base",
                        setup.base_url,
                        "--repository",
                        REPOSITORY,
                        "--tag",
                        TAG,
                        "--platform",
                        PLATFORM,
                    ],
                    common,
                    workdir,
                    _client_check(operation, image, inspect_fields, tags),
                )
            )
    return cases


def _client_check(
    operation: str, image: PushedImage, inspect_fields: dict[str, str], tags: Sequence[str]
) -> Check:
    if operation == "inspect":
        return expect_fields("json", inspect_fields)
    if operation == "digest":
        return expect_fields("json", {"digest": image.digest})
    return expect_tags(lambda f: _json(f)["tags"], tags)


def dxf_available() -> bool:
    return importlib.util.find_spec("dxf") is not None


# -- measuring -------------------------------------------------------------------------------


@dataclass
class Sample:
    seconds: float
    registry: ProxyStats
    auth: ProxyStats
    cpu_seconds: float = 0.0


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


def _count(stats: ProxyStats, attribute: str) -> int:
    if attribute == "requests":
        return len(stats.requests)
    value: int = getattr(stats, attribute)
    return value


def run_case(setup: Setup, case: Case) -> tuple[Finished, Sample, str | None]:
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
        failed: dict[tuple[str, str], str] = {}
        if warmup:
            # Page cache, bytecode, the registry's first reads: not what a CI run pays twice.
            env.loop.set_delay(0)
            for case in cases:
                _finished, _sample, error = run_case(setup, case)
                if error:
                    failed[case.key] = error
        for delay in delays:
            env.loop.set_delay(delay / 1000)
            by_key = {
                case.key: Row(
                    setup_name,
                    case.operation,
                    case.tool,
                    delay,
                    case.budget,
                    case.reference,
                    error=failed.get(case.key),
                )
                for case in cases
            }
            rows.extend(by_key.values())
            for run in range(runs):
                log(f"  {setup_name} {delay:>3} ms  run {run + 1}/{runs}")
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
    return rows


# -- reporting -------------------------------------------------------------------------------

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
    for row in ordered:
        setup = setups[row.setup]
        if not row.samples:
            lines.append(
                f"| {row.setup} | {row.operation} | {row.tool} | {row.delay_ms} ms | "
                f"FAILED: {(row.error or 'no runs').replace('|', '/')[:160]} | | | | | |"
            )
            continue
        requests = row.spread("requests") if setup.counts_requests else "n/a (TLS)"
        if setup.counts_requests and any(
            s.registry.non_http_connections or s.auth.non_http_connections for s in row.samples
        ):
            requests += " (+TLS attempt)"
        reference = _reference(rows, row)
        ratio = f"{row.median / reference.median:.2f}" if reference is not None else ""
        times = [s.seconds for s in row.samples]
        lines.append(
            f"| {row.setup} | {row.operation} | {row.tool} | {row.delay_ms} ms | {requests} | "
            f"{row.spread('connections')} | {row.median:.3f} | {min(times):.3f}-{max(times):.3f} "
            f"| {ratio} | {statistics.median(s.cpu_seconds for s in row.samples):.3f} |"
        )
    return "\n".join(lines)


def _find(rows: list[Row], setup: str, operation: str, tool: str, delay: int) -> Row | None:
    for row in rows:
        if (row.setup, row.operation, row.tool, row.delay_ms) == (setup, operation, tool, delay):
            return row if row.samples else None
    return None


def acceptance(rows: list[Row], delays: Sequence[int]) -> tuple[str, bool]:
    """hubaction's action process over skopeo, TLS setup, inspect; and a fit of
    ``wall = fixed + n * delay`` through the two delays, which splits start-up and CPU from
    round trips."""
    lines = [
        "Acceptance: TLS setup, inspect (digest + platform digest + config digest), anonymous;",
        "median wall time of the whole action process over skopeo's:",
    ]
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
    if not any_checked:
        lines.append("  (not measured: needs the tls setup at 30 and/or 100 ms)")
    fits = sorted({d for d in delays if d > 0})
    if len(fits) >= 2:
        low, high = fits[0], fits[-1]
        lines.append(
            f"Model wall = fixed + n x delay, through {low} and {high} ms (TLS, inspect): n is "
            "round trips on the critical path (TCP and TLS handshakes included), fixed is "
            "start-up plus CPU:"
        )
        for tool in TOOL_ORDER:
            a = _find(rows, "tls", "inspect", tool, low)
            b = _find(rows, "tls", "inspect", tool, high)
            if a is None or b is None:
                continue
            n = (b.median - a.median) / ((high - low) / 1000)
            fixed = a.median - n * low / 1000
            lines.append(f"  {tool:<34} n = {n:4.1f}   fixed = {fixed * 1000:4.0f} ms")
    return "\n".join(lines), passed or not any_checked


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
                target = re.sub(r"(scope|service)=[^&]*", r"\1=...", request.target)
                lines.append(f"    {side:<8} conn {request.connection}: {request.method} {target}")
    return "\n".join(lines)


def machine() -> str:
    model = "unknown CPU"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    skopeo = shutil.which("skopeo")
    skopeo_version = (
        subprocess.run([skopeo, "--version"], capture_output=True, text=True, check=False)
        .stdout.strip()
        .removeprefix("skopeo version ")
        if skopeo
        else "missing"
    )
    dxf_version = "missing"
    with contextlib.suppress(Exception):
        from importlib.metadata import version

        dxf_version = version("python-dxf")
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    return (
        f"{time.strftime('%Y-%m-%d')}, {platform.system()} {platform.release()}, "
        f"{os.cpu_count()} CPUs ({model}), Python {platform.python_version()}, "
        f"skopeo {skopeo_version}, python-dxf {dxf_version}; load average {load}"
    )


# -- import time -----------------------------------------------------------------------------


def importtime_report(env: Environment, case: Case, src: Path, n: int) -> str:
    """``python -X importtime`` of one action run (inspect, plain HTTP, no delay), and the
    start-up split into interpreter, ``requests`` and hubaction itself."""
    env.loop.set_delay(0)
    argv = [PYTHON, "-X", "importtime", *case.argv[1:]]
    # One -X importtime run is noisy (a loaded 2-CPU machine moves single modules by 2x):
    # medians per module over n runs.
    self_us: dict[str, list[int]] = {}
    cumulative_us: dict[str, list[int]] = {}
    depths: dict[str, int] = {}
    for _ in range(n):
        if case.output_file is not None:
            case.output_file.write_text("")
        finished = run_process(argv, env=case.env, cwd=case.cwd)
        for line in finished.stderr.splitlines():
            match = re.match(r"import time:\s+(\d+) \|\s+(\d+) \|( *)(\S+)", line)
            if match:
                name = match[4]
                self_us.setdefault(name, []).append(int(match[1]))
                cumulative_us.setdefault(name, []).append(int(match[2]))
                depths[name] = len(match[3])
    if not depths:
        return f"-X importtime gave nothing: {finished.stderr[-500:]!r}"
    own = {name: statistics.median(values) for name, values in self_us.items()}
    cumulative = {name: statistics.median(values) for name, values in cumulative_us.items()}
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
    lines += [
        f"  {value / 1000:7.1f} ms  {package}"
        for package, value in sorted(by_package.items(), key=lambda kv: -kv[1])[:10]
    ]
    lines.append("Slowest single modules (self time):")
    lines += [
        f"  {value / 1000:7.1f} ms  {name}"
        for name, value in sorted(own.items(), key=lambda kv: -kv[1])[:12]
    ]
    hub_modules = sorted(name for name in depths if name.startswith("hubaction"))
    hub_total = sum(own[name] for name in hub_modules)
    lines.append(
        f"hubaction's own modules: {len(hub_modules)}, {hub_total / 1000:.1f} ms self time: "
        + ", ".join(
            f"{name.removeprefix('hubaction.')} {own[name] / 1000:.1f}" for name in hub_modules
        )
    )

    # Wall-clock and CPU split, medians of n runs each.
    common = base_env(env.workdir)
    all_imports = (
        "import hubaction.github.action, hubaction.registry.lookup, hubaction.registry.client"
    )
    # As in the Docker image: PYTHONDONTWRITEBYTECODE=1 and no __pycache__ copied
    # (.dockerignore), so hubaction's own modules are compiled from source on every run.
    app = env.workdir / "app-no-pyc"
    if not app.exists():
        app.mkdir()
        shutil.copy2(src / "entrypoint.py", app / "entrypoint.py")
        shutil.copytree(
            src / "hubaction", app / "hubaction", ignore=shutil.ignore_patterns("__pycache__")
        )
    no_pyc = {"PYTHONDONTWRITEBYTECODE": "1"}
    steps = [
        ("python -c pass", [PYTHON, "-c", "pass"], common, src),
        ("python -S -c pass (no site)", [PYTHON, "-S", "-c", "pass"], common, src),
        ("python -c 'import requests'", [PYTHON, "-c", "import requests"], common, src),
        (
            "python -c 'import hubaction.github.action'",
            [PYTHON, "-c", "import hubaction.github.action"],
            common,
            src,
        ),
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
    # Round-robin, so a change of load on the machine hits every step alike.
    walls: dict[str, list[float]] = {label: [] for label, *_rest in steps}
    cpus: dict[str, list[float]] = {label: [] for label, *_rest in steps}
    for _ in range(n):
        for label, argv_, env_, cwd_ in steps:
            if case.output_file is not None:
                case.output_file.write_text("")
            finished = run_process(argv_, env=env_, cwd=cwd_)
            walls[label].append(finished.seconds)
            cpus[label].append(finished.cpu_seconds)
    lines.append(f"Start-up, medians of {n} rounds (no -X importtime):      wall     CPU")
    for label in walls:
        wall, cpu = statistics.median(walls[label]), statistics.median(cpus[label])
        lines.append(f"  {label:<44} {wall * 1000:5.0f} ms {cpu * 1000:5.0f} ms")
    lines.append(
        "  (image-like: PYTHONDONTWRITEBYTECODE=1 as in the Dockerfile, and no __pycache__, "
        "which .dockerignore keeps out of the image)"
    )
    return "\n".join(lines)


# -- main --------------------------------------------------------------------------------------


@contextlib.contextmanager
def environment(
    workdir: Path, setups: Sequence[str], log: Callable[[str], None]
) -> Iterator[Environment]:
    with contextlib.ExitStack() as stack:
        storage = workdir / "storage"
        loop = stack.enter_context(ProxyLoop())
        open_registry = RegistryProcess.start_open(storage, workdir / "open-registry")
        stack.callback(open_registry.stop)
        log("pushing fixtures/oci-index ...")
        pusher = Pusher(open_registry.url)
        with pusher.session:
            image = push_oci_index(pusher)
        env = Environment(workdir, loop, stack, image, open_registry, storage)
        for name in setups:
            try:
                env.setups[name] = start_plain(env) if name == "plain" else start_tls(env)
            except HostsUnavailable as exc:
                env.notes.append(f"TLS setup skipped: {exc}")
        yield env


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="hubaction vs skopeo, python-dxf and bare requests, through a delay proxy."
    )
    parser.add_argument(
        "--delays", default="30,100", help="ms per round trip, comma-separated (default 30,100)"
    )
    parser.add_argument("--runs", type=int, default=5, help="runs per tool and delay (default 5)")
    parser.add_argument("--setups", default="plain,tls", help="plain and/or tls (default both)")
    parser.add_argument(
        "--tools",
        default="hubaction,skopeo,python-dxf,requests",
        help="which tools (default all)",
    )
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
    args = parser.parse_args(argv)
    try:
        args.delays = [int(d) for d in args.delays.split(",") if d.strip()]
    except ValueError:
        parser.error(f"--delays {args.delays!r}: expected milliseconds such as 30,100")
    args.setups = [s.strip() for s in args.setups.split(",") if s.strip()]
    if not set(args.setups) <= {"plain", "tls"} or not args.setups:
        parser.error("--setups: plain and/or tls")
    args.tools = {t.strip() for t in args.tools.split(",") if t.strip()}
    unknown = args.tools - {"hubaction", "skopeo", "python-dxf", "requests"}
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
    results["rows"] = [_row_json(r) for r in rows]
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
    # scaling.py imports helpers from this module: let it find this very module instead of
    # importing run.py a second time under the name "run".
    sys.modules.setdefault("run", sys.modules[__name__])
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
        reports = [("importtime", args.importtime, lambda: _importtime(args, env, workdir, src))]
        reports.append(("scaling", args.scaling, lambda: _scaling(args, env, src)))
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


def _row_json(row: Row) -> dict[str, Any]:
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
                "registry": {
                    "connections": s.registry.connections,
                    "non_http_connections": s.registry.non_http_connections,
                    "requests": [str(r) for r in s.registry.requests],
                },
                "auth": {
                    "connections": s.auth.connections,
                    "non_http_connections": s.auth.non_http_connections,
                    "requests": [str(r) for r in s.auth.requests],
                },
            }
            for s in row.samples
        ],
    }


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.stderr.write("interrupted; everything started was stopped\n")
        sys.exit(130)
