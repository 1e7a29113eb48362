"""Parse the two structured headers a registry answers with: ``WWW-Authenticate`` (RFC 9110
§11.6.1, how to log in after a 401) and ``Link`` (RFC 8288, the next page of a tag list).

Everything malformed raises :class:`~hubaction.errors.InvalidHeader` quoting the header.
"""

from __future__ import annotations

import re
import types
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from urllib.parse import urljoin

from hubaction.errors import InvalidHeader

__all__ = [
    "Challenge",
    "Link",
    "next_link",
    "parse_link",
    "parse_www_authenticate",
    "parse_www_authenticate_headers",
]

# RFC 9110 §5.6.2: tchar. re.ASCII so that str.isalnum()-style Unicode letters never count.
_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+", re.ASCII)
# RFC 9110 §11.2: token68, which must be followed by the end of the challenge.
_TOKEN68 = re.compile(r"[A-Za-z0-9\-._~+/]+=*", re.ASCII)
# RFC 9110 §5.6.3: OWS / BWS.
_OWS = re.compile(r"[ \t]*")
# RFC 9110 §5.6.4: qdtext and the character after a backslash in a quoted-pair: HTAB, SP,
# VCHAR and obs-text (%x80-FF). Any other control character makes the header malformed.
_QUOTABLE = re.compile(r"[\t\x20-\x7e\x80-\xff]*")
# A URI-reference (RFC 3986) never holds whitespace, controls or angle brackets; anything
# else is left exactly as the registry sent it.
_LINK_URL = re.compile(r"[^\x00-\x20\x7f<>]*")
# RFC 3986 §3.1: a reference with a scheme is absolute and must not be resolved.
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:", re.ASCII)

# How long a header may be before messages show only its start.
_SHOWN_CHARS = 200

# The usual spelling of registered schemes (IANA HTTP Authentication Scheme Registry), used by
# str(); schemes compare case-insensitively (RFC 9110 §11.1), so this is cosmetic.
_SCHEME_SPELLING = {
    "basic": "Basic",
    "bearer": "Bearer",
    "digest": "Digest",
    "hoba": "HOBA",
    "mutual": "Mutual",
    "negotiate": "Negotiate",
    "ntlm": "NTLM",
    "scram-sha-1": "SCRAM-SHA-1",
    "scram-sha-256": "SCRAM-SHA-256",
    "vapid": "vapid",
}


def _shown(header: str) -> str:
    """The header as messages quote it: at most ~200 characters, so a huge header stays readable."""
    if len(header) > _SHOWN_CHARS:
        return repr(header[:_SHOWN_CHARS]) + f" (truncated, {len(header)} characters)"
    return repr(header)


