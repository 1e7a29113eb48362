"""Image references: ``[registry/]repository[:tag][@digest]``, parsed once into a value.

An image reference names a repository in a registry and, optionally, one manifest in it, either
by tag (mutable: ``node:20``) or by digest (immutable: ``node@sha256:...``), or both, in which
case the digest wins and the tag is only a label. The grammar is the one of
``distribution/reference`` (``regexp.go``), which Docker, containerd, go-containerregistry
(``pkg/name``) and regclient (``types/ref``) all follow::

    reference  := name [ ":" tag ] [ "@" digest ]
    name       := [ host [ ":" port ] "/" ] path-component ( "/" path-component )*
    path-component := [a-z0-9]+ ( ( "." | "_" | "__" | "-"+ ) [a-z0-9]+ )*
    host       := domain-component ( "." domain-component )* | "[" ipv6 "]"
    domain-component := [a-zA-Z0-9] | [a-zA-Z0-9] [a-zA-Z0-9-]* [a-zA-Z0-9]
    tag        := [A-Za-z0-9_] [A-Za-z0-9_.-]{0,127}
    digest     := algorithm ":" hex

What the grammar leaves open, Docker's "normalisation" (``ParseNormalizedNamed``) decides, and
so does this module:

* The first ``/``-separated component is a registry host only if it could not be a path
  component: it contains ``.`` or ``:``, is ``localhost``, or starts with ``[`` (IPv6).
  Otherwise the whole name is a Docker Hub repository: ``myorg/app`` is ``docker.io/myorg/app``.
* Docker Hub is ``docker.io``; ``index.docker.io`` (the v1 index) and ``registry-1.docker.io``
  (the API host) are aliases of it. A one-component Hub repository is an "official image" in
  the ``library/`` namespace: ``node`` is ``docker.io/library/node``.
* A reference with neither tag nor digest means ``:latest`` (``default_tag``).

Choices beyond distribution/reference, each for a reason stated where it is made:

* Host names are case-insensitive (RFC 4343), so an uppercase host is accepted and lowercased,
  ``localhost`` included; the repository path is case-sensitive and must be lowercase.
* The 255-character limit (``NameTotalLengthMax``) applies to the canonical
  ``registry/repository`` form, e.g. ``docker.io/library/node`` for ``node``: that is what
  distribution measures too (it checks the name after normalising), and it makes the limit a
  property of the image rather than of how it was spelled.
* Ports must be decimal 1..65535 (distribution accepts any ``[0-9]+``); an IPv6 host must be an
  address :mod:`ipaddress` accepts, without a zone (distribution accepts ``[a-fA-F0-9:]+``).
* A name that is only 64 hex digits (an image ID) is refused as Docker does, and so is a bare
  ``sha256:<hex>``, which the grammar would read as repository ``sha256`` with a hex tag but
  which is always a digest given without its image name.

Leading or trailing whitespace is an error rather than stripped: a reference that arrives with
a newline usually comes from a broken shell substitution, and saying so beats guessing.

This module is pure (no I/O); every malformed input raises
:class:`~hubaction.errors.InvalidReference` (or its subclass
:class:`~hubaction.errors.InvalidDigest`) and nothing else.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import re
from dataclasses import dataclass

from hubaction.errors import InvalidDigest, InvalidReference

__all__ = [
    "DOCKER_HUB",
    "DOCKER_HUB_API_HOST",
    "DOCKER_HUB_REALM",
    "DOCKER_HUB_SERVICE",
    "NAME_TOTAL_LENGTH_MAX",
    "Digest",
    "Reference",
    "is_loopback_host",
    "parse_digest",
    "parse_reference",
    "parse_tag",
]

DOCKER_HUB = "docker.io"
"""Canonical registry name of Docker Hub, as written in canonical references."""

DOCKER_HUB_API_HOST = "registry-1.docker.io"
"""The host that serves Docker Hub's distribution API (``docker.io`` itself only redirects)."""

DOCKER_HUB_REALM = "https://auth.docker.io/token"
"""Docker Hub's token service, known before any 401 (so no challenge round trip is needed)."""

