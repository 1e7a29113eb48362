"""``dockerfile`` -> ``base-images`` end to end: every FROM image looked up on the real
registry, with its status."""

from __future__ import annotations

import json
from pathlib import Path

from actionrunner import run_action
from registryfixtures import Fixtures, RegistryProcess


def test_dockerfile_statuses(
    tmp_path: Path, open_registry: RegistryProcess, registry_fixtures: Fixtures
) -> None:
    host = open_registry.host
    index = registry_fixtures.oci_index.digest
    image = registry_fixtures.oci_image.digest
    stale = "sha256:" + "9" * 64
    dockerfile = f"""\
# syntax=docker/dockerfile:1
ARG REGISTRY={host}
ARG VERSION=1
FROM --platform=$BUILDPLATFORM {host}/fixtures/oci-index:1@{index} AS build
RUN echo building
FROM {host}/fixtures/oci-image:1@{stale} AS tools
FROM {host}/fixtures/docker-v2:1
FROM ${{REGISTRY}}/fixtures/manifest-list:${{VERSION}} AS runtime
COPY --from=build /out /out
FROM build
FROM scratch
"""
    workdir = tmp_path
    (workdir / "workspace" / "docker").mkdir(parents=True)
    (workdir / "workspace" / "docker" / "app.Dockerfile").write_text(dockerfile)
    run = run_action({"dockerfile": "docker/app.Dockerfile"}, workdir)
    assert run.returncode == 0, run.log
    entries = json.loads(run.outputs["base-images"])
    assert [e["status"] for e in entries] == ["current", "stale", "unpinned", "unpinned"]
    current, stale_entry, unpinned, arg_built = entries
    assert current["pinned-digest"] == current["current-digest"] == index
    assert stale_entry["pinned-digest"] == stale and stale_entry["current-digest"] == image
    assert unpinned["current-digest"] == registry_fixtures.docker_v2.digest
    assert arg_built["image"] == f"{host}/fixtures/manifest-list:1"
    assert arg_built["current-digest"] == registry_fixtures.manifest_list.digest
    assert stale_entry["pinned"] == f"{host}/fixtures/oci-image:1@{image}"
    assert "Base images of docker/app.Dockerfile" in run.summary
    assert "stale" in run.summary


def test_missing_dockerfile_is_an_input_error(tmp_path: Path) -> None:
    run = run_action({"dockerfile": "nope/Dockerfile"}, tmp_path)
    assert run.returncode == 1
    assert len(run.errors()) == 1 and "`dockerfile`" in run.errors()[0]


def test_unresolvable_arg_is_an_input_error(tmp_path: Path) -> None:
    (tmp_path / "workspace").mkdir()
    (tmp_path / "workspace" / "Dockerfile").write_text("ARG BASE\nFROM ${BASE}\n")
    run = run_action({"dockerfile": "Dockerfile"}, tmp_path)
    assert run.returncode == 1
    assert len(run.errors()) == 1 and "BASE" in run.errors()[0]
