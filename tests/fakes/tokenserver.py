"""A token server for the token-auth registry: Docker's registry token protocol, for real.

Protocol (https://distribution.github.io/distribution/spec/auth/token/): the registry answers an
anonymous request with ``401`` and ``WWW-Authenticate: Bearer realm="<this server>/token",
service="test-registry",scope="repository:NAME:pull"``. The client calls
``GET /token?service=...&scope=...`` (optionally with Basic credentials), gets
``{"token": JWT, "access_token": JWT, "expires_in": N, "issued_at": ISO}`` and retries with
``Authorization: Bearer JWT``.

The JWT is what distribution 2.8 (``registry/auth/token``) verifies:

* header ``{"typ":"JWT","alg":"ES256","x5c":[<base64 DER of the signing certificate>]}``; the
  certificate must chain to the registry's ``rootcertbundle``. We sign with a self-signed P-256
  certificate and hand that same certificate to the registry as the bundle.
* claims ``iss`` (must equal the registry's ``issuer``), ``sub``, ``aud`` (must equal its
  ``service``), ``exp``, ``nbf``, ``iat``, ``jti`` and ``access``, a list of
  ``{"type":"repository","name":NAME,"actions":[...]}``.
* the signature is JWS ES256: raw ``r || s``, 32 bytes each, base64url without padding
  (RFC 7518 section 3.4), not the DER that ``cryptography`` produces.

With ``refresh_tokens`` it also answers the OAuth2 refresh-token grant
(https://distribution.github.io/distribution/spec/auth/oauth/): ``POST`` of a form with
``grant_type=refresh_token``, ``refresh_token``, ``service``, ``client_id`` and ``scope``
(space-separated), answered with ``{"access_token": JWT, ...}``, as ACR's ``/oauth2/token``
does for the ``identitytoken`` that ``az acr login`` leaves in a Docker config. ``path`` is where
it listens: ``/token`` (distribution's examples), ``/token/`` (Pulp, on the registry's own host),
``/jwt/auth`` (GitLab), ``/oauth2/token`` (ACR). :meth:`TokenServer.in_process` serves the same
protocol without a socket, for realms on hosts loopback cannot be (``gitlab.com``).

Scopes are granted as GitLab does: ``*`` is not an action, so ``repository:x:*`` gets a token
without any access (n0madic/gitlab-registry-images-cleaner#13: the registry then answers 401).

Every request is recorded (thread-safely) so tests can assert how many round trips a client
made and what it asked for.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import datetime as dt
import hashlib
import json
import secrets
import ssl
import urllib.parse
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Self

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
    encode_dss_signature,
)
from cryptography.x509.oid import NameOID

from fakes.server import FakeServer, Request, Response
from fakes.transport import HandlerAdapter

ResponseFields = Literal["both", "token", "access_token"]


def b64url(data: bytes) -> str:
    """base64url without padding (RFC 7515 section 2)."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _compact_json(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":"), sort_keys=True).encode("utf-8")


@dataclass(frozen=True)
class TokenRequest:
    """One request the token server received, whatever its outcome."""

    method: str
    path: str
    query: dict[str, list[str]]
    has_auth: bool
    username: str | None
    status: int
    #: The form of a POST (the OAuth2 grant), parsed; empty for a GET.
    form: dict[str, list[str]] = field(default_factory=dict)

    @property
    def scopes(self) -> tuple[str, ...]:
        """Every requested scope; one ``scope`` parameter may hold several, space-separated."""
        values = self.query.get("scope", []) + self.form.get("scope", [])
        return tuple(s for value in values for s in value.split())


@dataclass(frozen=True)
class IssuedToken:
    """A JWT the server handed out, with the claims it put in it."""

    token: str
    username: str
    claims: dict[str, Any]

    @property
    def access(self) -> list[dict[str, Any]]:
        access: list[dict[str, Any]] = self.claims["access"]
        return access


@dataclass
class _Settings:
    """What tests may change while the server runs (see :meth:`TokenServer.overrides`)."""

    users: dict[str, str]
    allow_anonymous: bool
    pusher: str | None
    expires_in: int
    response_fields: ResponseFields
    denied_repositories: set[str] = field(default_factory=set)


