"""The registry core against real ``docker-registry`` processes: open, basic auth, token auth.

Expected digests come from the pushed bytes (``registry_fixtures``) and are cross-checked with
skopeo; ``hubaction inspect`` must give the same for every platform of every fixture image
through every kind of auth, in the promised number of round trips.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
import requests
from fakes.server import FakeServer, Handler, Request, Response
from fakes.tokenserver import TokenServer
from registryfixtures import (
    BASIC_PASSWORD,
    BASIC_USER,
    TOKEN_PASSWORD,
    TOKEN_USER,
    Fixtures,
    RegistryProcess,
)

from hubaction.errors import DigestMismatch, Kind, NotFound, Unauthorized
from hubaction.oci.platform import parse_platform
from hubaction.oci.reference import parse_reference
from hubaction.registry.client import RegistryClient, open_client
from hubaction.registry.credentials import Credentials, CredentialStore
from hubaction.registry.lookup import inspect_image
from hubaction.registry.transport import new_session

ROOT = Path(__file__).resolve().parent.parent

IMAGES = [
    "fixtures/docker-v2:1",
    "fixtures/oci-image:1",
    "fixtures/oci-index:1",
    "fixtures/manifest-list:1",
]


def cli(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    """``hubaction`` as a user runs it: a fresh process, from another directory."""
    return subprocess.run(
        [sys.executable, "-m", "hubaction.cli", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        cwd="/",
        env={"PATH": "/usr/bin:/bin", "HOME": "/nonexistent", "PYTHONPATH": str(ROOT)},
    )


def cases(fixtures_images: list[str]) -> list[tuple[str, str]]:
    """(image, platform) pairs known without the registry: the fixture's declared platforms."""
    platforms = {
        "fixtures/docker-v2:1": ["linux/amd64"],
        "fixtures/oci-image:1": ["linux/arm64"],
        "fixtures/oci-index:1": ["linux/amd64", "linux/arm64/v8", "linux/arm/v7", "windows/amd64"],
        "fixtures/manifest-list:1": ["linux/amd64", "linux/arm/v6", "linux/arm64"],
    }
    return [(image, p) for image in fixtures_images for p in platforms[image]]


CASES = cases(IMAGES)


def expected(fixtures: Fixtures, image: str, platform: str) -> tuple[str, str, str]:
    pushed = fixtures.images[image]
    entry = pushed.platforms[platform]
    return pushed.digest, entry.manifest_digest, entry.config_digest


def credentials_args(kind: str) -> tuple[list[str], str]:
    if kind == "basic":
        return ["--username", BASIC_USER, "--password-stdin"], BASIC_PASSWORD
    if kind == "token-user":
        return ["--username", TOKEN_USER, "--password-stdin"], TOKEN_PASSWORD
    return [], ""


@pytest.fixture(scope="module")
def registries(
    open_registry: RegistryProcess,
    basic_registry: RegistryProcess,
    token_registry: RegistryProcess,
) -> dict[str, RegistryProcess]:
    return {
        "open": open_registry,
        "basic": basic_registry,
        "token-anonymous": token_registry,
        "token-user": token_registry,
    }


@pytest.mark.parametrize("kind", ["open", "basic", "token-anonymous", "token-user"])
@pytest.mark.parametrize(("image", "platform"), CASES)
def test_inspect_gives_the_pushed_digests(
    registries: dict[str, RegistryProcess],
    registry_fixtures: Fixtures,
    kind: str,
    image: str,
    platform: str,
) -> None:
    registry = registries[kind]
    args, password = credentials_args(kind)
    done = cli(
        "inspect",
        f"{registry.host}/{image}",
        "--platform",
        platform,
        "--json",
        *args,
        stdin=password,
    )
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)
    digest, platform_digest, config_digest = expected(registry_fixtures, image, platform)
    assert (doc["digest"], doc["platform-digest"], doc["config-digest"]) == (
        digest,
        platform_digest,
        config_digest,
    )
    if password:
        assert password not in done.stdout + done.stderr


@pytest.mark.parametrize("image", IMAGES)
def test_fixture_digests_agree_with_skopeo(
    open_registry: RegistryProcess, registry_fixtures: Fixtures, image: str, skopeo_digest: object
) -> None:
    # skopeo is an independent client: the same digests from its view of the registry
    ref = f"{open_registry.host}/{image}"
    assert skopeo_digest(ref) == registry_fixtures.images[image].digest  # type: ignore[operator]
    done = cli("inspect", ref, "--json")
    assert json.loads(done.stdout)["digest"] == skopeo_digest(ref)  # type: ignore[operator]


