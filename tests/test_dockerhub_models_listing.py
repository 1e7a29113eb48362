"""Tests for dockerhub.models: the whole-listing checks, and the summary rows made from
them."""

from __future__ import annotations

import dataclasses

import pytest
from fakes.hubserver import load

from hubaction.dockerhub.models import (
    HubItems,
    HubListing,
    HubPage,
    HubTag,
    ListingShifted,
    collect_listing,
    parse_listed_tag,
    parse_repository,
    parse_tag,
)
from hubaction.errors import Kind, NotFound, RegistryError
from hubaction.github.summary import repository_table, tag_row

TAG = load("tags-page.json")["results"][0]


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
    assert [t.name for t in collect_listing(LISTING, first, [second]).items] == ["a", "b", "c"]
    assert collect_listing(LISTING, page(0), []) == HubItems((), 0)


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


def test_a_tags_listing_skips_invalid_names_and_counts_them() -> None:
    # Docker Hub counted the invalid names too: the listing is whole with them skipped.
    listing = dataclasses.replace(LISTING, parse=parse_listed_tag)
    got = collect_listing(listing, page(4, "a", "-bad", more=True), [page(4, "x\ny", "b")])
    assert got == HubItems((HubTag("a"), HubTag("b")), skipped=2)
    with pytest.raises(ListingShifted, match="3 items read but 4 counted"):
        collect_listing(listing, page(4, "a", "-bad", more=True), [page(4, "b")])


def test_a_listed_tag_of_another_malformed_shape_still_fails() -> None:
    with pytest.raises(RegistryError, match="`images`"):
        parse_listed_tag({"name": "ok", "images": {}})
    with pytest.raises(RegistryError, match="no `name`"):
        parse_listed_tag({"name": None})


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
