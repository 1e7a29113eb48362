"""A client for the Registry HTTP API v2 / OCI distribution spec: manifests, blobs, tags.

Round trips are the cost of a CI step, so every call makes the fewest requests the protocol
allows: no ``/v2/`` ping (a request's own 401 carries the challenge), a HEAD where only the
digest is wanted (Docker Hub counts a GET as a pull, a HEAD not), and one pooled connection per
host through the run's single ``requests.Session``.

Every manifest and blob body is verified against the digest asked for and the
``Docker-Content-Digest`` header before it is believed (OCI distribution spec, "Pulling
manifests": clients SHOULD verify).
"""

from __future__ import annotations

import functools
import json
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, suppress
from typing import TypedDict, TypeVar
from urllib.parse import urljoin, urlsplit

import requests

from hubaction.errors import (
    CorruptBody,
    DigestMismatch,
    HubActionError,
    InvalidHeader,
    Kind,
    NotFound,
    RegistryError,
)
from hubaction.oci.challenge import next_link
from hubaction.oci.manifest import compute_digest, parse_manifest, verify_digest
from hubaction.oci.mediatypes import ACCEPT, MAX_CONFIG_BYTES, MAX_MANIFEST_BYTES
from hubaction.oci.model import FetchedManifest, ManifestHead, parse_ratelimit
from hubaction.oci.reference import Digest, Reference, is_loopback_host, parse_digest
from hubaction.registry.auth import RegistryAuth, pull_scope
from hubaction.registry.credentials import CredentialStore
from hubaction.registry.errors import check_response, error_for, network_error
from hubaction.registry.transport import new_session, read_body, redact_url

T = TypeVar("T")

MAX_REDIRECTS = 5
# Ask for large pages: the distribution registry ignores `n` and answers everything at once,
# others (ECR, GAR, Harbor) cap pages at 1000; more per page is fewer round trips.
TAGS_PAGE_SIZE = 1000
MAX_TAG_PAGES = 1000
MAX_TAGS = 200_000
MAX_TAG_PAGE_BYTES = 32 * 1024 * 1024


class _Where(TypedDict):
    registry: str
    repository: str


def _where(ref: Reference) -> _Where:
    """The fields naming ``ref``'s repository in an error (``error_for``'s context)."""
    return {"registry": ref.registry, "repository": ref.repository}


def _content_type(response: requests.Response) -> str | None:
    value = response.headers.get("Content-Type")
    return value.split(";", 1)[0].strip() if value else None


def _header_digest(response: requests.Response, what: str) -> Digest | None:
    value = response.headers.get("Docker-Content-Digest")
    if not value:
        return None
    try:
        return parse_digest(value.strip())
    except ValueError:
        raise RegistryError(
            f"{what}: the registry sent an invalid Docker-Content-Digest header {value[:100]!r}"
        ) from None


