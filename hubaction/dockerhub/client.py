"""Docker Hub's own API (``hub.docker.com``): login, namespaces, repositories, tag metadata.

This is not the registry API (``registry-1.docker.io``, see :mod:`hubaction.registry`): the Hub
API lists what the registry cannot (a namespace's repositories, push dates and sizes of tags),
and its tokens are no registry tokens. Facts relied on, from Docker's published Hub API
reference and changelog:

* **Login.** ``POST /v2/auth/token`` with ``{"identifier": user, "secret": password or token}``
  answers ``{"access_token": ...}``, valid about 10 minutes, sent as ``Authorization: Bearer``.
  It takes passwords, personal access tokens (PATs, ``dckr_pat_...``) and organization access
  tokens (the identifier is then the organization). The older ``POST /v2/users/login`` with
  ``{"username", "password"}`` answers ``{"token": ...}``, sent as ``Authorization: JWT``; it is
  deprecated, so it is only tried where the new endpoint is missing (404). With two-factor
  authentication on, a password login answers 401, the legacy one with a ``login_2fa_token``;
  organizations that enforce SSO also refuse passwords: both need a PAT.
* **Listings** are pages: ``page`` (from 1) and ``page_size`` (default 10, **maximum 100**; a
  larger one is refused), answering ``{"count", "next", "previous", "results"}``.
  Repositories: ``GET /v2/namespaces/{ns}/repositories`` (the older ``/v2/repositories/{ns}/``
  is being retired, so it is only a fallback on 404). Tags: ``GET
  /v2/namespaces/{ns}/repositories/{repo}/tags`` (older ``/v2/repositories/{ns}/{repo}/tags``).
  Namespaces of the signed-in user: ``GET /v2/repositories/namespaces/`` ->
  ``{"username", "namespaces"}``.
* **Limits.** ``X-RateLimit-Limit``/``-Remaining``/``-Reset`` on API answers (per minute; not
  the registry's pull quota); over the limit, 429 with ``X-Retry-After``. The session's
  :class:`~hubaction.transport.BudgetRetry` waits and retries those within its time budget.

How pages are read: page 1 gives ``count``; pages 2..ceil(count/100) are then fetched
concurrently (bounded) by page number. ``next`` is never followed: it only tells whether more
pages exist, and building URLs ourselves keeps the token on the ``hub-url`` host whatever
``next`` says. Offset pages shift when the listing changes while it is read (a push moves a tag
to the front, a deletion pulls items up), which would duplicate or lose items; so a read is
only accepted when every page reports the same ``count``, no item appears twice, the last page
has no ``next`` and the items number exactly ``count``. Otherwise it is read again, a few
times at most.
"""

from __future__ import annotations

import json
import math
import re
import threading
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import Any, TypeVar
from urllib.parse import quote, urlsplit

import requests

from hubaction.errors import (
    HubActionError,
    InvalidInput,
    Kind,
    NotFound,
    RegistryError,
    Service,
    Unauthorized,
)
from hubaction.github.summary import Table, TagRow, md_code, md_text
from hubaction.oci.reference import parse_digest
from hubaction.oci.reference import parse_tag as parse_tag_name
from hubaction.oci.wire import load_json
from hubaction.registry.credentials import Credentials
from hubaction.registry.errors import error_body, error_for, network_error
from hubaction.registry.transport import (
    plain_http_allowed,
    read_body,
    redact_url,
)

__all__ = [
    "HUB_URL",
    "MAX_PAGES",
    "PAGE_SIZE",
    "HubClient",
    "HubImage",
    "HubPage",
    "HubRateLimit",
    "HubRepository",
    "HubTag",
    "format_hub_time",
    "parse_hub_ratelimit",
    "parse_hub_time",
    "parse_image",
    "parse_namespaces",
    "parse_page",
    "parse_repository",
    "parse_tag",
    "repository_table",
    "split_hub_repository",
    "tag_row",
]

