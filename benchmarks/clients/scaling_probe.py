"""hubaction's library calls for the scaling report, in a process of their own.

* ``registry-tags``: ``RegistryClient.list_tags`` + ``select_tags`` (version sort) of one
  repository, with ``tracemalloc`` on: time, Python heap peak, and the process's ``VmHWM``.
* ``hub-tags``: ``HubClient.tags`` of one Docker Hub repository with a given page concurrency.

Prints one JSON line. ``--src`` is the hubaction tree to import (default: this repository).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import tracemalloc
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent.parent


def vm_hwm_kib() -> int:
    """Peak resident memory of this process since exec (``ru_maxrss`` would include the RSS
    of the parent it was forked from)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return -1


def registry_tags(reference: str) -> dict[str, Any]:
    from hubaction.oci.reference import parse_reference
    from hubaction.oci.tags import select_tags
    from hubaction.registry.client import open_client

    client = open_client()
    ref = parse_reference(reference, default_tag=None)
    tracemalloc.start()
    start = time.perf_counter()
    tags = client.list_tags(ref)
    selection = select_tags(tags, tag_filter=None, sort="version", max_tags=100)
    seconds = time.perf_counter() - start
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {
        "count": len(tags),
        "selected": len(selection.tags),
        "seconds": seconds,
        "requests": client.requests_sent + client.auth.token_requests,
        "tracemalloc_peak_kib": peak // 1024,
    }


def hub_tags(hub_url: str, namespace: str, repository: str, concurrency: int) -> dict[str, Any]:
    from hubaction.dockerhub.client import HubClient
    from hubaction.registry.transport import new_session

    client = HubClient(new_session(), hub_url=hub_url, concurrency=concurrency)
    start = time.perf_counter()
    tags = client.tags(namespace, repository)
    seconds = time.perf_counter() - start
    return {"count": len(tags), "seconds": seconds, "requests": client.requests_sent}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--src", default=str(ROOT))
    sub = parser.add_subparsers(dest="command", required=True)
    reg = sub.add_parser("registry-tags")
    reg.add_argument("reference", help="HOST:PORT/REPOSITORY")
    hub = sub.add_parser("hub-tags")
    hub.add_argument("--hub-url", required=True)
    hub.add_argument("--namespace", required=True)
    hub.add_argument("--repository", required=True)
    hub.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()
    sys.path.insert(0, args.src)
    if args.command == "registry-tags":
        result = registry_tags(args.reference)
    else:
        result = hub_tags(args.hub_url, args.namespace, args.repository, args.concurrency)
    result["vm_hwm_kib"] = vm_hwm_kib()
    sys.stdout.write(json.dumps(result) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
