"""Tests for oci.manifest.parse_config: created, labels and platform of an image config."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from manifest_docs import body_of, json_values

from hubaction.errors import RegistryError
from hubaction.oci.manifest import ImageConfig, parse_config
from hubaction.oci.platform import Platform

# ---------------------------------------------------------------------------------------------
# parse_config


def test_parse_config_full() -> None:
    doc = {
        "created": "2024-05-01T12:00:00.123456789Z",
        "architecture": "arm",
        "variant": "v7",
        "os": "linux",
        "config": {
            "Env": ["PATH=/usr/bin"],
            "Labels": {
                "org.opencontainers.image.version": "1.2.3",
                "weird.number": 5,
                "weird.object": {"a": [1, True]},
                "weird.null": None,
            },
        },
        "rootfs": {"type": "layers", "diff_ids": []},
    }
    config = parse_config(body_of(doc, pretty=True))
    assert config == ImageConfig(
        created="2024-05-01T12:00:00.123456789Z",
        labels={
            "org.opencontainers.image.version": "1.2.3",
            "weird.number": "5",
            "weird.object": '{"a": [1, true]}',
            "weird.null": "null",
        },
        platform=Platform("linux", "arm", "v7"),
    )
    assert all(isinstance(v, str) for v in config.labels.values())


def test_parse_config_windows_os_version() -> None:
    doc = {"os": "windows", "architecture": "amd64", "os.version": "10.0.20348.2227"}
    config = parse_config(body_of(doc))
    assert config.platform == Platform("windows", "amd64", None, "10.0.20348.2227")


@pytest.mark.parametrize(
    ("doc", "created", "labels", "platform"),
    [
        ({}, None, {}, None),
        ({"created": 12345}, None, {}, None),
        ({"config": None}, None, {}, None),
        ({"config": {"Labels": None}}, None, {}, None),
        ({"config": {"Labels": ["a=b"]}}, None, {}, None),
        ({"config": "x"}, None, {}, None),
        ({"os": "linux"}, None, {}, None),
        ({"architecture": "amd64"}, None, {}, None),
        ({"os": "linux", "architecture": 64}, None, {}, None),
        ({"os": "linux", "architecture": "amd64"}, None, {}, Platform("linux", "amd64")),
        ({"created": "2020-01-01T00:00:00Z"}, "2020-01-01T00:00:00Z", {}, None),
        ({"config": {"Labels": {}}}, None, {}, None),
        ({"config": {"Labels": {"a": ""}}}, None, {"a": ""}, None),
    ],
)
def test_parse_config_partial(
    doc: dict[str, Any], created: str | None, labels: dict[str, str], platform: Platform | None
) -> None:
    config = parse_config(body_of(doc))
    assert config.created == created
    assert dict(config.labels) == labels
    assert config.platform == platform


@pytest.mark.parametrize("body", [b"", b"{", b"[]", b"null", b"\xff", b'"x"'])
def test_parse_config_invalid(body: bytes) -> None:
    with pytest.raises(RegistryError, match="image config of x"):
        parse_config(body, what="image config of x")


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.sampled_from(["created", "config", "os", "architecture"]), json_values))
def test_property_parse_config_raises_only_registry_errors(doc: dict[str, Any]) -> None:
    try:
        config = parse_config(body_of(doc))
    except RegistryError:
        return
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in config.labels.items())


@pytest.mark.parametrize(
    ("doc", "platform"),
    [
        ({"os": "", "architecture": "amd64"}, None),
        ({"os": "linux", "architecture": ""}, None),
        ({"os": "linux", "architecture": "arm", "variant": ""}, Platform("linux", "arm")),
    ],
)
def test_parse_config_empty_platform_fields(doc: dict[str, Any], platform: Platform | None) -> None:
    assert parse_config(body_of(doc)).platform == platform


def test_parse_config_bad_variant_names_the_config_not_its_contents() -> None:
    doc = {
        "os": "linux",
        "architecture": "arm",
        "variant": 7,
        "config": {"Env": ["SOMETHING_LONG=" + "x" * 1000]},
    }
    with pytest.raises(RegistryError) as info:
        parse_config(body_of(doc), what="image config of x:1")
    message = str(info.value)
    assert "image config of x:1" in message
    assert "variant" in message
    assert "SOMETHING_LONG" not in message