HUB_URL = "https://hub.docker.com"
# The documented maximum page size; Docker Hub refuses larger ones, so never ask for more.
PAGE_SIZE = 100
# 500 pages of 100 = 50,000 items: far above any real namespace or repository (the largest
# official images have a few thousand tags), low enough to bound a run.
MAX_PAGES = 500
# A page of 100 tags with a dozen platform images each is about 0.5 MiB; 16 MiB is garbage.
MAX_PAGE_BYTES = 16 * 1024 * 1024
MAX_LOGIN_BYTES = 1024 * 1024
# Reads of a listing that changed while it was being read, before giving up.
LISTING_ATTEMPTS = 3
CONCURRENCY = 8

# distribution/reference's path component: what Docker Hub namespaces and repository names are
# made of (lowercase letters and digits, separated by `.`, `_`, `__` or dashes).
_NAME_RE = re.compile(r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*", re.ASCII)
_NAME_MAX = 255
# RFC 3339 date-time (what Docker Hub sends, e.g. 2024-05-01T12:34:56.123456Z). Stricter than
# datetime.fromisoformat, which also takes "2024-W01" or a date alone.
_TIME_RE = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})[Tt]([0-9]{2}):([0-9]{2}):([0-9]{2})"
    r"(?:\.([0-9]{1,9}))?([Zz]|[+-][0-9]{2}:[0-9]{2})",
    re.ASCII,
)

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
                    return parse_hub_time(text)
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
    :func:`hubaction.model.parse_ratelimit`). ``reset`` is a Unix time.
    """

    limit: int | None
    remaining: int | None
    reset: int | None


# -- pure parsers -----------------------------------------------------------------------------


def parse_hub_time(text: str) -> datetime:
    """An RFC 3339 date-time as an aware UTC datetime; digits past microseconds are dropped.

    Raises :class:`ValueError` for anything else.
    """
    match = _TIME_RE.fullmatch(text)
    if match is None:
        raise ValueError(
            f"time {text[:64]!r} is not an RFC 3339 date-time such as 2024-05-01T12:34:56Z"
        )
    year, month, day, hour, minute, second = (int(g) for g in match.groups()[:6])
    fraction = (match[7] or "").ljust(6, "0")[:6]
    zone = match[8]
    if zone in ("Z", "z"):
        tz = UTC
    else:
        hours, minutes = int(zone[1:3]), int(zone[4:6])
        if hours > 23 or minutes > 59:
            raise ValueError(f"time {text[:64]!r} has an invalid UTC offset {zone!r}")
        offset = timedelta(hours=hours, minutes=minutes)
        tz = timezone(-offset if zone[0] == "-" else offset)
    moment = datetime(year, month, day, hour, minute, second, int(fraction), tzinfo=tz)
    try:
        return moment.astimezone(UTC)
    except OverflowError:  # 0001-01-01T00:00:00+01:00 is before datetime.min in UTC
        raise ValueError(f"time {text[:64]!r} is out of range") from None


def format_hub_time(moment: datetime) -> str:
    """``moment`` in Docker Hub's form, ``2024-05-01T12:34:56.123456Z`` (naive means UTC)."""
    t = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    # Not strftime: its %Y does not pad years below 1000 on glibc.
    return (
        f"{t.year:04d}-{t.month:02d}-{t.day:02d}T{t.hour:02d}:{t.minute:02d}:{t.second:02d}"
        f".{t.microsecond:06d}Z"
    )


def split_hub_repository(repository: str) -> tuple[str, str]:
    """``("acme", "app")`` from ``acme/app``; ``("library", "node")`` from ``node``.

    Raises :class:`InvalidInput` when ``repository`` is not a Docker Hub repository name.
    """
    parts = repository.split("/")
    if len(parts) == 1:
        parts = ["library", *parts]
    if len(parts) != 2:
        raise InvalidInput(
            f"Docker Hub repository {repository!r} has {len(parts)} path components; Docker "
            "Hub repositories are `namespace/name`, e.g. `acme/app` (or `node` for "
            "`library/node`)"
        )
    return _check_name(parts[0], "namespace"), _check_name(parts[1], "repository")


def _check_name(name: str, kind: str) -> str:
    if len(name) > _NAME_MAX or not _NAME_RE.fullmatch(name):
        raise InvalidInput(
            f"Docker Hub {kind} {name[:300]!r} is not a valid name: lowercase letters and "
            "digits, separated by `.`, `_`, `__` or `-` (e.g. `acme`, `my-app`)"
        )
    return name


