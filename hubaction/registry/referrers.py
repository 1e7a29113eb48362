"""What refers to an image, looked up (issue 16): the OCI 1.1 referrers API, its tag-schema
fallback, cosign's tags, and the predicate types of attestation manifests.

* ``GET /v2/<name>/referrers/<digest>[?artifactType=]`` answers an image index of referrers,
  paged by ``Link: <...>; rel="next"`` (distribution-spec spec.md, "Listing Referrers"). A
  registry that does not filter says so by leaving out ``OCI-Filters-Applied: artifactType``;
  the client filters then.
* Where the API is missing (404, and the 400/405/406/501 some registries answer instead), or
  answers a 200 that is no image index (sigstore-js#1187), the index under the tag
  ``<alg>-<hex>`` (distribution-spec, "Referrers Tag Schema"), which a pushing client keeps.
* cosign's ``sha256-<hex>.sig`` / ``.att`` / ``.sbom`` tags, by HEAD (sigstore/cosign
  pkg/oci/remote).

Every page, count and fetch is bounded: a registry's answer is hostile until checked.
"""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import quote

from hubaction.errors import HubActionError, InvalidHeader, NotFound, RegistryError
from hubaction.oci.digest import Digest
from hubaction.oci.link import next_link
from hubaction.oci.manifest import ImageIndex
from hubaction.oci.mediatypes import MAX_MANIFEST_BYTES, OCI_INDEX, OCI_MANIFEST
from hubaction.oci.model import ImageInfo
from hubaction.oci.platform import Platform
from hubaction.oci.reference import Reference
from hubaction.oci.referrers import (
    COSIGN_SUFFIXES,
    Attestation,
    NotAReferrersIndex,
    Referrer,
    SupplyChain,
    cosign_tag,
    index_attestations,
    manifest_predicate_types,
    parse_referrers,
    referrers_tag,
)
from hubaction.oci.wire import scrub
from hubaction.registry.answers import check_next_page, content_type, origin_of
from hubaction.registry.client import RegistryClient
from hubaction.registry.errors import check_response
from hubaction.registry.lookup import head_many
from hubaction.registry.transport import read_body

#: Pages of one referrers listing, and referrers in all, before hubaction stops.
MAX_PAGES = 20
MAX_REFERRERS = 500
#: Attestation manifests fetched for their predicate types, per lookup.
MAX_FETCHED = 16
#: Answers that say the referrers API is not there (the spec says 404; others are seen).
_NO_API = frozenset({400, 404, 405, 406, 501})


class _NoApi(Exception):
    """The registry has no referrers API: use the tag schema."""


def _repo(ref: Reference, tag: str) -> Reference:
    return Reference(ref.registry, ref.repository, tag, None)


def _page(
    client: RegistryClient, ref: Reference, path: str, url: str | None, what: str
) -> tuple[bytes, str | None, str | None, str, bool]:
    """One page: body, content type, ``Link``, its URL, whether the filter was applied."""
    with client.request("GET", ref, path, what=what, accept=OCI_INDEX, url=url) as response:
        if response.status_code in _NO_API:
            raise _NoApi
        check_response(response, what=what, registry=ref.registry, repository=ref.repository)
        body = read_body(response, limit=MAX_MANIFEST_BYTES, what=what, registry=ref.registry)
        applied = response.headers.get("OCI-Filters-Applied", "")
        return (
            body,
            content_type(response),
            response.headers.get("Link"),
            response.url,
            "artifacttype" in applied.lower(),
        )


def referrers_api(
    client: RegistryClient, ref: Reference, subject: Digest, artifact_type: str | None = None
) -> tuple[Referrer, ...]:
    """Every referrer of ``subject`` by the API, following its pages. Raises :class:`_NoApi`
    where the API is missing or its first answer is no image index."""
    what = f"referrers of {subject} in {ref.name}"
    path = f"referrers/{subject}"
    if artifact_type:
        path += f"?artifactType={quote(artifact_type, safe='')}"
    found: list[Referrer] = []
    url: str | None = None
    for number in range(MAX_PAGES):
        body, served, link, page_url, filtered = _page(client, ref, path, url, what)
        try:
            page = parse_referrers(body, served, subject=subject, source="api", what=what)
        except NotAReferrersIndex:
            if number == 0:
                raise _NoApi from None  # a false 200 (sigstore-js#1187)
            raise RegistryError(f"{what}: page {number + 1} is not an image index") from None
        if artifact_type and not filtered:
            page = tuple(r for r in page if r.artifact_type == artifact_type)
        found += page
        if len(found) > MAX_REFERRERS:
            raise RegistryError(f"{what}: more than {MAX_REFERRERS} referrers; hubaction stops")
        try:
            following = next_link(link and scrub(link), page_url)  # errors quote its pieces
        except InvalidHeader as exc:
            raise RegistryError(f"{what}: {exc}") from None
        if following is None:
            return tuple(found)
        check_next_page(following, origin_of(client.api_url(ref, path)), what)
        url = following
    raise RegistryError(f"{what}: more than {MAX_PAGES} pages; hubaction stops there")


class NotATagIndex(RegistryError):
    """The ``<alg>-<hex>`` tag holds something other than a referrers index."""


