"""The ``hubaction`` command line: the same lookups as the action, for local use.

Exit codes: 0 success, 1 a lookup failed, 2 bad usage or input. Failures print one ``error:``
line on stderr, never a traceback. Text from a registry is printed escaped (:func:`shown`).
"""

from __future__ import annotations

import argparse
import io
import json
import math
import os
import re
import sys
import time
from collections.abc import Callable, Sequence
from contextlib import suppress
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from hubaction import __version__
from hubaction.errors import HubActionError, InvalidInput, NotFound, describe
from hubaction.oci.durations import parse_duration
from hubaction.oci.platform import Platform, is_all_platforms, parse_platform
from hubaction.oci.reference import Reference, parse_digest, parse_reference
from hubaction.oci.releases import parse_release_version
from hubaction.oci.tags import SORTS, compile_tag_filter, skipped_tags_note
from hubaction.oci.wire import scrub
from hubaction.registry.credentials import (
    Credentials,
    CredentialStore,
    docker_config_path,
    parse_docker_config,
)
from hubaction.startup import lean_imports

if TYPE_CHECKING:  # typing only: keeps `requests` out of --help and usage errors
    from hubaction.dockerhub.client import HubClient
    from hubaction.github.imagelist import ImageLine
    from hubaction.oci.model import AllPlatforms, ImageInfo
    from hubaction.registry.client import RegistryClient
    from hubaction.registry.deadline import Deadline


# What a registry sends must not reach a terminal or a CI log as it is. The runner reads a line
# as a workflow command when it starts, after whitespace, with `::` (TryParseV2), or when it
# holds `##[` anywhere (the legacy parser): a newline in a tag would start such a line. ESC and
# C1 controls drive the terminal; U+2028/U+2029 break lines in some log viewers; bidi controls
# make text read other than it is (CVE-2021-42574); a lone surrogate (JSON's "\ud800") cannot be
# written as UTF-8 at all. Each is escaped, and the first `#` of `##[`.
_JSON_UNSAFE = "[\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069\ud800-\udfff]|#(?=#\\[)"
# json.dumps escapes C0 controls itself, and its indentation is made of real newlines.
_UNSAFE_IN_JSON = re.compile(_JSON_UNSAFE)
_UNSAFE = re.compile(f"[\x00-\x1f]|{_JSON_UNSAFE}")
# As the toolkit's: .NET's TrimStart() whitespace, erring wide.
_COMMAND_START = re.compile(r"[\s\u180e\u200b\u2060\ufeff]*::")
#: Quoted exception text of an internal error is cut here (it may quote a whole registry body).
_MAX_INTERNAL_TEXT = 500


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    return "\\x23" if char == "#" else char.encode("unicode_escape").decode("ascii")


def shown(text: str) -> str:
    """*text* safe to print, even at the start of a line: the characters above backslash-escaped
    (``\\n``, ``\\x1b``, ``\\u2028``, ``\\ud800``, ``\\x23#[``), and a leading ``::`` as
    ``\\x3a:``; the rest as is."""
    # Known secrets first (issue 13 §3): escaping a backslash, or a cut, would hide them.
    text = _UNSAFE.sub(_escape, scrub(text))
    start = _COMMAND_START.match(text)
    if start is not None:
        colon = start.end() - 2
        text = f"{text[:colon]}\\x3a{text[colon + 1 :]}"
    return text


