"""Tests for hubaction.oci.reference: tables of valid and invalid references, plus properties.

Cases follow distribution/reference (reference_test.go, normalize_test.go) and regclient
types/ref (ref_test.go), adapted to hubaction's documented choices.
"""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hubaction.errors import InvalidDigest, InvalidReference
from hubaction.oci.digest import parse_digest
from hubaction.oci.reference import (
    DOCKER_HUB,
    DOCKER_HUB_API_HOST,
    NAME_TOTAL_LENGTH_MAX,
    Reference,
    parse_reference,
    parse_tag,
)

H64 = "0123456789abcdef" * 4
H128 = H64 * 2
D64 = f"sha256:{H64}"
D128 = f"sha512:{H128}"

# --------------------------------------------------------------------------------------------
# Tags


@pytest.mark.parametrize("tag", ["latest", "1", "_", "1.2.3-alpine_x", "A" * 128, "v1.0-RC.1"])
def test_parse_tag_valid(tag: str) -> None:
    assert parse_tag(tag) == tag


@pytest.mark.parametrize(
    ("tag", "message"),
    [
        ("", "the tag is empty"),
        (".hidden", "starts with '.'"),
        ("-x", "starts with '-'"),
        ("a" * 129, "129 characters long; tags have at most 128"),
        ("a/b", "contains '/'"),
        ("a+b", "contains '+'"),
        ("é", "contains 'é'"),  # Python's \w is Unicode, Go's (and the grammar's) is ASCII
        ("\u0661\u0662", "contains"),  # Arabic-Indic digits: \d in Python, not in the grammar
        (" latest", "whitespace"),
    ],
)
def test_parse_tag_invalid(tag: str, message: str) -> None:
    with pytest.raises(InvalidReference, match=None) as caught:
        parse_tag(tag)
    assert message in str(caught.value)
    assert repr(tag) in str(caught.value)


# --------------------------------------------------------------------------------------------
# References: valid

