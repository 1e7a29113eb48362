"""Entry point of the hubaction container: ``python /app/entrypoint.py``.

The runner starts the container with the workspace as working directory, so imports are
resolved from this file's folder, never from the working directory.
"""

import contextlib
import os
import sys

# Run as a script, sys.path[0] is already this folder; imported (tests), it may not be. Added
# only when missing: a duplicate entry doubles the path lookups of every import at start-up.
_here = os.path.dirname(os.path.realpath(__file__))
if _here not in sys.path:
    sys.path.insert(0, _here)

from hubaction.startup import lean_imports  # noqa: E402 - after the path is set

lean_imports()  # before anything imports requests


def run() -> int:
    from hubaction.github.action import main

    return main()


if __name__ == "__main__":
    code = run()
    # Skip the interpreter's teardown (freeing every module, OpenSSL's exit handlers): 20 to 40
    # ms of every CI step for nothing. The outputs and summary files are written and closed by
    # now (toolkit opens them per write); only the standard streams may hold buffered text.
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError):  # a closed pipe: nothing more can be said there
            stream.flush()
    os._exit(code)
