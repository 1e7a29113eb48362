"""``hubaction namespaces`` and ``hubaction repos``: Docker Hub's API listings."""

from __future__ import annotations

import argparse
import sys
from typing import Any, TextIO

from hubaction.cli.common import credentials, open_hub
from hubaction.cli.text import shown, table, to_json


def cmd_namespaces(args: argparse.Namespace, out: TextIO, stdin: TextIO) -> int:
    names = open_hub(args, credentials(args, "docker.io", stdin)).namespaces()
    if args.json:
        out.write(to_json(names, indent=None) + "\n")
    else:
        out.writelines(shown(name) + "\n" for name in names)
    return 0


def cmd_repos(args: argparse.Namespace, out: TextIO, stdin: TextIO) -> int:
    hub = open_hub(args, credentials(args, "docker.io", stdin))
    repositories = hub.repositories(args.namespace)
    if args.json:
        doc = [
            {
                "name": r.name,
                "private": r.is_private,
                "pulls": r.pull_count,
                "stars": r.star_count,
                "last_updated": r.last_updated,
            }
            for r in repositories
        ]
        out.write(to_json(doc) + "\n")
        return 0
    table(
        [
            (
                r.name,
                f"{'private' if r.is_private else 'public':7}  {r.pull_count or 0:>12,} pulls"
                f"  {r.last_updated or ''}",
            )
            for r in repositories
        ],
        out,
    )
    if hub.anonymous:
        sys.stderr.write("(public repositories only: no credentials)\n")
    return 0


def add_parsers(sub: Any, common: argparse.ArgumentParser) -> None:
    """``namespaces`` and ``repos`` on the subparsers ``sub``."""
    namespaces = sub.add_parser(
        "namespaces", parents=[common], help="Docker Hub namespaces the credentials can see"
    )
    namespaces.set_defaults(func=cmd_namespaces)

    repos = sub.add_parser("repos", parents=[common], help="repositories of a Docker Hub namespace")
    repos.add_argument("namespace", help="Docker Hub user or organization")
    repos.set_defaults(func=cmd_repos)
