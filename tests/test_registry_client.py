"""RegistryClient against a recording fake transport: the registry behaviours that the local
``docker-registry`` does not show (HEAD refused, no digest header, Link pagination, redirects,
oversized or corrupted bodies, schema 1)."""

from __future__ import annotations

import base64
import hashlib
import itertools
import json

import pytest
import requests
import requests_mock
from fakes.server import SilentListener

from hubaction.errors import (
    DigestMismatch,
    Kind,
    NotFound,
    RegistryError,
    Service,
    UnsupportedManifest,
    describe,
)
from hubaction.oci.mediatypes import ACCEPT, DOCKER_SCHEMA1_SIGNED, MAX_MANIFEST_BYTES, OCI_MANIFEST
from hubaction.oci.reference import parse_digest, parse_reference
from hubaction.registry.client import RegistryClient, open_client
from hubaction.registry.credentials import Credentials, CredentialStore

REG = "https://reg.example.com"
MANIFEST = json.dumps(
    {
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": {
            "mediaType": "application/vnd.oci.image.config.v1+json",
            "digest": "sha256:" + "c" * 64,
            "size": 10,
        },
        "layers": [],
    },
    indent=2,
).encode()
DIGEST = "sha256:" + hashlib.sha256(MANIFEST).hexdigest()


def client(adapter: requests_mock.Adapter, **kwargs: object) -> RegistryClient:
    session = requests.Session()
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return open_client(session=session, **kwargs)  # type: ignore[arg-type]


@pytest.fixture
def fake() -> requests_mock.Adapter:
    return requests_mock.Adapter()


REF = parse_reference("reg.example.com/app:1")


def test_head_gives_the_digest_and_sends_accept(fake: requests_mock.Adapter) -> None:
    fake.register_uri(
        "HEAD",
        f"{REG}/v2/app/manifests/1",
        headers={"Docker-Content-Digest": DIGEST, "Content-Type": OCI_MANIFEST},
    )
    head = client(fake).head_manifest(REF)
    assert str(head.digest) == DIGEST and head.media_type == OCI_MANIFEST
    assert fake.request_history[0].headers["Accept"] == ACCEPT
    assert len(fake.request_history) == 1


@pytest.mark.parametrize(
    ("status", "headers"),
    [(405, {}), (403, {}), (200, {"Content-Type": OCI_MANIFEST})],
    ids=["head-not-allowed", "head-forbidden", "no-digest-header"],
)
def test_head_falls_back_to_get(
    fake: requests_mock.Adapter, status: int, headers: dict[str, str]
) -> None:
    fake.register_uri("HEAD", f"{REG}/v2/app/manifests/1", status_code=status, headers=headers)
    fake.register_uri(
        "GET",
        f"{REG}/v2/app/manifests/1",
        content=MANIFEST,
        headers={"Content-Type": OCI_MANIFEST},
    )
    head = client(fake).head_manifest(REF)
    assert str(head.digest) == DIGEST  # computed from the verified body
    assert [r.method for r in fake.request_history] == ["HEAD", "GET"]


def test_head_of_a_missing_tag(fake: requests_mock.Adapter) -> None:
    fake.register_uri("HEAD", f"{REG}/v2/app/manifests/1", status_code=404)
    fake.register_uri("GET", f"{REG}/v2/app/manifests/1", status_code=404)
    with pytest.raises(NotFound) as info:
        client(fake).head_manifest(REF)
    error = info.value
    assert (error.kind, error.status) == (Kind.TAG, 404)
    assert (error.registry, error.repository) == ("reg.example.com", "app")
    # The HEAD's 404 is confirmed by one GET (Nexus: crazy-max/diun#1614), no more.
    assert [r.method for r in fake.request_history] == ["HEAD", "GET"]


def test_get_checks_the_body_against_the_header(fake: requests_mock.Adapter) -> None:
    fake.register_uri(
        "GET",
        f"{REG}/v2/app/manifests/1",
        content=MANIFEST,
        headers={"Docker-Content-Digest": "sha256:" + "0" * 64, "Content-Type": OCI_MANIFEST},
    )
    with pytest.raises(DigestMismatch, match="hashes to"):
        client(fake).get_manifest(REF)


