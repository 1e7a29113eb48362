"""Running one tool as a fresh process (wall time, CPU time, output), in a clean environment."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CLIENTS = ROOT / "benchmarks" / "clients"
PYTHON = sys.executable
PROCESS_TIMEOUT = 120.0


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
