"""The crane-like verbs of the ``hubaction`` command line (issue 16): ``digest``,
``manifest``, ``config`` and ``referrers``, each with ``--json``; and ``pin`` (issue 17), which
updates a Dockerfile's pins as ``update-dockerfile`` does, printing the diff by default.

``manifest`` and ``config`` print the verified raw bytes, so ``| sha256sum`` gives the digest
back. A registry's bytes are hostile text all the same: when a line holds what a terminal or a
CI log would act on (ESC, bidi controls, ``##[``, a leading ``::``; see ``cli.shown``) it is
printed escaped, with a note; ``--output FILE`` writes the exact bytes to a file instead.
The helpers they share with :mod:`hubaction.cli` (credentials, the client, escaping) come in a
:class:`VerbKit`, so the two modules do not import each other.
"""

from __future__ import annotations

import argparse
import functools
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from hubaction.errors import CorruptBody, InvalidInput
from hubaction.oci.platform import Platform, parse_platform, select_platform
from hubaction.oci.reference import Reference, parse_reference

if TYPE_CHECKING:  # typing only: `requests` stays out of --help and usage errors
    from hubaction.dockerfile import BaseImageStatus
    from hubaction.dockerfile.rewrite import Rewrite
    from hubaction.oci.model import FetchedManifest
    from hubaction.registry.client import RegistryClient


@dataclass(frozen=True)
class VerbKit:
    """What the verbs take from ``cli``: a client for a reference (credentials read), the
    escaping of registry text, and JSON as ``cli`` prints it."""

    client: Callable[[argparse.Namespace, Reference, TextIO], RegistryClient]
    shown: Callable[[str], str]
    json: Callable[[object], str]


def _reference(args: argparse.Namespace) -> Reference:
    return parse_reference(args.reference)


def _platform(args: argparse.Namespace) -> Platform | None:
    return parse_platform(args.platform) if args.platform else None


def cmd_digest(kit: VerbKit, args: argparse.Namespace, out: TextIO, stdin: TextIO) -> int:
    """The digest ``REF`` points to: one HEAD (no pull counted on Docker Hub)."""
    ref = _reference(args)
    head = kit.client(args, ref, stdin).head_manifest(ref)
    if args.json:
        doc = {
            "reference": str(ref),
            "digest": str(head.digest),
            "media-type": head.media_type or "",
            "pinned": str(ref.with_digest(head.digest)),
        }
        out.write(kit.json(doc) + "\n")
    else:
        out.write(f"{head.digest}\n")
    return 0


def _chosen(
    client: RegistryClient, ref: Reference, platform: Platform | None
) -> tuple[FetchedManifest, FetchedManifest]:
    """What ``ref`` points to, and for an index the manifest of ``platform`` (else itself)."""
    from hubaction.oci.manifest import ImageIndex

    top = client.get_manifest(ref)
    if platform is None or not isinstance(top.manifest, ImageIndex):
        return top, top
    entries = [(d.platform, d) for d in top.manifest.images if d.platform is not None]
    entry = select_platform(platform, entries)
    return top, client.get_manifest(ref, entry.digest)


def _emit(kit: VerbKit, body: bytes, args: argparse.Namespace, out: TextIO, what: str) -> None:
    """``body`` exactly (``--output``, or stdout when no line of it is unsafe), else escaped."""
    if args.output:
        Path(args.output).write_bytes(body)
        return
    if args.json:
        from hubaction.oci.wire import NotJSON, load_json

        try:
            out.write(kit.json(load_json(body)) + "\n")
        except NotJSON as exc:
            raise CorruptBody(f"the {what} is not JSON: {exc}") from None
        return
    text = body.decode("utf-8", "backslashreplace")
    lines = text.split("\n")
    safe = [kit.shown(line) for line in lines]
    if safe == lines and "\r" not in text and text.encode("utf-8") == body:
        buffer = getattr(out, "buffer", None)
        if buffer is not None:
            out.flush()
            buffer.write(body)
            buffer.flush()
        else:
            out.write(text)
        return
    out.write("\n".join(safe) + ("" if text.endswith("\n") else "\n"))
    sys.stderr.write(
        f"note: the {what} holds characters a terminal or CI log would act on; they are shown "
        "escaped (--output FILE writes the exact bytes)\n"
    )


def cmd_manifest(kit: VerbKit, args: argparse.Namespace, out: TextIO, stdin: TextIO) -> int:
    """The manifest ``REF`` points to (with ``--platform``, that platform's), verified."""
    ref = _reference(args)
    platform = _platform(args)
    _top, chosen = _chosen(kit.client(args, ref, stdin), ref, platform)
    _emit(kit, chosen.body, args, out, "manifest")
    return 0


def cmd_config(kit: VerbKit, args: argparse.Namespace, out: TextIO, stdin: TextIO) -> int:
    """The image config blob of ``REF`` (of ``--platform``'s image in an index), verified."""
    from hubaction.oci.manifest import ImageManifest

    ref = _reference(args)
    platform = _platform(args) or parse_platform("linux/amd64")
    client = kit.client(args, ref, stdin)
    _top, chosen = _chosen(client, ref, platform)
    if not isinstance(chosen.manifest, ImageManifest):
        raise InvalidInput(f"{ref}: the index entry for {platform} is itself an index")
    _emit(kit, client.get_blob(ref, chosen.manifest.config.digest), args, out, "config")
    return 0


