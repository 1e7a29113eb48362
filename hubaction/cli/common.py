"""What every command shares: credentials, the client, the run's deadline, the options."""

from __future__ import annotations

import argparse
import math
import os
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from hubaction.errors import InvalidInput
from hubaction.oci.reference import Reference
from hubaction.registry.credentials import (
    Credentials,
    CredentialStore,
    docker_config_path,
    parse_docker_config,
)

if TYPE_CHECKING:  # typing only: keeps `requests` out of --help and usage errors
    from hubaction.dockerhub.client import HubClient
    from hubaction.registry.client import RegistryClient
    from hubaction.registry.deadline import Deadline


def credentials(args: argparse.Namespace, registry: str, stdin: TextIO) -> CredentialStore:
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


def open_registry(
    args: argparse.Namespace,
    registry: str | set[str],
    creds: CredentialStore,
) -> RegistryClient:
    # Imported here so that `hubaction --help` and usage errors don't pay for `requests`.
    from hubaction.registry.client import open_client

    names = {registry} if isinstance(registry, str) else registry
    insecure = frozenset(names) if args.insecure else frozenset()
    return open_client(creds, insecure_registries=insecure, deadline=deadline(args))


def ref_client(args: argparse.Namespace, ref: Reference, stdin: TextIO) -> RegistryClient:
    """A client for ``ref``'s registry with the options' credentials (the verbs')."""
    return open_registry(args, ref.registry, credentials(args, ref.registry, stdin))


def open_hub(args: argparse.Namespace, creds: CredentialStore) -> HubClient:
    from hubaction.dockerhub.client import HubClient
    from hubaction.registry.transport import new_session

    session = new_session(deadline=deadline(args))
    return HubClient(session, hub_url=args.hub_url, credentials=creds.get("docker.io"))


def deadline(args: argparse.Namespace) -> Deadline:
    """The run's one deadline (``--timeout``), from the start of the command, for every
    session of the command (registry and Docker Hub alike)."""
    from hubaction.registry.deadline import Deadline

    if getattr(args, "deadline", None) is None:
        args.deadline = Deadline(args.timeout, start=args.started)
    deadline: Deadline = args.deadline
    return deadline


def seconds(text: str) -> float:
    try:
        seconds = float(text)
    except ValueError:
        seconds = math.nan
    if not (math.isfinite(seconds) and seconds > 0):
        raise argparse.ArgumentTypeError(f"expected a positive number of seconds, not {text!r}")
    return seconds


def common_options() -> argparse.ArgumentParser:
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
        type=seconds,
        default=120.0,
        metavar="SECONDS",
        help="seconds for the whole run: every request, retry and body read (default: 120)",
    )
    return common
