"""What Docker Hub's API (``hub.docker.com``) answers, parsed: repositories, tags, listing pages,
namespaces, its rate-limit headers and its times; and the rule that a read listing is whole.

Pure: no I/O. Everything here is hostile until parsed: a malformed answer is a
:class:`~hubaction.errors.RegistryError` saying what was wrong.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from hubaction.errors import InvalidInput, NotFound, RegistryError, Service
from hubaction.oci.reference import is_path_component, parse_digest
from hubaction.oci.reference import parse_tag as parse_tag_name
from hubaction.oci.times import parse_time  # RFC 3339, as an image config's `created`
from hubaction.oci.wire import (
    MAX_TOKEN_LENGTH,
    MIN_TOKEN_LENGTH,
    NotJSON,
    decimal_count,
    load_json,
    plausible_token,
    quote_bounded,
    show_bounded,
)

__all__ = [
    "HubImage",
    "HubItems",
    "HubListing",
    "HubPage",
    "HubRateLimit",
    "HubRepository",
    "HubTag",
    "ListingShifted",
    "collect_listing",
    "parse_hub_name",
    "parse_hub_ratelimit",
    "parse_image",
    "parse_listed_tag",
    "parse_login_token",
    "parse_namespaces",
    "parse_page",
    "parse_repository",
    "parse_tag",
    "parse_tag_answer",
    "split_hub_repository",
]

T = TypeVar("T")


# -- data -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class HubRepository:
    """One repository of a namespace listing."""

    name: str
    namespace: str
    is_private: bool
    pull_count: int | None
    star_count: int | None
    last_updated: str | None
    description: str | None

    @property
    def full_name(self) -> str:
        """``namespace/name``, e.g. ``acme/app``."""
        return f"{self.namespace}/{self.name}"


@dataclass(frozen=True)
class HubImage:
    """One platform image of a tag. Attestation manifests show ``unknown``/``unknown``."""

    os: str
    architecture: str
    variant: str | None = None
    os_version: str | None = None
    digest: str | None = None
    size: int | None = None
    last_pushed: str | None = None

    @property
    def is_attestation(self) -> bool:
        return self.os == "unknown" and self.architecture == "unknown"


@dataclass(frozen=True)
class HubTag:
    """One tag with Docker Hub's metadata. ``full_size`` is the compressed size of all layers."""

    name: str
    digest: str | None = None
    full_size: int | None = None
    last_updated: str | None = None
    last_pushed: str | None = None  # `tag_last_pushed`
    images: tuple[HubImage, ...] = ()

    @property
    def pushed_at(self) -> datetime | None:
        """When the tag was last pushed (``tag_last_pushed``, else ``last_updated``), UTC."""
        for text in (self.last_pushed, self.last_updated):
            if text:
                try:
                    return parse_time(text)
                except ValueError:
                    continue
        return None


@dataclass(frozen=True)
class HubPage:
    """One page of a listing: ``results`` are the raw items, parsed by the caller."""

    count: int
    next: str | None
    previous: str | None
    results: tuple[Mapping[str, Any], ...]


@dataclass(frozen=True)
class HubRateLimit:
    """The Hub API's own limit (requests per minute), from ``X-RateLimit-*`` headers.

    Not the registry pull quota (``ratelimit-*`` on manifest answers, see
    :func:`hubaction.oci.model.parse_ratelimit`). ``reset`` is a Unix time.
    """

    limit: int | None
    remaining: int | None
    reset: int | None


# -- times and names --------------------------------------------------------------------------


def split_hub_repository(repository: str) -> tuple[str, str]:
    """``("acme", "app")`` from ``acme/app``; ``("library", "node")`` from ``node``.

    Raises :class:`InvalidInput` when ``repository`` is not a Docker Hub repository name.
    """
    parts = repository.split("/")
    if len(parts) == 1:
        parts = ["library", *parts]
    if len(parts) != 2:
        raise InvalidInput(
            f"Docker Hub repository {quote_bounded(repository)} has {len(parts)} path "
            "components; Docker Hub repositories are `namespace/name`, e.g. `acme/app` (or "
            "`node` for `library/node`)"
        )
    return parse_hub_name(parts[0], "namespace"), parse_hub_name(parts[1], "repository")