def cmd_referrers(kit: VerbKit, args: argparse.Namespace, out: TextIO, stdin: TextIO) -> int:
    """What refers to ``REF``'s digest: the referrers API (else the tag schema), cosign tags."""
    from hubaction.github.supplychain import referrer_json
    from hubaction.registry.referrers import cosign_referrers, list_referrers

    ref = _reference(args)
    client = kit.client(args, ref, stdin)
    digest = ref.digest or client.head_manifest(ref).digest
    found, how = list_referrers(client, ref, digest, args.artifact_type or None)
    everything = [*found, *cosign_referrers(client, ref, [digest])]
    signed = any(r.is_signature for r in everything)
    if args.json:
        doc: dict[str, Any] = {
            "reference": str(ref),
            "digest": str(digest),
            "listed-by": how,
            "signed": signed,
            "referrers": [referrer_json(r) for r in everything],
        }
        out.write(kit.json(doc) + "\n")
        return 0
    for r in everything:
        kind = r.artifact_type or (f"cosign .{r.cosign}" if r.cosign else r.media_type)
        out.write(kit.shown(f"{r.digest}  {r.kind:<11}  {kind}  {r.size} B  ({r.source})") + "\n")
    listed = "the referrers API" if how == "api" else "the sha256-<hex> tag schema (no API)"
    sys.stderr.write(f"{len(everything)} referrers of {digest}, from {listed} and cosign tags; ")
    sys.stderr.write(f"signed: {'yes' if signed else 'no'}\n")
    return 0


def cmd_pin(kit: VerbKit, args: argparse.Namespace, out: TextIO, stdin: TextIO) -> int:
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
        client = kit.client(args, images[0].lookup_reference, stdin)
        platform = parse_platform(args.platform)
        statuses = look_up_pins(client, images, platform, name)
    for note in unresolved(statuses, pin_all=args.pin_all):
        sys.stderr.write(kit.shown(f"warning: {name} {note}") + "\n")
    pins = new_pins(statuses, pin_all=args.pin_all)
    rewrite = rewrite_pins(text, pins, build_args=build_args, path=name)
    for skip in rewrite.skipped:
        note = f"warning: {name} line {skip.line}: {skip.image} not updated: {skip.reason}"
        sys.stderr.write(kit.shown(note) + "\n")
    if args.write and rewrite.changed:
        write_atomically(path, rewrite.text)
    if args.json:
        out.write(kit.json(_pin_json(name, rewrite, statuses, written=args.write)) + "\n")
    elif not args.write:
        _diff(kit, text, rewrite.text, name, out)
    done = "updated" if args.write else "to update"
    count = len(rewrite.edits)
    sys.stderr.write(kit.shown(f"{name}: {count} pin{'' if count == 1 else 's'} {done}") + "\n")
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


def _diff(kit: VerbKit, old: str, new: str, name: str, out: TextIO) -> None:
    """The unified diff, each line escaped as registry text is (a ``\r`` of a CRLF file is
    not shown: the terminal would act on it)."""
    import difflib

    before, after = old.splitlines(keepends=True), new.splitlines(keepends=True)
    for line in difflib.unified_diff(before, after, f"a/{name}", f"b/{name}"):
        out.write(kit.shown(line.rstrip("\r\n").removesuffix("\r")) + "\n")


def add_verbs(sub: Any, common: argparse.ArgumentParser, kit: VerbKit) -> None:
    """Add ``digest``, ``manifest``, ``config`` and ``referrers`` to ``sub`` (the subparsers)."""
    digest = sub.add_parser("digest", parents=[common], help="the digest of a reference (HEAD)")
    digest.add_argument("reference", help="image reference, e.g. node:20")
    digest.set_defaults(func=functools.partial(cmd_digest, kit))
    for name, helped, func in (
        ("manifest", "the verified raw manifest", cmd_manifest),
        ("config", "the verified raw image config", cmd_config),
    ):
        verb = sub.add_parser(name, parents=[common], help=helped)
        verb.add_argument("reference", help="image reference, e.g. node:20")
        verb.add_argument(
            "--platform",
            default="",
            help="os/arch[/variant] in an index (manifest: default the index itself; "
            "config: default linux/amd64)",
        )
        verb.add_argument("--output", metavar="FILE", help="write the exact bytes to FILE")
        verb.set_defaults(func=functools.partial(func, kit))
    referrers = sub.add_parser(
        "referrers", parents=[common], help="signatures, SBOMs, attestations referring to an image"
    )
    referrers.add_argument("reference", help="image reference, e.g. ghcr.io/o/app:1")
    referrers.add_argument("--artifact-type", default="", help="only referrers of this type")
    referrers.set_defaults(func=functools.partial(cmd_referrers, kit))
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
    pin.set_defaults(func=functools.partial(cmd_pin, kit))
