"""Every input is validated up front: a bad value for each gives one ``::error::`` that names
the input and the accepted forms, and no request is sent."""

from __future__ import annotations

import base64
import io
import json
from collections.abc import Callable
from pathlib import Path

import pytest
import requests
import requests_mock
from actionrunner import run_in_process

from hubaction.errors import InvalidInput, Kind
from hubaction.github.action import run
from hubaction.github.input_rules import registries_to_log_in
from hubaction.github.inputs import (
    INPUT_DEFAULTS,
    INPUTS,
    SECRET_INPUTS,
    LoginConfig,
    read_inputs,
    read_login_config,
)
from hubaction.github.toolkit import Toolkit, input_variable
from hubaction.oci.platform import parse_platform
from hubaction.oci.reference import parse_reference

OK = {"repository": "localhost:5000/app"}

# input -> (a bad value, extra inputs to make it reachable, words the message must hold)
BAD: dict[str, tuple[str, dict[str, str], tuple[str, ...]]] = {
    "repository": ("Bad/Name", {}, ("`repository`", "lowercase", "ghcr.io/org/app")),
    "tag": ("-bad", {}, ("`tag`", "sha256")),
    "username": ("someone", {}, ("`password`", "both")),
    "password": ("secret-without-user", {}, ("`username`", "both")),
    "docker-config": ("{not json", {}, ("`docker-config`", "auths")),
    "platform": ("linux", {}, ("`platform`", "linux/amd64")),
    "referrers": ("yes", {}, ("`referrers`", "true")),
    "digest-only": ("yes", {}, ("`digest-only`", "true", "False")),
    "list-tags": ("1", {}, ("`list-tags`", "true", "FALSE")),
    "tag-filter": ("(unclosed", {}, ("`tag-filter`",)),
    "tag-sort": ("newest", {}, ("`tag-sort`", "version", "lexical", "updated")),
    "max-tags": ("ten", {}, ("`max-tags`", "whole number")),
    "compare-digest": ("sha256:1234", {}, ("`compare-digest`", "sha256:")),
    "base-image": ("UPPER:1", {}, ("`base-image`", "node:20")),
    "dockerfile": ("missing/Dockerfile", {}, ("`dockerfile`", "Dockerfile")),
    "update-dockerfile": ("yes", {"dockerfile": "Dockerfile"}, ("`update-dockerfile`", "true")),
    "fail-on-missing": ("no", {}, ("`fail-on-missing`", "true")),
    "namespace": ("Acme/Team", {"repository": ""}, ("`namespace`", "acme")),
    "list-namespaces": ("on", {}, ("`list-namespaces`", "true")),
    "summary": ("off", {}, ("`summary`", "true")),
    "insecure": ("maybe", {}, ("`insecure`", "true")),
    "hub-url": ("ftp://hub", {}, ("`hub-url`", "https://")),
    "timeout": ("0", {}, ("`timeout`", "positive number of seconds", "120")),
    "wait-for": ("present", {}, ("`wait-for`", "exists", "changed")),
    "wait-timeout": ("10 minutes", {"wait-for": "exists"}, ("`wait-timeout`", "10m")),
    "release-version": ("1.2", {}, ("`release-version`", "MAJOR.MINOR.PATCH")),
    "max-age": ("a month", {}, ("`max-age`", "30d")),
    "images": ("node\napi=Bad/Name", {}, ("`images`", "line 2", "name=reference")),
}


def test_the_table_covers_every_input() -> None:
    assert set(BAD) == set(INPUT_DEFAULTS)


@pytest.mark.parametrize("name", sorted(BAD))
def test_a_bad_value_for_every_input(name: str, tmp_path: Path) -> None:
    value, extra, words = BAD[name]
    session = requests.Session()
    network = requests_mock.Adapter()
    session.mount("http://", network)
    session.mount("https://", network)
    result = run_in_process({**OK, **extra, name: value}, tmp_path, session=session)
    errors = result.errors()
    assert result.returncode == 1
    assert len(errors) == 1, result.commands
    for word in words:
        assert word in errors[0], errors[0]
    assert network.request_history == []
    assert result.outputs == {}
    if name in ("password", "docker-config"):
        assert value not in errors[0]


# -- the table and the rules across inputs, without a runner ----------------------------------


def getter(values: dict[str, str], asked: list[str] | None = None) -> Callable[[str], str]:
    """``get_input`` over ``values``: unset inputs are '' (as for an empty `with:` entry)."""

    def get_input(name: str) -> str:
        if asked is not None:
            asked.append(name)
        return values.get(name, "").strip()

    return get_input


def test_the_table_has_each_input_once_and_marks_the_secrets() -> None:
    names = [i.name for i in INPUTS]
    assert len(names) == len(set(names))
    assert SECRET_INPUTS == ("password", "docker-config")


def test_every_input_of_the_table_is_read() -> None:
    asked: list[str] = []
    read_inputs(getter(OK, asked))
    assert set(asked) == set(INPUT_DEFAULTS)