def _load_json(body: bytes, what: str) -> Any:
    try:
        return json.loads(body)
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise RegistryError(
            f"{what}: Docker Hub did not answer JSON; check `hub-url` points at the Docker Hub "
            "API (https://hub.docker.com), or retry later"
        ) from None


def _garbage(what: str, why: str) -> RegistryError:
    return RegistryError(
        f"{what}: Docker Hub's answer is not shaped as documented ({why}); check `hub-url` "
        "points at the Docker Hub API, or retry later"
    )


def _opt_str(doc: Mapping[str, Any], key: str, what: str) -> str | None:
    value = doc.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise _garbage(what, f"`{key}` is {type(value).__name__}, not a string")
    return value


def _opt_time(doc: Mapping[str, Any], key: str, what: str) -> str | None:
    value = _opt_str(doc, key, what)
    if not value:
        return None
    try:
        parse_hub_time(value)
    except ValueError:
        raise _garbage(what, f"`{key}` is {value[:64]!r}, not an RFC 3339 time") from None
    return value


def _opt_count(doc: Mapping[str, Any], key: str, what: str) -> int | None:
    value = doc.get(key)
    if value is None:
        return None
    # bool is an int in Python; `true` is no count.
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise _garbage(what, f"`{key}` is {str(value)[:32]!r}, not a count")
    return value


def _opt_digest(doc: Mapping[str, Any], key: str, what: str) -> str | None:
    value = _opt_str(doc, key, what)
    if not value:
        return None
    try:
        return str(parse_digest(value))
    except InvalidInput:
        raise _garbage(what, f"`{key}` is {value[:80]!r}, not a digest") from None


def _name(doc: Mapping[str, Any], key: str, what: str) -> str:
    value = doc.get(key)
    if not isinstance(value, str) or not value:
        raise _garbage(what, f"an item has no `{key}`")
    return value


def parse_page(body: bytes, *, what: str = "Docker Hub listing") -> HubPage:
    """A listing page ``{"count", "next", "previous", "results"}``; :class:`RegistryError`
    for anything else."""
    doc = _load_json(body, what)
    if not isinstance(doc, dict):
        raise _garbage(what, "not a JSON object")
    count = doc.get("count")
    if isinstance(count, bool) or not isinstance(count, int) or count < 0:
        raise _garbage(what, "no `count`")
    results = doc.get("results")
    if not isinstance(results, list) or not all(isinstance(r, dict) for r in results):
        raise _garbage(what, "`results` is not a list of objects")
    for key in ("next", "previous"):
        if key not in doc:
            raise _garbage(what, f"no `{key}`")
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
        if len(value) > _NAME_MAX or not _NAME_RE.fullmatch(value):
            raise _garbage(what, f"{kind} name {value[:80]!r} is not a valid name")
    private = doc.get("is_private", False)
    if not isinstance(private, bool):
        raise _garbage(what, f"`is_private` of {name!r} is not true or false")
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
        raise _garbage(what, f"tag {name[:140]!r} is not a valid tag") from None
    images = doc.get("images")
    if images is None:
        images = []
    if not isinstance(images, list) or not all(isinstance(i, dict) for i in images):
        raise _garbage(what, f"`images` of tag {name!r} is not a list of objects")
    return HubTag(
        name=name,
        digest=_opt_digest(doc, "digest", what),
        full_size=_opt_count(doc, "full_size", what),
        last_updated=_opt_time(doc, "last_updated", what),
        last_pushed=_opt_time(doc, "tag_last_pushed", what),
        images=tuple(parse_image(i, what=f"{what} {name!r}") for i in images),
    )


def parse_namespaces(body: bytes, *, what: str = "Docker Hub namespaces") -> list[str]:
    """``{"username": ..., "namespaces": [...]}`` -> the namespaces, first seen first."""
    doc = _load_json(body, what)
    names = doc.get("namespaces") if isinstance(doc, dict) else None
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise _garbage(what, "no `namespaces` list of names")
    return list(dict.fromkeys(names))


def _header_int(headers: Mapping[str, str], name: str) -> int | None:
    value = (headers.get(name) or "").strip()
    # isascii: str.isdigit() accepts "²", which int() refuses; 18 digits keep int() cheap.
    return int(value) if value.isascii() and value.isdigit() and len(value) <= 18 else None