# (input, registry, repository, tag, digest, canonical str)
VALID = [
    ("node", DOCKER_HUB, "library/node", "latest", None, "docker.io/library/node:latest"),
    ("node:20", DOCKER_HUB, "library/node", "20", None, "docker.io/library/node:20"),
    ("node:20.1-alpine3.19", DOCKER_HUB, "library/node", "20.1-alpine3.19", None, None),
    (f"node@{D64}", DOCKER_HUB, "library/node", None, D64, f"docker.io/library/node@{D64}"),
    (f"node:1@{D64}", DOCKER_HUB, "library/node", "1", D64, f"docker.io/library/node:1@{D64}"),
    (f"node@{D128}", DOCKER_HUB, "library/node", None, D128, None),
    ("myorg/app:1", DOCKER_HUB, "myorg/app", "1", None, "docker.io/myorg/app:1"),
    ("myorg/app", DOCKER_HUB, "myorg/app", "latest", None, "docker.io/myorg/app:latest"),
    ("docker.io/node", DOCKER_HUB, "library/node", "latest", None, None),
    ("docker.io/library/node:20", DOCKER_HUB, "library/node", "20", None, None),
    ("docker.io/myorg/app", DOCKER_HUB, "myorg/app", "latest", None, None),
    ("index.docker.io/library/node", DOCKER_HUB, "library/node", "latest", None, None),
    ("index.docker.io/node:1", DOCKER_HUB, "library/node", "1", None, None),
    ("registry-1.docker.io/library/node", DOCKER_HUB, "library/node", "latest", None, None),
    ("Docker.IO/node", DOCKER_HUB, "library/node", "latest", None, None),
    ("library/node", DOCKER_HUB, "library/node", "latest", None, None),
    ("library/a/b", DOCKER_HUB, "library/a/b", "latest", None, None),
    ("a/b/c/d/e", DOCKER_HUB, "a/b/c/d/e", "latest", None, None),
    ("ghcr.io/o/a:1", "ghcr.io", "o/a", "1", None, "ghcr.io/o/a:1"),
    (f"ghcr.io/o/a@{D64}", "ghcr.io", "o/a", None, D64, f"ghcr.io/o/a@{D64}"),
    ("ghcr.io/app", "ghcr.io", "app", "latest", None, "ghcr.io/app:latest"),
    ("GHCR.io/o/a", "ghcr.io", "o/a", "latest", None, "ghcr.io/o/a:latest"),
    ("example.com/a/b/c:tag", "example.com", "a/b/c", "tag", None, None),
    ("sub-1.example.co.uk/x", "sub-1.example.co.uk", "x", "latest", None, None),
    ("localhost/app", "localhost", "app", "latest", None, "localhost/app:latest"),
    ("LocalHost/app", "localhost", "app", "latest", None, "localhost/app:latest"),
    ("localhost:5000/app:1", "localhost:5000", "app", "1", None, "localhost:5000/app:1"),
    ("localhost:1/a", "localhost:1", "a", "latest", None, None),
    ("localhost:65535/a", "localhost:65535", "a", "latest", None, None),
    ("127.0.0.1:5000/a/b", "127.0.0.1:5000", "a/b", "latest", None, None),
    ("127.0.0.1/a", "127.0.0.1", "a", "latest", None, None),
    ("[::1]:5000/app", "[::1]:5000", "app", "latest", None, "[::1]:5000/app:latest"),
    ("[::1]/app:2", "[::1]", "app", "2", None, "[::1]/app:2"),
    ("[2001:DB8::1]:443/x", "[2001:db8::1]:443", "x", "latest", None, None),
    ("[::ffff:a00:1]:5000/x", "[::ffff:a00:1]:5000", "x", "latest", None, None),
    # Upper case makes the first component a host (normalize.go); kept as written, since
    # lowercased it would read as a Docker Hub namespace.
    ("Foo/bar", "Foo", "bar", "latest", None, "Foo/bar:latest"),
    ("LOCALDOMAIN/a/b:1", "LOCALDOMAIN", "a/b", "1", None, None),
    ("Registry:5000/app", "registry:5000", "app", "latest", None, None),  # still a host lowered
    ("registry:5000/app", "registry:5000", "app", "latest", None, "registry:5000/app:latest"),
    ("foo_bar/baz__qux/a-b---c", DOCKER_HUB, "foo_bar/baz__qux/a-b---c", "latest", None, None),
    ("a.b.c/d", "a.b.c", "d", "latest", None, None),  # '.' first: a host
    ("docker.io/my.org/app", DOCKER_HUB, "my.org/app", "latest", None, None),
    ("a0/b.c_d-e", DOCKER_HUB, "a0/b.c_d-e", "latest", None, None),
    ("node:_", DOCKER_HUB, "library/node", "_", None, None),
    ("node:" + "T" * 128, DOCKER_HUB, "library/node", "T" * 128, None, None),
    ("node:UPPER_ok", DOCKER_HUB, "library/node", "UPPER_ok", None, None),
    # A registry without '/' is a Hub repository named like it, as in Docker.
    ("localhost", DOCKER_HUB, "library/localhost", "latest", None, None),
    ("localhost:5000", DOCKER_HUB, "library/localhost", "5000", None, None),
    ("ghcr.io", DOCKER_HUB, "library/ghcr.io", "latest", None, None),
    (f"sha256@{D64}", DOCKER_HUB, "library/sha256", None, D64, None),
    ("0" * 63, DOCKER_HUB, "library/" + "0" * 63, "latest", None, None),
    ("multi:" + "a" * 40, DOCKER_HUB, "library/multi", "a" * 40, None, None),
]


