"""Docker Hub's own API (``hub.docker.com``): login, namespaces, repositories, tag metadata.

Not the registry API (``registry-1.docker.io``, see :mod:`hubaction.registry`): the Hub API
lists what a registry cannot (a namespace's repositories, tags' push dates and sizes), and its
tokens are no registry tokens. The answers are parsed by :mod:`hubaction.dockerhub.models`;
a listing's pages are put together by :mod:`hubaction.dockerhub.pages`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from urllib.parse import quote, urljoin, urlsplit

import requests

from hubaction.dockerhub.models import (
    HubItems,
    HubListing,
    HubPage,
    HubRateLimit,
    HubRepository,
    HubTag,
    parse_hub_name,
    parse_hub_ratelimit,
    parse_listed_tag,
    parse_login_token,
    parse_namespaces,
    parse_page,
    parse_repository,
    parse_tag_answer,
)
from hubaction.dockerhub.pages import MAX_PAGES, PAGE_SIZE, HubPager
from hubaction.errors import (
    HubActionError,
    InvalidInput,
    Kind,
    NotFound,
    RegistryError,
    Service,
    Unauthorized,
)
from hubaction.oci.reference import parse_tag as parse_tag_name
from hubaction.oci.wire import NotJSON, load_json, plausible_token, remember_secret
from hubaction.registry.credentials import Credentials
from hubaction.registry.errors import error_body, error_for, network_error
from hubaction.registry.transport import (
    plain_http_allowed,
    quoted_url,
    read_body,
    redact_url,
    refuse_plain_http_credentials,
)

__all__ = ["CONCURRENCY", "HUB_URL", "HubClient"]

HUB_URL = "https://hub.docker.com"
# A page of 100 tags with a dozen platform images each is about 0.5 MiB; 16 MiB is garbage.
MAX_PAGE_BYTES = 16 * 1024 * 1024
MAX_LOGIN_BYTES = 1024 * 1024
# One tag's object: a few hundred bytes per platform.
MAX_TAG_BYTES = 1024 * 1024
# Redirects of one listing request followed (within hub-url's origin), as the registry's.
MAX_REDIRECTS = 5
CONCURRENCY = 8


class HubClient:
    """Docker Hub API calls on the run's session (its BudgetRetry waits out 429s); thread-safe.

    Logs in lazily, on the first call that needs it, and only when there are credentials:
    without them everything is anonymous (public repositories only). ``on_secret`` is told
    every token as soon as it arrives, so it can be masked before anything is printed.
    """

    def __init__(
        self,
        session: requests.Session,
        *,
        hub_url: str = HUB_URL,
        credentials: Credentials | None = None,
        on_secret: Callable[[str], None] = lambda _secret: None,
        debug: Callable[[str], None] = lambda _line: None,
        concurrency: int = CONCURRENCY,
        max_pages: int = MAX_PAGES,
    ) -> None:
        parts = urlsplit(hub_url)
        if parts.scheme not in ("http", "https") or not parts.hostname or parts.query:
            raise InvalidInput(
                f"hub-url {redact_url(hub_url)!r} is not an http(s) URL; use e.g. {HUB_URL}"
            )
        if concurrency < 1 or max_pages < 1:
            raise ValueError("concurrency and max_pages must be at least 1")
        self.session = session
        self.hub_url = hub_url.rstrip("/")
        self._host = parts.netloc.rsplit("@", 1)[-1]
        self._credentials = credentials
        self._on_secret = on_secret
        self._debug = debug
        self._lock = threading.Lock()
        self._login_lock = threading.Lock()
        self._authorization: str | None = None
        self._secrets: list[str] = [credentials.password] if credentials else []
        self._pager = HubPager(
            self._page, debug=debug, concurrency=concurrency, max_pages=max_pages
        )
        self.last_ratelimit: HubRateLimit | None = None
        self.requests_sent = 0

    @property
    def anonymous(self) -> bool:
        return self._credentials is None

    # -- plumbing ---------------------------------------------------------------------------

    def _remember_secret(self, secret: str) -> None:
        """Mask ``secret`` now and scrub it from every message quoting Docker Hub's text."""
        remember_secret(secret)
        self._on_secret(secret)
        with self._lock:
            self._secrets.append(secret)

    def _record(self, response: requests.Response) -> None:
        limit = parse_hub_ratelimit(response.headers)
        with self._lock:
            self.requests_sent += 1
            if limit is not None:
                self.last_ratelimit = limit

    def _send(
        self,
        method: str,
        path: str,
        *,
        what: str,
        params: Mapping[str, str | int] | None = None,
        body: Mapping[str, str] | None = None,
        authorization: str | None = None,
    ) -> requests.Response:
        headers = {"Accept": "application/json"}
        if authorization:
            headers["Authorization"] = authorization
        url = self.hub_url + path
        # Redirects by hand (issue 13 §4): requests would follow them to any host, re-sending
        # a login's secret. A login is never followed; a listing only within hub-url's origin.
        for _ in range(MAX_REDIRECTS + 1):
            # Docker Hub has no `insecure`: a plain-HTTP hub-url is only for loopback fakes.
            # A login's JSON body carries the password, as good as an Authorization.
            refuse_plain_http_credentials(
                url,
                {**self.session.headers, **headers},
                insecure=False,
                what=what,
                secret_body=body is not None,
                service=Service.HUB_API,
            )
            self._debug(f"{method} {redact_url(url)}" + (f" {dict(params)}" if params else ""))
            try:
                response = self.session.request(
                    method,
                    url,
                    params=params,
                    json=body,
                    headers=headers,
                    stream=True,
                    allow_redirects=False,
                )
            except requests.RequestException as exc:
                raise network_error(exc, what=what, url=url, service=Service.HUB_API) from None
            self._record(response)
            if method != "GET" or not response.is_redirect:
                return response
            response.close()
            url, params = self._redirect_target(response, what), None
        raise RegistryError(
            f"{what}: Docker Hub answered more than {MAX_REDIRECTS} redirects",
            service=Service.HUB_API,
        )

    def _redirect_target(self, response: requests.Response, what: str) -> str:
        """Where a listing's redirect points, when that is on hub-url's scheme and host."""
        location = urljoin(response.url, response.headers["Location"])
        to, start = urlsplit(location), urlsplit(self.hub_url)
        if (to.scheme, to.netloc.lower()) != (start.scheme, start.netloc.lower()):
            raise RegistryError(
                f"{what}: Docker Hub redirected ({response.status_code}) to "
                f"{quoted_url(location)}, off `hub-url` {redact_url(self.hub_url)}; hubaction "
                "follows Docker Hub's redirects only on the same scheme, host and port. Check "
                f"`hub-url` (the Docker Hub API is {HUB_URL})",
                status=response.status_code,
                service=Service.HUB_API,
            )
        return location

    # -- login ------------------------------------------------------------------------------

    def login(self) -> None:
        """Log in (again) with the credentials; without credentials, nothing to do.

        Raises :class:`Unauthorized` for refused credentials, with the way out (a personal
        access token) when two-factor auth or SSO is what refused them.
        """
        creds = self._credentials
        if creds is None:
            return
        if not plain_http_allowed(self.hub_url, insecure=False):
            raise Unauthorized(
                f"Docker Hub login at {self._host}: `hub-url` {redact_url(self.hub_url)} "
                "is plain HTTP; credentials are only sent over HTTPS (or to loopback "
                "hosts). Use an https:// hub-url"
            )
        what = f"Docker Hub login of user {creds.username!r} at {self._host}"
        remember_secret(creds.password)  # sent: it may come back in any answer
        # /v2/auth/token takes a password, a personal access token (dckr_pat_...) or an
        # organization access token (the identifier is then the organization).
        secret = {"identifier": creds.username, "secret": creds.password}
        token = self._login_at("/v2/auth/token", secret, "access_token", what)
        if token is not None:
            authorization = f"Bearer {token}"
        else:
            # The token endpoint is missing (an older or mirrored Hub API): the legacy
            # login, deprecated but the only one there.
            self._debug("POST /v2/auth/token answered 404: using the legacy /v2/users/login")
            secret = {"username": creds.username, "password": creds.password}
            token = self._login_at("/v2/users/login", secret, "token", what)
            if token is None:
                raise RegistryError(
                    f"{what}: neither /v2/auth/token nor /v2/users/login exists at "
                    f"{redact_url(self.hub_url)}; check `hub-url` (the Docker Hub API "
                    f"is {HUB_URL})"
                )
            authorization = f"JWT {token}"
        with self._lock:
            self._authorization = authorization

    def _login_at(self, path: str, secret: Mapping[str, str], key: str, what: str) -> str | None:
        """The token (answer field ``key``) of the login at ``path``; None when it is missing.

        /v2/auth/token's ``access_token`` lasts about 10 minutes and is sent as ``Bearer``;
        the legacy /v2/users/login's ``token`` is sent as ``JWT``.
        """
        with self._send("POST", path, what=what, body=secret) as response:
            if response.status_code == 404:
                return None
            return self._login_answer(response, key, what)

    def _login_answer(self, response: requests.Response, key: str, what: str) -> str:
        status = response.status_code
        if status in (401, 403):
            raise self._login_refused(response, what)
        if 300 <= status < 400:
            raise RegistryError(
                f"{what}: Docker Hub answered a redirect ({status}) to the login; credentials "
                "are not sent on. Check `hub-url` (the Docker Hub API is "
                f"{HUB_URL})"
            )
        if not 200 <= status < 300:
            raise self._fail(response, what, service=Service.HUB_LOGIN)
        body = read_body(response, limit=MAX_LOGIN_BYTES, what=what, service=Service.HUB_LOGIN)
        token = parse_login_token(body, key, what=what)
        self._remember_secret(token)
        return token

    def _login_refused(self, response: requests.Response, what: str) -> HubActionError:
        body = error_body(response)
        try:
            doc = load_json(body)
        except NotJSON:
            doc = None
        # The legacy login's pending second-factor token: a token too, masked though unused;
        # an implausible one ("|", "sha256") is never masked (it would blank the log), and
        # never quoted: it is a registry error, as any implausible token (issue 13 §3).
        pending = doc.get("login_2fa_token") if isinstance(doc, dict) else None
        if isinstance(pending, str) and pending and not plausible_token(pending):
            return RegistryError(
                f"{what}: Docker Hub refused the password ({response.status_code}) with a "
                f"`login_2fa_token` that is no plausible token ({len(pending)} characters); "
                "check `hub-url` points at the Docker Hub API, or retry later",
                status=response.status_code,
                service=Service.HUB_LOGIN,
            )
        if isinstance(pending, str) and pending:
            self._remember_secret(pending)
        return self._fail(response, what, body=body, service=Service.HUB_LOGIN)

    def _authorization_header(self, refused: str | None = None) -> str | None:
        """The ``Authorization`` to send: logs in first when there is none yet, or when it is
        still the ``refused`` one (a 401 answered it) and no other thread logged in again."""
        if self._credentials is None:
            return None
        with self._login_lock:
            with self._lock:
                current = self._authorization
            if current == refused:
                self.login()
            with self._lock:
                return self._authorization

    # -- GET with auth ----------------------------------------------------------------------

    def _get(
        self, path: str, *, what: str, params: Mapping[str, str | int] | None = None
    ) -> requests.Response:
        """GET ``path``; on a 401 with a token (it lasts ~10 minutes), log in again once."""
        authorization = self._authorization_header()
        response = self._send("GET", path, what=what, params=params, authorization=authorization)
        if response.status_code == 401 and authorization is not None:
            response.close()
            self._debug(f"{what}: 401 with a token; logging in again")
            authorization = self._authorization_header(refused=authorization)
            response = self._send(
                "GET", path, what=what, params=params, authorization=authorization
            )
        return response

    def _fail(
        self,
        response: requests.Response,
        what: str,
        *,
        body: bytes | None = None,
        service: Service = Service.HUB_API,
    ) -> HubActionError:
        """The error for a non-2xx Docker Hub answer that is not a 404."""
        with self._lock:
            secrets = tuple(self._secrets)
            limit = self.last_ratelimit
        return error_for(
            response,
            what=what,
            body=body,
            service=service,
            anonymous=self._credentials is None,
            quota=limit.limit if limit is not None and limit.limit else None,
            secrets=secrets,
        )

    # -- listings ---------------------------------------------------------------------------

    def namespaces(self) -> list[str]:
        """The namespaces the credentials can see (the user's own and its organizations')."""
        what = "Docker Hub namespaces"
        if self._credentials is None:
            raise InvalidInput(
                "list-namespaces needs credentials: set `username` and `password` (a personal "
                "access token); Docker Hub lists namespaces only for a signed-in user"
            )
        with self._get("/v2/repositories/namespaces/", what=what) as response:
            if not 200 <= response.status_code < 300:
                if response.status_code == 404:
                    raise NotFound(
                        f"{what}: {redact_url(self.hub_url)} has no /v2/repositories/namespaces/ "
                        f"(404); check `hub-url` (the Docker Hub API is {HUB_URL})",
                        kind=Kind.NAMESPACE,
                        status=404,
                    )
                raise self._fail(response, what)
            body = read_body(response, limit=MAX_PAGE_BYTES, what=what, service=Service.HUB_API)
            return parse_namespaces(body, what=what)

    def repositories(self, namespace: str) -> list[HubRepository]:
        """Every repository of ``namespace`` the credentials can see (anonymous: public)."""
        ns = parse_hub_name(namespace, "namespace")
        what = f"Docker Hub repositories of namespace {ns!r}"
        missing = NotFound(
            f"{what}: the namespace does not exist (404)",
            kind=Kind.NAMESPACE,
            status=404,
            service=Service.HUB_API,
        )
        listing = HubListing(
            "repositories",
            f"/v2/namespaces/{quote(ns)}/repositories",
            f"/v2/repositories/{quote(ns)}/",
            what=what,
            parse=lambda doc: parse_repository(doc, what=what),
            key=lambda repo: repo.name,
            missing=missing,
        )
        return list(self._pager.read(listing).items)

    def tags(self, namespace: str, repository: str) -> list[HubTag]:
        """Every tag of ``namespace/repository`` with its metadata (:meth:`tag_listing`)."""
        return list(self.tag_listing(namespace, repository).items)

    def tag_listing(self, namespace: str, repository: str) -> HubItems[HubTag]:
        """Every tag of ``namespace/repository`` with its metadata, and how many listed names
        were no valid tags (skipped)."""
        ns = parse_hub_name(namespace, "namespace")
        repo = parse_hub_name(repository, "repository")
        what = f"Docker Hub tags of {ns}/{repo}"
        # Docker Hub answers 404, not 401, for a private repository it will not show.
        hidden = (
            "; it may be private, which anonymous access cannot see"
            if self._credentials is None
            else ", or it is private and the credentials may not read it"
        )
        missing = NotFound(
            f"{what}: the repository does not exist (404){hidden}",
            kind=Kind.REPOSITORY,
            status=404,
            service=Service.HUB_API,
            registry="docker.io",
            repository=f"{ns}/{repo}",
        )
        listing = HubListing(
            "tags",
            f"/v2/namespaces/{quote(ns)}/repositories/{quote(repo)}/tags",
            f"/v2/repositories/{quote(ns)}/{quote(repo)}/tags",
            what=what,
            parse=lambda doc: parse_listed_tag(doc, what=what),
            key=lambda tag: tag.name,
            missing=missing,
        )
        return self._pager.read(listing)

    def tag(self, namespace: str, repository: str, tag: str) -> HubTag:
        """One tag of ``namespace/repository`` with its metadata (push date, digest, images):
        ``GET /v2/namespaces/{ns}/repositories/{repo}/tags/{tag}``, one request."""
        ns = parse_hub_name(namespace, "namespace")
        repo = parse_hub_name(repository, "repository")
        name = parse_tag_name(tag)
        what = f"Docker Hub tag {ns}/{repo}:{name}"
        path = f"/v2/namespaces/{quote(ns)}/repositories/{quote(repo)}/tags/{quote(name)}"
        with self._get(path, what=what) as response:
            if response.status_code == 404:
                # As for listings: a missing tag or repository, or a private one hidden.
                raise NotFound(
                    f"{what}: the tag or its repository does not exist (404)",
                    kind=Kind.TAG,
                    status=404,
                    service=Service.HUB_API,
                    registry="docker.io",
                    repository=f"{ns}/{repo}",
                )
            if not 200 <= response.status_code < 300:
                raise self._fail(response, what)
            body = read_body(response, limit=MAX_TAG_BYTES, what=what)
        return parse_tag_answer(body, what=what)

    def _page(self, path: str, number: int, what: str) -> HubPage | None:
        """Page ``number`` of ``path``; ``None`` on 404 (missing endpoint, item or page)."""
        where = f"{what} (page {number})"
        params = {"page_size": PAGE_SIZE, "page": number}
        with self._get(path, what=where, params=params) as response:
            if response.status_code == 404:
                return None
            if not 200 <= response.status_code < 300:
                raise self._fail(response, where)
            body = read_body(response, limit=MAX_PAGE_BYTES, what=where, service=Service.HUB_API)
            return parse_page(body, what=where)