def parse_hub_ratelimit(headers: Mapping[str, str]) -> HubRateLimit | None:
    """``X-RateLimit-Limit``/``-Remaining``/``-Reset`` of a Hub API answer, if sent."""
    limit = _header_int(headers, "X-RateLimit-Limit")
    remaining = _header_int(headers, "X-RateLimit-Remaining")
    reset = _header_int(headers, "X-RateLimit-Reset")
    if limit is None and remaining is None and reset is None:
        return None
    return HubRateLimit(limit, remaining, reset)


# -- summary helpers (pure) -------------------------------------------------------------------


def _when(text: str | None) -> str:
    if not text:
        return ""
    try:
        return parse_hub_time(text).strftime("%Y-%m-%d %H:%M UTC")
    except ValueError:
        return ""


def tag_row(tag: HubTag) -> TagRow:
    """The summary's tag-table row for ``tag``: digest, compressed size, push date."""
    pushed = tag.pushed_at
    return TagRow(
        tag.name,
        digest=tag.digest,
        size=tag.full_size,
        pushed=pushed.strftime("%Y-%m-%d %H:%M UTC") if pushed else None,
    )


def repository_table(
    repositories: Sequence[HubRepository], *, namespace: str, anonymous: bool
) -> Table:
    """The summary table of a namespace: name, private, pulls, stars, last updated."""
    rows = tuple(
        (
            md_code(r.name),
            "yes" if r.is_private else "no",
            "" if r.pull_count is None else f"{r.pull_count:,}",
            "" if r.star_count is None else str(r.star_count),
            md_text(_when(r.last_updated)),
        )
        for r in repositories
    )
    note = f"{len(rows)} repositories in namespace {md_code(namespace)}"
    note += "; public ones only (no credentials)." if anonymous else "."
    return Table(
        f"Repositories of {md_text(namespace)}",
        ("Repository", "Private", "Pulls", "Stars", "Last updated"),
        rows,
        note=note,
    )


# -- client -----------------------------------------------------------------------------------


class _Changed(Exception):
    """The listing changed while it was read; read it again."""


