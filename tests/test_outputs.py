"""Tests for github.outputs: the contract's output names, values as strings, compact JSON."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from summary_answers import INDEX_DIGEST, LABELS, REF, is_compact_json, sample_info

from hubaction.github.outputs import (
    OUTPUT_NAMES,
    boolean,
    compact_json,
    head_outputs,
    image_outputs,
    missing_outputs,
    names_output,
    ratelimit_outputs,
    tag_outputs,
)
from hubaction.oci.manifest import (
    ImageConfig,
)
from hubaction.oci.mediatypes import DOCKER_MANIFEST, OCI_INDEX
from hubaction.oci.model import ManifestHead, RateLimit
from hubaction.oci.tags import TagSelection


def test_image_outputs_of_an_index() -> None:
    out = image_outputs(sample_info())
    assert out == {
        "digest": "sha256:" + "a" * 64,
        "platform-digest": "sha256:" + "b" * 64,
        "config-digest": "sha256:" + "c" * 64,
        "media-type": OCI_INDEX,
        "platforms": '["linux/amd64","linux/arm64/v8"]',
        "created": "2024-05-01T12:00:00Z",
        "labels": (
            '{"org.opencontainers.image.title":"My App | ü","empty":"","quote":"say \\"hi\\""}'
        ),
        "pinned": "ghcr.io/org/app:1.2@sha256:" + "a" * 64,
        "exists": "true",
        # the chosen manifest: a 1469-byte config and one 99-byte layer
        "size": "1568",
        "layers": "1",
        "annotations": "{}",
        "source": "",
        "revision": "",
        "image-version": "",
    }
    assert json.loads(out["labels"]) == LABELS
    assert is_compact_json(out["platforms"])
    assert is_compact_json(out["labels"])


def test_image_outputs_of_a_single_manifest() -> None:
    out = image_outputs(sample_info(index=False))
    assert out["digest"] == out["platform-digest"] == "sha256:" + "b" * 64
    assert out["media-type"] == DOCKER_MANIFEST
    assert out["platforms"] == '["linux/amd64"]'
    assert out["pinned"] == "ghcr.io/org/app:1.2@sha256:" + "b" * 64


def test_image_outputs_without_config() -> None:
    out = image_outputs(sample_info(index=False, config=None))
    assert out["platforms"] == "[]"
    assert out["labels"] == "{}"
    assert out["created"] == ""
    out = image_outputs(sample_info(config=ImageConfig(None, {}, None)))
    assert out["created"] == ""
    assert out["labels"] == "{}"
    assert out["platforms"] == '["linux/amd64","linux/arm64/v8"]'


def test_missing_outputs_mirror_image_outputs() -> None:
    missing = missing_outputs()
    # `attestations` comes with the supply chain (github.supplychain), empty when missing
    assert set(missing) == set(image_outputs(sample_info())) | {"attestations"}
    assert missing.pop("attestations") == "[]"
    assert missing["exists"] == "false"
    assert missing["platforms"] == "[]"
    assert missing["labels"] == missing["annotations"] == "{}"
    structured = {"exists", "platforms", "labels", "annotations"}
    assert all(missing[k] == "" for k in missing if k not in structured)


@pytest.mark.parametrize(
    ("selection", "expected"),
    [
        (
            TagSelection(("1.2.3", "1.2", "latest"), 3, "1.2.3"),
            {"tags": '["1.2.3","1.2","latest"]', "tag-count": "3", "latest-semver": "1.2.3"},
        ),
        (TagSelection((), 0, None), {"tags": "[]", "tag-count": "0", "latest-semver": ""}),
        # count is of the whole (filtered) list, tags may be cut by max-tags
        (
            TagSelection(("b", "a"), 250, None),
            {"tags": '["b","a"]', "tag-count": "250", "latest-semver": ""},
        ),
    ],
)
def test_tag_outputs(selection: TagSelection, expected: dict[str, str]) -> None:
    out = tag_outputs(selection)
    assert out == expected
    assert is_compact_json(out["tags"])


def test_head_outputs() -> None:
    head = ManifestHead(INDEX_DIGEST, None, None, None)
    out = head_outputs(REF, head)
    assert out == {
        "digest": str(INDEX_DIGEST),
        "media-type": "",
        "pinned": f"ghcr.io/org/app:1.2@{INDEX_DIGEST}",
        "exists": "true",
    }


@pytest.mark.parametrize(
    ("rate_limit", "expected"),
    [
        (None, {}),
        (RateLimit(None, None, None, None), {}),
        (
            RateLimit(100, 76, 21600, "1.2.3.4"),
            {"rate-limit-limit": "100", "rate-limit-remaining": "76"},
        ),
        (RateLimit(100, None, None, None), {"rate-limit-limit": "100"}),
    ],
)
def test_ratelimit_outputs(rate_limit: RateLimit | None, expected: dict[str, str]) -> None:
    assert ratelimit_outputs(rate_limit) == expected


def test_small_outputs() -> None:
    assert boolean(True) == "true"
    assert boolean(False) == "false"
    assert names_output(["a", "b/c"]) == '["a","b/c"]'
    assert names_output([]) == "[]"
    assert compact_json({"a": [1, "ü"]}) == '{"a":[1,"ü"]}'


def test_every_output_name_is_in_the_contract() -> None:
    names = (
        set(image_outputs(sample_info()))
        | set(missing_outputs())
        | set(tag_outputs(TagSelection((), 0, None)))
        | set(head_outputs(REF, ManifestHead(INDEX_DIGEST, None, None, None)))
        | set(ratelimit_outputs(RateLimit(1, 1, None, None)))
    )
    assert names <= set(OUTPUT_NAMES)


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.text(max_size=10), st.text(max_size=20), max_size=5))
def test_property_labels_output_round_trips(labels: dict[str, str]) -> None:
    out = image_outputs(sample_info(config=ImageConfig(None, labels, None)))
    assert json.loads(out["labels"]) == labels
    assert "\n" not in out["labels"]
    assert is_compact_json(out["labels"])