def parse_hub_name(name: str, kind: str) -> str:
    """``name`` when it is a valid Docker Hub ``kind`` (``"namespace"`` or ``"repository"``)
    name; :class:`InvalidInput` otherwise."""
    if not is_path_component(name):
        raise InvalidInput(
            f"Docker Hub {kind} {quote_bounded(name, 300)} is not a valid name: lowercase "
            "letters and digits, separated by `.`, `_`, `__` or `-` (e.g. `acme`, `my-app`)"
        )
    return name


# -- answers ----------------------------------------------------------------------------------


def _hub_json(body: bytes, what: str) -> Any:
    try:
        return load_json(body)
    except NotJSON:
        raise RegistryError(
            f"{what}: Docker Hub did not answer JSON; check `hub-url` points at the Docker Hub "
            "API (https://hub.docker.com), or retry later"
        ) from None


def _malformed(what: str, why: str) -> RegistryError:
    return RegistryError(
        f"{what}: Docker Hub's answer is not shaped as documented ({why}); check `hub-url` "
        "points at the Docker Hub API, or retry later"
    )


def _opt_str(doc: Mapping[str, Any], key: str, what: str) -> str | None:
    value = doc.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise _malformed(what, f"`{key}` is {type(value).__name__}, not a string")
    return value


def _opt_time(doc: Mapping[str, Any], key: str, what: str) -> str | None:
    value = _opt_str(doc, key, what)
    if not value:
        return None
    try:
        parse_time(value)
    except ValueError:
        raise _malformed(
            what, f"`{key}` is {quote_bounded(value, 64)}, not an RFC 3339 time"
        ) from None
    return value


def _opt_count(doc: Mapping[str, Any], key: str, what: str) -> int | None:
    value = doc.get(key)
    if value is None:
        return None
    # bool is an int in Python; `true` is no count.
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise _malformed(what, f"`{key}` is {show_bounded(value, 32)}, not a count")
    return value


def _opt_digest(doc: Mapping[str, Any], key: str, what: str) -> str | None:
    value = _opt_str(doc, key, what)
    if not value:
        return None
    try:
        return str(parse_digest(value))
    except InvalidInput:
        raise _malformed(what, f"`{key}` is {quote_bounded(value, 80)}, not a digest") from None


def _name(doc: Mapping[str, Any], key: str, what: str) -> str:
    value = doc.get(key)
    if not isinstance(value, str) or not value:
        raise _malformed(what, f"an item has no `{key}`")
    return value


def parse_login_token(body: bytes, key: str, *, what: str) -> str:
    """The token of a login answer: ``{"access_token": ...}`` from ``/v2/auth/token``,
    ``{"token": ...}`` from the legacy ``/v2/users/login``."""
    doc = _hub_json(body, what)
    token = doc.get(key) if isinstance(doc, dict) else None
    if not isinstance(token, str) or not token:
        raise _malformed(what, f"no `{key}` in the login answer")
    if not plausible_token(token):
        # Neither sent nor masked (masking "|" garbles every table), and never quoted.
        raise RegistryError(
            f"{what}: Docker Hub's login answer has no plausible token ({len(token)} "
            f"characters; a bearer token is {MIN_TOKEN_LENGTH} to {MAX_TOKEN_LENGTH} "
            "characters of A-Z a-z 0-9 - . _ ~ + / and trailing =, RFC 6750 section 2.1); "
            "check `hub-url` points at the Docker Hub API, or retry later",
            service=Service.HUB_LOGIN,
        )
    return token