DOCKER_HUB_SERVICE = "registry.docker.io"
"""The ``service`` Docker Hub's challenge names."""

# Both spellings appear in old configs and in `docker info`; they name the same registry.
_DOCKER_HUB_ALIASES = frozenset({DOCKER_HUB, "index.docker.io", DOCKER_HUB_API_HOST})
_OFFICIAL_NAMESPACE = "library"

NAME_TOTAL_LENGTH_MAX = 255
"""distribution/reference ``NameTotalLengthMax``, applied to ``registry/repository``."""

_TAG_MAX = 128

# Character classes are spelled out in ASCII on purpose: Go's \w and \d are ASCII-only, Python's
# are Unicode (\w matches "é", \d matches "٣"), and re.fullmatch avoids `$` matching before "\n".
_PATH_COMPONENT_RE = re.compile(r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*")
_TAG_RE = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}")
_DOMAIN_COMPONENT_RE = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?")
_PORT_RE = re.compile(r"[0-9]+")
_IPV6_CHARS_RE = re.compile(r"[0-9A-Fa-f:.]+")


def is_path_component(text: str) -> bool:
    """Whether ``text`` is one ``path-component`` of a repository name (distribution/reference
    grammar): lowercase letters and digits, separated by ``.``, ``_``, ``__`` or dashes. Docker
    Hub namespaces and repository names are made of exactly this, at most 255 characters."""
    return len(text) <= 255 and _PATH_COMPONENT_RE.fullmatch(text) is not None


# OCI image-spec descriptor.md: algorithm-component ([.+_-] algorithm-component)*.
_ALGORITHM_RE = re.compile(r"[a-z0-9]+(?:[.+_-][a-z0-9]+)*")
_ANY_HEX_RE = re.compile(r"[a-fA-F0-9]{32,}")
_LOWER_HEX_RE = re.compile(r"[a-f0-9]+")
# Algorithms whose encoded length is fixed and registered (OCI image-spec): lowercase hex only.
_HEX_LENGTHS = {"sha256": 64, "sha512": 128}
# `docker` refuses these as names: a 64-hex string is an image ID, not a repository.
_IMAGE_ID_RE = re.compile(r"[a-f0-9]{64}")

_EXAMPLE = "e.g. 'node:20', 'myorg/app:1.2' or 'ghcr.io/org/app@sha256:<64 hex digits>'"


# --------------------------------------------------------------------------------------------
# Digests


def _digest_problem(algorithm: str, hex_part: str) -> str | None:
    """Why ``algorithm:hex_part`` is not a valid digest, or None when it is."""
    if not algorithm:
        return "the algorithm before ':' is empty; expected e.g. 'sha256'"
    if not _ALGORITHM_RE.fullmatch(algorithm):
        if _ALGORITHM_RE.fullmatch(algorithm.lower()):
            return f"the algorithm {algorithm!r} must be lowercase ({algorithm.lower()!r})"
        return (
            f"the algorithm {algorithm!r} is not valid: it is lowercase letters and digits, "
            "optionally joined by '.', '+', '_' or '-'"
        )
    if not hex_part:
        return f"nothing follows '{algorithm}:'; expected the hex-encoded hash"
    expected = _HEX_LENGTHS.get(algorithm)
    if expected is not None:
        if not _LOWER_HEX_RE.fullmatch(hex_part):
            if _LOWER_HEX_RE.fullmatch(hex_part.lower()):
                return f"{algorithm} digests are written in lowercase hex; got uppercase letters"
            return f"the {algorithm} hash {hex_part!r} has characters other than 0-9 and a-f"
        if len(hex_part) != expected:
            return (
                f"a {algorithm} hash has exactly {expected} hex digits, this one has "
                f"{len(hex_part)}; copy the whole digest"
            )
        return None
    if not _ANY_HEX_RE.fullmatch(hex_part):
        return (
            f"the {algorithm} hash {hex_part!r} is not at least 32 hex digits "
            "(the distribution grammar for algorithms other than sha256 and sha512)"
        )
    return None