def make_signing_identity(
    common_name: str = "hubaction test token issuer",
) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    """A P-256 key and a self-signed certificate for it.

    distribution verifies the ``x5c`` chain with Go's ``x509.Verify`` against the
    ``rootcertbundle``; a leaf that is itself in the root pool is a valid chain of one. CA basic
    constraints and key usages are set anyway so a stricter verifier would also accept it.
    """
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + dt.timedelta(days=7))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .sign(key, hashes.SHA256())
    )
    return key, cert


def sign_jwt(
    header: Mapping[str, Any], claims: Mapping[str, Any], key: ec.EllipticCurvePrivateKey
) -> str:
    """A compact JWS: ``b64url(header).b64url(claims).b64url(r||s)``."""
    signing_input = f"{b64url(_compact_json(header))}.{b64url(_compact_json(claims))}"
    der = key.sign(signing_input.encode("ascii"), ec.ECDSA(hashes.SHA256()))
    r, s = decode_dss_signature(der)
    return f"{signing_input}.{b64url(r.to_bytes(32, 'big') + s.to_bytes(32, 'big'))}"


def verify_jwt(token: str, cert: x509.Certificate | None = None) -> dict[str, Any]:
    """Verify an ES256 JWT and return its claims; raise ``ValueError`` when it does not verify.

    Without ``cert``, the first ``x5c`` certificate of the header is used (what a registry does
    after checking the chain). Independent of :func:`sign_jwt` except for base64url.
    """
    try:
        header_b64, claims_b64, signature_b64 = token.split(".")
    except ValueError:
        raise ValueError(
            f"not a compact JWS (want 3 dot-separated parts): {token[:40]!r}"
        ) from None
    header = json.loads(b64url_decode(header_b64))
    if header.get("alg") != "ES256" or header.get("typ") != "JWT":
        raise ValueError(f"unexpected JWT header {header!r}")
    if cert is None:
        cert = x509.load_der_x509_certificate(base64.b64decode(header["x5c"][0], validate=True))
    signature = b64url_decode(signature_b64)
    if len(signature) != 64:
        raise ValueError(f"ES256 signature must be 64 raw bytes (r||s), got {len(signature)}")
    der = encode_dss_signature(
        int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
    )
    public_key = cert.public_key()
    if not isinstance(public_key, ec.EllipticCurvePublicKey):
        raise ValueError("certificate key is not an EC key")
    try:
        public_key.verify(
            der, f"{header_b64}.{claims_b64}".encode("ascii"), ec.ECDSA(hashes.SHA256())
        )
    except InvalidSignature:
        raise ValueError("JWT signature does not verify") from None
    claims: dict[str, Any] = json.loads(b64url_decode(claims_b64))
    return claims


