"""Property tests for hubaction.oci.challenge and hubaction.oci.link: WWW-Authenticate (RFC 9110
§11.6.1) and Link (RFC 8288) round trips, and arbitrary text."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from hubaction.errors import InvalidHeader
from hubaction.oci.challenge import Challenge, parse_www_authenticate
from hubaction.oci.link import Link, next_link, parse_link

# --- properties ---------------------------------------------------------------------------------

_TCHARS = "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
_tokens = st.text(alphabet=_TCHARS, min_size=1, max_size=12)
_values = st.text(
    alphabet=st.characters(min_codepoint=0x20, max_codepoint=0xFF, exclude_characters="\x7f")
    | st.just("\t"),
    max_size=20,
)
_token68s = st.builds(
    lambda body, pad: body + "=" * pad,
    st.text(
        alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~+/",
        min_size=1,
        max_size=12,
    ),
    st.integers(0, 2),
)
_challenges = st.one_of(
    st.builds(
        Challenge,
        _tokens,
        st.dictionaries(_tokens.map(str.lower), _values, max_size=4),
    ),
    st.builds(lambda scheme, t68: Challenge(scheme, token68=t68), _tokens, _token68s),
)


@settings(max_examples=200, deadline=None)
@given(st.lists(_challenges, max_size=4))
def test_challenges_round_trip(challenges: list[Challenge]) -> None:
    header = ", ".join(str(c) for c in challenges)
    assert parse_www_authenticate(header) == challenges
    for challenge in challenges:
        assert parse_www_authenticate(str(challenge)) == [challenge]


_links = st.builds(
    Link,
    st.text(
        alphabet=st.characters(min_codepoint=0x21, max_codepoint=0x7E, exclude_characters="<>"),
        max_size=30,
    ),
    st.dictionaries(_tokens.map(str.lower), _values, max_size=3),
)


@settings(max_examples=200, deadline=None)
@given(st.lists(_links, max_size=4))
def test_links_round_trip(links: list[Link]) -> None:
    assert parse_link(", ".join(str(link) for link in links)) == links


_header_text = st.text(
    alphabet=st.sampled_from('Bearer realm=",\\ \t;<>abc=/+\x01é'), max_size=40
) | st.text(max_size=40)


@settings(max_examples=200, deadline=None)
@given(_header_text)
def test_www_authenticate_arbitrary_text(header: str) -> None:
    try:
        result = parse_www_authenticate(header)
    except InvalidHeader:
        return
    assert all(isinstance(c, Challenge) for c in result)
    # Whatever parses, prints and parses back to the same thing.
    assert parse_www_authenticate(", ".join(map(str, result))) == result


@settings(max_examples=200, deadline=None)
@given(_header_text, st.sampled_from(["https://r/v2/a/tags/list?n=1", "http://h:5000/"]))
def test_link_arbitrary_text(header: str, base: str) -> None:
    try:
        links = parse_link(header)
        target = next_link(header, base)
    except InvalidHeader:
        return
    assert parse_link(", ".join(map(str, links))) == links
    assert target is None or isinstance(target, str)