@dataclass(frozen=True)
class Digest:
    """A content digest, ``algorithm:hex``, as in OCI descriptors and ``@`` references.

    ``sha256`` (64 lowercase hex digits) and ``sha512`` (128) are checked exactly, as the OCI
    image-spec registers them. Other algorithms parse under the distribution reference grammar
    (``[a-fA-F0-9]{32,}``) so that such references can still be named and printed, but hubaction
    can only *verify* content against sha256 and sha512 digests; code that hashes bodies must
    reject the rest rather than trust them.
    """

    algorithm: str
    hex: str

    def __post_init__(self) -> None:
        problem = _digest_problem(self.algorithm, self.hex)
        if problem is not None:
            shown = f"{self.algorithm}:{self.hex}"
            raise InvalidDigest(f"invalid digest {shown!r}: {problem}")

    def __str__(self) -> str:
        return f"{self.algorithm}:{self.hex}"


def parse_digest(text: str) -> Digest:
    """Parse ``algorithm:hex``, e.g. ``sha256:`` followed by 64 lowercase hex digits.

    Raises :class:`~hubaction.errors.InvalidDigest` naming what is wrong.
    """
    if not text:
        raise InvalidDigest(
            "digest is empty; expected 'sha256:' followed by 64 lowercase hex digits"
        )
    if text != text.strip():
        raise InvalidDigest(f"digest {text!r} has leading or trailing whitespace; remove it")
    algorithm, colon, hex_part = text.partition(":")
    if not colon:
        hint = (
            f"; if it is a sha256 hash, write 'sha256:{text}'"
            if _IMAGE_ID_RE.fullmatch(text)
            else ""
        )
        raise InvalidDigest(
            f"digest {text!r} has no ':'; expected algorithm:hex such as "
            f"'sha256:<64 hex digits>'{hint}"
        )
    problem = _digest_problem(algorithm, hex_part)
    if problem is not None:
        raise InvalidDigest(f"invalid digest {text!r}: {problem}")
    return Digest(algorithm, hex_part)


# --------------------------------------------------------------------------------------------
# Tags


def _tag_problem(tag: str) -> str | None:
    """Why ``tag`` is not a valid tag, or None when it is."""
    if _TAG_RE.fullmatch(tag):
        return None
    if not tag:
        return "the tag is empty"
    if len(tag) > _TAG_MAX:
        return f"the tag is {len(tag)} characters long; tags have at most {_TAG_MAX}"
    if tag[0] in ".-":
        return f"the tag {tag!r} starts with {tag[0]!r}; tags start with a letter, digit or '_'"
    bad = sorted({c for c in tag if not re.fullmatch(r"[A-Za-z0-9_.-]", c)})
    return (
        f"the tag {tag!r} contains {', '.join(repr(c) for c in bad)}; tags use only "
        "letters, digits, '_', '.' and '-'"
    )


def parse_tag(text: str) -> str:
    """Validate a bare tag (``[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}``) and return it unchanged.

    Raises :class:`~hubaction.errors.InvalidReference`.
    """
    if text != text.strip():
        raise InvalidReference(f"tag {text!r} has leading or trailing whitespace; remove it")
    problem = _tag_problem(text)
    if problem is not None:
        raise InvalidReference(f"invalid tag {text!r}: {problem}")
    return text


# --------------------------------------------------------------------------------------------
# Registry hosts


