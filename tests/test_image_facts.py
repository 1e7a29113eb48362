"""Image facts (issue 16 section 3): size and layers from the chosen manifest, annotations of
the index and the manifest, source/revision/version from annotations first, then labels.

Unit tables on hand-built answers, then the real registry: sizes equal the sum computed from the
pushed bytes, for every platform of every fixture, and an annotated image pushed here.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
import requests
from actionrunner import run_in_process
from registryfixtures import Fixtures, RegistryProcess
from registryfixtures.images import Blob, Pusher, build_image, json_bytes
from summary_answers import CONFIG, INDEX, MANIFEST, sample_info
from test_registry_integration import CASES, cli
from test_summary_hostile import HOSTILE, _image, assert_inert

from hubaction.github.outputs import image_outputs
from hubaction.github.summary import image_section, render
from hubaction.oci.facts import REVISION, SOURCE, VERSION, image_facts, merged_annotations
from hubaction.oci.manifest import ImageConfig

LABELS = {SOURCE: "https://label.example/src", REVISION: "label-rev", VERSION: "1.0"}


@pytest.mark.parametrize(
    ("index_ann", "manifest_ann", "labels", "expected"),
    [
        # nothing anywhere
        ({}, {}, {}, (None, None, None)),
        # labels only
        ({}, {}, LABELS, ("https://label.example/src", "label-rev", "1.0")),
        # the index's annotations beat the labels (regclient#603: only on the index)
        (
            {SOURCE: "https://index.example"},
            {},
            LABELS,
            ("https://index.example", "label-rev", "1.0"),
        ),
        # the manifest's annotations beat the index's
        ({REVISION: "idx"}, {REVISION: "man"}, LABELS, ("https://label.example/src", "man", "1.0")),
        # an empty annotation is no annotation
        ({}, {VERSION: ""}, LABELS, ("https://label.example/src", "label-rev", "1.0")),
    ],
)
def test_source_revision_version_precedence(
    index_ann: dict[str, str],
    manifest_ann: dict[str, str],
    labels: dict[str, str],
    expected: tuple[str | None, str | None, str | None],
) -> None:
    info = replace(
        sample_info(),
        index=replace(INDEX, annotations=index_ann),
        manifest=replace(MANIFEST, annotations=manifest_ann),
        config=ImageConfig(CONFIG.created, labels, CONFIG.platform),
    )
    facts = image_facts(info)
    assert (facts.source, facts.revision, facts.version) == expected
    assert merged_annotations(info) == {**index_ann, **manifest_ann}
    out = image_outputs(info)
    assert (out["source"], out["revision"], out["image-version"]) == tuple(
        e or "" for e in expected
    )
    assert json.loads(out["annotations"]) == {**index_ann, **manifest_ann}


def test_size_and_layers_of_a_manifest() -> None:
    facts = image_facts(sample_info())
    assert (facts.size, facts.layers) == (1469 + 99, 1)
    assert image_facts(sample_info(config=None)).source is None


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_annotations_in_the_summary_are_inert(text: str) -> None:
    info = _image(text)
    hostile = {SOURCE: text, REVISION: text, VERSION: text}
    info = replace(info, manifest=replace(info.manifest, annotations=hostile))
    html = assert_inert(render([image_section(info)]))
    assert "Source" in html and "Revision" in html


# -- the real registry ------------------------------------------------------------------------


@pytest.mark.parametrize(("image", "platform"), CASES)
def test_size_is_the_sum_of_the_pushed_bytes(
    open_registry: RegistryProcess, registry_fixtures: Fixtures, image: str, platform: str
) -> None:
    done = cli("inspect", f"{open_registry.host}/{image}", "--platform", platform, "--json")
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)
    pushed = registry_fixtures.images[image].platforms[platform]
    assert doc["size"] == pushed.config_size + sum(pushed.layer_sizes)
    assert doc["layers"] == len(pushed.layer_sizes)
    # No annotations on the fixtures: source and revision come from the labels.
    assert doc["annotations"] == {}
    assert doc["source"] == pushed.labels[SOURCE]
    assert doc["revision"] == pushed.labels[REVISION]
    assert doc["image-version"] == pushed.labels[VERSION]


ANNOTATED = "facts/annotated"


@pytest.fixture(scope="module")
def annotated(open_registry: RegistryProcess, registry_fixtures: Fixtures) -> dict[str, str]:
    """An index whose manifest carries `source` and whose index carries `revision` as
    annotations, both unlike the labels (as buildx --annotation writes them)."""
    labels = {SOURCE: "https://label.example/src", REVISION: "label-rev", VERSION: "0.9"}
    built = build_image(
        name=ANNOTATED,
        platform="linux/amd64",
        created="2024-01-01T00:00:00Z",
        labels=labels,
        docker=False,
        layer_count=3,
    )
    doc = json.loads(built.manifest.data)
    doc["annotations"] = {SOURCE: "https://github.com/example/annotated"}
    manifest = Blob(json_bytes(doc), built.manifest.media_type)
    pusher = Pusher(open_registry.url)
    for blob in (built.config, *built.layers):
        pusher.blob(ANNOTATED, blob)
    pusher.manifest(ANNOTATED, manifest.digest, manifest)
    entry = manifest.descriptor() | {"platform": built.platform_json()}
    index = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": [entry],
        "annotations": {REVISION: "0123abcd" * 5},
    }
    index_blob = Blob(json_bytes(index), index["mediaType"])  # type: ignore[arg-type]
    pusher.manifest(ANNOTATED, "1", index_blob)
    size = built.config.size + sum(layer.size for layer in built.layers)
    return {"size": str(size), "revision": "0123abcd" * 5}


def test_annotations_win_over_labels(
    open_registry: RegistryProcess, annotated: dict[str, str]
) -> None:
    done = cli("inspect", f"{open_registry.host}/{ANNOTATED}:1", "--json")
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)
    assert doc["source"] == "https://github.com/example/annotated"
    assert doc["revision"] == annotated["revision"]
    assert doc["image-version"] == "0.9"  # no annotation: the label
    assert doc["annotations"] == {
        REVISION: annotated["revision"],
        SOURCE: "https://github.com/example/annotated",
    }
    assert (doc["size"], doc["layers"]) == (int(annotated["size"]), 3)


def test_the_action_reports_facts_and_sizes_in_the_summary(
    open_registry: RegistryProcess, annotated: dict[str, str], tmp_path: Path
) -> None:
    with requests.Session() as session:
        run = run_in_process(
            {"repository": f"{open_registry.host}/{ANNOTATED}", "tag": "1", "list-tags": "false"},
            tmp_path,
            session=session,
        )
    assert run.returncode == 0, run.log
    assert run.outputs["size"] == annotated["size"]
    assert run.outputs["layers"] == "3"
    assert run.outputs["revision"] == annotated["revision"]
    assert "| Size |" in run.summary
    html = assert_inert(run.summary)  # the `source` URL is shown, never linked
    assert "github.com/example/annotated" in html.replace("\u2060", "")


# -- the other platforms' sizes from Docker Hub's tag metadata (no request) -------------------


@pytest.mark.parametrize("same_index", [True, False])
def test_docker_hub_sizes_fill_the_platform_table(same_index: bool) -> None:
    from summary_answers import ARM64_DIGEST, INDEX_DIGEST, REF

    from hubaction.dockerhub.models import HubImage, HubTag
    from hubaction.github.steps import Result, _hub_platform_sizes
    from hubaction.github.summary import Table, platform_table
    from hubaction.tagsource import TagListing

    info = sample_info()
    result = Result(parts=[platform_table(info)], info=info, platforms_at=0)
    arm = HubImage("linux", "arm64", "v8", digest=str(ARM64_DIGEST), size=3 * 1024 * 1024)
    bad = HubImage("linux", "s390x", digest="not-a-digest", size=1)
    digest = str(INDEX_DIGEST) if same_index else "sha256:" + "0" * 64
    tag = HubTag(REF.tag or "", digest=digest, images=(arm, bad))
    _hub_platform_sizes(result, TagListing((tag.name,), True, {tag.name: tag}), REF)
    table = result.parts[0]
    assert isinstance(table, Table)
    # Only when the listing describes the very index looked up (a push in between: not)
    assert [row[2] for row in table.rows] == ["1.5 KiB", "3.0 MiB" if same_index else ""]
