"""A registry with the quirks of the real ones (issue 15 §4), one switch per quirk.

:class:`QuirkRegistry` is a :class:`~fakes.server.FakeServer` serving one repository,
``quirks/app``: ``multi`` (an OCI index of linux/amd64 and linux/arm64), ``single`` (a Docker
v2 linux/amd64 image) and :data:`TAG_COUNT` tags in all (:func:`many_tag_names`, on
``single``). Without switches it is the spec's registry (distribution 3): ``n`` and ``last``
honoured, a ``Link`` on every page but the last, tags in lexical order, the stored manifest
whatever ``Accept`` says. Each field of :class:`Quirks` turns on one real registry's way,
described and cited in its docstring; the tests run every one against the plain registry.
"""

from __future__ import annotations

import bisect
import hashlib
import json
from dataclasses import dataclass, fields
from typing import Any

from registryfixtures.content import (
    MT_OCI_INDEX,
    Blob,
    BuiltImage,
    build_image,
    json_bytes,
    many_tag_names,
)

from fakes.server import FakeServer, Request, Response

REPOSITORY = "quirks/app"
TAG_COUNT = 1_500
SCHEMA1 = "application/vnd.docker.distribution.manifest.v1+prettyjws"
PULP_404 = (
    b'<!doctype html>\n<html lang="en">\n<head>\n  <title>Not Found</title>\n</head>\n'
    b"<body>\n  <h1>Not Found</h1><p>The requested resource was not found on this server.</p>"
    b"\n</body>\n</html>\n"
)


@dataclass(frozen=True)
class Quirks:
    """Which quirks are on (all off: the plain registry)."""

    no_link: bool = False
    """Honours ``n`` and ``last`` but never sends ``Link``: go-containerregistry's
    ``pkg/registry`` (``crane registry serve``), seen here (issue 15; registry notes)."""

    ignores_paging: bool = False
    """Ignores ``n`` and ``last``: every tag in one answer, no ``Link``: distribution 2.8
    (registry notes: "Distribution 2.8 ignores n and last")."""

    quay_clamp: bool = False
    """Clamps ``n`` to 100 silently, with a ``Link`` (go-containerregistry#1963, kargo#2186,
    deitch/docker_registry2#107)."""

    quay_413: bool = False
    """``n`` over 100 answers 413 ``TOO_MANY_TAGS_REQUESTED`` "max is 100", as quay.io did in
    June 2024 (go-containerregistry#1963, quay/quay#2884)."""

    ecr_405: bool = False
    """``n`` over 1000 answers 405; pages of at most 1000 (renovate#3800,
    go-containerregistry#1091)."""

    ghcr_order: bool = False
    """Tags oldest first (push order, not lexical), paged by ``Link`` (renovate#36103)."""

    nexus_group: bool = False
    """A Nexus group repository: honours ``n`` and ``last``, sends no ``Link``
    (sonatype/nexus-public#117, #209)."""

    nexus_proxy: bool = False
    """A Nexus proxy repository: an absolute ``Link`` with the ``/repository/<name>/`` prefix,
    which the Docker connector answers 400 (sonatype/nexus-public#1011, #209)."""

    artifactory: bool = False
    """Artifactory: the ``Link`` drops the virtual repository's part of the name, and its
    ``last`` is an offset, not a tag (renovate#20745, #35917, #15080)."""

    gar_manifest_map: bool = False
    """GCR/GAR: no paging (every tag at once, no ``Link``) and a ``manifest`` map and ``child``
    list in the tag list (go-containerregistry#897)."""

    text_plain: bool = False
    """``text/plain`` Content-Type on tag lists, blobs and errors: go-containerregistry's
    registry (registry notes)."""

    accept_404: bool = False
    """404 ``MANIFEST_UNKNOWN`` when ``Accept`` lacks the stored type: distribution and Pulp
    (registry notes: "without one, an OCI index answers 404")."""

    nexus_type: bool = False
    """Answers an ``Accept`` of several types with a type not asked for (schema 1), and only a
    single-type ``Accept`` with the stored manifest: Nexus (aixigo/PREvant#44, NEXUS-24124)."""

    head_404: bool = False
    """HEAD of a manifest answers 404 while GET returns it: Nexus (crazy-max/diun#1614)."""

    sparse_index: bool = False
    """The index lists a platform manifest (linux/arm64) the registry does not hold: Quay's
    sparse manifest lists (quay/quay ``FEATURE_SPARSE_INDEX``)."""

    anonymous_401: bool = False
    """An anonymous request for a missing repository answers 401, as Docker Hub, Harbor and
    Pulp do (registry notes: "anonymous access to a missing repository answers 401")."""

    html_errors: bool = False
    """Errors as an HTML page: Pulp's Django 404 (registry notes: "an HTML 404")."""


