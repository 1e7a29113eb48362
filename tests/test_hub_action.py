"""Docker Hub through the action: ``entrypoint.py`` with ``hub-url`` pointing at the local Hub
server (tests/fakes/hubserver.py), and the docker.io tag listing with its metadata."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
import requests_mock
from actionrunner import run_action, run_in_process
from fakes.hubserver import HUB_PAT, HUB_USER, HubServer, big_tag_dates

from hubaction.registry.transport import new_session


@pytest.fixture
def hub() -> Iterator[HubServer]:
    with HubServer() as server:
        yield server


def hub_inputs(server: HubServer, **inputs: str) -> dict[str, str]:
    return {"hub-url": server.url, **inputs}


def test_list_namespaces_with_a_personal_access_token(tmp_path: Path, hub: HubServer) -> None:
    run_ = run_action(
        hub_inputs(hub, **{"list-namespaces": "true", "username": HUB_USER, "password": HUB_PAT}),
        tmp_path,
    )
    assert run_.returncode == 0, run_.log
    assert json.loads(run_.outputs["namespaces"]) == sorted(json.loads(run_.outputs["namespaces"]))
    assert "acme" in json.loads(run_.outputs["namespaces"])
    lines = run_.log.splitlines()
    assert [line for line in lines if HUB_PAT in line] == [f"::add-mask::{HUB_PAT}"]
    for token in hub.issued_tokens():
        assert [line for line in lines if token in line] == [f"::add-mask::{token}"]


def test_namespace_of_250_repositories_in_three_requests(tmp_path: Path, hub: HubServer) -> None:
    run_ = run_action(
        hub_inputs(hub, namespace="acme", username=HUB_USER, password=HUB_PAT), tmp_path
    )
    assert run_.returncode == 0, run_.log
    repositories = json.loads(run_.outputs["repositories"])
    assert len(repositories) == len(set(repositories)) == 250
    listing = hub.listing_requests()
    assert len(listing) == 3
    assert all(r.page_size == 100 for r in listing)
    assert "### Repositories of acme" in run_.summary
    assert "250 repositories" in run_.summary


def test_anonymous_listing_shows_only_public_repositories(tmp_path: Path, hub: HubServer) -> None:
    anonymous = run_action(hub_inputs(hub, namespace="acme"), tmp_path / "anon")
    assert anonymous.returncode == 0, anonymous.log
    public = json.loads(anonymous.outputs["repositories"])
    signed_in = run_action(
        hub_inputs(hub, namespace="acme", username=HUB_USER, password=HUB_PAT), tmp_path / "auth"
    )
    everything = json.loads(signed_in.outputs["repositories"])
    assert set(public) < set(everything)
    assert len(everything) - len(public) == 50
    assert "public ones only" in anonymous.summary


def test_wrong_credentials_are_one_clear_error(tmp_path: Path, hub: HubServer) -> None:
    run_ = run_action(
        hub_inputs(hub, namespace="acme", username=HUB_USER, password="dckr_pat_WRONG-123456"),
        tmp_path,
    )
    assert run_.returncode == 1
    assert len(run_.errors()) == 1
    assert "Traceback" not in run_.log
    assert [line for line in run_.log.splitlines() if "dckr_pat_WRONG-123456" in line] == [
        "::add-mask::dckr_pat_WRONG-123456"
    ]
    assert run_.outputs == {}


def test_list_namespaces_needs_credentials(tmp_path: Path, hub: HubServer) -> None:
    run_ = run_action(hub_inputs(hub, **{"list-namespaces": "true"}), tmp_path)
    assert run_.returncode == 1
    assert len(run_.errors()) == 1


def test_no_request_asks_for_more_than_100(tmp_path: Path, hub: HubServer) -> None:
    run_action(hub_inputs(hub, namespace="acme", username=HUB_USER, password=HUB_PAT), tmp_path)
    sizes = [r.page_size for r in hub.requests if r.page_size is not None]
    assert sizes and max(sizes) <= 100


# -- docker.io tags with Hub metadata, the registry faked (it is not reachable here) ----------

INDEX_DIGEST = "sha256:" + "ab" * 32


@pytest.fixture
def registry_mock(hub: HubServer) -> Iterator[requests.Session]:
    """A session whose registry-1.docker.io and auth.docker.io are fakes, and whose Hub API is
    the local Hub server (real HTTP). No retries: every fake answers the first time, and a
    Hub API that is down is refused at once instead of after three backed-off reconnects."""
    session = new_session(retries=0)
    with requests_mock.Mocker(session=session, real_http=True) as mocker:
        mocker.get(
            "https://auth.docker.io/token", json={"token": "registry-token-xyz", "expires_in": 300}
        )
        config = json.dumps(
            {"os": "linux", "architecture": "amd64", "created": "2025-01-01T00:00:00Z"}
        ).encode()
        config_digest = "sha256:" + hashlib.sha256(config).hexdigest()
        manifest = json.dumps(
            {
                "schemaVersion": 2,
                "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "config": {
                    "mediaType": "application/vnd.oci.image.config.v1+json",
                    "digest": config_digest,
                    "size": len(config),
                },
                "layers": [],
            }
        ).encode()
        mocker.get(
            "https://registry-1.docker.io/v2/acme/big/manifests/latest",
            content=manifest,
            headers={"Content-Type": "application/vnd.oci.image.manifest.v1+json"},
        )
        mocker.get(
            f"https://registry-1.docker.io/v2/acme/big/blobs/{config_digest}", content=config
        )
        mocker.get(
            "https://registry-1.docker.io/v2/acme/big/tags/list",
            json={"name": "acme/big", "tags": ["1.0.0", "2.0.0", "latest"]},
        )
        mocker.head(
            "https://registry-1.docker.io/v2/acme/big/manifests/latest",
            headers={
                "Docker-Content-Digest": INDEX_DIGEST,
                "Content-Type": "application/vnd.oci.image.index.v1+json",
                "ratelimit-limit": "100;w=21600",
                "ratelimit-remaining": "76;w=21600",
            },
        )
        yield session


def test_docker_io_tags_come_with_their_dates_and_sort_by_push(
    tmp_path: Path, hub: HubServer, registry_mock: requests.Session
) -> None:
    result = run_in_process(
        hub_inputs(
            hub,
            repository="acme/big",
            **{"digest-only": "true", "tag-sort": "updated", "max-tags": "0"},
        ),
        tmp_path / "digest-only",
        session=registry_mock,
    )
    code, outputs, log = result.returncode, result.outputs, result.stdout
    # digest-only makes HEAD requests only: no tag listing, no pull spent
    assert code == 0, log
    assert outputs["digest"] == INDEX_DIGEST
    assert outputs["rate-limit-limit"] == "100" and outputs["rate-limit-remaining"] == "76"
    assert "76 of 100 pulls left per 6 h" in result.summary
    assert "tags" not in outputs

    result = run_in_process(
        hub_inputs(hub, repository="acme/big", **{"tag-sort": "updated", "max-tags": "0"}),
        tmp_path / "full",
        session=registry_mock,
    )
    code, outputs, summary = result.returncode, result.outputs, result.summary
    assert code == 0, log
    dates = big_tag_dates()
    tags = json.loads(outputs["tags"])
    assert len(tags) == 230 == int(outputs["tag-count"])
    assert tags == sorted(dates, key=lambda t: dates[t], reverse=True)
    assert "Docker Hub's API" in summary
    newest = tags[0]
    assert dates[newest].strftime("%Y-%m-%d") in summary
    assert result.errors() == []


def test_tag_sort_updated_is_refused_up_front_for_other_registries(tmp_path: Path) -> None:
    run_ = run_action({"repository": "ghcr.io/org/app", "tag-sort": "updated"}, tmp_path)
    assert run_.returncode == 1
    assert len(run_.errors()) == 1 and "`tag-sort: updated`" in run_.errors()[0]


def hub_cli(*args: str, stdin: str = "") -> tuple[int, str, str]:
    import subprocess
    import sys

    root = Path(__file__).resolve().parent.parent
    done = subprocess.run(
        [sys.executable, "-m", "hubaction.cli", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        cwd="/",
        env={"PATH": "/usr/bin:/bin", "HOME": "/nonexistent", "PYTHONPATH": str(root)},
    )
    return done.returncode, done.stdout, done.stderr


def test_cli_namespaces_and_repos(hub: HubServer) -> None:
    creds = ["--username", HUB_USER, "--password-stdin", "--hub-url", hub.url]
    code, out, err = hub_cli("namespaces", *creds, "--json", stdin=HUB_PAT)
    assert code == 0, err
    assert "acme" in json.loads(out)
    code, out, err = hub_cli("repos", "acme", *creds, "--json", stdin=HUB_PAT)
    assert code == 0, err
    assert len(json.loads(out)) == 250
    code, out, err = hub_cli("repos", "acme", "--hub-url", hub.url)
    assert code == 0 and len(out.splitlines()) == 200
    assert "public repositories only" in err
    assert HUB_PAT not in out + err


def test_cli_tags_of_a_docker_io_repository_use_hub_metadata(hub: HubServer) -> None:
    code, out, err = hub_cli(
        "tags", "acme/big", "--hub-url", hub.url, "--sort", "updated", "--json"
    )
    assert code == 0, err
    dates = big_tag_dates()
    assert json.loads(out)["tags"] == sorted(dates, key=lambda t: dates[t], reverse=True)


def test_cli_wrong_hub_credentials(hub: HubServer) -> None:
    code, out, err = hub_cli(
        "namespaces",
        "--username",
        HUB_USER,
        "--password-stdin",
        "--hub-url",
        hub.url,
        stdin="wrong-secret-77",
    )
    assert code == 1
    assert len(err.strip().splitlines()) == 1 and err.startswith("error: ")
    assert "wrong-secret-77" not in out + err


def test_tags_fall_back_to_the_registry_when_the_hub_api_fails(
    tmp_path: Path, hub: HubServer, registry_mock: requests.Session
) -> None:
    # nothing listens on the Hub API's port; the registry's tag list still answers
    hub_down = "http://127.0.0.1:9/hub"
    result = run_in_process(
        {"repository": "acme/big", "hub-url": hub_down, "max-tags": "0", "summary": "false"},
        tmp_path,
        session=registry_mock,
    )
    assert result.returncode == 0, result.stdout
    warnings = [data for name, _p, data in result.commands if name == "warning"]
    assert len(warnings) == 1 and "Docker Hub's API failed" in warnings[0]
    assert json.loads(result.outputs["tags"]) == ["2.0.0", "1.0.0", "latest"]
