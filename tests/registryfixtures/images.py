"""Pushing the fixture images through the Registry HTTP API (:mod:`registryfixtures.content`
builds them; its names are re-exported here).

Push protocol (distribution spec, "Pushing blobs" / "Pushing manifests"):

1. ``POST /v2/NAME/blobs/uploads/`` answers 202 with a ``Location`` (absolute or relative) of
   the upload session;
2. ``PUT <Location>?digest=sha256:...`` (``&`` when the Location already has a query) with the
   whole blob completes it (monolithic upload);
3. ``PUT /v2/NAME/manifests/REF`` with the manifest's ``Content-Type``. A registry checks that
   everything a manifest references exists, so blobs go first, and platform manifests (pushed by
   digest) before the index or list that names them.
"""

from __future__ import annotations

import hashlib
import threading
import urllib.parse
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

import requests

from registryfixtures.content import (
    INDEX_MEDIA_TYPES,
    MANIFEST_ACCEPT,
    MANY_TAGS_COUNT,
    MT_DOCKER_CONFIG,
    MT_DOCKER_LAYER,
    MT_DOCKER_LIST,
    MT_DOCKER_MANIFEST,
    MT_IN_TOTO,
    MT_OCI_CONFIG,
    MT_OCI_INDEX,
    MT_OCI_LAYER,
    MT_OCI_MANIFEST,
    NASTY_LABEL_KEY,
    NASTY_LABEL_VALUE,
    Blob,
    BuiltImage,
    Fixtures,
    PlatformImage,
    PushedImage,
    build_attestation,
    build_image,
    json_bytes,
    make_layer,
    many_tag_names,
    sha256_digest,
)

#: Bound on every HTTP request of a push.
HTTP_TIMEOUT = 30.0
MANY_TAGS_WORKERS = 8

#: What the other modules import from here (the content is re-exported for them).
__all__ = [
    "INDEX_MEDIA_TYPES",
    "MANIFEST_ACCEPT",
    "MANY_TAGS_COUNT",
    "MT_DOCKER_CONFIG",
    "MT_DOCKER_LAYER",
    "MT_DOCKER_LIST",
    "MT_DOCKER_MANIFEST",
    "MT_IN_TOTO",
    "MT_OCI_CONFIG",
    "MT_OCI_INDEX",
    "MT_OCI_LAYER",
    "MT_OCI_MANIFEST",
    "NASTY_LABEL_KEY",
    "NASTY_LABEL_VALUE",
    "Blob",
    "BuiltImage",
    "Fixtures",
    "PlatformImage",
    "PushError",
    "PushedImage",
    "Pusher",
    "build_attestation",
    "build_image",
    "json_bytes",
    "make_layer",
    "many_tag_names",
    "new_session",
    "push_all",
    "push_docker_v2",
    "push_manifest_list",
    "push_many_tags",
    "push_oci_image",
    "push_oci_index",
    "sha256_digest",
]


class PushError(RuntimeError):
    """The registry refused a push or answered a digest other than the one we computed."""


# -- pushing ---------------------------------------------------------------------------------------


def new_session() -> requests.Session:
    session = requests.Session()
    # Loopback only: never send fixture pushes through a proxy from the environment.
    session.trust_env = False
    return session


