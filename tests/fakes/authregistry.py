"""A registry's ``/v2/`` API behind the auth schemes real registries use, for auth tests.

One repository with a few tags, an OCI image manifest each. :class:`AuthRegistry` is a
:data:`~fakes.server.Handler`: serve it with :class:`~fakes.server.FakeServer` (loopback) or
mount it with :class:`~fakes.transport.HandlerAdapter` (for registry hosts such as
``myacr.azurecr.io``, whose names the advice of ``hubaction.errors`` is keyed by).

* ``scheme="bearer"``: the Docker token protocol. An unauthorized request gets ``401`` and
  ``WWW-Authenticate: Bearer realm=...,service=...,scope=...`` (``challenge_scope`` None: no
  ``scope``, as Pulp and a ``/v2/`` challenge send; ``challenge_service`` False: no
  ``service``). A token must be a JWT of ``token_server`` (signature, ``aud`` = ``service``,
  ``exp``) granting ``pull`` on the repository; a valid one without that gets ``401 ...
  error="insufficient_scope"``. With ``token_routes``, requests to those paths go to a token
  server's handler: a token service on the registry's own host (Pulp's ``/token/``).
* ``scheme="basic"``: ECR. ``WWW-Authenticate: Basic realm=...,service="ecr.amazonaws.com"``;
  the user must be ``basic_user`` and the password a JWT of ``token_server`` (what
  ``GetAuthorizationToken`` hands out, minted here with :meth:`TokenServer.issue`). An expired
  one gets ECR's 403 ``DENIED: Your authorization token has expired. Reauthenticate and try
  again.`` (aws/aws-cli#6580); anything else 401 ``Not Authorized`` (go-containerregistry#861).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from fakes.server import Request, Response
from fakes.tokenserver import TokenServer, verify_jwt

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
ECR_EXPIRED = "Your authorization token has expired. Reauthenticate and try again."


def manifest_body(tag: str) -> bytes:
    """A small OCI image manifest, different per tag."""
    seed = hashlib.sha256(tag.encode()).hexdigest()
    doc = {
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": {
            "mediaType": "application/vnd.oci.image.config.v1+json",
            "digest": f"sha256:{seed}",
            "size": 100,
        },
        "layers": [],
    }
    return json.dumps(doc).encode()


def digest_of(body: bytes) -> str:
    return "sha256:" + hashlib.sha256(body).hexdigest()


def _error(status: int, code: str, message: str, headers: dict[str, str]) -> Response:
    return Response.json(status, {"errors": [{"code": code, "message": message}]}, headers)


@dataclass
class AuthRegistry:
    """The registry handler; see the module docstring for the schemes."""

    token_server: TokenServer
    repository: str = "app"
    tags: tuple[str, ...] = ("1.0", "2.0")
    scheme: Literal["bearer", "basic"] = "bearer"
    realm: str = ""
    service: str = "test-registry"
    challenge_scope: str | None = "repository:{name}:pull"
    #: False: the challenge names no ``service`` (tokens must still be for :attr:`service`).
    challenge_service: bool = True
    basic_user: str = "AWS"
    token_routes: dict[str, Callable[[Request], Response]] = field(default_factory=dict)

    def __call__(self, request: Request) -> Response:
        route = self.token_routes.get(request.path)
        if route is not None:
            return route(request)
        refused = self._refused(request)
        if refused is not None:
            return refused
        return self._serve(request)

    # -- auth -----------------------------------------------------------------------------

    def _challenge(self, error: str | None = None) -> dict[str, str]:
        if self.scheme == "basic":
            return {"WWW-Authenticate": f'Basic realm="{self.realm}",service="{self.service}"'}
        params = [f'realm="{self.realm}"']
        if self.challenge_service:
            params.append(f'service="{self.service}"')
        if self.challenge_scope is not None:
            scope = self.challenge_scope.format(name=self.repository)
            params.append(f'scope="{scope}"')
        if error:
            params.append(f'error="{error}"')
        return {"WWW-Authenticate": "Bearer " + ",".join(params)}

    def _refused(self, request: Request) -> Response | None:
        scheme, _, value = request.header("Authorization").partition(" ")
        if self.scheme == "basic":
            return self._basic_refusal(scheme, value.strip())
        if scheme.lower() != "bearer":
            return _error(401, "UNAUTHORIZED", "authentication required", self._challenge())
        try:
            claims = verify_jwt(value.strip(), self.token_server.cert)
        except (ValueError, KeyError, binascii.Error):
            return _error(401, "UNAUTHORIZED", "invalid token", self._challenge())
        if claims.get("aud") != self.service or claims.get("exp", 0) <= time.time():
            return _error(401, "UNAUTHORIZED", "invalid token", self._challenge())
        if not self._grants_pull(claims):
            challenge = self._challenge("insufficient_scope")
            return _error(401, "UNAUTHORIZED", "authentication required", challenge)
        return None

    def _grants_pull(self, claims: dict[str, object]) -> bool:
        access = claims.get("access")
        return isinstance(access, list) and any(
            isinstance(a, dict)
            and a.get("type") == "repository"
            and a.get("name") == self.repository
            and "pull" in a.get("actions", [])
            for a in access
        )

    def _basic_refusal(self, scheme: str, value: str) -> Response | None:
        if scheme.lower() != "basic":
            return _error(401, "UNAUTHORIZED", "Not Authorized", self._challenge())
        try:
            user, _, password = base64.b64decode(value, validate=True).decode().partition(":")
            claims = verify_jwt(password, self.token_server.cert)
        except (ValueError, KeyError, binascii.Error):
            return _error(401, "UNAUTHORIZED", "Not Authorized", self._challenge())
        if user != self.basic_user:
            return _error(401, "UNAUTHORIZED", "Not Authorized", self._challenge())
        if claims.get("exp", 0) <= time.time():
            return _error(403, "DENIED", ECR_EXPIRED, {})
        return None

    # -- content --------------------------------------------------------------------------

    def _serve(self, request: Request) -> Response:
        prefix = f"/v2/{self.repository}/"
        if not request.path.startswith(prefix):
            return _error(404, "NAME_UNKNOWN", "repository name not known to registry", {})
        rest = request.path[len(prefix) :]
        if rest == "tags/list":
            return Response.json(200, {"name": self.repository, "tags": list(self.tags)})
        tag = rest.removeprefix("manifests/")
        if rest == tag or tag not in self.tags:
            return _error(404, "MANIFEST_UNKNOWN", "manifest unknown", {})
        body = manifest_body(tag)
        headers = (("Content-Type", OCI_MANIFEST), ("Docker-Content-Digest", digest_of(body)))
        return Response(200, headers, body)
