"""Small but real images, built byte for byte, and the records of what was pushed.

Each image is built from scratch: gzip-compressed tar layers (fixed mtimes, so the bytes are the
same on every run with the same zlib), an image config JSON (``architecture``, ``os``,
``variant``/``os.version`` when relevant, ``created``, ``config.Labels``, ``rootfs.diff_ids``),
then a manifest referencing both, and for multi-platform images an OCI index or a Docker manifest
list referencing the manifests. Every digest recorded in :class:`Fixtures` is the sha256 of the
exact bytes sent, and :func:`registryfixtures.images.push_all` checks that the registry's
``Docker-Content-Digest`` agrees.

The images (``fixtures/...`` on the open registry; every registry sharing its storage serves
them too):

* ``docker-v2:1``: Docker v2 schema 2, linux/amd64, two layers, a label built to break naive
  ``$GITHUB_OUTPUT`` writers and workflow-command parsers (``org.example.nasty``).
* ``oci-image:1``: OCI image manifest, linux/arm64, pretty-printed with a trailing newline (the
  registry stores bytes as pushed; the digest covers the whitespace).
* ``oci-index:1`` and ``oci-index:latest``: OCI index with linux/amd64, linux/arm64/v8,
  linux/arm/v7, windows/amd64 (``os.version``) and a BuildKit-style attestation manifest
  (platform ``unknown/unknown``).
* ``manifest-list:1``: Docker manifest list of linux/amd64, linux/arm/v6 and linux/arm64 (no
  variant, as Docker Hub's official images often have).
* ``many-tags``: 2,100 tags on one manifest, for tag listing and pagination.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import tarfile
import urllib.parse
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

MT_DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
MT_DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
MT_DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json"
MT_DOCKER_LAYER = "application/vnd.docker.image.rootfs.diff.tar.gzip"
MT_OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
MT_OCI_INDEX = "application/vnd.oci.image.index.v1+json"
MT_OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
MT_OCI_LAYER = "application/vnd.oci.image.layer.v1.tar+gzip"
MT_IN_TOTO = "application/vnd.in-toto+json"

#: Send this on every manifest GET/HEAD: distribution 2.8 answers 404 MANIFEST_UNKNOWN for an
#: OCI index requested without an Accept naming it (it cannot down-convert one).
MANIFEST_ACCEPT = ", ".join([MT_OCI_INDEX, MT_DOCKER_LIST, MT_OCI_MANIFEST, MT_DOCKER_MANIFEST])
INDEX_MEDIA_TYPES = frozenset({MT_OCI_INDEX, MT_DOCKER_LIST})

#: Modification time of every tar entry: 2023-11-14T22:13:20Z.
LAYER_MTIME = 1_700_000_000
MANY_TAGS_COUNT = 2_100

NASTY_LABEL_KEY = "org.example.nasty"
#: Embedded newlines, a heredoc delimiter look-alike, an EOF line, a %-encoded newline (which
#: workflow commands decode), a workflow command and a CRLF: all must survive round trips.
NASTY_LABEL_VALUE = "line1\nghadelimiter_deadbeef\nEOF\n%0A ::error::boom\r\nend"


def sha256_digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def json_bytes(value: Any, *, pretty: bool = False) -> bytes:
    if pretty:
        return (json.dumps(value, indent=3, ensure_ascii=False) + "\n").encode("utf-8")
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


# -- what push_all reports ------------------------------------------------------------------------


@dataclass(frozen=True)
class Blob:
    """Bytes with a media type: a layer, a config, or anything a descriptor points at."""

    data: bytes
    media_type: str
    annotations: Mapping[str, str] | None = None

    @property
    def digest(self) -> str:
        return sha256_digest(self.data)

    @property
    def size(self) -> int:
        return len(self.data)

    def descriptor(self) -> dict[str, Any]:
        """The OCI / Docker descriptor (``mediaType``, ``size``, ``digest``[, ``annotations``])."""
        desc: dict[str, Any] = {
            "mediaType": self.media_type,
            "size": self.size,
            "digest": self.digest,
        }
        if self.annotations:
            desc["annotations"] = dict(self.annotations)
        return desc


@dataclass(frozen=True)
class PlatformImage:
    """One single-platform manifest, its config and its layers, as pushed."""

    platform: str  # "os/architecture[/variant]", e.g. "linux/arm64/v8", "windows/amd64"
    os: str
    architecture: str
    variant: str | None
    os_version: str | None
    manifest_digest: str
    manifest_media_type: str
    manifest_size: int
    manifest_raw: bytes
    config_digest: str
    config_media_type: str
    config_size: int
    config_raw: bytes
    created: str
    labels: dict[str, str]
    layer_digests: tuple[str, ...]
    layer_media_types: tuple[str, ...]
    layer_sizes: tuple[int, ...]
    diff_ids: tuple[str, ...]
    #: Annotations of this manifest's descriptor in the index (attestations have some).
    annotations: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class PushedImage:
    """What one reference (``fixtures/NAME:TAG``) resolves to.

    For a single-platform image ``platforms`` has one entry whose ``manifest_digest`` equals
    ``digest``; for an index or manifest list ``digest`` is the index's and ``platforms`` maps
    each real platform to its manifest. Attestation manifests (platform ``unknown/unknown``) are
    in ``attestations``, not ``platforms``.
    """

    reference: str  # primary reference, "fixtures/oci-index:1"
    repository: str
    tags: tuple[str, ...]
    digest: str
    media_type: str
    size: int
    raw: bytes
    platforms: dict[str, PlatformImage]
    attestations: tuple[PlatformImage, ...] = ()

    @property
    def is_index(self) -> bool:
        return self.media_type in INDEX_MEDIA_TYPES

    @property
    def only(self) -> PlatformImage:
        """The single platform of a single-platform image."""
        if len(self.platforms) != 1:
            raise ValueError(f"{self.reference} has {len(self.platforms)} platforms, not 1")
        return next(iter(self.platforms.values()))

    def references(self) -> Iterator[str]:
        """``repository:tag`` for every tag, then ``repository@digest``."""
        for tag in self.tags:
            yield f"{self.repository}:{tag}"
        yield f"{self.repository}@{self.digest}"


@dataclass(frozen=True)
class Fixtures:
    """Everything :func:`push_all` pushed, keyed by primary reference in ``images``."""

    base_url: str
    images: dict[str, PushedImage]
    many_tags_repository: str
    many_tags: tuple[str, ...]

    def image(self, reference: str) -> PushedImage:
        """Look up by any tag or digest reference (``fixtures/oci-index:latest`` too)."""
        for image in self.images.values():
            if image.reference == reference:
                return image
        repository, sep, rest = reference.partition("@")
        if sep:
            for image in self.images.values():
                if image.repository == repository and image.digest == rest:
                    return image
        else:
            repository, _, tag = reference.rpartition(":")
            for image in self.images.values():
                if image.repository == repository and tag in image.tags:
                    return image
        raise KeyError(reference)

    @property
    def docker_v2(self) -> PushedImage:
        return self.images["fixtures/docker-v2:1"]

    @property
    def oci_image(self) -> PushedImage:
        return self.images["fixtures/oci-image:1"]

    @property
    def oci_index(self) -> PushedImage:
        return self.images["fixtures/oci-index:1"]

    @property
    def manifest_list(self) -> PushedImage:
        return self.images["fixtures/manifest-list:1"]

    @property
    def many_tags_image(self) -> PushedImage:
        return self.images[f"{self.many_tags_repository}:latest"]


# -- building content ------------------------------------------------------------------------------


def make_layer(files: Mapping[str, bytes], media_type: str) -> tuple[Blob, str]:
    """A gzip tar layer holding ``files`` (path -> content) and its ``diff_id`` (the sha256 of
    the uncompressed tar, what ``rootfs.diff_ids`` lists)."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        directories = sorted({p.rsplit("/", 1)[0] for p in files if "/" in p})
        for directory in directories:
            info = tarfile.TarInfo(directory + "/")
            info.type = tarfile.DIRTYPE
            info.mode = 0o755
            info.mtime = LAYER_MTIME
            info.uname = info.gname = "root"
            tar.addfile(info)
        for path, content in sorted(files.items()):
            info = tarfile.TarInfo(path)
            info.size = len(content)
            info.mode = 0o644
            info.mtime = LAYER_MTIME
            info.uname = info.gname = "root"
            tar.addfile(info, io.BytesIO(content))
    tar_bytes = raw.getvalue()
    # mtime=0 keeps the gzip header free of the current time.
    return Blob(gzip.compress(tar_bytes, compresslevel=9, mtime=0), media_type), sha256_digest(
        tar_bytes
    )


