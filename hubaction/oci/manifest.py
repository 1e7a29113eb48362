"""Manifests, indexes and image configs, parsed from the exact bytes a registry serves.

An image manifest (a config and layers) or an index (one manifest per platform, plus
attestations), in Docker v2 schema 2 or OCI media types; legacy Docker schema 1 is refused. A
digest hashes the exact bytes (image-spec descriptor.md): :func:`verify_digest` is the one
place a body is believed.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from hubaction.errors import CorruptBody, DigestMismatch, RegistryError, UnsupportedManifest
from hubaction.oci.digest import Digest, parse_digest
from hubaction.oci.mediatypes import (
    DOCKER_MANIFEST,
    DOCKER_MANIFEST_LIST,
    DOCKER_SCHEMA1,
    DOCKER_SCHEMA1_SIGNED,
    OCI_INDEX,
    OCI_MANIFEST,
)
from hubaction.oci.platform import Platform, platform_from_json
from hubaction.oci.wire import NotJSON, load_object, quote_bounded

INDEX_TYPES = frozenset({DOCKER_MANIFEST_LIST, OCI_INDEX})
IMAGE_TYPES = frozenset({DOCKER_MANIFEST, OCI_MANIFEST})
SCHEMA1_TYPES = frozenset({DOCKER_SCHEMA1, DOCKER_SCHEMA1_SIGNED})

_HASHES = {"sha256": hashlib.sha256, "sha512": hashlib.sha512}


def compute_digest(body: bytes, algorithm: str = "sha256") -> Digest:
    """The digest of ``body`` with ``algorithm`` (``sha256`` or ``sha512``)."""
    try:
        hasher = _HASHES[algorithm]
    except KeyError:
        raise UnsupportedManifest(
            f"digest algorithm {quote_bounded(algorithm)} is not supported; hubaction verifies "
            "sha256 and sha512 digests"
        ) from None
    return Digest(algorithm, hasher(body).hexdigest())


def verify_digest(body: bytes, expected: Digest | str, *, what: str) -> Digest:
    """Check that ``body`` hashes to ``expected``; return the digest or raise DigestMismatch."""
    want = parse_digest(expected) if isinstance(expected, str) else expected
    got = compute_digest(body, want.algorithm)
    if got != want:
        raise DigestMismatch(
            f"{what}: the body the registry sent hashes to {got}, not {want}; the content was "
            "corrupted on the way or the registry is misbehaving. Nothing was believed; try "
            "again, and report it to the registry's operator if it persists"
        )
    return got


@dataclass(frozen=True)
class Descriptor:
    """A pointer to content: media type, digest and size (OCI image-spec descriptor.md)."""

    media_type: str
    digest: Digest
    size: int
    platform: Platform | None = None
    annotations: Mapping[str, str] = field(default_factory=dict)
    #: OCI 1.1 ``artifactType`` of what it points to (image-spec descriptor.md; referrers).
    artifact_type: str | None = None

    @property
    def is_attestation(self) -> bool:
        # BuildKit stores provenance/SBOM attestations as index entries with platform
        # unknown/unknown and this annotation; neither is something to run.
        return (self.platform is not None and self.platform.is_attestation) or self.annotations.get(
            "vnd.docker.reference.type"
        ) == "attestation-manifest"

    @property
    def attests(self) -> Digest | None:
        """The manifest a BuildKit attestation entry is about (``vnd.docker.reference.digest``,
        buildkit docs/attestations/attestation-storage.md); None if absent or not a digest."""
        if not self.is_attestation:
            return None
        try:
            return parse_digest(self.annotations.get("vnd.docker.reference.digest", ""))
        except ValueError:
            return None


@dataclass(frozen=True)
class ImageManifest:
    """An image manifest: one config blob and its layers; an OCI 1.1 artifact also has an
    ``artifactType`` and a ``subject`` (image-spec manifest.md)."""

    media_type: str
    config: Descriptor
    layers: tuple[Descriptor, ...]
    annotations: Mapping[str, str] = field(default_factory=dict)
    artifact_type: str | None = None
    subject: Descriptor | None = None

    @property
    def image_size(self) -> int:
        """Compressed size of the image: the config and every layer, as the manifest says
        (what a pull downloads; the manifest itself not counted, as Docker Hub's sizes)."""
        return self.config.size + sum(layer.size for layer in self.layers)


@dataclass(frozen=True)
class ImageIndex:
    """An index / manifest list: one manifest per platform, plus attestations."""

    media_type: str
    manifests: tuple[Descriptor, ...]
    annotations: Mapping[str, str] = field(default_factory=dict)
    artifact_type: str | None = None
    subject: Descriptor | None = None

    @property
    def attestations(self) -> tuple[Descriptor, ...]:
        """BuildKit's attestation manifests (platform ``unknown/unknown``)."""
        return tuple(d for d in self.manifests if d.is_attestation)

    @property
    def images(self) -> tuple[Descriptor, ...]:
        """The entries that are runnable images (attestations left out)."""
        return tuple(d for d in self.manifests if not d.is_attestation)


Manifest = ImageManifest | ImageIndex


@dataclass(frozen=True)
class ImageConfig:
    """What hubaction reads from an image config blob."""

    created: str | None
    labels: Mapping[str, str]
    platform: Platform | None


def _bad(what: str, why: str) -> CorruptBody:
    return CorruptBody(f"{what} is not a valid manifest: {why}")


def _str_map(value: object, what: str, key: str) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        raise _bad(what, f"{key!r} must be an object of strings")
    return dict(value)


def _descriptor(obj: object, what: str) -> Descriptor:
    if not isinstance(obj, dict):
        raise _bad(what, "a descriptor is not an object")
    media_type = obj.get("mediaType")
    digest = obj.get("digest")
    size = obj.get("size")
    if not isinstance(media_type, str) or not isinstance(digest, str):
        raise _bad(what, "a descriptor lacks 'mediaType' or 'digest'")
    if not isinstance(size, int) or isinstance(size, bool) or size < 0:
        raise _bad(what, f"descriptor {quote_bounded(digest)} has no valid 'size'")
    try:
        parsed_digest = parse_digest(digest)
    except ValueError as exc:
        raise _bad(what, str(exc)) from None
    platform = obj.get("platform")
    try:
        parsed_platform = platform_from_json(platform) if isinstance(platform, dict) else None
    except RegistryError as exc:
        # Name the manifest: platform_from_json cannot know which one it is reading.
        raise _bad(what, str(exc)) from None
    return Descriptor(
        media_type=media_type,
        digest=parsed_digest,
        size=size,
        platform=parsed_platform,
        annotations=_str_map(obj.get("annotations"), what, "annotations"),
        artifact_type=_optional_str(obj, "artifactType", what),
    )


def _optional_str(doc: dict[str, Any], key: str, what: str) -> str | None:
    value = doc.get(key)
    if value is not None and not isinstance(value, str):
        raise _bad(what, f"{key!r} must be a string")
    return value


def _subject(doc: dict[str, Any], what: str) -> Descriptor | None:
    """The OCI 1.1 ``subject`` descriptor (image-spec manifest.md "subject"), if any."""
    subject = doc.get("subject")
    return None if subject is None else _descriptor(subject, what)


def _load_object(body: bytes, what: str) -> dict[str, Any]:
    try:
        return load_object(body)
    except NotJSON as exc:
        raise _bad(what, f"the body is {exc}") from exc


def parse_manifest(body: bytes, content_type: str | None, *, what: str = "manifest") -> Manifest:
    """Parse a manifest body; the media type comes from the body, else from ``Content-Type``.

    ``what`` names the manifest in error messages (e.g. the reference being looked up).
    """
    header_type = (content_type or "").split(";", 1)[0].strip().lower()
    if header_type in SCHEMA1_TYPES:
        raise _schema1(what)
    doc = _load_object(body, what)
    media_type = _media_type(doc, header_type, what)
    if media_type in INDEX_TYPES:
        return _image_index(doc, media_type, what)
    if media_type in IMAGE_TYPES:
        return _image_manifest(doc, media_type, what)
    raise UnsupportedManifest(
        f"{what} has media type {quote_bounded(media_type)}, which is not an image manifest or "
        "index; hubaction reads Docker v2 schema 2, Docker manifest lists, OCI image manifests "
        "and OCI image indexes (an artifact or Helm chart is not an image)"
    )


def _media_type(doc: dict[str, Any], header_type: str, what: str) -> str:
    """The manifest's media type: the body's ``mediaType``, else the header's, else its shape."""
    body_type = doc.get("mediaType")
    if doc.get("schemaVersion") == 1 or (isinstance(body_type, str) and body_type in SCHEMA1_TYPES):
        raise _schema1(what)
    # The OCI spec makes mediaType optional in the body (image-spec manifest.md); Docker's types
    # always carry it. Fall back to the header, then to the shape.
    media_type = body_type if isinstance(body_type, str) and body_type else header_type
    # Some registries serve manifests as plain application/json (or octet-stream); without a
    # mediaType in the body the shape decides (OCI image-spec: mediaType is optional).
    if media_type in ("", "application/json", "application/octet-stream"):
        media_type = OCI_INDEX if "manifests" in doc else OCI_MANIFEST
    return media_type


def _image_index(doc: dict[str, Any], media_type: str, what: str) -> ImageIndex:
    entries = doc.get("manifests")
    if not isinstance(entries, list):
        raise _bad(what, "an index without a 'manifests' list")
    return ImageIndex(
        media_type=media_type,
        manifests=tuple(_descriptor(e, what) for e in entries),
        annotations=_str_map(doc.get("annotations"), what, "annotations"),
        artifact_type=_optional_str(doc, "artifactType", what),
        subject=_subject(doc, what),
    )


def _image_manifest(doc: dict[str, Any], media_type: str, what: str) -> ImageManifest:
    layers = doc.get("layers")
    if not isinstance(layers, list):
        raise _bad(what, "an image manifest without a 'layers' list")
    return ImageManifest(
        media_type=media_type,
        config=_descriptor(doc.get("config"), what),
        layers=tuple(_descriptor(layer, what) for layer in layers),
        annotations=_str_map(doc.get("annotations"), what, "annotations"),
        artifact_type=_optional_str(doc, "artifactType", what),
        subject=_subject(doc, what),
    )


def _schema1(what: str) -> UnsupportedManifest:
    return UnsupportedManifest(
        f"{what} is a Docker schema 1 manifest, a legacy format that is not supported; push the "
        "image again with a current Docker or BuildKit to get a schema 2 or OCI manifest"
    )


def parse_config(body: bytes, *, what: str = "image config") -> ImageConfig:
    """Read ``created``, labels and the platform from an image config blob."""
    doc = _load_object(body, what)
    created = doc.get("created")
    inner = doc.get("config")
    labels: dict[str, str] = {}
    if isinstance(inner, dict):
        raw = inner.get("Labels")
        if isinstance(raw, dict):
            # Labels are strings by spec; stringify anything else rather than dropping it, so
            # the output matches what `docker inspect` shows.
            labels = {str(k): v if isinstance(v, str) else json.dumps(v) for k, v in raw.items()}
    platform: Platform | None = None
    # Both present and non-empty, else no platform: an empty `os` is "unknown", not an error
    # worth failing a lookup for (the config is informational).
    if all(isinstance(doc.get(k), str) and doc.get(k) for k in ("os", "architecture")):
        # Only the platform fields: an error message quotes the object it was given, and the
        # whole config (environment, history) does not belong in one.
        fields: dict[str, object] = {
            k: doc[k] for k in ("os", "architecture", "variant", "os.version") if k in doc
        }
        try:
            platform = platform_from_json(fields)
        except RegistryError as exc:
            raise RegistryError(f"{what} is not a valid image config: {exc}") from None
    return ImageConfig(
        created=created if isinstance(created, str) else None,
        labels=labels,
        platform=platform,
    )
