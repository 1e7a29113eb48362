"""Tests for hubaction.tagsource: which source lists a repository's tags, and the fallback from
Docker Hub's API to the registry's tag list."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from hubaction.dockerhub.models import HubItems, HubTag
from hubaction.errors import (
    CorruptBody,
    HubActionError,
    Kind,
    NotFound,
    RateLimited,
    RegistryError,
    Unauthorized,
)
from hubaction.oci.reference import Reference, parse_reference
from hubaction.oci.tags import TagList
from hubaction.tagsource import TagListing, list_tags

MAY = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
JUNE = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)


class FakeHub:
    """The one call the service makes of a HubClient: ``tag_listing(namespace, repository)``."""

    def __init__(
        self,
        tags: list[HubTag] | None = None,
        error: HubActionError | None = None,
        skipped: int = 0,
    ):
        self._tags = tags or []
        self._error = error
        self._skipped = skipped
        self.asked: list[tuple[str, str]] = []

    def tag_listing(self, namespace: str, repository: str) -> HubItems[HubTag]:
        self.asked.append((namespace, repository))
        if self._error is not None:
            raise self._error
        return HubItems(tuple(self._tags), self._skipped)


class FakeRegistry:
    """The one call the service makes of a RegistryClient: ``tag_list(ref)``."""

    def __init__(self, tags: list[str], skipped: int = 0):
        self._tags = tags
        self._skipped = skipped
        self.asked: list[Reference] = []

    def tag_list(self, ref: Reference) -> TagList:
        self.asked.append(ref)
        return TagList(tuple(self._tags), self._skipped)


HUB_TAGS = [
    HubTag("1.0", digest="sha256:" + "a" * 64, full_size=10, last_pushed="2024-05-01T12:00:00Z"),
    HubTag("2.0", digest="sha256:" + "b" * 64, full_size=20, last_pushed="2024-06-01T12:00:00Z"),
    HubTag("edge"),  # no dates at all: sorted after the dated ones
]


def run(
    text: str,
    hub: FakeHub,
    registry: FakeRegistry,
    *,
    sort: str = "version",
) -> tuple[TagListing, list[HubActionError]]:
    told: list[HubActionError] = []
    fakes: dict[str, Any] = {"hub": hub, "registry": registry}
    listing = list_tags(
        parse_reference(text, default_tag=None),
        registry=lambda: fakes["registry"],
        hub=lambda: fakes["hub"],
        sort=sort,
        on_fallback=told.append,
    )
    return listing, told


def test_docker_io_tags_come_from_the_hub_api_with_their_metadata() -> None:
    hub, registry = FakeHub(HUB_TAGS), FakeRegistry(["unused"])
    listing, told = run("node", hub, registry)
    assert hub.asked == [("library", "node")]
    assert registry.asked == [] and told == []
    assert listing.from_hub
    assert listing.names == ("1.0", "2.0", "edge")
    assert listing.pushed == {"1.0": MAY, "2.0": JUNE}
    assert listing.hub_tags["2.0"].full_size == 20
    assert listing.hub_tags["1.0"].digest == "sha256:" + "a" * 64


def test_other_registries_list_their_own_tags_without_asking_the_hub() -> None:
    hub, registry = FakeHub(HUB_TAGS), FakeRegistry(["1", "2"])
    listing, told = run("ghcr.io/acme/app", hub, registry)
    assert hub.asked == [] and told == []
    assert registry.asked == [Reference("ghcr.io", "acme/app", None, None)]
    assert not listing.from_hub
    assert listing.names == ("1", "2")
    assert listing.pushed is None and dict(listing.hub_tags) == {}


def test_a_tag_or_digest_on_the_reference_is_ignored() -> None:
    registry = FakeRegistry(["1"])
    run(f"ghcr.io/acme/app:1@sha256:{'c' * 64}", FakeHub(), registry)
    assert registry.asked == [Reference("ghcr.io", "acme/app", None, None)]


@pytest.mark.parametrize(
    "error",
    [RegistryError("hub down"), CorruptBody("garbled page"), RateLimited("429", retry_after=9)],
    ids=["registry-error", "corrupt-body", "rate-limited"],
)
def test_a_failing_hub_api_falls_back_to_the_registry_and_says_why(
    error: HubActionError,
) -> None:
    hub, registry = FakeHub(error=error), FakeRegistry(["3", "1"])
    listing, told = run("acme/app", hub, registry)
    assert told == [error]
    assert registry.asked == [Reference("docker.io", "acme/app", None, None)]
    assert not listing.from_hub and listing.names == ("3", "1")
    assert listing.pushed is None


@pytest.mark.parametrize("error", [RegistryError("hub down"), RateLimited("429")])
def test_sort_by_update_needs_the_hub_api_so_its_error_is_raised(error: HubActionError) -> None:
    hub, registry = FakeHub(error=error), FakeRegistry(["1"])
    with pytest.raises(type(error)) as raised:
        run("acme/app", hub, registry, sort="updated")
    assert raised.value is error
    assert registry.asked == []


@pytest.mark.parametrize(
    "error",
    [NotFound("no such repository", kind=Kind.REPOSITORY), Unauthorized("bad token")],
    ids=["not-found", "unauthorized"],
)
def test_not_found_and_unauthorized_are_raised_not_fallen_back_from(
    error: HubActionError,
) -> None:
    hub, registry = FakeHub(error=error), FakeRegistry(["1"])
    with pytest.raises(type(error)):
        run("acme/app", hub, registry)
    assert registry.asked == []


def test_select_sorts_by_push_date_from_the_hub() -> None:
    listing, _ = run("acme/app", FakeHub(HUB_TAGS), FakeRegistry([]), sort="updated")
    selection = listing.select(tag_filter=None, sort="updated", max_tags=2)
    assert selection.tags == ("2.0", "1.0")
    assert selection.count == 3
    assert selection.latest_semver is None  # `1.0` and `2.0` are not full semver


def test_select_of_a_registry_listing_sorts_by_version() -> None:
    listing, _ = run("ghcr.io/acme/app", FakeHub(), FakeRegistry(["1.2.0", "1.10.0", "x"]))
    selection = listing.select(tag_filter=None, sort="version", max_tags=0)
    assert selection.tags == ("1.10.0", "1.2.0", "x")
    assert selection.latest_semver == "1.10.0"


@pytest.mark.parametrize("text", ["ghcr.io/acme/app", "acme/app"], ids=["registry", "hub"])
def test_the_count_of_skipped_invalid_names_is_carried(text: str) -> None:
    hub, registry = FakeHub(HUB_TAGS, skipped=2), FakeRegistry(["1"], skipped=3)
    listing, _ = run(text, hub, registry)
    assert listing.skipped == (2 if listing.from_hub else 3)
    assert listing.names == (("1.0", "2.0", "edge") if listing.from_hub else ("1",))
