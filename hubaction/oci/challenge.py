"""Parse ``WWW-Authenticate`` (RFC 9110 §11.6.1, how to log in after a 401), with the RFC 9110
lexer that :mod:`hubaction.oci.link` shares for ``Link``.

Everything malformed, or larger than :data:`MAX_HEADER_CHARS`, raises
:class:`~hubaction.errors.InvalidHeader` quoting the header. Every scan is linear in the text.
"""

from __future__ import annotations

import re
import types
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from hubaction.errors import InvalidHeader
from hubaction.oci.wire import quote_bounded, show_bounded

__all__ = [
    "MAX_CHALLENGES",
    "MAX_HEADER_CHARS",
    "MAX_PARAMS",
    "Challenge",
    "parse_www_authenticate",
    "parse_www_authenticate_headers",
]

# Bounds on what a registry may send. Real values are a few hundred characters (a realm, a
# service, one scope; a next-page URL) with 1-3 challenges or links of 1-5 parameters; the
# bounds are far above that and keep a hostile header from costing more than a glance.
MAX_HEADER_CHARS = 16 * 1024  # per header value, after the HTTP client joined repeated lines
MAX_CHALLENGES = 32  # per response, over all WWW-Authenticate lines
MAX_PARAMS = 64  # per challenge or per link-value

# RFC 9110 §5.6.2: tchar. re.ASCII so that str.isalnum()-style Unicode letters never count.
_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+", re.ASCII)
# RFC 9110 §11.2: token68, which must be followed by the end of the challenge.
_TOKEN68 = re.compile(r"[A-Za-z0-9\-._~+/]+=*", re.ASCII)
# RFC 9110 §5.6.3: OWS / BWS.
_OWS = re.compile(r"[ \t]*")
# RFC 9110 §5.6.1: a list may hold empty elements, which recipients skip.
_EMPTY_ELEMENTS = re.compile(r"[ \t,]*")
# RFC 9110 §5.6.4: the character after a backslash in a quoted-pair: HTAB, SP, VCHAR and
# obs-text (%x80-FF); qdtext is the same without '"' and '\'. Any other control character
# makes the header malformed.
_QUOTABLE_CHARS = r"\t\x20-\x7e\x80-\xff"
_QDTEXT_CHARS = r"\t\x20\x21\x23-\x5b\x5d-\x7e\x80-\xff"
_QUOTABLE = re.compile(f"[{_QUOTABLE_CHARS}]*")
# quoted-string = DQUOTE *( qdtext / quoted-pair ) DQUOTE, read by one match: possessive
# quantifiers never backtrack, so it is linear whether it matches or not. (Re-scanning the
# rest of the header after each escape, as before, was quadratic.) The prefix says where a
# malformed one fails.
_QUOTED_BODY = f"(?:[{_QDTEXT_CHARS}]++|\\\\[{_QUOTABLE_CHARS}])*+"
_QUOTED_PREFIX = re.compile(f'"{_QUOTED_BODY}')
_QUOTED_STRING = re.compile(f'"({_QUOTED_BODY})"')
_QUOTED_PAIR = re.compile(r"\\(.)", re.DOTALL)

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


