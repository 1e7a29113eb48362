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
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from hubaction import __version__
from hubaction.errors import HubActionError, InvalidInput, describe
from hubaction.oci.platform import Platform, parse_platform
from hubaction.oci.reference import Reference, parse_reference
from hubaction.oci.tags import SORTS, compile_tag_filter, skipped_tags_note
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
    from hubaction.oci.model import ImageInfo
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
    text = _UNSAFE.sub(_escape, text)
    start = _COMMAND_START.match(text)
    if start is not None:
        colon = start.end() - 2
        text = f"{text[:colon]}\\x3a{text[colon + 1 :]}"
    return text


def _json(value: object, *, indent: int | None = 2) -> str:
    """*value* as JSON, non-ASCII kept readable but what :func:`shown` escapes (bar the C0
    controls json.dumps escapes itself) written as ``\\uXXXX``: the document parses to the
    same value. No line of it can start with ``::``: each starts with a bracket or a quote."""
    text = json.dumps(value, indent=indent, ensure_ascii=False)
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
    platform = parse_platform(args.platform)
    creds = _credentials(args, ref.registry, stdin)
    return _inspect(args, ref, platform, creds, out)


def _inspect(
    args: argparse.Namespace,
    ref: Reference,
    platform: Platform,
    creds: CredentialStore,
    out: TextIO,
) -> int:
    from hubaction.github.outputs import image_outputs
    from hubaction.registry.lookup import inspect_image

    client = _client(args, ref.registry, creds)
    info = inspect_image(client, ref, platform, want_config=True)
    outputs = image_outputs(info)
    if args.json:
        _inspect_json(ref, info, outputs, out)
    else:
        _inspect_text(ref, info, outputs, out)
    return 0


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


def _inspect_json(ref: Reference, info: ImageInfo, outputs: dict[str, str], out: TextIO) -> None:
    doc: dict[str, object] = {
        "reference": str(ref),
        **{k: v for k, v in outputs.items() if k not in ("platforms", "labels", "exists")},
        "platforms": json.loads(outputs["platforms"]),
        "labels": json.loads(outputs["labels"]),
        "manifests": [
            {"platform": str(e.platform), "digest": str(e.digest), "size": e.size}
            | ({"os.version": e.platform.os_version} if e.platform.os_version else {})
            for e in info.entries
        ],
    }
    out.write(_json(doc) + "\n")


def _inspect_text(ref: Reference, info: ImageInfo, outputs: dict[str, str], out: TextIO) -> None:
    from hubaction.github.summary import human_size

    rows = [
        ("Reference", str(ref)),
        ("Digest", outputs["digest"]),
        ("Media type", outputs["media-type"]),
        ("Platform", str(info.platform) if info.platform else ""),
        ("Platform digest", outputs["platform-digest"]),
        ("Config digest", outputs["config-digest"]),
        ("Created", outputs["created"]),
        ("Pinned", outputs["pinned"]),
    ]
    _table(rows, out)
    if info.entries:
        out.write("\nPlatforms:\n")
        _table(
            [
                (
                    str(e.platform)
                    + (f" ({e.platform.os_version})" if e.platform.os_version else ""),
                    f"{e.digest}  {human_size(e.size)}",
                )
                for e in info.entries
            ],
            out,
        )
    if info.config is not None and info.config.labels:
        out.write("\nLabels:\n")
        # Quoted: a label's spaces and empty values stay visible (_table escapes the rest).
        _table([(k, json.dumps(v, ensure_ascii=False)) for k, v in info.config.labels.items()], out)


def _tags_options(args: argparse.Namespace) -> tuple[Reference, re.Pattern[str] | None]:
    """The ``tags`` command's repository and filter, every option checked before a request."""
    ref = parse_reference(args.repository, default_tag=None)
    if ref.tag is not None or ref.digest is not None:
        raise InvalidInput(
            f"{args.repository!r}: give a repository without a tag or digest to list its tags"
        )
    tag_filter = compile_tag_filter(args.filter or "")
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
    from hubaction.tagsource import list_tags

    listing = list_tags(
        ref,
        registry=lambda: _client(args, ref.registry, creds),
        hub=lambda: _hub(args, creds),
        sort=args.sort,
        on_fallback=_note_fallback,
    )
    if listing.skipped:
        # As the action: once, with a count; the hostile names are never printed.
        note = skipped_tags_note(f"{ref.registry}/{ref.repository}", listing.skipped)
        sys.stderr.write(f"note: {shown(note)}\n")
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
        "--platform", default="linux/amd64", help="os/arch[/variant] (default: linux/amd64)"
    )
    inspect.set_defaults(func=cmd_inspect)

    tags = sub.add_parser("tags", parents=[common], help="list a repository's tags")
    tags.add_argument("repository", help="repository, e.g. node or ghcr.io/o/app")
    tags.add_argument("--filter", metavar="RE", help="only tags this regular expression matches")
    tags.add_argument("--sort", choices=SORTS, default="version", help="default: version")
    tags.add_argument(
        "--limit", type=int, default=0, metavar="N", help="at most N tags (default 0: all)"
    )
    tags.set_defaults(func=cmd_tags)

    namespaces = sub.add_parser(
        "namespaces", parents=[common], help="Docker Hub namespaces the credentials can see"
    )
    namespaces.set_defaults(func=cmd_namespaces)

    repos = sub.add_parser("repos", parents=[common], help="repositories of a Docker Hub namespace")
    repos.add_argument("namespace", help="Docker Hub user or organization")
    repos.set_defaults(func=cmd_repos)
    return parser


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
