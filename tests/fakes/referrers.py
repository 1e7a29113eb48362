"""A signed image with an SBOM and provenance, as bytes to push, and a fake registry that
implements the OCI 1.1 referrers API (issue 16).

:func:`supply_content` builds, byte for byte:

* a two-platform OCI index as buildx pushes it, with a BuildKit attestation manifest for
  linux/amd64 (``registryfixtures.content.build_attestation``);
* a cosign signature under ``sha256-<hex>.sig`` (a simplesigning layer; sigstore/cosign
  pkg/oci/remote);
* an SPDX SBOM and an SLSA provenance statement as OCI 1.1 referrers (``subject`` = the index,
  ``artifactType``; image-spec manifest.md), and the ``sha256-<hex>`` tag-schema index listing
  them (distribution-spec "Referrers Tag Schema"), as a client pushing to a registry without
  the API keeps it.

:class:`ReferrersRegistry` serves manifests, blobs, tags and
``GET /v2/<name>/referrers/<digest>[?artifactType=]`` (distribution-spec "Listing Referrers"),
paged by ``Link``; ``api`` picks how the referrers endpoint behaves: ``"full"``, ``"unfiltered"``
(ignores ``artifactType``, sends no ``OCI-Filters-Applied``), ``"missing"`` (404) or
``"false200"`` (a 200 that is no image index, sigstore-js#1187).
"""

from __future__ import annotations

import hashlib
import json
import threading
import urllib.parse
from dataclasses import dataclass, field
from typing import Any

from registryfixtures.content import (
    MT_IN_TOTO,
    MT_OCI_INDEX,
    MT_OCI_MANIFEST,
    Blob,
    BuiltImage,
    build_attestation,
    build_image,
    json_bytes,
)

from fakes.server import Request, Response

EMPTY_CONFIG = "application/vnd.oci.empty.v1+json"
SPDX_TYPE = "application/spdx+json"
SIMPLESIGNING = "application/vnd.dev.cosign.simplesigning.v1+json"
SLSA_V1 = "https://slsa.dev/provenance/v1"
SLSA_BUILDKIT = "https://slsa.dev/provenance/v0.2"  # build_attestation's
SPDX_PREDICATE = "https://spdx.dev/Document"


@dataclass
class SupplyContent:
    """What to push, in order: blobs, then manifests by digest or tag."""

    index: Blob
    children: list[BuiltImage]
    blobs: list[Blob] = field(default_factory=list)
    manifests: list[tuple[str, Blob]] = field(default_factory=list)
    signature: Blob | None = None
    sbom: Blob | None = None
    provenance: Blob | None = None

    @property
    def index_hex(self) -> str:
        return self.index.digest.removeprefix("sha256:")

    @property
    def platforms(self) -> list[BuiltImage]:
        return [c for c in self.children if c.platform != "unknown/unknown"]


def _artifact(subject: Blob, artifact_type: str, layer: Blob) -> tuple[Blob, Blob]:
    """An OCI 1.1 artifact manifest about ``subject``: the empty config, one layer."""
    config = Blob(b"{}", EMPTY_CONFIG)
    doc = {
        "schemaVersion": 2,
        "mediaType": MT_OCI_MANIFEST,
        "artifactType": artifact_type,
        "config": config.descriptor(),
        "layers": [layer.descriptor()],
        "subject": {
            "mediaType": subject.media_type,
            "digest": subject.digest,
            "size": subject.size,
        },
        "annotations": {"org.opencontainers.image.created": "2024-05-01T00:00:00Z"},
    }
    return Blob(json_bytes(doc), MT_OCI_MANIFEST), config


def _image(repository: str) -> tuple[Blob, list[BuiltImage]]:
    children = [
        build_image(
            name=repository,
            platform=platform,
            created="2024-05-01T00:00:00Z",
            labels={"org.opencontainers.image.source": "https://github.com/example/supply"},
            docker=False,
        )
        for platform in ("linux/amd64", "linux/arm64")
    ]
    children.append(build_attestation(repository, "1", children[0]))
    index = Blob(
        json_bytes(
            {
                "schemaVersion": 2,
                "mediaType": MT_OCI_INDEX,
                "manifests": [c.index_entry() for c in children],
            }
        ),
        MT_OCI_INDEX,
    )
    return index, children


def supply_content(repository: str, *, signed: bool = True) -> SupplyContent:
    """The image and, when ``signed``, its signature, SBOM, provenance and tag-schema index."""
    index, children = _image(repository)
    content = SupplyContent(index, children)
    for child in children:
        content.blobs += [child.config, *child.layers]
        content.manifests.append((child.manifest.digest, child.manifest))
    content.manifests.append(("1", index))
    if not signed:
        return content
    payload = json_bytes({"critical": {"image": {"docker-manifest-digest": index.digest}}})
    sig_layer = Blob(payload, SIMPLESIGNING, {"dev.cosignproject.cosign/signature": "MEUCIQ=="})
    sig_config = Blob(
        json_bytes({"architecture": "", "os": "", "rootfs": {}}),
        "application/vnd.oci.image.config.v1+json",
    )
    signature = Blob(
        json_bytes(
            {
                "schemaVersion": 2,
                "mediaType": MT_OCI_MANIFEST,
                "config": sig_config.descriptor(),
                "layers": [sig_layer.descriptor()],
            }
        ),
        MT_OCI_MANIFEST,
    )
    sbom_layer = Blob(json_bytes({"spdxVersion": "SPDX-2.3", "name": repository}), SPDX_TYPE)
    sbom, empty = _artifact(index, SPDX_TYPE, sbom_layer)
    statement = {"_type": "https://in-toto.io/Statement/v1", "predicateType": SLSA_V1}
    prov_layer = Blob(json_bytes(statement), MT_IN_TOTO, {"in-toto.io/predicate-type": SLSA_V1})
    provenance, _ = _artifact(index, MT_IN_TOTO, prov_layer)
    content.blobs += [sig_layer, sig_config, sbom_layer, empty, prov_layer]
    content.manifests += [
        (f"sha256-{content.index_hex}.sig", signature),
        (sbom.digest, sbom),
        (provenance.digest, provenance),
        (f"sha256-{content.index_hex}", Blob(referrers_index([sbom, provenance]), MT_OCI_INDEX)),
    ]
    content.signature, content.sbom, content.provenance = signature, sbom, provenance
    return content


