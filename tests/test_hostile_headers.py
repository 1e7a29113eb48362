"""Hostile registries, issue 13 §2: pathological ``WWW-Authenticate`` and ``Link`` values parse
or are refused in linear time, and every message that quotes registry data stays short.

One scenario per case. Time bounds are pytest-timeout marks on tests that do the whole batch,
never elapsed-time asserts.
"""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from fakes.server import FakeServer, Handler, Request, Response

from hubaction.dockerhub.models import parse_repository, parse_tag
from hubaction.errors import HubActionError, InvalidHeader, RegistryError
from hubaction.oci.challenge import (
    MAX_HEADER_CHARS,
    parse_www_authenticate,
    parse_www_authenticate_headers,
)
from hubaction.oci.link import next_link, parse_link
from hubaction.oci.manifest import parse_manifest
from hubaction.oci.mediatypes import OCI_INDEX, OCI_MANIFEST
from hubaction.oci.platform import Platform, parse_platform, platform_from_json, select_platform
from hubaction.oci.reference import parse_reference
from hubaction.registry.client import open_client

# As long as a header line gets through http.client (65536 bytes with its name and CRLF).
HOSTILE_CHARS = 64_000
LINES = 100
# A message quotes a few registry values, each cut by wire.quote_bounded, plus its advice.
MESSAGE_LIMIT = 1000


