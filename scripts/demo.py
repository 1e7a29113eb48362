"""The offline demo: a local registry, a small multi-platform image, the action run as GitHub
runs it, its outputs and job summary printed, the registry stopped.

Run with `bash scripts/demo` (which sets up .venv and the Debian packages first).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT))

from registryfixtures import RegistryProcess  # noqa: E402
from registryfixtures.images import Pusher, push_oci_index  # noqa: E402
from runner_files import parse_output_file  # noqa: E402

from hubaction.github.inputs import INPUT_DEFAULTS  # noqa: E402
from hubaction.github.toolkit import input_variable  # noqa: E402


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="hubaction-demo-") as tmp:
        work = Path(tmp)
        print("== starting a registry on 127.0.0.1 (docker-registry, no auth)")
        registry = RegistryProcess.start_open(work / "storage", work / "registry")
        try:
            print(f"   {registry.url}")
            print("== pushing a multi-platform sample image through the Registry API")
            image = push_oci_index(Pusher(registry.url))
            print(f"   {registry.host}/{image.repository}:1 -> {image.digest}")
            print(f"   platforms: {', '.join(image.platforms)}")
            print("== running entrypoint.py as the GitHub runner does")
            workspace = work / "workspace"
            workspace.mkdir()
            output_file, summary_file = work / "github_output", work / "step_summary"
            output_file.touch()
            summary_file.touch()
            inputs = {name: default or "" for name, default in INPUT_DEFAULTS.items()}
            inputs |= {
                "repository": f"{registry.host}/{image.repository}",
                "tag": "1",
                "platform": "linux/arm64",
            }
            env = {
                "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
                "HOME": str(work),
                "GITHUB_ACTIONS": "true",
                "GITHUB_OUTPUT": str(output_file),
                "GITHUB_STEP_SUMMARY": str(summary_file),
                "GITHUB_WORKSPACE": str(workspace),
            } | {input_variable(name): value for name, value in inputs.items()}
            for name, value in inputs.items():
                if value and value != INPUT_DEFAULTS[name]:
                    print(f"   with: {name}: {value}")
            done = subprocess.run(
                [sys.executable, str(ROOT / "entrypoint.py")],
                cwd=workspace,
                env=env,
                capture_output=True,
                text=True,
                timeout=120,
            )
            _report(done, output_file, summary_file)
            return done.returncode
        finally:
            registry.stop()
            print("== registry stopped")


def _report(done: subprocess.CompletedProcess[str], output_file: Path, summary_file: Path) -> None:
    """The step's log, exit code, outputs and job summary, as a runner would show them."""
    if done.stdout.strip():
        print("== the step's log")
        print(done.stdout.rstrip())
    if done.stderr.strip():
        print(done.stderr.rstrip(), file=sys.stderr)
    print(f"== exit code {done.returncode}")
    print("== outputs (GITHUB_OUTPUT, read with the runner's rules)")
    for name, value in parse_output_file(output_file.read_text()).items():
        print(f"   {name} = {value}")
    print("== job summary (GITHUB_STEP_SUMMARY)")
    print(summary_file.read_text().rstrip())


if __name__ == "__main__":
    sys.exit(main())
