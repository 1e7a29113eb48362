"""``platform: all``, end to end against the real registry: every platform resolved, each
compared with the base's same platform, ``changed-platforms``, the summary, the CLI and the
request count.

The images are built here layer by layer (as in test_base_image.py): an image built ``FROM
base`` starts with the base's layers for the same platform. The base moves on for one platform
only (``linux/arm64`` rebuilt), as when a base image's maintainers rebuild one architecture.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
from actionrunner import run_action, run_in_process
from registryfixtures import RegistryProcess
from registryfixtures.images import MT_OCI_INDEX, Blob, Pusher
from test_base_image import build, layer, push_image, push_index

from hubaction import cli
from hubaction.oci.platform import parse_platform
from hubaction.oci.reference import parse_reference
from hubaction.registry.allplatforms import inspect_all
from hubaction.registry.baseimage import compare_base
from hubaction.registry.client import open_client
from hubaction.registry.transport import new_session

PLATFORMS = ("linux/amd64", "linux/arm64", "linux/arm/v7")


@dataclass(frozen=True)
class Pushed:
    host: str
    base_old: str
    base_new: str
    app: dict[str, str]  # platform -> manifest digest of allplat/app:1
    sparse_gone: str  # the manifest deleted from allplat/sparse:1's index
    armonly_arm64: str


@pytest.fixture(scope="module")
def pushed(open_registry: RegistryProcess) -> Pushed:
    pusher = Pusher(open_registry.url)
    amd, arm1, arm2, v7, v7_old, app = (
        layer(f"allplat-{n}") for n in ("amd64", "arm64-1", "arm64-2", "v7", "v7-old", "app")
    )
    old = [build("linux/amd64", [amd]), build("linux/arm64", [arm1]), build("linux/arm/v7", [v7])]
    new = [build("linux/amd64", [amd]), build("linux/arm64", [arm2]), build("linux/arm/v7", [v7])]
    base_old = push_index(pusher, "allplat/base", "old", old)
    base_new = push_index(pusher, "allplat/base", "new", new)
    # built on base:old; against base:new only linux/arm64 moved on
    images = [
        build("linux/amd64", [amd, app]),
        build("linux/arm64", [arm1, app]),
        build("linux/arm/v7", [v7, app]),
    ]
    push_index(pusher, "allplat/app", "1", images)
    # sparse (Quay keeps entries whose manifests it dropped): arm/v7, built on an older base
    # (so it would count as moved on), has no manifest any more
    sparse = [images[0], images[1], build("linux/arm/v7", [v7_old, app])]
    push_index(pusher, "allplat/sparse", "1", sparse)
    gone = sparse[2][0].manifest.digest
    deleted = requests.delete(f"{open_registry.url}/v2/allplat/sparse/manifests/{gone}", timeout=30)
    assert deleted.status_code == 202, deleted.text
    push_image(pusher, "allplat/single", "1", *build("linux/amd64", [amd, app]))
    arm_only = [build("linux/arm64", [arm1, app]), build("linux/arm/v7", [v7, app])]
    push_index(pusher, "allplat/armonly", "1", arm_only)
    return Pushed(
        open_registry.host,
        base_old,
        base_new,
        {image.platform: image.manifest.digest for image, _ in images},
        gone,
        arm_only[0][0].manifest.digest,
    )


def action(tmp_path: Path, pushed: Pushed, repo: str, **extra: str) -> dict[str, str]:
    run = run_action(
        {"repository": f"{pushed.host}/allplat/{repo}", "tag": "1", "list-tags": "false", **extra},
        tmp_path,
    )
    assert run.returncode == 0, run.log
    assert len(run.errors()) == 0
    warnings = [data for name, _props, data in run.commands if name == "warning"]
    return run.outputs | {"__summary__": run.summary, "__warnings__": json.dumps(warnings)}


def base(pushed: Pushed, tag: str) -> str:
    return f"{pushed.host}/allplat/base:{tag}"


def test_one_platform_rebuilt_on_a_new_base(tmp_path: Path, pushed: Pushed) -> None:
    out = action(tmp_path, pushed, "app", platform="all", **{"base-image": base(pushed, "new")})
    assert out["base-changed"] == "true"
    assert json.loads(out["changed-platforms"]) == ["linux/arm64"]
    assert out["base-digest"] == pushed.base_new
    # the single-valued outputs are linux/amd64's, the host default
    assert out["platform-digest"] == pushed.app["linux/amd64"]
    assert json.loads(out["platforms"]) == list(PLATFORMS)
    summary = out["__summary__"]
    for digest in pushed.app.values():
        assert digest in summary
    rows = [line for line in summary.splitlines() if "| 2 |" in line]  # 2 layers each
    assert len(rows) == 3
    assert [("moved on" in r) for r in rows] == [False, True, False]
    assert "(outputs)" in rows[0]
    assert json.loads(out["__warnings__"]) == []


def test_no_platform_moved_on(tmp_path: Path, pushed: Pushed) -> None:
    out = action(tmp_path, pushed, "app", platform="all", **{"base-image": base(pushed, "old")})
    assert out["base-changed"] == "false"
    assert out["changed-platforms"] == "[]"
    assert out["base-digest"] == pushed.base_old


def test_one_platform_keeps_its_meaning(tmp_path: Path, pushed: Pushed) -> None:
    # without `all`, base-changed is the chosen platform's: linux/amd64's base did not move
    out = action(tmp_path, pushed, "app", **{"base-image": base(pushed, "new")})
    assert out["base-changed"] == "false"
    assert out["changed-platforms"] == "[]"
    arm = action(
        tmp_path / "arm",
        pushed,
        "app",
        platform="linux/arm64",
        **{"base-image": base(pushed, "new")},
    )
    assert arm["base-changed"] == "true"


def test_without_base_image_every_platform_is_shown(tmp_path: Path, pushed: Pushed) -> None:
    out = action(tmp_path, pushed, "app", platform="all")
    assert out["base-changed"] == "false" and out["changed-platforms"] == "[]"
    assert all(d in out["__summary__"] for d in pushed.app.values())
    assert out["config-digest"] and out["created"] == "2025-01-01T00:00:00Z"


def test_a_missing_platform_manifest_is_marked_and_left_out(tmp_path: Path, pushed: Pushed) -> None:
    out = action(tmp_path, pushed, "sparse", platform="all", **{"base-image": base(pushed, "new")})
    # arm/v7 would have moved on, but it cannot be compared: left out, with a warning
    assert json.loads(out["changed-platforms"]) == ["linux/arm64"]
    assert out["base-changed"] == "true"
    warnings = json.loads(out["__warnings__"])
    assert len(warnings) == 1
    assert "linux/arm/v7" in warnings[0] and pushed.sparse_gone in warnings[0]
    row = next(line for line in out["__summary__"].splitlines() if pushed.sparse_gone in line)
    assert "missing" in row and "not compared" in row


def test_an_image_without_linux_amd64_reports_its_first_platform(
    tmp_path: Path, pushed: Pushed
) -> None:
    out = action(tmp_path, pushed, "armonly", platform="all")
    assert out["platform-digest"] == pushed.armonly_arm64
    assert json.loads(out["platforms"]) == ["linux/arm64", "linux/arm/v7"]


def test_a_single_platform_image_is_its_one_platform(tmp_path: Path, pushed: Pushed) -> None:
    every = action(tmp_path / "all", pushed, "single", platform="all")
    one = action(tmp_path / "one", pushed, "single")
    skip = {"__summary__", "__warnings__"}
    assert {k: v for k, v in every.items() if k not in skip} == {
        k: v for k, v in one.items() if k not in skip
    }
    moved = action(
        tmp_path / "base", pushed, "single", platform="all", **{"base-image": base(pushed, "new")}
    )
    assert moved["base-changed"] == "false" and moved["changed-platforms"] == "[]"


def counting_session() -> tuple[requests.Session, list[str]]:
    session = new_session()
    seen: list[str] = []
    session.hooks["response"].append(
        lambda r, *a, **k: seen.append(f"{r.request.method} {r.request.path_url}")
    )
    return session, seen


def test_each_platform_costs_one_get_and_the_base_index_one(pushed: Pushed) -> None:
    session, seen = counting_session()
    client = open_client(session=session)
    found = inspect_all(
        client, parse_reference(f"{pushed.host}/allplat/app:1"), parse_platform("linux/amd64")
    )
    app_gets = [f"GET /v2/allplat/app/manifests/{d}" for d in pushed.app.values()]
    assert seen[0] == "GET /v2/allplat/app/manifests/1"
    assert sorted(seen[1:4]) == sorted(app_gets)  # concurrently: any order
    config = found.info.manifest.config.digest
    assert seen[4:] == [f"GET /v2/allplat/app/blobs/{config}"]  # one config: the chosen one's
    seen.clear()
    check = compare_base(
        client, found.info, parse_reference(base(pushed, "new")), manifests=found.manifests
    )
    assert check.changed_platforms == ("linux/arm64",)
    # the base's index once, then its three platform manifests; no image manifest again
    assert seen[0] == "GET /v2/allplat/base/manifests/new"
    assert len(seen) == 4
    assert all(s.startswith("GET /v2/allplat/base/manifests/sha256:") for s in seen[1:])
    assert len(set(seen[1:])) == 3


def test_the_whole_step_spends_n_plus_two_and_one_plus_n(tmp_path: Path, pushed: Pushed) -> None:
    session, seen = counting_session()
    run = run_in_process(
        {
            "repository": f"{pushed.host}/allplat/app",
            "tag": "1",
            "list-tags": "false",
            "platform": "all",
            "base-image": base(pushed, "new"),
        },
        tmp_path,
        session=session,
    )
    assert run.returncode == 0, run.stdout
    assert len(seen) == (1 + 3 + 1) + (1 + 3), seen
    assert len(set(seen)) == len(seen)  # nothing fetched twice


def test_cli_inspect_all(pushed: Pushed, capsys: pytest.CaptureFixture[str]) -> None:
    out = io.StringIO()
    ref = f"{pushed.host}/allplat/sparse:1"
    assert cli.main(["inspect", ref, "--platform", "all", "--json"], out=out) == 0
    doc = json.loads(out.getvalue())
    manifests = {m["digest"]: m for m in doc["manifests"]}
    assert manifests[pushed.sparse_gone]["missing"] is True
    served = [m for m in manifests.values() if not m.get("missing")]
    assert len(served) == 2 and all(m["layers"] == 2 and m["image-size"] > 0 for m in served)
    assert doc["platform-digest"] == pushed.app["linux/amd64"]
    text = io.StringIO()
    assert cli.main(["inspect", ref, "--platform", "ALL"], out=text) == 0
    platforms = text.getvalue().split("\nPlatforms:\n", 1)[1]
    assert platforms.count("2 layers") == 2
    assert "manifest missing (404)" in text.getvalue()
    assert "linux/arm/v7: manifest missing" in capsys.readouterr().err


def test_a_hostile_missing_platform_is_one_bounded_line(
    tmp_path: Path, pushed: Pushed, open_registry: RegistryProcess
) -> None:
    pusher = Pusher(open_registry.url)
    amd, odd = build("linux/amd64", [layer("hostile-amd64")]), build("linux/arm64", [layer("h")])
    push_image(pusher, "allplat/hostile", odd[0].manifest.digest, *odd)
    push_image(pusher, "allplat/hostile", amd[0].manifest.digest, *amd)
    hostile = {"os": "linux\n::error::pwned" + "x" * 5000 + "\u202e", "architecture": "arm64"}
    entries = [
        amd[0].manifest.descriptor() | {"platform": {"os": "linux", "architecture": "amd64"}},
        odd[0].manifest.descriptor() | {"platform": hostile},
    ]
    doc = {"schemaVersion": 2, "mediaType": MT_OCI_INDEX, "manifests": entries}
    pusher.manifest("allplat/hostile", "1", Blob(json.dumps(doc).encode(), MT_OCI_INDEX))
    gone = odd[0].manifest.digest
    deleted = requests.delete(
        f"{open_registry.url}/v2/allplat/hostile/manifests/{gone}", timeout=30
    )
    assert deleted.status_code == 202, deleted.text
    out = action(tmp_path, pushed, "hostile", platform="all")
    (warning,) = json.loads(out["__warnings__"])
    assert gone in warning and "\n" not in warning and "\u202e" not in warning
    assert len(warning) < 500
