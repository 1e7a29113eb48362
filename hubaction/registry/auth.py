"""Registry authentication: the challenge -> token protocol as generators, and their driver.

:class:`AuthFlow` is the protocol without I/O (after httpx ``_auth.py``): a flow yields what
must be sent (an :class:`Attempt` of the registry request, a :class:`TokenRequest` to the
realm) and is sent each :class:`Reply`; it keeps the run's tokens, realms and Basic registries.
:class:`RegistryAuth` is the one place that sends token requests. No ``/v2/`` ping: Docker Hub's
realm is known, other registries name theirs in the first 401 (Docker token spec; RFC 9110
§11.6.1). Only ``pull`` is ever asked for; the scope grammar and the token answer's parse are
:mod:`hubaction.oci.token`.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Generator, Mapping
from dataclasses import dataclass, field
from typing import TypeVar, cast
from urllib.parse import urlsplit

import requests

from hubaction.errors import HubActionError, Kind, RegistryError, Service, Unauthorized
from hubaction.oci.challenge import Challenge, parse_www_authenticate
from hubaction.oci.reference import DOCKER_HUB, DOCKER_HUB_REALM, DOCKER_HUB_SERVICE
from hubaction.oci.token import MAX_TOKEN_ANSWER, parse_token_answer, pull_only
from hubaction.oci.wire import remember_secret, scrub
from hubaction.registry.credentials import (
    Credentials,
    CredentialStore,
    basic_token,
    normalize_registry_key,
)
from hubaction.registry.errors import check_response, network_error
from hubaction.registry.transport import (
    plain_http_allowed,
    read_body,
    redact_url,
    refuse_plain_http_credentials,
)

T = TypeVar("T")
Headers = Mapping[str, str]

# Renew a little before expiry: a token that expires in flight costs a 401 and a retry.
EXPIRY_MARGIN = 5.0
# A registry that refused more than this many fresh tokens for one scope (or a token service
# that failed as often) will refuse the next one too: at most MAX_REFUSED_TOKENS + 1 token
# requests per scope, renewals of expired tokens aside. Without a bound a token service and
# registry in a loop (a new token on every 401) make the run fetch, hold and mask tokens
# without end.
MAX_REFUSED_TOKENS = 3


# OAuth2 client_id of the refresh-token grant (docker/distribution's token handler sends one;
# the Docker token spec's OAuth2 page requires it).
CLIENT_ID = "hubaction"


@dataclass(frozen=True)
class Attempt:
    """Send the registry request itself with these headers (an Authorization, or none)."""

    headers: Headers = field(repr=False)


@dataclass(frozen=True)
class TokenRequest:
    """``GET url?params`` of a token realm (Docker token spec); Basic credentials in
    ``headers`` when there are some (``username`` says whose, for messages). With ``form``,
    ``POST url`` of that form instead: the OAuth2 refresh-token grant (Docker token spec,
    "OAuth2 Token Authentication"), whose ``refresh_token`` is a secret."""

    registry: str
    scope: str
    url: str
    params: tuple[tuple[str, str], ...]
    headers: Headers = field(repr=False)
    username: str | None = None
    form: tuple[tuple[str, str], ...] | None = field(default=None, repr=False)

    @property
    def method(self) -> str:
        return "GET" if self.form is None else "POST"

    @property
    def what(self) -> str:
        return f"token for {self.scope} from {urlsplit(self.url).hostname}"


@dataclass(frozen=True)
class Reply:
    """What a flow needs of an answer: its status, a 401's ``WWW-Authenticate``, a token
    answer's body."""

    status: int
    www_authenticate: str | None = None
    body: bytes = b""


TokenFlow = Generator[TokenRequest, Reply, T]
RequestFlow = Generator[Attempt | TokenRequest, Reply, None]


@dataclass(frozen=True)
class _Token:
    value: str
    expires_at: float


@dataclass(frozen=True)
class _Realm:
    url: str
    service: str | None


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def basic_header(creds: Credentials) -> str:
    return "Basic " + basic_token(creds)


