"""``hubaction inspect``: one image (or several, as the action's ``images``), as the action
looks it up: digests, platforms, config, image facts and, with ``--referrers``, the supply chain."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from hubaction.cli.common import credentials, open_hub, open_registry
from hubaction.cli.text import shown, table, to_json
from hubaction.errors import InvalidInput
from hubaction.oci.durations import parse_duration
from hubaction.oci.platform import Platform, is_all_platforms, parse_platform
from hubaction.oci.reference import Reference, parse_reference
from hubaction.registry.credentials import CredentialStore

if TYPE_CHECKING:  # typing only: keeps `requests` out of --help and usage errors
    from hubaction.github.imagelist import ImageLine
    from hubaction.oci.model import AllPlatforms, ImageInfo
    from hubaction.registry.client import RegistryClient


def cmd_inspect(args: argparse.Namespace, out: TextIO, stdin: TextIO) -> int:
    if args.file is not None or len(args.reference) != 1:
        return _inspect_many(args, out, stdin)
    ref = parse_reference(args.reference[0])
    every = is_all_platforms(args.platform)  # all: the rest as for linux/amd64
    platform = parse_platform("linux/amd64" if every else args.platform)
    if args.max_age is not None:
        args.max_age = parse_duration(args.max_age, "--max-age")
    creds = credentials(args, ref.registry, stdin)
    return _inspect(args, ref, platform, creds, out, every=every)


def _inspect(
    args: argparse.Namespace,
    ref: Reference,
    platform: Platform,
    creds: CredentialStore,
    out: TextIO,
    *,
    every: bool = False,
) -> int:
    from hubaction.github.outputs import image_outputs
    from hubaction.registry.lookup import inspect_image

    client = open_registry(args, ref.registry, creds)
    found = None
    if every:
        from hubaction.registry.allplatforms import inspect_all  # threads: only for all

        found = inspect_all(client, ref, platform)
    info = found.info if found else inspect_image(client, ref, platform, want_config=True)
    outputs = image_outputs(info) | _supply_chain(client, info, referrers=args.referrers)
    if args.max_age is not None:
        outputs["too-old"] = _too_old(args, ref, outputs["created"], creds)
    facts = _resolved(found) if found else {}
    if args.json:
        _inspect_json(ref, info, outputs, out, facts)
    else:
        _inspect_text(ref, info, outputs, out, facts)
    for entry in found.missing if found else ():
        sys.stderr.write(f"warning: {shown(str(entry.platform))}: manifest missing (404)\n")
    return 0


#: Outputs that are JSON (or numbers), nested as such in ``--json`` (``exists`` is left out).
_JSON_OUTPUTS: tuple[str, ...] = ("platforms", "labels", "exists", "size", "layers")
_JSON_OUTPUTS += ("annotations", "attestations", "referrers", "signed")


def _supply_chain(client: RegistryClient, info: ImageInfo, *, referrers: bool) -> dict[str, str]:
    """The action's ``attestations`` (and with ``--referrers``, ``referrers`` and ``signed``)."""
    from hubaction.github.supplychain import supply_outputs
    from hubaction.oci.referrers import index_chain

    if referrers:
        from hubaction.registry.referrers import supply_chain

        return supply_outputs(supply_chain(client, info))
    return supply_outputs(index_chain(info.index))


def _resolved(found: AllPlatforms) -> dict[str, dict[str, int | bool]]:
    """``--platform all``, per manifest digest: layer count and compressed size, or missing."""
    return {
        str(p.entry.digest): {"missing": True}
        if p.manifest is None
        else {
            "layers": len(p.manifest.layers),
            "image-size": p.manifest.config.size + sum(d.size for d in p.manifest.layers),
        }
        for p in found.platforms
    }


def _too_old(args: argparse.Namespace, ref: Reference, created: str, creds: CredentialStore) -> str:
    """``max-age``'s verdict, as the action's (:func:`hubaction.github.decisions.image_age`)."""
    from hubaction.github.decisions import image_age

    hub = open_hub(args, creds) if ref.is_docker_hub else None
    check = image_age(args.max_age, ref, created, hub, datetime.now(UTC))
    if check.too_old is None:
        sys.stderr.write(f"note: the image's age is unknown ({shown(check.unknown)})\n")
    return "" if check.too_old is None else str(check.too_old).lower()


def _image_list(args: argparse.Namespace) -> tuple[ImageLine, ...]:
    """The references, or the ``--file`` of them (the grammar of the action's `images`)."""
    from hubaction.github.imagelist import parse_images

    if args.file is None:
        return parse_images("\n".join(args.reference), what="The references")
    if args.reference:
        raise InvalidInput("give references or --file, not both")
    try:
        text = Path(args.file).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"--file {args.file!r}: cannot read it ({type(exc).__name__})") from None
    return parse_images(text, what=f"--file {args.file!r}")


