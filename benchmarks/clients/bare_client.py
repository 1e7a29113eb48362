"""The floor: a bare ``requests`` script making only the requests a lookup needs.

It knows nothing a client could not know: it sends the first request without credentials,
reads the Bearer challenge from the 401 (Docker token spec), fetches one anonymous token from
the realm and retries; every later request carries the token. One ``requests.Session``, so one
kept-alive connection per host. Bodies are hashed and checked like a careful client would, but
there is no retry, timeout policy, error reporting or output formatting: it is what any client
must at least spend, start-up included.

Operations (``--op``), printing one JSON line on stdout:

* ``inspect``: GET the tag's index, GET the chosen platform's manifest, GET its config blob.
* ``digest``: HEAD the tag (the digest is in ``Docker-Content-Digest``).
* ``tags``: GET ``tags/list`` (one page; the distribution registry sends all tags at once).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import sys
from typing import Any

import requests

ACCEPT = ", ".join(
    [
        "application/vnd.oci.image.index.v1+json",
        "application/vnd.docker.distribution.manifest.list.v2+json",
        "application/vnd.oci.image.manifest.v1+json",
        "application/vnd.docker.distribution.manifest.v2+json",
    ]
)
_PARAM = re.compile(r'(\w+)="([^"]*)"')


class Registry:
    def __init__(self, base: str, repository: str) -> None:
        self.base = base.rstrip("/")
        self.repository = repository
        self.session = requests.Session()
        self.token: str | None = None

    def call(self, method: str, path: str, accept: str | None = None) -> requests.Response:
        url = f"{self.base}/v2/{self.repository}/{path}"
        headers = {"Accept": accept} if accept else {}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        response = self.session.request(method, url, headers=headers)
        if response.status_code == 401 and self.token is None:
            params = dict(_PARAM.findall(response.headers["WWW-Authenticate"]))
            query = {"scope": f"repository:{self.repository}:pull"}
            if "service" in params:
                query["service"] = params["service"]
            answer = self.session.get(params["realm"], params=query)
            answer.raise_for_status()
            doc = answer.json()
            self.token = doc.get("token") or doc.get("access_token")
            headers["Authorization"] = f"Bearer {self.token}"
            response = self.session.request(method, url, headers=headers)
        response.raise_for_status()
        return response


def sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def verified(response: requests.Response, expected: str | None = None) -> bytes:
    body = response.content
    digest = sha256(body)
    for want in (expected, response.headers.get("Docker-Content-Digest")):
        if want and want != digest:
            raise SystemExit(f"digest mismatch: got {digest}, expected {want}")
    return body


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
    parser.add_argument("--base", required=True, help="https://HOST:PORT or http://HOST:PORT")
    parser.add_argument("--repository", required=True)
    parser.add_argument("--tag", default="latest")
    parser.add_argument("--platform", default="linux/amd64")
    args = parser.parse_args()
    registry = Registry(args.base, args.repository)
    result: dict[str, Any] = {}
    if args.op == "digest":
        response = registry.call("HEAD", f"manifests/{args.tag}", ACCEPT)
        result["digest"] = response.headers["Docker-Content-Digest"]
    elif args.op == "tags":
        result["tags"] = registry.call("GET", "tags/list").json()["tags"]
    else:
        top = registry.call("GET", f"manifests/{args.tag}", ACCEPT)
        body = verified(top)
        doc = json.loads(body)
        result["digest"] = sha256(body)
        if "manifests" in doc:
            platform_digest = choose(doc, args.platform)
            response = registry.call("GET", f"manifests/{platform_digest}", ACCEPT)
            manifest = json.loads(verified(response, platform_digest))
        else:
            platform_digest, manifest = result["digest"], doc
        config_digest = manifest["config"]["digest"]
        config = json.loads(verified(registry.call("GET", f"blobs/{config_digest}"), config_digest))
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