def _json(value: object, *, indent: int | None = 2) -> str:
    """*value* as JSON, non-ASCII kept readable but what :func:`shown` escapes (bar the C0
    controls json.dumps escapes itself) written as ``\\uXXXX``: the document parses to the
    same value. No line of it can start with ``::``: each starts with a bracket or a quote."""
    text = scrub(json.dumps(value, indent=indent, ensure_ascii=False))  # JSON-escaped too
    return _UNSAFE_IN_JSON.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def _credentials(args: argparse.Namespace, registry: str, stdin: TextIO) -> CredentialStore:
    explicit = None
    if args.password_stdin:
        if not args.username:
            raise InvalidInput("--password-stdin needs --username")
        password = stdin.read().rstrip("\r\n")
        explicit = Credentials(args.username, password)
    elif args.username:
        raise InvalidInput(
            "--username needs --password-stdin (passwords on the command line leak into shell "
            "history and process lists)"
        )
    config = {}
    path = Path(args.docker_config) if args.docker_config else docker_config_path(os.environ)
    if path is not None and path.is_file():
        config = parse_docker_config(path.read_text(encoding="utf-8"), source=f"{path}")
    elif args.docker_config:
        raise InvalidInput(f"--docker-config {args.docker_config!r}: no such file")
    return CredentialStore(explicit=explicit, primary_registry=registry, config=config)


def _client(
    args: argparse.Namespace,
    registry: str | set[str],
    creds: CredentialStore,
) -> RegistryClient:
    # Imported here so that `hubaction --help` and usage errors don't pay for `requests`.
    from hubaction.registry.client import open_client

    names = {registry} if isinstance(registry, str) else registry
    insecure = frozenset(names) if args.insecure else frozenset()
    return open_client(creds, insecure_registries=insecure, deadline=_deadline(args))


def _deadline(args: argparse.Namespace) -> Deadline:
    """The run's one deadline (``--timeout``), from the start of the command, for every
    session of the command (registry and Docker Hub alike)."""
    from hubaction.registry.deadline import Deadline

    if getattr(args, "deadline", None) is None:
        args.deadline = Deadline(args.timeout, start=args.started)
    deadline: Deadline = args.deadline
    return deadline


def _seconds(text: str) -> float:
    try:
        seconds = float(text)
    except ValueError:
        seconds = math.nan
    if not (math.isfinite(seconds) and seconds > 0):
        raise argparse.ArgumentTypeError(f"expected a positive number of seconds, not {text!r}")
    return seconds


def _table(rows: Sequence[tuple[str, str]], out: TextIO) -> None:
    safe = [(shown(key), shown(value)) for key, value in rows]
    width = max((len(k) for k, _ in safe), default=0)
    for key, value in safe:
        out.write(f"{key.ljust(width)}  {value}\n")


def cmd_inspect(args: argparse.Namespace, out: TextIO, stdin: TextIO) -> int:
    if args.file is not None or len(args.reference) != 1:
        return _inspect_many(args, out, stdin)
    ref = parse_reference(args.reference[0])
    every = is_all_platforms(args.platform)  # all: the rest as for linux/amd64
    platform = parse_platform("linux/amd64" if every else args.platform)
    if args.max_age is not None:
        args.max_age = parse_duration(args.max_age, "--max-age")
    creds = _credentials(args, ref.registry, stdin)
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

    client = _client(args, ref.registry, creds)
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
    from hubaction.oci.referrers import SupplyChain, index_attestations

    if referrers:
        from hubaction.registry.referrers import supply_chain

        return supply_outputs(supply_chain(client, info))
    index = info.index
    return supply_outputs(SupplyChain(index_attestations(index) if index is not None else ()))


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

    hub = _hub(args, creds) if ref.is_docker_hub else None
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
    creds = _credentials(args, images[0].reference.registry, stdin)
    client = _client(args, {i.reference.registry for i in images}, creds)
    what = "The references" if args.file is None else f"--file {args.file!r}"
    answer = lookup_images(
        client, images, platform=platform, digest_only=False, fail_on_missing=False, what=what
    )
    entries: dict[str, dict[str, object]] = json.loads(answer.output)
    if args.json:
        out.write(_json(entries) + "\n")
    else:
        _table([(k, str(e["digest"]) or "(missing)") for k, e in entries.items()], out)
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
    out.write(_json(doc) + "\n")