def test_empty_inputs_take_the_table_defaults() -> None:
    inputs = read_inputs(getter({"repository": "ghcr.io/acme/app"}))
    assert inputs.reference == parse_reference("ghcr.io/acme/app:latest")
    assert inputs.platform == parse_platform("linux/amd64")
    assert (inputs.digest_only, inputs.list_tags, inputs.fail_on_missing) == (False, True, True)
    assert (inputs.list_namespaces, inputs.summary, inputs.insecure) == (False, True, False)
    assert (inputs.tag_sort, inputs.max_tags, inputs.tag_filter) == ("version", 100, None)
    assert (inputs.compare_digest, inputs.base_image) == (None, None)
    assert (inputs.dockerfile, inputs.dockerfile_images) == ("", ())
    assert inputs.hub_url == "https://hub.docker.com"
    assert inputs.timeout == 120.0
    assert inputs.credentials.get("ghcr.io") is None


@pytest.mark.parametrize(("value", "seconds"), [("120", 120.0), ("2.5", 2.5), (".5", 0.5)])
def test_timeout_takes_positive_seconds(value: str, seconds: float) -> None:
    assert read_inputs(getter({**OK, "timeout": value})).timeout == seconds


@pytest.mark.parametrize("value", ["0", "-1", "1e3", "inf", "nan", "ten", "5s", "1" * 400, "0.0"])
def test_timeout_refuses_anything_but_positive_seconds(value: str) -> None:
    with pytest.raises(InvalidInput, match=r"Input `timeout` is .*: expected a positive number"):
        read_inputs(getter({**OK, "timeout": value}))


@pytest.mark.parametrize(
    ("values", "reference"),
    [
        ({"repository": "node", "tag": "20"}, "docker.io/library/node:20"),
        ({"repository": "node:20", "tag": "latest"}, "docker.io/library/node:20"),
        ({"repository": "node:20", "tag": ""}, "docker.io/library/node:20"),
        ({"repository": "node", "tag": "sha256:" + "a" * 64}, "node@sha256:" + "a" * 64),
    ],
)
def test_repository_and_tag_make_one_reference(values: dict[str, str], reference: str) -> None:
    assert read_inputs(getter(values)).reference == parse_reference(reference)


# inputs -> words the one error must hold: the rules that tie two or more inputs together
CROSS: list[tuple[dict[str, str], tuple[str, ...]]] = [
    ({"repository": "node:20", "tag": "21"}, ("`repository`", "already carries", "`tag`")),
    ({"repository": "node", "tag": "-bad"}, ("`tag`", "sha256")),
    ({}, ("`repository` is required", "`namespace`", "`dockerfile`")),
    ({**OK, "username": "someone"}, ("`password` is empty", "`username` is set")),
    ({**OK, "tag-sort": "updated"}, ("`tag-sort: updated`", "Docker Hub")),
    ({"namespace": "acme", "tag-sort": "updated"}, ("`tag-sort: updated`",)),
    ({**OK, "base-image": "node:20", "digest-only": "true"}, ("`base-image`", "`digest-only")),
]


@pytest.mark.parametrize(("values", "words"), CROSS)
def test_rules_across_inputs(values: dict[str, str], words: tuple[str, ...]) -> None:
    with pytest.raises(InvalidInput) as raised:
        read_inputs(getter(values))
    for word in words:
        assert word in str(raised.value)


@pytest.mark.parametrize(
    "values",
    [
        {"namespace": "acme"},
        {"list-namespaces": "true"},
        {"repository": "node", "tag-sort": "updated"},
        {**OK, "base-image": "node:20"},
        {**OK, "username": "u", "password": "p"},
    ],
)
def test_what_the_rules_allow(values: dict[str, str]) -> None:
    read_inputs(getter(values))


# -- docker login's config.json, read when no input gives credentials -------------------------


def _login_file(directory: Path, doc: object) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "config.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


HUB_LOGIN = {"auths": {"https://index.docker.io/v1/": {"auth": base64.b64encode(b"u:pw").decode()}}}
DESKTOP = {"auths": {"ghcr.io": {}}, "credsStore": "desktop"}


def test_login_config_is_read_from_home(tmp_path: Path) -> None:
    path = _login_file(tmp_path / ".docker", HUB_LOGIN)
    login = read_login_config(getter(OK), {"HOME": str(tmp_path)})
    assert login == LoginConfig(path, path.read_text(encoding="utf-8"))


def test_docker_config_wins_over_home_and_has_no_fallback(tmp_path: Path) -> None:
    _login_file(tmp_path / "home" / ".docker", HUB_LOGIN)
    path = _login_file(tmp_path / "elsewhere", DESKTOP)
    env = {"HOME": str(tmp_path / "home"), "DOCKER_CONFIG": str(tmp_path / "elsewhere")}
    login = read_login_config(getter(OK), env)
    assert login is not None and login.path == path
    # DOCKER_CONFIG naming a folder without config.json: no credentials, as for docker
    env["DOCKER_CONFIG"] = str(tmp_path / "empty")
    assert read_login_config(getter(OK), env) is None


