"""RegistryClient against a recording fake transport: the registry behaviours that the local
``docker-registry`` does not show (HEAD refused, no digest header, Link pagination, oversized or
corrupted bodies, schema 1). Schemes, TLS, redirects, timeouts:
tests/test_registry_client_transport.py."""

from __future__ import annotations

import hashlib
import json

import pytest
import requests
import requests_mock

from hubaction.errors import (
    DigestMismatch,
    Kind,
    NotFound,
    RegistryError,
    UnsupportedManifest,
)
from hubaction.oci.mediatypes import ACCEPT, DOCKER_SCHEMA1_SIGNED, MAX_MANIFEST_BYTES, OCI_MANIFEST
from hubaction.oci.reference import parse_digest, parse_reference
from hubaction.registry.client import RegistryClient, open_client

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
