"""A client for the Registry HTTP API v2 / OCI distribution spec: manifests, blobs, tags.

Every call makes the fewest round trips: no ``/v2/`` ping (a request's own 401 carries the
challenge), a HEAD where only the digest is wanted (Docker Hub counts a GET as a pull), one
pooled connection per host. Every body is verified against the digest asked for and the
``Docker-Content-Digest`` header (distribution spec, "Pulling manifests") before it is believed.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
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
    Service,
)
from hubaction.oci.link import next_link
from hubaction.oci.manifest import compute_digest, parse_manifest, verify_digest
from hubaction.oci.mediatypes import ACCEPT, MAX_CONFIG_BYTES, MAX_MANIFEST_BYTES
from hubaction.oci.model import FetchedManifest, ManifestHead, parse_ratelimit
from hubaction.oci.reference import Digest, Reference, is_loopback_host
from hubaction.oci.tags import TagList, parse_tag_list
from hubaction.oci.wire import decimal_count, scrub
from hubaction.registry.answers import check_next_page, content_type, header_digest, origin_of
from hubaction.registry.auth import RegistryAuth, Reply, TokenRequest, pull_scope
from hubaction.registry.credentials import CredentialStore
from hubaction.registry.errors import check_response, error_for, network_error
from hubaction.registry.transport import (
    DEFAULT_RETRY_BUDGET,
    DEFAULT_TIMEOUT,
    new_session,
    read_body,
    redact_url,
    refuse_plain_http_credentials,
    release,
)

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


@dataclass(frozen=True)
class _Call:
    """One logical registry request: what its hops (fallback, retry, redirects) share."""

    method: str
    ref: Reference
    path: str
    what: str
    accept: str | None
    insecure: bool

    @property
    def scope(self) -> str:
        return pull_scope(self.ref.repository)


class RegistryClient:
    """Registry API calls for any registry; auth, redirects and verification built in.

    :meth:`request` composes small handlers, outermost first (as go-containerregistry's
    ``transport``: schemer, bearer/basic, redirects): :meth:`_with_scheme` (``insecure``:
    HTTPS, then plain HTTP once), :meth:`_authorized` (the auth flow: one challenge, one
    retry), :meth:`_follow_redirects` (the redirect policy) and :meth:`_send` (the wire).
    """

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

    def _scheme(self, ref: Reference) -> str:
        with self._lock:
            known = self._schemes.get(ref.registry)
        if known:
            return known
        # Loopback registries speak plain HTTP (as Docker treats 127.0.0.0/8 as insecure).
        return "http" if is_loopback_host(ref.hostname) else "https"

    def _url(self, ref: Reference, path: str) -> str:
        return f"{self._scheme(ref)}://{ref.api_host}/v2/{ref.repository}/{path}"

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
        """Send ``method`` for ``path`` of ``ref``'s repository (or to ``url``, a page link),
        with auth and redirects. Yields the final response, any status: the caller checks it.
        """
        call = _Call(method, ref, path, what, accept, ref.registry in self._insecure)
        response, origin = self._with_scheme(call, url)
        response = self._follow_redirects(call, response, origin)
        try:
            yield response
        finally:
            release(response)

    def _with_scheme(self, call: _Call, url: str | None) -> tuple[requests.Response, str]:
        """The scheme handler: the answer and the URL it came from. ``insecure``: the registry
        may not speak TLS; fall back to plain HTTP once, on the request itself (no ping), and
        remember the scheme that worked for the run."""
        registry = call.ref.registry
        target = url or self._url(call.ref, call.path)
        if not (call.insecure and url is None and registry not in self._schemes):
            return self._authorized(call, target), target
        try:
            response = self._authorized(call, target, raw_errors=True)
        except requests.RequestException:
            with self._lock:
                self._schemes[registry] = "http"
            self._debug(f"{registry}: HTTPS failed; insecure registry, using plain HTTP")
            target = self._url(call.ref, call.path)
            response = self._authorized(call, target)
        with self._lock:
            self._schemes.setdefault(registry, urlsplit(target).scheme)
        return response, target

    def _authorized(self, call: _Call, url: str, *, raw_errors: bool = False) -> requests.Response:
        """The auth handler: drive :meth:`AuthFlow.request` for ``url``. Token requests go to
        the realm, attempts to the wire (``raw_errors`` for the first); the last answer is
        returned, earlier ones released."""
        flow = self.auth.flow.request(call.ref.registry, call.scope, url)
        response: requests.Response | None = None
        try:
            step = next(flow)
            while True:
                if isinstance(step, TokenRequest):
                    reply = self.auth.fetch(step)
                else:
                    if response is not None:
                        release(response)  # a 401 before the retry
                    response = None
                    response = self._send(call, url, step.headers, raw_errors=raw_errors)
                    raw_errors = False  # only the first attempt may fall back to plain HTTP
                    reply = Reply(response.status_code, response.headers.get("WWW-Authenticate"))
                step = flow.send(reply)
        except StopIteration:
            assert response is not None  # every flow sends the request at least once
            return response
        except BaseException:
            if response is not None:
                release(response)
            raise

    def _follow_redirects(
        self, call: _Call, response: requests.Response, origin: str
    ) -> requests.Response:
        """The redirect policy, by hand: at most :data:`MAX_REDIRECTS` hops; the registry's
        Authorization only to ``origin``'s scheme and host (blob storage such as S3 or a CDN
        must never see the registry's token); never HTTPS to plain HTTP unless insecure."""
        hops = 0
        while response.is_redirect and "Location" in response.headers:
            hops += 1
            if hops > MAX_REDIRECTS:
                release(response)
                raise RegistryError(f"{call.what}: more than {MAX_REDIRECTS} redirects")
            location = urljoin(response.url, response.headers["Location"])
            release(response)
            response = self._hop(call, location, origin)
        return response

    def _hop(self, call: _Call, location: str, origin: str) -> requests.Response:
        to, start = urlsplit(location), urlsplit(origin)
        if to.scheme == "http" and start.scheme == "https" and not call.insecure:
            raise RegistryError(
                f"{call.what}: the registry redirected from HTTPS to plain HTTP "
                f"({to.netloc}); refusing"
            )
        if (to.scheme, to.netloc) == (start.scheme, start.netloc):
            auth = self.auth.headers(call.ref.registry, call.scope, location)
            return self._send(call, location, auth)
        return self._send(call, location, {})  # another host: never the registry's credentials

    def _send(
        self, call: _Call, url: str, auth: Mapping[str, str], *, raw_errors: bool = False
    ) -> requests.Response:
        """The wire: one request, counted and logged; network failures become RegistryError
        unless ``raw_errors``."""
        headers = {"Accept": call.accept, **auth} if call.accept else dict(auth)
        refuse_plain_http_credentials(
            url,
            {**self.session.headers, **headers},
            insecure=call.insecure,
            what=call.what,
            service=Service.REGISTRY,
            registry=call.ref.registry,
        )
        self._debug(f"{call.method} {redact_url(url)}")
        with self._lock:
            self.requests_sent += 1
        try:
            return self.session.request(
                call.method,
                url,
                headers=headers,
                allow_redirects=False,
                stream=True,
                verify=False if call.insecure else None,
            )
        except requests.RequestException as exc:
            if raw_errors:
                raise
            raise network_error(
                exc,
                what=call.what,
                url=url,
                registry=call.ref.registry,
                repository=call.ref.repository,
            ) from None

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
                digest = header_digest(response, what)
            if digest is not None:
                if ref.digest is not None and digest != ref.digest:
                    raise DigestMismatch(
                        f"{what}: the registry says the manifest is {digest}, but {ref.digest} "
                        "was asked for; the registry is misbehaving"
                    )
                return ManifestHead(
                    digest=digest,
                    media_type=content_type(response),
                    size=decimal_count(response.headers.get("Content-Length")),
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
            body = read_body(response, limit=MAX_MANIFEST_BYTES, what=what, registry=ref.registry)
            header = header_digest(response, what)
            served_type = content_type(response)
            ratelimit = parse_ratelimit(response.headers)
        # Hash with the algorithm of what was asked for, else of the header, else sha256.
        algorithm = (wanted or header or Digest("sha256", "0" * 64)).algorithm
        actual = compute_digest(body, algorithm)
        for expected in (wanted, header):
            if expected is not None:
                verify_digest(body, expected, what=what)
        manifest = parse_manifest(body, served_type, what=what)
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
            body = read_body(response, limit=limit, what=what, registry=ref.registry)
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

    def _tag_page(self, ref: Reference, url: str, what: str) -> tuple[TagList, str | None, str]:
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
            body = read_body(response, limit=MAX_TAG_PAGE_BYTES, what=what, registry=ref.registry)
            link = response.headers.get("Link")
            page_url = response.url
        return parse_tag_list(body, what), link, page_url

    def list_tags(self, ref: Reference) -> list[str]:
        """Every valid tag of ``ref``'s repository (:meth:`tag_list`)."""
        return list(self.tag_list(ref).tags)

    def tag_list(self, ref: Reference) -> TagList:
        """Every tag of ``ref``'s repository, following ``Link: <...>; rel="next"`` pages, and
        how many listed names were no valid tags (skipped)."""
        what = f"tags of {ref.name}"
        url = f"{self._url(ref, 'tags/list')}?n={TAGS_PAGE_SIZE}"
        tags: list[str] = []
        seen: set[str] = set()
        skipped = 0
        for _page in range(self._max_tag_pages):
            # A truncated or malformed page is fetched once more, like a manifest (CorruptBody).
            page, link, page_url = _once_more(
                functools.partial(self._tag_page, ref, url, what), self._debug
            )
            # Known only after the first page: an insecure registry may have fallen back to HTTP.
            origin = origin_of(self._url(ref, "tags/list"))
            skipped += page.skipped
            for tag in page.tags:
                if tag not in seen:
                    seen.add(tag)
                    tags.append(tag)
            if len(tags) + skipped > self._max_tags:
                raise RegistryError(
                    f"{what}: more than {self._max_tags} tags; hubaction stops there. Narrow "
                    "the lookup or clean up the repository's tags"
                )
            try:
                following = next_link(link and scrub(link), page_url)  # errors quote its pieces
            except InvalidHeader as exc:
                raise RegistryError(f"{what}: {exc}") from None
            if following is None:
                return TagList(tuple(tags), skipped)
            check_next_page(following, origin, what)
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


def open_client(
    credentials: CredentialStore | None = None,
    *,
    insecure_registries: frozenset[str] = frozenset(),
    on_secret: Callable[[str], None] = lambda _secret: None,
    debug: Callable[[str], None] = lambda _line: None,
    session: requests.Session | None = None,
    timeout: tuple[float, float] = DEFAULT_TIMEOUT,
    retry_budget: float = DEFAULT_RETRY_BUDGET,
) -> RegistryClient:
    """A client with the run's one session and auth; ``on_secret`` is told every token.
    Without ``session``, one with ``timeout`` (connect, read seconds) and ``retry_budget``."""
    session = session or new_session(timeout=timeout, retry_budget=retry_budget)
    auth = RegistryAuth(
        session,
        credentials,
        insecure_registries=insecure_registries,
        on_secret=on_secret,
        debug=debug,
    )
    return RegistryClient(session, auth, insecure_registries=insecure_registries, debug=debug)
