"""RegistryClient's connections against a recording fake transport: the scheme (plain HTTP to
loopback hosts, the insecure fallback, learnt once), TLS verification and CA bundles, the
redirect policy and the timeouts. Manifests, blobs and tags: tests/test_registry_client.py."""

from __future__ import annotations

import base64
import hashlib
import itertools

import pytest
import requests
import requests_mock
from fakes.server import SilentListener
from test_registry_client import DIGEST, REF, REG, client

from hubaction.errors import Kind, RegistryError, Service, describe
from hubaction.oci.reference import parse_digest, parse_reference
from hubaction.registry.client import RegistryClient, open_client
from hubaction.registry.credentials import Credentials, CredentialStore


@pytest.fixture
def fake() -> requests_mock.Adapter:
    return requests_mock.Adapter()


def test_loopback_speaks_plain_http(fake: requests_mock.Adapter) -> None:
    fake.register_uri(
        "HEAD",
        "http://localhost:5000/v2/app/manifests/1",
        headers={"Docker-Content-Digest": DIGEST},
    )
    client(fake).head_manifest(parse_reference("localhost:5000/app:1"))
    assert fake.request_history[0].url.startswith("http://localhost:5000/")


def test_other_hosts_speak_https(fake: requests_mock.Adapter) -> None:
    fake.register_uri(
        "HEAD", f"{REG}/v2/app/manifests/1", headers={"Docker-Content-Digest": DIGEST}
    )
    client(fake).head_manifest(REF)
    assert fake.request_history[0].url.startswith("https://")


def test_insecure_registry_falls_back_to_plain_http_once(fake: requests_mock.Adapter) -> None:
    fake.register_uri(
        "HEAD",
        "https://reg.internal:5000/v2/app/manifests/1",
        exc=requests.exceptions.SSLError("wrong version number"),
    )
    fake.register_uri(
        "HEAD",
        "http://reg.internal:5000/v2/app/manifests/1",
        headers={"Docker-Content-Digest": DIGEST},
    )
    c = client(fake, insecure_registries=frozenset({"reg.internal:5000"}))
    ref = parse_reference("reg.internal:5000/app:1")
    assert str(c.head_manifest(ref).digest) == DIGEST
    assert str(c.head_manifest(ref).digest) == DIGEST
    assert [r.url.split(":")[0] for r in fake.request_history] == ["https", "http", "http"]


def test_without_insecure_a_tls_failure_is_an_error(fake: requests_mock.Adapter) -> None:
    fake.register_uri(
        "HEAD",
        "https://reg.internal:5000/v2/app/manifests/1",
        exc=requests.exceptions.SSLError("certificate verify failed"),
    )
    with pytest.raises(RegistryError) as info:
        client(fake).head_manifest(parse_reference("reg.internal:5000/app:1"))
    assert (info.value.kind, info.value.service) == (Kind.TLS_FAILED, Service.REGISTRY)
    assert "REQUESTS_CA_BUNDLE" in describe(info.value)  # what to do about it
    assert len(fake.request_history) == 1


def test_a_private_ca_from_ssl_cert_file_is_used(
    fake: requests_mock.Adapter, monkeypatch: pytest.MonkeyPatch, tmp_path: object
) -> None:
    from hubaction.registry.transport import new_session

    monkeypatch.delenv("REQUESTS_CA_BUNDLE", raising=False)
    monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)
    monkeypatch.setenv("SSL_CERT_FILE", "/etc/private-ca.pem")
    session = new_session()
    session.mount("https://", fake)
    fake.register_uri(
        "HEAD", f"{REG}/v2/app/manifests/1", headers={"Docker-Content-Digest": DIGEST}
    )
    open_client(session=session).head_manifest(REF)
    assert fake.request_history[0].verify == "/etc/private-ca.pem"


def test_requests_ca_bundle_wins_and_insecure_turns_verification_off(
    fake: requests_mock.Adapter, monkeypatch: pytest.MonkeyPatch
) -> None:
    from hubaction.registry.transport import new_session

    monkeypatch.setenv("SSL_CERT_FILE", "/etc/private-ca.pem")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/etc/bundle.pem")
    session = new_session()
    session.mount("https://", fake)
    fake.register_uri(
        "HEAD", f"{REG}/v2/app/manifests/1", headers={"Docker-Content-Digest": DIGEST}
    )
    open_client(session=session).head_manifest(REF)
    assert fake.request_history[0].verify == "/etc/bundle.pem"
    insecure = open_client(session=session, insecure_registries=frozenset({"reg.example.com"}))
    insecure.head_manifest(REF)
    assert fake.request_history[-1].verify is False


# ---------------------------------------------------------------------------------------------
# The redirect policy: a Basic registry, so every request to it carries Authorization.

BLOB = b"config"
BLOB_DIGEST = parse_digest("sha256:" + hashlib.sha256(BLOB).hexdigest())
BASIC = "Basic " + base64.b64encode(b"u:pw").decode()


