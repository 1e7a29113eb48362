"""Every input is validated up front: a bad value for each gives one ``::error::`` that names
the input and the accepted forms, and no request is sent."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import requests
import requests_mock
from actionrunner import run_in_process

from hubaction.errors import InvalidInput
from hubaction.github.inputs import INPUT_DEFAULTS, INPUTS, SECRET_INPUTS, read_inputs
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
    assert inputs.credentials.get("ghcr.io") is None


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
