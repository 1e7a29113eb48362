"""Tests for dockerhub.models: the pure parsers of Docker Hub's API answers (tables of valid and
invalid cases, property tests), the whole-listing checks, and the summary rows made from them.
"""

from __future__ import annotations

import contextlib
import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
import requests
from fakes.hubserver import load
from hypothesis import given, settings
from hypothesis import strategies as st

from hubaction.dockerhub.models import (
    HubImage,
    HubListing,
    HubPage,
    HubRateLimit,
    HubRepository,
    HubTag,
    ListingShifted,
    collect_listing,
    format_hub_time,
    parse_hub_ratelimit,
    parse_hub_time,
    parse_image,
    parse_login_token,
    parse_namespaces,
    parse_page,
    parse_repository,
    parse_tag,
    split_hub_repository,
)
from hubaction.errors import InvalidInput, Kind, NotFound, RegistryError
from hubaction.github.summary import repository_table, tag_row

# === pure parsers ===============================================================================

# --- parse_hub_time -------------------------------------------------------------------------------

TIMES_OK = [
    ("2024-05-01T12:34:56.123456Z", datetime(2024, 5, 1, 12, 34, 56, 123456, tzinfo=UTC)),
    ("2024-05-01T12:34:56Z", datetime(2024, 5, 1, 12, 34, 56, tzinfo=UTC)),
    ("2024-05-01T12:34:56.1Z", datetime(2024, 5, 1, 12, 34, 56, 100000, tzinfo=UTC)),
    # nanoseconds (Go's RFC3339Nano): cut to microseconds, not refused
    ("2024-05-01T12:34:56.123456789Z", datetime(2024, 5, 1, 12, 34, 56, 123456, tzinfo=UTC)),
    ("2024-05-01t12:34:56z", datetime(2024, 5, 1, 12, 34, 56, tzinfo=UTC)),
    ("2024-05-01T14:34:56+02:00", datetime(2024, 5, 1, 12, 34, 56, tzinfo=UTC)),
    ("2024-05-01T00:00:00-01:30", datetime(2024, 5, 1, 1, 30, tzinfo=UTC)),
    ("0001-01-01T00:00:00Z", datetime(1, 1, 1, tzinfo=UTC)),  # Go's zero time
]
TIMES_BAD = [
    "",
    "2024-05-01",  # a date alone
    "2024-05-01T12:34:56",  # no zone: ambiguous
    "2024-05-01 12:34:56Z",  # space separator (fromisoformat would take it)
    "2024-W01",  # fromisoformat takes ISO week dates
    "2024-13-01T00:00:00Z",  # month 13
    "2024-02-30T00:00:00Z",
    "2024-05-01T24:00:00Z",
    "2024-05-01T12:34:60Z",  # leap seconds are not representable
    "2024-05-01T12:34:56+24:00",
    "2024-05-01T12:34:56+02:60",
    "0001-01-01T00:00:00+01:00",  # before datetime.min once in UTC
    "9999-12-31T23:59:59-01:00",  # after datetime.max once in UTC
    "0000-01-01T00:00:00Z",
    "\uff12\uff10\uff12\uff14-05-01T12:34:56Z",  # full-width digits
    " 2024-05-01T12:34:56Z",
    "2024-05-01T12:34:56.Z",
    1714566896,  # not text at all: Docker Hub sends strings
]


@pytest.mark.parametrize(("text", "expected"), TIMES_OK)
def test_parse_hub_time_valid(text: str, expected: datetime) -> None:
    parsed = parse_hub_time(text)
    assert parsed == expected
    assert parsed.tzinfo is UTC


@pytest.mark.parametrize("text", TIMES_BAD)
def test_parse_hub_time_invalid(text: Any) -> None:
    with pytest.raises((ValueError, TypeError)):
        parse_hub_time(text)


@settings(max_examples=200, deadline=None)
@given(
    st.datetimes(
        min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30), timezones=st.just(UTC)
    )
)
def test_format_then_parse_hub_time_round_trips(moment: datetime) -> None:
    text = format_hub_time(moment)
    assert parse_hub_time(text) == moment
    assert format_hub_time(parse_hub_time(text)) == text


@settings(max_examples=200, deadline=None)
@given(
    st.datetimes(min_value=datetime(2, 1, 1), max_value=datetime(9998, 1, 1)),
    st.integers(min_value=-23 * 60 - 59, max_value=23 * 60 + 59),
)
def test_parse_hub_time_normalises_offsets_to_utc(naive: datetime, minutes: int) -> None:
    zone = timezone(timedelta(minutes=minutes))
    moment = naive.replace(tzinfo=zone)
    assert parse_hub_time(moment.isoformat()) == moment


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=40))
def test_parse_hub_time_only_raises_value_error(text: str) -> None:
    with contextlib.suppress(ValueError):
        parse_hub_time(text)


