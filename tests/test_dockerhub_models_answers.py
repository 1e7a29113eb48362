"""Tests for dockerhub.models: the pure parsers of Docker Hub's API answers (pages, items,
namespaces, rate limits, login tokens): tables of valid and invalid cases, property tests."""

from __future__ import annotations

import contextlib
import json
from datetime import UTC, datetime
from typing import Any

import pytest
import requests
from fakes.hubserver import load
from hypothesis import given, settings
from hypothesis import strategies as st

from hubaction.dockerhub.models import (
    HubImage,
    HubRateLimit,
    HubRepository,
    HubTag,
    parse_hub_ratelimit,
    parse_image,
    parse_login_token,
    parse_namespaces,
    parse_page,
    parse_repository,
    parse_tag,
)
from hubaction.errors import RegistryError, Service

# --- parse_page and the items ---------------------------------------------------------------------


def _body(doc: Any) -> bytes:
    return json.dumps(doc).encode()


def test_parse_page_of_the_documented_repositories_fixture() -> None:
    page = parse_page(_body(load("repositories-page.json")))
    assert (page.count, page.next, page.previous, len(page.results)) == (3, None, None, 3)
    repos = [parse_repository(r) for r in page.results]
    assert repos[0] == HubRepository(
        name="big",
        namespace="acme",
        is_private=False,
        pull_count=1234567,
        star_count=12,
        last_updated="2024-06-01T10:20:30.123456Z",
        description="The big one: many tags",
    )
    assert repos[0].full_name == "acme/big"
    assert repos[2].is_private and repos[2].last_updated is None and repos[2].description is None


def test_parse_page_of_the_documented_tags_fixture() -> None:
    page = parse_page(_body(load("tags-page.json")))
    tags = [parse_tag(t) for t in page.results]
    multi, windows, old = tags
    assert multi.name == "1.2.3"
    assert multi.digest is not None and multi.digest.startswith("sha256:")
    assert multi.full_size == 31234567
    assert [(i.os, i.architecture, i.variant) for i in multi.images] == [
        ("linux", "amd64", None),
        ("linux", "arm64", "v8"),
        ("unknown", "unknown", None),
    ]
    assert [i.is_attestation for i in multi.images] == [False, False, True]
    # tag_last_pushed wins over last_updated (a later metadata change)
    assert multi.pushed_at == datetime(2024, 5, 15, 8, 0, tzinfo=UTC)
    assert windows.images[0].os_version == "10.0.20348.2461"
    # no tag_last_pushed: last_updated is the date; no digest field at all: None
    assert old.last_pushed is None and old.digest is None
    assert old.pushed_at == datetime(2023, 12, 24, 18, 30, tzinfo=UTC)


PAGES_BAD: list[tuple[bytes, str]] = [
    (b"", "did not answer JSON"),
    (b"<html>Bad gateway</html>", "did not answer JSON"),
    (b"\xff\xfe", "did not answer JSON"),
    (b"[" * 100_000, "did not answer JSON"),  # recursion
    (b"[]", "not a JSON object"),
    (b'"text"', "not a JSON object"),
    (_body({"next": None, "previous": None, "results": []}), "no `count`"),
    (_body({"count": -1, "next": None, "previous": None, "results": []}), "no `count`"),
    (_body({"count": "3", "next": None, "previous": None, "results": []}), "no `count`"),
    (_body({"count": True, "next": None, "previous": None, "results": []}), "no `count`"),
    (_body({"count": 1.5, "next": None, "previous": None, "results": []}), "no `count`"),
    (_body({"count": 1, "next": None, "previous": None}), "`results`"),
    (_body({"count": 1, "next": None, "previous": None, "results": {}}), "`results`"),
    (_body({"count": 1, "next": None, "previous": None, "results": [1]}), "`results`"),
    (_body({"count": 1, "previous": None, "results": []}), "no `next`"),
    (_body({"count": 1, "next": None, "results": []}), "no `previous`"),
    (_body({"count": 1, "next": 2, "previous": None, "results": []}), "`next` is int"),
]


@pytest.mark.parametrize(("body", "why"), PAGES_BAD)
def test_parse_page_refuses_garbage(body: bytes, why: str) -> None:
    with pytest.raises(RegistryError, match="acme page 2") as info:
        parse_page(body, what="acme page 2")
    assert why in str(info.value)


