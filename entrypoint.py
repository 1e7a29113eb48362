"""Entry point of the hubaction container: ``python /app/entrypoint.py``.

The runner starts the container with the workspace as working directory, so imports are
resolved from this file's folder, never from the working directory.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from hubaction.startup import lean_imports

lean_imports()  # before anything imports requests

from hubaction.action import main  # noqa: E402 - after lean_imports()

if __name__ == "__main__":
    sys.exit(main())
