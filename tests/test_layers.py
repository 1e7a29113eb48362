"""The layer rules import-linter cannot see (its contracts, in pyproject.toml, check imports).

* The pure and I/O packages never read the runner's ``INPUT_*`` variables: inputs are the
  front ends' business (``github/inputs``, ``cli``), passed down as parsed values.
* The I/O packages never write Markdown (the job summary is ``github/summary``); a Markdown
  table row or heading in their string literals would say they do.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "hubaction"
BELOW_FRONT_ENDS = ("oci", "registry", "dockerhub", "dockerfile")
IO_PACKAGES = ("registry", "dockerhub")
# A table row, a heading or bold text: what the summary's Markdown is made of.
MARKDOWN = re.compile(r"^\s*(\|.*\||#{1,6} |\*\*[^*\s])|\|---")


def _modules(packages: tuple[str, ...]) -> list[Path]:
    return sorted(p for name in packages for p in (PACKAGE / name).rglob("*.py"))


def _strings(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [
        (node.lineno, node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str)
    ]


@pytest.mark.parametrize("path", _modules(BELOW_FRONT_ENDS), ids=lambda p: p.stem)
def test_no_input_variables_below_the_front_ends(path: Path) -> None:
    found = [(line, text) for line, text in _strings(path) if "INPUT_" in text]
    assert found == [], f"{path} reads runner inputs: {found}"


@pytest.mark.parametrize("path", _modules(IO_PACKAGES), ids=lambda p: p.stem)
def test_no_markdown_in_the_io_packages(path: Path) -> None:
    markdown = [(line, text) for line, text in _strings(path) if MARKDOWN.search(text)]
    assert markdown == [], f"{path} formats Markdown: {markdown}"


def test_the_probe_sees_input_variables_and_markdown(tmp_path: Path) -> None:
    """The two probes above can fail: they find what they look for in a module that has it."""
    sample = tmp_path / "sample.py"
    sample.write_text('import os\nX = os.environ["INPUT_TAG"]\nROW = "| a | b |"\nM = "***"\n')
    strings = [text for _line, text in _strings(sample)]
    assert "INPUT_TAG" in strings
    assert [s for s in strings if MARKDOWN.search(s)] == ["| a | b |"]