def test_parse_page_accepts_empty_and_next_urls() -> None:
    page = parse_page(
        _body({"count": 0, "next": "https://x/?page=2", "previous": "", "results": []})
    )
    assert page == type(page)(0, "https://x/?page=2", None, ())


REPO = load("repositories-page.json")["results"][0]


@pytest.mark.parametrize(
    ("change", "why"),
    [
        ({"name": None}, "no `name`"),
        ({"name": ""}, "no `name`"),
        ({"name": "Big"}, "not a valid name"),
        ({"name": "a/b"}, "not a valid name"),
        ({"namespace": 5}, "no `namespace`"),
        ({"is_private": "false"}, "`is_private`"),
        ({"is_private": None}, "`is_private`"),
        ({"pull_count": -1}, "`pull_count`"),
        ({"pull_count": "12"}, "`pull_count`"),
        ({"star_count": True}, "`star_count`"),
        ({"last_updated": "yesterday"}, "`last_updated`"),
        ({"description": 3}, "`description`"),
    ],
)
def test_parse_repository_refuses_malformed_items(change: dict[str, Any], why: str) -> None:
    with pytest.raises(RegistryError, match="not shaped as documented") as info:
        parse_repository({**REPO, **change})
    assert why in str(info.value)


def test_parse_repository_tolerates_missing_optional_fields() -> None:
    repo = parse_repository({"name": "x", "namespace": "acme"})
    assert repo == HubRepository("x", "acme", False, None, None, None, None)


TAG = load("tags-page.json")["results"][0]


@pytest.mark.parametrize(
    ("change", "why"),
    [
        ({"name": None}, "no `name`"),
        ({"name": "-bad"}, "not a valid tag"),
        ({"name": "x" * 129}, "not a valid tag"),
        ({"digest": "sha256:abc"}, "not a digest"),
        ({"digest": 5}, "`digest` is int"),
        ({"full_size": -5}, "`full_size`"),
        ({"last_updated": "2024-05-01"}, "`last_updated`"),
        ({"tag_last_pushed": "soon"}, "`tag_last_pushed`"),
        ({"images": {}}, "`images`"),
        ({"images": ["linux/amd64"]}, "`images`"),
        ({"images": [{"os": 1}]}, "`os`"),
        ({"images": [{"digest": "md5:x"}]}, "not a digest"),
        ({"images": [{"size": 1.5}]}, "`size`"),
        ({"images": [{"last_pushed": 0}]}, "`last_pushed`"),
    ],
)
def test_parse_tag_refuses_malformed_items(change: dict[str, Any], why: str) -> None:
    with pytest.raises(RegistryError, match="not shaped as documented") as info:
        parse_tag({**TAG, **change})
    assert why in str(info.value)


def test_parse_tag_minimal_and_image_defaults() -> None:
    assert parse_tag({"name": "latest"}) == HubTag("latest")
    assert parse_tag({"name": "latest", "images": None}).images == ()
    # An entry that says nothing about its platform is reported as unknown, like attestations.
    assert parse_image({}) == HubImage("unknown", "unknown")
    assert parse_image({"os": "linux", "architecture": "arm", "variant": ""}).variant is None


@pytest.mark.parametrize(
    ("tag", "expected"),
    [
        (HubTag("a"), None),
        (HubTag("a", last_updated="2024-01-02T00:00:00Z"), datetime(2024, 1, 2, tzinfo=UTC)),
        (
            HubTag("a", last_updated="2024-01-02T00:00:00Z", last_pushed="2024-01-01T00:00:00Z"),
            datetime(2024, 1, 1, tzinfo=UTC),
        ),
        # a bad value (only possible when built by hand) falls back, never raises
        (
            HubTag("a", last_updated="2024-01-02T00:00:00Z", last_pushed="x"),
            datetime(2024, 1, 2, tzinfo=UTC),
        ),
        (HubTag("a", last_updated="x"), None),
    ],
)
def test_pushed_at(tag: HubTag, expected: datetime | None) -> None:
    assert tag.pushed_at == expected


