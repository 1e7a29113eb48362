"""Every input is validated up front: a bad value for each gives one ``::error::`` that names
the input and the accepted forms, and no request is sent."""

from __future__ import annotations

from pathlib import Path

import pytest
import requests
import requests_mock
from actionrunner import run_in_process

from hubaction.github.inputs import INPUT_DEFAULTS

OK = {"repository": "localhost:5000/app"}

# input -> (a bad value, extra inputs to make it reachable, words the message must hold)
BAD: dict[str, tuple[str, dict[str, str], tuple[str, ...]]] = {
    "repository": ("Bad/Name", {}, ("`repository`", "lowercase", "ghcr.io/org/app")),
    "tag": ("-bad", {}, ("`tag`", "sha256")),
    "username": ("someone", {}, ("`password`", "both")),
    "password": ("secret-without-user", {}, ("`username`", "both")),
    "docker-config": ("{not json", {}, ("`docker-config`", "auths")),
    "platform": ("linux", {}, ("`platform`", "linux/amd64")),
    "digest-only": ("yes", {}, ("`digest-only`", "true", "False")),
    "list-tags": ("1", {}, ("`list-tags`", "true", "FALSE")),
    "tag-filter": ("(unclosed", {}, ("`tag-filter`",)),
    "tag-sort": ("newest", {}, ("`tag-sort`", "version", "lexical", "updated")),
    "max-tags": ("ten", {}, ("`max-tags`", "whole number")),
    "compare-digest": ("sha256:1234", {}, ("`compare-digest`", "sha256:")),
    "base-image": ("UPPER:1", {}, ("`base-image`", "node:20")),
    "dockerfile": ("missing/Dockerfile", {}, ("`dockerfile`", "Dockerfile")),
    "fail-on-missing": ("no", {}, ("`fail-on-missing`", "true")),
    "namespace": ("Acme/Team", {"repository": ""}, ("`namespace`", "acme")),
    "list-namespaces": ("on", {}, ("`list-namespaces`", "true")),
    "summary": ("off", {}, ("`summary`", "true")),
    "insecure": ("maybe", {}, ("`insecure`", "true")),
    "hub-url": ("ftp://hub", {}, ("`hub-url`", "https://")),
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
