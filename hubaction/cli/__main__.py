"""``python -m hubaction.cli``."""

from hubaction.cli import run

run()
