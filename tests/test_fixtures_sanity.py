"""The integration fixtures themselves are right: every digest they report is what the registry
serves (checked by skopeo and by the registry's ``Docker-Content-Digest``), each kind of auth
behaves as the client tests assume, and the token server's JWTs verify.

If these fail, every integration test built on the fixtures is suspect; fix these first.
"""

from __future__ import annotations

import base64
import gzip
import io
import json
import re
import tarfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from fakes.tokenserver import (
    TokenServer,
    b64url,
    b64url_decode,
    make_signing_identity,
    sign_jwt,
    verify_jwt,
)
from registryfixtures import (
    BASIC_PASSWORD,
    BASIC_REALM,
    BASIC_USER,
    TOKEN_ISSUER,
    TOKEN_PASSWORD,
    TOKEN_SERVICE,
    TOKEN_USER,
    Fixtures,
    RegistryProcess,
    RegistryStartError,
    skopeo_inspect,
    skopeo_inspect_digest,
    skopeo_inspect_raw,
)
from registryfixtures.images import (
    MANIFEST_ACCEPT,
    MT_DOCKER_LIST,
    MT_DOCKER_MANIFEST,
    MT_OCI_INDEX,
    MT_OCI_MANIFEST,
    NASTY_LABEL_KEY,
    NASTY_LABEL_VALUE,
    make_layer,
    many_tag_names,
    sha256_digest,
)

SkopeoDigest = Callable[..., str]

TOP_LEVEL = [
    ("fixtures/docker-v2:1", MT_DOCKER_MANIFEST),
    ("fixtures/oci-image:1", MT_OCI_MANIFEST),
    ("fixtures/oci-index:1", MT_OCI_INDEX),
    ("fixtures/oci-index:latest", MT_OCI_INDEX),
    ("fixtures/manifest-list:1", MT_DOCKER_LIST),
    ("fixtures/many-tags:latest", MT_OCI_MANIFEST),
    ("fixtures/many-tags:1.2.3-rc.1", MT_OCI_MANIFEST),
]

PLATFORMS = [
    ("fixtures/docker-v2:1", "linux/amd64"),
    ("fixtures/oci-image:1", "linux/arm64"),
    ("fixtures/oci-index:1", "linux/amd64"),
    ("fixtures/oci-index:1", "linux/arm64/v8"),
    ("fixtures/oci-index:1", "linux/arm/v7"),
    ("fixtures/oci-index:1", "windows/amd64"),
    ("fixtures/manifest-list:1", "linux/amd64"),
    ("fixtures/manifest-list:1", "linux/arm/v6"),
    ("fixtures/manifest-list:1", "linux/arm64"),
]

TAG_PATTERN = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}")


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


# -- digests: ours == the registry's == skopeo's ---------------------------------------------------


@pytest.mark.integration
@pytest.mark.parametrize(("ref", "media_type"), TOP_LEVEL)
def test_top_level_digest_matches_registry_and_skopeo(
    ref: str,
    media_type: str,
    registry_fixtures: Fixtures,
    open_registry: RegistryProcess,
    skopeo_digest: SkopeoDigest,
    http: requests.Session,
) -> None:
    image = registry_fixtures.image(ref)
    assert image.media_type == media_type
    assert image.digest == sha256_digest(image.raw)
    assert skopeo_digest(open_registry.ref(ref)) == image.digest
    assert skopeo_inspect_digest(open_registry.ref(ref)) == image.digest

    repository, _, tag = ref.rpartition(":")
    url = f"{open_registry.url}/v2/{repository}/manifests/{tag}"
    head = http.head(url, headers={"Accept": MANIFEST_ACCEPT}, timeout=10)
    assert head.status_code == 200
    assert head.headers["Docker-Content-Digest"] == image.digest
    assert head.headers["Content-Type"] == media_type
    assert int(head.headers["Content-Length"]) == image.size
    got = http.get(url, headers={"Accept": MANIFEST_ACCEPT}, timeout=10)
    assert got.content == image.raw