class RegistryClient:
    """Registry API calls for any registry; auth, redirects and verification built in."""

    def __init__(
        self,
        session: requests.Session,
        auth: RegistryAuth,
        *,
        insecure_registries: frozenset[str] = frozenset(),
        debug: Callable[[str], None] = lambda _line: None,
        max_tag_pages: int = MAX_TAG_PAGES,
        max_tags: int = MAX_TAGS,
    ) -> None:
        self.session = session
        self.auth = auth
        self._insecure = insecure_registries
        self._debug = debug
        self._max_tag_pages = max_tag_pages
        self._max_tags = max_tags
        self._schemes: dict[str, str] = {}
        self._lock = threading.Lock()
        self.requests_sent = 0

    # -- plumbing -------------------------------------------------------------------------

    def _is_insecure(self, ref: Reference) -> bool:
        return ref.registry in self._insecure

    def _scheme(self, ref: Reference) -> str:
        with self._lock:
            known = self._schemes.get(ref.registry)
        if known:
            return known
        # Loopback registries speak plain HTTP (as Docker treats 127.0.0.0/8 as insecure).
        return "http" if is_loopback_host(ref.hostname) else "https"

    def _url(self, ref: Reference, path: str) -> str:
        return f"{self._scheme(ref)}://{ref.api_host}/v2/{ref.repository}/{path}"

    def _send(
        self,
        method: str,
        url: str,
        *,
        headers: Mapping[str, str],
        verify: bool | None,
        what: str,
        raw_errors: bool = False,
    ) -> requests.Response:
        """Send one request; network failures become RegistryError unless ``raw_errors``."""
        self._debug(f"{method} {redact_url(url)}")
        with self._lock:
            self.requests_sent += 1
        try:
            return self.session.request(
                method,
                url,
                headers=dict(headers),
                allow_redirects=False,
                stream=True,
                verify=verify,
            )
        except requests.RequestException as exc:
            if raw_errors:
                raise
            raise network_error(exc, what=what, url=url) from None

    @contextmanager
    def request(
        self,
        method: str,
        ref: Reference,
        path: str,
        *,
        what: str,
        accept: str | None = None,
        url: str | None = None,
    ) -> Iterator[requests.Response]:
        """Send ``method`` for ``path`` of ``ref``'s repository, with auth and redirects.

        Yields the final response (any status: the caller checks it). Redirects are followed
        by hand so that Authorization is dropped whenever the host changes (blob storage such
        as S3 or a CDN must never see the registry's token) and never downgraded to HTTP.
        """
        scope = pull_scope(ref.repository)
        insecure = self._is_insecure(ref)
        target = url or self._url(ref, path)
        base_headers = {"Accept": accept} if accept else {}

        def send(to: str, *, raw_errors: bool = False) -> requests.Response:
            auth = self.auth.headers(ref.registry, scope, to)
            return self._send(
                method,
                to,
                headers={**base_headers, **auth},
                verify=False if insecure else None,
                what=what,
                raw_errors=raw_errors,
            )

        try:
            response = send(
                target, raw_errors=insecure and url is None and ref.registry not in self._schemes
            )
        except requests.RequestException:
            # `insecure`: the registry may not speak TLS at all. Fall back to plain HTTP once,
            # on the request itself (no extra ping), and remember it for the run.
            with self._lock:
                self._schemes[ref.registry] = "http"
            self._debug(f"{ref.registry}: HTTPS failed; insecure registry, using plain HTTP")
            target = self._url(ref, path)
            response = send(target)
        if insecure:
            with self._lock:
                self._schemes.setdefault(ref.registry, urlsplit(target).scheme)
        if response.status_code == 401 and self.auth.challenge(ref.registry, scope, response):
            release(response)
            response = send(target)
        origin = urlsplit(target)
        hops = 0
        while response.is_redirect and "Location" in response.headers:
            hops += 1
            if hops > MAX_REDIRECTS:
                release(response)
                raise RegistryError(f"{what}: more than {MAX_REDIRECTS} redirects")
            location = urljoin(response.url, response.headers["Location"])
            release(response)
            parts = urlsplit(location)
            if parts.scheme == "http" and origin.scheme == "https" and not insecure:
                raise RegistryError(
                    f"{what}: the registry redirected from HTTPS to plain HTTP "
                    f"({parts.netloc}); refusing"
                )
            if parts.netloc == origin.netloc and parts.scheme == origin.scheme:
                response = send(location)
            else:  # another host (blob storage, a CDN): never the registry's credentials
                response = self._send(
                    method,
                    location,
                    headers=base_headers,
                    verify=False if insecure else None,
                    what=what,
                )
        try:
            yield response
        finally:
            release(response)

    # -- manifests ------------------------------------------------------------------------

    def head_manifest(self, ref: Reference) -> ManifestHead:
        """The digest ``ref`` points to, by HEAD; by GET when HEAD cannot tell."""
        what = f"manifest of {ref}"
        with self.request(
            "HEAD", ref, f"manifests/{ref.identifier()}", what=what, accept=ACCEPT
        ) as response:
            status = response.status_code
            # Some registries refuse HEAD (405) or forbid it for anonymous users (403, seen on
            # some ECR and Artifactory setups), or omit the digest header: ask with GET.
            if status in (403, 405):
                digest = None
            else:
                if status == 404:
                    raise self._not_found(ref)
                check_response(response, what=what, body=b"", **_where(ref))
                digest = _header_digest(response, what)
            if digest is not None:
                if ref.digest is not None and digest != ref.digest:
                    raise DigestMismatch(
                        f"{what}: the registry says the manifest is {digest}, but {ref.digest} "
                        "was asked for; the registry is misbehaving"
                    )
                length = response.headers.get("Content-Length")
                return ManifestHead(
                    digest=digest,
                    media_type=_content_type(response),
                    size=int(length) if length and length.isdigit() else None,
                    ratelimit=parse_ratelimit(response.headers),
                )
        fetched = self.get_manifest(ref)
        return ManifestHead(
            digest=fetched.digest,
            media_type=fetched.media_type,
            size=len(fetched.body),
            ratelimit=fetched.ratelimit,
        )

    def _not_found(self, ref: Reference) -> NotFound:
        # Kind.TAG for a digest too: either way the repository exists and the name does not.
        name = "digest" if ref.tag is None else "tag"
        return NotFound(
            f"{ref.familiar}: {name} {ref.identifier()!r} not found in "
            f"{ref.registry}/{ref.repository}",
            kind=Kind.TAG,
            status=404,
            **_where(ref),
        )

    def get_manifest(self, ref: Reference, digest: Digest | None = None) -> FetchedManifest:
        """GET the manifest of ``ref`` (or of ``digest`` in its repository), verified.

        A truncated, malformed or mismatching body is fetched once more, then reported:
        never believed.
        """
        return _once_more(lambda: self._get_manifest(ref, digest), self._debug)

    def _get_manifest(self, ref: Reference, digest: Digest | None) -> FetchedManifest:
        target = ref.with_digest(digest) if digest is not None else ref
        wanted = target.digest
        what = f"manifest of {target}" if digest is None else f"manifest {digest} of {ref.name}"
        with self.request(
            "GET", target, f"manifests/{target.identifier()}", what=what, accept=ACCEPT
        ) as response:
            if response.status_code == 404:
                error = error_for(response, what=what, **_where(ref))
                if error.kind is Kind.REPOSITORY:
                    raise error
                raise self._not_found(target) from error
            check_response(response, what=what, **_where(ref))
            body = read_body(response, limit=MAX_MANIFEST_BYTES, what=what)
            header = _header_digest(response, what)
            content_type = _content_type(response)
            ratelimit = parse_ratelimit(response.headers)
        # Hash with the algorithm of what was asked for, else of the header, else sha256.
        algorithm = (wanted or header or Digest("sha256", "0" * 64)).algorithm
        actual = compute_digest(body, algorithm)
        for expected in (wanted, header):
            if expected is not None:
                verify_digest(body, expected, what=what)
        manifest = parse_manifest(body, content_type, what=what)
        return FetchedManifest(
            digest=actual,
            media_type=manifest.media_type,
            body=body,
            manifest=manifest,
            ratelimit=ratelimit,
        )

    # -- blobs ----------------------------------------------------------------------------

    def get_blob(self, ref: Reference, digest: Digest, *, limit: int = MAX_CONFIG_BYTES) -> bytes:
        """A (small) blob such as an image config, verified against ``digest`` (once more on a
        corrupt body)."""
        return _once_more(lambda: self._get_blob(ref, digest, limit), self._debug)

    def _get_blob(self, ref: Reference, digest: Digest, limit: int) -> bytes:
        what = f"blob {digest} of {ref.name}"
        with self.request("GET", ref, f"blobs/{digest}", what=what) as response:
            check_response(response, what=what, **_where(ref))
            body = read_body(response, limit=limit, what=what)
        verify_digest(body, digest, what=what)
        return body

    # -- tags -----------------------------------------------------------------------------

    def repository_exists(self, ref: Reference) -> bool | None:
        """Whether ``ref``'s repository exists: one tag-list request for one tag. ``None`` when
        the registry will not say (Docker Hub answers 401 for missing and private alike)."""
        what = f"repository {ref.name}"
        url = f"{self._url(ref, 'tags/list')}?n=1"
        try:
            with self.request("GET", ref, "tags/list", what=what, url=url) as response:
                if response.status_code == 404:
                    return error_for(response, what=what).kind is not Kind.REPOSITORY
                return True if response.ok else None
        except HubActionError:
            return None

    def _tag_page(self, ref: Reference, url: str, what: str) -> tuple[list[str], str | None, str]:
        """One page of tags: its tags, its ``Link`` header, and its URL (for relative links)."""
        with self.request("GET", ref, "tags/list", what=what, url=url) as response:
            if response.status_code == 404:
                answer = error_for(response, what=what, **_where(ref))
                raise NotFound(
                    f"{ref.registry}/{ref.repository}: the repository does not exist or "
                    "has no tags (404)",
                    kind=Kind.REPOSITORY,
                    status=404,
                    details=answer.details,
                    **_where(ref),
                ) from answer
            check_response(response, what=what, **_where(ref))
            body = read_body(response, limit=MAX_TAG_PAGE_BYTES, what=what)
            link = response.headers.get("Link")
            page_url = response.url
        return _tags_from_page(body, what), link, page_url

    def list_tags(self, ref: Reference) -> list[str]:
        """Every tag of ``ref``'s repository, following ``Link: <...>; rel="next"`` pages."""
        what = f"tags of {ref.name}"
        url = f"{self._url(ref, 'tags/list')}?n={TAGS_PAGE_SIZE}"
        origin = urlsplit(url).netloc
        tags: list[str] = []
        seen: set[str] = set()
        for _page in range(self._max_tag_pages):
            # A truncated or malformed page is fetched once more, like a manifest (CorruptBody).
            page_tags, link, page_url = _once_more(
                functools.partial(self._tag_page, ref, url, what), self._debug
            )
            for tag in page_tags:
                if tag not in seen:
                    seen.add(tag)
                    tags.append(tag)
            if len(tags) > self._max_tags:
                raise RegistryError(
                    f"{what}: more than {self._max_tags} tags; hubaction stops there. Narrow "
                    "the lookup or clean up the repository's tags"
                )
            try:
                following = next_link(link, page_url)
            except InvalidHeader as exc:
                raise RegistryError(f"{what}: {exc}") from None
            if following is None:
                return tags
            if urlsplit(following).netloc != origin:
                raise RegistryError(
                    f"{what}: the registry's next page points to another host "
                    f"({urlsplit(following).netloc}); refusing to follow it"
                )
            url = following
        raise RegistryError(
            f"{what}: more than {self._max_tag_pages} pages of tags; hubaction stops there so a "
            "misbehaving registry cannot loop forever"
        )