def _inspect_text(
    ref: Reference,
    info: ImageInfo,
    outputs: dict[str, str],
    out: TextIO,
    facts: dict[str, dict[str, int | bool]],
) -> None:
    from hubaction.github.summary import human_size

    def more(digest: str) -> str:
        fact = facts.get(digest, {})
        if "layers" in fact:
            return f"  {fact['layers']} layers, {human_size(int(fact['image-size']))}"
        return "  manifest missing (404)" if fact else ""

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
    _table(rows, out)
    if info.entries:
        out.write("\nPlatforms:\n")
        _table(
            [
                (
                    str(e.platform)
                    + (f" ({e.platform.os_version})" if e.platform.os_version else ""),
                    f"{e.digest}  {human_size(e.size)}{more(str(e.digest))}",
                )
                for e in info.entries
            ],
            out,
        )
    if info.config is not None and info.config.labels:
        out.write("\nLabels:\n")
        # Quoted: a label's spaces and empty values stay visible (_table escapes the rest).
        _table([(k, json.dumps(v, ensure_ascii=False)) for k, v in info.config.labels.items()], out)
    annotations: dict[str, str] = json.loads(outputs["annotations"])
    if annotations:
        out.write("\nAnnotations:\n")
        _table([(k, json.dumps(v, ensure_ascii=False)) for k, v in annotations.items()], out)


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
    creds = _credentials(args, ref.registry, stdin)
    from hubaction.tagsource import TagListing, list_tags

    try:
        listing = list_tags(
            ref,
            registry=lambda: _client(args, ref.registry, creds),
            hub=lambda: _hub(args, creds),
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
        out.write(_json(doc) + "\n")
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
        out.write(_json(doc) + "\n")
    else:
        _table([(k, v if isinstance(v, str) else json.dumps(v)) for k, v in doc.items()], out)
    return 0


def cmd_wait(args: argparse.Namespace, out: TextIO, stdin: TextIO) -> int:
    """Poll a tag by HEAD until it exists (or its digest differs from ``--changed``)."""
    ref = parse_reference(args.reference)
    timeout = parse_duration(args.wait_timeout, "--wait-timeout")
    compare = parse_digest(args.changed) if args.changed else None
    if compare is not None and ref.tag is None:
        raise InvalidInput("--changed needs a tag: a digest reference never changes")
    creds = _credentials(args, ref.registry, stdin)
    args.timeout += timeout.seconds  # the run deadline is extended by the wait (issue 17 §4)
    from hubaction.registry.wait import wait_for_tag

    waited = wait_for_tag(
        _client(args, ref.registry, creds),
        ref,
        condition="changed" if compare is not None else "exists",
        compare=compare,
        timeout=float(timeout.seconds),
        anonymous_hub=ref.is_docker_hub and creds.get("docker.io") is None,
        on_poll=lambda poll, state: print(f"HEAD {poll}: {shown(state)}", file=sys.stderr),
    )
    digest = str(waited.head.digest)
    doc = {"reference": str(ref), "digest": digest, "polls": waited.polls}
    out.write(_json(doc) + "\n" if args.json else digest + "\n")
    return 0


def _hub(args: argparse.Namespace, creds: CredentialStore) -> HubClient:
    from hubaction.dockerhub.client import HubClient
    from hubaction.registry.transport import new_session

    session = new_session(deadline=_deadline(args))
    return HubClient(session, hub_url=args.hub_url, credentials=creds.get("docker.io"))


def cmd_namespaces(args: argparse.Namespace, out: TextIO, stdin: TextIO) -> int:
    names = _hub(args, _credentials(args, "docker.io", stdin)).namespaces()
    if args.json:
        out.write(_json(names, indent=None) + "\n")
    else:
        out.writelines(shown(name) + "\n" for name in names)
    return 0


def cmd_repos(args: argparse.Namespace, out: TextIO, stdin: TextIO) -> int:
    hub = _hub(args, _credentials(args, "docker.io", stdin))
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
        out.write(_json(doc) + "\n")
        return 0
    _table(
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


def _common_options() -> argparse.ArgumentParser:
    """The options every command takes: credentials, TLS, output form, Docker Hub's URL."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--username", help="user for the registry")
    common.add_argument(
        "--password-stdin", action="store_true", help="read the password or token from stdin"
    )
    common.add_argument(
        "--docker-config",
        metavar="FILE",
        help="a Docker config.json with credentials (default: $DOCKER_CONFIG/config.json or "
        "~/.docker/config.json when present)",
    )
    common.add_argument(
        "--insecure",
        action="store_true",
        help="allow plain HTTP and unverified TLS for this registry (loopback always speaks HTTP)",
    )
    common.add_argument("--json", action="store_true", help="print JSON instead of a table")
    common.add_argument(
        "--hub-url",
        default="https://hub.docker.com",
        metavar="URL",
        help="Docker Hub API base URL (default: https://hub.docker.com)",
    )
    common.add_argument(
        "--timeout",
        type=_seconds,
        default=120.0,
        metavar="SECONDS",
        help="seconds for the whole run: every request, retry and body read (default: 120)",
    )
    return common


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="hubaction",
        description="What exactly is this image right now? Digests, platforms and tags from "
        "Docker Hub and any OCI registry.",
    )
    parser.add_argument("--version", action="version", version=f"hubaction {__version__}")
    common = _common_options()
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

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
    inspect.set_defaults(func=cmd_inspect)

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

    namespaces = sub.add_parser(
        "namespaces", parents=[common], help="Docker Hub namespaces the credentials can see"
    )
    namespaces.set_defaults(func=cmd_namespaces)

    repos = sub.add_parser("repos", parents=[common], help="repositories of a Docker Hub namespace")
    repos.add_argument("namespace", help="Docker Hub user or organization")
    repos.set_defaults(func=cmd_repos)
    inspect.add_argument(
        "--referrers", action="store_true", help="also look up signatures and attestations"
    )
    from hubaction.cli_verbs import VerbKit, add_verbs

    add_verbs(sub, common, VerbKit(client=_ref_client, shown=shown, json=_json))
    return parser


def _ref_client(args: argparse.Namespace, ref: Reference, stdin: TextIO) -> RegistryClient:
    """A client for ``ref``'s registry with the options' credentials (the verbs')."""
    return _client(args, ref.registry, _credentials(args, ref.registry, stdin))


def main(
    argv: Sequence[str] | None = None,
    *,
    out: TextIO | None = None,
    stdin: TextIO | None = None,
) -> int:
    lean_imports()
    try:
        started = time.monotonic()  # the --timeout deadline counts from here
        args = build_parser().parse_args(argv)
        args.started = started
        func: Callable[[argparse.Namespace, TextIO, TextIO], int] = args.func
        return func(args, out or sys.stdout, stdin or sys.stdin)
    except HubActionError as exc:
        sys.stderr.write(f"error: {shown(describe(exc))}\n")
        return exc.exit_code
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\n")
        return 130
    except BrokenPipeError:  # the reader went away (`hubaction tags x | head`): nothing to say
        return 1
    except Exception as exc:  # an unexpected bug: one clear line, as the action's main()
        text = shown(f"{type(exc).__name__}: {exc}")[:_MAX_INTERNAL_TEXT]
        sys.stderr.write(
            f"error: hubaction hit an internal error ({text}). This is a bug; please "
            "report it with the command that caused it\n"
        )
        return 1


def run() -> None:
    """The ``hubaction`` command (console script and ``python -m hubaction.cli``)."""
    # Strict encoding would turn text that slipped past shown() (a lone surrogate) into a
    # UnicodeEncodeError halfway through the output; stderr is backslashreplace already.
    if isinstance(sys.stdout, io.TextIOWrapper):
        sys.stdout.reconfigure(errors="backslashreplace")
    code = main()
    # Skip the interpreter's teardown (freeing every module, OpenSSL's exit handlers): tens of
    # milliseconds per call, for nothing. Only the standard streams may hold buffered text.
    with suppress(OSError):  # a closed pipe (`hubaction tags x | head`)
        sys.stdout.flush()
    with suppress(OSError):
        sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":  # pragma: no cover
    run()