def _quote(value: str) -> str:
    """``value`` as an RFC 9110 quoted-string: backslash-escape ``"`` and ``\\``."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _freeze(params: Mapping[str, str]) -> Mapping[str, str]:
    """A read-only copy of ``params`` with lowercased names; ValueError on bad names or values."""
    frozen: dict[str, str] = {}
    for name, value in params.items():
        if not isinstance(name, str) or not _TOKEN.fullmatch(name):
            raise ValueError(f"parameter name {name!r} is not an RFC 9110 token")
        if not isinstance(value, str) or not _QUOTABLE.fullmatch(value):
            raise ValueError(
                f"parameter {name!r} has value {value!r}, which holds characters a "
                "quoted-string cannot carry (control characters other than tab, or above U+00FF)"
            )
        key = name.lower()
        if key in frozen:
            raise ValueError(f"parameter {name!r} is given twice (names are case-insensitive)")
        frozen[key] = value
    return types.MappingProxyType(frozen)


@dataclass(frozen=True)
class Challenge:
    """One authentication challenge from ``WWW-Authenticate``.

    ``scheme`` and the parameter names are lowercased (both are case-insensitive, RFC 9110
    §11.1 and §11.2); parameter values are kept as sent, unescaped. A challenge carries either
    parameters or a ``token68`` (``Negotiate abc==``), never both. Instances are immutable,
    hashable, and ``str()`` gives a canonical header value that parses back to an equal
    challenge.
    """

    scheme: str
    params: Mapping[str, str] = field(default_factory=dict)
    token68: str | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.scheme, str) or not _TOKEN.fullmatch(self.scheme):
            raise ValueError(f"auth scheme {self.scheme!r} is not an RFC 9110 token")
        object.__setattr__(self, "scheme", self.scheme.lower())
        object.__setattr__(self, "params", _freeze(self.params))
        if self.token68 is not None:
            if not _TOKEN68.fullmatch(self.token68):
                raise ValueError(f"{self.token68!r} is not an RFC 9110 token68")
            if self.params:
                raise ValueError("a challenge carries either a token68 or parameters, not both")

    def __hash__(self) -> int:
        # MappingProxyType is not hashable; hash the items instead (order-insensitive, as is ==).
        return hash((self.scheme, frozenset(self.params.items()), self.token68))

    def __str__(self) -> str:
        scheme = _SCHEME_SPELLING.get(self.scheme, self.scheme)
        if self.token68 is not None:
            return f"{scheme} {self.token68}"
        if not self.params:
            return scheme
        # Always quote: a quoted-string can carry every value a token can, and registries
        # themselves send the quoted form.
        return scheme + " " + ",".join(f"{k}={_quote(v)}" for k, v in self.params.items())

    @property
    def realm(self) -> str | None:
        """Where to log in: the token endpoint for ``Bearer``, a label for ``Basic``."""
        return self.params.get("realm")

    @property
    def service(self) -> str | None:
        """The ``service`` a Bearer token is requested for (distribution token protocol)."""
        return self.params.get("service")

    @property
    def scopes(self) -> tuple[str, ...]:
        """The space-separated ``scope`` values (``repository:a:pull repository:b:pull``)."""
        return tuple(self.params.get("scope", "").split())

    @property
    def error(self) -> str | None:
        """RFC 6750 §3.1 error code, e.g. ``insufficient_scope`` when a token lacks a scope."""
        return self.params.get("error")


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
                f"link target {self.url!r} holds whitespace, control characters or angle brackets"
            )
        object.__setattr__(self, "params", _freeze(self.params))

    def __hash__(self) -> int:
        return hash((self.url, frozenset(self.params.items())))

    def __str__(self) -> str:
        return "".join([f"<{self.url}>", *(f"; {k}={_quote(v)}" for k, v in self.params.items())])

    @property
    def rels(self) -> tuple[str, ...]:
        """The relation types: ``rel`` holds space-separated, case-insensitive values."""
        return tuple(self.params.get("rel", "").lower().split())


class _Scanner:
    """A cursor over one header value, with the shared RFC 9110 lexical rules."""

    def __init__(self, header: str, name: str) -> None:
        self.text = header
        self.pos = 0
        self.name = name

    def fail(self, why: str, what_to_do: str) -> InvalidHeader:
        return InvalidHeader(
            f"cannot parse the {self.name} header {_shown(self.text)}: {why} at character "
            f"{self.pos}; {what_to_do}"
        )

    @property
    def done(self) -> bool:
        return self.pos >= len(self.text)

    def peek(self) -> str:
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def ows(self) -> None:
        match = _OWS.match(self.text, self.pos)
        assert match is not None  # `*` always matches
        self.pos = match.end()

    def skip_empty_elements(self) -> None:
        """Skip OWS and commas: RFC 9110 §5.6.1 lets recipients ignore empty list elements."""
        while True:
            self.ows()
            if self.peek() != ",":
                return
            self.pos += 1

    def token(self) -> str | None:
        match = _TOKEN.match(self.text, self.pos)
        if match is None:
            return None
        self.pos = match.end()
        return match.group()

    def quoted_string(self, what_to_do: str) -> str:
        """Read a quoted-string at the cursor (which is on the opening quote) and unescape it."""
        start = self.pos
        self.pos += 1
        parts: list[str] = []
        while True:
            match = _QUOTABLE.match(self.text, self.pos)
            assert match is not None
            # Stop at the first quote or backslash inside the run of allowed characters.
            run = match.group()
            cut = min((i for i in (run.find('"'), run.find("\\")) if i >= 0), default=len(run))
            parts.append(run[:cut])
            self.pos += cut
            char = self.peek()
            if char == '"':
                self.pos += 1
                return "".join(parts)
            if char == "\\":
                escaped = self.text[self.pos + 1 : self.pos + 2]
                if not escaped or not _QUOTABLE.fullmatch(escaped):
                    self.pos += 1
                    raise self.fail("a backslash escapes nothing valid", what_to_do)
                parts.append(escaped)
                self.pos += 2
                continue
            if char == "":
                self.pos = start
                raise self.fail("the quoted string starting here is never closed", what_to_do)
            raise self.fail(f"control character {char!r} inside a quoted string", what_to_do)

    def value(self, what_to_do: str) -> str:
        """A parameter value: token or quoted-string (RFC 9110 §11.2, RFC 8288 §3)."""
        if self.peek() == '"':
            return self.quoted_string(what_to_do)
        token = self.token()
        if token is None:
            raise self.fail("expected a token or a quoted string after '='", what_to_do)
        return token


_AUTH_ADVICE = (
    "the registry sent a malformed authentication challenge; check that the URL points at an "
    "OCI registry and not at a proxy or login page, and report it to the registry's operator"
)


def parse_www_authenticate(header: str) -> list[Challenge]:
    """Parse one ``WWW-Authenticate`` header value into its challenges, in order.

    Handles several challenges in one value, quoted strings with escapes and commas, token68,
    whitespace around ``=``, empty list elements and any letter case. An empty value gives
    ``[]``: whether that is acceptable after a 401 is the caller's decision. Raises
    :class:`InvalidHeader` (quoting the header) when the value does not follow RFC 9110.
    """
    # RFC 9110 §11.2 and §5.6:
    #   WWW-Authenticate = #challenge
    #   challenge        = auth-scheme [ 1*SP ( token68 / #auth-param ) ]
    #   auth-param       = token BWS "=" BWS ( token / quoted-string )
    #   token68          = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="
    # e.g. Bearer realm="https://auth.docker.io/token",service="registry.docker.io"
    scan = _Scanner(header, "WWW-Authenticate")
    challenges: list[Challenge] = []
    scan.skip_empty_elements()
    while not scan.done:
        challenges.append(_challenge(scan))
        scan.skip_empty_elements()
    return challenges


def _challenge(scan: _Scanner) -> Challenge:
    """One challenge at the cursor: its auth-scheme and what follows it."""
    scheme = scan.token()
    if scheme is None:
        raise scan.fail(f"expected an auth scheme, found {scan.peek()!r}", _AUTH_ADVICE)
    after_scheme = scan.pos
    scan.ows()
    if scan.peek() == "=":
        scan.pos = after_scheme
        raise scan.fail(
            f"parameter {scheme!r} is not preceded by an auth scheme such as 'Bearer'",
            _AUTH_ADVICE,
        )
    if scan.done or scan.peek() == ",":
        return Challenge(scheme)
    if scan.pos == after_scheme:
        # RFC 9110 asks for 1*SP here; any OWS (a tab too) is accepted, but something.
        raise scan.fail(f"unexpected {scan.peek()!r} after auth scheme {scheme!r}", _AUTH_ADVICE)
    token68 = _token68(scan)
    if token68 is not None:
        return Challenge(scheme, token68=token68)
    return Challenge(scheme, _auth_params(scan))


def _token68(scan: _Scanner) -> str | None:
    """The token68 at the cursor, read, when it is all the challenge holds; else None."""
    match = _TOKEN68.match(scan.text, scan.pos)
    if match is None:
        return None
    end = _OWS.match(scan.text, match.end())
    assert end is not None
    # token68 is only the reading when the challenge ends right after it; otherwise
    # `abc=def` is a parameter (RFC 9110 §11.2 makes the two forms exclusive).
    if end.end() < len(scan.text) and scan.text[end.end()] != ",":
        return None
    scan.pos = end.end()
    return match.group()


def _auth_params(scan: _Scanner) -> dict[str, str]:
    """The auth-params of one challenge, up to the end or the comma that ends it."""
    params: dict[str, str] = {}
    while True:
        name = _auth_param(scan, params)
        scan.ows()
        if scan.done:
            return params
        if scan.peek() != ",":
            raise scan.fail(
                f"expected ',' or the end after parameter {name!r}, found {scan.peek()!r}",
                _AUTH_ADVICE,
            )
        if not _another_param_follows(scan):
            return params


def _auth_param(scan: _Scanner, params: dict[str, str]) -> str:
    """Read ``token BWS "=" BWS ( token / quoted-string )`` into ``params``; return the name."""
    start = scan.pos
    name = scan.token()
    if name is None:
        raise scan.fail(f"expected a parameter name, found {scan.peek()!r}", _AUTH_ADVICE)
    scan.ows()
    if scan.peek() != "=":
        raise scan.fail(f"expected '=' after parameter {name!r}", _AUTH_ADVICE)
    scan.pos += 1
    scan.ows()
    value = scan.value(_AUTH_ADVICE)
    if name.lower() in params:
        # RFC 9110 §11.2: "Each parameter name MUST only occur once per challenge"; two
        # scopes or realms would be ambiguous, so refuse instead of guessing.
        scan.pos = start
        raise scan.fail(f"parameter {name!r} appears twice in one challenge", _AUTH_ADVICE)
    params[name.lower()] = value
    return name


def _another_param_follows(scan: _Scanner) -> bool:
    """Whether the comma(s) at the cursor lead to another parameter, ``token BWS "="`` (the
    cursor moves to it), rather than to the next challenge or the end (it stays on the comma)."""
    comma = scan.pos
    scan.skip_empty_elements()
    name = _TOKEN.match(scan.text, scan.pos)
    if name is not None:
        equals = _OWS.match(scan.text, name.end())
        assert equals is not None
        if scan.text[equals.end() : equals.end() + 1] == "=":
            return True
    scan.pos = comma
    return False


def parse_www_authenticate_headers(values: Iterable[str]) -> list[Challenge]:
    """Parse several ``WWW-Authenticate`` header lines (a response may repeat the header)."""
    return [challenge for value in values for challenge in parse_www_authenticate(value)]


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
    scan = _Scanner(header, "Link")
    links: list[Link] = []
    scan.skip_empty_elements()
    while not scan.done:
        url = _link_target(scan)
        links.append(Link(url, _link_params(scan)))
        scan.skip_empty_elements()
    return links


def _link_target(scan: _Scanner) -> str:
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


def _link_params(scan: _Scanner) -> dict[str, str]:
    """The ``*( OWS ";" OWS link-param )`` of one link-value, up to the ',' or the end."""
    params: dict[str, str] = {}
    while True:
        scan.ows()
        if scan.done or scan.peek() == ",":
            return params
        if scan.peek() != ";":
            raise scan.fail(
                f"expected ';', ',' or the end after a link, found {scan.peek()!r}", _LINK_ADVICE
            )
        scan.pos += 1
        scan.ows()
        if scan.done or scan.peek() in ";,":
            continue
        name, value = _link_param(scan)
        # RFC 8288 §3.3: occurrences of `rel` after the first MUST be ignored; doing the same
        # for every parameter keeps one value per name.
        params.setdefault(name.lower(), value)


def _link_param(scan: _Scanner) -> tuple[str, str]:
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