def _once_more(fetch: Callable[[], T], debug: Callable[[str], None]) -> T:
    """Run ``fetch``; on a corrupt body run it once more (a flaky proxy or connection), and
    report the second failure."""
    try:
        return fetch()
    except CorruptBody as exc:
        debug(f"corrupt answer, retrying once: {exc}")
    return fetch()


def release(response: requests.Response) -> None:
    """Done with ``response``: return its connection to the pool when that is cheap.

    ``Response.close()`` on a body that was not read (a HEAD, a 401 before the retry) closes
    the connection, and the next request pays a new TCP (and TLS) handshake. Reading the rest
    of a small body instead keeps the one connection per host alive.
    """
    if response.request is not None and response.request.method == "HEAD":
        small = True
    else:
        length = response.headers.get("Content-Length", "")
        small = length.isascii() and length.isdigit() and int(length) <= 65536
    if small:
        with suppress(Exception):  # any failure: fall back to closing
            response.raw.drain_conn()
            response.raw.release_conn()
            return
    response.close()


def _tags_from_page(body: bytes, what: str) -> list[str]:
    try:
        doc = json.loads(body)
    except (UnicodeDecodeError, ValueError, RecursionError):
        # Malformed (cut or garbled on the way): worth the one retry a corrupt body gets.
        raise CorruptBody(f"{what}: the tag list is not JSON") from None
    if not isinstance(doc, dict):
        raise RegistryError(f"{what}: the tag list is not a JSON object")
    tags = doc.get("tags")
    # An empty repository answers "tags": null on the distribution registry.
    if tags is None:
        return []
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        raise RegistryError(f"{what}: `tags` is not a list of strings")
    return list(tags)


def open_client(
    credentials: CredentialStore | None = None,
    *,
    insecure_registries: frozenset[str] = frozenset(),
    on_secret: Callable[[str], None] = lambda _secret: None,
    debug: Callable[[str], None] = lambda _line: None,
    session: requests.Session | None = None,
) -> RegistryClient:
    """A client with the run's one session and auth; ``on_secret`` is told every token."""
    session = session or new_session()
    auth = RegistryAuth(
        session,
        credentials,
        insecure_registries=insecure_registries,
        on_secret=on_secret,
        debug=debug,
    )
    return RegistryClient(session, auth, insecure_registries=insecure_registries, debug=debug)
