"""What refers to an image: signatures, SBOMs and provenance. Pure grammar and models.

Three places say it (issue 16):

* BuildKit's attestation manifests inside the image index: entries with platform
  ``unknown/unknown`` and the annotations ``vnd.docker.reference.type: attestation-manifest``
  and ``vnd.docker.reference.digest: <the platform manifest>`` (moby/buildkit
  docs/attestations/attestation-storage.md); their layers name an in-toto predicate type in
  ``in-toto.io/predicate-type``.
* OCI 1.1 referrers: manifests whose ``subject`` is the image (image-spec manifest.md
  "subject", "artifactType"), listed by ``GET /v2/<name>/referrers/<digest>`` as an image
  index, or where that API is missing by the tag ``<alg>-<hex>`` (distribution-spec spec.md,
  "Listing Referrers" and "Referrers Tag Schema").
* cosign's tags ``sha256-<hex>.sig``, ``.att`` and ``.sbom`` (sigstore/cosign
  pkg/oci/remote/options.go: SignatureTagSuffix, AttestationTagSuffix, SBOMTagSuffix;
  remote.go normalize: the digest with ``:`` as ``-``, then ``.<suffix>``).

Everything here is registry text: counts are bounded, nothing is trusted beyond its shape.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from hubaction.errors import CorruptBody, UnsupportedManifest
from hubaction.oci.digest import Digest
from hubaction.oci.manifest import Descriptor, ImageIndex, ImageManifest, parse_manifest
from hubaction.oci.mediatypes import OCI_INDEX
from hubaction.oci.platform import Platform

#: BuildKit's layer annotation, cosign's (cmd/cosign/cli/attest: "predicateType" on .att
#: manifests and layers) and a sigstore bundle's in a referrer (cosign --new-bundle-format).
PREDICATE_KEYS = ("in-toto.io/predicate-type", "predicateType", "dev.sigstore.bundle.predicateType")

COSIGN_SIGNATURE = "application/vnd.dev.cosign.artifact.sig.v1+json"
COSIGN_SIMPLESIGNING = "application/vnd.dev.cosign.simplesigning.v1+json"
SIGSTORE_BUNDLE_PREFIX = "application/vnd.dev.sigstore.bundle"
IN_TOTO = "application/vnd.in-toto+json"
DSSE = "application/vnd.dsse.envelope.v1+json"

SPDX = "https://spdx.dev/Document"
CYCLONEDX = "https://cyclonedx.org/bom"
#: An SBOM's own media type stands for its predicate type where no annotation names one
#: (`oras attach --artifact-type application/spdx+json`, cosign attach sbom's layers).
SBOM_TYPES: Mapping[str, str] = {
    "application/spdx+json": SPDX,
    "text/spdx+json": SPDX,
    "text/spdx": SPDX,
    "application/vnd.cyclonedx+json": CYCLONEDX,
    "application/vnd.cyclonedx+xml": CYCLONEDX,
    "application/vnd.cyclonedx": CYCLONEDX,
}

#: At most this many predicate types are kept per manifest (a hostile one may list thousands).
MAX_PREDICATE_TYPES = 16
#: At most this many characters of a predicate type (they are URIs, short in practice).
MAX_PREDICATE_TYPE_CHARS = 256

COSIGN_SUFFIXES = ("sig", "att", "sbom")


def referrers_tag(digest: Digest) -> str:
    """The tag of the referrers index where the API is missing: ``<alg>-<ref>``, the algorithm
    cut to 32 characters and the encoded part to 64 (distribution-spec "Referrers Tag Schema")."""
    return f"{digest.algorithm[:32]}-{digest.hex[:64]}"


def cosign_tag(digest: Digest, suffix: str) -> str:
    """cosign's tag for ``digest``'s signature (``sig``), attestations (``att``) or SBOM."""
    if suffix not in COSIGN_SUFFIXES:
        raise ValueError(f"not a cosign tag suffix: {suffix!r}")
    return f"{digest.algorithm}-{digest.hex}.{suffix}"


@dataclass(frozen=True)
class Referrer:
    """One manifest that refers to ``subject``; ``source`` says how it was found: ``api``,
    ``tag-schema`` or ``cosign`` (a ``.sig``/``.att``/``.sbom`` tag)."""

    subject: Digest
    digest: Digest
    media_type: str
    artifact_type: str | None
    size: int
    annotations: Mapping[str, str]
    source: str
    #: cosign's tag suffix for ``source == "cosign"``, else "".
    cosign: str = ""

    @property
    def kind(self) -> str:
        """A signature, an attestation (SBOM, provenance...) or another artifact."""
        if self.cosign == "sig" or is_signature_type(self.artifact_type):
            return "signature" if not self.predicate_hints else "attestation"
        if self.cosign in ("att", "sbom") or is_attestation_type(self.artifact_type):
            return "attestation"
        return "artifact"

    @property
    def is_signature(self) -> bool:
        """A cosign signature or a sigstore bundle (which signs what it carries)."""
        return self.cosign == "sig" or is_signature_type(self.artifact_type)

    @property
    def predicate_hints(self) -> tuple[str, ...]:
        """Predicate types the descriptor itself names (no fetch needed)."""
        return predicate_types([self.annotations], [self.artifact_type])


def is_signature_type(artifact_type: str | None) -> bool:
    return bool(artifact_type) and (
        artifact_type == COSIGN_SIGNATURE or str(artifact_type).startswith(SIGSTORE_BUNDLE_PREFIX)
    )


def is_attestation_type(artifact_type: str | None) -> bool:
    return artifact_type in (IN_TOTO, DSSE) or artifact_type in SBOM_TYPES


def predicate_types(
    annotations: Sequence[Mapping[str, str]], media_types: Sequence[str | None] = ()
) -> tuple[str, ...]:
    """The predicate types named by ``annotations`` (each key of :data:`PREDICATE_KEYS`), then
    those an SBOM media type stands for; deduplicated, in order, bounded."""
    found: list[str] = []
    for mapping in annotations:
        found += [mapping[k] for k in PREDICATE_KEYS if mapping.get(k)]
    found += [SBOM_TYPES[t] for t in media_types if t is not None and t in SBOM_TYPES]
    kept = dict.fromkeys(t[:MAX_PREDICATE_TYPE_CHARS] for t in found)
    return tuple(kept)[:MAX_PREDICATE_TYPES]


def manifest_predicate_types(manifest: ImageManifest | ImageIndex) -> tuple[str, ...]:
    """What an attestation manifest attests: its own and its layers' predicate annotations, and
    SBOM media types (artifact type, config or layers)."""
    if isinstance(manifest, ImageIndex):
        parts: Sequence[Descriptor] = manifest.manifests
        media = [manifest.artifact_type]
    else:
        parts = manifest.layers
        media = [manifest.artifact_type, manifest.config.media_type]
    return predicate_types(
        [manifest.annotations, *(d.annotations for d in parts)],
        [*media, *(d.media_type for d in parts)],
    )


class NotAReferrersIndex(ValueError):
    """A 200 answer to the referrers API that is no image index (sigstore-js#1187): the API is
    missing there, and the tag schema is asked instead."""


def parse_referrers(
    body: bytes, content_type: str | None, *, subject: Digest, source: str, what: str
) -> tuple[Referrer, ...]:
    """The referrers an index lists (an API page or the tag-schema index). Raises
    :class:`NotAReferrersIndex` for anything but an OCI image index."""
    try:
        index = parse_manifest(body, content_type or OCI_INDEX, what=what)
    except (CorruptBody, UnsupportedManifest) as exc:
        raise NotAReferrersIndex(f"{what}: {exc}") from None
    if not isinstance(index, ImageIndex) or index.media_type != OCI_INDEX:
        raise NotAReferrersIndex(f"{what}: not an OCI image index")
    return tuple(
        Referrer(
            subject=subject,
            digest=d.digest,
            media_type=d.media_type,
            artifact_type=d.artifact_type,
            size=d.size,
            annotations=d.annotations,
            source=source,
        )
        for d in index.manifests
    )


@dataclass(frozen=True)
class Attestation:
    """Statements about one manifest (``subject``): SBOM, provenance. ``platform`` is the
    subject's, where the index tells it; ``predicate_types`` is ``None`` when not looked up."""

    subject: Digest
    digest: Digest
    source: str
    platform: Platform | None = None
    predicate_types: tuple[str, ...] | None = None


def index_attestations(index: ImageIndex) -> tuple[Attestation, ...]:
    """BuildKit's attestation manifests of ``index``, each with the platform it is about (no
    request: the index says it all). Predicate types need the manifests: not looked up here."""
    platforms = {d.digest: d.platform for d in index.images}
    return tuple(
        Attestation(
            subject=d.attests, digest=d.digest, source="index", platform=platforms.get(d.attests)
        )
        for d in index.attestations
        if d.attests is not None
    )


@dataclass(frozen=True)
class SupplyChain:
    """What was found about an image: its attestations (the index's and the referrers'), its
    referrers (``None``: not looked up) and whether it is signed (``None``: not looked up).
    ``listed_by`` is how referrers were listed: ``api``, ``tag-schema`` or ``""``; ``notes``
    say what was cut short (bounds) in words for the reader."""

    attestations: tuple[Attestation, ...]
    referrers: tuple[Referrer, ...] | None = None
    listed_by: str = ""
    notes: tuple[str, ...] = field(default=())

    @property
    def signed(self) -> bool | None:
        if self.referrers is None:
            return None
        return any(r.is_signature for r in self.referrers)


def index_chain(index: ImageIndex | None) -> SupplyChain:
    """What an image's index alone tells of its supply chain (no request, no referrers looked
    up): BuildKit's attestations; nothing for a single-platform image."""
    return SupplyChain(index_attestations(index) if index is not None else ())