def parse_page(body: bytes, *, what: str = "Docker Hub listing") -> HubPage:
    """A listing page ``{"count", "next", "previous", "results"}``; :class:`RegistryError`
    for anything else."""
    doc = _hub_json(body, what)
    if not isinstance(doc, dict):
        raise _malformed(what, "not a JSON object")
    count = doc.get("count")
    if isinstance(count, bool) or not isinstance(count, int) or count < 0:
        raise _malformed(what, "no `count`")
    results = doc.get("results")
    if not isinstance(results, list) or not all(isinstance(r, dict) for r in results):
        raise _malformed(what, "`results` is not a list of objects")
    for key in ("next", "previous"):
        if key not in doc:
            raise _malformed(what, f"no `{key}`")
    return HubPage(
        count=count,
        next=_opt_str(doc, "next", what) or None,
        previous=_opt_str(doc, "previous", what) or None,
        results=tuple(results),
    )


def parse_repository(
    doc: Mapping[str, Any], *, what: str = "Docker Hub repository"
) -> HubRepository:
    """One item of a repositories listing; :class:`RegistryError` when malformed."""
    name = _name(doc, "name", what)
    namespace = _name(doc, "namespace", what)
    for value, kind in ((name, "repository"), (namespace, "namespace")):
        if not is_path_component(value):
            raise _malformed(what, f"{kind} name {quote_bounded(value, 80)} is not a valid name")
    private = doc.get("is_private", False)
    if not isinstance(private, bool):
        raise _malformed(what, f"`is_private` of {quote_bounded(name)} is not true or false")
    return HubRepository(
        name=name,
        namespace=namespace,
        is_private=private,
        pull_count=_opt_count(doc, "pull_count", what),
        star_count=_opt_count(doc, "star_count", what),
        last_updated=_opt_time(doc, "last_updated", what),
        description=_opt_str(doc, "description", what),
    )


def parse_image(doc: Mapping[str, Any], *, what: str = "Docker Hub tag image") -> HubImage:
    """One entry of a tag's ``images``; :class:`RegistryError` when malformed."""
    return HubImage(
        # Missing os/architecture is what attestation entries say outright: "unknown".
        os=_opt_str(doc, "os", what) or "unknown",
        architecture=_opt_str(doc, "architecture", what) or "unknown",
        variant=_opt_str(doc, "variant", what) or None,
        os_version=_opt_str(doc, "os_version", what) or None,
        digest=_opt_digest(doc, "digest", what),
        size=_opt_count(doc, "size", what),
        last_pushed=_opt_time(doc, "last_pushed", what),
    )


def parse_tag(doc: Mapping[str, Any], *, what: str = "Docker Hub tag") -> HubTag:
    """One item of a tags listing; :class:`RegistryError` when malformed."""
    name = _name(doc, "name", what)
    try:
        name = parse_tag_name(name)
    except InvalidInput:
        raise _malformed(what, f"tag {quote_bounded(name, 140)} is not a valid tag") from None
    images = doc.get("images")
    if images is None:
        images = []
    if not isinstance(images, list) or not all(isinstance(i, dict) for i in images):
        raise _malformed(what, f"`images` of tag {quote_bounded(name)} is not a list of objects")
    return HubTag(
        name=name,
        digest=_opt_digest(doc, "digest", what),
        full_size=_opt_count(doc, "full_size", what),
        last_updated=_opt_time(doc, "last_updated", what),
        last_pushed=_opt_time(doc, "tag_last_pushed", what),
        images=tuple(parse_image(i, what=f"{what} {quote_bounded(name)}") for i in images),
    )


def parse_tag_answer(body: bytes, *, what: str = "Docker Hub tag") -> HubTag:
    """The answer of ``GET /v2/namespaces/{ns}/repositories/{repo}/tags/{tag}``: one tag
    object, as a listing item."""
    doc = _hub_json(body, what)
    if not isinstance(doc, dict):
        raise _malformed(what, f"the answer is {type(doc).__name__}, not an object")
    return parse_tag(doc, what=what)


