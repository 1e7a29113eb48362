"""End to end: after docker/login-action, the action reads the config.json it wrote.

The runner starts a container action with ``HOME=/github/home`` (the host's
``$RUNNER_TEMP/_github_home``), so a login step with ``DOCKER_CONFIG`` pointed there leaves
``$HOME/.docker/config.json`` for the action. Here the file is placed in a temporary HOME (and in
a ``$DOCKER_CONFIG``) and the action runs as the runner runs it, against the real htpasswd
registry: the credentials are used, masked, and a credential helper is one clear error.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from actionrunner import ActionRun, run_action
from registryfixtures import BASIC_PASSWORD, BASIC_USER, Fixtures, RegistryProcess

IMAGE = "fixtures/oci-index"


def login_file(directory: Path, doc: object) -> None:
    """``config.json`` in ``directory``, as ``docker login`` writes it (pretty-printed)."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "config.json").write_text(json.dumps(doc, indent="\t"), encoding="utf-8")


def logged_in(host: str) -> dict[str, object]:
    """What docker/login-action leaves after logging in to ``host``."""
    auth = base64.b64encode(f"{BASIC_USER}:{BASIC_PASSWORD}".encode()).decode("ascii")
    return {"auths": {host: {"auth": auth}}}


DESKTOP = {"auths": {}, "credsStore": "desktop"}


def lookup(registry: RegistryProcess, workdir: Path, env: dict[str, str]) -> ActionRun:
    inputs = {"repository": f"{registry.host}/{IMAGE}", "tag": "1"}
    return run_action(inputs, workdir, env={"RUNNER_DEBUG": "1", **env})


def assert_found_and_masked(run: ActionRun, fixtures: Fixtures) -> None:
    assert run.returncode == 0, run.log
    assert run.outputs["digest"] == fixtures.images[f"{IMAGE}:1"].digest
    auth = base64.b64encode(f"{BASIC_USER}:{BASIC_PASSWORD}".encode()).decode("ascii")
    lines = run.log.splitlines()
    # masked before anything else is printed, and printed nowhere else
    masks = [data for name, _props, data in run.commands if name == "add-mask"]
    assert BASIC_PASSWORD in masks
    assert lines[: len(masks)] == [f"::add-mask::{secret}" for secret in masks]
    for secret in (BASIC_PASSWORD, auth):
        assert [line for line in lines if secret in line] == [f"::add-mask::{secret}"]
        assert secret not in run.summary
        assert all(secret not in value for value in run.outputs.values())


def test_login_config_in_home_is_used(
    tmp_path: Path, basic_registry: RegistryProcess, registry_fixtures: Fixtures
) -> None:
    home = tmp_path / "github_home"
    login_file(home / ".docker", logged_in(basic_registry.host))
    run = lookup(basic_registry, tmp_path, {"HOME": str(home)})
    assert_found_and_masked(run, registry_fixtures)
    assert f"Credentials: from {home / '.docker' / 'config.json'}" in run.log


def test_login_config_in_docker_config_is_used_over_home(
    tmp_path: Path, basic_registry: RegistryProcess, registry_fixtures: Fixtures
) -> None:
    home, elsewhere = tmp_path / "github_home", tmp_path / "docker-config"
    login_file(home / ".docker", DESKTOP)  # would be an error, were it read
    login_file(elsewhere, logged_in(basic_registry.host))
    run = lookup(basic_registry, tmp_path, {"HOME": str(home), "DOCKER_CONFIG": str(elsewhere)})
    assert_found_and_masked(run, registry_fixtures)


def test_without_the_file_the_registry_refuses(
    tmp_path: Path, basic_registry: RegistryProcess
) -> None:
    # The control: the same run without a login is refused, so the runs above used the file.
    run = lookup(basic_registry, tmp_path, {"HOME": str(tmp_path / "github_home")})
    assert run.returncode == 1
    titles = [props.get("title") for name, props, _data in run.commands if name == "error"]
    assert titles == ["Unauthorized"], run.commands
    assert run.outputs == {}


@pytest.mark.parametrize(
    "doc",
    [
        DESKTOP,
        {"auths": {}, "credHelpers": {"gcr.io": "gcloud", "HOST": "secretservice"}},
    ],
)
def test_credential_helper_is_one_clear_error(
    tmp_path: Path, basic_registry: RegistryProcess, doc: dict[str, object]
) -> None:
    home = tmp_path / "github_home"
    text = json.dumps(doc).replace("HOST", basic_registry.host)
    login_file(home / ".docker", json.loads(text))
    run = lookup(basic_registry, tmp_path, {"HOME": str(home)})
    assert run.returncode == 1
    errors = run.errors()
    assert len(errors) == 1, run.commands
    helper = "desktop" if "credsStore" in doc else "secretservice"
    for words in (
        str(home / ".docker" / "config.json"),
        f"docker-credential-{helper}",
        "inside the action's container",
        "docker-config: ${{ secrets.DOCKER_CONFIG_JSON }}",
        "`username` and `password`",
    ):
        assert words in errors[0]
    assert "Traceback" not in run.log
    assert run.outputs == {}


@pytest.mark.parametrize("given", ["docker-config", "username"])
def test_credential_inputs_win_over_the_file(
    tmp_path: Path, basic_registry: RegistryProcess, registry_fixtures: Fixtures, given: str
) -> None:
    home = tmp_path / "github_home"
    login_file(home / ".docker", DESKTOP)  # never read: the inputs give the credentials
    inputs = {"repository": f"{basic_registry.host}/{IMAGE}", "tag": "1"}
    if given == "docker-config":
        inputs["docker-config"] = json.dumps(logged_in(basic_registry.host))
    else:
        inputs |= {"username": BASIC_USER, "password": BASIC_PASSWORD}
    run = run_action(inputs, tmp_path, env={"HOME": str(home)})
    assert_found_and_masked(run, registry_fixtures)