def test_get_by_digest_checks_the_body_against_the_digest(fake: requests_mock.Adapter) -> None:
    asked = "sha256:" + "1" * 64
    fake.register_uri("GET", f"{REG}/v2/app/manifests/{asked}", content=MANIFEST)
    with pytest.raises(DigestMismatch, match=asked):
        client(fake).get_manifest(parse_reference(f"reg.example.com/app@{asked}"))


def test_get_accepts_the_exact_bytes(fake: requests_mock.Adapter) -> None:
    fake.register_uri(
        "GET",
        f"{REG}/v2/app/manifests/{DIGEST}",
        content=MANIFEST,
        headers={"Docker-Content-Digest": DIGEST},
    )
    fetched = client(fake).get_manifest(parse_reference(f"reg.example.com/app@{DIGEST}"))
    assert str(fetched.digest) == DIGEST and fetched.body == MANIFEST


def test_schema1_is_refused_clearly(fake: requests_mock.Adapter) -> None:
    body = json.dumps({"schemaVersion": 1, "name": "app", "tag": "1", "fsLayers": []}).encode()
    fake.register_uri(
        "GET",
        f"{REG}/v2/app/manifests/1",
        content=body,
        headers={"Content-Type": DOCKER_SCHEMA1_SIGNED},
    )
    with pytest.raises(UnsupportedManifest, match="legacy"):
        client(fake).get_manifest(REF)


def test_manifest_over_four_mib_is_refused(fake: requests_mock.Adapter) -> None:
    big = b"{" + b" " * MAX_MANIFEST_BYTES + b"}"
    fake.register_uri("GET", f"{REG}/v2/app/manifests/1", content=big)
    with pytest.raises(RegistryError, match="limit"):
        client(fake).get_manifest(REF)


def test_blob_is_verified(fake: requests_mock.Adapter) -> None:
    digest = parse_digest("sha256:" + hashlib.sha256(b"config").hexdigest())
    fake.register_uri("GET", f"{REG}/v2/app/blobs/{digest}", content=b"tampered")
    with pytest.raises(DigestMismatch):
        client(fake).get_blob(REF, digest)


def tags_page(tags: list[str], link: str | None = None) -> dict[str, object]:
    headers = {"Link": link} if link else {}
    return {"json": {"name": "app", "tags": tags}, "headers": headers}


def test_tags_follow_link_exactly_as_given(fake: requests_mock.Adapter) -> None:
    opaque = "/v2/app/tags/list?n=2&next_page=b3BhcXVl%3D%3D&last=b"
    fake.register_uri(
        "GET",
        f"{REG}/v2/app/tags/list",
        [
            tags_page(["a", "b"], f'<{opaque}>; rel="next"'),
            tags_page(["c", "d"], f'<{REG}/v2/app/tags/list?n=2&last=d>; rel="next"'),
            tags_page(["e"]),
        ],
    )
    tags = client(fake).list_tags(parse_reference("reg.example.com/app", default_tag=None))
    assert tags == ["a", "b", "c", "d", "e"]
    urls = [r.url for r in fake.request_history]
    assert urls[0] == f"{REG}/v2/app/tags/list?n=1000"
    assert urls[1] == REG + opaque  # not re-encoded, not reordered
    assert urls[2] == f"{REG}/v2/app/tags/list?n=2&last=d"


def test_tags_never_follow_another_host(fake: requests_mock.Adapter) -> None:
    fake.register_uri(
        "GET",
        f"{REG}/v2/app/tags/list",
        **tags_page(["a"], '<https://evil.example.net/v2/app/tags/list?last=a>; rel="next"'),
    )
    with pytest.raises(RegistryError, match="another host"):
        client(fake).list_tags(parse_reference("reg.example.com/app", default_tag=None))
    assert len(fake.request_history) == 1


def test_tag_pages_are_bounded_and_the_cut_is_said(fake: requests_mock.Adapter) -> None:
    # A registry whose Link never ends, a new tag on every page: the bound stops it, and the
    # list says it was cut (issue 15: never silently).
    fake.register_uri(
        "GET",
        f"{REG}/v2/app/tags/list",
        [tags_page([f"t{i}"], f'</v2/app/tags/list?last=t{i}>; rel="next"') for i in range(9)],
    )
    session = requests.Session()
    session.mount("https://", fake)
    c = open_client(session=session)
    c._max_tag_pages = 5
    listed = c.tag_list(parse_reference("reg.example.com/app", default_tag=None))
    assert listed.tags == ("t0", "t1", "t2", "t3", "t4")
    assert listed.cut is not None and "after 5 pages" in listed.cut
    assert len(fake.request_history) == 5


