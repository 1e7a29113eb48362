"""The inputs about a Dockerfile (``dockerfile``, ``update-dockerfile``): the file read once, as
its bytes are (``\\r\\n`` and a BOM kept, so that a rewrite keeps them), and its base images.
The table of every input stays in :mod:`hubaction.github.inputs`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from hubaction.errors import InvalidInput

if TYPE_CHECKING:
    from hubaction.dockerfile import BaseImage


@dataclass(frozen=True)
class Dockerfile:
    """The ``dockerfile`` input: the path as given, its FROM images and its text, read up
    front."""

    path: str
    images: tuple[BaseImage, ...]
    text: str = ""


def workspace_file(name: str) -> Path:
    """``name`` relative to the workspace (the runner's working directory)."""
    base = Path(os.environ.get("GITHUB_WORKSPACE") or Path.cwd())
    path = Path(name)
    return path if path.is_absolute() else base / path


def read_dockerfile(name: str, value: str) -> Dockerfile:
    if not value:
        return Dockerfile("", ())
    from hubaction.dockerfile import parse_dockerfile

    try:
        # Not read_text(): universal newlines would turn "\r\n" into "\n" (BuildKit splits on
        # "\n" only), and update-dockerfile must write every other byte back as it was.
        content = workspace_file(value).read_bytes().decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInput(
            f"Input `{name}`: cannot read {value!r} ({exc.__class__.__name__}); give the "
            "path of a Dockerfile in the workspace, e.g. `Dockerfile` or "
            "`docker/app.Dockerfile` (and check the repository out first)"
        ) from None
    try:
        return Dockerfile(value, tuple(parse_dockerfile(content, path=value)), content)
    except InvalidInput as exc:
        raise InvalidInput(f"Input `{name}`: {exc}") from None


def require_dockerfile_to_update(update: bool, dockerfile: str) -> bool:
    if update and not dockerfile:
        raise InvalidInput(
            "Input `update-dockerfile` rewrites the pins of `dockerfile`, which is empty: set "
            "`dockerfile` to the Dockerfile's path, or drop `update-dockerfile`"
        )
    return update
