"""A small Docker Hub API server for tests: the endpoints hubaction uses, from the fixtures.

Docker Hub cannot be reached from CI, so this serves what its published API reference
documents, on ``127.0.0.1:<free port>`` (a :class:`fakes.server.FakeServer`):

* ``POST /v2/auth/token`` (``{"identifier", "secret"}`` -> ``{"access_token"}``, Bearer) and the
  legacy ``POST /v2/users/login`` (``{"username", "password"}`` -> ``{"token"}``, ``JWT``). With
  ``token_endpoint = False`` the first answers 404, as on an API without it.
* ``GET /v2/repositories/namespaces/`` (signed-in users only).
* ``GET /v2/namespaces/{ns}/repositories`` and the legacy ``/v2/repositories/{ns}/``; ``GET
  /v2/namespaces/{ns}/repositories/{repo}/tags`` and the legacy ``/v2/repositories/{ns}/{repo}/
  tags``. ``new_listings = False`` makes the new paths answer 404.

Listings page as Docker Hub's do: ``page`` from 1, ``page_size`` default 10 and at most 100 (a
larger one is a 400), ``{"count", "next", "previous", "results"}`` with ``next``/``previous``
pointing at this server, 404 ``Invalid page.`` past the end. Private repositories are listed and
readable only with a token of a member of their namespace; anonymous callers see public ones.
Every answer carries ``X-RateLimit-*``; :meth:`HubServer.throttle` makes the next answers 429.

The data (:class:`HubData`, the accounts and their secrets) is :mod:`fakes.hubdata`'s,
re-exported here.

Every request is recorded (method, path, query, kind of Authorization) for counting.
"""

from __future__ import annotations

import copy
import re
import secrets
import time
import urllib.parse
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from fakes.hubdata import (
    BIG_REPO,
    BIG_TAG_COUNT,
    DEFAULT_PAGE_SIZE,
    FIXTURES,
    HUB_OAT,
    HUB_ORG,
    HUB_PASSWORD,
    HUB_PAT,
    HUB_USER,
    MAX_PAGE_SIZE,
    NAMESPACE,
    PRIVATE_COUNT,
    RATE_LIMIT,
    REPO_COUNT,
    TWOFA_PASSWORD,
    TWOFA_PAT,
    TWOFA_USER,
    HubData,
    big_tag_dates,
    error_body,
    fake_digest,
    hub_time,
    load,
    make_big_tags,
    make_repositories,
)
from fakes.server import FakeServer, Request, Response

__all__ = [
    "BIG_REPO",
    "BIG_TAG_COUNT",
    "DEFAULT_PAGE_SIZE",
    "FIXTURES",
    "HUB_OAT",
    "HUB_ORG",
    "HUB_PASSWORD",
    "HUB_PAT",
    "HUB_USER",
    "MAX_PAGE_SIZE",
    "NAMESPACE",
    "PRIVATE_COUNT",
    "RATE_LIMIT",
    "REPO_COUNT",
    "TWOFA_PASSWORD",
    "TWOFA_PAT",
    "TWOFA_USER",
    "HubData",
    "HubRequest",
    "HubServer",
    "big_tag_dates",
    "error_body",
    "fake_digest",
    "hub_time",
    "load",
    "make_big_tags",
    "make_repositories",
]

# -- server -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class HubRequest:
    """One recorded request. ``auth`` is ``none``, ``bearer``, ``jwt``, ``basic`` or ``other``."""

    method: str
    path: str
    query: dict[str, list[str]]
    auth: str
    body_keys: tuple[str, ...] = ()

    @property
    def page_size(self) -> int | None:
        values = self.query.get("page_size")
        return int(values[0]) if values and values[0].isdigit() else None


def _auth_kind(authorization: str) -> str:
    kind = authorization.split(" ", 1)[0].lower() if authorization else "none"
    return kind if kind in ("none", "bearer", "jwt", "basic") else "other"


def _json_body(request: Request) -> Any:
    """The parsed body; ``{}`` when empty; ``None`` when not JSON."""
    try:
        body = request.json()
    except ValueError:
        return None
    return {} if body is None else body


def _recorded(request: Request) -> HubRequest:
    body = _json_body(request)
    keys = tuple(sorted(body)) if isinstance(body, dict) else ()
    return HubRequest(
        request.method,
        request.path,
        request.query,
        _auth_kind(request.header("Authorization")),
        keys,
    )


@dataclass
class _Throttle:
    remaining: int
    headers: dict[str, str]


@dataclass
class _Issued:
    account: str
    scheme: str  # "Bearer" or "JWT"


@dataclass
class _State:
    tokens: dict[str, _Issued] = field(default_factory=dict)
    throttles: list[_Throttle] = field(default_factory=list)
    api_calls: int = 0


_TAGS_NEW = re.compile(r"/v2/namespaces/([^/]+)/repositories/([^/]+)/tags/?")
_TAG_ONE = re.compile(r"/v2/namespaces/([^/]+)/repositories/([^/]+)/tags/([^/?]+)")
_TAGS_OLD = re.compile(r"/v2/repositories/([^/]+)/([^/]+)/tags/?")
_REPOS_NEW = re.compile(r"/v2/namespaces/([^/]+)/repositories/?")
_REPOS_OLD = re.compile(r"/v2/repositories/([^/]+)/?")