def test_a_page_of_tags_seen_before_ends_the_list(fake: requests_mock.Adapter) -> None:
    # A Link that loops back: the repeated page is the end, after that one request.
    fake.register_uri(
        "GET",
        f"{REG}/v2/app/tags/list",
        [tags_page(["a"], '</v2/app/tags/list?last=a>; rel="next"')],
    )
    listed = client(fake).tag_list(parse_reference("reg.example.com/app", default_tag=None))
    assert (listed.tags, listed.cut) == (("a",), None)
    assert len(fake.request_history) == 2


def test_empty_repository_has_no_tags(fake: requests_mock.Adapter) -> None:
    fake.register_uri("GET", f"{REG}/v2/app/tags/list", json={"name": "app", "tags": None})
    assert client(fake).list_tags(parse_reference("reg.example.com/app", default_tag=None)) == []


def test_missing_repository_tag_list(fake: requests_mock.Adapter) -> None:
    fake.register_uri(
        "GET",
        f"{REG}/v2/app/tags/list",
        status_code=404,
        json={"errors": [{"code": "NAME_UNKNOWN", "message": "repository name not known"}]},
    )
    with pytest.raises(NotFound) as info:
        client(fake).list_tags(parse_reference("reg.example.com/app", default_tag=None))
    error = info.value
    assert (error.kind, error.status, error.codes) == (Kind.REPOSITORY, 404, ("NAME_UNKNOWN",))
    assert (error.registry, error.repository) == ("reg.example.com", "app")
    # The registry's own answer is kept as the cause.
    assert isinstance(error.__cause__, NotFound)
    assert error.__cause__.kind is Kind.REPOSITORY


def test_missing_repository_manifest_is_told_apart(fake: requests_mock.Adapter) -> None:
    fake.register_uri(
        "GET",
        f"{REG}/v2/app/manifests/1",
        status_code=404,
        json={"errors": [{"code": "NAME_UNKNOWN", "message": "repository name not known"}]},
    )
    with pytest.raises(NotFound) as info:
        client(fake).get_manifest(REF)
    error = info.value
    assert (error.kind, error.status, error.codes) == (Kind.REPOSITORY, 404, ("NAME_UNKNOWN",))
    assert (error.registry, error.repository) == ("reg.example.com", "app")


def test_missing_manifest_is_a_missing_tag_caused_by_the_answer(
    fake: requests_mock.Adapter,
) -> None:
    fake.register_uri(
        "GET",
        f"{REG}/v2/app/manifests/1",
        status_code=404,
        json={"errors": [{"code": "MANIFEST_UNKNOWN", "message": "manifest unknown"}]},
    )
    with pytest.raises(NotFound) as info:
        client(fake).get_manifest(REF)
    assert info.value.kind is Kind.TAG
    assert isinstance(info.value.__cause__, NotFound)
    assert info.value.__cause__.codes == ("MANIFEST_UNKNOWN",)


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


def test_a_corrupt_body_is_fetched_once_more(fake: requests_mock.Adapter) -> None:
    good = {"content": MANIFEST, "headers": {"Docker-Content-Digest": DIGEST}}
    bad = {"content": MANIFEST[:-3] + b"xx}", "headers": {"Docker-Content-Digest": DIGEST}}
    fake.register_uri("GET", f"{REG}/v2/app/manifests/1", [bad, good])
    fetched = client(fake).get_manifest(REF)
    assert str(fetched.digest) == DIGEST
    assert len(fake.request_history) == 2


def test_a_body_corrupt_twice_is_reported_never_believed(fake: requests_mock.Adapter) -> None:
    bad = {"content": b'{"schemaVersion": 2', "headers": {"Content-Type": OCI_MANIFEST}}
    fake.register_uri("GET", f"{REG}/v2/app/manifests/1", [bad, bad, bad])
    with pytest.raises(RegistryError, match="not a valid manifest"):
        client(fake).get_manifest(REF)
    assert len(fake.request_history) == 2


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
