"""Referrers on the real distribution 2.8 registry, which has no referrers API (issue 16): real
referrer manifests (with a ``subject``) pushed through the API, a cosign-style ``.sig`` tag and
the ``sha256-<hex>`` tag-schema index; the lookup falls back to that index and finds the
signature by HEAD. ``referrers: false`` costs the same requests as before.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import requests
from actionrunner import ActionRun, run_in_process
from fakes.referrers import SLSA_BUILDKIT, SLSA_V1, SPDX_PREDICATE, SupplyContent, supply_content
from registryfixtures import Fixtures, RegistryProcess
from registryfixtures.images import Pusher
from test_registry_integration import Counter
from test_summary_hostile import assert_inert

pytestmark = pytest.mark.usefixtures("_no_github_env_leaks")


def push(registry: RegistryProcess, repository: str, content: SupplyContent) -> SupplyContent:
    pusher = Pusher(registry.url)
    for blob in content.blobs:
        pusher.blob(repository, blob)
    for reference, manifest in content.manifests:
        pusher.manifest(repository, reference, manifest)
    return content


@pytest.fixture(scope="module")
def pushed(open_registry: RegistryProcess, registry_fixtures: Fixtures) -> dict[str, SupplyContent]:
    return {
        "signed": push(open_registry, "supply/signed", supply_content("supply/signed")),
        "unsigned": push(
            open_registry, "supply/unsigned", supply_content("supply/unsigned", signed=False)
        ),
    }


def _run(registry: RegistryProcess, repository: str, tmp_path: Path, **inputs: str) -> ActionRun:
    with requests.Session() as session:
        return run_in_process(
            {"repository": f"{registry.host}/{repository}", "tag": "1", **inputs},
            tmp_path,
            session=session,
        )


def test_signed_image_by_the_tag_schema(
    open_registry: RegistryProcess, pushed: dict[str, SupplyContent], tmp_path: Path
) -> None:
    content = pushed["signed"]
    run = _run(open_registry, "supply/signed", tmp_path, referrers="true", **{"list-tags": "false"})
    assert run.returncode == 0, run.log
    assert run.outputs["signed"] == "true"
    assert content.sbom is not None and content.provenance is not None
    types = {a["digest"]: a["predicateTypes"] for a in json.loads(run.outputs["attestations"])}
    assert types[content.sbom.digest] == [SPDX_PREDICATE]
    assert types[content.provenance.digest] == [SLSA_V1]
    assert [SLSA_BUILDKIT] in types.values()  # BuildKit's, in the index
    referrers = json.loads(run.outputs["referrers"])
    assert {(r["source"], r["digest"]) for r in referrers} == {
        ("tag-schema", content.sbom.digest),
        ("tag-schema", content.provenance.digest),
        ("cosign", content.signature.digest if content.signature else ""),
    }
    assert "no referrers API" in assert_inert(run.summary)


def test_unsigned_image(
    open_registry: RegistryProcess, pushed: dict[str, SupplyContent], tmp_path: Path
) -> None:
    run = _run(
        open_registry, "supply/unsigned", tmp_path, referrers="true", **{"list-tags": "false"}
    )
    assert run.returncode == 0, run.log
    assert run.outputs["signed"] == "false"
    assert json.loads(run.outputs["referrers"]) == []


def test_referrers_false_costs_what_it_did(
    open_registry: RegistryProcess, pushed: dict[str, SupplyContent], tmp_path: Path
) -> None:
    content = pushed["signed"]
    with requests.Session() as session:
        counter = Counter(session)
        run = run_in_process(
            {"repository": f"{open_registry.host}/supply/signed", "list-tags": "false", "tag": "1"},
            tmp_path,
            session=session,
        )
    assert run.returncode == 0, run.log
    amd64 = content.platforms[0]
    paths = [(m, url.split("/v2/", 1)[1]) for m, url, _status in counter.requests]
    assert paths == [
        ("GET", "supply/signed/manifests/1"),
        ("GET", f"supply/signed/manifests/{amd64.manifest.digest}"),
        ("GET", f"supply/signed/blobs/{amd64.config.digest}"),
    ]
    assert "signed" not in run.outputs


def test_cli_referrers(open_registry: RegistryProcess, pushed: dict[str, SupplyContent]) -> None:
    from test_registry_integration import cli

    done = cli("referrers", f"{open_registry.host}/supply/signed:1", "--json")
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)
    assert doc["signed"] is True
    assert doc["listed-by"] == "tag-schema"
    assert len(doc["referrers"]) == 3