@dataclass(frozen=True)
class BuiltImage:
    """A platform manifest ready to push (blobs + manifest bytes) and its facts."""

    platform: str
    os: str
    architecture: str
    variant: str | None
    os_version: str | None
    created: str
    labels: dict[str, str]
    config: Blob
    layers: tuple[Blob, ...]
    diff_ids: tuple[str, ...]
    manifest: Blob
    annotations: dict[str, str] = field(default_factory=dict)

    def platform_json(self) -> dict[str, str]:
        platform = {"architecture": self.architecture, "os": self.os}
        if self.os_version is not None:
            platform["os.version"] = self.os_version
        if self.variant is not None:
            platform["variant"] = self.variant
        return platform

    def index_entry(self) -> dict[str, Any]:
        entry = {k: v for k, v in self.manifest.descriptor().items() if k != "annotations"}
        if self.annotations:
            entry["annotations"] = dict(self.annotations)
        entry["platform"] = self.platform_json()
        return entry

    def record(self) -> PlatformImage:
        return PlatformImage(
            platform=self.platform,
            os=self.os,
            architecture=self.architecture,
            variant=self.variant,
            os_version=self.os_version,
            manifest_digest=self.manifest.digest,
            manifest_media_type=self.manifest.media_type,
            manifest_size=self.manifest.size,
            manifest_raw=self.manifest.data,
            config_digest=self.config.digest,
            config_media_type=self.config.media_type,
            config_size=self.config.size,
            config_raw=self.config.data,
            created=self.created,
            labels=dict(self.labels),
            layer_digests=tuple(layer.digest for layer in self.layers),
            layer_media_types=tuple(layer.media_type for layer in self.layers),
            layer_sizes=tuple(layer.size for layer in self.layers),
            diff_ids=self.diff_ids,
            annotations=dict(self.annotations),
        )


