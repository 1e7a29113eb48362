"""``python -m hubaction``: the command line."""

from hubaction.cli import run

if __name__ == "__main__":
    run()
