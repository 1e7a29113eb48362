"""The token server (:mod:`fakes.tokenserver`): Docker's token protocol as the token-auth
registry and clients see it, and its JWTs, which must verify (and forgeries must not).

The integration tests here run against the session's ``token_registry``; the last ones need no
registry.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import requests
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from registryfixtures import (
    TOKEN_ISSUER,
    TOKEN_PASSWORD,
    TOKEN_SERVICE,
    TOKEN_USER,
    Fixtures,
    RegistryProcess,
)
from registryfixtures.images import (
    MANIFEST_ACCEPT,
)

from fakes.tokenserver import (
    TokenServer,
    b64url,
    b64url_decode,
    make_signing_identity,
    sign_jwt,
    verify_jwt,
)

SkopeoDigest = Callable[..., str]


@pytest.fixture(scope="module")
def http() -> Iterator[requests.Session]:
    session = requests.Session()
    session.trust_env = False  # loopback only; ignore proxies from the environment
    yield session
    session.close()


def challenge_params(header: str) -> dict[str, str]:
    """``Bearer realm="...",service="..."`` -> ``{"realm": ..., "service": ...}``."""
    return dict(re.findall(r'(\w+)="([^"]*)"', header))


def get_token(
    http: requests.Session,
    token_server: TokenServer,
    scope: str,
    auth: tuple[str, str] | None = None,
) -> requests.Response:
    return http.get(
        token_server.realm,
        params={"service": TOKEN_SERVICE, "scope": scope},
        auth=auth,
        timeout=10,
    )


# -- token auth ------------------------------------------------------------------------------------


@pytest.mark.integration
def test_token_registry_challenge_then_anonymous_token(
    token_registry: RegistryProcess,
    token_server: TokenServer,
    registry_fixtures: Fixtures,
    http: requests.Session,
) -> None:
    image = registry_fixtures.oci_index
    url = f"{token_registry.url}/v2/{image.repository}/manifests/1"
    headers = {"Accept": MANIFEST_ACCEPT}
    token_server.reset()

    first = http.get(url, headers=headers, timeout=10)
    assert first.status_code == 401
    challenge = first.headers["WWW-Authenticate"]
    assert challenge.startswith("Bearer ")
    params = challenge_params(challenge)
    scope = f"repository:{image.repository}:pull"
    assert params == {"realm": token_server.realm, "service": TOKEN_SERVICE, "scope": scope}
    assert token_server.request_count == 0

    answer = get_token(http, token_server, scope)
    assert answer.status_code == 200
    body = answer.json()
    assert set(body) == {"token", "access_token", "expires_in", "issued_at"}
    assert body["token"] == body["access_token"]

    second = http.get(
        url, headers={**headers, "Authorization": f"Bearer {body['token']}"}, timeout=10
    )
    assert second.status_code == 200
    assert second.headers["Docker-Content-Digest"] == image.digest

    assert token_server.request_count == 1
    (request,) = token_server.requests
    assert (request.path, request.has_auth, request.username, request.status) == (
        "/token",
        False,
        None,
        200,
    )
    assert request.scopes == (scope,)
    (issued,) = token_server.tokens_issued
    assert issued.claims["sub"] == ""
    assert issued.access == [{"type": "repository", "name": image.repository, "actions": ["pull"]}]


@pytest.mark.integration
def test_token_with_credentials_and_push_grant(
    token_registry: RegistryProcess, token_server: TokenServer, http: requests.Session
) -> None:
    scope = "repository:fixtures/oci-index:pull,push"
    alice = get_token(http, token_server, scope, auth=(TOKEN_USER, TOKEN_PASSWORD))
    assert alice.status_code == 200
    claims = verify_jwt(alice.json()["token"], token_server.cert)
    assert claims["sub"] == TOKEN_USER
    assert claims["access"][0]["actions"] == ["pull", "push"]

    anonymous = get_token(http, token_server, scope)
    assert verify_jwt(anonymous.json()["token"])["access"][0]["actions"] == ["pull"]


@pytest.mark.integration
def test_token_wrong_credentials_is_401(
    token_registry: RegistryProcess, token_server: TokenServer, http: requests.Session
) -> None:
    token_server.reset()
    answer = get_token(
        http, token_server, "repository:fixtures/oci-index:pull", auth=(TOKEN_USER, "wrong")
    )
    assert answer.status_code == 401
    assert answer.json()["errors"][0]["code"] == "UNAUTHORIZED"
    (request,) = token_server.requests
    assert (request.has_auth, request.status) == (True, 401)
    assert token_server.tokens_issued == []


@pytest.mark.integration
def test_token_server_can_refuse_anonymous(
    token_registry: RegistryProcess, token_server: TokenServer, http: requests.Session
) -> None:
    scope = "repository:fixtures/oci-index:pull"
    with token_server.overrides(allow_anonymous=False):
        assert get_token(http, token_server, scope).status_code == 401
        authed = get_token(http, token_server, scope, auth=(TOKEN_USER, TOKEN_PASSWORD))
        assert authed.status_code == 200
    assert get_token(http, token_server, scope).status_code == 200  # restored


@pytest.mark.integration
def test_token_without_access_is_insufficient_scope(
    token_registry: RegistryProcess,
    token_server: TokenServer,
    registry_fixtures: Fixtures,
    http: requests.Session,
) -> None:
    image = registry_fixtures.oci_index
    scope = f"repository:{image.repository}:pull"
    with token_server.overrides(denied_repositories={image.repository}):
        token = get_token(http, token_server, scope).json()["token"]
    assert verify_jwt(token)["access"] == [
        {"type": "repository", "name": image.repository, "actions": []}
    ]
    answer = http.get(
        f"{token_registry.url}/v2/{image.repository}/manifests/1",
        headers={"Accept": MANIFEST_ACCEPT, "Authorization": f"Bearer {token}"},
        timeout=10,
    )
    assert answer.status_code == 401
    assert challenge_params(answer.headers["WWW-Authenticate"])["error"] == "insufficient_scope"


@pytest.mark.integration
@pytest.mark.parametrize("field", ["token", "access_token"])
def test_token_response_with_one_field(
    field: str,
    token_registry: RegistryProcess,
    token_server: TokenServer,
    registry_fixtures: Fixtures,
    http: requests.Session,
) -> None:
    image = registry_fixtures.docker_v2
    with token_server.overrides(response_fields=field, expires_in=42):  # type: ignore[arg-type]
        body = get_token(http, token_server, f"repository:{image.repository}:pull").json()
    assert set(body) == {field, "expires_in", "issued_at"}
    assert body["expires_in"] == 42
    claims = verify_jwt(body[field])
    assert claims["exp"] - claims["iat"] == 42
    answer = http.head(
        f"{token_registry.url}/v2/{image.repository}/manifests/1",
        headers={"Accept": MANIFEST_ACCEPT, "Authorization": f"Bearer {body[field]}"},
        timeout=10,
    )
    assert answer.headers["Docker-Content-Digest"] == image.digest


@pytest.mark.integration
def test_jwt_verifies_and_registry_rejects_a_forgery(
    token_registry: RegistryProcess,
    token_server: TokenServer,
    registry_fixtures: Fixtures,
    http: requests.Session,
) -> None:
    image = registry_fixtures.oci_index
    token = get_token(http, token_server, f"repository:{image.repository}:pull").json()["token"]
    header_b64, _claims_b64, signature_b64 = token.split(".")
    header = json.loads(b64url_decode(header_b64))
    assert header == {
        "typ": "JWT",
        "alg": "ES256",
        "x5c": [base64.b64encode(token_server.cert_der).decode()],
    }
    assert len(b64url_decode(signature_b64)) == 64
    assert "=" not in token
    bundle = x509.load_pem_x509_certificate(Path(token_server.cert_path).read_bytes())
    assert bundle.public_bytes(serialization.Encoding.DER) == token_server.cert_der

    claims = verify_jwt(token, bundle)
    assert claims["iss"] == TOKEN_ISSUER
    assert claims["aud"] == TOKEN_SERVICE
    assert claims["nbf"] <= claims["iat"] < claims["exp"]
    assert set(claims) == {"iss", "sub", "aud", "exp", "nbf", "iat", "jti", "access"}

    forged_claims = b64url(json.dumps({**claims, "sub": "mallory"}).encode())
    forged = f"{header_b64}.{forged_claims}.{signature_b64}"
    with pytest.raises(ValueError, match="does not verify"):
        verify_jwt(forged, bundle)
    answer = http.get(
        f"{token_registry.url}/v2/{image.repository}/manifests/1",
        headers={"Accept": MANIFEST_ACCEPT, "Authorization": f"Bearer {forged}"},
        timeout=10,
    )
    assert answer.status_code == 401


@pytest.mark.integration
def test_skopeo_through_token_auth(
    token_registry: RegistryProcess,
    token_server: TokenServer,
    registry_fixtures: Fixtures,
    skopeo_digest: SkopeoDigest,
) -> None:
    image = registry_fixtures.manifest_list
    token_server.reset()
    assert skopeo_digest(token_registry.ref(image.reference)) == image.digest
    assert token_server.request_count >= 1
    creds = (TOKEN_USER, TOKEN_PASSWORD)
    assert skopeo_digest(token_registry.ref(image.reference), creds=creds) == image.digest
    assert any(r.username == TOKEN_USER for r in token_server.requests)


# -- the JWTs, without a registry ----------------------------------------------------------------


def test_verify_jwt_rejects_other_keys_and_garbage() -> None:
    key, cert = make_signing_identity()
    other_key, _ = make_signing_identity()
    header = {"typ": "JWT", "alg": "ES256"}
    claims = {"sub": "x"}
    assert verify_jwt(sign_jwt(header, claims, key), cert) == claims
    with pytest.raises(ValueError, match="does not verify"):
        verify_jwt(sign_jwt(header, claims, other_key), cert)
    with pytest.raises(ValueError, match="compact JWS"):
        verify_jwt("not-a-jwt", cert)
    short = sign_jwt(header, claims, key).rsplit(".", 1)[0] + "." + b64url(b"\0" * 63)
    with pytest.raises(ValueError, match="64 raw bytes"):
        verify_jwt(short, cert)
    with pytest.raises(ValueError, match="unexpected JWT header"):
        verify_jwt(sign_jwt({"alg": "HS256", "typ": "JWT"}, claims, key), cert)


@pytest.mark.parametrize(
    ("username", "scope", "expected"),
    [
        ("", "repository:fixtures/x:pull", ("repository", "fixtures/x", ["pull"])),
        ("", "repository:fixtures/x:pull,push", ("repository", "fixtures/x", ["pull"])),
        (
            "alice",
            "repository:fixtures/x:pull,push",
            ("repository", "fixtures/x", ["pull", "push"]),
        ),
        ("alice", "repository:fixtures/x:push", ("repository", "fixtures/x", ["push"])),
        ("bob", "repository:fixtures/x:push", ("repository", "fixtures/x", [])),
        ("", "repository:fixtures/x:delete", ("repository", "fixtures/x", [])),
        ("", "registry:catalog:*", ("registry", "catalog", [])),
        ("", "repository:localhost:5000/x:pull", ("repository", "localhost:5000/x", ["pull"])),
    ],
)
def test_token_grants(
    tmp_path: Path, username: str, scope: str, expected: tuple[str, str, list[str]]
) -> None:
    server = TokenServer(workdir=tmp_path, users={"alice": "pw", "bob": "pw"}, pusher="alice")
    issued = server.issue(username, [scope])
    rtype, name, actions = expected
    assert issued.access == [{"type": rtype, "name": name, "actions": actions}]
    assert verify_jwt(issued.token, server.cert)["sub"] == username