@pytest.mark.integration
@pytest.mark.parametrize(("ref", "platform"), PLATFORMS)
def test_platform_manifest_config_and_layers(
    ref: str,
    platform: str,
    registry_fixtures: Fixtures,
    open_registry: RegistryProcess,
    skopeo_digest: SkopeoDigest,
    http: requests.Session,
) -> None:
    image = registry_fixtures.image(ref)
    entry = image.platforms[platform]
    by_digest = open_registry.ref(f"{image.repository}@{entry.manifest_digest}")
    assert skopeo_digest(by_digest) == entry.manifest_digest
    assert sha256_digest(skopeo_inspect_raw(by_digest, config=True)) == entry.config_digest

    manifest = json.loads(entry.manifest_raw)
    assert manifest["config"]["digest"] == entry.config_digest
    assert manifest["config"]["mediaType"] == entry.config_media_type
    assert [layer["digest"] for layer in manifest["layers"]] == list(entry.layer_digests)

    config = json.loads(entry.config_raw)
    os_name, architecture, *variant = platform.split("/")
    assert (config["os"], config["architecture"]) == (os_name, architecture)
    assert config.get("variant") == (variant[0] if variant else None) == entry.variant
    assert config["created"] == entry.created
    assert config["config"]["Labels"] == entry.labels
    assert config["rootfs"]["diff_ids"] == list(entry.diff_ids)

    if image.is_index:
        (listed,) = [
            m for m in json.loads(image.raw)["manifests"] if m["digest"] == entry.manifest_digest
        ]
        assert listed["mediaType"] == entry.manifest_media_type
        assert listed["size"] == entry.manifest_size
        assert listed["platform"]["os"] == os_name
        assert listed["platform"]["architecture"] == architecture
        assert listed["platform"].get("variant") == entry.variant
        assert listed["platform"].get("os.version") == entry.os_version

    for digest, diff_id in zip(entry.layer_digests, entry.diff_ids, strict=True):
        blob = http.get(f"{open_registry.url}/v2/{image.repository}/blobs/{digest}", timeout=10)
        assert blob.status_code == 200
        assert sha256_digest(blob.content) == digest
        tar_bytes = gzip.decompress(blob.content)
        assert sha256_digest(tar_bytes) == diff_id
        with tarfile.open(fileobj=io.BytesIO(tar_bytes)) as tar:
            member = tar.extractfile("etc/hubaction/platform")
            assert member is not None
            assert member.read() == f"{platform}\n".encode()


@pytest.mark.integration
def test_oci_index_shape(registry_fixtures: Fixtures) -> None:
    index = registry_fixtures.oci_index
    assert index.tags == ("1", "latest")
    raw = json.loads(index.raw)
    assert raw["mediaType"] == MT_OCI_INDEX
    assert [
        m["platform"]["os"] + "/" + m["platform"]["architecture"] for m in raw["manifests"]
    ] == [
        "linux/amd64",
        "linux/arm64",
        "linux/arm",
        "windows/amd64",
        "unknown/unknown",
    ]
    assert index.platforms["windows/amd64"].os_version == "10.0.20348.2227"
    created = {p.created for p in index.platforms.values()}
    labels = {p.labels["org.example.platform"] for p in index.platforms.values()}
    assert len(created) == len(labels) == 4  # each platform differs

    (attestation,) = index.attestations
    assert attestation.platform == "unknown/unknown"
    assert attestation.annotations == {
        "vnd.docker.reference.type": "attestation-manifest",
        "vnd.docker.reference.digest": index.platforms["linux/amd64"].manifest_digest,
    }
    assert raw["manifests"][-1]["annotations"] == attestation.annotations
    assert raw["manifests"][-1]["digest"] == attestation.manifest_digest


