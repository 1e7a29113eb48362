"""A base image whose tag moved on, pushed to the real registry for the pin tests (issue 17):
``pins/base:1`` was an index of amd64 and arm64 manifests (``old``), then was pushed again with
both platforms rebuilt (``new``); ``pins/single:1`` is a single-platform image."""

from __future__ import annotations

import json
import urllib.parse
from collections import Counter
from dataclasses import dataclass

import requests
from registryfixtures.content import build_image
from registryfixtures.images import MT_OCI_INDEX, Blob, Pusher

from hubaction.registry.transport import new_session


@dataclass(frozen=True)
class Version:
    index: str
    amd64: str
    arm64: str


@dataclass(frozen=True)
class PinScenario:
    host: str
    old: Version
    new: Version
    single: str

    @property
    def base(self) -> str:
        return f"{self.host}/pins/base:1"


def _push_version(pusher: Pusher, created: str) -> Version:
    repository = "pins/base"
    children = [
        build_image(
            name=repository,
            platform=platform,
            created=created,
            labels={"org.example.built": created},
            docker=False,
        )
        for platform in ("linux/amd64", "linux/arm64")
    ]
    for child in children:
        pusher.image(repository, child)
    doc = {
        "schemaVersion": 2,
        "mediaType": MT_OCI_INDEX,
        "manifests": [child.index_entry() for child in children],
    }
    index = Blob(json.dumps(doc).encode(), MT_OCI_INDEX)
    pusher.manifest(repository, "1", index)
    amd64, arm64 = (child.manifest.digest for child in children)
    return Version(index.digest, amd64, arm64)


def push_scenario(url: str, host: str) -> PinScenario:
    pusher = Pusher(url)
    old = _push_version(pusher, "2024-01-01T00:00:00Z")
    new = _push_version(pusher, "2024-06-01T00:00:00Z")
    single = build_image(
        name="pins/single",
        platform="linux/amd64",
        created="2024-02-02T00:00:00Z",
        labels={},
        docker=False,
    )
    pusher.image("pins/single", single, "1")
    return PinScenario(host, old, new, single.manifest.digest)


def counting_session() -> tuple[requests.Session, Counter[tuple[str, str]]]:
    """A session that counts the manifest requests it sends: ``(method, what)``, ``what`` being
    ``tag`` or ``digest`` (the manifest asked for by tag or by digest)."""
    seen: Counter[tuple[str, str]] = Counter()

    def count(response: requests.Response, *_args: object, **_kwargs: object) -> None:
        path = urllib.parse.urlsplit(str(response.request.url)).path
        if "/manifests/" in path:
            what = "digest" if "/manifests/sha256:" in path else "tag"
            seen[(str(response.request.method), what)] += 1

    session = new_session()
    session.hooks["response"].append(count)
    return session, seen
