"""Registry authentication as an explicit flow (after httpx ``_auth.py`` and go-containerregistry
``pkg/v1/remote/transport``), without a ``/v2/`` ping.

The flow for one request to ``registry`` needing ``scope`` (``repository:NAME:pull``):

1. :meth:`RegistryAuth.headers` gives what to send up front: a cached, unexpired bearer token
   for ``(registry, scope)``; Basic credentials when the registry is known to want Basic; for
   Docker Hub, whose realm is known (``https://auth.docker.io/token``, service
   ``registry.docker.io``), a token fetched now, so the first request already carries one.
2. If the registry answers 401, :meth:`RegistryAuth.challenge` reads ``WWW-Authenticate``
   (RFC 9110 §11.6.1) and gets a token from the realm (Docker token spec: ``GET realm?service=
   &scope=``, Basic credentials when there are some, answer ``token`` or ``access_token`` with
   ``expires_in``), or remembers that the registry wants Basic; the caller retries once.
3. A second 401 is final: :class:`Unauthorized`.

Credentials never travel over plain HTTP except to loopback hosts or with ``insecure``; a token
realm on another host gets them only over HTTPS.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

import requests

from hubaction.errors import RegistryError, Unauthorized
from hubaction.oci.challenge import Challenge, parse_www_authenticate
from hubaction.oci.reference import DOCKER_HUB, DOCKER_HUB_REALM, DOCKER_HUB_SERVICE
from hubaction.registry.credentials import (
    Credentials,
    CredentialStore,
    basic_token,
    normalize_registry_key,
)
from hubaction.registry.transport import (
    check_response,
    plain_http_allowed,
    read_body,
    redact_url,
)

# Docker token spec: "expires_in ... If omitted, the token should be assumed to last 60 seconds".
DEFAULT_TOKEN_LIFETIME = 60.0
# Renew a little before expiry: a token that expires in flight costs a 401 and a retry.
EXPIRY_MARGIN = 5.0
MAX_TOKEN_ANSWER = 1024 * 1024


def pull_scope(repository: str) -> str:
    """The Docker token scope for pulling ``repository``."""
    return f"repository:{repository}:pull"


def basic_header(creds: Credentials) -> str:
    return "Basic " + basic_token(creds)


@dataclass(frozen=True)
class _Token:
    value: str
    expires_at: float


@dataclass(frozen=True)
class _Realm:
    url: str
    service: str | None


class RegistryAuth:
    """Tokens and credentials for every registry of one run; thread-safe."""

    def __init__(
        self,
        session: requests.Session,
        credentials: CredentialStore | None = None,
        *,
        insecure_registries: frozenset[str] = frozenset(),
        on_secret: Callable[[str], None] = lambda _secret: None,
        debug: Callable[[str], None] = lambda _line: None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._session = session
        self._credentials = credentials or CredentialStore()
        self._insecure = insecure_registries
        self._on_secret = on_secret
        self._debug = debug
        self._clock = clock
        self._lock = threading.Lock()
        self._tokens: dict[tuple[str, str], _Token] = {}
        self._realms: dict[str, _Realm] = {DOCKER_HUB: _Realm(DOCKER_HUB_REALM, DOCKER_HUB_SERVICE)}
        self._basic: set[str] = set()
        self.token_requests = 0

    def credentials_for(self, registry: str) -> Credentials | None:
        return self._credentials.get(registry)

    def headers(self, registry: str, scope: str, url: str) -> dict[str, str]:
        """Authorization to send up front for a request to ``url`` on ``registry``."""
        key = normalize_registry_key(registry)
        with self._lock:
            token = self._tokens.get((key, scope))
            if token is not None and token.expires_at > self._clock():
                return {"Authorization": f"Bearer {token.value}"}
            realm = self._realms.get(key)
            wants_basic = key in self._basic
        if wants_basic:
            creds = self.credentials_for(key)
            if creds is not None and plain_http_allowed(url, insecure=key in self._insecure):
                return {"Authorization": basic_header(creds)}
            return {}
        if realm is not None:
            # The realm is known before any 401 (Docker Hub; or another repository on a
            # registry seen already): the first request already carries a token.
            return {"Authorization": f"Bearer {self._fetch_token(key, realm, scope)}"}
        return {}

    def challenge(self, registry: str, scope: str, response: requests.Response) -> bool:
        """React to a 401: learn the scheme, fetch a token. True when a retry may succeed."""
        key = normalize_registry_key(registry)
        values = response.headers.get("WWW-Authenticate")
        if not values:
            return False
        challenges = parse_www_authenticate(values)
        bearer = _find(challenges, "bearer")
        if bearer is not None:
            realm_url = bearer.params.get("realm")
            if not realm_url:
                raise RegistryError(
                    f"{registry}: the Bearer challenge has no realm; the registry is misconfigured"
                )
            realm = _Realm(realm_url, bearer.params.get("service"))
            insufficient = bearer.params.get("error") == "insufficient_scope"
            with self._lock:
                had_token = (key, scope) in self._tokens
                self._tokens.pop((key, scope), None)
                self._realms[key] = realm
            if insufficient and had_token:
                return False
            # A registry may ask for a scope of its own (e.g. with a different repository
            # spelling); ask for ours and its own, as go-containerregistry does.
            extra = bearer.params.get("scope")
            self._fetch_token(key, realm, scope, extra_scope=extra)
            return True
        if _find(challenges, "basic") is not None:
            with self._lock:
                already = key in self._basic
                self._basic.add(key)
            return not already and self.credentials_for(key) is not None
        return False

    def _fetch_token(
        self, key: str, realm: _Realm, scope: str, *, extra_scope: str | None = None
    ) -> str:
        parts = urlsplit(realm.url)
        if parts.scheme not in ("https", "http") or not parts.hostname:
            raise RegistryError(
                f"{key}: the token realm {redact_url(realm.url)!r} is not an HTTP(S) URL"
            )
        params: list[tuple[str, str]] = []
        if realm.service:
            params.append(("service", realm.service))
        params.append(("scope", scope))
        if extra_scope and extra_scope != scope:
            params.extend(("scope", s) for s in extra_scope.split(" ") if s and s != scope)
        headers: dict[str, str] = {}
        creds = self.credentials_for(key)
        if creds is not None:
            if not plain_http_allowed(realm.url, insecure=key in self._insecure):
                raise Unauthorized(
                    f"{key}: the token service {redact_url(realm.url)} speaks plain HTTP; "
                    "credentials are only sent over HTTPS (or to loopback hosts). Fix the "
                    "registry's token realm, or set `insecure: true` if you trust the network"
                )
            headers["Authorization"] = basic_header(creds)
        self._debug(f"token request: GET {redact_url(realm.url)} scope={scope}")
        self.token_requests += 1
        try:
            response = self._session.get(
                realm.url, params=params, headers=headers, stream=True, allow_redirects=False
            )
        except requests.RequestException as exc:
            raise RegistryError(
                f"{key}: the token service {redact_url(realm.url)} could not be reached "
                f"({type(exc).__name__}); check the network and retry"
            ) from None
        with response:
            what = f"token for {scope} from {parts.hostname}"
            if response.status_code in (401, 403):
                who = f"user {creds.username!r}" if creds else "anonymous access"
                raise Unauthorized(
                    f"{key}: the token service refused {who} for {scope} "
                    f"({response.status_code}). Check the username and password or token"
                    + ("" if creds else ", or supply credentials: the repository may be private")
                )
            check_response(response, what=what)
            body = read_body(response, limit=MAX_TOKEN_ANSWER, what=what)
        token, lifetime = _parse_token_answer(body, what)
        self._on_secret(token)
        with self._lock:
            self._tokens[(key, scope)] = _Token(
                token, self._clock() + max(0.0, lifetime - EXPIRY_MARGIN)
            )
        return token


def _find(challenges: list[Challenge], scheme: str) -> Challenge | None:
    return next((c for c in challenges if c.scheme == scheme), None)


def _parse_token_answer(body: bytes, what: str) -> tuple[str, float]:
    try:
        doc = json.loads(body)
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise RegistryError(f"{what}: the token service did not answer JSON") from None
    if not isinstance(doc, dict):
        raise RegistryError(f"{what}: the token service did not answer a JSON object")
    # Docker token spec: `token`; OAuth2-style services answer `access_token`; accept either.
    token = doc.get("token") or doc.get("access_token")
    if not isinstance(token, str) or not token:
        raise RegistryError(f"{what}: the token service's answer has no `token`")
    lifetime = doc.get("expires_in")
    if isinstance(lifetime, bool) or not isinstance(lifetime, int | float) or lifetime <= 0:
        lifetime = DEFAULT_TOKEN_LIFETIME
    return token, float(lifetime)
