"""What the registry client reads from an answer before it believes it: the media type, the
``Docker-Content-Digest`` header, where a ``Link`` to the next page may lead, and the one retry
a corrupt body gets.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar
from urllib.parse import urlsplit

import requests

from hubaction.errors import CorruptBody, RegistryError
from hubaction.oci.digest import REGISTERED_ALGORITHMS
from hubaction.oci.mediatypes import ACCEPT
from hubaction.oci.reference import Digest, parse_digest
from hubaction.oci.wire import quote_bounded
from hubaction.registry.transport import MAX_QUOTED_URL, quoted_url

T = TypeVar("T")


# The types every manifest request asks for, and Content-Types that name no manifest type (the
# body's `mediaType`, or its shape, decides: oci/manifest.parse_manifest).
ACCEPT_TYPES = tuple(t.strip() for t in ACCEPT.split(","))
_UNNAMED_TYPES = frozenset({"", "application/json", "application/octet-stream", "text/plain"})


def asked_for(media_type: str | None) -> bool:
    """Whether an answer's Content-Type is one :data:`ACCEPT` asked for (or names none)."""
    named = (media_type or "").lower()
    return named in ACCEPT_TYPES or named in _UNNAMED_TYPES


def content_type(response: requests.Response) -> str | None:
    value = response.headers.get("Content-Type")
    return value.split(";", 1)[0].strip() if value else None


def header_digest(response: requests.Response, what: str) -> Digest | None:
    value = response.headers.get("Docker-Content-Digest")
    if not value:
        return None
    try:
        digest = parse_digest(value.strip())
    except ValueError:
        raise RegistryError(
            f"{what}: the registry sent an invalid Docker-Content-Digest header "
            f"{quote_bounded(value, 100)}"
        ) from None
    # A HEAD's digest is believed without a body to hash (`digest-only`), so only algorithms
    # hubaction can verify elsewhere count: an `md5:` digest is what a full lookup refuses too.
    if digest.algorithm not in REGISTERED_ALGORITHMS:
        raise RegistryError(
            f"{what}: the registry's Docker-Content-Digest uses {digest.algorithm!r}; "
            f"hubaction verifies only {' and '.join(sorted(REGISTERED_ALGORITHMS))} digests"
        )
    return digest


_DEFAULT_PORTS = {"http": 80, "https": 443}


def origin_of(url: str) -> tuple[str, str, int]:
    """Scheme, host and port of ``url`` (the port spelt out; -1 when it is not a number)."""
    parts = urlsplit(url)
    try:
        port = parts.port or _DEFAULT_PORTS.get(parts.scheme, -1)
    except ValueError:
        port = -1
    return parts.scheme, (parts.hostname or "").lower(), port


def check_next_page(url: str, origin: tuple[str, str, int], what: str) -> None:
    """A ``Link`` to the next page is followed only on the first page's scheme, host and port:
    the token of the registry goes with it, so an HTTPS registry's next page over plain HTTP
    would hand the token to anyone on the path, and another host must never see it at all."""
    scheme, host, port = origin_of(url)
    if scheme != origin[0]:
        raise RegistryError(
            f"{what}: the registry's next page {quoted_url(url)} is on {scheme[:10]}, not "
            f"{origin[0]} like the first page; refusing to follow it (a next page never "
            "changes scheme, and credentials never go from HTTPS to plain HTTP)"
        )
    if (host, port) != origin[1:]:
        raise RegistryError(
            f"{what}: the registry's next page points to another host "
            f"({urlsplit(url).netloc.rsplit('@', 1)[-1][:MAX_QUOTED_URL]}); refusing to follow it"
        )


def once_more(fetch: Callable[[], T], debug: Callable[[str], None]) -> T:
    """Run ``fetch``; on a corrupt body run it once more (a flaky proxy or connection), and
    report the second failure."""
    try:
        return fetch()
    except CorruptBody as exc:
        debug(f"corrupt answer, retrying once: {exc}")
    return fetch()