def fill(head: str, unit: str, tail: str, size: int) -> str:
    """``head``, then ``unit`` repeated, then ``tail``: at most ``size`` characters."""
    return head + unit * ((size - len(head) - len(tail)) // len(unit)) + tail


# (head, repeated unit, tail) -> what parsing the filled value gives: None when it parses,
# else a fragment of the InvalidHeader message.
AUTH_SHAPES: dict[str, tuple[tuple[str, str, str], str | None]] = {
    "backslash-run": (('Bearer realm="', "\\\\", '"'), None),
    "escaped-pairs": (('Bearer realm="', "\\a", '"'), None),
    "escaped-quotes-unterminated": (('Bearer realm="', '\\"', ""), "never closed"),
    "escape-of-a-control-character": (('Bearer realm="', "\\a", "\\\x01"), "backslash"),
    "unterminated-quote": (('Bearer realm="', "x", ""), "never closed"),
    "quoted-commas": (('Bearer realm="', ",", '"'), None),
    "commas": (("Bearer ", ",", ""), None),
    "empty-elements": (("", ", ", ""), None),
    "repeated-parameter": (("Bearer ", "a=b,", ""), "appears twice"),
    "many-challenges": (("", "Basic,", ""), "more than 32 challenges"),
    "long-token68": (("Bearer ", "a", "=="), None),
    "equals-run": (("Bearer a", "=", ""), None),
    "long-scheme-then-garbage": (("", "B", "@"), "unexpected '@' after auth scheme"),
    "whitespace": (("Bearer", " \t", ""), None),
}

LINK_SHAPES: dict[str, tuple[tuple[str, str, str], str | None]] = {
    "backslash-run": (('<u>; rel="', "\\\\", '"'), None),
    "escaped-quotes-unterminated": (('<u>; rel="', '\\"', ""), "never closed"),
    "semicolon-run": (("<u>", ";", ""), None),
    "semicolons-and-spaces": (("<u>", "; ", ""), None),
    "many-parameters": (("<u>", "; a", ""), "more than 64 parameters"),
    "many-links": (("", "<u>,", ""), "more than 32 links"),
    "unclosed-target": (("<", "u", ""), "never closed with '>'"),
    "commas": (("", ",", ""), None),
    "long-target": (("<", "u", '>; rel="next"'), None),
    "quoted-parameters": (("<u>", '; a="\\""', ""), "more than 64 parameters"),
}


def hostile_lines(
    shapes: dict[str, tuple[tuple[str, str, str], str | None]], size: int
) -> list[str]:
    """:data:`LINES` header values of ``size`` characters, going round ``shapes``."""
    forms = [fill(*form, size) for form, _ in shapes.values()]
    return [forms[i % len(forms)] for i in range(LINES)]


def parse_or_refuse(parse: Callable[[str], object], value: str) -> str | None:
    """None when ``value`` parses, else the (bounded) InvalidHeader message."""
    try:
        parse(value)
    except InvalidHeader as exc:
        assert len(str(exc)) <= MESSAGE_LIMIT
        return str(exc)
    return None


@pytest.mark.parametrize(("shape", "outcome"), AUTH_SHAPES.values(), ids=list(AUTH_SHAPES))
def test_pathological_www_authenticate_at_the_bound(
    shape: tuple[str, str, str], outcome: str | None
) -> None:
    value = fill(*shape, MAX_HEADER_CHARS)
    message = parse_or_refuse(parse_www_authenticate, value)
    if outcome is None:
        assert message is None
    else:
        assert message is not None and outcome in message


@pytest.mark.parametrize(("shape", "outcome"), LINK_SHAPES.values(), ids=list(LINK_SHAPES))
def test_pathological_link_at_the_bound(shape: tuple[str, str, str], outcome: str | None) -> None:
    value = fill(*shape, MAX_HEADER_CHARS)
    message = parse_or_refuse(parse_link, value)
    if outcome is None:
        assert message is None
    else:
        assert message is not None and outcome in message


@pytest.mark.parametrize(
    ("head", "tail", "parse"),
    [('Bearer realm="', '"', parse_www_authenticate), ("<", '>; rel="next"', parse_link)],
    ids=["WWW-Authenticate", "Link"],
)
def test_the_size_bound_is_exact(head: str, tail: str, parse: Callable[[str], object]) -> None:
    value = fill(head, "x", tail, MAX_HEADER_CHARS)
    assert len(value) == MAX_HEADER_CHARS
    assert parse_or_refuse(parse, value) is None
    message = parse_or_refuse(parse, value + " ")
    assert message is not None and "longer than" in message


@pytest.mark.timeout(1)
@pytest.mark.parametrize(
    ("shapes", "parse"),
    [(AUTH_SHAPES, parse_www_authenticate), (LINK_SHAPES, parse_link)],
    ids=["WWW-Authenticate", "Link"],
)
def test_hundred_lines_at_the_bound_take_under_a_second(
    shapes: dict[str, tuple[tuple[str, str, str], str | None]],
    parse: Callable[[str], object],
) -> None:
    # Just within the bound, so every line is really parsed: quadratic escapes took 0.6 s
    # for one such line before.
    for value in hostile_lines(shapes, MAX_HEADER_CHARS):
        parse_or_refuse(parse, value)


@pytest.mark.timeout(1)
@pytest.mark.parametrize(
    ("shapes", "parse"),
    [(AUTH_SHAPES, parse_www_authenticate), (LINK_SHAPES, parse_link)],
    ids=["WWW-Authenticate", "Link"],
)
def test_hundred_lines_of_64_kB_are_refused_under_a_second(
    shapes: dict[str, tuple[tuple[str, str, str], str | None]],
    parse: Callable[[str], object],
) -> None:
    for value in hostile_lines(shapes, HOSTILE_CHARS):
        message = parse_or_refuse(parse, value)
        assert message is not None
        assert f"longer than the {MAX_HEADER_CHARS} characters hubaction reads" in message


@pytest.mark.timeout(1)
def test_hundred_lines_joined_as_the_http_client_does_are_refused() -> None:
    # requests joins repeated header lines with ", ": 6.4 MB in one value.
    joined = ", ".join(hostile_lines(AUTH_SHAPES, HOSTILE_CHARS))
    with pytest.raises(InvalidHeader, match="longer than"):
        parse_www_authenticate(joined)
    with pytest.raises(InvalidHeader, match="longer than"):
        next_link(", ".join(hostile_lines(LINK_SHAPES, HOSTILE_CHARS)), "https://r/v2/a/tags/list")


@pytest.mark.timeout(1)
def test_many_small_lines_are_bounded_in_all() -> None:
    with pytest.raises(InvalidHeader, match="more than 32 challenges") as info:
        parse_www_authenticate_headers(['Basic realm="r"'] * LINES)
    assert len(str(info.value)) <= MESSAGE_LIMIT


# --- against a fake registry ----------------------------------------------------------------

# http.client refuses more than 100 header lines; the server adds a few of its own.
SERVED_LINES = 90


def hostile_registry(
    name: str, shapes: dict[str, tuple[tuple[str, str, str], str | None]]
) -> Handler:
    """A registry that answers every request with :data:`SERVED_LINES` hostile ``name`` lines:
    a 401 for ``WWW-Authenticate``, a tag page for ``Link``."""
    values = hostile_lines(shapes, HOSTILE_CHARS)[:SERVED_LINES]
    headers = tuple((name, value) for value in values)

    def handler(request: Request) -> Response:
        if name == "WWW-Authenticate":
            return Response.json(401, {"errors": [{"code": "UNAUTHORIZED"}]}).with_headers(headers)
        return Response.json(200, {"name": "app", "tags": ["1"]}).with_headers(headers)

    return handler


@pytest.mark.timeout(10)
def test_registry_sending_hostile_challenges_gets_one_clear_error(
    serve: Callable[[Handler], FakeServer],
) -> None:
    server = serve(hostile_registry("WWW-Authenticate", AUTH_SHAPES))
    with pytest.raises(InvalidHeader) as info:
        open_client().get_manifest(parse_reference(f"{server.host}/app:1"))
    assert "WWW-Authenticate" in str(info.value)
    assert len(str(info.value)) <= MESSAGE_LIMIT


@pytest.mark.timeout(10)
def test_registry_sending_hostile_links_gets_one_clear_error(
    serve: Callable[[Handler], FakeServer],
) -> None:
    server = serve(hostile_registry("Link", LINK_SHAPES))
    with pytest.raises(RegistryError) as info:
        open_client().list_tags(parse_reference(f"{server.host}/app:1"))
    assert "Link" in str(info.value)
    assert len(str(info.value)) <= MESSAGE_LIMIT


# --- messages quoting registry data ---------------------------------------------------------

HUGE = 3 * 1024 * 1024


def _index(entry: dict[str, object]) -> bytes:
    return json.dumps({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": [entry]}).encode()


DIGEST = "sha256:" + "a" * 64
BOUNDED_MESSAGES: dict[str, Callable[[], object]] = {
    "platform-os-3MB": lambda: platform_from_json({"os": "l" * HUGE, "architecture": 1}),
    "platform-not-an-object": lambda: platform_from_json(["x" * HUGE] * 10),
    "platform-value-a-huge-list": lambda: platform_from_json(
        {"os": "linux", "architecture": ["amd64"] * 100_000}
    ),
    "platform-not-found-3MB-names": lambda: select_platform(
        parse_platform("linux/amd64"), [(Platform("l" * HUGE, "x" * HUGE, "v" * HUGE), 1)]
    ),
    "platform-not-found-10000-platforms": lambda: select_platform(
        parse_platform("linux/amd64"), [(Platform("linux", f"arch{i}"), i) for i in range(10_000)]
    ),
    "platform-with-controls": lambda: select_platform(
        parse_platform("linux/amd64"), [(Platform("linux\n::error::" * 10_000, "amd64"), 1)]
    ),
    "huge-media-type": lambda: parse_manifest(
        json.dumps({"schemaVersion": 2, "mediaType": "application/" + "x" * HUGE}).encode(), None
    ),
    "huge-descriptor-digest-without-size": lambda: parse_manifest(
        _index({"mediaType": OCI_MANIFEST, "digest": "sha256:" + "z" * HUGE}), None
    ),
    "huge-platform-in-an-index": lambda: parse_manifest(
        _index(
            {"mediaType": OCI_MANIFEST, "digest": DIGEST, "size": 1, "platform": {"os": "l" * HUGE}}
        ),
        None,
    ),
    "hub-huge-tag": lambda: parse_tag({"name": "t" * HUGE}),
    "hub-huge-time": lambda: parse_tag({"name": "1", "last_updated": "2024" * HUGE}),
    "hub-huge-count": lambda: parse_tag({"name": "1", "full_size": ["x" * 1000] * 1000}),
    "hub-huge-digest": lambda: parse_tag({"name": "1", "digest": "sha256:" + "g" * HUGE}),
    "hub-huge-repository": lambda: parse_repository({"name": "r" * HUGE, "namespace": "a"}),
    "challenge-huge-scheme": lambda: parse_www_authenticate("B" * (MAX_HEADER_CHARS - 1) + "@"),
    "challenge-huge-parameter-name": lambda: parse_www_authenticate(
        "Bearer " + "p" * (MAX_HEADER_CHARS - 20) + "=x x"
    ),
    "link-huge-target": lambda: parse_link("<" + "u" * (MAX_HEADER_CHARS - 1) + "\x01"),
}


@pytest.mark.parametrize("make", BOUNDED_MESSAGES.values(), ids=list(BOUNDED_MESSAGES))
def test_messages_quoting_registry_data_are_bounded(make: Callable[[], object]) -> None:
    with pytest.raises(HubActionError) as info:
        make()
    message = str(info.value)
    assert len(message) <= MESSAGE_LIMIT, message[:2000]
    assert "\n" not in message