def parse_listed_tag(doc: Mapping[str, Any], *, what: str = "Docker Hub tag") -> HubTag | None:
    """One item of a tags listing, or ``None`` when its name breaks the tag grammar: no tag
    anyone can pull, so it is skipped rather than failing the listing. Any other malformed
    item is a :class:`RegistryError`, as in :func:`parse_tag`."""
    try:
        parse_tag_name(_name(doc, "name", what))
    except InvalidInput:
        return None
    return parse_tag(doc, what=what)


def parse_namespaces(body: bytes, *, what: str = "Docker Hub namespaces") -> list[str]:
    """``{"username": ..., "namespaces": [...]}`` -> the namespaces, first seen first."""
    doc = _hub_json(body, what)
    names = doc.get("namespaces") if isinstance(doc, dict) else None
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise _malformed(what, "no `namespaces` list of names")
    return list(dict.fromkeys(names))


def parse_hub_ratelimit(headers: Mapping[str, str]) -> HubRateLimit | None:
    """``X-RateLimit-Limit``/``-Remaining``/``-Reset`` of a Hub API answer, if sent.

    Docker Hub's API limits requests per minute and sends these on its answers; over the
    limit it answers 429 with ``X-Retry-After``.
    """
    limit = decimal_count(headers.get("X-RateLimit-Limit"))
    remaining = decimal_count(headers.get("X-RateLimit-Remaining"))
    reset = decimal_count(headers.get("X-RateLimit-Reset"))
    if limit is None and remaining is None and reset is None:
        return None
    return HubRateLimit(limit, remaining, reset)


# -- whole listings ---------------------------------------------------------------------------


@dataclass(frozen=True)
class HubListing(Generic[T]):
    """A paged listing: its path and the legacy one (tried when the path answers 404), how its
    items are parsed and told apart, and the error when neither path has it."""

    kind: str  # "repositories" or "tags": which of the two paths works is remembered per kind
    path: str
    legacy_path: str
    what: str
    parse: Callable[[Mapping[str, Any]], T | None]  # None: an item to skip (still counted)
    key: Callable[[T], str]
    missing: NotFound


@dataclass(frozen=True)
class HubItems(Generic[T]):
    """The parsed items of a whole listing, and how many items its parse skipped."""

    items: tuple[T, ...] = ()
    skipped: int = 0


class ListingShifted(Exception):
    """The pages of a listing disagree: it changed while it was read, so read it again."""


def collect_listing(
    listing: HubListing[T], first: HubPage, rest: Sequence[HubPage | None]
) -> HubItems[T]:
    """The parsed items of ``listing``'s pages 1 (``first``), 2, ... (``rest``; ``None``: the
    page answered 404).

    Offset pages shift when the listing changes while it is read (a push moves a tag to the
    front, a deletion pulls items up), which would duplicate or lose items. So the pages are
    only accepted when every page reports the same ``count``, no item (by ``key``) appears
    twice, the last page has no ``next`` and the items number exactly ``count``; otherwise
    :class:`ListingShifted` says which check failed. Skipped items (``parse`` gives ``None``)
    count towards ``count``, since Docker Hub counted them.
    """
    found: dict[str, T] = {}
    skipped = 0
    for number, page in enumerate([first, *rest], start=1):
        if page is None:
            raise ListingShifted(f"page {number} vanished (404)")
        if page.count != first.count:
            raise ListingShifted(f"the count went from {first.count} to {page.count}")
        for doc in page.results:
            item = listing.parse(doc)
            if item is None:
                skipped += 1
                continue
            name = listing.key(item)
            if name in found:
                raise ListingShifted(f"{quote_bounded(name)} appeared twice (pages shifted)")
            found[name] = item
    last = rest[-1] if rest else first
    if last is not None and last.next is not None:
        raise ListingShifted("the last page says there is a next one")
    if len(found) + skipped != first.count:
        raise ListingShifted(f"{len(found) + skipped} items read but {first.count} counted")
    return HubItems(tuple(found.values()), skipped)
