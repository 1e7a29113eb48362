"""The integration fixtures themselves are right: every digest they report is what the registry
serves (checked by skopeo and by the registry's ``Docker-Content-Digest``), and basic auth
behaves as the client tests assume (token auth: ``fakes/test_tokenserver.py``).

If these fail, every integration test built on the fixtures is suspect; fix these first.
"""

from __future__ import annotations

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
from registryfixtures import (
    BASIC_PASSWORD,
    BASIC_REALM,
    BASIC_USER,
    TOKEN_ISSUER,
    TOKEN_SERVICE,
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