def _registry_problem(host: str) -> str | None:
    """Why ``host[:port]`` is not a valid registry host, or None when it is."""
    if not host:
        return "the registry host is empty"
    if host.startswith("["):
        # RFC 3986 IP-literal: the brackets keep the address's ':' apart from the port's.
        address, bracket, after = host[1:].partition("]")
        if not bracket:
            return f"the IPv6 registry host {host!r} has no closing ']'"
        try:
            # The character check first: ipaddress also accepts zones ("fe80::1%eth0"),
            # which have no place in a reference.
            if not _IPV6_CHARS_RE.fullmatch(address):
                raise ValueError(address)
            ipaddress.IPv6Address(address)
        except ValueError:
            return f"{address!r} in {host!r} is not an IPv6 address"
        if after and not after.startswith(":"):
            return f"the registry host {host!r} has {after!r} after ']'; expected ':port'"
        port = after[1:] if after else None
    else:
        name, colon, port_text = host.partition(":")
        port = port_text if colon else None
        if port is not None and ":" in port:
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
    if port is not None:
        if not port:
            return f"the registry host {host!r} ends with ':' but has no port number"
        if not _PORT_RE.fullmatch(port):
            return f"the port {port!r} of registry {host!r} is not a decimal number"
        if not 1 <= int(port) <= 65535:
            return f"the port {port!r} of registry {host!r} is not in 1..65535"
    return None


def _canonical_registry(host: str) -> str:
    """The canonical form of a valid registry host (see :func:`_registry_problem`).

    Lowercased, as host names are case-insensitive (RFC 4343), with Docker Hub's aliases folded
    into ``docker.io``. The port is kept as written: "5000" and "05000" stay different, as they
    are different keys for credential helpers.
    """
    canonical = host.lower()
    return DOCKER_HUB if canonical in _DOCKER_HUB_ALIASES else canonical


def _looks_like_host(component: str) -> bool:
    """Whether the first ``/``-separated component names a registry (Docker's rule).

    ``localhost`` is compared case-insensitively, as host names are; everything else that has
    no ``.`` or ``:`` is a Docker Hub namespace.
    """
    return (
        "." in component
        or ":" in component
        or component.startswith("[")
        or component.lower() == "localhost"
    )


# --------------------------------------------------------------------------------------------
# Repository paths


def _path_problem(path: str) -> str | None:
    """Why ``path`` is not a valid repository path, or None when it is."""
    if not path:
        return "the repository path is empty"
    for component in path.split("/"):
        if not component:
            return (
                f"the repository path {path!r} has an empty component "
                "(a doubled '/', or a leading or trailing '/')"
            )
        if _PATH_COMPONENT_RE.fullmatch(component):
            continue
        if _PATH_COMPONENT_RE.fullmatch(component.lower()):
            return (
                f"repository path component {component!r} has uppercase letters; "
                f"image names must be lowercase ({component.lower()!r})"
            )
        return (
            f"repository path component {component!r} is not valid: components are lowercase "
            "letters and digits, joined by '.', '_', '__' or '-' (not at either end)"
        )
    return None


# --------------------------------------------------------------------------------------------
# References


