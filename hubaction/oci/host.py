"""Registry hosts, ``host[:port]``, as the first component of an image reference names them.

The grammar is distribution/reference's (``regexp.go``), a little stricter where stated (listed
in ``docs/differences.md``); pure, no resolving.
"""

from __future__ import annotations

import ipaddress
import re

__all__ = ["is_loopback_host", "registry_host_problem"]

# distribution/reference regexp.go, in ASCII (Python's \d also matches other scripts' digits):
#   host             := domain-component ( "." domain-component )* | "[" ipv6 "]"
#   domain-component := [a-zA-Z0-9] | [a-zA-Z0-9] [a-zA-Z0-9-]* [a-zA-Z0-9]
_DOMAIN_COMPONENT_RE = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?")
_PORT_RE = re.compile(r"[0-9]+")
# regexp.go `ipv6address`: hex digits and ':' only, so no zone ("%eth0") and no embedded IPv4
# ("::ffff:1.2.3.4", "64:ff9b::192.0.2.33"), which upstream leaves out on purpose.
_IPV6_CHARS_RE = re.compile(r"[0-9A-Fa-f:]+")


def registry_host_problem(host: str) -> str | None:
    """Why ``host[:port]`` is not a valid registry host, or None when it is."""
    if not host:
        return "the registry host is empty"
    if host.startswith("["):
        return _ip_literal_problem(host)
    return _domain_host_problem(host)


def _ip_literal_problem(host: str) -> str | None:
    """Why ``[ipv6][:port]`` is not a valid registry host, or None when it is."""
    # RFC 3986 IP-literal: the brackets keep the address's ':' apart from the port's.
    address, bracket, after = host[1:].partition("]")
    if not bracket:
        return f"the IPv6 registry host {host!r} has no closing ']'"
    if not _is_ipv6_address(address):
        return _dotted_problem(address, host) or f"{address!r} in {host!r} is not an IPv6 address"
    if not after:
        return None
    if not after.startswith(":"):
        return f"the registry host {host!r} has {after!r} after ']'; expected ':port'"
    return _port_problem(after[1:], host)


def _is_ipv6_address(address: str) -> bool:
    # Upstream's characters ([a-fA-F0-9:]+, checked first: ipaddress also accepts zones and
    # dotted IPv4 tails), and, stricter than upstream, an address ipaddress accepts ("[1:2]"
    # matches the grammar but names no host).
    if not _IPV6_CHARS_RE.fullmatch(address):
        return False
    try:
        ipaddress.IPv6Address(address)
    except ValueError:
        return False
    return True


def _dotted_problem(address: str, host: str) -> str | None:
    """For an IPv6 address with an IPv4 tail, what to write instead (the same address in hex)."""
    if "." not in address or "%" in address:
        return None
    try:
        packed = ipaddress.IPv6Address(address).packed
    except ValueError:
        return None
    groups = [f"{int.from_bytes(packed[i : i + 2], 'big'):x}" for i in range(0, 16, 2)]
    hex_form = ipaddress.IPv6Address(":".join(groups)).compressed
    if "." in hex_form:  # ipaddress writes IPv4-mapped addresses dotted again
        hex_form = ":".join(groups)
    return (
        f"{address!r} in {host!r} ends in a dotted IPv4 part; references take IPv6 addresses "
        f"in hex digits and ':' only (as distribution/reference does): write [{hex_form}]"
    )


def _domain_host_problem(host: str) -> str | None:
    """Why ``name[:port]`` is not a valid registry host, or None when it is."""
    name, colon, port = host.partition(":")
    if colon and ":" in port:
        return (
            f"the registry host {host!r} has more than one ':'; "
            "write IPv6 addresses in brackets, like '[::1]:5000'"
        )
    if not name:
        return f"the registry {host!r} has a port but no host name"
    for label in name.split("."):
        if not label:
            return f"the registry host {name!r} has an empty part between dots"
        if not _DOMAIN_COMPONENT_RE.fullmatch(label):
            return (
                f"the registry host {name!r} has the part {label!r}; host names use "
                "letters, digits and '-', and a part cannot start or end with '-'"
            )
    return _port_problem(port, host) if colon else None


def _port_problem(port: str, host: str) -> str | None:
    """Why ``port`` (of ``host``) is not a port number, or None when it is."""
    if not port:
        return f"the registry host {host!r} ends with ':' but has no port number"
    # Stricter than distribution's [0-9]+: a port is 1..65535. The regex, not int(), decides
    # what a number is, as int() also takes "5_0" and Arabic-Indic digits.
    if not _PORT_RE.fullmatch(port):
        return f"the port {port!r} of registry {host!r} is not a decimal number"
    if not 1 <= int(port) <= 65535:
        return f"the port {port!r} of registry {host!r} is not in 1..65535"
    return None


def is_loopback_host(hostname: str) -> bool:
    """Whether ``hostname`` is this machine: ``localhost``, 127.0.0.0/8 or ``::1``.

    Takes :attr:`Reference.hostname` (no port); IPv6 brackets are tolerated. An IPv4-mapped
    IPv6 address (``::ffff:127.0.0.1``) counts, as it reaches the IPv4 loopback. Names are not
    resolved: this is a pure function, and a DNS answer is not a reason to drop TLS.
    """
    host = hostname.lower()
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    if host == "localhost":
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped.is_loopback
    return address.is_loopback