@pytest.mark.parametrize(
    "given",
    [{"docker-config": '{"auths": {}}'}, {"username": "u"}, {"password": "p"}],
)
def test_credential_inputs_leave_the_file_unread(tmp_path: Path, given: dict[str, str]) -> None:
    _login_file(tmp_path / ".docker", DESKTOP)
    assert read_login_config(getter({**OK, **given}), {"HOME": str(tmp_path)}) is None


@pytest.mark.parametrize("environ", [{}, {"HOME": "/nonexistent"}, {"HOME": "/dev/null"}])
def test_no_login_file_means_anonymous(environ: dict[str, str]) -> None:
    assert read_login_config(getter(OK), environ) is None


def test_an_unreadable_login_file_is_one_input_error(tmp_path: Path) -> None:
    (tmp_path / ".docker" / "config.json").mkdir(parents=True)  # a folder: IsADirectoryError
    with pytest.raises(InvalidInput) as raised:
        read_login_config(getter(OK), {"HOME": str(tmp_path)})
    assert str(tmp_path / ".docker" / "config.json") in str(raised.value)
    assert "`docker-config`" in str(raised.value)


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ({"repository": "ghcr.io/a/b"}, ("ghcr.io",)),
        ({"repository": "node"}, ("docker.io",)),
        ({"repository": "ghcr.io/a/b", "base-image": "quay.io/x/y"}, ("ghcr.io", "quay.io")),
        ({"repository": "ghcr.io/a/b", "base-image": "ghcr.io/x/y"}, ("ghcr.io",)),
        ({"namespace": "acme"}, ("docker.io",)),
        ({"repository": "ghcr.io/a/b", "list-namespaces": "true"}, ("ghcr.io", "docker.io")),
    ],
)
def test_registries_to_log_in(values: dict[str, str], expected: tuple[str, ...]) -> None:
    inputs = read_inputs(getter(values))
    hub = bool(inputs.namespace or inputs.list_namespaces)
    got = registries_to_log_in(inputs.reference, inputs.base_image, (), hub=hub)
    assert got == expected


def test_registries_to_log_in_include_the_dockerfile_images(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GITHUB_WORKSPACE", str(tmp_path))
    (tmp_path / "Dockerfile").write_text("FROM gcr.io/distroless/base\nFROM node:20\n")
    inputs = read_inputs(getter({"dockerfile": "Dockerfile"}))
    got = registries_to_log_in(None, None, inputs.dockerfile_images, hub=False)
    assert got == ("gcr.io", "docker.io")


def test_login_credentials_serve_the_registries(tmp_path: Path) -> None:
    _login_file(tmp_path / ".docker", HUB_LOGIN)
    login = read_login_config(getter({"repository": "node"}), {"HOME": str(tmp_path)})
    inputs = read_inputs(getter({"repository": "node"}), login)
    creds = inputs.credentials.get("registry-1.docker.io")
    assert creds is not None and (creds.username, creds.password) == ("u", "pw")


@pytest.mark.parametrize(
    ("values", "doc", "registry"),
    [
        ({"repository": "ghcr.io/a/b"}, DESKTOP, "ghcr.io"),
        # a helper only for a registry the run needs: here a Dockerfile's FROM image
        (
            {"dockerfile": "Dockerfile"},
            {"auths": {}, "credHelpers": {"gcr.io": "gcloud"}},
            "gcr.io",
        ),
    ],
)
def test_login_credential_helper_is_one_input_error(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    values: dict[str, str],
    doc: object,
    registry: str,
) -> None:
    monkeypatch.setenv("GITHUB_WORKSPACE", str(tmp_path))
    (tmp_path / "Dockerfile").write_text("FROM gcr.io/distroless/base\n")
    _login_file(tmp_path / ".docker", doc)
    login = read_login_config(getter(values), {"HOME": str(tmp_path)})
    with pytest.raises(InvalidInput) as raised:
        read_inputs(getter(values), login)
    assert (raised.value.kind, raised.value.registry) == (Kind.CREDENTIAL_HELPER, registry)


def test_login_helper_error_in_process_sends_nothing_and_masks_first(tmp_path: Path) -> None:
    secret = "pw-from-the-file"
    doc = {"auths": {"quay.io": {"username": "q", "password": secret}}, "credsStore": "desktop"}
    _login_file(tmp_path / "home" / ".docker", doc)
    session = requests.Session()
    network = requests_mock.Adapter()
    session.mount("http://", network)
    session.mount("https://", network)
    env = {input_variable(k): v or "" for k, v in INPUT_DEFAULTS.items()}
    env[input_variable("repository")] = "ghcr.io/acme/app"
    out = io.StringIO()
    code = run(Toolkit(env, out), session=session, environ={"HOME": str(tmp_path / "home")})
    lines = out.getvalue().splitlines()
    assert code == 1
    assert lines[0] == f"::add-mask::{secret}"
    errors = [line for line in lines if line.startswith("::error")]
    assert len(errors) == 1 and "credsStore" in errors[0] and "docker-config" in errors[0]
    assert network.request_history == []
