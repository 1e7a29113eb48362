"""A Docker Hub listing read whole: page 1 for the count, then the other pages concurrently
by number, the new path else the legacy one, read again when it changed under the reader.

The pages themselves are :class:`~hubaction.dockerhub.client.HubClient`'s to fetch (it holds
the login and the errors); their items are parsed by :mod:`hubaction.dockerhub.models`.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable
from typing import TypeVar

from hubaction.dockerhub.models import (
    HubItems,
    HubListing,
    HubPage,
    ListingShifted,
    collect_listing,
)
from hubaction.errors import RegistryError
from hubaction.registry.fanout import bounded_map

# Listings are pages (`page` from 1, `page_size`) answering {"count", "next", "previous",
# "results"}. 100 is the documented maximum page size; Docker Hub refuses larger ones.
PAGE_SIZE = 100
# 500 pages of 100 = 50,000 items: far above any real namespace or repository (the largest
# official images have a few thousand tags), low enough to bound a run.
MAX_PAGES = 500
# Reads of a listing that changed while it was being read, before giving up.
LISTING_ATTEMPTS = 3

T = TypeVar("T")

# Page `number` of `path` (`what` for messages), None on a 404.
PageReader = Callable[[str, int, str], HubPage | None]


class HubPager:
    """The listings of one client, over its page reader; thread-safe."""

    def __init__(
        self,
        page: PageReader,
        *,
        debug: Callable[[str], None],
        concurrency: int,
        max_pages: int = MAX_PAGES,
    ) -> None:
        self._page = page
        self._debug = debug
        self._concurrency = concurrency
        self._max_pages = max_pages
        self._lock = threading.Lock()
        # None: unknown yet; True: the new endpoint answered 404 and the legacy one worked.
        self._legacy: dict[str, bool] = {}

    def read(self, listing: HubListing[T]) -> HubItems[T]:
        """Every item of ``listing``, read again (a bounded number of times) when its pages
        disagree."""
        what = listing.what
        for attempt in range(1, LISTING_ATTEMPTS + 1):
            try:
                return self._read_once(listing)
            except ListingShifted as changed:
                self._debug(f"{what}: {changed} (read {attempt} of {LISTING_ATTEMPTS})")
        raise RegistryError(
            f"{what}: the listing kept changing while it was read ({LISTING_ATTEMPTS} reads); "
            "something is pushing or deleting right now. Retry later"
        )

    def _read_once(self, listing: HubListing[T]) -> HubItems[T]:
        """One read of a listing: page 1 gives ``count``; pages 2..ceil(count/100) are then
        fetched concurrently by number. ``next`` is never followed: building the URLs here
        keeps the token on the ``hub-url`` host whatever ``next`` says."""
        what = listing.what
        path, first = self._first_page(listing)
        if first is None:
            raise listing.missing
        pages = max(1, math.ceil(first.count / PAGE_SIZE))
        if pages > self._max_pages:
            raise RegistryError(
                f"{what}: Docker Hub counts {first.count} items, {pages} pages of {PAGE_SIZE}, "
                f"more than the {self._max_pages} pages ({self._max_pages * PAGE_SIZE} items) "
                "hubaction reads; narrow the listing (a namespace or repository with fewer "
                "items) or report this if you need more"
            )
        # On an error, the pages not yet started are cancelled.
        numbers = range(2, pages + 1)
        rest = bounded_map(
            lambda n: self._page(path, n, what), numbers, self._concurrency, name="hub-page"
        )
        return collect_listing(listing, first, rest)

    def _first_page(self, listing: HubListing[T]) -> tuple[str, HubPage | None]:
        """The path that answers this kind of listing (new, else legacy) and its page 1; None
        for the page when neither has it (the namespace or repository does not exist).

        The legacy paths (``/v2/repositories/...``) are being retired, so they are only
        tried when the new one (``/v2/namespaces/...``) answers 404; which one worked is
        remembered per kind.
        """
        kind, what = listing.kind, listing.what
        with self._lock:
            legacy = self._legacy.get(kind)
        if legacy is not None:
            path = listing.legacy_path if legacy else listing.path
            return path, self._page(path, 1, what)
        first = self._page(listing.path, 1, what)
        if first is not None:
            with self._lock:
                self._legacy[kind] = False
            return listing.path, first
        # The new endpoint is missing, or the namespace/repository is: the legacy endpoint
        # tells which.
        self._debug(f"{what}: {listing.path} answered 404; trying {listing.legacy_path}")
        first = self._page(listing.legacy_path, 1, what)
        if first is not None:
            with self._lock:
                self._legacy[kind] = True
        return listing.legacy_path, first