@pytest.mark.parametrize(("text", "registry", "repository", "tag", "digest", "canonical"), VALID)
def test_parse_reference_valid(
    text: str,
    registry: str,
    repository: str,
    tag: str | None,
    digest: str | None,
    canonical: str | None,
) -> None:
    ref = parse_reference(text)
    assert ref.registry == registry
    assert ref.repository == repository
    assert ref.tag == tag
    assert (str(ref.digest) if ref.digest else None) == digest
    expected = f"{registry}/{repository}"
    expected += f":{tag}" if tag is not None else ""
    expected += f"@{digest}" if digest is not None else ""
    assert str(ref) == expected
    if canonical is not None:
        assert str(ref) == canonical
    assert ref.name == f"{registry}/{repository}"
    # The canonical form and the familiar form both read back as the same reference.
    assert parse_reference(str(ref)) == ref
    assert parse_reference(ref.familiar) == ref


@pytest.mark.parametrize(
    ("text", "familiar"),
    [
        ("node", "node:latest"),
        ("docker.io/library/node:20", "node:20"),
        ("myorg/app:1", "myorg/app:1"),
        ("ghcr.io/o/a:1", "ghcr.io/o/a:1"),
        ("library/a/b:1", "library/a/b:1"),  # stripping library/ would name repository a/b
        ("docker.io/my.org/app:1", "docker.io/my.org/app:1"),  # my.org/app would be a host
        ("docker.io/localhost/app:1", "docker.io/localhost/app:1"),
        (f"node:1@{D64}", f"node:1@{D64}"),
        ("localhost:5000/app", "localhost:5000/app:latest"),
    ],
)
def test_familiar(text: str, familiar: str) -> None:
    assert parse_reference(text).familiar == familiar


@pytest.mark.parametrize(
    ("text", "api_host", "hostname", "is_hub"),
    [
        ("node", DOCKER_HUB_API_HOST, "docker.io", True),
        ("index.docker.io/x/y", DOCKER_HUB_API_HOST, "docker.io", True),
        ("ghcr.io/o/a", "ghcr.io", "ghcr.io", False),
        ("localhost:5000/a", "localhost:5000", "localhost", False),
        ("[::1]:5000/a", "[::1]:5000", "::1", False),
        ("[::1]/a", "[::1]", "::1", False),
        ("docker.io:443/a", "docker.io:443", "docker.io", False),  # only the bare names alias
    ],
)
def test_hosts(text: str, api_host: str, hostname: str, is_hub: bool) -> None:
    ref = parse_reference(text)
    assert ref.api_host == api_host
    assert ref.hostname == hostname
    assert ref.is_docker_hub is is_hub


def test_default_tag() -> None:
    assert parse_reference("node", default_tag=None).tag is None
    assert str(parse_reference("node", default_tag=None)) == "docker.io/library/node"
    assert parse_reference("node", default_tag="20").tag == "20"
    assert parse_reference("node:1", default_tag=None).tag == "1"
    assert parse_reference(f"node@{D64}", default_tag="x").tag is None
    with pytest.raises(InvalidReference, match="starts with '-'"):
        parse_reference("node", default_tag="-bad")


def test_with_tag_and_digest() -> None:
    ref = parse_reference(f"ghcr.io/o/a:1@{D64}")
    assert str(ref.with_tag("2")) == f"ghcr.io/o/a:2@{D64}"
    with pytest.raises(InvalidReference, match=r"invalid tag 'a/b'"):
        ref.with_tag("a/b")
    plain = parse_reference("ghcr.io/o/a:1")
    assert str(plain.with_digest(D128)) == f"ghcr.io/o/a:1@{D128}"
    assert plain.with_digest(parse_digest(D64)) == ref
    with pytest.raises(InvalidDigest, match="exactly 64"):
        plain.with_digest("sha256:00")


