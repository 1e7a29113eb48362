"""The README's first command: the offline demo runs and shows outputs and a summary."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_demo_runs_end_to_end(docker_registry_binary: str) -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "demo.py")],
        capture_output=True,
        text=True,
        timeout=180,
        cwd="/",
    )
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout
    assert "digest = sha256:" in out
    assert 'platforms = ["linux/amd64","linux/arm64/v8","linux/arm/v7","windows/amd64"]' in out
    assert "### Platforms" in out and "### Tags" in out
    assert out.rstrip().endswith("== registry stopped")
