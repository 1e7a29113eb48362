"""Start-up: the entry points keep requests' character-set detector out, silently, and
requests still works without it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

PROBE = """
import sys, warnings
warnings.simplefilter("error")
from hubaction.startup import lean_imports
lean_imports()
import requests
print(sys.modules.get("charset_normalizer") is None, sys.modules.get("chardet") is None)
r = requests.models.Response()
r._content = "h\\u00e9".encode()
print(r.apparent_encoding, r.text)
"""


def test_lean_imports_keep_the_detector_out_without_a_warning() -> None:
    done = subprocess.run(
        [sys.executable, "-c", PROBE],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
        check=True,
    )
    assert done.stdout.split("\n")[:2] == ["True True", "utf-8 h\u00e9"]
    assert done.stderr == ""


def test_the_entrypoint_imports_no_detector() -> None:
    probe = (
        "import sys\n"
        "sys.argv = ['entrypoint.py']\n"
        "import entrypoint\n"
        "import hubaction.registry.client  # what every lookup imports: requests\n"
        "assert 'requests' in sys.modules\n"
        "print(any(sys.modules.get(m) for m in ('charset_normalizer', 'chardet')))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, timeout=60
    )
    assert done.stdout.strip().splitlines()[-1] == "False", done.stderr


def test_help_and_usage_errors_do_not_import_requests() -> None:
    # Each command line ends before any request: `requests` (and what it pulls in) would only
    # slow down the answer.
    probe = (
        "import contextlib, io, sys\n"
        "from hubaction import cli\n"
        "for argv in (['--help'], ['tags', '--help'], ['tags'], ['tags', 'Bad/Name'],\n"
        "             ['inspect', 'node', '--platform', 'linux']):\n"
        "    with contextlib.redirect_stdout(io.StringIO()), "
        "contextlib.redirect_stderr(io.StringIO()):\n"
        "        try:\n"
        "            code = cli.main(argv)\n"
        "        except SystemExit as exit:\n"
        "            code = exit.code\n"
        "    print(code, 'requests' in sys.modules)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, timeout=60
    )
    assert done.stdout.split("\n")[:5] == ["0 False", "0 False", "2 False", "2 False", "2 False"], (
        done.stdout + done.stderr
    )