class Pusher:
    """Pushes blobs and manifests to one registry (no auth: use the open registry)."""

    def __init__(self, base_url: str, session: requests.Session | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.session = session or new_session()

    def blob(self, repository: str, blob: Blob) -> None:
        """Upload ``blob`` unless the repository already has it."""
        blob_url = f"{self.base_url}/v2/{repository}/blobs/{blob.digest}"
        if self.session.head(blob_url, timeout=HTTP_TIMEOUT).status_code == 200:
            return
        start = self.session.post(
            f"{self.base_url}/v2/{repository}/blobs/uploads/", timeout=HTTP_TIMEOUT
        )
        _expect(start, 202, f"start blob upload to {repository}")
        # Location may be relative (distribution with relativeurls: true, other registries).
        location = urllib.parse.urljoin(start.url, start.headers["Location"])
        separator = "&" if urllib.parse.urlsplit(location).query else "?"
        done = self.session.put(
            f"{location}{separator}digest={blob.digest}",
            data=blob.data,
            headers={"Content-Type": "application/octet-stream"},
            timeout=HTTP_TIMEOUT,
        )
        _expect(done, 201, f"complete upload of {blob.digest} to {repository}")

    def manifest(
        self,
        repository: str,
        reference: str,
        manifest: Blob,
        session: requests.Session | None = None,
    ) -> None:
        """PUT a manifest under a tag or its digest and check the registry's digest."""
        response = (session or self.session).put(
            f"{self.base_url}/v2/{repository}/manifests/{reference}",
            data=manifest.data,
            headers={"Content-Type": manifest.media_type},
            timeout=HTTP_TIMEOUT,
        )
        _expect(response, 201, f"push manifest {repository}:{reference}")
        answered = response.headers.get("Docker-Content-Digest")
        if answered != manifest.digest:
            raise PushError(
                f"registry stored {repository}:{reference} as {answered!r}, "
                f"but the bytes pushed hash to {manifest.digest}"
            )

    def image(self, repository: str, built: BuiltImage, reference: str | None = None) -> None:
        """Push config and layers, then the manifest (by digest unless ``reference``)."""
        for blob in (built.config, *built.layers):
            self.blob(repository, blob)
        self.manifest(repository, reference or built.manifest.digest, built.manifest)


def _expect(response: requests.Response, status: int, what: str) -> None:
    if response.status_code != status:
        raise PushError(
            f"{what}: {response.request.method} {response.url} answered "
            f"{response.status_code} (wanted {status}): {response.text[:500]!r}"
        )


def _push_single(
    pusher: Pusher, repository: str, tags: Sequence[str], built: BuiltImage
) -> PushedImage:
    pusher.image(repository, built)
    for tag in tags:
        pusher.manifest(repository, tag, built.manifest)
    return PushedImage(
        reference=f"{repository}:{tags[0]}",
        repository=repository,
        tags=tuple(tags),
        digest=built.manifest.digest,
        media_type=built.manifest.media_type,
        size=built.manifest.size,
        raw=built.manifest.data,
        platforms={built.platform: built.record()},
    )


def _push_index(
    pusher: Pusher,
    repository: str,
    tags: Sequence[str],
    media_type: str,
    children: Sequence[BuiltImage],
) -> PushedImage:
    for child in children:
        pusher.image(repository, child)
    index = Blob(
        json_bytes(
            {
                "schemaVersion": 2,
                "mediaType": media_type,
                "manifests": [child.index_entry() for child in children],
            }
        ),
        media_type,
    )
    for tag in tags:
        pusher.manifest(repository, tag, index)
    return PushedImage(
        reference=f"{repository}:{tags[0]}",
        repository=repository,
        tags=tuple(tags),
        digest=index.digest,
        media_type=media_type,
        size=index.size,
        raw=index.data,
        platforms={c.platform: c.record() for c in children if c.platform != "unknown/unknown"},
        attestations=tuple(c.record() for c in children if c.platform == "unknown/unknown"),
    )


def _common_labels(title: str, version: str) -> dict[str, str]:
    return {
        "org.opencontainers.image.title": title,
        "org.opencontainers.image.version": version,
        "org.opencontainers.image.source": "https://github.com/example/hubaction-fixtures",
        "org.opencontainers.image.revision": hashlib.sha1(title.encode()).hexdigest(),
    }


def push_docker_v2(pusher: Pusher) -> PushedImage:
    repository = "fixtures/docker-v2"
    labels = _common_labels("docker-v2", "1") | {
        NASTY_LABEL_KEY: NASTY_LABEL_VALUE,
        "maintainer": "Fixture Maintainer <fixtures@example.com>",
    }
    built = build_image(
        name=repository,
        platform="linux/amd64",
        # Docker writes nanosecond precision.
        created="2023-11-14T22:13:20.123456789Z",
        labels=labels,
        docker=True,
        layer_count=2,
    )
    return _push_single(pusher, repository, ["1"], built)


def push_oci_image(pusher: Pusher) -> PushedImage:
    repository = "fixtures/oci-image"
    labels = _common_labels("oci-image", "1") | {
        # Non-ASCII, stored as raw UTF-8 (ensure_ascii=False): clients must decode bytes.
        "org.example.unicode": "café ☕ ü",
        "org.example.empty": "",
    }
    built = build_image(
        name=repository,
        platform="linux/arm64",
        created="2024-02-29T12:34:56Z",
        labels=labels,
        docker=False,
        pretty=True,
    )
    return _push_single(pusher, repository, ["1"], built)


def push_oci_index(pusher: Pusher) -> PushedImage:
    repository = "fixtures/oci-index"
    specs = [
        ("linux/amd64", "2024-03-01T08:00:00Z", None),
        ("linux/arm64/v8", "2024-03-01T08:05:30.5Z", None),
        ("linux/arm/v7", "2024-03-01T09:10:11.123456789Z", None),
        ("windows/amd64", "2024-03-01T10:00:00+01:00", "10.0.20348.2227"),
    ]
    children = [
        build_image(
            name=repository,
            platform=platform,
            created=created,
            labels=_common_labels("oci-index", "1")
            | {"org.example.platform": platform, "org.example.built": created},
            docker=False,
            os_version=os_version,
        )
        for platform, created, os_version in specs
    ]
    attestation = build_attestation(repository, "1", children[0])
    return _push_index(pusher, repository, ["1", "latest"], MT_OCI_INDEX, [*children, attestation])


def push_manifest_list(pusher: Pusher) -> PushedImage:
    repository = "fixtures/manifest-list"
    specs = [
        ("linux/amd64", "2022-06-01T00:00:00Z"),
        ("linux/arm/v6", "2022-06-01T00:10:00Z"),
        ("linux/arm64", "2022-06-01T00:20:00Z"),
    ]
    children = [
        build_image(
            name=repository,
            platform=platform,
            created=created,
            labels=_common_labels("manifest-list", "1") | {"org.example.platform": platform},
            docker=True,
        )
        for platform, created in specs
    ]
    return _push_index(pusher, repository, ["1"], MT_DOCKER_LIST, children)


def push_many_tags(
    pusher: Pusher, tags: Sequence[str], workers: int = MANY_TAGS_WORKERS
) -> PushedImage:
    repository = "fixtures/many-tags"
    built = build_image(
        name=repository,
        platform="linux/amd64",
        created="2024-01-01T00:00:00Z",
        labels=_common_labels("many-tags", "latest"),
        docker=False,
    )
    # By digest first: the manifest blob then exists, so the concurrent tag PUTs only write
    # their tag links instead of racing to write the same blob file.
    pusher.image(repository, built)
    local = threading.local()
    sessions: list[requests.Session] = []
    lock = threading.Lock()

    def put(tag: str) -> None:
        session: requests.Session | None = getattr(local, "session", None)
        if session is None:
            session = local.session = new_session()
            with lock:
                sessions.append(session)
        pusher.manifest(repository, tag, built.manifest, session=session)

    try:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            # list() re-raises the first failure.
            list(pool.map(put, tags))
    finally:
        for session in sessions:
            session.close()
    return PushedImage(
        reference=f"{repository}:latest",
        repository=repository,
        tags=tuple(tags),
        digest=built.manifest.digest,
        media_type=built.manifest.media_type,
        size=built.manifest.size,
        raw=built.manifest.data,
        platforms={built.platform: built.record()},
    )


def push_all(base_url: str, session: requests.Session | None = None) -> Fixtures:
    """Push every fixture to the (open) registry at ``base_url`` and return what was pushed.

    The 2,100 tag PUTs dominate (the registry manages a few hundred a second here); the other
    images are pushed meanwhile on their own connection.
    """
    pusher = Pusher(base_url, session)
    tags = many_tag_names()
    many_pusher = Pusher(base_url)
    with many_pusher.session, ThreadPoolExecutor(max_workers=1) as background:
        many = background.submit(push_many_tags, many_pusher, tags)
        images = [
            push_docker_v2(pusher),
            push_oci_image(pusher),
            push_oci_index(pusher),
            push_manifest_list(pusher),
        ]
        images.append(many.result())
    if session is None:
        pusher.session.close()
    return Fixtures(
        base_url=pusher.base_url,
        images={image.reference: image for image in images},
        many_tags_repository="fixtures/many-tags",
        many_tags=tags,
    )
