"""Referrers against a fake registry that implements the OCI 1.1 API (tests/fakes/referrers.py):
pages, the artifactType filter (applied or not), a false 200 and a 404 (both: the tag
schema), cosign's tags, signed/unsigned, predicate types, bounds, and that ``referrers:
false`` sends no request more than before (issue 16)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
import requests
from actionrunner import ActionRun, run_in_process
from fakes.referrers import (
    SLSA_BUILDKIT,
    SLSA_V1,
    SPDX_PREDICATE,
    SPDX_TYPE,
    ReferrersRegistry,
    supply_content,
)
from fakes.server import FakeServer, Handler, Request, Response
from test_summary_hostile import assert_inert

from hubaction.errors import RegistryError
from hubaction.oci.reference import parse_digest, parse_reference
from hubaction.registry import referrers as registry_referrers
from hubaction.registry.client import open_client
from hubaction.registry.referrers import list_referrers, referrers_api

pytestmark = pytest.mark.usefixtures("_no_github_env_leaks")


def _run(server: FakeServer, tmp_path: Path, **inputs: str) -> ActionRun:
    with requests.Session() as session:
        return run_in_process(
            {"repository": f"{server.host}/app", "tag": "1", "list-tags": "false", **inputs},
            tmp_path,
            session=session,
        )


def _requests(server: FakeServer) -> list[str]:
    return [f"{e.request.method} {e.request.path}" for e in server.exchanges]


@pytest.mark.parametrize("api", ["full", "unfiltered", "missing", "false200"])
def test_signed_image_with_sbom_and_provenance(
    serve: Callable[[Handler], FakeServer], tmp_path: Path, api: str
) -> None:
    content = supply_content("app")
    server = serve(ReferrersRegistry(api=api).push(content))
    run = _run(server, tmp_path, referrers="true")
    assert run.returncode == 0, run.log
    out = run.outputs
    assert out["signed"] == "true"
    attestations = json.loads(out["attestations"])
    by_digest = {a["digest"]: a for a in attestations}
    assert content.sbom is not None and content.provenance is not None
    assert by_digest[content.sbom.digest]["predicateTypes"] == [SPDX_PREDICATE]
    assert by_digest[content.provenance.digest]["predicateTypes"] == [SLSA_V1]
    # BuildKit's own, from the index, with the predicate type of its in-toto layer
    buildkit = [a for a in attestations if a["source"] == "index"]
    assert [(a["platform"], a["predicateTypes"]) for a in buildkit] == [
        ("linux/amd64", [SLSA_BUILDKIT])
    ]
    source = "api" if api in ("full", "unfiltered") else "tag-schema"
    assert by_digest[content.sbom.digest]["source"] == source
    referrers = json.loads(out["referrers"])
    assert {r["digest"] for r in referrers} >= {content.sbom.digest, content.provenance.digest}
    sbom = next(r for r in referrers if r["digest"] == content.sbom.digest)
    assert sbom["artifactType"] == SPDX_TYPE and sbom["subject"] == content.index.digest
    sig = [r for r in referrers if r["source"] == "cosign"]
    assert [r["tag"] for r in sig] == [f"sha256-{content.index_hex}.sig"]
    html = assert_inert(run.summary)
    assert "Supply chain" in html
    if source == "tag-schema":
        # the API's answer (404 or a false 200), then the tag schema's index
        paths = _requests(server)
        at = paths.index(f"GET /v2/app/referrers/{content.index.digest}")
        assert paths[at + 1] == f"GET /v2/app/manifests/sha256-{content.index_hex}"


def test_unsigned_image(serve: Callable[[Handler], FakeServer], tmp_path: Path) -> None:
    server = serve(ReferrersRegistry(api="full").push(supply_content("app", signed=False)))
    run = _run(server, tmp_path, referrers="true")
    assert run.returncode == 0, run.log
    assert run.outputs["signed"] == "false"
    assert json.loads(run.outputs["referrers"]) == []
    assert [a["source"] for a in json.loads(run.outputs["attestations"])] == ["index"]


def test_referrers_false_sends_no_request_more(
    serve: Callable[[Handler], FakeServer], tmp_path: Path
) -> None:
    content = supply_content("app")
    server = serve(ReferrersRegistry(api="full").push(content))
    run = _run(server, tmp_path)
    assert run.returncode == 0, run.log
    # The default lookup's budget: the index, the chosen manifest, its config; nothing else.
    amd64 = content.platforms[0]
    assert _requests(server) == [
        "GET /v2/app/manifests/1",
        f"GET /v2/app/manifests/{amd64.manifest.digest}",
        f"GET /v2/app/blobs/{amd64.config.digest}",
    ]
    assert "referrers" not in run.outputs and "signed" not in run.outputs
    # from the index alone: BuildKit's attestation, without predicate types
    assert [set(a) for a in json.loads(run.outputs["attestations"])] == [
        {"platform", "subject", "digest", "source"}
    ]
    assert run.outputs["size"] == str(amd64.config.size + sum(b.size for b in amd64.layers))


@pytest.mark.parametrize("page_size", [1, 2])
def test_pages_are_followed(serve: Callable[[Handler], FakeServer], page_size: int) -> None:
    content = supply_content("app")
    server = serve(ReferrersRegistry(api="full", page_size=page_size).push(content))
    ref = parse_reference(f"{server.host}/app:1")
    found = referrers_api(open_client(), ref, parse_digest(content.index.digest))
    assert content.sbom is not None and content.provenance is not None
    assert sorted(str(r.digest) for r in found) == sorted(
        [content.sbom.digest, content.provenance.digest]
    )
    pages = [p for p in _requests(server) if "/referrers/" in p]
    assert len(pages) == -(-2 // page_size)


@pytest.mark.parametrize("api", ["full", "unfiltered", "missing"])
def test_artifact_type_filter(serve: Callable[[Handler], FakeServer], api: str) -> None:
    content = supply_content("app")
    server = serve(ReferrersRegistry(api=api).push(content))
    ref = parse_reference(f"{server.host}/app:1")
    found, how = list_referrers(
        open_client(), ref, parse_digest(content.index.digest), artifact_type=SPDX_TYPE
    )
    assert content.sbom is not None
    assert [str(r.digest) for r in found] == [content.sbom.digest]
    assert how == ("tag-schema" if api == "missing" else "api")
    if api != "missing":
        asked = [e.request.target for e in server.exchanges if "/referrers/" in e.request.path]
        assert asked == [
            f"/v2/app/referrers/{content.index.digest}?artifactType=application%2Fspdx%2Bjson"
        ]


def test_pages_are_bounded(
    serve: Callable[[Handler], FakeServer], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(registry_referrers, "MAX_PAGES", 3)
    digest = "sha256:" + "a" * 64

    def endless(request: Request) -> Response:
        page = int(request.query.get("page", ["0"])[0])
        body = json.dumps({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": []})
        link = f'<{request.path}?page={page + 1}>; rel="next"'
        return Response(200, (("Content-Type", OCI_INDEX), ("Link", link)), body.encode())

    server = serve(endless)
    with pytest.raises(RegistryError, match="more than 3 pages"):
        referrers_api(open_client(), parse_reference(f"{server.host}/app:1"), parse_digest(digest))
    assert len(server.exchanges) == 3


def test_a_next_page_on_another_host_is_refused(serve: Callable[[Handler], FakeServer]) -> None:
    def elsewhere(request: Request) -> Response:
        body = json.dumps({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": []})
        link = '<http://evil.example/v2/app/referrers/x?page=1>; rel="next"'
        return Response(200, (("Content-Type", OCI_INDEX), ("Link", link)), body.encode())

    server = serve(elsewhere)
    with pytest.raises(RegistryError, match="another host"):
        referrers_api(
            open_client(),
            parse_reference(f"{server.host}/app:1"),
            parse_digest("sha256:" + "b" * 64),
        )
    assert len(server.exchanges) == 1


def test_a_registry_error_on_the_api_fails_the_run(
    serve: Callable[[Handler], FakeServer], tmp_path: Path
) -> None:
    registry = ReferrersRegistry(api="full").push(supply_content("app"))

    def broken(request: Request) -> Response:
        if "/referrers/" in request.path:
            return Response.json(500, {"errors": [{"code": "UNKNOWN", "message": "boom"}]})
        return registry(request)

    run = _run(serve(broken), tmp_path, referrers="true")
    assert run.returncode == 1
    errors = run.errors()
    assert len(errors) == 1 and "referrers" in errors[0], run.log


OCI_INDEX = "application/vnd.oci.image.index.v1+json"


def test_referrers_with_digest_only_is_refused_up_front(
    serve: Callable[[Handler], FakeServer], tmp_path: Path
) -> None:
    server = serve(ReferrersRegistry(api="full").push(supply_content("app")))
    run = _run(server, tmp_path, referrers="true", **{"digest-only": "true"})
    assert run.returncode == 1
    errors = run.errors()
    assert len(errors) == 1 and "`digest-only: true`" in errors[0], run.log
    assert server.exchanges == []


def test_a_tag_schema_tag_holding_no_index_degrades(
    serve: Callable[[Handler], FakeServer], tmp_path: Path
) -> None:
    # Without the API, the sha256-<hex> tag holds a plain image manifest (pushed by hand or by
    # another tool): its referrers are left out with a note; the lookup and cosign's tag stand.
    content = supply_content("app")
    registry = ReferrersRegistry(api="missing").push(content)
    amd64 = content.platforms[0].manifest
    registry.tags[f"sha256-{content.index_hex}"] = amd64.digest
    server = serve(registry)
    run = _run(server, tmp_path, referrers="true")
    assert run.returncode == 0, run.log
    assert run.outputs["digest"] == content.index.digest
    referrers = json.loads(run.outputs["referrers"])
    assert [r["source"] for r in referrers] == ["cosign"]
    assert run.outputs["signed"] == "true"
    assert "its referrers are left out" in run.summary
    assert_inert(run.summary)


def test_a_signature_on_the_platform_manifest_and_cosign_att_and_sbom_tags(
    serve: Callable[[Handler], FakeServer], tmp_path: Path
) -> None:
    # cosign signs what it is given: here the chosen platform's manifest, not the index; its
    # attestation and SBOM live under the index's `.att` and `.sbom` tags (found by HEAD).
    content = supply_content("app")
    registry = ReferrersRegistry(api="full").push(content)
    assert content.signature is not None
    sig_tag = f"sha256-{content.index_hex}.sig"
    del registry.tags[sig_tag]
    amd64_hex = content.platforms[0].manifest.digest.removeprefix("sha256:")
    registry.tags[f"sha256-{amd64_hex}.sig"] = content.signature.digest
    for suffix in ("att", "sbom"):
        registry.tags[f"sha256-{content.index_hex}.{suffix}"] = content.signature.digest
    run = _run(serve(registry), tmp_path, referrers="true")
    assert run.returncode == 0, run.log
    assert run.outputs["signed"] == "true"
    cosign = {r["tag"] for r in json.loads(run.outputs["referrers"]) if r["source"] == "cosign"}
    assert cosign == {
        f"sha256-{amd64_hex}.sig",
        f"sha256-{content.index_hex}.att",
        f"sha256-{content.index_hex}.sbom",
    }


def test_an_att_tag_alone_does_not_make_an_image_signed(
    serve: Callable[[Handler], FakeServer], tmp_path: Path
) -> None:
    content = supply_content("app")
    registry = ReferrersRegistry(api="full").push(content)
    assert content.signature is not None
    del registry.tags[f"sha256-{content.index_hex}.sig"]
    registry.tags[f"sha256-{content.index_hex}.att"] = content.signature.digest
    # the API's referrers are an SBOM and a provenance: no signature or sigstore bundle
    run = _run(serve(registry), tmp_path, referrers="true")
    assert run.returncode == 0, run.log
    assert run.outputs["signed"] == "false"
