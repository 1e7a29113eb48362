"""The pure modules stay pure: importing one must not import ``requests`` (nor anything else
doing network I/O), so they can be used and tested without a network stack.

Each module is imported in a fresh interpreter: in this process other tests have long since
imported requests.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

PURE_MODULES = [
    "reference",
    "platform",
    "challenge",
    "manifest",
    "tags",
    "summary",
    "outputs",
    "model",
    "contract",
    "credentials",
    "toolkit",
    "errors",
    "dockerfile",
    "basecheck",
    "startup",
    "mediatypes",
]

# Not pure (the head start opens sockets; the others wire I/O together), but loaded before or
# while the head start runs: importing them must not import the HTTP stack, whose import time
# is exactly what the head start overlaps (hubaction/headstart.py). `ssl` included: the head
# start imports it in its own thread, while the TCP handshake is on the wire.
EARLY_MODULES = ["headstart", "action", "steps", "cli"]

# Modules that would mean HTTP crept in through a dependency. (Not `socket`: the standard
# library's email.utils imports it just to name messages, and is fine to use.)
IO_MODULES = ["requests", "urllib3", "http.client"]

PROBE = """
import importlib, json, sys
importlib.import_module(sys.argv[1])
print(json.dumps({name: name in sys.modules for name in sys.argv[2:]}))
"""


@pytest.mark.parametrize("module", PURE_MODULES)
def test_pure_module_does_not_import_requests(module: str) -> None:
    assert (ROOT / "hubaction" / f"{module}.py").is_file(), f"hubaction/{module}.py is missing"
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            f"import sys; import hubaction.{module}; print('requests' in sys.modules)",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False", f"hubaction.{module} imports requests"


def _loaded_by(module: str, names: list[str]) -> set[str]:
    """Which of ``names`` importing ``hubaction.<module>`` loads, in a fresh interpreter."""
    result = subprocess.run(
        [sys.executable, "-c", PROBE, f"hubaction.{module}", *names],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return {name for name, present in _parse(result.stdout).items() if present}


@pytest.mark.parametrize("module", PURE_MODULES)
def test_pure_module_imports_no_network_stack(module: str) -> None:
    loaded = _loaded_by(module, IO_MODULES)
    assert loaded == set(), f"hubaction.{module} pulls in {sorted(loaded)}"


@pytest.mark.parametrize("module", EARLY_MODULES)
def test_early_module_leaves_the_http_stack_for_later(module: str) -> None:
    loaded = _loaded_by(module, [*IO_MODULES, "ssl"])
    assert loaded == set(), f"hubaction.{module} pulls in {sorted(loaded)} at import"


def _parse(stdout: str) -> dict[str, bool]:
    value = json.loads(stdout.strip().splitlines()[-1])
    assert isinstance(value, dict)
    return {str(k): bool(v) for k, v in value.items()}


def test_the_probe_can_fail() -> None:
    # transport is not pure; if the probe reported False for it, the tests above prove nothing.
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; import hubaction.transport; print('requests' in sys.modules)",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "True"
    assert _loaded_by("transport", [*IO_MODULES, "ssl"]) == {*IO_MODULES, "ssl"}