def test_inspect_reports_created_labels_and_platforms(
    open_registry: RegistryProcess, registry_fixtures: Fixtures
) -> None:
    done = cli(
        "inspect",
        f"{open_registry.host}/fixtures/oci-index:1",
        "--platform",
        "linux/arm64",
        "--json",
    )
    doc = json.loads(done.stdout)
    pushed = registry_fixtures.oci_index
    arm = pushed.platforms["linux/arm64/v8"]
    assert doc["created"] == arm.created
    assert doc["labels"] == arm.labels
    # attestation left out, index order kept
    assert doc["platforms"] == list(pushed.platforms)
    windows = [m for m in doc["manifests"] if m["platform"] == "windows/amd64"]
    assert windows and windows[0]["os.version"] == pushed.platforms["windows/amd64"].os_version


def test_readable_table_by_default(
    open_registry: RegistryProcess, registry_fixtures: Fixtures
) -> None:
    done = cli("inspect", f"{open_registry.host}/fixtures/oci-index:1")
    assert done.returncode == 0
    assert f"Digest           {registry_fixtures.oci_index.digest}" in done.stdout
    assert "linux/arm/v7" in done.stdout


class Counter:
    """Counts requests and new connections made through a session."""

    def __init__(self, session: requests.Session) -> None:
        self.requests: list[tuple[str, str, int]] = []
        session.hooks["response"].append(self._record)

    def _record(self, response: requests.Response, *args: object, **kwargs: object) -> None:
        self.requests.append((response.request.method or "", response.url, response.status_code))


def connections(session: requests.Session) -> int:
    total = 0
    # the same adapter is mounted for http:// and https://: count each pool once
    for adapter in {id(a): a for a in session.adapters.values()}.values():
        for pool in adapter.poolmanager.pools._container.values():  # type: ignore[attr-defined]
            total += pool.num_connections
    return total


def test_digest_lookup_on_the_token_registry_costs_three_requests(
    token_registry: RegistryProcess, token_server: TokenServer
) -> None:
    session = new_session()
    counter = Counter(session)
    client = open_client(CredentialStore(), session=session)
    head = client.head_manifest(parse_reference(f"{token_registry.host}/fixtures/oci-index:1"))
    assert head.digest is not None
    methods = [(m, status) for m, _url, status in counter.requests]
    assert methods == [("HEAD", 401), ("GET", 200), ("HEAD", 200)]
    assert "/token" in counter.requests[1][1]
    # one connection to the registry (the 401 is drained, not dropped), one to the token server
    assert connections(session) == 2


def test_multi_platform_digest_and_config_costs_two_manifest_requests_on_one_connection(
    open_registry: RegistryProcess, registry_fixtures: Fixtures
) -> None:
    session = new_session()
    counter = Counter(session)
    client = open_client(session=session)
    ref = parse_reference(f"{open_registry.host}/fixtures/oci-index:1")
    info = inspect_image(client, ref, parse_platform("linux/arm64"), want_config=False)
    assert (
        str(info.config_digest)
        == registry_fixtures.oci_index.platforms["linux/arm64/v8"].config_digest
    )
    assert [(m, "/manifests/" in url) for m, url, _s in counter.requests] == [
        ("GET", True),
        ("GET", True),
    ]
    assert connections(session) == 1


def test_token_is_reused_across_lookups(
    token_registry: RegistryProcess, token_server: TokenServer
) -> None:
    client = open_client(CredentialStore())
    with token_server.overrides():
        before = token_server.request_count
        for _ in range(3):
            client.head_manifest(parse_reference(f"{token_registry.host}/fixtures/oci-image:1"))
        assert token_server.request_count - before == 1


def test_wrong_credentials_basic(basic_registry: RegistryProcess) -> None:
    client = open_client(
        CredentialStore(
            explicit=Credentials(BASIC_USER, "not-the-password"),
            primary_registry=basic_registry.host,
        )
    )
    with pytest.raises(Unauthorized):
        client.head_manifest(parse_reference(f"{basic_registry.host}/fixtures/oci-image:1"))


