"""``dockerfile`` -> ``base-images`` end to end: every FROM image (and the ``# syntax=``
frontend) looked up on the real registry, with its status."""

from __future__ import annotations

import json
from pathlib import Path

import requests
from actionrunner import run_action, run_in_process
from fakes.reqresp import Table, pair
from fakes.transport import HandlerAdapter
from registryfixtures import Fixtures, RegistryProcess

from hubaction.oci.mediatypes import OCI_INDEX
from hubaction.registry.transport import new_session


def test_dockerfile_statuses(
    tmp_path: Path, open_registry: RegistryProcess, registry_fixtures: Fixtures
) -> None:
    host = open_registry.host
    index = registry_fixtures.oci_index.digest
    image = registry_fixtures.oci_image.digest
    stale = "sha256:" + "9" * 64
    dockerfile = f"""\
# syntax={host}/fixtures/oci-index:1
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
    statuses = [e["status"] for e in entries]
    assert statuses == ["unpinned", "current", "stale", "unpinned", "unpinned"]
    frontend, current, stale_entry, unpinned, arg_built = entries
    assert (frontend["kind"], frontend["line"], frontend["current-digest"]) == ("syntax", 1, index)
    assert {e["kind"] for e in entries[1:]} == {"from"}
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


def _hub_with_the_frontend(frontend_digest: str) -> requests.Session:
    """A session on which Docker Hub (registry and token service) answers the HEAD of
    ``docker/dockerfile:1.7`` with ``frontend_digest``, for a pull token."""
    token = "frontend-pull-token-0123456789"
    hub = HandlerAdapter(
        Table(
            [
                pair(
                    "HEAD",
                    "/v2/docker/dockerfile/manifests/1.7",
                    headers={"Docker-Content-Digest": frontend_digest, "Content-Type": OCI_INDEX},
                    request_headers={"Authorization": f"Bearer {token}"},
                )
            ]
        )
    )
    auth = HandlerAdapter(Table([pair("GET", "/token", json_body={"token": token})]))
    session = new_session()
    session.mount("https://registry-1.docker.io/", hub)
    session.mount("https://auth.docker.io/", auth)
    return session


def test_heredoc_bodies_and_the_syntax_frontend(
    tmp_path: Path, open_registry: RegistryProcess, registry_fixtures: Fixtures
) -> None:
    """A FROM inside a heredoc is no base image; the `# syntax=` frontend is one (docker.io,
    answered in process: registry-1.docker.io cannot be served on loopback)."""
    host = open_registry.host
    frontend_digest = "sha256:" + "7" * 64
    session = _hub_with_the_frontend(frontend_digest)
    (tmp_path / "Dockerfile").write_text(
        f"""\
# syntax=docker/dockerfile:1.7
FROM {host}/fixtures/docker-v2:1
RUN <<EOF
FROM evil
EOF
RUN << EOT cat
FROM evil:2
EOT
COPY <<-A <<"B" /dst/
\tFROM evil:3
\tA
FROM evil:4
B
"""
    )
    # In process the workspace is the working directory: name the file absolutely.
    dockerfile = str(tmp_path / "Dockerfile")
    run = run_in_process({"dockerfile": dockerfile}, tmp_path, session=session)
    assert run.returncode == 0, run.log
    entries = json.loads(run.outputs["base-images"])
    assert [(e["kind"], e["line"], e["reference"], e["status"]) for e in entries] == [
        ("syntax", 1, "docker.io/docker/dockerfile:1.7", "unpinned"),
        ("from", 2, f"{host}/fixtures/docker-v2:1", "unpinned"),
    ]
    assert entries[0]["current-digest"] == frontend_digest
    assert entries[0]["pinned"] == f"docker.io/docker/dockerfile:1.7@{frontend_digest}"
    assert entries[1]["current-digest"] == registry_fixtures.docker_v2.digest
    assert "evil" not in run.summary
    assert "docker/dockerfile:1.7" in run.summary


def test_syntax_frontend_that_is_no_image_reference_is_an_input_error(tmp_path: Path) -> None:
    (tmp_path / "workspace").mkdir()
    (tmp_path / "workspace" / "Dockerfile").write_text("# syntax=docker/Dockerfile:1\nFROM a\n")
    run = run_action({"dockerfile": "Dockerfile"}, tmp_path)
    assert run.returncode == 1
    assert len(run.errors()) == 1 and "syntax directive" in run.errors()[0]


def test_required_arg_message_through_the_action(tmp_path: Path) -> None:
    """lex.go: `${X:?message}` fails the build with `X: message`; so does the action."""
    (tmp_path / "workspace").mkdir()
    (tmp_path / "workspace" / "Dockerfile").write_text(
        'ARG BASE="${IMAGE:?pass IMAGE as a build arg}"\nFROM $BASE\n'
    )
    run = run_action({"dockerfile": "Dockerfile"}, tmp_path)
    assert run.returncode == 1
    [error] = run.errors()
    assert "Dockerfile line 1" in error and "IMAGE: pass IMAGE as a build arg" in error
