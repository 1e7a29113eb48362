"""``hubaction tags`` (with ``--release-version``) and ``hubaction wait``."""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Sequence
from typing import Any, TextIO

from hubaction.cli.common import credentials, open_hub, open_registry
from hubaction.cli.text import shown, table, to_json
from hubaction.errors import HubActionError, InvalidInput, NotFound
from hubaction.oci.durations import parse_duration
from hubaction.oci.reference import Reference, parse_digest, parse_reference
from hubaction.oci.releases import parse_release_version
from hubaction.oci.tags import SORTS, compile_tag_filter, skipped_tags_note


def _tags_options(args: argparse.Namespace) -> tuple[Reference, re.Pattern[str] | None]:
    """The ``tags`` command's repository and filter, every option checked before a request."""
    ref = parse_reference(args.repository, default_tag=None)
    if ref.tag is not None or ref.digest is not None:
        raise InvalidInput(
            f"{args.repository!r}: give a repository without a tag or digest to list its tags"
        )
    tag_filter = compile_tag_filter(args.filter or "")
    if args.release_version is not None:
        args.release_version = parse_release_version(args.release_version, "--release-version")
    if args.limit < 0:
        raise InvalidInput(f"--limit {args.limit}: expected 0 (no limit) or a positive number")
    if args.sort == "updated" and not ref.is_docker_hub:
        raise InvalidInput(
            "--sort updated orders tags by push date, which only Docker Hub's API gives: use "
            "version or lexical for this registry"
        )
    return ref, tag_filter


def _note_fallback(exc: HubActionError) -> None:
    # As the action: the registry's own tag list still answers, without dates.
    sys.stderr.write(f"note: Docker Hub's API failed ({shown(str(exc))}); using the registry\n")


def cmd_tags(args: argparse.Namespace, out: TextIO, stdin: TextIO) -> int:
    ref, tag_filter = _tags_options(args)
    creds = credentials(args, ref.registry, stdin)
    from hubaction.tagsource import TagListing, list_tags

    try:
        listing = list_tags(
            ref,
            registry=lambda: open_registry(args, ref.registry, creds),
            hub=lambda: open_hub(args, creds),
            sort=args.sort,
            on_fallback=_note_fallback,
        )
    except NotFound:
        if args.release_version is None:
            raise
        listing = TagListing(())  # a repository not pushed yet: the candidate is the latest
    if args.release_version is not None:
        kept = listing.select(tag_filter=tag_filter, sort="lexical", max_tags=0)
        return _release(args, kept.tags, out)
    if listing.skipped:
        # As the action: once, with a count; the hostile names are never printed.
        note = skipped_tags_note(f"{ref.registry}/{ref.repository}", listing.skipped)
        sys.stderr.write(f"note: {shown(note)}\n")
    if listing.cut:
        sys.stderr.write(f"warning: {shown(listing.cut)}; the list is incomplete\n")
    selection = listing.select(tag_filter=tag_filter, sort=args.sort, max_tags=args.limit)
    if args.json:
        doc = {
            "repository": ref.name,
            "tags": list(selection.tags),
            "tag-count": selection.count,
            "latest-semver": selection.latest_semver or "",
        }
        out.write(to_json(doc) + "\n")
        return 0
    pushed = listing.pushed or {}
    for tag in selection.tags:
        when = pushed.get(tag)
        out.write(f"{shown(tag)}  {when:%Y-%m-%d %H:%M}\n" if when else shown(tag) + "\n")
    if len(selection.tags) < selection.count:
        sys.stderr.write(f"({len(selection.tags)} of {selection.count} tags; --limit 0 for all)\n")
    return 0


def _release(args: argparse.Namespace, names: Sequence[str], out: TextIO) -> int:
    """``tags --release-version``: the action's release outputs for the candidate."""
    from hubaction.github.decisions import release_document
    from hubaction.oci.releases import plan_release

    doc = release_document(plan_release(args.release_version, names))
    if args.json:
        out.write(to_json(doc) + "\n")
    else:
        table([(k, v if isinstance(v, str) else json.dumps(v)) for k, v in doc.items()], out)
    return 0


def cmd_wait(args: argparse.Namespace, out: TextIO, stdin: TextIO) -> int:
    """Poll a tag by HEAD until it exists (or its digest differs from ``--changed``)."""
    ref = parse_reference(args.reference)
    timeout = parse_duration(args.wait_timeout, "--wait-timeout")
    compare = parse_digest(args.changed) if args.changed else None
    if compare is not None and ref.tag is None:
        raise InvalidInput("--changed needs a tag: a digest reference never changes")
    creds = credentials(args, ref.registry, stdin)
    args.timeout += timeout.seconds  # the run deadline is extended by the wait (issue 17 §4)
    from hubaction.registry.wait import wait_for_tag

    waited = wait_for_tag(
        open_registry(args, ref.registry, creds),
        ref,
        condition="changed" if compare is not None else "exists",
        compare=compare,
        timeout=float(timeout.seconds),
        anonymous_hub=ref.is_docker_hub and creds.get("docker.io") is None,
        on_poll=lambda poll, state: print(f"HEAD {poll}: {shown(state)}", file=sys.stderr),
    )
    digest = str(waited.head.digest)
    doc = {"reference": str(ref), "digest": digest, "polls": waited.polls}
    out.write(to_json(doc) + "\n" if args.json else digest + "\n")
    return 0


def add_parsers(sub: Any, common: argparse.ArgumentParser) -> None:
    """``tags`` and ``wait`` on the subparsers ``sub``."""
    tags = sub.add_parser("tags", parents=[common], help="list a repository's tags")
    tags.add_argument("repository", help="repository, e.g. node or ghcr.io/o/app")
    tags.add_argument("--filter", metavar="RE", help="only tags this regular expression matches")
    tags.add_argument("--sort", choices=SORTS, default="version", help="default: version")
    tags.add_argument(
        "--limit", type=int, default=0, metavar="N", help="at most N tags (default 0: all)"
    )
    tags.add_argument(
        "--release-version",
        metavar="VERSION",
        help="instead of the tags: which moving tags a release of VERSION should carry",
    )
    tags.set_defaults(func=cmd_tags)

    wait = sub.add_parser("wait", parents=[common], help="poll a tag until it exists or changes")
    wait.add_argument("reference", help="image reference, e.g. ghcr.io/o/app:1.2")
    wait.add_argument("--changed", metavar="DIGEST", help="until its digest is not DIGEST")
    # Not --timeout: that is the run's own limit (every request), a common option.
    wait.add_argument(
        "--wait-timeout", default="10m", metavar="DURATION", help="how long (default: 10m)"
    )
    wait.set_defaults(func=cmd_wait)
