"""The ``hubaction`` command line: the same lookups as the action, for local use.

One module per group of commands (:mod:`.inspect`, :mod:`.tags`, :mod:`.hub`, :mod:`.verbs`,
:mod:`.pin`),
what they share in :mod:`.common`, registry text made safe to print in :mod:`.text`. Exit
codes: 0 success, 1 a lookup failed, 2 bad usage or input. Failures print one ``error:`` line
on stderr, never a traceback. Text from a registry is printed escaped (:func:`shown`).
"""

from __future__ import annotations

import argparse
import io
import os
import sys
import time
from collections.abc import Callable, Sequence
from contextlib import suppress
from typing import TextIO

from hubaction import __version__
from hubaction.cli import hub, inspect, pin, tags, verbs
from hubaction.cli.common import common_options
from hubaction.cli.text import MAX_INTERNAL_TEXT, shown
from hubaction.errors import HubActionError, describe
from hubaction.startup import lean_imports

__all__ = ["build_parser", "main", "run", "shown"]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="hubaction",
        description="What exactly is this image right now? Digests, platforms and tags from "
        "Docker Hub and any OCI registry.",
    )
    parser.add_argument("--version", action="version", version=f"hubaction {__version__}")
    common = common_options()
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    inspect.add_parser(sub, common)
    tags.add_parsers(sub, common)
    hub.add_parsers(sub, common)
    verbs.add_parsers(sub, common)
    pin.add_parser(sub, common)
    return parser


def main(
    argv: Sequence[str] | None = None,
    *,
    out: TextIO | None = None,
    stdin: TextIO | None = None,
) -> int:
    lean_imports()
    try:
        started = time.monotonic()  # the --timeout deadline counts from here
        args = build_parser().parse_args(argv)
        args.started = started
        func: Callable[[argparse.Namespace, TextIO, TextIO], int] = args.func
        return func(args, out or sys.stdout, stdin or sys.stdin)
    except HubActionError as exc:
        sys.stderr.write(f"error: {shown(describe(exc))}\n")
        return exc.exit_code
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\n")
        return 130
    except BrokenPipeError:  # the reader went away (`hubaction tags x | head`): nothing to say
        return 1
    except Exception as exc:  # an unexpected bug: one clear line, as the action's main()
        text = shown(f"{type(exc).__name__}: {exc}")[:MAX_INTERNAL_TEXT]
        sys.stderr.write(
            f"error: hubaction hit an internal error ({text}). This is a bug; please "
            "report it with the command that caused it\n"
        )
        return 1


def run() -> None:
    """The ``hubaction`` command (console script and ``python -m hubaction.cli``)."""
    # Strict encoding would turn text that slipped past shown() (a lone surrogate) into a
    # UnicodeEncodeError halfway through the output; stderr is backslashreplace already.
    if isinstance(sys.stdout, io.TextIOWrapper):
        sys.stdout.reconfigure(errors="backslashreplace")
    code = main()
    # Skip the interpreter's teardown (freeing every module, OpenSSL's exit handlers): tens of
    # milliseconds per call, for nothing. Only the standard streams may hold buffered text.
    with suppress(OSError):  # a closed pipe (`hubaction tags x | head`)
        sys.stdout.flush()
    with suppress(OSError):
        sys.stderr.flush()
    os._exit(code)