def test_identifier() -> None:
    assert parse_reference("node").identifier() == "latest"
    assert parse_reference(f"node:1@{D64}").identifier() == D64
    assert parse_reference(f"node@{D64}").identifier() == D64
    with pytest.raises(InvalidReference, match="neither a tag nor a digest"):
        parse_reference("node", default_tag=None).identifier()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"registry": "Docker.io", "repository": "library/x"}, "not in canonical form"),
        ({"registry": "index.docker.io", "repository": "library/x"}, "'docker.io'"),
        ({"registry": "docker.io", "repository": "node"}, "'library/node'"),
        ({"registry": "ghcr.io", "repository": "A/b"}, "uppercase"),
        ({"registry": "ghcr.io:99999", "repository": "a"}, "not in 1..65535"),
        ({"registry": "ghcr.io", "repository": "a", "tag": ".x"}, "starts with '.'"),
        ({"registry": "ghcr.io", "repository": "a", "digest": D64}, "must be a Digest"),
    ],
)
def test_reference_constructor_validates(kwargs: dict[str, str], message: str) -> None:
    with pytest.raises(InvalidReference) as caught:
        Reference(**kwargs)  # type: ignore[arg-type]
    assert message in str(caught.value)


def test_reference_is_frozen() -> None:
    ref = parse_reference("node")
    with pytest.raises(dataclasses.FrozenInstanceError):
        ref.tag = "x"  # type: ignore[misc]


# --------------------------------------------------------------------------------------------
# References: invalid

LONG_PATH = "a" * (NAME_TOTAL_LENGTH_MAX - len("library/") + 1)