class AuthFlow:
    """The auth protocol for every registry of one run, without I/O; thread-safe.

    The senders refuse credentials over plain HTTP except to loopback hosts or with
    ``insecure`` (:func:`~hubaction.registry.transport.refuse_plain_http_credentials`); a
    plain-HTTP token realm is refused here already, with the way out. Tokens refused, and
    token requests failed, are counted per (registry, scope) against :data:`MAX_REFUSED_TOKENS`.
    """

    def __init__(
        self,
        credentials: CredentialStore | None = None,
        *,
        insecure_registries: frozenset[str] = frozenset(),
        on_secret: Callable[[str], None] = lambda _secret: None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._credentials = credentials or CredentialStore()
        self._insecure = insecure_registries
        self._on_secret = on_secret
        self._clock = clock
        self._lock = threading.Lock()
        self._tokens: dict[tuple[str, str], _Token] = {}
        self._realms: dict[str, _Realm] = {DOCKER_HUB: _Realm(DOCKER_HUB_REALM, DOCKER_HUB_SERVICE)}
        self._basic: set[str] = set()
        self._refused: dict[tuple[str, str], int] = {}

    def request(self, registry: str, scope: str, url: str) -> RequestFlow:
        """One registry request to ``url``: authorized up front, and after a 401 one challenge
        and one retry, whose answer is final (a second 401 is the caller's Unauthorized)."""
        headers = yield from self.upfront(registry, scope, url)
        reply = yield Attempt(headers)
        if reply.status != 401:
            return
        retry = yield from self.challenge(registry, scope, url, reply.www_authenticate)
        if retry is not None:
            yield Attempt(retry)

    def upfront(self, registry: str, scope: str, url: str) -> TokenFlow[Headers]:
        """The Authorization to send before any 401: a cached, unexpired token; Basic when the
        registry wants it; a new token when the realm is known already."""
        key = normalize_registry_key(registry)
        with self._lock:
            token = self._tokens.get((key, scope))
            if token is not None and token.expires_at > self._clock():
                return _bearer(token.value)
            realm = self._realms.get(key)
            wants_basic = key in self._basic
        if wants_basic:
            return self._basic_headers(key)
        if realm is None:
            return {}
        # Docker Hub, or another repository of a registry seen already: the first request
        # carries a token, no 401 round trip.
        value = yield from self._token(key, realm, scope)
        return _bearer(value)

    def challenge(
        self, registry: str, scope: str, url: str, www_authenticate: str | None
    ) -> TokenFlow[Headers | None]:
        """Learn from a 401's ``WWW-Authenticate``: the Authorization to retry with, or
        ``None`` when a retry cannot succeed."""
        key = normalize_registry_key(registry)
        # Known secrets hidden first: a parse error quotes pieces of the header (issue 13 §3).
        header = scrub(www_authenticate or "")
        challenges = parse_www_authenticate(header) if header else []
        bearer = _find(challenges, "bearer")
        if bearer is not None:
            realm = self._learn_realm(key, scope, bearer)
            if realm is None:
                return None
            # A registry may ask for a scope of its own (e.g. another spelling of the
            # repository); ask for ours and its own, as go-containerregistry does.
            value = yield from self._token(key, realm, scope, bearer.params.get("scope"))
            return _bearer(value)
        if _find(challenges, "basic") is None:
            return None
        with self._lock:
            already = key in self._basic
            self._basic.add(key)
        return None if already else (self._basic_headers(key) or None)

    def _basic_headers(self, key: str) -> dict[str, str]:
        # Sent as is: whether it may travel to the URL is the sender's one check
        # (refuse_plain_http_credentials), which refuses the request rather than dropping this.
        creds = self._credentials.get(key)
        return {} if creds is None else {"Authorization": basic_header(creds)}

    def _learn_realm(self, key: str, scope: str, bearer: Challenge) -> _Realm | None:
        """The realm a Bearer challenge names (remembered); ``None`` when the token sent was
        refused for ``insufficient_scope`` (RFC 6750 §3.1): another would be refused alike."""
        realm_url = bearer.params.get("realm")
        if not realm_url:
            raise RegistryError(
                f"{key}: the Bearer challenge has no realm; the registry is misconfigured"
            )
        realm = _Realm(realm_url, bearer.params.get("service"))
        with self._lock:
            had_token = self._tokens.pop((key, scope), None) is not None
            self._realms[key] = realm
            if had_token and bearer.params.get("error") == "insufficient_scope":
                return None
            if had_token:
                # Counted once per token: of concurrent requests refused with the same token
                # only the first finds it to pop.
                self._refused[(key, scope)] = self._refused.get((key, scope), 0) + 1
        return realm

    def _token(
        self, key: str, realm: _Realm, scope: str, extra_scope: str | None = None
    ) -> TokenFlow[str]:
        with self._lock:
            refused = self._refused.get((key, scope), 0)
        if refused > MAX_REFUSED_TOKENS:
            raise RegistryError(
                f"{key}: the token service {redact_url(realm.url)} keeps issuing tokens the "
                f"registry refuses, or none ({refused} for {scope}); the registry or its token "
                "service is misconfigured",
                service=Service.REALM,
                registry=key,
            )
        request = self._token_request(key, realm, scope, extra_scope)
        reply = yield request
        if request.form is not None and reply.status in (404, 405):
            # Not every token service has the OAuth2 endpoint: GET with Basic then, as
            # go-containerregistry's bearerTransport.Refresh does on a 404.
            request = self._token_request(key, realm, scope, extra_scope, oauth=False)
            reply = yield request
        try:
            token, lifetime = _token_answer(request, reply)
        except Unauthorized:
            raise  # a clear refusal, said again to each request: no token to hold or mask
        except HubActionError:
            self.token_failed(request)
            raise
        remember_secret(token)  # scrubbed from every message before it is cut (oci.wire)
        self._on_secret(token)
        with self._lock:
            expires_at = self._clock() + max(0.0, lifetime - EXPIRY_MARGIN)
            self._tokens[(key, scope)] = _Token(token, expires_at)
        return token

    def token_failed(self, request: TokenRequest) -> None:
        """Count a token request that gave no token against the bound of its scope."""
        with self._lock:
            spent = self._refused.get((request.registry, request.scope), 0)
            self._refused[(request.registry, request.scope)] = spent + 1

    def _token_request(
        self,
        key: str,
        realm: _Realm,
        scope: str,
        extra_scope: str | None,
        *,
        oauth: bool = True,
    ) -> TokenRequest:
        parts = urlsplit(realm.url)
        if parts.scheme not in ("https", "http") or not parts.hostname:
            raise RegistryError(
                f"{key}: the token realm {redact_url(realm.url)!r} is not an HTTP(S) URL"
            )
        scopes = [scope]
        for named in (extra_scope or "").split(" "):
            pull = pull_only(named)
            if pull is not None and pull not in scopes:
                scopes.append(pull)
        service = [("service", realm.service)] if realm.service else []
        params = (*service, *(("scope", s) for s in scopes))
        creds = self._credentials.get(key)
        if creds is None:
            return TokenRequest(key, scope, realm.url, params, {})
        if not plain_http_allowed(realm.url, insecure=key in self._insecure):
            # Said here, before the wire check would, to name the way out; kind OTHER: no
            # credentials were refused, the advice for that would mislead.
            raise Unauthorized(
                f"{key}: the token service {redact_url(realm.url)} speaks plain HTTP; "
                "credentials are only sent over HTTPS (or to loopback hosts). Fix the "
                "registry's token realm, or set `insecure: true` if you trust the network",
                kind=Kind.OTHER,
                service=Service.REALM,
                registry=key,
            )
        if creds.identity_token and oauth:
            return _refresh_grant(key, scope, realm, scopes, creds)
        if creds.identity_token and not creds.password:
            # `docker login -u 00000000-0000-0000-0000-000000000000 -p <refresh token>` is
            # how ACR takes a refresh token over Basic (Azure docs, "az acr login").
            creds = Credentials(creds.username, creds.identity_token)
        basic = {"Authorization": basic_header(creds)}
        return TokenRequest(key, scope, realm.url, params, basic, creds.username)


def _refresh_grant(
    key: str, scope: str, realm: _Realm, scopes: list[str], creds: Credentials
) -> TokenRequest:
    """The OAuth2 refresh-token grant for a Docker config's ``identitytoken``: ``POST`` of
    ``grant_type=refresh_token``, ``service``, ``client_id``, ``scope`` (space-separated) and
    ``refresh_token``, as docker/distribution's ``fetchTokenWithOAuth`` and
    go-containerregistry's ``bearerTransport.refreshOauth`` (pkg/v1/remote/transport/
    bearer.go at 3f4ff3ca60f5) send it; ACR's realm, ``https://<registry>/oauth2/token``,
    answers ``{"access_token": ...}``."""
    form = [("grant_type", "refresh_token")]
    if realm.service:
        form.append(("service", realm.service))
    form += [("client_id", CLIENT_ID), ("scope", " ".join(scopes))]
    form.append(("refresh_token", creds.identity_token or ""))
    return TokenRequest(key, scope, realm.url, (), {}, creds.username, form=tuple(form))


def _find(challenges: list[Challenge], scheme: str) -> Challenge | None:
    return next((c for c in challenges if c.scheme == scheme), None)


def _token_answer(request: TokenRequest, reply: Reply) -> tuple[str, float]:
    if reply.status in (401, 403):
        # The refusal is the flow's to word (it knows whose credentials were sent); the
        # advice comes from hubaction.errors.ADVICE like every other error's.
        asked = request.username is not None
        who = f"user {request.username!r}" if asked else "anonymous access"
        raise Unauthorized(
            f"{request.registry}: the token service refused {who} for {request.scope} "
            f"({reply.status})",
            kind=Kind.CREDENTIALS_REFUSED if asked else Kind.NEEDS_CREDENTIALS,
            status=reply.status,
            service=Service.REALM,
            registry=request.registry,
        )
    if not 200 <= reply.status < 300:  # the driver reports these with the error body
        raise RegistryError(f"{request.what}: the token service answered {reply.status}")
    return parse_token_answer(reply.body, request.what, registry=request.registry)


class RegistryAuth:
    """An :class:`AuthFlow` over the run's session: the one place token requests are sent."""

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
        self.flow = AuthFlow(
            credentials, insecure_registries=insecure_registries, on_secret=on_secret, clock=clock
        )
        self._session = session
        self._insecure = insecure_registries
        self._debug = debug
        self.token_requests = 0

    def headers(self, registry: str, scope: str, url: str) -> Headers:
        """The Authorization to send up front for a request to ``url`` on ``registry``."""
        return self.run(self.flow.upfront(registry, scope, url))

    def run(self, flow: TokenFlow[T]) -> T:
        """Drive ``flow`` to its end, answering each token request it yields."""
        try:
            request = next(flow)
            while True:
                request = flow.send(self.fetch(request))
        except StopIteration as stop:
            return cast(T, stop.value)

    def fetch(self, request: TokenRequest) -> Reply:
        """Send one token request. Network failures and error statuses other than a refusal
        (401, 403: the flow words those) raise here."""
        refuse_plain_http_credentials(
            request.url,
            {**self._session.headers, **request.headers},
            insecure=request.registry in self._insecure,
            what=f"{request.registry}: {request.what}",
            secret_body=request.form is not None,
            service=Service.REALM,
            registry=request.registry,
        )
        self._debug(
            f"token request: {request.method} {redact_url(request.url)} scope={request.scope}"
        )
        self.token_requests += 1
        try:
            return self._send(request)
        except HubActionError:
            self.flow.token_failed(request)
            raise

    def _send(self, request: TokenRequest) -> Reply:
        try:
            response = self._session.request(
                request.method,
                request.url,
                params=list(request.params),
                data=None if request.form is None else list(request.form),
                headers=dict(request.headers),
                stream=True,
                allow_redirects=False,
            )
        except requests.RequestException as exc:
            raise network_error(
                exc,
                what=f"{request.registry}: {request.what}",
                url=request.url,
                service=Service.REALM,
                registry=request.registry,
            ) from None
        with response:
            if response.status_code in (401, 403):
                return Reply(response.status_code)
            if request.form is not None and response.status_code in (404, 405):
                return Reply(response.status_code)  # no OAuth2 endpoint: the flow falls back
            check_response(
                response, what=request.what, service=Service.REALM, registry=request.registry
            )
            body = read_body(
                response,
                limit=MAX_TOKEN_ANSWER,
                what=request.what,
                service=Service.REALM,
                registry=request.registry,
            )
        return Reply(response.status_code, body=body)