class HubClient:
    """Docker Hub API calls on the run's session; thread-safe.

    Logs in lazily, on the first call that needs it, and only when there are credentials:
    without them everything is anonymous (public repositories only). ``on_secret`` is told
    every token as soon as it arrives, so it can be masked before anything is printed.
    """

    def __init__(
        self,
        session: requests.Session,
        *,
        hub_url: str = HUB_URL,
        credentials: Credentials | None = None,
        on_secret: Callable[[str], None] = lambda _secret: None,
        debug: Callable[[str], None] = lambda _line: None,
        concurrency: int = CONCURRENCY,
        max_pages: int = MAX_PAGES,
    ) -> None:
        parts = urlsplit(hub_url)
        if parts.scheme not in ("http", "https") or not parts.hostname or parts.query:
            raise InvalidInput(
                f"hub-url {redact_url(hub_url)!r} is not an http(s) URL; use e.g. {HUB_URL}"
            )
        if concurrency < 1 or max_pages < 1:
            raise ValueError("concurrency and max_pages must be at least 1")
        self.session = session
        self.hub_url = hub_url.rstrip("/")
        self._host = parts.netloc.rsplit("@", 1)[-1]
        self._credentials = credentials
        self._on_secret = on_secret
        self._debug = debug
        self._concurrency = concurrency
        self._max_pages = max_pages
        self._lock = threading.Lock()
        self._login_lock = threading.Lock()
        self._authorization: str | None = None
        self._secrets: list[str] = [credentials.password] if credentials else []
        # None: unknown yet; True: the new endpoint answered 404 and the legacy one worked.
        self._legacy: dict[str, bool] = {}
        self.last_ratelimit: HubRateLimit | None = None
        self.requests_sent = 0

    @property
    def anonymous(self) -> bool:
        return self._credentials is None

    # -- plumbing ---------------------------------------------------------------------------

    def _record(self, response: requests.Response) -> None:
        limit = parse_hub_ratelimit(response.headers)
        with self._lock:
            self.requests_sent += 1
            if limit is not None:
                self.last_ratelimit = limit

    def _send(
        self,
        method: str,
        path: str,
        *,
        what: str,
        params: Mapping[str, str | int] | None = None,
        body: Mapping[str, str] | None = None,
        authorization: str | None = None,
    ) -> requests.Response:
        url = self.hub_url + path
        headers = {"Accept": "application/json"}
        if authorization:
            headers["Authorization"] = authorization
        self._debug(f"{method} {redact_url(url)}" + (f" {dict(params)}" if params else ""))
        try:
            response = self.session.request(
                method,
                url,
                params=params,
                json=body,
                headers=headers,
                stream=True,
                # A login must not follow a redirect: requests would re-send the JSON body
                # with the secret to wherever it points. Listings may follow redirects within
                # the host; requests drops Authorization when the host or scheme changes.
                allow_redirects=method == "GET",
            )
        except requests.RequestException as exc:
            raise network_error(exc, what=what, url=url, service=Service.HUB_API) from None
        self._record(response)
        return response

    # -- login ------------------------------------------------------------------------------

    def login(self) -> None:
        """Log in (again) with the credentials; without credentials, nothing to do.

        Raises :class:`Unauthorized` for refused credentials, with the way out (a personal
        access token) when two-factor auth or SSO is what refused them.
        """
        creds = self._credentials
        if creds is None:
            return
        if not plain_http_allowed(self.hub_url, insecure=False):
            raise Unauthorized(
                f"Docker Hub login at {self._host}: `hub-url` {redact_url(self.hub_url)} "
                "is plain HTTP; credentials are only sent over HTTPS (or to loopback "
                "hosts). Use an https:// hub-url"
            )
        what = f"Docker Hub login of user {creds.username!r} at {self._host}"
        with self._send(
            "POST",
            "/v2/auth/token",
            what=what,
            body={"identifier": creds.username, "secret": creds.password},
        ) as response:
            if response.status_code != 404:
                token = self._login_answer(response, "access_token", what)
                authorization = f"Bearer {token}"
            else:
                authorization = ""
        if not authorization:
            # The token endpoint is missing (an older or mirrored Hub API): the legacy
            # login, deprecated but the only one there.
            self._debug("POST /v2/auth/token answered 404: using the legacy /v2/users/login")
            with self._send(
                "POST",
                "/v2/users/login",
                what=what,
                body={"username": creds.username, "password": creds.password},
            ) as response:
                if response.status_code == 404:
                    raise RegistryError(
                        f"{what}: neither /v2/auth/token nor /v2/users/login exists at "
                        f"{redact_url(self.hub_url)}; check `hub-url` (the Docker Hub API "
                        f"is {HUB_URL})"
                    )
                token = self._login_answer(response, "token", what)
                authorization = f"JWT {token}"
        with self._lock:
            self._authorization = authorization

    def _login_answer(self, response: requests.Response, key: str, what: str) -> str:
        status = response.status_code
        if status in (401, 403):
            raise self._login_refused(response, what)
        if 300 <= status < 400:
            raise RegistryError(
                f"{what}: Docker Hub answered a redirect ({status}) to the login; credentials "
                "are not sent on. Check `hub-url` (the Docker Hub API is "
                f"{HUB_URL})"
            )
        if not 200 <= status < 300:
            raise self._fail(response, what, service=Service.HUB_LOGIN)
        doc = _load_json(read_body(response, limit=MAX_LOGIN_BYTES, what=what), what)
        token = doc.get(key) if isinstance(doc, dict) else None
        if not isinstance(token, str) or not token:
            raise _garbage(what, f"no `{key}` in the login answer")
        self._remember_secret(token)
        return token

    def _remember_secret(self, secret: str) -> None:
        """Mask ``secret`` now and scrub it from every message quoting Docker Hub's text."""
        self._on_secret(secret)
        with self._lock:
            self._secrets.append(secret)

    def _login_refused(self, response: requests.Response, what: str) -> HubActionError:
        body = error_body(response)
        try:
            doc = load_json(body)
        except ValueError:
            doc = None
        # The legacy login's pending second-factor token: a token too, masked though unused.
        pending = doc.get("login_2fa_token") if isinstance(doc, dict) else None
        if isinstance(pending, str) and pending:
            self._remember_secret(pending)
        return self._fail(response, what, body=body, service=Service.HUB_LOGIN)

    def _authorization_header(self) -> str | None:
        if self._credentials is None:
            return None
        with self._login_lock:
            with self._lock:
                current = self._authorization
            if current is None:
                self.login()
            with self._lock:
                return self._authorization

    def _relogin(self, failed: str | None) -> str | None:
        """After a 401 with ``failed``: log in again unless another thread already did."""
        with self._login_lock:
            with self._lock:
                current = self._authorization
            if current == failed:
                self.login()
            with self._lock:
                return self._authorization

    # -- GET with auth ----------------------------------------------------------------------

    def _get(
        self, path: str, *, what: str, params: Mapping[str, str | int] | None = None
    ) -> requests.Response:
        """GET ``path``; on a 401 with a token (it lasts ~10 minutes), log in again once."""
        authorization = self._authorization_header()
        response = self._send("GET", path, what=what, params=params, authorization=authorization)
        if response.status_code == 401 and authorization is not None:
            response.close()
            self._debug(f"{what}: 401 with a token; logging in again")
            authorization = self._relogin(authorization)
            response = self._send(
                "GET", path, what=what, params=params, authorization=authorization
            )
        return response

    def _fail(
        self,
        response: requests.Response,
        what: str,
        *,
        body: bytes | None = None,
        service: Service = Service.HUB_API,
    ) -> HubActionError:
        """The error for a non-2xx Docker Hub answer that is not a 404."""
        with self._lock:
            secrets = tuple(self._secrets)
            limit = self.last_ratelimit
        return error_for(
            response,
            what=what,
            body=body,
            service=service,
            anonymous=self._credentials is None,
            quota=limit.limit if limit is not None and limit.limit else None,
            secrets=secrets,
        )

    # -- listings ---------------------------------------------------------------------------

    def namespaces(self) -> list[str]:
        """The namespaces the credentials can see (the user's own and its organizations')."""
        what = "Docker Hub namespaces"
        if self._credentials is None:
            raise InvalidInput(
                "list-namespaces needs credentials: set `username` and `password` (a personal "
                "access token); Docker Hub lists namespaces only for a signed-in user"
            )
        with self._get("/v2/repositories/namespaces/", what=what) as response:
            if not 200 <= response.status_code < 300:
                if response.status_code == 404:
                    raise NotFound(
                        f"{what}: {redact_url(self.hub_url)} has no /v2/repositories/namespaces/ "
                        f"(404); check `hub-url` (the Docker Hub API is {HUB_URL})",
                        kind=Kind.NAMESPACE,
                        status=404,
                    )
                raise self._fail(response, what)
            return parse_namespaces(read_body(response, limit=MAX_PAGE_BYTES, what=what), what=what)

    def repositories(self, namespace: str) -> list[HubRepository]:
        """Every repository of ``namespace`` the credentials can see (anonymous: public)."""
        ns = _check_name(namespace, "namespace")
        what = f"Docker Hub repositories of namespace {ns!r}"
        missing = NotFound(
            f"{what}: the namespace does not exist (404)",
            kind=Kind.NAMESPACE,
            status=404,
            service=Service.HUB_API,
        )
        return self._list(
            "repositories",
            (f"/v2/namespaces/{quote(ns)}/repositories", f"/v2/repositories/{quote(ns)}/"),
            what=what,
            parse=lambda doc: parse_repository(doc, what=what),
            key=lambda repo: repo.name,
            missing=missing,
        )

    def tags(self, namespace: str, repository: str) -> list[HubTag]:
        """Every tag of ``namespace/repository`` with its metadata."""
        ns = _check_name(namespace, "namespace")
        repo = _check_name(repository, "repository")
        what = f"Docker Hub tags of {ns}/{repo}"
        # Docker Hub answers 404, not 401, for a private repository it will not show.
        hidden = (
            "; it may be private, which anonymous access cannot see"
            if self._credentials is None
            else ", or it is private and the credentials may not read it"
        )
        missing = NotFound(
            f"{what}: the repository does not exist (404){hidden}",
            kind=Kind.REPOSITORY,
            status=404,
            service=Service.HUB_API,
            registry="docker.io",
            repository=f"{ns}/{repo}",
        )
        return self._list(
            "tags",
            (
                f"/v2/namespaces/{quote(ns)}/repositories/{quote(repo)}/tags",
                f"/v2/repositories/{quote(ns)}/{quote(repo)}/tags",
            ),
            what=what,
            parse=lambda doc: parse_tag(doc, what=what),
            key=lambda tag: tag.name,
            missing=missing,
        )

    def _list(
        self,
        kind: str,
        paths: tuple[str, str],
        *,
        what: str,
        parse: Callable[[Mapping[str, Any]], T],
        key: Callable[[T], str],
        missing: NotFound,
    ) -> list[T]:
        for attempt in range(1, LISTING_ATTEMPTS + 1):
            try:
                return self._list_once(
                    kind, paths, what=what, parse=parse, key=key, missing=missing
                )
            except _Changed as changed:
                self._debug(f"{what}: {changed} (read {attempt} of {LISTING_ATTEMPTS})")
        raise RegistryError(
            f"{what}: the listing kept changing while it was read ({LISTING_ATTEMPTS} reads); "
            "something is pushing or deleting right now. Retry later"
        )

    def _list_once(
        self,
        kind: str,
        paths: tuple[str, str],
        *,
        what: str,
        parse: Callable[[Mapping[str, Any]], T],
        key: Callable[[T], str],
        missing: NotFound,
    ) -> list[T]:
        with self._lock:
            legacy = self._legacy.get(kind)
        path = paths[1] if legacy else paths[0]
        first = self._page(path, 1, what=what)
        if first is not None and legacy is None:
            with self._lock:
                self._legacy[kind] = False
        if first is None and legacy is None:
            # The new endpoint is missing, or the namespace/repository is: the legacy
            # endpoint tells which.
            self._debug(f"{what}: {paths[0]} answered 404; trying {paths[1]}")
            path = paths[1]
            first = self._page(path, 1, what=what)
            if first is not None:
                with self._lock:
                    self._legacy[kind] = True
        if first is None:
            raise missing
        pages = max(1, math.ceil(first.count / PAGE_SIZE))
        if pages > self._max_pages:
            raise RegistryError(
                f"{what}: Docker Hub counts {first.count} items, {pages} pages of {PAGE_SIZE}, "
                f"more than the {self._max_pages} pages ({self._max_pages * PAGE_SIZE} items) "
                "hubaction reads; narrow the listing (a namespace or repository with fewer "
                "items) or report this if you need more"
            )
        rest = self._pages(path, range(2, pages + 1), what=what)
        found: dict[str, T] = {}
        for number, page in enumerate([first, *rest], start=1):
            if page is None:
                raise _Changed(f"page {number} vanished (404)")
            if page.count != first.count:
                raise _Changed(f"the count went from {first.count} to {page.count}")
            for doc in page.results:
                item = parse(doc)
                name = key(item)
                if name in found:
                    raise _Changed(f"{name!r} appeared twice (pages shifted)")
                found[name] = item
        last = rest[-1] if rest else first
        if last is not None and last.next is not None:
            raise _Changed("the last page says there is a next one")
        if len(found) != first.count:
            raise _Changed(f"{len(found)} items read but {first.count} counted")
        return list(found.values())

    def _pages(self, path: str, numbers: range, *, what: str) -> list[HubPage | None]:
        if not numbers:
            return []
        workers = max(1, min(self._concurrency, len(numbers)))
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="hub-page") as pool:
            futures: list[Future[HubPage | None]] = [
                pool.submit(self._page, path, n, what=what) for n in numbers
            ]
            try:
                return [f.result() for f in futures]
            except BaseException:
                for f in futures:
                    f.cancel()
                raise

    def _page(self, path: str, number: int, *, what: str) -> HubPage | None:
        """Page ``number`` of ``path``; ``None`` on 404 (missing endpoint, item or page)."""
        where = f"{what} (page {number})"
        params = {"page_size": PAGE_SIZE, "page": number}
        with self._get(path, what=where, params=params) as response:
            if response.status_code == 404:
                return None
            if not 200 <= response.status_code < 300:
                raise self._fail(response, where)
            return parse_page(read_body(response, limit=MAX_PAGE_BYTES, what=where), what=where)