def referrers_tag_index(
    client: RegistryClient, ref: Reference, subject: Digest
) -> tuple[Referrer, ...]:
    """The referrers the ``<alg>-<hex>`` tag's index lists; none when the tag is missing."""
    tagged = _repo(ref, referrers_tag(subject))
    try:
        fetched = client.get_manifest(tagged)
    except NotFound:
        return ()
    what = f"referrers tag {tagged.tag} of {ref.name}"
    try:
        return parse_referrers(
            fetched.body, fetched.media_type, subject=subject, source="tag-schema", what=what
        )
    except NotAReferrersIndex as exc:
        raise NotATagIndex(
            f"{exc}; it is not the referrers index it should be", registry=ref.registry
        ) from None


def list_referrers(
    client: RegistryClient, ref: Reference, subject: Digest, artifact_type: str | None = None
) -> tuple[tuple[Referrer, ...], str]:
    """The referrers of ``subject`` and how they were listed: ``api`` or ``tag-schema``."""
    try:
        return referrers_api(client, ref, subject, artifact_type), "api"
    except _NoApi:
        found = referrers_tag_index(client, ref, subject)
        if artifact_type:
            found = tuple(r for r in found if r.artifact_type == artifact_type)
        return found, "tag-schema"


def cosign_referrers(
    client: RegistryClient, ref: Reference, subjects: Sequence[Digest]
) -> tuple[Referrer, ...]:
    """cosign's ``.sig``, ``.att`` and ``.sbom`` tags of ``subjects``, by HEAD (concurrently);
    a missing tag is no referrer, any other failure is the lookup's."""
    wanted = [(s, suffix) for s in subjects for suffix in COSIGN_SUFFIXES]
    failures: list[HubActionError] = []

    def failed(_ref: Reference, exc: HubActionError) -> None:
        if not isinstance(exc, NotFound):
            failures.append(exc)

    heads = head_many(client, [_repo(ref, cosign_tag(s, x)) for s, x in wanted], on_error=failed)
    if failures:
        raise failures[0]
    return tuple(
        Referrer(
            subject=subject,
            digest=head.digest,
            media_type=head.media_type or OCI_MANIFEST,
            artifact_type=None,
            size=head.size or 0,
            annotations={},
            source="cosign",
            cosign=suffix,
        )
        for (subject, suffix), head in zip(wanted, heads, strict=True)
        if head is not None
    )


class _Fetcher:
    """Predicate types of attestation manifests, each fetched (verified) once, at most
    :data:`MAX_FETCHED` in all; beyond that ``None`` (not looked up)."""

    def __init__(self, client: RegistryClient, ref: Reference) -> None:
        self.client, self.ref = client, ref
        self.fetched: dict[Digest, tuple[str, ...]] = {}
        self.skipped = 0

    def types(self, digest: Digest) -> tuple[str, ...] | None:
        if digest in self.fetched:
            return self.fetched[digest]
        if len(self.fetched) >= MAX_FETCHED:
            self.skipped += 1
            return None
        manifest = self.client.get_manifest(self.ref, digest).manifest
        self.fetched[digest] = manifest_predicate_types(manifest)
        return self.fetched[digest]


def _referrer_attestations(
    referrers: Sequence[Referrer], platforms: dict[Digest, Platform | None], fetch: _Fetcher
) -> list[Attestation]:
    found = []
    for r in referrers:
        if r.kind != "attestation":
            continue
        types = r.predicate_hints or fetch.types(r.digest)
        found.append(Attestation(r.subject, r.digest, r.source, platforms.get(r.subject), types))
    return found


def supply_chain(client: RegistryClient, info: ImageInfo) -> SupplyChain:
    """Everything that refers to the image and to its chosen platform's manifest: referrers
    (API, else tag schema), cosign tags, and the predicate types of every attestation."""
    ref = info.reference
    subjects = list(dict.fromkeys([info.digest, info.platform_digest]))
    referrers: list[Referrer] = []
    listed: set[str] = set()
    notes: list[str] = []
    for subject in subjects:
        try:
            found, how = list_referrers(client, ref, subject)
        except NotATagIndex as exc:
            # Optional work: a tag of that name holding something else (pushed by hand, or
            # by another tool) hides only its referrers; the lookup stands, and says so.
            found, how = (), "tag-schema"
            notes.append(f"{exc}: its referrers are left out")
        referrers += found
        listed.add(how)
    referrers += cosign_referrers(client, ref, subjects)
    platforms: dict[Digest, Platform | None] = {e.digest: e.platform for e in info.entries}
    platforms.setdefault(info.platform_digest, info.platform)
    fetch = _Fetcher(client, ref)
    index = info.index
    attestations = [
        Attestation(a.subject, a.digest, a.source, a.platform, fetch.types(a.digest))
        for a in (index_attestations(index) if isinstance(index, ImageIndex) else ())
    ]
    attestations += _referrer_attestations(referrers, platforms, fetch)
    if fetch.skipped:
        notes.append(
            f"{fetch.skipped} attestation manifests beyond the first {MAX_FETCHED} were "
            "not fetched; their predicate types are not known"
        )
    return SupplyChain(
        tuple(attestations),
        tuple(referrers),
        listed_by="api" if "api" in listed else "tag-schema",
        notes=tuple(notes),
    )
