"""``base-image`` -> ``base-changed`` / ``base-digest``, end to end against the real registry.

The images are built here, layer by layer, so that which image is built on which base is known:
an image built ``FROM base`` starts with the base's layers (for the same platform).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest
from actionrunner import run_action
from registryfixtures import RegistryProcess
from registryfixtures.images import (
    MT_OCI_CONFIG,
    MT_OCI_INDEX,
    MT_OCI_LAYER,
    MT_OCI_MANIFEST,
    Blob,
    Pusher,
    make_layer,
)

from hubaction.oci.platform import parse_platform
from hubaction.oci.reference import parse_reference
from hubaction.registry.baseimage import compare_base
from hubaction.registry.client import open_client
from hubaction.registry.lookup import inspect_image
from hubaction.registry.transport import new_session

BASE_DIGEST = "org.opencontainers.image.base.digest"
BASE_NAME = "org.opencontainers.image.base.name"


@dataclass(frozen=True)
class Image:
    manifest: Blob
    layers: tuple[Blob, ...]
    platform: str


def layer(name: str) -> Blob:
    return make_layer({f"layers/{name}": name.encode()}, MT_OCI_LAYER)[0]


def build(
    platform: str, layers: Sequence[Blob], annotations: Mapping[str, str] | None = None
) -> tuple[Image, Blob]:
    os_name, arch, *variant = platform.split("/")
    config = {
        "os": os_name,
        "architecture": arch,
        "created": "2025-01-01T00:00:00Z",
        "rootfs": {"type": "layers", "diff_ids": []},
        "config": {},
    }
    if variant:
        config["variant"] = variant[0]
    config_blob = Blob(json.dumps(config, sort_keys=True).encode(), MT_OCI_CONFIG)
    manifest: dict[str, object] = {
        "schemaVersion": 2,
        "mediaType": MT_OCI_MANIFEST,
        "config": config_blob.descriptor(),
        "layers": [b.descriptor() for b in layers],
    }
    if annotations:
        manifest["annotations"] = dict(annotations)
    return Image(Blob(json.dumps(manifest).encode(), MT_OCI_MANIFEST), tuple(layers), platform), (
        config_blob
    )


def push_image(pusher: Pusher, repo: str, tag: str, image: Image, config: Blob) -> str:
    for blob in (config, *image.layers):
        pusher.blob(repo, blob)
    pusher.manifest(repo, tag, image.manifest)
    return image.manifest.digest


def push_index(
    pusher: Pusher,
    repo: str,
    tag: str,
    images: Sequence[tuple[Image, Blob]],
    annotations: Mapping[str, str] | None = None,
) -> str:
    entries = []
    for image, config in images:
        push_image(pusher, repo, image.manifest.digest, image, config)
        os_name, arch, *variant = image.platform.split("/")
        entry = image.manifest.descriptor() | {
            "platform": {"os": os_name, "architecture": arch}
            | ({"variant": variant[0]} if variant else {})
        }
        entries.append(entry)
    doc: dict[str, object] = {"schemaVersion": 2, "mediaType": MT_OCI_INDEX, "manifests": entries}
    if annotations:
        doc["annotations"] = dict(annotations)
    index = Blob(json.dumps(doc).encode(), MT_OCI_INDEX)
    pusher.manifest(repo, tag, index)
    return index.digest


@dataclass(frozen=True)
class Scenario:
    host: str
    base1: str
    base2: str


@pytest.fixture(scope="module")
def scenario(open_registry: RegistryProcess) -> Scenario:
    pusher = Pusher(open_registry.url)
    a1, a2, app = layer("base-a1"), layer("base-a2"), layer("app")
    # single platform: base:1 = [a1], base:2 = [a2]; app:1 = [a1, app]
    base1 = push_image(pusher, "bases/base", "1", *build("linux/amd64", [a1]))
    base2 = push_image(pusher, "bases/base", "2", *build("linux/amd64", [a2]))
    push_image(pusher, "bases/app", "1", *build("linux/amd64", [a1, app]))

    # multi-platform: base:multi-old = amd64 [m1], arm64 [n1]; base:multi = amd64 [m1], arm64 [n2]
    m1, n1, n2 = layer("multi-amd64"), layer("multi-arm64-1"), layer("multi-arm64-2")
    push_index(
        pusher,
        "bases/base",
        "multi-old",
        [build("linux/amd64", [m1]), build("linux/arm64", [n1])],
    )
    push_index(
        pusher,
        "bases/base",
        "multi",
        [build("linux/amd64", [m1]), build("linux/arm64", [n2])],
    )
    # the app was built when the base was multi-old: amd64 is still current, arm64 moved on
    push_index(
        pusher,
        "bases/app",
        "multi",
        [build("linux/amd64", [m1, app]), build("linux/arm64", [n1, app])],
    )
    # annotated: an app whose index says it was built on base:1 (and its layers say nothing)
    push_index(
        pusher,
        "bases/app",
        "annotated",
        [build("linux/amd64", [layer("unrelated")])],
        annotations={BASE_DIGEST: base1, BASE_NAME: f"{open_registry.host}/bases/base:1"},
    )
    return Scenario(open_registry.host, base1, base2)


def action(tmp_path: Path, scenario: Scenario, app: str, base: str, **extra: str) -> dict[str, str]:
    run = run_action(
        {
            "repository": f"{scenario.host}/bases/app",
            "tag": app,
            "base-image": f"{scenario.host}/bases/base:{base}",
            "list-tags": "false",
            **extra,
        },
        tmp_path,
    )
    assert run.returncode == 0, run.log
    return run.outputs | {"__summary__": run.summary}


def test_built_on_base1(tmp_path: Path, scenario: Scenario) -> None:
    out = action(tmp_path, scenario, "1", "1")
    assert out["base-changed"] == "false"
    assert out["base-digest"] == scenario.base1


def test_base2_has_other_layers(tmp_path: Path, scenario: Scenario) -> None:
    out = action(tmp_path, scenario, "1", "2")
    assert out["base-changed"] == "true"
    assert out["base-digest"] == scenario.base2


@pytest.mark.parametrize(
    ("platform", "changed"), [("linux/amd64", "false"), ("linux/arm64", "true")]
)
def test_multi_platform_compares_per_platform(
    tmp_path: Path, scenario: Scenario, platform: str, changed: str
) -> None:
    out = action(tmp_path, scenario, "multi", "multi", platform=platform)
    assert out["base-changed"] == changed
    summary = out["__summary__"]
    # the summary shows both platforms' answers
    assert "linux/amd64" in summary and "linux/arm64" in summary
    assert "moved on" in summary and "current" in summary


def test_multi_platform_against_the_old_base_is_current(tmp_path: Path, scenario: Scenario) -> None:
    for platform in ("linux/amd64", "linux/arm64"):
        out = action(
            tmp_path / platform.replace("/", "-"), scenario, "multi", "multi-old", platform=platform
        )
        assert out["base-changed"] == "false"


def test_annotations_answer_without_layers_or_configs(tmp_path: Path, scenario: Scenario) -> None:
    assert action(tmp_path / "a", scenario, "annotated", "1")["base-changed"] == "false"
    assert action(tmp_path / "b", scenario, "annotated", "2")["base-changed"] == "true"
    # count: the comparison costs one GET of the base's manifest, no blob, no other manifest
    session = new_session()
    seen: list[str] = []
    session.hooks["response"].append(
        lambda r, *a, **k: seen.append(f"{r.request.method} {r.request.path_url}")
    )
    client = open_client(session=session)
    image = inspect_image(
        client,
        parse_reference(f"{scenario.host}/bases/app:annotated"),
        parse_platform("linux/amd64"),
        want_config=False,
    )
    seen.clear()
    check = compare_base(client, image, parse_reference(f"{scenario.host}/bases/base:2"))
    assert check.changed is True
    assert seen == ["GET /v2/bases/base/manifests/2"]
    assert all(c.method == "annotation" for c in check.comparisons)


def test_layer_comparison_request_count(scenario: Scenario) -> None:
    # without annotations: base manifest, then (multi-platform) the other platform manifests
    session = new_session()
    seen: list[str] = []
    session.hooks["response"].append(lambda r, *a, **k: seen.append(r.request.method or ""))
    client = open_client(session=session)
    image = inspect_image(
        client,
        parse_reference(f"{scenario.host}/bases/app:1"),
        parse_platform("linux/amd64"),
        want_config=False,
    )
    seen.clear()
    compare_base(client, image, parse_reference(f"{scenario.host}/bases/base:1"))
    assert seen == ["GET"]  # single-platform base: its manifest holds the layers


def test_base_image_with_digest_only_is_an_input_error(tmp_path: Path, scenario: Scenario) -> None:
    run = run_action(
        {
            "repository": f"{scenario.host}/bases/app",
            "tag": "1",
            "digest-only": "true",
            "base-image": f"{scenario.host}/bases/base:1",
        },
        tmp_path,
    )
    assert run.returncode == 1
    assert len(run.errors()) == 1 and "`base-image`" in run.errors()[0]