@dataclass(frozen=True)
class Reference:
    """A parsed image reference in canonical form; build one with :func:`parse_reference`.

    ``registry`` is canonical (lowercase, ``docker.io`` for Docker Hub, ``host:port`` or
    ``[ipv6]:port``), ``repository`` is the path (``library/node`` on Docker Hub for ``node``),
    and at least one of ``tag`` and ``digest`` is usually set (``parse_reference`` with
    ``default_tag=None`` may leave both empty, for uses that name only the repository).

    Constructing one directly validates the fields and refuses non-canonical ones, so every
    ``Reference`` satisfies ``parse_reference(str(ref), default_tag=None) == ref``.
    """

    registry: str
    repository: str
    tag: str | None = None
    digest: Digest | None = None

    def __post_init__(self) -> None:
        problem = _registry_problem(self.registry)
        if problem is not None:
            raise InvalidReference(f"invalid registry {self.registry!r}: {problem}")
        canonical = _canonical_registry(self.registry)
        if canonical != self.registry:
            raise InvalidReference(
                f"registry {self.registry!r} is not in canonical form ({canonical!r}); "
                "use parse_reference() to build references from text"
            )
        problem = _path_problem(self.repository)
        if problem is not None:
            raise InvalidReference(f"invalid repository {self.repository!r}: {problem}")
        if self.registry == DOCKER_HUB and "/" not in self.repository:
            raise InvalidReference(
                f"Docker Hub repository {self.repository!r} is not in canonical form "
                f"({f'{_OFFICIAL_NAMESPACE}/{self.repository}'!r}); "
                "use parse_reference() to build references from text"
            )
        if len(self.name) > NAME_TOTAL_LENGTH_MAX:
            raise InvalidReference(
                f"image name {self.name!r} is {len(self.name)} characters long; "
                f"at most {NAME_TOTAL_LENGTH_MAX} are allowed"
            )
        if self.tag is not None:
            parse_tag(self.tag)
        if self.digest is not None and not isinstance(self.digest, Digest):
            raise InvalidReference(
                f"digest {self.digest!r} must be a Digest; use parse_digest() or with_digest()"
            )

    def __str__(self) -> str:
        return self.name + self._suffix()

    def _suffix(self) -> str:
        tag = f":{self.tag}" if self.tag is not None else ""
        digest = f"@{self.digest}" if self.digest is not None else ""
        return tag + digest

    @property
    def name(self) -> str:
        """``registry/repository``, e.g. ``docker.io/library/node``."""
        return f"{self.registry}/{self.repository}"

    @property
    def api_host(self) -> str:
        """``host[:port]`` that serves the registry API (``registry-1.docker.io`` for the Hub)."""
        return DOCKER_HUB_API_HOST if self.is_docker_hub else self.registry

    @property
    def is_docker_hub(self) -> bool:
        """Whether the registry is Docker Hub (any of its aliases, folded by the parser)."""
        return self.registry == DOCKER_HUB

    @property
    def familiar(self) -> str:
        """The short form people write: ``node:latest``, ``myorg/app:1``, ``ghcr.io/o/a:1``.

        Drops ``docker.io/`` and then ``library/`` (only for a single-component remainder, as
        ``library/a/b`` would otherwise turn into ``a/b``, another repository). Unlike
        distribution's ``FamiliarName`` it keeps ``docker.io/`` when the short form would read
        as another registry (``docker.io/my.org/app`` is not ``my.org/app``), so
        ``parse_reference(ref.familiar)`` always gives ``ref`` back (given a tag or digest).
        """
        if not self.is_docker_hub:
            return str(self)
        path = self.repository
        namespace, _, rest = path.partition("/")
        if namespace == _OFFICIAL_NAMESPACE and "/" not in rest:
            path = rest
        elif "/" in path and _looks_like_host(namespace):
            path = self.name
        return path + self._suffix()

    @property
    def hostname(self) -> str:
        """The registry host without port or IPv6 brackets, e.g. ``::1`` or ``localhost``."""
        if self.registry.startswith("["):
            return self.registry[1:].partition("]")[0]
        return self.registry.partition(":")[0]

    def with_tag(self, tag: str) -> Reference:
        """This reference with ``tag`` (validated); a digest, if any, is kept."""
        return dataclasses.replace(self, tag=parse_tag(tag))

    def with_digest(self, digest: Digest | str) -> Reference:
        """This reference pinned to ``digest`` (a string is parsed); the tag is kept."""
        parsed = digest if isinstance(digest, Digest) else parse_digest(digest)
        return dataclasses.replace(self, digest=parsed)

    def identifier(self) -> str:
        """What follows ``/v2/<repository>/manifests/``: the digest when set, else the tag.

        A digest wins over a tag because it is what ``name:tag@digest`` pins (the tag is then
        only a label, as in Docker). Raises InvalidReference when the reference has neither.
        """
        if self.digest is not None:
            return str(self.digest)
        if self.tag is not None:
            return self.tag
        raise InvalidReference(
            f"image reference {str(self)!r} has neither a tag nor a digest; "
            "add ':<tag>' or '@sha256:<digest>' to name a manifest"
        )