SWITCHES = tuple(f.name for f in fields(Quirks))


def _images() -> tuple[BuiltImage, BuiltImage, BuiltImage, Blob]:
    common: dict[str, Any] = {"name": "quirks", "created": "2024-01-02T03:04:05Z", "labels": {}}
    amd64 = build_image(platform="linux/amd64", docker=False, **common)
    arm64 = build_image(platform="linux/arm64", docker=False, **common)
    single = build_image(platform="linux/amd64", docker=True, layer_count=2, **common)
    index = {
        "schemaVersion": 2,
        "mediaType": MT_OCI_INDEX,
        "manifests": [amd64.index_entry(), arm64.index_entry()],
    }
    return amd64, arm64, single, Blob(json_bytes(index), MT_OCI_INDEX)


def _digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


class QuirkRegistry(FakeServer):
    """The registry, with ``quirks`` on; ``tag_count`` tags (``multi`` and ``single`` first,
    in push order); pages of at most ``max_page`` tags."""

    def __init__(
        self, quirks: Quirks | None = None, *, tag_count: int = TAG_COUNT, max_page: int = 0
    ) -> None:
        super().__init__(self.handle)
        self.quirks = quirks or Quirks()
        #: The registry's own largest page, with a Link (Pulp: 1000; 0: no limit).
        self.max_page = max_page
        amd64, arm64, single, index = _images()
        self.amd64, self.arm64, self.single, self.index = amd64, arm64, single, index
        self.manifests = {m.digest: m for m in (amd64.manifest, arm64.manifest, single.manifest)}
        self.manifests[index.digest] = index
        if self.quirks.sparse_index:
            del self.manifests[arm64.manifest.digest]
        self.blobs = {i.config.digest: i.config for i in (amd64, arm64, single)}
        names = [t for t in many_tag_names(tag_count + 2) if t not in ("multi", "single")]
        self.pushed = ("multi", "single", *names[: tag_count - 2])
        self.lexical = tuple(sorted(self.pushed))
        self.tags = {t: single.manifest.digest for t in self.pushed}
        self.tags["multi"] = index.digest

    # -- routing ------------------------------------------------------------------------------

    def handle(self, request: Request) -> Response:
        path = request.path
        prefix = f"/v2/{REPOSITORY}/"
        if path == "/v2/":
            return Response(200, (("Content-Type", "application/json"),), b"{}")
        if path.startswith("/repository/"):  # the Nexus proxy's prefix, not on this port
            return self.error(400, "BAD_REQUEST", "not a Docker API path")
        if not path.startswith(prefix):
            if self.quirks.anonymous_401 and not request.header("Authorization"):
                return self.error(401, "UNAUTHORIZED", "authentication required").with_headers(
                    [("WWW-Authenticate", 'Basic realm="quirks"')]
                )
            return self.error(404, "NAME_UNKNOWN", "repository name not known to registry")
        rest = path[len(prefix) :]
        if rest == "tags/list":
            return self.tag_list(request)
        kind, _, name = rest.partition("/")
        if kind == "manifests":
            return self.manifest(request, name)
        if kind == "blobs" and name in self.blobs:
            blob = self.blobs[name]
            return Response(200, (("Content-Type", self._type(blob.media_type)),), blob.data)
        return self.error(404, "BLOB_UNKNOWN", "blob unknown to registry")

    def _type(self, media_type: str) -> str:
        return "text/plain; charset=utf-8" if self.quirks.text_plain else media_type

    def error(self, status: int, code: str, message: str) -> Response:
        """An error answer: OCI JSON, else as the switches say."""
        if self.quirks.html_errors:
            return Response(status, (("Content-Type", "text/html; charset=utf-8"),), PULP_404)
        body = json.dumps({"errors": [{"code": code, "message": message}]}).encode()
        return Response(status, (("Content-Type", self._type("application/json")),), body)

    # -- tags ---------------------------------------------------------------------------------

    def tag_list(self, request: Request) -> Response:
        q = self.quirks
        order = self.pushed if q.ghcr_order else self.lexical
        asked = request.query.get("n", [""])[0]
        last = request.query.get("last", [""])[0]
        n = int(asked) if asked.isdigit() else len(order)
        if q.quay_413 and n > 100:
            message = f"Too many tags requested; requested limit {n} is too high, max is 100"
            return self.error(413, "TOO_MANY_TAGS_REQUESTED", message)
        if q.ecr_405 and n > 1000:
            return self.error(405, "UNSUPPORTED", "n must be at most 1000")
        if q.ignores_paging or q.gar_manifest_map:
            return self._tag_page(order, None)
        size = min(n, 100) if q.quay_clamp else min(n, 1000) if q.ecr_405 else n
        size = min(size, self.max_page or size)
        start = self._start(order, last)
        page = order[start : start + size]
        more = start + size < len(order) and not (q.no_link or q.nexus_group)
        return self._tag_page(page, self._link(page, start + size, size) if more else None)

    def _start(self, order: tuple[str, ...], last: str) -> int:
        if not last:
            return 0
        if self.quirks.artifactory and last.isdigit():
            return int(last)  # Artifactory's `last` is an offset
        if order is self.lexical:
            return bisect.bisect_right(order, last)
        return order.index(last) + 1 if last in order else len(order)

    def _link(self, page: tuple[str, ...], end: int, size: int) -> str:
        q = self.quirks
        last = page[-1]
        if q.artifactory:
            short = REPOSITORY.split("/", 1)[1]  # the virtual repository's part dropped
            return f'</v2/{short}/tags/list?last={end}&n={size}>; rel="next"'
        target = f"/v2/{REPOSITORY}/tags/list?n={size}&last={last}"
        if q.nexus_proxy:
            return f'<{self.url}/repository/docker-proxy{target}>; rel="next"'
        return f'<{target}>; rel="next"'

    def _tag_page(self, tags: tuple[str, ...], link: str | None) -> Response:
        doc: dict[str, Any] = {"name": REPOSITORY, "tags": list(tags)}
        if self.quirks.gar_manifest_map:
            doc["child"] = []
            doc["manifest"] = {
                digest: {"mediaType": m.media_type, "tag": [], "imageSizeBytes": str(m.size)}
                for digest, m in self.manifests.items()
            }
        headers = [("Content-Type", self._type("application/json"))]
        if link is not None:
            headers.append(("Link", link))
        return Response(200, tuple(headers), json.dumps(doc).encode())

    # -- manifests ----------------------------------------------------------------------------

    def manifest(self, request: Request, name: str) -> Response:
        q = self.quirks
        digest = name if name.startswith("sha256:") else self.tags.get(name)
        stored = self.manifests.get(digest or "")
        if stored is None or (q.head_404 and request.method == "HEAD"):
            return self.error(404, "MANIFEST_UNKNOWN", "manifest unknown")
        accepted = [t.split(";")[0].strip() for t in request.header("Accept").split(",")]
        accepted = [t for t in accepted if t]
        if q.nexus_type and len(accepted) > 1:
            return self._schema1(name)
        if q.accept_404 and stored.media_type not in accepted:
            return self.error(404, "MANIFEST_UNKNOWN", "manifest unknown")
        headers = (("Content-Type", stored.media_type), ("Docker-Content-Digest", stored.digest))
        return Response(200, headers, stored.data)

    def _schema1(self, name: str) -> Response:
        body = json_bytes(
            {"schemaVersion": 1, "name": REPOSITORY, "tag": name, "fsLayers": [], "history": []}
        )
        return Response(
            200, (("Content-Type", SCHEMA1), ("Docker-Content-Digest", _digest(body))), body
        )

    # -- what the tests compare ---------------------------------------------------------------

    @property
    def single_digest(self) -> str:
        return self.single.manifest.digest

    @property
    def index_digest(self) -> str:
        return self.index.digest