class TokenServer(FakeServer):
    """The token server, a :class:`fakes.server.FakeServer` on ``127.0.0.1:<free port>``.

    ``users`` maps user names to passwords. Anonymous requests get pull access when
    ``allow_anonymous``; a request with wrong credentials always gets 401. ``pusher`` (a user
    name) also gets ``push`` when it asks for it. Repositories in ``denied_repositories`` get a
    token without any access (the registry then answers 401 ``insufficient_scope``).
    """

    def __init__(
        self,
        *,
        workdir: Path,
        users: Mapping[str, str] | None = None,
        allow_anonymous: bool = True,
        service: str = "test-registry",
        issuer: str = "test-issuer",
        pusher: str | None = None,
        expires_in: int = 300,
        response_fields: ResponseFields = "both",
        tls: ssl.SSLContext | None = None,
        path: str = "/token",
        refresh_tokens: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(self._handle, tls=tls)
        self.workdir = Path(workdir)
        self.service = service
        self.issuer = issuer
        self.path = path
        # refresh token -> user name; None: no OAuth2 endpoint (POST answers 405).
        self.refresh_tokens = None if refresh_tokens is None else dict(refresh_tokens)
        self._settings = _Settings(
            users=dict(users or {}),
            allow_anonymous=allow_anonymous,
            pusher=pusher,
            expires_in=expires_in,
            response_fields=response_fields,
        )
        self._tokens: list[IssuedToken] = []
        self.key, self.cert = make_signing_identity()
        self.cert_der = self.cert.public_bytes(serialization.Encoding.DER)
        self.cert_pem = self.cert.public_bytes(serialization.Encoding.PEM)
        self.cert_path = self.workdir / "token-signing.crt"

    def start(self) -> Self:
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.cert_path.write_bytes(self.cert_pem)
        return super().start()

    @property
    def realm(self) -> str:
        """The token endpoint, the registry's ``auth.token.realm``."""
        return f"{self.url}{self.path}"

    def handle(self, request: Request) -> Response:
        """Answer one request: for a registry fake that serves the token endpoint on its own
        host (Pulp's ``/token/``); recorded in that fake's log, not this server's."""
        return self._handle(request)

    def in_process(self) -> HandlerAdapter:
        """This server's protocol as a ``requests`` adapter (mount it on a session), recording
        into this server's own log: :attr:`requests` sees both."""
        adapter = HandlerAdapter(self._handle)
        adapter.log = self.log
        return adapter

    # -- what tests look at -------------------------------------------------------------------

    @property
    def requests(self) -> list[TokenRequest]:
        """Every request answered so far, in arrival order."""
        return [
            TokenRequest(
                method=e.request.method,
                path=e.request.path,
                query=e.request.query,
                has_auth=e.request.headers.get("Authorization") is not None,
                username=e.request.notes.get("username"),
                status=e.response.status,
                form=e.request.notes.get("form", {}),
            )
            for e in self.exchanges
            if e.response is not None
        ]

    @property
    def request_count(self) -> int:
        return len(self.requests)

    @property
    def tokens_issued(self) -> list[IssuedToken]:
        with self.lock:
            return list(self._tokens)

    def reset(self) -> None:
        """Forget recorded requests and tokens (call at the start of a test that counts)."""
        self.reset_log()
        with self.lock:
            self._tokens.clear()

    @contextlib.contextmanager
    def overrides(
        self,
        *,
        users: Mapping[str, str] | None = None,
        allow_anonymous: bool | None = None,
        pusher: str | None = None,
        expires_in: int | None = None,
        response_fields: ResponseFields | None = None,
        denied_repositories: set[str] | None = None,
    ) -> Iterator[Self]:
        """Change behaviour for the duration of a ``with`` block, then restore it.

        The session-wide token server is shared, so tests must not change it for good.
        """
        with self.lock:
            saved = self._settings
            self._settings = _Settings(
                users=dict(users) if users is not None else dict(saved.users),
                allow_anonymous=saved.allow_anonymous
                if allow_anonymous is None
                else allow_anonymous,
                pusher=saved.pusher if pusher is None else pusher,
                expires_in=saved.expires_in if expires_in is None else expires_in,
                response_fields=saved.response_fields
                if response_fields is None
                else response_fields,
                denied_repositories=set(saved.denied_repositories)
                if denied_repositories is None
                else set(denied_repositories),
            )
        try:
            yield self
        finally:
            with self.lock:
                self._settings = saved

    def issue(self, username: str, scopes: list[str], service: str | None = None) -> IssuedToken:
        """Mint a token directly, without HTTP (e.g. to hand a client a pre-made token)."""
        with self.lock:
            settings = self._settings
        return self._issue(settings, username, scopes, service or self.service)

    # -- protocol -----------------------------------------------------------------------------

    def _handle(self, request: Request) -> Response:
        with self.lock:
            settings = self._settings
        if request.path != self.path:
            return Response.json(404, _error("NOT_FOUND", f"no such endpoint {request.path!r}"))
        if request.method == "POST" and self.refresh_tokens is not None:
            return self._oauth_answer(request, settings, self.refresh_tokens)
        if request.method != "GET":
            # Without refresh_tokens there is no OAuth2 endpoint; 405 is what makes
            # containerd-style clients fall back to GET.
            refused = _error("UNSUPPORTED", f"{request.method} is not supported; use GET")
            return Response.json(405, refused, {"Allow": "GET"})
        authorization = request.headers.get("Authorization")
        username, failure = _authenticate(authorization, settings)
        if failure is not None:
            challenge = {"WWW-Authenticate": 'Basic realm="test-token-server"'}
            return Response.json(401, failure, challenge)
        request.notes["username"] = username
        return self._token_answer(request, settings, username)

    def _oauth_answer(
        self, request: Request, settings: _Settings, refresh_tokens: Mapping[str, str]
    ) -> Response:
        """The refresh-token grant (Docker token spec, "OAuth2 Token Authentication")."""
        if request.header("Content-Type").split(";")[0] != "application/x-www-form-urlencoded":
            return Response.json(400, {"error": "invalid_request", "error_description": "form"})
        form = urllib.parse.parse_qs(request.body.decode("ascii"), keep_blank_values=True)
        request.notes["form"] = form
        one = {name: values[0] for name, values in form.items() if len(values) == 1}
        if one.get("grant_type") != "refresh_token" or not one.get("client_id"):
            return Response.json(400, {"error": "unsupported_grant_type"})
        username = refresh_tokens.get(one.get("refresh_token", ""))
        if username is None:
            return Response.json(401, _error("UNAUTHORIZED", "invalid refresh token"))
        request.notes["username"] = username
        scopes = one.get("scope", "").split()
        issued = self._issue(settings, username, scopes, one.get("service", self.service))
        body = {"access_token": issued.token, "scope": " ".join(scopes)}
        return Response.json(200, {**body, "expires_in": settings.expires_in})

    def _token_answer(
        self, request: Request, settings: _Settings, username: str | None
    ) -> Response:
        query = request.query
        scopes = [s for value in query.get("scope", []) for s in value.split()]
        service = (query.get("service") or [self.service])[0]
        issued = self._issue(settings, username or "", scopes, service)
        now = dt.datetime.fromtimestamp(issued.claims["iat"], dt.UTC)
        body: dict[str, Any] = {"expires_in": settings.expires_in, "issued_at": _iso(now)}
        if settings.response_fields in ("both", "token"):
            body["token"] = issued.token
        if settings.response_fields in ("both", "access_token"):
            body["access_token"] = issued.token
        return Response.json(200, body)

    def _issue(
        self, settings: _Settings, username: str, scopes: list[str], service: str
    ) -> IssuedToken:
        now = int(dt.datetime.now(dt.UTC).timestamp())
        claims = {
            "iss": self.issuer,
            "sub": username,
            "aud": service,
            "exp": now + settings.expires_in,
            "nbf": now,
            "iat": now,
            "jti": secrets.token_hex(16),
            "access": [_grant(scope, username, settings) for scope in scopes],
        }
        header = {
            "typ": "JWT",
            "alg": "ES256",
            # x5c is standard base64 (RFC 7515 section 4.1.6), unlike the rest of the JWS.
            "x5c": [base64.b64encode(self.cert_der).decode("ascii")],
        }
        issued = IssuedToken(sign_jwt(header, claims, self.key), username, claims)
        with self.lock:
            self._tokens.append(issued)
        return issued


def _error(code: str, message: str) -> dict[str, Any]:
    # The distribution error shape, plus Docker Hub's auth server "details" string.
    return {"errors": [{"code": code, "message": message}], "details": message}


def _iso(moment: dt.datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def _authenticate(
    authorization: str | None, settings: _Settings
) -> tuple[str | None, dict[str, Any] | None]:
    """``(username or None, None)`` on success, ``(None, error body)`` on failure."""
    if authorization is None:
        if settings.allow_anonymous:
            return None, None
        return None, _error("UNAUTHORIZED", "authentication required")
    scheme, _, value = authorization.partition(" ")
    if scheme.lower() != "basic":
        return None, _error("UNAUTHORIZED", f"unsupported authorization scheme {scheme!r}")
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None, _error("UNAUTHORIZED", "malformed basic credentials")
    user, sep, password = decoded.partition(":")
    expected = settings.users.get(user)
    # Compare digests so the comparison time does not depend on the password (habit, not need).
    if (
        not sep
        or expected is None
        or not secrets.compare_digest(
            hashlib.sha256(password.encode()).digest(), hashlib.sha256(expected.encode()).digest()
        )
    ):
        return None, _error("UNAUTHORIZED", "incorrect username or password")
    return user, None


def _grant(scope: str, username: str, settings: _Settings) -> dict[str, Any]:
    """The ``access`` entry for one scope ``TYPE:NAME:ACTIONS``.

    NAME may itself contain ``:`` (``registry:catalog:*`` has none, but a name with a port
    would), so split the type off the front and the actions off the back. Only
    ``repository`` scopes ever get actions.
    """
    rtype, _, rest = scope.partition(":")
    name, _, actions_text = rest.rpartition(":")
    requested = [a for a in actions_text.split(",") if a]
    granted: list[str] = []
    if rtype == "repository" and name not in settings.denied_repositories:
        if "pull" in requested:
            granted.append("pull")
        if "push" in requested and username and username == settings.pusher:
            granted.append("push")
    return {"type": rtype, "name": name, "actions": granted}
