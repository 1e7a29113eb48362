"""Auth flows against a fake transport that records every request (requests-mock's adapter).

Each test states the exact requests a flow must cost: the round trips are the product.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator

import pytest
import requests
import requests_mock

from hubaction.errors import Kind, RegistryError, Service, Unauthorized, describe
from hubaction.oci.reference import DOCKER_HUB_REALM, parse_reference
from hubaction.registry.auth import RegistryAuth
from hubaction.registry.client import RegistryClient
from hubaction.registry.credentials import Credentials, CredentialStore

DIGEST = "sha256:" + "a" * 64
REG = "https://reg.example.com"
REALM = "https://auth.example.com/token"
CHALLENGE = f'Bearer realm="{REALM}",service="reg.example.com",scope="repository:app:pull"'


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def fake() -> Iterator[requests_mock.Adapter]:
    yield requests_mock.Adapter()


def client_for(
    adapter: requests_mock.Adapter,
    creds: Credentials | None = None,
    *,
    registry: str = "reg.example.com",
    clock: FakeClock | None = None,
    insecure: frozenset[str] = frozenset(),
    secrets: list[str] | None = None,
) -> RegistryClient:
    session = requests.Session()
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    store = CredentialStore(explicit=creds, primary_registry=registry)
    auth = RegistryAuth(
        session,
        store,
        insecure_registries=insecure,
        on_secret=(secrets.append if secrets is not None else lambda _s: None),
        clock=clock or FakeClock(),
    )
    return RegistryClient(session, auth, insecure_registries=insecure, credentials=store)


def bearer_registry(
    adapter: requests_mock.Adapter,
    *,
    repo: str = "app",
    token: str = "tok-1-0123456789abcdef",
    expires_in: int | None = 300,
    key: str = "token",
    reg: str = REG,
) -> None:
    """A registry that wants ``Bearer token`` and a realm that hands it out."""

    def manifest(request: requests.PreparedRequest, context: object) -> str:
        ctx = context  # requests_mock's context object
        if request.headers.get("Authorization") == f"Bearer {token}":
            ctx.status_code = 200  # type: ignore[attr-defined]
            ctx.headers = {"Docker-Content-Digest": DIGEST}  # type: ignore[attr-defined]
            return ""
        ctx.status_code = 401  # type: ignore[attr-defined]
        ctx.headers = {  # type: ignore[attr-defined]
            "WWW-Authenticate": CHALLENGE.replace("repository:app", f"repository:{repo}")
        }
        return ""

    adapter.register_uri("HEAD", f"{reg}/v2/{repo}/manifests/1", text=manifest)
    answer: dict[str, object] = {key: token}
    if expires_in is not None:
        answer["expires_in"] = expires_in
    adapter.register_uri("GET", REALM, json=answer)


def calls(adapter: requests_mock.Adapter) -> list[tuple[str, str]]:
    return [(r.method, r.url.split("?")[0]) for r in adapter.request_history]


def test_anonymous_bearer_costs_three_requests(fake: requests_mock.Adapter) -> None:
    bearer_registry(fake)
    client = client_for(fake)
    head = client.head_manifest(parse_reference("reg.example.com/app:1"))
    assert str(head.digest) == DIGEST
    assert calls(fake) == [
        ("HEAD", f"{REG}/v2/app/manifests/1"),
        ("GET", REALM),
        ("HEAD", f"{REG}/v2/app/manifests/1"),
    ]
    token_request = fake.request_history[1]
    assert token_request.qs == {"service": ["reg.example.com"], "scope": ["repository:app:pull"]}
    assert "Authorization" not in token_request.headers


@pytest.mark.parametrize("key", ["token", "access_token"])
def test_credentialed_bearer_sends_basic_to_the_realm(
    fake: requests_mock.Adapter, key: str
) -> None:
    bearer_registry(fake, key=key)
    secrets: list[str] = []
    client = client_for(fake, Credentials("alice", "s3cret"), secrets=secrets)
    client.head_manifest(parse_reference("reg.example.com/app:1"))
    token_request = fake.request_history[1]
    expected = "Basic " + base64.b64encode(b"alice:s3cret").decode()
    assert token_request.headers["Authorization"] == expected
    # the registry itself never sees the password, only the token
    assert fake.request_history[2].headers["Authorization"] == "Bearer tok-1-0123456789abcdef"
    assert secrets == ["tok-1-0123456789abcdef"]


def test_token_is_reused_and_known_realm_skips_the_401(fake: requests_mock.Adapter) -> None:
    bearer_registry(fake)
    bearer_registry(fake, repo="other")
    client = client_for(fake)
    client.head_manifest(parse_reference("reg.example.com/app:1"))
    fake.request_history.clear()
    client.head_manifest(parse_reference("reg.example.com/app:1"))
    assert calls(fake) == [("HEAD", f"{REG}/v2/app/manifests/1")]
    fake.request_history.clear()
    # another repository on the same registry: the realm is known, so no 401 round trip
    client.head_manifest(parse_reference("reg.example.com/other:1"))
    assert calls(fake) == [("GET", REALM), ("HEAD", f"{REG}/v2/other/manifests/1")]
    assert fake.request_history[0].qs["scope"] == ["repository:other:pull"]


def test_expired_token_is_renewed_before_the_request(fake: requests_mock.Adapter) -> None:
    bearer_registry(fake, expires_in=60)
    clock = FakeClock()
    client = client_for(fake, clock=clock)
    ref = parse_reference("reg.example.com/app:1")
    client.head_manifest(ref)
    clock.now += 30
    fake.request_history.clear()
    client.head_manifest(ref)
    assert calls(fake) == [("HEAD", f"{REG}/v2/app/manifests/1")]
    clock.now += 31  # past expires_in (minus the safety margin)
    fake.request_history.clear()
    client.head_manifest(ref)
    assert calls(fake) == [("GET", REALM), ("HEAD", f"{REG}/v2/app/manifests/1")]


def test_missing_expires_in_means_sixty_seconds(fake: requests_mock.Adapter) -> None:
    bearer_registry(fake, expires_in=None)
    clock = FakeClock()
    client = client_for(fake, clock=clock)
    ref = parse_reference("reg.example.com/app:1")
    client.head_manifest(ref)
    clock.now += 50
    fake.request_history.clear()
    client.head_manifest(ref)
    assert len(fake.request_history) == 1
    clock.now += 20
    fake.request_history.clear()
    client.head_manifest(ref)
    assert len(fake.request_history) == 2


def test_basic_auth_registry(fake: requests_mock.Adapter) -> None:
    good = "Basic " + base64.b64encode(b"bob:pw").decode()

    def manifest(request: requests.PreparedRequest, context: object) -> str:
        if request.headers.get("Authorization") == good:
            context.status_code = 200  # type: ignore[attr-defined]
            context.headers = {"Docker-Content-Digest": DIGEST}  # type: ignore[attr-defined]
        else:
            context.status_code = 401  # type: ignore[attr-defined]
            context.headers = {"WWW-Authenticate": 'Basic realm="r"'}  # type: ignore[attr-defined]
        return ""

    fake.register_uri("HEAD", f"{REG}/v2/app/manifests/1", text=manifest)
    fake.register_uri("HEAD", f"{REG}/v2/app/manifests/2", text=manifest)
    client = client_for(fake, Credentials("bob", "pw"))
    client.head_manifest(parse_reference("reg.example.com/app:1"))
    assert len(fake.request_history) == 2
    fake.request_history.clear()
    # once Basic is known, it is sent up front
    client.head_manifest(parse_reference("reg.example.com/app:2"))
    assert len(fake.request_history) == 1


def test_basic_auth_without_credentials_is_unauthorized(fake: requests_mock.Adapter) -> None:
    fake.register_uri(
        "HEAD",
        f"{REG}/v2/app/manifests/1",
        status_code=401,
        headers={"WWW-Authenticate": 'Basic realm="r"'},
    )
    with pytest.raises(Unauthorized) as info:
        client_for(fake).head_manifest(parse_reference("reg.example.com/app:1"))
    error = info.value
    assert (error.kind, error.status, error.service) == (
        Kind.NEEDS_CREDENTIALS,
        401,
        Service.REGISTRY,
    )
    assert (error.registry, error.repository) == ("reg.example.com", "app")
    assert len(fake.request_history) == 1


def test_wrong_credentials_at_the_token_service(fake: requests_mock.Adapter) -> None:
    fake.register_uri(
        "HEAD",
        f"{REG}/v2/app/manifests/1",
        status_code=401,
        headers={"WWW-Authenticate": CHALLENGE},
    )
    fake.register_uri("GET", REALM, status_code=401, json={"details": "bad creds"})
    client = client_for(fake, Credentials("alice", "wrong-pass"))
    with pytest.raises(Unauthorized) as info:
        client.head_manifest(parse_reference("reg.example.com/app:1"))
    error = info.value
    assert (error.kind, error.status, error.service) == (
        Kind.CREDENTIALS_REFUSED,
        401,
        Service.REALM,
    )
    assert error.registry == "reg.example.com"
    assert "alice" in str(error)
    assert "wrong-pass" not in describe(error)


def test_insufficient_scope_after_a_token_is_final(fake: requests_mock.Adapter) -> None:
    fake.register_uri(
        "HEAD",
        f"{REG}/v2/app/manifests/1",
        status_code=401,
        headers={"WWW-Authenticate": CHALLENGE + ',error="insufficient_scope"'},
    )
    fake.register_uri("GET", REALM, json={"token": "weak-0123456789abcdef"})
    client = client_for(fake)
    with pytest.raises(Unauthorized) as info:
        client.head_manifest(parse_reference("reg.example.com/app:1"))
    # Anonymous: a missing or private repository (issue 15), not credentials refused.
    assert (info.value.kind, info.value.status) == (Kind.NEEDS_CREDENTIALS, 401)
    # first 401, one token, one retry; no loop
    assert len(fake.request_history) == 3


def test_docker_hub_first_request_carries_a_token(fake: requests_mock.Adapter) -> None:
    fake.register_uri(
        "GET", DOCKER_HUB_REALM, json={"token": "hub-tok-0123456789abcdef", "expires_in": 300}
    )
    fake.register_uri(
        "HEAD",
        "https://registry-1.docker.io/v2/library/node/manifests/20",
        headers={"Docker-Content-Digest": DIGEST, "ratelimit-limit": "100;w=21600"},
    )
    client = client_for(fake, registry="docker.io")
    head = client.head_manifest(parse_reference("node:20"))
    assert head.ratelimit is not None and head.ratelimit.limit == 100
    assert calls(fake) == [
        ("GET", DOCKER_HUB_REALM),
        ("HEAD", "https://registry-1.docker.io/v2/library/node/manifests/20"),
    ]
    assert fake.request_history[0].qs == {
        "service": ["registry.docker.io"],
        "scope": ["repository:library/node:pull"],
    }
    assert fake.request_history[1].headers["Authorization"] == "Bearer hub-tok-0123456789abcdef"


def test_realm_over_plain_http_gets_no_credentials(fake: requests_mock.Adapter) -> None:
    plain = "http://auth.example.com/token"
    fake.register_uri(
        "HEAD",
        f"{REG}/v2/app/manifests/1",
        status_code=401,
        headers={"WWW-Authenticate": f'Bearer realm="{plain}",service="s"'},
    )
    fake.register_uri("GET", plain, json={"token": "t-0123456789abcdef"})
    with pytest.raises(Unauthorized, match="plain HTTP"):
        client_for(fake, Credentials("alice", "pw")).head_manifest(
            parse_reference("reg.example.com/app:1")
        )
    assert all(r.url.split("?")[0] != plain for r in fake.request_history)


def test_realm_over_plain_http_is_fine_anonymously(fake: requests_mock.Adapter) -> None:
    plain = "http://auth.example.com/token"
    state = {"n": 0}

    def manifest(request: requests.PreparedRequest, context: object) -> str:
        state["n"] += 1
        if request.headers.get("Authorization") == "Bearer t-0123456789abcdef":
            context.headers = {"Docker-Content-Digest": DIGEST}  # type: ignore[attr-defined]
        else:
            context.status_code = 401  # type: ignore[attr-defined]
            context.headers = {  # type: ignore[attr-defined]
                "WWW-Authenticate": f'Bearer realm="{plain}",service="s"'
            }
        return ""

    fake.register_uri("HEAD", f"{REG}/v2/app/manifests/1", text=manifest)
    fake.register_uri("GET", plain, json={"token": "t-0123456789abcdef"})
    client_for(fake).head_manifest(parse_reference("reg.example.com/app:1"))
    assert "Authorization" not in fake.request_history[1].headers


def test_redirect_to_another_host_drops_authorization(fake: requests_mock.Adapter) -> None:
    body = json.dumps({"created": "2024-01-01T00:00:00Z"}).encode()
    import hashlib

    digest = "sha256:" + hashlib.sha256(body).hexdigest()
    fake.register_uri("GET", DOCKER_HUB_REALM, json={"token": "hub-tok-0123456789abcdef"})
    fake.register_uri(
        "GET",
        f"https://registry-1.docker.io/v2/library/node/blobs/{digest}",
        status_code=307,
        headers={"Location": "https://cdn.example.net/blob?sig=abc"},
    )
    fake.register_uri("GET", "https://cdn.example.net/blob", content=body)
    client = client_for(fake, registry="docker.io")
    assert client.get_blob(parse_reference("node"), parse_reference("node@" + digest).digest) == (  # type: ignore[arg-type]
        body
    )
    registry_request, cdn_request = fake.request_history[1], fake.request_history[2]
    assert registry_request.headers["Authorization"] == "Bearer hub-tok-0123456789abcdef"
    assert "Authorization" not in cdn_request.headers


def test_redirect_downgrade_to_http_is_refused(fake: requests_mock.Adapter) -> None:
    fake.register_uri("GET", REALM, json={"token": "t-0123456789abcdef"})
    fake.register_uri(
        "GET",
        f"{REG}/v2/app/blobs/{DIGEST}",
        status_code=302,
        headers={"Location": "http://cdn.example.net/blob"},
    )
    client = client_for(fake)
    ref = parse_reference("reg.example.com/app")
    with pytest.raises(RegistryError, match="plain HTTP"):
        client.get_blob(ref, parse_reference("a@" + DIGEST).digest)  # type: ignore[arg-type]
