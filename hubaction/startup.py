"""Start-up of the command-line entry points: keep what a run never uses from being imported.

``requests`` imports a character-set detector (charset_normalizer, else chardet) when it is
imported, 30 to 70 ms of a CI step's start-up, only to guess the encoding of ``Response.text``
when a server names none. hubaction never reads ``.text``: registry and Docker Hub bodies are
read as bytes and parsed as JSON (RFC 8259: UTF-8). Without a detector ``requests`` falls back to
UTF-8 (``Response.apparent_encoding``) and warns once at import; the warning is filtered here.
Pure: imports nothing heavy itself.
"""

from __future__ import annotations

import sys
import warnings

_DETECTORS = ("charset_normalizer", "chardet")


def lean_imports() -> None:
    """Call before anything imports ``requests``; no effect once it has been imported."""
    if "requests" in sys.modules:
        return
    for name in _DETECTORS:
        # A None entry makes `import name` raise ImportError, which requests handles.
        sys.modules.setdefault(name, None)  # type: ignore[arg-type]
    warnings.filterwarnings(
        "ignore", message="Unable to find acceptable character detection dependency"
    )