def redirecting_registry(
    fake: requests_mock.Adapter, locations: list[str], *, reg: str = REG
) -> None:
    """The blob URL answers 401 without Authorization, else a redirect along ``locations``;
    the last one serves the blob."""

    def hop(request: requests.PreparedRequest, context: object) -> bytes:
        if request.headers.get("Authorization") != BASIC:
            context.status_code = 401  # type: ignore[attr-defined]
            context.headers = {"WWW-Authenticate": 'Basic realm="r"'}  # type: ignore[attr-defined]
            return b""
        context.status_code = 307  # type: ignore[attr-defined]
        context.headers = {"Location": locations[0]}  # type: ignore[attr-defined]
        return b""

    fake.register_uri("GET", f"{reg}/v2/app/blobs/{BLOB_DIGEST}", content=hop)
    for here, there in itertools.pairwise(locations):
        fake.register_uri("GET", here, status_code=307, headers={"Location": there})
    fake.register_uri("GET", locations[-1], content=BLOB)


def basic_client(fake: requests_mock.Adapter, registry: str, **kwargs: object) -> RegistryClient:
    store = CredentialStore(explicit=Credentials("u", "pw"), primary_registry=registry)
    return client(fake, credentials=store, **kwargs)


@pytest.mark.parametrize(
    ("location", "authorized"),
    [
        (f"{REG}/v2/app/blobs/elsewhere", True),
        ("https://cdn.example.net/blob?sig=abc", False),
        ("https://reg.example.com:8443/blob", False),  # another port is another origin
    ],
    ids=["same-host-keeps-authorization", "another-host-never", "another-port-never"],
)
def test_redirects_carry_credentials_only_to_the_origin(
    fake: requests_mock.Adapter, location: str, authorized: bool
) -> None:
    redirecting_registry(fake, [location])
    assert basic_client(fake, "reg.example.com").get_blob(REF, BLOB_DIGEST) == BLOB
    hop = fake.request_history[-1]
    assert hop.url.split("?")[0] == location.split("?")[0]
    assert (hop.headers.get("Authorization") == BASIC) is authorized
    assert len(fake.request_history) == 3  # 401, the retry, the hop


def test_insecure_registry_may_redirect_to_plain_http_without_credentials(
    fake: requests_mock.Adapter,
) -> None:
    redirecting_registry(fake, ["http://reg.example.com/v2/app/blobs/plain"])
    insecure = frozenset({"reg.example.com"})
    c = basic_client(fake, "reg.example.com", insecure_registries=insecure)
    assert c.get_blob(REF, BLOB_DIGEST) == BLOB
    assert "Authorization" not in fake.request_history[-1].headers


@pytest.mark.parametrize(("hops", "followed"), [(5, True), (6, False)])
def test_at_most_five_redirects(fake: requests_mock.Adapter, hops: int, followed: bool) -> None:
    redirecting_registry(fake, [f"https://cdn.example.net/{n}" for n in range(hops)])
    c = basic_client(fake, "reg.example.com")
    if followed:
        assert c.get_blob(REF, BLOB_DIGEST) == BLOB
    else:
        with pytest.raises(RegistryError, match="more than 5 redirects"):
            c.get_blob(REF, BLOB_DIGEST)
    assert len(fake.request_history) == 2 + min(hops, 5)


def test_the_insecure_scheme_is_learnt_once_for_every_repository(
    fake: requests_mock.Adapter,
) -> None:
    for repo in ("app", "other"):
        fake.register_uri(
            "HEAD",
            f"https://reg.internal:5000/v2/{repo}/manifests/1",
            exc=requests.exceptions.ConnectionError("reset"),
        )
        fake.register_uri(
            "HEAD",
            f"http://reg.internal:5000/v2/{repo}/manifests/1",
            headers={"Docker-Content-Digest": DIGEST},
        )
    c = client(fake, insecure_registries=frozenset({"reg.internal:5000"}))
    c.head_manifest(parse_reference("reg.internal:5000/app:1"))
    c.head_manifest(parse_reference("reg.internal:5000/other:1"))
    assert [r.url.split("/")[0] for r in fake.request_history] == ["https:", "http:", "http:"]


def test_an_insecure_registry_that_speaks_tls_keeps_it(fake: requests_mock.Adapter) -> None:
    reset = requests.exceptions.ConnectionError("reset")
    fake.register_uri(
        "HEAD",
        "https://reg.internal:5000/v2/app/manifests/1",
        [{"headers": {"Docker-Content-Digest": DIGEST}}, {"exc": reset}],
    )
    fake.register_uri(
        "HEAD",
        "http://reg.internal:5000/v2/app/manifests/1",
        headers={"Docker-Content-Digest": DIGEST},
    )
    c = client(fake, insecure_registries=frozenset({"reg.internal:5000"}))
    ref = parse_reference("reg.internal:5000/app:1")
    c.head_manifest(ref)
    # TLS worked once: a later network failure is an error, not a reason to drop TLS
    with pytest.raises(RegistryError, match="could not connect"):
        c.head_manifest(ref)
    assert [r.url.split("/")[0] for r in fake.request_history] == ["https:", "https:"]


@pytest.mark.timeout(30)  # the default 20 s read timeout, twice, would end here
def test_open_client_takes_timeouts() -> None:
    # The client's own read timeout ends the wait, not the default 20 s.
    c = open_client(timeout=(0.5, 0.1), retry_budget=0.0)
    with SilentListener() as silent, pytest.raises(RegistryError) as info:
        c.head_manifest(parse_reference(f"localhost:{silent.port}/app:1"))
    assert info.value.kind is Kind.TIMEOUT
    assert "read timeout=0.1" in str(info.value.__cause__ or info.value.__context__)