# (input, error class, fragment of the message)
INVALID: list[tuple[str, type[InvalidReference], str]] = [
    ("", InvalidReference, "image reference is empty"),
    (" node", InvalidReference, "leading or trailing whitespace"),
    ("node ", InvalidReference, "leading or trailing whitespace"),
    ("node\n", InvalidReference, "leading or trailing whitespace"),
    ("no de", InvalidReference, "contains ' ' at position 2"),
    ("node\x00", InvalidReference, "contains '\\x00'"),
    ("Node", InvalidReference, "component 'Node' has uppercase letters"),
    ("Foo/Bar", InvalidReference, "component 'Bar' has uppercase letters; image names must be"),
    ("Foo_x/bar", InvalidReference, "read as a registry host because it has upper-case letters"),
    ("Foo_x/bar", InvalidReference, "for Docker Hub write foo_x/bar"),
    ("ghcr.io/Org/app", InvalidReference, "component 'Org' has uppercase letters"),
    ("a//b", InvalidReference, "has an empty component"),
    ("a/", InvalidReference, "has an empty component"),
    ("/a", InvalidReference, "has an empty component"),
    ("ghcr.io//a", InvalidReference, "has an empty component"),
    ("ghcr.io/", InvalidReference, "names the registry 'ghcr.io' but no repository"),
    ("a:b:c", InvalidReference, "more than one tag"),
    ("ghcr.io/a:b:c", InvalidReference, "more than one tag"),
    ("node:", InvalidReference, "':' but no tag after it"),
    (f"node:@{D64}", InvalidReference, "':' but no tag after it"),
    ("node:.x", InvalidReference, "the tag '.x' starts with '.'"),
    ("node:-x", InvalidReference, "the tag '-x' starts with '-'"),
    ("node:" + "a" * 129, InvalidReference, "129 characters long; tags have at most 128"),
    ("node:a+b", InvalidReference, "contains '+'"),
    ("node:tést", InvalidReference, "contains 'é'"),
    ("x/y:1/z", InvalidReference, "':' appears inside the repository path"),
    ("node@", InvalidReference, "ends with '@' but no digest follows"),
    (f"@{D64}", InvalidReference, "no image name before '@'"),
    (f"node@{D64}@{D64}", InvalidReference, "more than one '@'"),
    ("node@sha256:abc", InvalidDigest, "exactly 64 hex digits, this one has 3"),
    (f"node@{D64.upper()}", InvalidDigest, "must be lowercase"),
    (f"node@{H64}", InvalidDigest, "has no ':'"),
    (f"node@sha256:{H64.upper()}", InvalidDigest, "lowercase hex"),
    ("node@md5:abc", InvalidDigest, "not at least 32 hex digits"),
    ("a_/b", InvalidReference, "component 'a_' is not valid"),
    ("_a", InvalidReference, "component '_a' is not valid"),
    ("a___b", InvalidReference, "component 'a___b' is not valid"),
    ("a-", InvalidReference, "component 'a-' is not valid"),
    ("a..b", InvalidReference, "component 'a..b' is not valid"),
    ("a/b.", InvalidReference, "component 'b.' is not valid"),
    ("-host.io/a", InvalidReference, "has the part '-host'"),
    ("host-.io/a", InvalidReference, "has the part 'host-'"),
    ("a..io/b", InvalidReference, "empty part between dots"),
    ("ho_st.io/a", InvalidReference, "has the part 'ho_st'"),
    ("localhost:/a", InvalidReference, "ends with ':' but has no port number"),
    (":5000/a", InvalidReference, "has a port but no host name"),
    ("localhost:0/a", InvalidReference, "not in 1..65535"),
    ("localhost:65536/a", InvalidReference, "not in 1..65535"),
    ("localhost:50a/a", InvalidReference, "is not a decimal number"),
    ("localhost:+5/a", InvalidReference, "is not a decimal number"),
    ("localhost:5_0/a", InvalidReference, "is not a decimal number"),  # int() would take it
    ("localhost:\u0665\u0660/a", InvalidReference, "not a decimal number"),  # Arabic digits
    ("a:1:2/b", InvalidReference, "more than one ':'"),
    ("::1/a", InvalidReference, "more than one ':'"),
    ("[::1/a", InvalidReference, "no closing ']'"),
    ("[::g]/a", InvalidReference, "is not an IPv6 address"),
    ("[1:2:3]/a", InvalidReference, "is not an IPv6 address"),
    ("[fe80::1%eth0]/a", InvalidReference, "is not an IPv6 address"),
    ("[::ffff:10.0.0.1]/a", InvalidReference, "dotted IPv4 part; references take IPv6"),
    ("[::ffff:10.0.0.1]/a", InvalidReference, "write [::ffff:a00:1]"),
    ("[::1]5000/a", InvalidReference, "expected ':port'"),
    ("[::1]:/a", InvalidReference, "no port number"),
    ("[::1]:5000", InvalidReference, "only a registry host"),
    (LONG_PATH, InvalidReference, f"{NAME_TOTAL_LENGTH_MAX + 1} characters long"),
    ("ghcr.io/" + "a" * 256, InvalidReference, "256 characters long"),
    (H64, InvalidReference, "image ID"),
    (D64, InvalidReference, f"write '<image>@{D64}'"),
    (D128, InvalidReference, "digest without an image name"),
]


@pytest.mark.parametrize(("text", "error", "message"), INVALID)
def test_parse_reference_invalid(text: str, error: type[InvalidReference], message: str) -> None:
    with pytest.raises(error) as caught:
        parse_reference(text)
    assert message in str(caught.value)
    if text:
        assert repr(text) in str(caught.value)
    if error is InvalidReference:
        assert not isinstance(caught.value, InvalidDigest)


def test_length_limit_is_inclusive() -> None:
    # 255 characters exactly is fine, counted on the path after normalising (library/ counted,
    # the registry not), as distribution/reference reference.go Parse measures it.
    path = "a" * (NAME_TOTAL_LENGTH_MAX - len("library/"))
    assert len(parse_reference(path).repository) == NAME_TOTAL_LENGTH_MAX
    long_host = "r" * 60 + ".example.com"
    ref = parse_reference(f"{long_host}/" + "a" * NAME_TOTAL_LENGTH_MAX)
    assert len(ref.repository) == NAME_TOTAL_LENGTH_MAX
    assert len(ref.name) > NAME_TOTAL_LENGTH_MAX
    with pytest.raises(InvalidReference, match="256 characters long"):
        Reference(registry="ghcr.io", repository="a" * (NAME_TOTAL_LENGTH_MAX + 1))