def referrer_descriptor(manifest: Blob) -> dict[str, Any]:
    """A manifest's entry in a referrers index: its artifactType (else its config's media type)
    and annotations (distribution-spec "Listing Referrers")."""
    doc = json.loads(manifest.data)
    return {
        "mediaType": manifest.media_type,
        "digest": manifest.digest,
        "size": manifest.size,
        "artifactType": doc.get("artifactType") or doc["config"]["mediaType"],
        "annotations": doc.get("annotations", {}),
    }


def referrers_index(manifests: list[Blob]) -> bytes:
    entries = [referrer_descriptor(m) for m in manifests]
    return json_bytes({"schemaVersion": 2, "mediaType": MT_OCI_INDEX, "manifests": entries})


def _digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


class ReferrersRegistry:
    """A registry (no auth) for one repository, with the referrers API; see the module."""

    def __init__(self, repository: str = "app", *, api: str = "full", page_size: int = 0):
        self.repository = repository
        self.api = api
        self.page_size = page_size
        self.blobs: dict[str, bytes] = {}
        self.manifests: dict[str, tuple[str, bytes]] = {}
        self.tags: dict[str, str] = {}
        self.lock = threading.Lock()

    def push(self, content: SupplyContent) -> ReferrersRegistry:
        for blob in content.blobs:
            self.blobs[blob.digest] = blob.data
        for reference, manifest in content.manifests:
            schema_tag = reference.startswith("sha256-") and "." not in reference
            if schema_tag and self.api in ("full", "unfiltered"):
                continue  # a registry with the API keeps no tag-schema index
            self.manifests[manifest.digest] = (manifest.media_type, manifest.data)
            if ":" not in reference:
                self.tags[reference] = manifest.digest
        return self

    def referrers_of(self, digest: str) -> list[Blob]:
        found = []
        for media_type, data in self.manifests.values():
            doc = json.loads(data)
            if isinstance(doc.get("subject"), dict) and doc["subject"].get("digest") == digest:
                found.append(Blob(data, media_type))
        return sorted(found, key=lambda b: b.digest)

    def __call__(self, request: Request) -> Response:
        prefix = f"/v2/{self.repository}/"
        if not request.path.startswith(prefix):
            return Response.json(404, {"errors": [{"code": "NAME_UNKNOWN", "message": "no"}]})
        what = request.path.removeprefix(prefix)
        if what.startswith("referrers/"):
            return self._referrers(request, urllib.parse.unquote(what.removeprefix("referrers/")))
        if what.startswith("blobs/") and what[6:] in self.blobs:
            return Response(
                200, (("Content-Type", "application/octet-stream"),), self.blobs[what[6:]]
            )
        if what.startswith("manifests/"):
            return self._manifest(request, what.removeprefix("manifests/"))
        if what == "tags/list":
            return Response.json(200, {"name": self.repository, "tags": sorted(self.tags)})
        return Response.json(404, {"errors": [{"code": "BLOB_UNKNOWN", "message": "no"}]})

    def _manifest(self, request: Request, reference: str) -> Response:
        digest = self.tags.get(reference, reference)
        if digest not in self.manifests:
            return Response.json(404, {"errors": [{"code": "MANIFEST_UNKNOWN", "message": "no"}]})
        media_type, body = self.manifests[digest]
        headers = (("Content-Type", media_type), ("Docker-Content-Digest", _digest(body)))
        if request.method == "HEAD":
            return Response(200, (*headers, ("Content-Length", str(len(body)))))
        return Response(200, headers, body)

    def _referrers(self, request: Request, digest: str) -> Response:
        if self.api == "missing":
            return Response(404, (("Content-Type", "text/plain"),), b"404 page not found\n")
        if self.api == "false200":
            return Response(200, (("Content-Type", "text/html"),), b"<html>registry UI</html>")
        found = [referrer_descriptor(m) for m in self.referrers_of(digest)]
        wanted = request.query.get("artifactType", [""])[0]
        headers: list[tuple[str, str]] = [("Content-Type", MT_OCI_INDEX)]
        if wanted and self.api == "full":
            found = [d for d in found if d["artifactType"] == wanted]
            headers.append(("OCI-Filters-Applied", "artifactType"))
        start = int(request.query.get("page", ["0"])[0])
        size = self.page_size or len(found) or 1
        page = found[start : start + size]
        if start + size < len(found):
            query = urllib.parse.urlencode(
                {**{k: v[0] for k, v in request.query.items()}, "page": start + size}
            )
            headers.append(("Link", f'<{request.path}?{query}>; rel="next"'))
        body = json_bytes({"schemaVersion": 2, "mediaType": MT_OCI_INDEX, "manifests": page})
        return Response(200, tuple(headers), body)
