"""Tests for registry.credentials: docker login's config.json as the action and the CLI find
it (``docker_config_path``), what it yields (``parse_login_config``: credential helpers cannot
run in the container) and the secrets masked from it. The config.json grammar itself:
tests/test_credentials.py."""

from __future__ import annotations

import json

import pytest
from test_credentials import SECRET, _b64, _config

from hubaction.errors import InvalidInput, Kind, describe
from hubaction.registry.credentials import (
    docker_config_path,
    docker_config_secrets,
    parse_login_config,
)

# docker_config_path: where the CLI and the action look for docker login's config.json


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({"DOCKER_CONFIG": "/cfg", "HOME": "/home/u"}, "/cfg/config.json"),
        ({"DOCKER_CONFIG": "/cfg"}, "/cfg/config.json"),
        ({"DOCKER_CONFIG": "rel/dir"}, "rel/dir/config.json"),
        ({"HOME": "/github/home"}, "/github/home/.docker/config.json"),
        # an empty DOCKER_CONFIG counts as unset, as in docker/cli
        ({"DOCKER_CONFIG": "", "HOME": "/home/u"}, "/home/u/.docker/config.json"),
        ({"HOME": ""}, None),
        ({}, None),
    ],
)
def test_docker_config_path(environ: dict[str, str], expected: str | None) -> None:
    path = docker_config_path(environ)
    assert (str(path) if path is not None else None) == expected


# ---------------------------------------------------------------------------------------------
# parse_login_config: docker login's file; credential helpers cannot run in the container

FILE = "/github/home/.docker/config.json"


@pytest.mark.parametrize(
    ("doc", "registries", "expected"),
    [
        ({"auths": {"ghcr.io": {"auth": _b64("u:p")}}}, ("ghcr.io",), {"ghcr.io": ("u", "p")}),
        # what docker/login-action writes for Docker Hub
        (
            {"auths": {"https://index.docker.io/v1/": {"auth": _b64("d:pw")}}},
            ("docker.io",),
            {"docker.io": ("d", "pw")},
        ),
        # a file without `auths` holds no credentials (gcloud writes only credHelpers)
        ({}, ("ghcr.io",), {}),
        ({"credHelpers": {"gcr.io": "gcloud"}}, ("ghcr.io",), {}),
        # helpers for registries the run does not need are no concern
        (
            {"auths": {"ghcr.io": {"auth": _b64("u:p")}}, "credHelpers": {"gcr.io": "gcloud"}},
            ("ghcr.io", "docker.io"),
            {"ghcr.io": ("u", "p")},
        ),
        # an empty helper name means the file's own auths, even in credHelpers over credsStore
        ({"auths": {}, "credsStore": ""}, ("ghcr.io",), {}),
        (
            {
                "auths": {"ghcr.io": {"auth": _b64("u:p")}},
                "credsStore": "desktop",
                "credHelpers": {"ghcr.io": ""},
            },
            ("ghcr.io",),
            {"ghcr.io": ("u", "p")},
        ),
        ({"auths": {}, "credsStore": "desktop"}, (), {}),
        ("", ("ghcr.io",), {}),
    ],
)
def test_parse_login_config_usable(
    doc: object, registries: tuple[str, ...], expected: dict[str, tuple[str, str]]
) -> None:
    text = doc if isinstance(doc, str) else json.dumps(doc)
    parsed = parse_login_config(text, source=FILE, registries=registries)
    assert {k: (c.username, c.password) for k, c in parsed.items()} == expected


@pytest.mark.parametrize(
    ("doc", "registries", "registry", "words"),
    [
        # Docker Desktop's file: empty auths entries, the secrets in the helper
        (
            {"auths": {"ghcr.io": {}}, "credsStore": "desktop"},
            ("ghcr.io",),
            "ghcr.io",
            ("`credsStore`", "`desktop`", "every registry", "docker-credential-desktop"),
        ),
        # credsStore serves every registry: the first one the run needs is named
        (
            {"auths": {"ghcr.io": {"auth": _b64("u:p")}}, "credsStore": "pass"},
            ("localhost:5000", "ghcr.io"),
            "localhost:5000",
            ("`credsStore`", "`pass`"),
        ),
        (
            {"credHelpers": {"https://gcr.io": "gcloud"}},
            ("ghcr.io", "gcr.io"),
            "gcr.io",
            ("`credHelpers`", "`gcloud`", "gcr.io", "docker-credential-gcloud"),
        ),
        # credHelpers wins over credsStore, and keys mean registries as in `auths`
        (
            {"credsStore": "desktop", "credHelpers": {"index.docker.io": "ecr-login"}},
            ("docker.io",),
            "docker.io",
            ("`credHelpers`", "`ecr-login`"),
        ),
    ],
)
def test_parse_login_config_refuses_credential_helpers(
    doc: dict[str, object], registries: tuple[str, ...], registry: str, words: tuple[str, ...]
) -> None:
    with pytest.raises(InvalidInput) as raised:
        parse_login_config(json.dumps(doc), source=FILE, registries=registries)
    error = raised.value
    assert (error.kind, error.registry) == (Kind.CREDENTIAL_HELPER, registry)
    message = describe(error)
    for word in (FILE, "inside the action's container", *words):
        assert word in message
    # the advice says what to pass instead
    assert "docker-config: ${{ secrets.DOCKER_CONFIG_JSON }}" in message
    assert "`username` and `password`" in message


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("{not json", ("is not JSON (line 1)",)),
        ('{"auths": []}', ("has no `auths` object",)),
        ('{"auths": {"ghcr.io": {"auth": "!!"}}}', ("not base64",)),
    ],
)
def test_parse_login_config_broken_file_names_it(text: str, words: tuple[str, ...]) -> None:
    with pytest.raises(InvalidInput) as raised:
        parse_login_config(text, source=FILE, registries=("ghcr.io",))
    assert raised.value.kind is Kind.OTHER
    assert str(raised.value).startswith(FILE)
    for word in words:
        assert word in str(raised.value)


def test_login_config_secrets_without_auths_are_none() -> None:
    # Masking the words of a file without `auths` would blank `gcr.io` out of every log line;
    # the docker-config input keeps masking them (it is refused, and may hold misplaced secrets).
    text = json.dumps({"credHelpers": {"gcr.io": "gcloud"}})
    assert docker_config_secrets(text, auths_required=False) == []
    assert "gcr.io" in docker_config_secrets(text)
    with_auths = _config({"ghcr.io": {"auth": _b64("u:" + SECRET)}})
    assert SECRET in docker_config_secrets(with_auths, auths_required=False)