def _platform_layers(
    name: str, platform: str, count: int, media_type: str
) -> tuple[list[Blob], list[str]]:
    """``count`` small layers naming the image and platform, and their diff IDs."""
    layers: list[Blob] = []
    diff_ids: list[str] = []
    for n in range(count):
        files = {
            f"etc/hubaction/{n}.txt": f"{name} {platform} layer {n}\n".encode(),
            "etc/hubaction/platform": f"{platform}\n".encode(),
        }
        layer, diff_id = make_layer(files, media_type)
        layers.append(layer)
        diff_ids.append(diff_id)
    return layers, diff_ids


def _image_config(
    platform: str,
    created: str,
    labels: Mapping[str, str],
    diff_ids: list[str],
    os_version: str | None,
) -> dict[str, Any]:
    """An image config as BuildKit writes one: platform fields first, then the rest."""
    os_name, architecture, *rest = platform.split("/")
    config: dict[str, Any] = {"architecture": architecture, "os": os_name}
    if os_version is not None:
        config["os.version"] = os_version
    if rest:
        config["variant"] = rest[0]
    return config | {
        "created": created,
        "author": "hubaction test fixtures",
        "config": {
            "Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
            "Cmd": ["/bin/sh"],
            "Labels": dict(labels),
        },
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
        "history": [
            {"created": created, "created_by": f"ADD layer-{n}.tar.gz / # buildkit"}
            for n in range(len(diff_ids))
        ],
    }


def build_image(
    *,
    name: str,
    platform: str,
    created: str,
    labels: Mapping[str, str],
    docker: bool,
    layer_count: int = 1,
    os_version: str | None = None,
    pretty: bool = False,
) -> BuiltImage:
    """Build a single-platform image: ``docker`` chooses Docker v2 schema 2 media types over
    OCI ones; ``pretty`` indents the manifest JSON (and ends it with a newline)."""
    os_name, architecture, *rest = platform.split("/")
    layer_type = MT_DOCKER_LAYER if docker else MT_OCI_LAYER
    layers, diff_ids = _platform_layers(name, platform, layer_count, layer_type)
    config = _image_config(platform, created, labels, diff_ids, os_version)
    config_blob = Blob(json_bytes(config), MT_DOCKER_CONFIG if docker else MT_OCI_CONFIG)
    manifest_type = MT_DOCKER_MANIFEST if docker else MT_OCI_MANIFEST
    manifest = {
        "schemaVersion": 2,
        "mediaType": manifest_type,
        "config": config_blob.descriptor(),
        "layers": [layer.descriptor() for layer in layers],
    }
    return BuiltImage(
        platform=platform,
        os=os_name,
        architecture=architecture,
        variant=rest[0] if rest else None,
        os_version=os_version,
        created=created,
        labels=dict(labels),
        config=config_blob,
        layers=tuple(layers),
        diff_ids=tuple(diff_ids),
        manifest=Blob(json_bytes(manifest, pretty=pretty), manifest_type),
    )