def parse_reference(text: str, *, default_tag: str | None = "latest") -> Reference:
    """Parse an image reference as Docker does, into canonical form.

    ``node`` is ``docker.io/library/node:latest``; ``node@sha256:...`` has no tag; and
    ``node:1@sha256:...`` keeps both. ``default_tag`` is added only when neither a tag nor a
    digest is given; pass ``None`` for uses that need only the repository (listing tags).

    Raises :class:`~hubaction.errors.InvalidReference` (or :class:`InvalidDigest` for a bad
    ``@digest``) with a message quoting ``text`` and naming the problem.
    """
    if not text:
        raise InvalidReference(f"image reference is empty; give an image, {_EXAMPLE}")

    def fail(problem: str) -> InvalidReference:
        return InvalidReference(f"invalid image reference {text!r}: {problem}")

    if text != text.strip():
        raise fail("it has leading or trailing whitespace; remove it")
    for index, char in enumerate(text):
        if char.isspace() or not char.isprintable():
            raise fail(
                f"it contains {char!r} at position {index}; "
                "references have no whitespace or control characters"
            )

    # The digest goes last and cannot contain '@', so the first '@' ends the name (and tag).
    name_and_tag, at, digest_text = text.partition("@")
    digest: Digest | None = None
    if at:
        if not digest_text:
            raise fail("it ends with '@' but no digest follows; add 'sha256:<hex>' or drop '@'")
        if "@" in digest_text:
            raise fail("it has more than one '@'; a reference has at most one digest")
        try:
            digest = parse_digest(digest_text)
        except InvalidDigest as error:
            raise InvalidDigest(f"invalid image reference {text!r}: {error}") from None
        if not name_and_tag:
            raise fail(f"it has a digest but no image name before '@'; {_EXAMPLE}")

    # Docker's splitDockerDomain: the part before the first '/' is a registry only if it
    # cannot be a repository component (has '.' or ':', is localhost, or is an IPv6 literal).
    first, slash, rest = name_and_tag.partition("/")
    if slash and _looks_like_host(first):
        problem = _registry_problem(first)
        if problem is not None:
            raise fail(problem)
        registry = _canonical_registry(first)
        if not rest:
            raise fail(f"it names the registry {first!r} but no repository after it")
    else:
        if not slash and first.startswith("["):
            raise fail("it is only a registry host; add '/<repository>' after it")
        registry = DOCKER_HUB
        rest = name_and_tag

    # What is left is path[:tag]; the tag can only be in the last path component.
    path, colon, tag_text = rest.partition(":")
    tag: str | None = None
    if colon:
        if "/" in tag_text:
            raise fail(
                f"':' appears inside the repository path {rest!r}; a tag goes only at the end, "
                "and a registry port only in a registry host that comes first"
            )
        if ":" in tag_text:
            raise fail(
                f"it has more than one tag (':' appears {rest.count(':')} times after the "
                "repository name); write name:tag"
            )
        if not tag_text:
            raise fail("it has ':' but no tag after it; add a tag or drop the ':'")
        problem = _tag_problem(tag_text)
        if problem is not None:
            raise fail(problem)
        tag = tag_text

    problem = _path_problem(path)
    if problem is not None:
        raise fail(problem)
    if registry == DOCKER_HUB and not slash:
        # Mistakes `docker` refuses or that are always meant otherwise (see module docstring).
        if _IMAGE_ID_RE.fullmatch(path) and tag is None:
            raise fail("a 64-hex-digit name is an image ID, not a repository; name the image")
        if path in _HEX_LENGTHS and tag is not None and digest is None:
            try:
                parse_digest(f"{path}:{tag}")
            except InvalidDigest:
                pass
            else:
                raise fail(f"it is a digest without an image name; write '<image>@{text}'")
    if registry == DOCKER_HUB and "/" not in path:
        path = f"{_OFFICIAL_NAMESPACE}/{path}"

    name = f"{registry}/{path}"
    if len(name) > NAME_TOTAL_LENGTH_MAX:
        raise fail(
            f"the image name is {len(name)} characters long in its canonical form "
            f"registry/repository; at most {NAME_TOTAL_LENGTH_MAX} are allowed"
        )

    if tag is None and digest is None and default_tag is not None:
        tag = parse_tag(default_tag)
    return Reference(registry=registry, repository=path, tag=tag, digest=digest)


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