@pytest.mark.integration
def test_attestation_manifest_is_served(
    registry_fixtures: Fixtures, open_registry: RegistryProcess, skopeo_digest: SkopeoDigest
) -> None:
    index = registry_fixtures.oci_index
    (attestation,) = index.attestations
    ref = open_registry.ref(f"{index.repository}@{attestation.manifest_digest}")
    assert skopeo_digest(ref) == attestation.manifest_digest


@pytest.mark.integration
def test_manifest_list_arm64_has_no_variant(registry_fixtures: Fixtures) -> None:
    raw = json.loads(registry_fixtures.manifest_list.raw)
    assert raw["mediaType"] == MT_DOCKER_LIST
    platforms = {m["platform"]["architecture"]: m["platform"] for m in raw["manifests"]}
    assert "variant" not in platforms["arm64"]
    assert platforms["arm"]["variant"] == "v6"
    assert all(m["mediaType"] == MT_DOCKER_MANIFEST for m in raw["manifests"])


@pytest.mark.integration
def test_skopeo_reads_labels_and_nasty_value(
    registry_fixtures: Fixtures, open_registry: RegistryProcess, skopeo_digest: SkopeoDigest
) -> None:
    image = registry_fixtures.docker_v2
    seen = skopeo_inspect(open_registry.ref(image.reference))
    assert seen["Digest"] == image.digest
    assert (seen["Os"], seen["Architecture"]) == ("linux", "amd64")
    assert seen["Labels"][NASTY_LABEL_KEY] == NASTY_LABEL_VALUE
    assert seen["Labels"] == image.only.labels
    assert seen["Layers"] == list(image.only.layer_digests)
    assert len(image.only.layer_digests) == 2


@pytest.mark.integration
def test_skopeo_picks_amd64_from_the_index(
    registry_fixtures: Fixtures, open_registry: RegistryProcess, skopeo_digest: SkopeoDigest
) -> None:
    index = registry_fixtures.oci_index
    seen = skopeo_inspect(open_registry.ref(index.reference))
    assert seen["Digest"] == index.digest  # top-level digest, not the instance's
    assert seen["Labels"] == index.platforms["linux/amd64"].labels


@pytest.mark.integration
def test_oci_image_manifest_is_pretty_printed(registry_fixtures: Fixtures) -> None:
    image = registry_fixtures.oci_image
    assert image.raw.endswith(b"}\n")
    assert b'\n   "' in image.raw
    compact = json.dumps(json.loads(image.raw), separators=(",", ":")).encode()
    assert sha256_digest(compact) != image.digest  # the whitespace is part of the digest
    assert "café" in image.only.labels["org.example.unicode"]
    assert "café".encode() in image.only.config_raw  # raw UTF-8, not \u escapes


# -- basic auth ------------------------------------------------------------------------------------


@pytest.mark.integration
def test_basic_registry_needs_credentials(
    basic_registry: RegistryProcess,
    registry_fixtures: Fixtures,
    skopeo_digest: SkopeoDigest,
    http: requests.Session,
) -> None:
    image = registry_fixtures.oci_index
    url = f"{basic_registry.url}/v2/{image.repository}/manifests/1"
    headers = {"Accept": MANIFEST_ACCEPT}

    anonymous = http.get(url, headers=headers, timeout=10)
    assert anonymous.status_code == 401
    assert anonymous.headers["WWW-Authenticate"] == f'Basic realm="{BASIC_REALM}"'
    wrong = http.get(url, headers=headers, auth=(BASIC_USER, "not-the-password"), timeout=10)
    assert wrong.status_code == 401

    ok = http.get(url, headers=headers, auth=(BASIC_USER, BASIC_PASSWORD), timeout=10)
    assert ok.status_code == 200
    assert ok.headers["Docker-Content-Digest"] == image.digest
    assert skopeo_digest(
        basic_registry.ref(image.reference), creds=(BASIC_USER, BASIC_PASSWORD)
    ) == (image.digest)
    with pytest.raises(RuntimeError, match="skopeo failed"):
        skopeo_digest(basic_registry.ref(image.reference))


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


# -- tags ------------------------------------------------------------------------------------------


