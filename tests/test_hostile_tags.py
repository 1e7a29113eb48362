"""Hostile tag names in a tag listing (issue 13 §5): names that break the tag grammar (control
characters, a newline carrying a workflow command, ``$(id)``, 1 MiB, a lone surrogate) are
skipped with one warning that counts them. They never reach ``tags`` or the summary, and the
run still succeeds. One registry on loopback (the fake-server base) or a Docker Hub API.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import requests_mock
from actionrunner import ActionRun, run_action, run_in_process
from fakes.reqresp import Pair, Table, pair
from fakes.server import FakeServer, Handler
from fakes.tiny import CONFIG, CONFIG_DIGEST, MANIFEST, MANIFEST_DIGEST

from hubaction import cli
from hubaction.registry.transport import new_session

Serve = Callable[[Handler], FakeServer]

VALID = ["1.0", "2.0", "latest"]
# As JSON text: `\ud800` must reach the parser as an escape, the only way JSON carries it.
HOSTILE_JSON = [
    json.dumps("bell\u0007tag"),
    json.dumps("x\n::error::pwned"),
    json.dumps("$(id)"),
    json.dumps("a" * (1 << 20)),
    '"\\ud800"',
]
WARNING = "5 tags that are not valid tag names were skipped"

MANIFEST_HEADERS = {
    "Content-Type": "application/vnd.oci.image.manifest.v1+json",
    "Docker-Content-Digest": MANIFEST_DIGEST,
}


def tag_list_body(names: list[str]) -> bytes:
    return ('{"name": "app", "tags": [' + ", ".join(names) + "]}").encode()


def registry(serve: Serve) -> FakeServer:
    """A registry whose tag list mixes the valid tags with every hostile name."""
    pairs: list[Pair] = [
        pair("GET", "/v2/"),
        pair(
            "GET",
            "/v2/app/tags/list",
            body=tag_list_body([json.dumps(t) for t in VALID] + HOSTILE_JSON),
            headers={"Content-Type": "application/json"},
        ),
        pair("GET", f"/v2/app/blobs/{CONFIG_DIGEST}", body=CONFIG),
    ]
    for tag in [*VALID, MANIFEST_DIGEST]:
        for method in ("GET", "HEAD"):
            body = MANIFEST if method == "GET" else b""
            pairs.append(
                pair(method, f"/v2/app/manifests/{tag}", body=body, headers=MANIFEST_HEADERS)
            )
    return serve(Table(pairs))


def skip_warnings(run: ActionRun) -> list[str]:
    """The run's warnings about skipped tag names (there must be exactly one)."""
    return [
        data for name, _props, data in run.commands if name == "warning" and "valid tag" in data
    ]


def test_action_skips_hostile_registry_tags_with_one_warning(serve: Serve, tmp_path: Path) -> None:
    server = registry(serve)
    run = run_action(
        {"repository": f"{server.host}/app", "tag": "1.0", "list-tags": "true"}, tmp_path
    )
    assert run.returncode == 0, run.log
    assert run.errors() == []
    assert skip_warnings(run) == [f"{server.host}/app: {WARNING}"]
    assert "pwned" not in run.stdout and "$(id)" not in run.stdout
    assert json.loads(run.outputs["tags"]) == ["2.0", "1.0", "latest"]
    assert run.outputs["tag-count"] == "3"
    assert "3 tags, sorted by" in run.summary
    assert "5 listed names that are not valid tags were skipped." in run.summary
    assert "pwned" not in run.summary and "$(id)" not in run.summary


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    out = io.StringIO()
    code = cli.main(list(args), out=out)
    return code, out.getvalue(), capsys.readouterr().err


def test_cli_tags_skip_hostile_registry_tags_with_one_note(
    serve: Serve, capsys: pytest.CaptureFixture[str]
) -> None:
    server = registry(serve)
    code, out, err = run_cli(capsys, "tags", f"{server.host}/app")
    assert (code, out.splitlines()) == (0, ["2.0", "1.0", "latest"])
    assert err.splitlines() == [f"note: {server.host}/app: {WARNING}"]


def test_cli_tags_json_lists_only_the_valid_tags(
    serve: Serve, capsys: pytest.CaptureFixture[str]
) -> None:
    server = registry(serve)
    code, out, err = run_cli(capsys, "tags", f"{server.host}/app", "--json")
    assert code == 0
    assert json.loads(out)["tags"] == ["2.0", "1.0", "latest"]
    assert err.count("not valid tag names") == 1


# -- Docker Hub's API -------------------------------------------------------------------------

HUB_NAMES = ["1.0", "latest", "x\n::error::pwned"]


def hub_page(names: list[str]) -> dict[str, Any]:
    results = [{"name": n, "tag_last_pushed": "2024-05-01T12:00:00Z"} for n in names]
    return {"count": len(names), "next": None, "previous": None, "results": results}


def hub_server(serve: Serve) -> FakeServer:
    tags = "/v2/namespaces/acme/repositories/app/tags"
    return serve(Table([pair("GET", tags, json_body=hub_page(HUB_NAMES))]))


@pytest.fixture
def docker_io() -> Iterator[requests.Session]:
    """registry-1.docker.io and auth.docker.io as fakes; other hosts (the Hub) real HTTP."""
    session = new_session(retries=0)
    with requests_mock.Mocker(session=session, real_http=True) as mocker:
        mocker.get(
            "https://auth.docker.io/token",
            json={"token": "t0ken-xyz-0123456789", "expires_in": 300},
        )
        for tag in ("1.0", "latest", MANIFEST_DIGEST):
            url = f"https://registry-1.docker.io/v2/acme/app/manifests/{tag}"
            mocker.get(url, content=MANIFEST, headers=MANIFEST_HEADERS)
            mocker.head(url, headers=MANIFEST_HEADERS)
        mocker.get(
            f"https://registry-1.docker.io/v2/acme/app/blobs/{CONFIG_DIGEST}", content=CONFIG
        )
        yield session


def test_action_skips_an_invalid_docker_hub_tag_with_one_warning(
    serve: Serve, tmp_path: Path, docker_io: requests.Session
) -> None:
    hub = hub_server(serve)
    run = run_in_process(
        {"repository": "acme/app", "tag": "1.0", "hub-url": f"http://{hub.host}"},
        tmp_path,
        session=docker_io,
    )
    assert run.returncode == 0, run.log
    assert run.errors() == []
    skipped = "1 tag that is not a valid tag name was skipped"
    assert skip_warnings(run) == [f"docker.io/acme/app: {skipped}"]
    assert json.loads(run.outputs["tags"]) == ["1.0", "latest"]
    assert "Docker Hub's API" in run.summary
    assert "1 listed name that is not a valid tag was skipped." in run.summary
    assert "pwned" not in run.summary and "pwned" not in run.stdout


def test_cli_tags_skip_an_invalid_docker_hub_tag_with_one_note(
    serve: Serve, capsys: pytest.CaptureFixture[str]
) -> None:
    hub = hub_server(serve)
    code, out, err = run_cli(capsys, "tags", "acme/app", "--hub-url", f"http://{hub.host}")
    assert code == 0
    assert [line.split()[0] for line in out.splitlines()] == ["1.0", "latest"]
    skipped = "1 tag that is not a valid tag name was skipped"
    assert err.splitlines() == [f"note: docker.io/acme/app: {skipped}"]