DOCUMENTED_KEYS = st.sampled_from(
    [
        "name",
        "namespace",
        "is_private",
        "pull_count",
        "star_count",
        "last_updated",
        "description",
        "full_size",
        "tag_last_pushed",
        "digest",
        "images",
        "os",
        "architecture",
        "variant",
        "size",
        "last_pushed",
        "count",
        "next",
        "previous",
        "results",
        "namespaces",
    ]
)
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(DOCUMENTED_KEYS | st.text(max_size=5), children, max_size=5)
    ),
    max_leaves=20,
)


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(DOCUMENTED_KEYS, JSON_VALUES, max_size=8))
def test_item_parsers_raise_only_registry_error(doc: dict[str, Any]) -> None:
    for parse in (parse_repository, parse_tag, parse_image):
        with contextlib.suppress(RegistryError):
            parse(doc)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=512) | JSON_VALUES.map(lambda v: json.dumps(v).encode()))
def test_body_parsers_raise_only_registry_error(body: bytes) -> None:
    for parse in (parse_page, parse_namespaces):
        with contextlib.suppress(RegistryError):
            parse(body)


# --- parse_namespaces, parse_hub_ratelimit --------------------------------------------------------


def test_parse_namespaces() -> None:
    assert parse_namespaces(_body(load("namespaces.json"))) == ["hubuser", "acme"]
    assert parse_namespaces(_body({"username": "u", "namespaces": ["u", "o", "u"]})) == ["u", "o"]


@pytest.mark.parametrize(
    "doc", [{}, {"namespaces": "acme"}, {"namespaces": [1]}, [], {"username": "u"}]
)
def test_parse_namespaces_invalid(doc: Any) -> None:
    with pytest.raises(RegistryError, match="namespaces"):
        parse_namespaces(_body(doc))


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({}, None),
        ({"ratelimit-limit": "100;w=21600"}, None),  # the registry's pull quota, not ours
        (
            {
                "X-RateLimit-Limit": "180",
                "X-RateLimit-Remaining": "179",
                "X-RateLimit-Reset": "1714",
            },
            HubRateLimit(180, 179, 1714),
        ),
        ({"X-RateLimit-Remaining": " 3 "}, HubRateLimit(None, 3, None)),
        ({"X-RateLimit-Limit": "lots"}, None),
        ({"X-RateLimit-Limit": "²"}, None),
        ({"X-RateLimit-Limit": "-1", "X-RateLimit-Reset": "9" * 40}, None),
    ],
)
def test_parse_hub_ratelimit(headers: dict[str, str], expected: HubRateLimit | None) -> None:
    assert parse_hub_ratelimit(requests.structures.CaseInsensitiveDict(headers)) == expected


# --- parse_login_token ----------------------------------------------------------------------------


LOGIN_TOKEN = "dckr_oat_7Nb2-Qp_x.Zz~9+/=="
JWT = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJodWJ1c2VyIn0.c2lnbmF0dXJl"


def test_parse_login_token() -> None:
    body = _body({"access_token": LOGIN_TOKEN})
    assert parse_login_token(body, "access_token", what="login") == LOGIN_TOKEN
    assert parse_login_token(_body({"token": JWT, "x": 1}), "token", what="login") == JWT


@pytest.mark.parametrize(
    "token",
    [
        "|",
        "sha256",
        "short-token-15c",
        "a b c d e f g h i j",
        "x\n" + "y" * 20,
        "ä" * 20,
        "tok|" + "y" * 20,
        "x" * 70_000,
    ],
)
def test_parse_login_token_refuses_an_implausible_token(token: str) -> None:
    with pytest.raises(RegistryError) as info:
        parse_login_token(_body({"access_token": token}), "access_token", what="login")
    assert info.value.service is Service.HUB_LOGIN
    assert f"({len(token)} characters" in info.value.message
    assert token not in info.value.message


@pytest.mark.parametrize(
    ("body", "why"),
    [
        (b"<html>", "did not answer JSON"),
        (_body(["tok"]), "no `access_token`"),
        (_body({"token": LOGIN_TOKEN}), "no `access_token`"),  # the legacy field, not this one
        (_body({"access_token": ""}), "no `access_token`"),
        (_body({"access_token": 5}), "no `access_token`"),
    ],
)
def test_parse_login_token_refuses_other_answers(body: bytes, why: str) -> None:
    with pytest.raises(RegistryError, match="login of hubuser") as info:
        parse_login_token(body, "access_token", what="login of hubuser")
    assert why in str(info.value)