def _inspect_many(args: argparse.Namespace, out: TextIO, stdin: TextIO) -> int:
    """Several images, as the action's `images` (entries, one error); exit 1 if one is missing."""
    from hubaction.github.many import lookup_images

    images, platform = _image_list(args), parse_platform(args.platform)
    if not images:
        raise InvalidInput("no image to look up: give references, or a --file of them")
    creds = credentials(args, images[0].reference.registry, stdin)
    client = open_registry(args, {i.reference.registry for i in images}, creds)
    what = "The references" if args.file is None else f"--file {args.file!r}"
    answer = lookup_images(
        client, images, platform=platform, digest_only=False, fail_on_missing=False, what=what
    )
    entries: dict[str, dict[str, object]] = json.loads(answer.output)
    if args.json:
        out.write(to_json(entries) + "\n")
    else:
        table([(k, str(e["digest"]) or "(missing)") for k, e in entries.items()], out)
    missing = sum(1 for e in entries.values() if not e["exists"])
    if missing:
        sys.stderr.write(f"error: {missing} of {len(entries)} images do not exist\n")
    return 1 if missing else 0


def _inspect_json(
    ref: Reference,
    info: ImageInfo,
    outputs: dict[str, str],
    out: TextIO,
    facts: dict[str, dict[str, int | bool]],
) -> None:
    doc: dict[str, object] = {
        "reference": str(ref),
        **{k: v for k, v in outputs.items() if k not in _JSON_OUTPUTS},
        **{k: json.loads(outputs[k]) for k in _JSON_OUTPUTS if k in outputs and k != "exists"},
        "manifests": [
            {"platform": str(e.platform), "digest": str(e.digest), "size": e.size}
            | ({"os.version": e.platform.os_version} if e.platform.os_version else {})
            | facts.get(str(e.digest), {})
            for e in info.entries
        ],
    }
    out.write(to_json(doc) + "\n")


def _inspect_text(
    ref: Reference,
    info: ImageInfo,
    outputs: dict[str, str],
    out: TextIO,
    facts: dict[str, dict[str, int | bool]],
) -> None:
    from hubaction.github.summary import human_size

    rows = [
        ("Reference", str(ref)),
        ("Digest", outputs["digest"]),
        ("Media type", outputs["media-type"]),
        ("Platform", str(info.platform) if info.platform else ""),
        ("Platform digest", outputs["platform-digest"]),
        ("Config digest", outputs["config-digest"]),
        ("Created", outputs["created"]),
        ("Size", f"{human_size(int(outputs['size']))} ({outputs['layers']} layers)"),
        *[(k.title(), outputs[k]) for k in ("source", "revision", "image-version") if outputs[k]],
        ("Pinned", outputs["pinned"]),
        ("Signed", {"true": "yes", "false": "no"}.get(outputs.get("signed", ""), "not looked up")),
        ("Attestations", str(len(json.loads(outputs["attestations"])))),
    ]
    if "too-old" in outputs:
        rows.append(("Too old", outputs["too-old"] or "unknown"))
    table(rows, out)
    if info.entries:
        out.write("\nPlatforms:\n")
        table(_platform_rows(info, facts), out)
    if info.config is not None and info.config.labels:
        out.write("\nLabels:\n")
        # Quoted: a label's spaces and empty values stay visible (table escapes the rest).
        table([(k, json.dumps(v, ensure_ascii=False)) for k, v in info.config.labels.items()], out)
    annotations: dict[str, str] = json.loads(outputs["annotations"])
    if annotations:
        out.write("\nAnnotations:\n")
        table([(k, json.dumps(v, ensure_ascii=False)) for k, v in annotations.items()], out)


def _platform_rows(
    info: ImageInfo, facts: dict[str, dict[str, int | bool]]
) -> list[tuple[str, str]]:
    """One row per platform of an index: its digest and size, and its image's layers and
    size when ``facts`` has them."""
    from hubaction.github.summary import human_size

    def more(digest: str) -> str:
        fact = facts.get(digest, {})
        if "layers" in fact:
            return f"  {fact['layers']} layers, {human_size(int(fact['image-size']))}"
        return "  manifest missing (404)" if fact else ""

    return [
        (
            str(e.platform) + (f" ({e.platform.os_version})" if e.platform.os_version else ""),
            f"{e.digest}  {human_size(e.size)}{more(str(e.digest))}",
        )
        for e in info.entries
    ]


def add_parser(sub: Any, common: argparse.ArgumentParser) -> None:
    """``inspect`` on the subparsers ``sub``."""
    inspect = sub.add_parser(
        "inspect", parents=[common], help="digest, platforms, config digest of an image"
    )
    inspect.add_argument(
        "reference", nargs="*", help="image references ([name=]node:20, ghcr.io/o/app:1, ...)"
    )
    inspect.add_argument(
        "--file", metavar="FILE", help="references one a line, as the action's `images` input"
    )
    inspect.add_argument(
        "--platform",
        default="linux/amd64",
        help="os/arch[/variant], or all for every platform (default: linux/amd64)",
    )
    inspect.add_argument(
        "--max-age", metavar="AGE", help="also tell whether the image is older than AGE (30d)"
    )
    inspect.add_argument(
        "--referrers", action="store_true", help="also look up signatures and attestations"
    )
    inspect.set_defaults(func=cmd_inspect)
