"""Digests and the ``(line, text, stage)`` shape the tests/test_dockerfile_*.py tables are
written in."""

from __future__ import annotations

from hubaction.dockerfile import parse_dockerfile

D1 = "sha256:" + "1" * 64
D2 = "sha256:" + "2" * 64
D3 = "sha256:" + "3" * 64


def images(
    text: str, build_args: dict[str, str] | None = None
) -> list[tuple[int, str, str | None]]:
    """``(line, text, stage)`` of each base image, the shape the tables are written in."""
    return [(i.line, i.text, i.stage) for i in parse_dockerfile(text, build_args=build_args)]
