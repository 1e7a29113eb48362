"""Tests for hubaction.oci.host: registry hosts and loopback, as tables."""

from __future__ import annotations

import pytest

from hubaction.oci.host import is_loopback_host, registry_host_problem


@pytest.mark.parametrize(
    "host",
    [
        "ghcr.io",
        "localhost",
        "LOCALHOST:5000",
        "a-b.example.com:443",
        "127.0.0.1:65535",
        "[::1]",
        "[::1]:1",
        "[::ffff:7f00:1]:5000",
        "x",
    ],
)
def test_registry_host_valid(host: str) -> None:
    assert registry_host_problem(host) is None


@pytest.mark.parametrize(
    ("host", "problem"),
    [
        ("", "the registry host is empty"),
        ("[::1", "the IPv6 registry host '[::1' has no closing ']'"),
        ("[::g]", "'::g' in '[::g]' is not an IPv6 address"),
        ("[fe80::1%eth0]", "is not an IPv6 address"),  # ipaddress takes zones, references not
        ("[::ffff:127.0.0.1]", "dotted IPv4 part"),  # regexp.go ipv6address: hex and ':' only
        ("[64:ff9b::192.0.2.33]:5000", "write [64:ff9b::c000:221]"),
        ("[::g]5000", "is not an IPv6 address"),  # the address is checked before what follows
        ("[::1]5000", "has '5000' after ']'; expected ':port'"),
        ("[::1]:", "ends with ':' but has no port number"),
        ("[::1]:0", "the port '0' of registry '[::1]:0' is not in 1..65535"),
        ("a:1:2", "has more than one ':'"),
        (":5000", "has a port but no host name"),
        ("a..io", "the registry host 'a..io' has an empty part between dots"),
        ("-a.io", "has the part '-a'"),
        ("a_b.io:5000", "has the part 'a_b'"),  # the name is checked before the port
        ("a-.io:x", "has the part 'a-'"),
        ("a.io:", "ends with ':' but has no port number"),
        ("a.io:5_0", "the port '5_0' of registry 'a.io:5_0' is not a decimal number"),
        ("a.io:\u0665\u0660", "is not a decimal number"),
        ("a.io:65536", "is not in 1..65535"),
    ],
)
def test_registry_host_invalid(host: str, problem: str) -> None:
    found = registry_host_problem(host)
    assert found is not None
    assert problem in found


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("localhost", True),
        ("LOCALHOST", True),
        ("127.0.0.1", True),
        ("127.255.0.9", True),
        ("::1", True),
        ("[::1]", True),
        ("::ffff:127.0.0.1", True),
        ("0:0:0:0:0:0:0:1", True),
        ("128.0.0.1", False),
        ("10.0.0.1", False),
        ("::2", False),
        ("localhost.example.com", False),
        ("example.com", False),
        ("", False),
        ("127.1", False),  # not a dotted quad; would need resolving
    ],
)
def test_is_loopback_host(host: str, expected: bool) -> None:
    assert is_loopback_host(host) is expected
