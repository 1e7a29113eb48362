"""The crane-like verbs of the ``hubaction`` command line (issue 16): ``digest``,
``manifest``, ``config`` and ``referrers``, each with ``--json``.

``manifest`` and ``config`` print the verified raw bytes, so ``| sha256sum`` gives the digest
back. A registry's bytes are hostile text all the same: when a line holds what a terminal or a
CI log would act on (ESC, bidi controls, ``##[``, a leading ``::``: :func:`.text.shown`) it is
printed escaped, with a note; ``--output FILE`` writes the exact bytes to a file instead.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from hubaction.cli.common import ref_client
from hubaction.cli.text import shown, to_json
from hubaction.errors import CorruptBody, InvalidInput
from hubaction.oci.platform import Platform, parse_platform, select_platform
from hubaction.oci.reference import Reference, parse_reference

if TYPE_CHECKING:  # typing only: `requests` stays out of --help and usage errors
    from hubaction.oci.model import FetchedManifest
    from hubaction.registry.client import RegistryClient


def _reference(args: argparse.Namespace) -> Reference:
    return parse_reference(args.reference)


def _platform(args: argparse.Namespace) -> Platform | None:
    return parse_platform(args.platform) if args.platform else None


def cmd_digest(args: argparse.Namespace, out: TextIO, stdin: TextIO) -> int:
    """The digest ``REF`` points to: one HEAD (no pull counted on Docker Hub)."""
    ref = _reference(args)
    head = ref_client(args, ref, stdin).head_manifest(ref)
    if args.json:
        doc = {
            "reference": str(ref),
            "digest": str(head.digest),
            "media-type": head.media_type or "",
            "pinned": str(ref.with_digest(head.digest)),
        }
        out.write(to_json(doc) + "\n")
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


def _emit(body: bytes, args: argparse.Namespace, out: TextIO, what: str) -> None:
    """``body`` exactly (``--output``, or stdout when no line of it is unsafe), else escaped."""
    if args.output:
        try:
            Path(args.output).write_bytes(body)
        except OSError as exc:  # a user's path, not a bug: one line, exit 2
            raise InvalidInput(
                f"--output {args.output!r}: cannot write it ({exc.strerror})"
            ) from None
        return
    if args.json:
        from hubaction.oci.wire import NotJSON, load_json

        try:
            out.write(to_json(load_json(body)) + "\n")
        except NotJSON as exc:
            raise CorruptBody(f"the {what} is not JSON: {exc}") from None
        return
    text = body.decode("utf-8", "backslashreplace")
    lines = text.split("\n")
    safe = [shown(line) for line in lines]
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


def cmd_manifest(args: argparse.Namespace, out: TextIO, stdin: TextIO) -> int:
    """The manifest ``REF`` points to (with ``--platform``, that platform's), verified."""
    ref = _reference(args)
    platform = _platform(args)
    _top, chosen = _chosen(ref_client(args, ref, stdin), ref, platform)
    _emit(chosen.body, args, out, "manifest")
    return 0


def cmd_config(args: argparse.Namespace, out: TextIO, stdin: TextIO) -> int:
    """The image config blob of ``REF`` (of ``--platform``'s image in an index), verified."""
    from hubaction.oci.manifest import ImageManifest

    ref = _reference(args)
    platform = _platform(args) or parse_platform("linux/amd64")
    client = ref_client(args, ref, stdin)
    _top, chosen = _chosen(client, ref, platform)
    if not isinstance(chosen.manifest, ImageManifest):
        raise InvalidInput(f"{ref}: the index entry for {platform} is itself an index")
    _emit(client.get_blob(ref, chosen.manifest.config.digest), args, out, "config")
    return 0


def cmd_referrers(args: argparse.Namespace, out: TextIO, stdin: TextIO) -> int:
    """What refers to ``REF``'s digest: the referrers API (else the tag schema), cosign tags."""
    from hubaction.github.supplychain import referrer_json
    from hubaction.registry.referrers import cosign_referrers, list_referrers

    ref = _reference(args)
    client = ref_client(args, ref, stdin)
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
        out.write(to_json(doc) + "\n")
        return 0
    for r in everything:
        kind = r.artifact_type or (f"cosign .{r.cosign}" if r.cosign else r.media_type)
        out.write(shown(f"{r.digest}  {r.kind:<11}  {kind}  {r.size} B  ({r.source})") + "\n")
    listed = "the referrers API" if how == "api" else "the sha256-<hex> tag schema (no API)"
    sys.stderr.write(f"{len(everything)} referrers of {digest}, from {listed} and cosign tags; ")
    sys.stderr.write(f"signed: {'yes' if signed else 'no'}\n")
    return 0


def add_parsers(sub: Any, common: argparse.ArgumentParser) -> None:
    """Add ``digest``, ``manifest``, ``config`` and ``referrers`` to ``sub`` (the subparsers)."""
    digest = sub.add_parser("digest", parents=[common], help="the digest of a reference (HEAD)")
    digest.add_argument("reference", help="image reference, e.g. node:20")
    digest.set_defaults(func=cmd_digest)
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
        verb.set_defaults(func=func)
    referrers = sub.add_parser(
        "referrers", parents=[common], help="signatures, SBOMs, attestations referring to an image"
    )
    referrers.add_argument("reference", help="image reference, e.g. ghcr.io/o/app:1")
    referrers.add_argument("--artifact-type", default="", help="only referrers of this type")
    referrers.set_defaults(func=cmd_referrers)