def test_reference_reexports_what_callers_import_from_it() -> None:
    # Digest, parse_digest and is_loopback_host moved to oci.digest and oci.host; callers
    # outside oci still import them from here.
    from hubaction.oci import digest, host, reference

    assert reference.Digest is digest.Digest
    assert reference.parse_digest is digest.parse_digest
    assert reference.is_loopback_host is host.is_loopback_host


# --------------------------------------------------------------------------------------------
# Properties

_component = st.from_regex(r"[a-z0-9]{1,4}(?:(?:[._]|__|-{1,3})[a-z0-9]{1,4}){0,2}", fullmatch=True)
_label = st.from_regex(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,5}[A-Za-z0-9])?", fullmatch=True)
_domain = st.lists(_label, min_size=2, max_size=3).map(".".join)
_port = st.integers(1, 65535).map(str)
# Hex only: distribution/reference refuses a dotted IPv4 tail (ipaddress writes mapped ones so).
_ipv6 = st.ip_addresses(v=6).map(lambda a: f"[{a}]").filter(lambda a: "." not in a)
_host = st.one_of(
    st.just(""),  # Docker Hub, implicitly
    st.sampled_from(["docker.io", "index.docker.io", "localhost", "LOCALHOST", "ghcr.io"]),
    _domain,
    st.tuples(st.one_of(_domain, st.just("localhost"), _ipv6), _port).map(":".join),
    _ipv6,
)
_tag = st.from_regex(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,20}", fullmatch=True)
_digest = st.one_of(
    st.text("0123456789abcdef", min_size=64, max_size=64).map(lambda h: f"sha256:{h}"),
    st.text("0123456789abcdef", min_size=128, max_size=128).map(lambda h: f"sha512:{h}"),
)


@st.composite
def _reference_texts(draw: st.DrawFn) -> str:
    host = draw(_host)
    components = draw(st.lists(_component, min_size=1, max_size=4))
    if not host and len(components) > 1 and "." in components[0]:
        # Without a registry, a first component with '.' is read as a host (Docker's rule),
        # so this text would name another registry; name Docker Hub explicitly instead.
        host = "docker.io"
    path = "/".join(components)
    text = f"{host}/{path}" if host else path
    if draw(st.booleans()):
        text += ":" + draw(_tag)
    if draw(st.booleans()):
        text += "@" + draw(_digest)
    return text


@settings(max_examples=200, deadline=None)
@given(_reference_texts())
def test_round_trip(text: str) -> None:
    # Generated texts are valid by construction; the two documented refusals (a bare 64-hex
    # name, a bare sha256:<hex>) cannot be produced by these strategies.
    ref = parse_reference(text, default_tag=None)
    canonical = str(ref)
    again = parse_reference(canonical, default_tag=None)
    assert again == ref
    assert str(again) == canonical
    assert parse_reference(ref.familiar, default_tag=None) == ref
    assert ref.registry == ref.registry.lower()
    assert ref.name == f"{ref.registry}/{ref.repository}"


@settings(max_examples=200, deadline=None)
@given(_reference_texts())
def test_default_tag_only_without_tag_or_digest(text: str) -> None:
    bare = parse_reference(text, default_tag=None)
    ref = parse_reference(text)
    if bare.tag is None and bare.digest is None:
        assert ref == bare.with_tag("latest")
    else:
        assert ref == bare


_ALPHABET = "aAz09._-/:@[]%+ \t\nlocahstdkri1é"


@settings(max_examples=200, deadline=None)
@given(st.one_of(st.text(), st.text(alphabet=_ALPHABET, max_size=30), _reference_texts()))
def test_arbitrary_text_never_raises_anything_else(text: str) -> None:
    try:
        ref = parse_reference(text)
    except InvalidReference as error:
        assert str(error)
    else:
        assert parse_reference(str(ref)) == ref