@pytest.mark.integration
def test_many_tags_are_all_listed(
    registry_fixtures: Fixtures,
    open_registry: RegistryProcess,
    basic_registry: RegistryProcess,
    http: requests.Session,
) -> None:
    repository = registry_fixtures.many_tags_repository
    assert len(registry_fixtures.many_tags) == 2_100
    for registry, auth in [(open_registry, None), (basic_registry, (BASIC_USER, BASIC_PASSWORD))]:
        answer = http.get(f"{registry.url}/v2/{repository}/tags/list", auth=auth, timeout=30)
        assert answer.status_code == 200
        body: dict[str, Any] = answer.json()
        assert body["name"] == repository
        assert len(body["tags"]) == 2_100
        assert set(body["tags"]) == set(registry_fixtures.many_tags)


@pytest.mark.integration
def test_small_repositories_list_their_tags(
    registry_fixtures: Fixtures, open_registry: RegistryProcess, http: requests.Session
) -> None:
    for image in registry_fixtures.images.values():
        if image.repository == registry_fixtures.many_tags_repository:
            continue
        answer = http.get(f"{open_registry.url}/v2/{image.repository}/tags/list", timeout=10)
        assert sorted(answer.json()["tags"]) == sorted(image.tags)


# -- the process wrapper ---------------------------------------------------------------------------


@pytest.mark.integration
def test_registry_start_failure_reports_its_output(
    docker_registry_binary: str, tmp_path: Path
) -> None:
    with pytest.raises(RegistryStartError, match="unable to open token auth root certificate"):
        RegistryProcess.start_token(
            tmp_path / "storage",
            tmp_path / "work",
            realm="http://127.0.0.1:9/token",
            service=TOKEN_SERVICE,
            issuer=TOKEN_ISSUER,
            rootcertbundle=tmp_path / "missing.crt",
        )


@pytest.mark.integration
def test_registry_stop_ends_the_process(
    docker_registry_binary: str, tmp_path: Path, http: requests.Session
) -> None:
    with RegistryProcess.start_open(tmp_path / "storage", tmp_path / "work") as registry:
        process = registry.process
        assert process is not None
        assert http.get(f"{registry.url}/v2/", timeout=10).status_code == 200
    assert process.poll() is not None
    with pytest.raises(requests.ConnectionError):
        http.get(f"{registry.url}/v2/", timeout=10)
    registry.stop()  # idempotent


# -- the builders, without a registry --------------------------------------------------------------


def test_many_tag_names_are_distinct_valid_and_realistic() -> None:
    tags = many_tag_names()
    assert len(tags) == 2_100
    assert len(set(tags)) == len(tags)
    assert all(TAG_PATTERN.fullmatch(tag) for tag in tags)
    for expected in ["latest", "1.0.0", "v2.3.4", "1.2.3-rc.1", "sha-abcdef1", "_underscore"]:
        assert expected in tags
    assert max(len(tag) for tag in tags) == 128
    assert many_tag_names() == tags  # deterministic


def test_make_layer_is_deterministic_and_diff_id_is_the_tar_hash() -> None:
    files = {"etc/a.txt": b"a\n", "b.txt": b"b\n"}
    first, diff_id = make_layer(files, "application/vnd.oci.image.layer.v1.tar+gzip")
    second, again = make_layer(dict(reversed(files.items())), first.media_type)
    assert (first.data, diff_id) == (second.data, again)
    tar_bytes = gzip.decompress(first.data)
    assert sha256_digest(tar_bytes) == diff_id
    with tarfile.open(fileobj=io.BytesIO(tar_bytes)) as tar:
        assert sorted(tar.getnames()) == ["b.txt", "etc", "etc/a.txt"]
        assert {m.mtime for m in tar.getmembers()} == {1_700_000_000}
    other, other_diff_id = make_layer({"etc/a.txt": b"changed\n"}, first.media_type)
    assert other.digest != first.digest and other_diff_id != diff_id


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
