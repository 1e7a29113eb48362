"""Parse ``Link`` (RFC 8288), how a registry points at the next page of a tag list, and
resolve the next page's URL.

Everything malformed, or larger than :data:`~hubaction.oci.challenge.MAX_HEADER_CHARS`, raises
:class:`~hubaction.errors.InvalidHeader` quoting the header. The parse is linear in the text.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urljoin

from hubaction.oci.challenge import MAX_PARAMS, Scanner, freeze_params, quote_string
from hubaction.oci.wire import show_bounded

__all__ = ["MAX_LINKS", "Link", "next_link", "parse_link"]

# Per Link header: a registry sends one ("next"), RFC 5988 users a few (first, prev, last).
MAX_LINKS = 32

# A URI-reference (RFC 3986) never holds whitespace, controls or angle brackets; anything
# else is left exactly as the registry sent it.
_LINK_URL = re.compile(r"[^\x00-\x20\x7f<>]*")
# RFC 3986 §3.1: a reference with a scheme is absolute and must not be resolved.
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:", re.ASCII)
_SEMICOLONS = re.compile(r"[ \t;]*")


@dataclass(frozen=True)
class Link:
    """One link-value of a ``Link`` header (RFC 8288 §3).

    ``url`` is the URI-reference exactly as sent (maybe relative); parameter names are
    lowercased and, as RFC 8288 §3.3 requires for ``rel``, only the first occurrence of a
    parameter counts. A parameter without a value (``; crossorigin``) has the value ``""``.
    """

    url: str
    params: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not isinstance(self.url, str) or not _LINK_URL.fullmatch(self.url):
            raise ValueError(
                f"link target {show_bounded(self.url)} holds whitespace, control characters "
                "or angle brackets"
            )
        object.__setattr__(self, "params", freeze_params(self.params))

    def __hash__(self) -> int:
        return hash((self.url, frozenset(self.params.items())))

    def __str__(self) -> str:
        return "".join(
            [f"<{self.url}>", *(f"; {k}={quote_string(v)}" for k, v in self.params.items())]
        )

    @property
    def rels(self) -> tuple[str, ...]:
        """The relation types: ``rel`` holds space-separated, case-insensitive values."""
        return tuple(self.params.get("rel", "").lower().split())


_LINK_ADVICE = (
    "the registry sent a malformed pagination header; report it to the registry's operator, "
    "or set max-tags to stay within the first page"
)


def parse_link(header: str) -> list[Link]:
    """Parse a ``Link`` header value (RFC 8288 §3) into its link-values, in order.

    Commas inside ``<...>`` and inside quoted strings do not split links. A stray ``;`` with no
    parameter after it (``<u>; rel="next";``) is tolerated, as RFC 8288 Appendix B does.
    Raises :class:`InvalidHeader` when the value does not follow RFC 8288.
    """
    # RFC 8288 §3:
    #   Link        = #link-value
    #   link-value  = "<" URI-Reference ">" *( OWS ";" OWS link-param )
    #   link-param  = token BWS [ "=" BWS ( token / quoted-string ) ]
    scan = Scanner(header, "Link", _LINK_ADVICE)
    links: list[Link] = []
    scan.skip_empty_elements()
    while not scan.done:
        if len(links) == MAX_LINKS:
            raise scan.fail(f"there are more than {MAX_LINKS} links", _LINK_ADVICE)
        url = _link_target(scan)
        links.append(Link(url, _link_params(scan)))
        scan.skip_empty_elements()
    return links


def _link_target(scan: Scanner) -> str:
    """The URI-Reference of ``"<" URI-Reference ">"`` at the cursor, exactly as sent."""
    if scan.peek() != "<":
        raise scan.fail(f"expected '<' to open a link target, found {scan.peek()!r}", _LINK_ADVICE)
    url = _LINK_URL.match(scan.text, scan.pos + 1)
    assert url is not None
    close = url.end()
    if scan.text[close : close + 1] != ">":
        scan.pos = close
        if close == len(scan.text):
            raise scan.fail("the link target is never closed with '>'", _LINK_ADVICE)
        raise scan.fail(
            f"character {scan.text[close]!r} is not allowed in a link target", _LINK_ADVICE
        )
    scan.pos = close + 1
    return url.group()


def _link_params(scan: Scanner) -> dict[str, str]:
    """The ``*( OWS ";" OWS link-param )`` of one link-value, up to the ',' or the end."""
    params: dict[str, str] = {}
    count = 0
    while True:
        scan.ows()
        if scan.done or scan.peek() == ",":
            return params
        if scan.peek() != ";":
            raise scan.fail(
                f"expected ';', ',' or the end after a link, found {scan.peek()!r}", _LINK_ADVICE
            )
        # RFC 8288 Appendix B: stray ';' with no parameter (`<u>; ; rel=next;`) are skipped.
        scan.skip(_SEMICOLONS)
        if scan.done or scan.peek() == ",":
            return params
        count += 1
        if count > MAX_PARAMS:
            raise scan.fail(f"a link has more than {MAX_PARAMS} parameters", _LINK_ADVICE)
        name, value = _link_param(scan)
        # RFC 8288 §3.3: occurrences of `rel` after the first MUST be ignored; doing the same
        # for every parameter keeps one value per name.
        params.setdefault(name.lower(), value)


def _link_param(scan: Scanner) -> tuple[str, str]:
    """``token BWS [ "=" BWS ( token / quoted-string ) ]``: name and value (``""`` if none)."""
    name = scan.token()
    if name is None:
        raise scan.fail(f"expected a parameter name, found {scan.peek()!r}", _LINK_ADVICE)
    scan.ows()
    if scan.peek() != "=":
        return name, ""
    scan.pos += 1
    scan.ows()
    return name, scan.value(_LINK_ADVICE)


def next_link(header: str | None, base_url: str) -> str | None:
    """The URL of the next page from a ``Link`` header, or ``None`` when there is none.

    Takes the first link whose ``rel`` includes ``next``. An absolute target is returned
    exactly as given. A relative one is resolved against ``base_url`` (the URL of the request
    that got this header) with :func:`urllib.parse.urljoin`, applied to the path part only:
    the query and fragment are appended verbatim, because registries put opaque continuation
    tokens there and ``urljoin`` would, for instance, drop an empty ``?``.
    Raises :class:`InvalidHeader` for a malformed header.
    """
    if header is None:
        return None
    for link in parse_link(header):
        if "next" in link.rels:
            return _resolve(link.url, base_url)
    return None


def _resolve(reference: str, base_url: str) -> str:
    """RFC 3986 §5.2 reference resolution that never touches the query or fragment."""
    if _SCHEME.match(reference):
        return reference
    cut = min((i for i in (reference.find("?"), reference.find("#")) if i >= 0), default=None)
    path, tail = (reference, "") if cut is None else (reference[:cut], reference[cut:])
    if path:
        return urljoin(base_url, path) + tail
    # RFC 3986 §5.2.2 with an empty path: keep the base path; the reference's query (if any)
    # replaces the base query, and its fragment replaces the base fragment.
    base = base_url.split("#", 1)[0]
    if tail.startswith("?"):
        base = base.split("?", 1)[0]
    return base + tail