def test_missing_tag_and_missing_repository(open_registry: RegistryProcess) -> None:
    client = open_client()
    with pytest.raises(NotFound) as tag:
        client.get_manifest(parse_reference(f"{open_registry.host}/fixtures/oci-image:nope"))
    assert (tag.value.kind, tag.value.status) == (Kind.TAG, 404)
    with pytest.raises(NotFound) as repo:
        client.list_tags(
            parse_reference(f"{open_registry.host}/fixtures/nothing-here", default_tag=None)
        )
    assert (repo.value.kind, repo.value.codes) == (Kind.REPOSITORY, ("NAME_UNKNOWN",))


def test_over_two_thousand_tags(
    open_registry: RegistryProcess, registry_fixtures: Fixtures
) -> None:
    done = cli(
        "tags",
        f"{open_registry.host}/{registry_fixtures.many_tags_repository}",
        "--json",
        "--sort",
        "lexical",
    )
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)
    assert doc["tag-count"] == len(registry_fixtures.many_tags) > 2000
    assert doc["tags"] == sorted(registry_fixtures.many_tags)


# -- errors: one clear line, right exit code, no traceback ------------------------------------


def assert_one_error(done: subprocess.CompletedProcess[str], code: int, *needles: str) -> None:
    assert done.returncode == code, (done.stdout, done.stderr)
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("error: ")
    assert "Traceback" not in done.stderr
    for needle in needles:
        assert needle in lines[0]


@pytest.mark.parametrize(
    ("reference", "needle"),
    [
        ("Node:20", "uppercase"),
        ("node::20", "node::20"),
        ("node:a:b", "node:a:b"),
        ("node@sha256:abc", "sha256"),
        ("a//b", "a//b"),
    ],
)
def test_bad_reference(reference: str, needle: str) -> None:
    assert_one_error(cli("inspect", reference), 2, needle)


@pytest.mark.parametrize("platform", ["linux", "linux/", "linux/amd64/v8/x", "linux amd64"])
def test_bad_platform(platform: str) -> None:
    assert_one_error(cli("inspect", "localhost:1/a", "--platform", platform), 2, repr(platform))


def test_platform_not_in_image(open_registry: RegistryProcess) -> None:
    done = cli("inspect", f"{open_registry.host}/fixtures/oci-index:1", "--platform", "linux/s390x")
    assert_one_error(done, 1, "linux/s390x", "linux/arm/v7", "windows/amd64")


def test_wrong_credentials_cli(
    basic_registry: RegistryProcess, token_registry: RegistryProcess
) -> None:
    for registry in (basic_registry, token_registry):
        done = cli(
            "inspect",
            f"{registry.host}/fixtures/oci-image:1",
            "--username",
            "alice",
            "--password-stdin",
            stdin="wrong-password-123",
        )
        assert_one_error(done, 1)
        assert "wrong-password-123" not in done.stderr + done.stdout


def test_missing_tag_cli(open_registry: RegistryProcess) -> None:
    done = cli("inspect", f"{open_registry.host}/fixtures/oci-image:does-not-exist")
    assert_one_error(done, 1, "does-not-exist", "not found")


CORRUPTED_BODY = b'{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json"}'


def corrupting(request: Request) -> Response:
    """A registry that serves a manifest whose bytes do not match its digest header (to GET;
    any other method is not implemented)."""
    if request.method != "GET":
        return Response(501)
    claimed = "sha256:" + hashlib.sha256(b"something else").hexdigest()
    headers = (
        ("Content-Type", "application/vnd.oci.image.manifest.v1+json"),
        ("Docker-Content-Digest", claimed),
    )
    return Response(200, headers, CORRUPTED_BODY)


@pytest.fixture
def corrupting_registry(serve: Callable[[Handler], FakeServer]) -> str:
    return serve(corrupting).host


def test_corrupted_manifest_is_an_error_never_an_answer(corrupting_registry: str) -> None:
    done = cli("inspect", f"{corrupting_registry}/app:1")
    assert_one_error(done, 1, "hashes to")
    with pytest.raises(DigestMismatch):
        RegistryClient.get_manifest(open_client(), parse_reference(f"{corrupting_registry}/app:1"))


def test_corrupted_manifest_by_digest(corrupting_registry: str) -> None:
    asked = "sha256:" + "b" * 64
    done = cli("inspect", f"{corrupting_registry}/app@{asked}")
    assert_one_error(done, 1, asked)
