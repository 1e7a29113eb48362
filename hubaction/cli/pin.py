"""``hubaction pin Dockerfile``: the Dockerfile's stale base image pins updated (issue 17 §2).

A unified diff by default (exit 0); ``--write`` rewrites the file in place, atomically;
``--all`` also pins the unpinned images. The same lookups and rewrite as the action's
``update-dockerfile`` (:mod:`hubaction.github.dockerfile_step`).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from hubaction.cli.common import ref_client
from hubaction.cli.text import shown, to_json
from hubaction.errors import InvalidInput
from hubaction.oci.platform import parse_platform

if TYPE_CHECKING:
    from hubaction.dockerfile import BaseImageStatus
    from hubaction.dockerfile.rewrite import Rewrite


def cmd_pin(args: argparse.Namespace, out: TextIO, stdin: TextIO) -> int:
    """The Dockerfile's stale pins updated (``--all``: its unpinned images pinned too): the
    unified diff, or with ``--write`` the file rewritten in place."""
    from hubaction.dockerfile import parse_dockerfile
    from hubaction.dockerfile.rewrite import rewrite_pins
    from hubaction.github.dockerfile_step import (
        look_up_pins,
        new_pins,
        unresolved,
        write_atomically,
    )

    path, name = Path(args.dockerfile), args.dockerfile
    try:
        # Bytes, not read_text(): "\r\n" endings must be written back as they are.
        text = path.read_bytes().decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"cannot read {name!r} ({exc.__class__.__name__})") from None
    build_args = dict(_build_arg(item) for item in args.build_arg)
    images = parse_dockerfile(text, build_args=build_args, path=name)
    statuses: list[BaseImageStatus] = []
    if images:
        # One client; --username is for the first image's registry, config.json for all.
        client = ref_client(args, images[0].lookup_reference, stdin)
        platform = parse_platform(args.platform)
        statuses = look_up_pins(client, images, platform, name)
    for note in unresolved(statuses, pin_all=args.pin_all):
        sys.stderr.write(shown(f"warning: {name} {note}") + "\n")
    pins = new_pins(statuses, pin_all=args.pin_all)
    rewrite = rewrite_pins(text, pins, build_args=build_args, path=name)
    for skip in rewrite.skipped:
        note = f"warning: {name} line {skip.line}: {skip.image} not updated: {skip.reason}"
        sys.stderr.write(shown(note) + "\n")
    if args.write and rewrite.changed:
        try:
            write_atomically(path, rewrite.text)
        except OSError as exc:  # a read-only checkout is the user's to fix, not a bug
            raise InvalidInput(f"--write: cannot write {name!r} ({exc.strerror})") from None
    if args.json:
        out.write(to_json(_pin_json(name, rewrite, statuses, written=args.write)) + "\n")
    elif not args.write:
        _diff(text, rewrite.text, name, out)
    done = "updated" if args.write else "to update"
    count = len(rewrite.edits)
    sys.stderr.write(shown(f"{name}: {count} pin{'' if count == 1 else 's'} {done}") + "\n")
    return 0


def _pin_json(
    name: str, rewrite: Rewrite, statuses: list[BaseImageStatus], *, written: bool
) -> dict[str, object]:
    from dataclasses import asdict

    from hubaction.dockerfile import base_images_output

    return {
        "dockerfile": name,
        "changed": rewrite.changed,
        "written": written and rewrite.changed,
        "edits": [asdict(edit) for edit in rewrite.edits],
        "skipped": [asdict(skip) for skip in rewrite.skipped],
        "base-images": base_images_output(statuses),
    }


def _build_arg(item: str) -> tuple[str, str]:
    name, equals, value = item.partition("=")
    if not name or not equals:
        raise InvalidInput(f"--build-arg {item!r}: expected NAME=VALUE")
    return name, value


def _diff(old: str, new: str, name: str, out: TextIO) -> None:
    """The unified diff, each line escaped as registry text is (a ``\r`` of a CRLF file is
    not shown: the terminal would act on it)."""
    import difflib

    before, after = old.splitlines(keepends=True), new.splitlines(keepends=True)
    for line in difflib.unified_diff(before, after, f"a/{name}", f"b/{name}"):
        out.write(shown(line.rstrip("\r\n").removesuffix("\r")) + "\n")


def add_parser(sub: Any, common: argparse.ArgumentParser) -> None:
    """``pin`` on the subparsers ``sub``."""
    pin = sub.add_parser(
        "pin", parents=[common], help="update a Dockerfile's base image pins (a diff by default)"
    )
    pin.add_argument("dockerfile", help="path of the Dockerfile")
    pin.add_argument("--write", action="store_true", help="rewrite the file instead of a diff")
    pin.add_argument(
        "--all", dest="pin_all", action="store_true", help="also pin the unpinned base images"
    )
    pin.add_argument(
        "--platform",
        default="linux/amd64",
        help="os/arch[/variant] of a FROM without --platform (default: linux/amd64)",
    )
    pin.add_argument(
        "--build-arg", action="append", default=[], metavar="NAME=VALUE", help="a build arg"
    )
    pin.set_defaults(func=cmd_pin)
