"""Where a registry's tag list goes on after one page (pure: the client does the requests).

OCI distribution spec, "Listing Tags" (opencontainers/distribution-spec ``spec.md`` at
967efdc0): a page may hold fewer than ``n`` tags "only when the total number of tags ... is
less than ``<int>`` or a ``Link`` header is provided", and ``Link`` is optional. So:

* a ``Link`` ``rel="next"`` is followed (preferred, as the spec's implementers' note says);
* a full page (``n`` names or more) without ``Link`` continues with ``last=<its last tag>``
  (go-containerregistry's registry honours ``n`` and ``last`` but never sends ``Link``);
* a page shorter than ``n`` without ``Link`` is the end. go-containerregistry
  (``pkg/v1/remote/list.go``), regclient (``scheme/reg/tag.go``) and containers/image stop at
  "no ``Link``" on any page; a registry that clamps ``n`` (Quay: 100, Pulp: 1000) sends a
  ``Link`` with its clamped page (deitch/docker_registry2#107, registry notes), so no clamp
  value is guessed here: probing "exactly 100" would cost every 100-tag repository a request;
* a page that brings no tag not already seen is a registry that ignored ``last`` (distribution
  2.8, GCR/GAR without pagination: go-containerregistry#897) or a loop: the end, after just
  that one request.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from urllib.parse import quote, urlsplit, urlunsplit

__all__ = [
    "CLAMPED_PAGE_SIZE",
    "ECR_MAX_PAGE_SIZE",
    "continue_after",
    "is_repeat",
    "on_own_path",
    "smaller_page_size",
]

# Quay's largest page (quay/quay#2884; go-containerregistry#1963, kargo#2186: in June 2024 it
# answered 413 TOO_MANY_TAGS_REQUESTED "max is 100" to n=1000).
CLAMPED_PAGE_SIZE = 100
# ECR answers 405 to n over 1000 (renovate#3800, go-containerregistry#1091).
ECR_MAX_PAGE_SIZE = 1000
_MAX_IS = re.compile(r"\bmax(?:imum)? is (\d{1,6})\b", re.IGNORECASE)


def continue_after(own_url: str, tags: Sequence[str], listed: int, asked: int) -> str | None:
    """The next page's URL (on ``own_url``, the tag list's path) after a page without
    ``Link``, else ``None`` (the end). ``tags``: the page's valid tags; ``listed``: how many
    names it listed (valid or not); ``asked``: the ``n`` sent."""
    if not tags or listed < asked:
        return None
    parts = urlsplit(own_url)
    query = f"n={asked}&last={quote(tags[-1], safe='')}"
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, ""))


def is_repeat(tags: Sequence[str], seen: Collection[str]) -> bool:
    """Whether a page brought nothing new: it listed tags, all of them seen before."""
    return bool(tags) and all(t in seen for t in tags)


def on_own_path(next_url: str, own_url: str) -> str:
    """``next_url`` (a resolved ``Link``) moved onto the path of ``own_url`` (the first page's
    URL), keeping the link's query verbatim.

    The next page of a repository's tags is always at ``/v2/<name>/tags/list``; registries
    behind a path get the path wrong: Nexus's proxy repositories put their
    ``/repository/<name>/`` prefix in front (sonatype/nexus-public#209, #1011), Artifactory
    drops the virtual repository's part of the name (renovate#20745, #35917; its ``last`` is an
    offset, which is why the query is kept as sent). Scheme and host are checked elsewhere.
    """
    link, own = urlsplit(next_url), urlsplit(own_url)
    if link.path == own.path:
        return next_url
    return urlunsplit((link.scheme, link.netloc, own.path, link.query, ""))


def smaller_page_size(status: int | None, asked: int, said: str) -> int | None:
    """The ``n`` to ask again with after a registry refused ``n=asked``, or ``None``.

    413 (Quay's TOO_MANY_TAGS_REQUESTED; its message says ``max is 100``): that maximum, else
    :data:`CLAMPED_PAGE_SIZE`. 405 or 400 for ``n`` over 1000 (ECR): 1000.
    """
    if status == 413:
        found = _MAX_IS.search(said)
        size = int(found.group(1)) if found else CLAMPED_PAGE_SIZE
        return size if 0 < size < asked else None
    if status in (400, 405) and asked > ECR_MAX_PAGE_SIZE:
        return ECR_MAX_PAGE_SIZE
    return None
