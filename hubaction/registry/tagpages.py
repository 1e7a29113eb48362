"""A repository's tag list, page after page, over the registry client's requests.

Where to go after a page is decided by :mod:`hubaction.oci.paging` (``Link``, else ``last=``
after a full page, a repeated page ends it); this module sends the pages, asks again with a
smaller ``n`` when a registry refuses the page size, and stops at its bounds with a reason
(``TagList.cut``) instead of failing the run: a list cut short is said, never silent.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, Protocol

import requests

from hubaction.errors import HubActionError, InvalidHeader, Kind, NotFound, RegistryError
from hubaction.oci.link import next_link
from hubaction.oci.paging import continue_after, is_repeat, on_own_path, smaller_page_size
from hubaction.oci.reference import Reference
from hubaction.oci.tags import TagList, parse_tag_list
from hubaction.oci.wire import scrub
from hubaction.registry.answers import check_next_page, once_more, origin_of
from hubaction.registry.errors import check_response, error_for
from hubaction.registry.transport import read_body

# Ask for large pages: the distribution registry ignores `n` and answers everything at once,
# others (ECR, GAR, Harbor, Pulp) cap pages at 1000; more per page is fewer round trips.
TAGS_PAGE_SIZE = 1000
MAX_TAG_PAGE_BYTES = 32 * 1024 * 1024
# The `n` of a page URL (ours, or a Link's), to ask again with a smaller one.
_PAGE_SIZE = re.compile(r"[?&]n=([0-9]{1,7})(?=&|$)")


class _Requester(Protocol):
    def __call__(
        self, method: str, ref: Reference, path: str, *, what: str, url: str | None = None
    ) -> AbstractContextManager[requests.Response]: ...


@dataclass(frozen=True)
class TagPager:
    """The tag list of one client: its ``request``, URL builder, error context and debug log,
    with the page size asked and the bounds."""

    request: _Requester
    url: Callable[[Reference, str], str]
    context: Callable[[Reference], dict[str, Any]]
    debug: Callable[[str], None]
    page_size: int = TAGS_PAGE_SIZE
    max_pages: int = 1000
    max_tags: int = 200_000

    def tag_list(self, ref: Reference) -> TagList:
        """Every tag of ``ref``'s repository in the registry's order, how many listed names
        were no valid tags (skipped), and why it stopped early at a bound (``cut``)."""
        what = f"tags of {ref.name}"
        size = self.page_size
        url = f"{self.url(ref, 'tags/list')}?n={size}"
        tags: list[str] = []
        seen: set[str] = set()
        skipped = 0
        for _page in range(self.max_pages):
            page, link, page_url, size = self._sized_page(ref, url, what, size)
            # Known only after the first page: an insecure registry may have fallen back to HTTP.
            own = self.url(ref, "tags/list")
            if is_repeat(page.tags, seen):
                return TagList(tuple(tags), skipped)  # `last` ignored (or a loop): the end
            skipped += page.skipped
            tags.extend(t for t in page.tags if t not in seen)
            seen.update(page.tags)
            if len(tags) + skipped > self.max_tags:
                cut = f"{what}: the list stops at {self.max_tags} tags, hubaction's bound"
                return TagList(tuple(tags[: self.max_tags]), skipped, cut)
            following = _following(page, link, page_url, own, size, what)
            if following is None:
                return TagList(tuple(tags), skipped)
            check_next_page(following, origin_of(own), what)
            url = following
        cut = (
            f"{what}: the list stops after {self.max_pages} pages, hubaction's bound against "
            "a registry that pages forever"
        )
        return TagList(tuple(tags), skipped, cut)

    def _sized_page(
        self, ref: Reference, url: str, what: str, size: int
    ) -> tuple[TagList, str | None, str, int]:
        """:meth:`_page` (with its size), asked again with a smaller ``n`` when the registry
        refuses the page size (Quay's 413, ECR's 405: :func:`smaller_page_size`)."""
        for _attempt in range(3):  # 1000 -> 100 at most; bounded whatever the registry says
            try:
                # A truncated or malformed page is fetched once more, like a manifest.
                page, link, page_url = once_more(
                    functools.partial(self._page, ref, url, what), self.debug
                )
                return page, link, page_url, size
            except HubActionError as exc:
                smaller = smaller_page_size(exc.status, size, str(exc))
                asked = _PAGE_SIZE.search(url)
                if smaller is None or asked is None or int(asked.group(1)) != size:
                    raise
                self.debug(f"{what}: the registry refused n={size}; asking n={smaller}")
                url = f"{url[: asked.start(1)]}{smaller}{url[asked.end(1) :]}"
                size = smaller
        raise RegistryError(f"{what}: the registry refused every page size asked")

    def _page(self, ref: Reference, url: str, what: str) -> tuple[TagList, str | None, str]:
        """One page of tags: its tags, its ``Link`` header, and its URL (for relative links)."""
        where: dict[str, Any] = {"registry": ref.registry, "repository": ref.repository}
        with self.request("GET", ref, "tags/list", what=what, url=url) as response:
            if response.status_code == 404:
                answer = error_for(response, what=what, **where)
                raise NotFound(
                    f"{ref.registry}/{ref.repository}: the repository does not exist or "
                    "has no tags (404)",
                    kind=Kind.REPOSITORY,
                    status=404,
                    details=answer.details,
                    **where,
                ) from answer
            check_response(response, what=what, **self.context(ref))
            body = read_body(response, limit=MAX_TAG_PAGE_BYTES, what=what, registry=ref.registry)
            link = response.headers.get("Link")
            page_url = response.url
        # GCR/GAR add a `manifest` map (and `child`) to the page (go-containerregistry#897):
        # parse_tag_list reads `tags` only; the body's size bound covers the rest.
        return parse_tag_list(body, what), link, page_url


def _following(
    page: TagList, link: str | None, page_url: str, own: str, size: int, what: str
) -> str | None:
    """The next page's URL, or ``None`` at the end."""
    try:
        following = next_link(link and scrub(link), page_url)  # errors quote its pieces
    except InvalidHeader as exc:
        raise RegistryError(f"{what}: {exc}") from None
    if following is not None:
        return on_own_path(following, own)
    return continue_after(own, page.tags, len(page.tags) + page.skipped, size)