def _provenance_layer(repository: str, tag: str, subject: BuiltImage) -> Blob:
    """The attestation's one layer: an in-toto statement of SLSA provenance for ``subject``."""
    predicate_type = "https://slsa.dev/provenance/v0.2"
    statement = {
        "_type": "https://in-toto.io/Statement/v0.1",
        "predicateType": predicate_type,
        "subject": [
            {
                "name": f"pkg:docker/{repository}@{tag}?platform="
                + urllib.parse.quote(subject.platform, safe=""),
                "digest": {"sha256": subject.manifest.digest.removeprefix("sha256:")},
            }
        ],
        "predicate": {"buildType": "https://mobyproject.org/buildkit@v1"},
    }
    annotations = {"in-toto.io/predicate-type": predicate_type}
    return Blob(json_bytes(statement), MT_IN_TOTO, annotations=annotations)


def build_attestation(repository: str, tag: str, subject: BuiltImage) -> BuiltImage:
    """A BuildKit-style provenance attestation manifest for ``subject``.

    BuildKit puts these in the index with platform ``unknown/unknown`` and the annotations
    ``vnd.docker.reference.type=attestation-manifest`` and ``vnd.docker.reference.digest``; a
    client choosing a platform must skip them.
    """
    layer = _provenance_layer(repository, tag, subject)
    diff_id = layer.digest
    config = {
        "architecture": "unknown",
        "os": "unknown",
        "config": {},
        "rootfs": {"type": "layers", "diff_ids": [diff_id]},
    }
    config_blob = Blob(json_bytes(config), MT_OCI_CONFIG)
    manifest = {
        "schemaVersion": 2,
        "mediaType": MT_OCI_MANIFEST,
        "config": config_blob.descriptor(),
        "layers": [layer.descriptor()],
    }
    return BuiltImage(
        platform="unknown/unknown",
        os="unknown",
        architecture="unknown",
        variant=None,
        os_version=None,
        created="",
        labels={},
        config=config_blob,
        layers=(layer,),
        diff_ids=(diff_id,),
        manifest=Blob(json_bytes(manifest), MT_OCI_MANIFEST),
        annotations={
            "vnd.docker.reference.digest": subject.manifest.digest,
            "vnd.docker.reference.type": "attestation-manifest",
        },
    )


def many_tag_names(count: int = MANY_TAGS_COUNT) -> tuple[str, ...]:
    """``count`` distinct, valid tags (``[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}``), a realistic mix:
    semver with and without ``v``, pre-releases, distro suffixes, ``sha-`` commit tags, dates,
    a 128-character tag (the maximum) and one starting with ``_``."""
    special = [
        "latest",
        "stable",
        "edge",
        "nightly",
        "main",
        "v2.3.4",
        "1.2.3-rc.1",
        "1.2.3-beta.2",
        "2.0.0-alpha",
        "sha-abcdef1",
        "3.19-alpine",
        "bookworm-slim",
        "20240301",
        "1.0.0_build.5",
        "UPPER_case-Tag",
        "_underscore",
        "t" + "0123456789abcdef" * 7 + "0123456789-.-._",  # 128 characters
    ]
    assert len(special[-1]) == 128
    tags = list(special)
    seen = set(tags)

    def generated() -> Iterator[str]:
        n = 0
        while True:
            major, minor, patch = n // 200, (n // 10) % 20, n % 10
            version = f"{major}.{minor}.{patch}"
            yield version
            if n % 2 == 0:
                yield f"v{version}"
            if n % 5 == 0:
                yield f"{version}-alpine"
            if n % 7 == 0:
                yield f"{version}-rc.{n % 4 + 1}"
            if n % 3 == 0:
                yield "sha-" + hashlib.sha1(str(n).encode()).hexdigest()[:7]
            n += 1

    for tag in generated():
        if len(tags) >= count:
            break
        if tag not in seen:
            seen.add(tag)
            tags.append(tag)
    return tuple(tags)
