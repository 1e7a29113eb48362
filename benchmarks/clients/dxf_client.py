"""The same lookups with python-dxf (https://github.com/davedoesdev/dxf), through its API.

``DXF(host, repository, auth=...)`` used as a context manager, which gives it one
``requests.Session`` (keep-alive) for the whole run, as its documentation recommends; ``auth``
is called on a 401 and fetches an anonymous token from the challenge's realm.

python-dxf has no platform selection that accepts ``linux/arm64`` for an index entry of
``linux/arm64/v8`` (``get_digest(platform=...)`` compares the strings exactly), so the entry is
chosen here from the index it returns, and the platform manifest and config blob are then
fetched with its calls. Its token request always uses HTTPS (``authenticate`` rewrites the
realm's scheme), and with ``insecure=True`` it refuses token auth altogether, so it is measured
on the TLS setup only.

Prints one JSON line like ``bare_client.py``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from collections.abc import Iterable
from typing import Any

from dxf import DXF


def _auth(dxf: Any, response: Any) -> None:
    dxf.authenticate(response=response)


def sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def choose(index: dict[str, Any], platform: str) -> str:
    os_name, arch, *rest = platform.split("/")
    variant = rest[0] if rest else None
    for entry in index["manifests"]:
        p = entry.get("platform") or {}
        if (
            p.get("os") == os_name
            and p.get("architecture") == arch
            and (variant is None or p.get("variant") == variant)
        ):
            digest: str = entry["digest"]
            return digest
    raise SystemExit(f"no {platform} in the index")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--op", choices=["inspect", "digest", "tags"], required=True)
    parser.add_argument("--host", required=True, help="HOST:PORT of the registry")
    parser.add_argument("--repository", required=True)
    parser.add_argument("--tag", default="latest")
    parser.add_argument("--platform", default="linux/amd64")
    parser.add_argument("--insecure", action="store_true", help="plain HTTP")
    args = parser.parse_args()
    result: dict[str, Any] = {}
    with DXF(args.host, args.repository, auth=_auth, insecure=args.insecure) as dxf:
        if args.op == "digest":
            digest, _response = dxf.head_manifest_and_response(args.tag)
            result["digest"] = digest
        elif args.op == "tags":
            result["tags"] = dxf.list_aliases()
        else:
            text, response = dxf.get_manifest_and_response(args.tag)
            result["digest"] = sha256(response.content)
            header = response.headers.get("Docker-Content-Digest")
            if header and header != result["digest"]:
                raise SystemExit(f"digest mismatch: {result['digest']} != {header}")
            doc = json.loads(text)
            if "manifests" in doc:
                platform_digest = choose(doc, args.platform)
                text, response = dxf.get_manifest_and_response(platform_digest)
                if sha256(response.content) != platform_digest:
                    raise SystemExit(f"digest mismatch for {platform_digest}")
                manifest = json.loads(text)
            else:
                platform_digest, manifest = result["digest"], doc
            config_digest = manifest["config"]["digest"]
            # pull_blob verifies the digest while iterating.
            chunks: Iterable[bytes] = dxf.pull_blob(config_digest)  # type: ignore[assignment]
            config = json.loads(b"".join(chunks))
            result.update(
                {
                    "platform-digest": platform_digest,
                    "config-digest": config_digest,
                    "created": config.get("created"),
                }
            )
    sys.stdout.write(json.dumps(result) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