def quote_string(value: str) -> str:
    """``value`` as an RFC 9110 quoted-string: backslash-escape ``"`` and ``\\``."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def freeze_params(params: Mapping[str, str]) -> Mapping[str, str]:
    """A read-only copy of ``params`` with lowercased names; ValueError on bad names or values."""
    frozen: dict[str, str] = {}
    for name, value in params.items():
        if not isinstance(name, str) or not _TOKEN.fullmatch(name):
            raise ValueError(f"parameter name {show_bounded(name)} is not an RFC 9110 token")
        if not isinstance(value, str) or not _QUOTABLE.fullmatch(value):
            raise ValueError(
                f"parameter {show_bounded(name)} has value {show_bounded(value)}, which holds "
                "characters a quoted-string cannot carry (control characters other than tab, "
                "or above U+00FF)"
            )
        key = name.lower()
        if key in frozen:
            raise ValueError(
                f"parameter {show_bounded(name)} is given twice (names are case-insensitive)"
            )
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
            raise ValueError(f"auth scheme {show_bounded(self.scheme)} is not an RFC 9110 token")
        object.__setattr__(self, "scheme", self.scheme.lower())
        object.__setattr__(self, "params", freeze_params(self.params))
        if self.token68 is not None:
            if not _TOKEN68.fullmatch(self.token68):
                raise ValueError(f"{show_bounded(self.token68)} is not an RFC 9110 token68")
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
        return scheme + " " + ",".join(f"{k}={quote_string(v)}" for k, v in self.params.items())

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


def _escaped_char(pair: re.Match[str]) -> str:
    return pair[1]


class Scanner:
    """A cursor over one header value, with the shared RFC 9110 lexical rules. Every method
    moves the cursor forward past what it matched, so a whole parse reads each character a
    bounded number of times."""

    def __init__(self, header: str, name: str, what_to_do: str) -> None:
        self.text = header
        self.pos = 0
        self.name = name
        if len(header) > MAX_HEADER_CHARS:
            raise self.fail(
                f"it is longer than the {MAX_HEADER_CHARS} characters hubaction reads",
                what_to_do,
                located=False,
            )

    def fail(self, why: str, what_to_do: str, *, located: bool = True) -> InvalidHeader:
        """The error for the header, saying ``why`` (at the cursor, if ``located``)."""
        where = f" at character {self.pos}" if located else ""
        return InvalidHeader(
            f"cannot parse the {self.name} header {quote_bounded(self.text)}: {why}{where}; "
            f"{what_to_do}"
        )

    @property
    def done(self) -> bool:
        return self.pos >= len(self.text)

    def peek(self) -> str:
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def skip(self, pattern: re.Pattern[str]) -> None:
        """Move past what ``pattern`` (which matches the empty string too) matches here."""
        match = pattern.match(self.text, self.pos)
        assert match is not None, pattern
        self.pos = match.end()

    def ows(self) -> None:
        self.skip(_OWS)

    def skip_empty_elements(self) -> None:
        """Skip OWS and commas: RFC 9110 §5.6.1 lets recipients ignore empty list elements."""
        self.skip(_EMPTY_ELEMENTS)

    def token(self) -> str | None:
        match = _TOKEN.match(self.text, self.pos)
        if match is None:
            return None
        self.pos = match.end()
        return match.group()

    def quoted_string(self, what_to_do: str) -> str:
        """Read a quoted-string at the cursor (which is on the opening quote) and unescape it."""
        match = _QUOTED_STRING.match(self.text, self.pos)
        if match is None:
            raise self._quoted_string_error(what_to_do)
        self.pos = match.end()
        # A function, not the template r"\1": re expands a template per match, 4x slower.
        return _QUOTED_PAIR.sub(_escaped_char, match.group(1))

    def _quoted_string_error(self, what_to_do: str) -> InvalidHeader:
        """Why the quoted-string at the cursor is malformed, with the cursor where it fails."""
        start = self.pos
        self.skip(_QUOTED_PREFIX)
        char = self.peek()
        if char == "\\":  # the prefix would have taken a valid quoted-pair
            self.pos += 1
            return self.fail("a backslash escapes nothing valid", what_to_do)
        if char == "":
            self.pos = start
            return self.fail("the quoted string starting here is never closed", what_to_do)
        return self.fail(f"control character {char!r} inside a quoted string", what_to_do)

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
    scan = Scanner(header, "WWW-Authenticate", _AUTH_ADVICE)
    challenges: list[Challenge] = []
    scan.skip_empty_elements()
    while not scan.done:
        if len(challenges) == MAX_CHALLENGES:
            raise scan.fail(f"there are more than {MAX_CHALLENGES} challenges", _AUTH_ADVICE)
        challenges.append(_challenge(scan))
        scan.skip_empty_elements()
    return challenges


def _challenge(scan: Scanner) -> Challenge:
    """One challenge at the cursor: its auth-scheme and what follows it."""
    scheme = scan.token()
    if scheme is None:
        raise scan.fail(f"expected an auth scheme, found {scan.peek()!r}", _AUTH_ADVICE)
    after_scheme = scan.pos
    scan.ows()
    if scan.peek() == "=":
        scan.pos = after_scheme
        raise scan.fail(
            f"parameter {quote_bounded(scheme)} is not preceded by an auth scheme such as 'Bearer'",
            _AUTH_ADVICE,
        )
    if scan.done or scan.peek() == ",":
        return Challenge(scheme)
    if scan.pos == after_scheme:
        # RFC 9110 asks for 1*SP here; any OWS (a tab too) is accepted, but something.
        raise scan.fail(
            f"unexpected {scan.peek()!r} after auth scheme {quote_bounded(scheme)}", _AUTH_ADVICE
        )
    token68 = _token68(scan)
    if token68 is not None:
        return Challenge(scheme, token68=token68)
    return Challenge(scheme, _auth_params(scan))


def _token68(scan: Scanner) -> str | None:
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


def _auth_params(scan: Scanner) -> dict[str, str]:
    """The auth-params of one challenge, up to the end or the comma that ends it."""
    params: dict[str, str] = {}
    while True:
        if len(params) == MAX_PARAMS:
            raise scan.fail(f"a challenge has more than {MAX_PARAMS} parameters", _AUTH_ADVICE)
        name = _auth_param(scan, params)
        scan.ows()
        if scan.done:
            return params
        if scan.peek() != ",":
            raise scan.fail(
                f"expected ',' or the end after parameter {quote_bounded(name)}, "
                f"found {scan.peek()!r}",
                _AUTH_ADVICE,
            )
        if not _another_param_follows(scan):
            return params


def _auth_param(scan: Scanner, params: dict[str, str]) -> str:
    """Read ``token BWS "=" BWS ( token / quoted-string )`` into ``params``; return the name."""
    start = scan.pos
    name = scan.token()
    if name is None:
        raise scan.fail(f"expected a parameter name, found {scan.peek()!r}", _AUTH_ADVICE)
    scan.ows()
    if scan.peek() != "=":
        raise scan.fail(f"expected '=' after parameter {quote_bounded(name)}", _AUTH_ADVICE)
    scan.pos += 1
    scan.ows()
    value = scan.value(_AUTH_ADVICE)
    if name.lower() in params:
        # RFC 9110 §11.2: "Each parameter name MUST only occur once per challenge"; two
        # scopes or realms would be ambiguous, so refuse instead of guessing.
        scan.pos = start
        raise scan.fail(
            f"parameter {quote_bounded(name)} appears twice in one challenge", _AUTH_ADVICE
        )
    params[name.lower()] = value
    return name


def _another_param_follows(scan: Scanner) -> bool:
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
    """Parse several ``WWW-Authenticate`` header lines (a response may repeat the header);
    at most :data:`MAX_CHALLENGES` challenges in all."""
    challenges: list[Challenge] = []
    for value in values:
        challenges.extend(parse_www_authenticate(value))
        if len(challenges) > MAX_CHALLENGES:
            raise InvalidHeader(
                f"cannot parse the WWW-Authenticate headers: they hold more than "
                f"{MAX_CHALLENGES} challenges; {_AUTH_ADVICE}"
            )
    return challenges
