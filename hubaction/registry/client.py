"""A client for the Registry HTTP API v2 / OCI distribution spec: manifests, blobs, tags.

Every call makes the fewest round trips: no ``/v2/`` ping (a request's own 401 carries the
challenge), a HEAD where only the digest is wanted (Docker Hub counts a GET as a pull), one
pooled connection per host. Every body is verified against the digest asked for and the
``Docker-Content-Digest`` header (distribution spec, "Pulling manifests") before it is believed.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypedDict
from urllib.parse import urljoin, urlsplit

import requests

from hubaction.errors import (
    DigestMismatch,
    HubActionError,
    Kind,
    NotFound,
    RegistryError,
    Service,
    UnsupportedManifest,
)
from hubaction.oci.manifest import compute_digest, parse_manifest, verify_digest
from hubaction.oci.mediatypes import ACCEPT, MAX_CONFIG_BYTES, MAX_MANIFEST_BYTES
from hubaction.oci.model import FetchedManifest, ManifestHead, RateLimit, parse_ratelimit
from hubaction.oci.reference import Digest, Reference, is_loopback_host
from hubaction.oci.tags import TagList
from hubaction.oci.token import pull_scope
from hubaction.oci.wire import decimal_count
from hubaction.registry.answers import (
    ACCEPT_TYPES,
    asked_for,
    content_type,
    header_digest,
    once_more,
)
from hubaction.registry.auth import RegistryAuth, Reply, TokenRequest
from hubaction.registry.credentials import CredentialStore
from hubaction.registry.deadline import Deadline, DeadlinePassed
from hubaction.registry.errors import check_response, error_for, network_error
from hubaction.registry.transport import (
    DEFAULT_RETRY_BUDGET,
    DEFAULT_TIMEOUT,
    new_session,
    read_body,
    redact_url,
    refuse_plain_http_credentials,
    release,
    session_deadline,
)

MAX_REDIRECTS = 5
MAX_TAG_PAGES = 1000
MAX_TAGS = 200_000


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


@dataclass(frozen=True)
class _Served:
    """A manifest answer as read, before it is verified and parsed."""

    body: bytes
    header: Digest | None
    media_type: str | None
    ratelimit: RateLimit | None


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
        tag_page_size: int | None = None,  # tagpages.TAGS_PAGE_SIZE
        credentials: CredentialStore | None = None,
    ) -> None:
        self.session = session
        self.auth = auth
        self._insecure = insecure_registries
        self._debug = debug
        self._max_tag_pages = max_tag_pages
        self._max_tags = max_tags
        self._tag_page_size = tag_page_size
        self._credentials = credentials
        self._schemes: dict[str, str] = {}
        self._lock = threading.Lock()
        self.requests_sent = 0

    # -- plumbing -------------------------------------------------------------------------

    @property
    def deadline(self) -> Deadline | None:
        """The run's deadline, which every request of the session meets (``None``: none)."""
        return session_deadline(self.session)

    def _scheme(self, ref: Reference) -> str:
        with self._lock:
            known = self._schemes.get(ref.registry)
        if known:
            return known
        # Loopback registries speak plain HTTP (as Docker treats 127.0.0.0/8 as insecure).
        return "http" if is_loopback_host(ref.hostname) else "https"

    def _asked(self, ref: Reference) -> dict[str, Any]:
        """``error_for``'s context for ``ref``: where, and whether no credentials were sent
        (an anonymous 401 may be a missing repository: Docker Hub, Harbor, Pulp)."""
        creds = self._credentials.get(ref.registry) if self._credentials is not None else None
        return {**_where(ref), "anonymous": creds is None}

    def _url(self, ref: Reference, path: str) -> str:
        return f"{self._scheme(ref)}://{ref.api_host}/v2/{ref.repository}/{path}"

    def api_url(self, ref: Reference, path: str) -> str:
        """The URL of ``path`` in ``ref``'s repository, on the scheme known to work (a page's
        origin for :func:`~hubaction.registry.answers.check_next_page`)."""
        return self._url(ref, path)

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
        except DeadlinePassed as exc:  # no time for plain HTTP either, and HTTPS may be fine
            raise network_error(exc, what=call.what, url=target, **_where(call.ref)) from None
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
            # some ECR and Artifactory setups), or omit the digest header: ask with GET. Nexus
            # may answer 404 to a HEAD of a manifest a GET returns (crazy-max/diun#1614): one
            # GET confirms a 404 before the tag is called missing (only the missing path pays).
            if status in (403, 404, 405):
                digest = None
                if status == 404:
                    self._debug(f"{what}: HEAD answered 404; confirming with GET")
            else:
                check_response(response, what=what, body=b"", **self._asked(ref))
                # A type not asked for (Nexus: PREvant#44) has another digest: GET negotiates.
                asked = asked_for(content_type(response))
                digest = header_digest(response, what) if asked else None
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
        return once_more(lambda: self._get_manifest(ref, digest), self._debug)

    def _get_manifest(self, ref: Reference, digest: Digest | None) -> FetchedManifest:
        target = ref.with_digest(digest) if digest is not None else ref
        what = f"manifest of {target}" if digest is None else f"manifest {digest} of {ref.name}"
        served = self._fetch_manifest(ref, target, what, ACCEPT)
        if not asked_for(served.media_type):
            served = self._negotiate(ref, target, what, served)
        # Hash with the algorithm of what was asked for, else of the header, else sha256.
        algorithm = (target.digest or served.header or Digest("sha256", "0" * 64)).algorithm
        actual = compute_digest(served.body, algorithm)
        for expected in (target.digest, served.header):
            if expected is not None:
                verify_digest(served.body, expected, what=what)
        try:
            manifest = parse_manifest(served.body, served.media_type, what=what)
        except UnsupportedManifest as exc:
            if asked_for(served.media_type):
                raise
            raise UnsupportedManifest(
                f"{exc}. The registry sent it although it was not asked for (Accept: the four "
                "image manifest and index types, together and one at a time)"
            ) from None
        return FetchedManifest(
            digest=actual,
            media_type=manifest.media_type,
            body=served.body,
            manifest=manifest,
            ratelimit=served.ratelimit,
        )

    def _fetch_manifest(self, ref: Reference, target: Reference, what: str, accept: str) -> _Served:
        with self.request(
            "GET", target, f"manifests/{target.identifier()}", what=what, accept=accept
        ) as response:
            if response.status_code == 404:
                error = error_for(response, what=what, **_where(ref))
                if error.kind is Kind.REPOSITORY:
                    raise error
                raise self._not_found(target) from error
            check_response(response, what=what, **self._asked(ref))
            return _Served(
                body=read_body(
                    response, limit=MAX_MANIFEST_BYTES, what=what, registry=ref.registry
                ),
                header=header_digest(response, what),
                media_type=content_type(response),
                ratelimit=parse_ratelimit(response.headers),
            )

    def _negotiate(self, ref: Reference, target: Reference, what: str, served: _Served) -> _Served:
        """The manifest again, asked for one type at a time, after an answer of a type not
        asked for: Nexus does not negotiate a list of types (PREvant#44, NEXUS-24124), and
        distribution and Pulp answer 404 for a type they do not store. The first answer of the
        type asked for wins; else the first answer stands (and is explained)."""
        self._debug(f"{what}: the registry sent {served.media_type}, not asked for; asking again")
        for media_type in ACCEPT_TYPES:
            try:
                again = self._fetch_manifest(ref, target, what, media_type)
            except NotFound:
                continue
            if again.media_type is not None and asked_for(again.media_type):
                return again
        return served

    # -- blobs ----------------------------------------------------------------------------

    def get_blob(self, ref: Reference, digest: Digest, *, limit: int = MAX_CONFIG_BYTES) -> bytes:
        """A (small) blob such as an image config, verified against ``digest`` (once more on a
        corrupt body)."""
        return once_more(lambda: self._get_blob(ref, digest, limit), self._debug)

    def _get_blob(self, ref: Reference, digest: Digest, limit: int) -> bytes:
        what = f"blob {digest} of {ref.name}"
        with self.request("GET", ref, f"blobs/{digest}", what=what) as response:
            check_response(response, what=what, **self._asked(ref))
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

    def list_tags(self, ref: Reference) -> list[str]:
        """Every valid tag of ``ref``'s repository (:meth:`tag_list`)."""
        return list(self.tag_list(ref).tags)

    def tag_list(self, ref: Reference) -> TagList:
        """Every tag of ``ref``'s repository (:class:`~hubaction.registry.tagpages.TagPager`)."""
        # Imported here: a lookup without a tag list pays nothing for it at start-up.
        from hubaction.registry.tagpages import TAGS_PAGE_SIZE, TagPager

        pager = TagPager(
            self.request,
            self._url,
            self._asked,
            self._debug,
            page_size=self._tag_page_size or TAGS_PAGE_SIZE,
            max_pages=self._max_tag_pages,
            max_tags=self._max_tags,
        )
        return pager.tag_list(ref)


def open_client(
    credentials: CredentialStore | None = None,
    *,
    insecure_registries: frozenset[str] = frozenset(),
    on_secret: Callable[[str], None] = lambda _secret: None,
    debug: Callable[[str], None] = lambda _line: None,
    session: requests.Session | None = None,
    timeout: tuple[float, float] = DEFAULT_TIMEOUT,
    retry_budget: float = DEFAULT_RETRY_BUDGET,
    deadline: Deadline | None = None,
) -> RegistryClient:
    """A client with the run's one session and auth; ``on_secret`` is told every token.
    Without ``session``, one with ``timeout`` (connect, read seconds), ``retry_budget`` and
    the run's ``deadline``."""
    session = session or new_session(timeout=timeout, retry_budget=retry_budget, deadline=deadline)
    auth = RegistryAuth(
        session,
        credentials,
        insecure_registries=insecure_registries,
        on_secret=on_secret,
        debug=debug,
    )
    return RegistryClient(
        session,
        auth,
        insecure_registries=insecure_registries,
        debug=debug,
        credentials=credentials,
    )