# --- split_hub_repository -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("acme/app", ("acme", "app")),
        ("node", ("library", "node")),
        ("library/node", ("library", "node")),
        ("my-org/my.app_x", ("my-org", "my.app_x")),
        ("a__b/c--d", ("a__b", "c--d")),
    ],
)
def test_split_hub_repository_valid(text: str, expected: tuple[str, str]) -> None:
    assert split_hub_repository(text) == expected
    assert split_hub_repository("/".join(expected)) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "a/b/c",
        "Acme/app",
        "acme/",
        "/app",
        "acme/app:1",
        "acme/-app",
        "acme/app..x",
        "acme/../x",
        "acme/%2e%2e",
        "a" * 256 + "/x",
        "acme/ app",
    ],
)
def test_split_hub_repository_invalid(text: str) -> None:
    with pytest.raises(InvalidInput, match="Docker Hub"):
        split_hub_repository(text)


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


def test_parse_login_token() -> None:
    assert parse_login_token(_body({"access_token": "tok"}), "access_token", what="login") == "tok"
    assert parse_login_token(_body({"token": "jwt", "x": 1}), "token", what="login") == "jwt"


@pytest.mark.parametrize(
    ("body", "why"),
    [
        (b"<html>", "did not answer JSON"),
        (_body(["tok"]), "no `access_token`"),
        (_body({"token": "tok"}), "no `access_token`"),  # the legacy field, not this one
        (_body({"access_token": ""}), "no `access_token`"),
        (_body({"access_token": 5}), "no `access_token`"),
    ],
)
def test_parse_login_token_refuses_other_answers(body: bytes, why: str) -> None:
    with pytest.raises(RegistryError, match="login of hubuser") as info:
        parse_login_token(body, "access_token", what="login of hubuser")
    assert why in str(info.value)


# --- collect_listing ------------------------------------------------------------------------------

LISTING: HubListing[HubTag] = HubListing(
    "tags",
    "/v2/namespaces/acme/repositories/app/tags",
    "/v2/repositories/acme/app/tags",
    what="tags of acme/app",
    parse=parse_tag,
    key=lambda tag: tag.name,
    missing=NotFound("no acme/app", kind=Kind.REPOSITORY),
)


def page(count: int, *names: str, more: bool = False) -> HubPage:
    return HubPage(
        count, "https://hub/?page=next" if more else None, None, tuple({"name": n} for n in names)
    )


def test_collect_listing_of_consistent_pages() -> None:
    first, second = page(3, "a", "b", more=True), page(3, "c")
    assert [t.name for t in collect_listing(LISTING, first, [second])] == ["a", "b", "c"]
    assert collect_listing(LISTING, page(0), []) == []


@pytest.mark.parametrize(
    ("first", "rest", "why"),
    [
        (page(3, "a", "b", more=True), [None], "page 2 vanished"),
        (page(3, "a", "b", more=True), [page(4, "c")], "count went from 3 to 4"),
        # a push moved "b" to the front: page 2 repeats it and "c" is lost
        (page(3, "a", "b", more=True), [page(3, "b")], "'b' appeared twice"),
        (page(2, "a", "b", more=True), [], "says there is a next one"),
        (page(3, "a", "b", more=True), [page(3, "c", more=True)], "says there is a next one"),
        # a deletion pulled an item up from page 2 into page 1, already read
        (page(3, "a", "b", more=True), [page(3)], "2 items read but 3 counted"),
        (page(1, "a", "b"), [], "2 items read but 1 counted"),
    ],
)
def test_collect_listing_refuses_pages_that_shifted(
    first: HubPage, rest: list[HubPage | None], why: str
) -> None:
    with pytest.raises(ListingShifted, match=why):
        collect_listing(LISTING, first, rest)


def test_collect_listing_items_are_parsed_as_hostile() -> None:
    with pytest.raises(RegistryError, match="not a valid tag"):
        collect_listing(LISTING, page(1, "-bad"), [])


# --- summary helpers ------------------------------------------------------------------------------


def test_tag_row_and_repository_table() -> None:
    tag = parse_tag(TAG)
    row = tag_row(tag)
    assert (row.name, row.digest, row.size, row.pushed) == (
        "1.2.3",
        tag.digest,
        31234567,
        "2024-05-15 08:00 UTC",
    )
    assert tag_row(HubTag("x")).pushed is None
    repos = [parse_repository(r) for r in load("repositories-page.json")["results"]]
    text = repository_table(repos, namespace="acme", anonymous=True).render()
    assert "| `big` | no | 1,234,567 | 12 | 2024-06-01 10:20 UTC |" in text
    assert "| `secret` | yes | 7 | 0 |  |" in text
    assert "public ones only" in text
    assert (
        "public ones only"
        not in repository_table(repos, namespace="acme", anonymous=False).render()
    )