class HubServer(FakeServer):
    """The fake Docker Hub API. ``start()`` / ``stop()``, or use it as a context manager."""

    def __init__(self, data: HubData | None = None) -> None:
        super().__init__(self._handle)
        self.data = data or HubData.default()
        #: False: ``POST /v2/auth/token`` answers 404 (only the legacy login exists).
        self.token_endpoint = True
        #: False: ``/v2/namespaces/...`` answers 404 (only the legacy listings exist).
        self.new_listings = True
        #: Called as ``before_page(path, page)`` before a listing page is built (outside the
        #: lock), so a test can change :attr:`data` between the pages a client reads.
        self.before_page: Callable[[str, int], None] | None = None
        #: A request whose path is a key answers 302 to the value, with the request's query
        #: appended when the value has none (as Django's APPEND_SLASH redirects do).
        self.redirects: dict[str, str] = {}
        self._state = _State()

    # -- test controls --------------------------------------------------------------------------

    @property
    def requests(self) -> list[HubRequest]:
        return [_recorded(exchange.request) for exchange in self.exchanges]

    def listing_requests(self) -> list[HubRequest]:
        """The recorded GETs of listings (not logins, not namespaces)."""
        return [r for r in self.requests if r.method == "GET" and "page" in r.query]

    def reset(self) -> None:
        """Forget recorded requests, issued tokens and pending throttles."""
        self.reset_log()
        with self.lock:
            self._state.tokens.clear()
            self._state.throttles.clear()

    def forget_requests(self) -> None:
        """Forget recorded requests only."""
        self.reset_log()

    def revoke_tokens(self) -> None:
        """Make every issued token invalid, as when they expire after ~10 minutes."""
        with self.lock:
            self._state.tokens.clear()

    def issued_tokens(self) -> list[str]:
        with self.lock:
            return list(self._state.tokens)

    def throttle(self, times: int = 1, *, headers: Mapping[str, str] | None = None) -> None:
        """The next ``times`` requests answer 429 with ``headers`` (``Retry-After: 1``)."""
        with self.lock:
            self._state.throttles.append(
                _Throttle(times, dict(headers if headers is not None else {"Retry-After": "1"}))
            )

    # -- handling -------------------------------------------------------------------------------

    def _handle(self, request: Request) -> Response:
        location = self.redirects.get(request.path)
        if location is not None:
            query = urllib.parse.urlsplit(request.target).query
            if query and "?" not in location:
                location += "?" + query
            return Response(302, (("Location", location),))
        with self.lock:
            self._state.api_calls += 1
            calls = self._state.api_calls
            throttle = next((t for t in self._state.throttles if t.remaining > 0), None)
            if throttle is not None:
                throttle.remaining -= 1
        limits = {
            "X-RateLimit-Limit": str(RATE_LIMIT),
            "X-RateLimit-Remaining": str(max(0, RATE_LIMIT - calls)),
            "X-RateLimit-Reset": str(int(time.time()) + 60),
        }
        if throttle is not None:
            return Response.json(429, error_body("rate_limited"), {**limits, **throttle.headers})
        status, answer = self._route(request)
        return Response.json(status, answer, limits)

    def _account(self, authorization: str) -> str | bool | None:
        """The account a token belongs to; None when anonymous; False for a bad token."""
        if not authorization:
            return None
        scheme, _, token = authorization.partition(" ")
        with self.lock:
            issued = self._state.tokens.get(token.strip())
        if issued is None or issued.scheme.lower() != scheme.lower():
            return False
        return issued.account

    def _issue(self, account: str, scheme: str) -> str:
        token = ("hubtok-" if scheme == "Bearer" else "hubjwt-") + secrets.token_hex(16)
        with self.lock:
            self._state.tokens[token] = _Issued(account, scheme)
        return token

    def _route(self, request: Request) -> tuple[int, Any]:
        method, path = request.method, request.path
        if method == "POST" and path == "/v2/auth/token":
            if not self.token_endpoint:
                return 404, error_body("not_found")
            return self._login(
                _json_body(request), "identifier", "secret", "Bearer", "access_token"
            )
        if method == "POST" and path == "/v2/users/login":
            return self._login(_json_body(request), "username", "password", "JWT", "token")
        if method not in ("GET", "HEAD"):
            return 405, {"detail": f'Method "{method}" not allowed.'}
        account = self._account(request.header("Authorization"))
        if account is False:
            return 401, error_body("token_invalid")
        assert account is None or isinstance(account, str)
        if path == "/v2/repositories/namespaces/":
            return self._namespaces(account)
        return self._listing(path, request.query, account)

    def _namespaces(self, account: str | None) -> tuple[int, Any]:
        if account is None:
            return 401, {"detail": "Authentication credentials were not provided."}
        with self.lock:
            visible = sorted(self.data.members.get(account, set()) | {account})
        return 200, {"username": account, "namespaces": visible}

    def _listing(
        self, path: str, query: dict[str, list[str]], account: str | None
    ) -> tuple[int, Any]:
        """A tag or repository listing, by the new path or the legacy one; or one tag."""
        if (match := _TAG_ONE.fullmatch(path)) and self.new_listings:
            return self._one_tag(match[1], match[2], urllib.parse.unquote(match[3]), account)
        for pattern, new in ((_TAGS_NEW, True), (_TAGS_OLD, False)):
            if match := pattern.fullmatch(path):
                if new and not self.new_listings:
                    return 404, error_body("not_found")
                return self._tags(path, match[1], match[2], query, account)
        for pattern, new in ((_REPOS_NEW, True), (_REPOS_OLD, False)):
            if match := pattern.fullmatch(path):
                if new and not self.new_listings:
                    return 404, error_body("not_found")
                return self._repositories(path, match[1], query, account)
        return 404, error_body("not_found")

    def _login(
        self, body: Any, user_key: str, secret_key: str, scheme: str, answer_key: str
    ) -> tuple[int, Any]:
        if not isinstance(body, dict):
            return 400, {"detail": "JSON parse error"}
        user, secret = body.get(user_key), body.get(secret_key)
        if not isinstance(user, str) or not isinstance(secret, str):
            return 400, {"detail": f"`{user_key}` and `{secret_key}` are required"}
        with self.lock:
            accepted = self.data.secrets.get(user, set())
            second = self.data.two_factor.get(user)
        if second is not None and secret == second:
            if scheme == "JWT":
                # Docker Hub's documented legacy answer: a 401 with a short-lived token for
                # /v2/users/2fa-login.
                body_2fa = dict(error_body("login_2fa"))
                body_2fa["login_2fa_token"] = "hub2fa-" + secrets.token_hex(16)
                return 401, body_2fa
            return 401, error_body("auth_token_2fa")
        if scheme == "JWT" and secret.startswith("dckr_oat_"):
            return 401, error_body("unauthorized")  # the legacy login refuses OATs
        if secret not in accepted:
            return 401, error_body("unauthorized")
        return 200, {answer_key: self._issue(user, scheme)}

    def _page(
        self,
        path: str,
        query: dict[str, list[str]],
        items: list[dict[str, Any]],
    ) -> tuple[int, Any]:
        try:
            size = int(query.get("page_size", [str(DEFAULT_PAGE_SIZE)])[0])
            number = int(query.get("page", ["1"])[0])
        except ValueError:
            return 400, error_body("page_size")
        if not 1 <= size <= MAX_PAGE_SIZE or number < 1:
            return 400, error_body("page_size")
        count = len(items)
        last = max(1, -(-count // size))
        if number > last:
            return 404, error_body("invalid_page")

        def link(n: int) -> str:
            return f"{self.url}{path}?" + urllib.parse.urlencode({"page": n, "page_size": size})

        return 200, {
            "count": count,
            "next": link(number + 1) if number < last else None,
            "previous": link(number - 1) if number > 1 else None,
            "results": items[(number - 1) * size : number * size],
        }

    def _visible(self, namespace: str, account: str | None) -> bool:
        with self.lock:
            return account is not None and namespace in self.data.members.get(account, set())

    def _before(self, path: str, query: dict[str, list[str]]) -> None:
        hook = self.before_page
        page = query.get("page", ["1"])[0]
        if hook is not None and page.isdigit():
            hook(path, int(page))

    def _repositories(
        self, path: str, namespace: str, query: dict[str, list[str]], account: str | None
    ) -> tuple[int, Any]:
        self._before(path, query)
        with self.lock:
            repos = self.data.repositories.get(namespace)
            repos = copy.deepcopy(repos) if repos is not None else None
        if repos is None:
            return 404, error_body("not_found")
        if not self._visible(namespace, account):
            repos = [r for r in repos if not r["is_private"]]
        return self._page(path, query, repos)

    def _one_tag(
        self, namespace: str, repository: str, tag: str, account: str | None
    ) -> tuple[int, Any]:
        """``GET /v2/namespaces/{ns}/repositories/{repo}/tags/{tag}``: the listing's item."""
        with self.lock:
            repo = next(
                (r for r in self.data.repositories.get(namespace, []) if r["name"] == repository),
                None,
            )
            tags = self.data.tags.get((namespace, repository), [])
            found = next((copy.deepcopy(t) for t in tags if t.get("name") == tag), None)
        if repo is None or (repo["is_private"] and not self._visible(namespace, account)):
            return 404, error_body("not_found")
        return (200, found) if found is not None else (404, error_body("not_found"))

    def _tags(
        self,
        path: str,
        namespace: str,
        repository: str,
        query: dict[str, list[str]],
        account: str | None,
    ) -> tuple[int, Any]:
        self._before(path, query)
        with self.lock:
            repo = next(
                (r for r in self.data.repositories.get(namespace, []) if r["name"] == repository),
                None,
            )
            tags = copy.deepcopy(self.data.tags.get((namespace, repository), []))
        # Docker Hub hides private repositories from those who may not see them: 404.
        if repo is None or (repo["is_private"] and not self._visible(namespace, account)):
            return 404, error_body("not_found")
        return self._page(path, query, tags)
