"""Image references, ``[registry/]repository[:tag][@digest]``, parsed once into a canonical value.

The grammar is distribution/reference's (``regexp.go``, v0.6), normalised as Docker's
``ParseNormalizedNamed`` (``normalize.go``) does (``node`` is ``docker.io/library/node:latest``),
with the few deliberate differences stated where they are made and listed in
``docs/differences.md``. Pure; every malformed input raises
:class:`~hubaction.errors.InvalidReference` (or its subclass ``InvalidDigest``) and nothing else.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass

from hubaction.errors import InvalidDigest, InvalidReference
from hubaction.oci.digest import REGISTERED_ALGORITHMS, Digest, is_image_id, parse_digest
from hubaction.oci.host import is_loopback_host, registry_host_problem

__all__ = [
    "DOCKER_HUB",
    "DOCKER_HUB_API_HOST",
    "DOCKER_HUB_REALM",
    "DOCKER_HUB_SERVICE",
    "NAME_TOTAL_LENGTH_MAX",
    "Digest",
    "Reference",
    "is_loopback_host",
    "is_path_component",
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
# A one-component Docker Hub repository is an "official image": `node` is `library/node`.
_OFFICIAL_NAMESPACE = "library"

NAME_TOTAL_LENGTH_MAX = 255
"""distribution/reference ``RepositoryNameTotalLengthMax`` (``reference.go``; its deprecated
alias is ``NameTotalLengthMax``): the most characters in the repository path, measured as
``Parse`` measures it now, on the path alone after normalising (``library/node`` for ``node``),
without the registry."""

_TAG_MAX = 128

# distribution/reference regexp.go, with character classes spelled out in ASCII on purpose:
# Go's \w and \d are ASCII-only, Python's are Unicode (\w matches "é", \d matches "٣"), and
# re.fullmatch avoids `$` matching before "\n".
#   path-component   := [a-z0-9]+ ( ( "." | "_" | "__" | "-"+ ) [a-z0-9]+ )*
#   tag              := [A-Za-z0-9_] [A-Za-z0-9_.-]{0,127}
_PATH_COMPONENT_RE = re.compile(r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*")
_TAG_RE = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}")

_EXAMPLE = "e.g. 'node:20', 'myorg/app:1.2' or 'ghcr.io/org/app@sha256:<64 hex digits>'"


def is_path_component(text: str) -> bool:
    """Whether ``text`` is one ``path-component`` of a repository name (distribution/reference
    grammar): lowercase letters and digits, separated by ``.``, ``_``, ``__`` or dashes. Docker
    Hub namespaces and repository names are made of exactly this, at most 255 characters."""
    return len(text) <= 255 and _PATH_COMPONENT_RE.fullmatch(text) is not None


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


def _canonical_registry(host: str) -> str:
    """A valid registry host lowercased (RFC 4343: host names are case-insensitive), Docker
    Hub's aliases folded into ``docker.io``. The port stays as written: "5000" and "05000" are
    different keys for credential helpers. A host that is one only by its upper case (``Foo``)
    keeps it: lowercased, ``foo/bar`` would read as a Docker Hub repository."""
    canonical = host.lower()
    if canonical in _DOCKER_HUB_ALIASES:
        return DOCKER_HUB
    return canonical if _looks_like_host(canonical) else host


def _looks_like_host(component: str) -> bool:
    """Whether the first ``/``-separated component names a registry, else it is a Docker Hub
    namespace: it contains ``.`` or ``:``, is ``localhost``, or has an upper-case letter
    (distribution/reference ``normalize.go`` ``splitDockerDomain``: namespaces are lowercase).
    ``localhost`` is compared case-insensitively, as host names are (the upper case would make
    it a host anyway)."""
    return (
        "." in component
        or ":" in component
        or component.startswith("[")
        or component.lower() == "localhost"
        or _is_host_by_case(component)
    )


def _is_host_by_case(component: str) -> bool:
    """Whether ``component`` is read as a host only because it has upper-case letters."""
    lowered = component.lower()
    return lowered != component and not ("." in lowered or ":" in lowered or lowered == "localhost")


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
    """An image reference in canonical form; build one with :func:`parse_reference`.

    ``registry`` is lowercase (``docker.io`` for Docker Hub; a host only by its upper case, like
    ``Foo``, keeps it), ``repository`` the path (``library/node`` for ``node``); ``tag`` and
    ``digest`` may both be None only with ``default_tag=None``. The constructor refuses
    non-canonical fields, so always ``parse_reference(str(ref), default_tag=None) == ref``.
    """

    registry: str
    repository: str
    tag: str | None = None
    digest: Digest | None = None

    def __post_init__(self) -> None:
        problem = registry_host_problem(self.registry)
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
        if len(self.repository) > NAME_TOTAL_LENGTH_MAX:
            raise InvalidReference(
                f"repository path {self.repository!r} is {len(self.repository)} characters "
                f"long; at most {NAME_TOTAL_LENGTH_MAX} are allowed"
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


class _Malformed(Exception):
    """One step of :func:`parse_reference` found ``problem``; the caller names the reference."""


def parse_reference(text: str, *, default_tag: str | None = "latest") -> Reference:
    """Parse an image reference as Docker does, into canonical form.

    ``node`` is ``docker.io/library/node:latest``; ``node@sha256:...`` has no tag and
    ``node:1@sha256:...`` keeps both. The first ``/``-separated component is a registry when it
    has ``.`` or ``:``, is ``localhost`` or has upper-case letters (``Foo/bar`` is registry
    ``Foo``), as in distribution/reference ``normalize.go``. ``default_tag`` is added only
    when neither is given; ``None`` suits uses that need only the repository (listing tags). Raises
    :class:`~hubaction.errors.InvalidReference` (``InvalidDigest`` for a bad ``@digest``).
    """
    if not text:
        raise InvalidReference(f"image reference is empty; give an image, {_EXAMPLE}")
    try:
        return _parse_reference(text, default_tag)
    except _Malformed as problem:
        raise InvalidReference(f"invalid image reference {text!r}: {problem}") from None


def _parse_reference(text: str, default_tag: str | None) -> Reference:
    """:func:`parse_reference` in steps; each raises :class:`_Malformed` for what it checks."""
    _check_characters(text)
    name_and_tag, digest = _split_digest(text)
    registry, rest = _split_registry(name_and_tag)
    path, tag = _split_tag(rest)
    problem = _path_problem(path)
    if problem is not None:
        raise _Malformed(problem)
    if "/" not in name_and_tag:
        _refuse_hex_name(text, path, tag, digest)
    if registry == DOCKER_HUB and "/" not in path:
        path = f"{_OFFICIAL_NAMESPACE}/{path}"
    _check_path_length(path)
    if tag is None and digest is None and default_tag is not None:
        tag = parse_tag(default_tag)
    return Reference(registry=registry, repository=path, tag=tag, digest=digest)


def _check_characters(text: str) -> None:
    # An error rather than stripped: a reference that arrives with a newline usually comes
    # from a broken shell substitution, and saying so beats guessing.
    if text != text.strip():
        raise _Malformed("it has leading or trailing whitespace; remove it")
    for index, char in enumerate(text):
        if char.isspace() or not char.isprintable():
            raise _Malformed(
                f"it contains {char!r} at position {index}; "
                "references have no whitespace or control characters"
            )


def _split_digest(text: str) -> tuple[str, Digest | None]:
    """``name[:tag]`` and the digest after ``@``, if any."""
    # The digest goes last and cannot contain '@', so the first '@' ends the name (and tag).
    name_and_tag, at, digest_text = text.partition("@")
    if not at:
        return text, None
    if not digest_text:
        raise _Malformed("it ends with '@' but no digest follows; add 'sha256:<hex>' or drop '@'")
    if "@" in digest_text:
        raise _Malformed("it has more than one '@'; a reference has at most one digest")
    try:
        digest = parse_digest(digest_text)
    except InvalidDigest as error:
        raise InvalidDigest(f"invalid image reference {text!r}: {error}") from error
    if not name_and_tag:
        raise _Malformed(f"it has a digest but no image name before '@'; {_EXAMPLE}")
    return name_and_tag, digest


def _split_registry(name_and_tag: str) -> tuple[str, str]:
    """The canonical registry and what follows it, ``path[:tag]``."""
    # distribution/reference normalize.go splitDockerDomain: the part before the first '/' is
    # a registry only if it cannot be a Docker Hub namespace (has '.' or ':', is localhost, or
    # has upper-case letters; IPv6 literals have ':').
    first, slash, rest = name_and_tag.partition("/")
    if not (slash and _looks_like_host(first)):
        if not slash and first.startswith("["):
            raise _Malformed("it is only a registry host; add '/<repository>' after it")
        return DOCKER_HUB, name_and_tag
    problem = registry_host_problem(first)
    if problem is not None:
        raise _Malformed(problem + _case_hint(first, rest))
    if not rest:
        raise _Malformed(f"it names the registry {first!r} but no repository after it")
    return _canonical_registry(first), rest


def _case_hint(first: str, rest: str) -> str:
    """For a first component that is a host only by its upper case, how to name the Hub."""
    if not _is_host_by_case(first):
        return ""
    return (
        f"; {first!r} is read as a registry host because it has upper-case letters (Docker "
        f"Hub namespaces are lowercase): for Docker Hub write {first.lower()}/{rest}"
    )


def _split_tag(rest: str) -> tuple[str, str | None]:
    """The repository path and the tag, if any, of ``path[:tag]``."""
    # The tag can only be in the last path component.
    path, colon, tag = rest.partition(":")
    if not colon:
        return path, None
    if "/" in tag:
        raise _Malformed(
            f"':' appears inside the repository path {rest!r}; a tag goes only at the end, "
            "and a registry port only in a registry host that comes first"
        )
    if ":" in tag:
        raise _Malformed(
            f"it has more than one tag (':' appears {rest.count(':')} times after the "
            "repository name); write name:tag"
        )
    if not tag:
        raise _Malformed("it has ':' but no tag after it; add a tag or drop the ':'")
    problem = _tag_problem(tag)
    if problem is not None:
        raise _Malformed(problem)
    return path, tag


def _refuse_hex_name(text: str, path: str, tag: str | None, digest: Digest | None) -> None:
    """Refuse a one-component name that is a hash rather than an image (text is all of it)."""
    # `docker` refuses a 64-hex-digit name: it is an image ID, not a repository.
    if is_image_id(path) and tag is None:
        raise _Malformed("a 64-hex-digit name is an image ID, not a repository; name the image")
    # The grammar reads `sha256:<hex>` as repository "sha256" with a hex tag, but it is always
    # a digest given without its image name.
    if path in REGISTERED_ALGORITHMS and tag is not None and digest is None:
        try:
            parse_digest(f"{path}:{tag}")
        except InvalidDigest:
            return
        raise _Malformed(f"it is a digest without an image name; write '<image>@{text}'")


def _check_path_length(path: str) -> None:
    # distribution/reference reference.go `Parse` measures the path alone (not the registry),
    # after normalising (library/node for node): the limit is a property of the repository,
    # not of how it was spelled or of the registry's name.
    if len(path) > NAME_TOTAL_LENGTH_MAX:
        raise _Malformed(
            f"the repository path is {len(path)} characters long (counted as stored, "
            f"without the registry); at most {NAME_TOTAL_LENGTH_MAX} are allowed"
        )
