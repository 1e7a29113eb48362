"""HTTP answers and network failures as exceptions that carry what happened.

:func:`error_for` is the one mapping from an answer (status, OCI error codes, Docker Hub's
``detail``) to a :class:`~hubaction.errors.HubActionError`, for a registry, its token service
and Docker Hub's API alike: who answered (``service``) and Docker Hub's specifics are
arguments, not a second mapping. After go-containerregistry's ``transport.CheckError``.
"""

from __future__ import annotations

import email.utils
import math
import re
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests

from hubaction.errors import (
    DeadlineExceeded,
    ErrorDetail,
    HubActionError,
    Kind,
    NotFound,
    RateLimited,
    RegistryError,
    Service,
    Unauthorized,
)
from hubaction.oci.wire import NotJSON, load_json, scrub
from hubaction.registry.deadline import DeadlinePassed

# Docker Hub's 401 bodies for accounts that cannot log in with a password.
_2FA_RE = re.compile(
    r"two[- ]?factor|\b2fa\b|\bmfa\b|multi[- ]?factor|\bsso\b|single sign[- ]?on",
    re.IGNORECASE,
)
_HUB = (Service.HUB_API, Service.HUB_LOGIN)
# A refusal that says the token expired: ECR's `DENIED: Your authorization token has expired.
# Reauthenticate and try again.` (aws/aws-cli#6580; ECR Public answers it with 400,
# aws/containers-roadmap#2835). Its advice is to get a new token, not to check the password.
_EXPIRED_RE = re.compile(r"\b(?:token|credentials?|password)\b[^.;]{0,40}\bexpired\b", re.I)


def parse_retry_after(value: str) -> float | None:
    """Seconds to wait from ``Retry-After`` (seconds or an HTTP date) or a Unix timestamp."""
    text = value.strip()
    try:
        number = float(text)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(text)
        except (TypeError, ValueError):
            return None
        return max(0.0, when.timestamp() - time.time())
    if not math.isfinite(number):  # "inf", "nan", "1e999": garbage, and int(inf) would raise
        return None
    if number > 1_000_000_000:  # a Unix timestamp, as Docker Hub's X-Retry-After
        return max(0.0, number - time.time())
    return max(0.0, number)


def _one_line(text: str, limit: int = 300, secrets: Iterable[str] = ()) -> str:
    """``text`` for a message: secrets hidden first (every known one and ``secrets``, in
    their common encodings), then whitespace folded (and scrubbed again: folding may join a
    secret's words), then cut, so neither the cut nor the folding can show part of one."""
    hidden = tuple(secrets)
    flat = scrub(" ".join(scrub(text, hidden).split()), hidden)
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def _load(body: bytes) -> Any:
    try:
        return load_json(body[:65536])  # an error body is read only that far (error_body)
    except NotJSON:
        return None


def parse_error_body(body: bytes, secrets: Iterable[str] = ()) -> list[ErrorDetail]:
    """Errors from an OCI error body, or Docker Hub's ``detail``/``message`` shapes, each on
    one bounded line with ``secrets`` (and every known one) hidden before it was cut."""
    doc = _load(body)
    if not isinstance(doc, dict):
        return []
    hidden = tuple(secrets)

    def line(value: object) -> str:
        return _one_line(value, secrets=hidden) if isinstance(value, str) else ""

    found: list[ErrorDetail] = []
    errors = doc.get("errors")
    if isinstance(errors, list):
        for err in errors[:5]:
            if isinstance(err, dict):
                found.append(ErrorDetail(line(err.get("code")), line(err.get("message"))))
    for key in ("detail", "message", "error"):
        value = doc.get(key)
        if not found and isinstance(value, str) and value:
            found.append(ErrorDetail("", line(value)))
    return found


def error_body(response: requests.Response) -> bytes:
    """The start of an error body: enough for the OCI error JSON, never the whole of a
    proxy's HTML page (which must not turn a 404 into a "body too large" error)."""
    if response.request is not None and response.request.method == "HEAD":
        return b""
    try:
        return next(response.iter_content(chunk_size=65536), b"")
    except requests.RequestException:
        return b""


@dataclass(frozen=True)
class _Answer:
    """One non-2xx answer and who asked, as :func:`error_for` was told."""

    what: str
    status: int
    reason: str
    details: tuple[ErrorDetail, ...]
    keys: frozenset[str]  # the top-level keys of a JSON object body
    headers: Mapping[str, str]
    service: Service
    registry: str | None
    repository: str | None
    user: str | None
    anonymous: bool
    quota: int | None

    @property
    def said(self) -> str:
        return "; ".join(str(d) for d in self.details if str(d))

    @property
    def where(self) -> str:
        return f" ({self.said})" if self.said else ""

    def fields(self, kind: Kind) -> dict[str, Any]:
        return {
            "kind": kind,
            "status": self.status,
            "service": self.service,
            "registry": self.registry,
            "repository": self.repository,
            "details": self.details,
        }


def error_for(
    response: requests.Response,
    *,
    what: str,
    body: bytes | None = None,
    service: Service = Service.REGISTRY,
    registry: str | None = None,
    repository: str | None = None,
    user: str | None = None,
    anonymous: bool = False,
    quota: int | None = None,
    secrets: Iterable[str] = (),
) -> HubActionError:
    """The exception for the non-2xx ``response`` to ``what`` (e.g. "manifest of x").

    ``body`` is the error body when already read (else its first 64 KiB are). ``user`` names
    whose credentials were sent (the token service's refusal names it), ``anonymous`` that
    none were; ``quota`` is Docker Hub API's per-minute limit, for its 429; ``secrets`` (and
    every known one, :data:`~hubaction.oci.wire.KNOWN_SECRETS`) are scrubbed from the quoted
    answer before it is folded or cut, as a server may echo what it was sent.
    """
    raw = error_body(response) if body is None else body
    hidden = tuple(secrets)
    details = tuple(parse_error_body(raw, hidden))
    doc = _load(raw)
    keys = frozenset(k for k in doc if isinstance(k, str)) if isinstance(doc, dict) else ()
    answer = _Answer(
        what=what,
        status=response.status_code,
        reason=_one_line(response.reason or "", 100, hidden),
        details=details,
        keys=frozenset(keys),
        headers=response.headers,
        service=service,
        registry=registry,
        repository=repository,
        user=user,
        anonymous=anonymous,
        quota=quota,
    )
    if answer.status in (400, 401, 403) and _EXPIRED_RE.search(answer.said):
        return _expired(answer)
    if answer.status in (401, 403):
        return _refused(answer)
    if answer.status == 404:
        return _missing(answer)
    if answer.status == 429:
        return _rate_limited(answer)
    return _failed(answer)


def _expired(a: _Answer) -> Unauthorized:
    return Unauthorized(
        f"{a.what}: the {a.service} refused the token as expired ({a.status}: {a.said})",
        **a.fields(Kind.CREDENTIALS_EXPIRED),
    )


def _refused(a: _Answer) -> Unauthorized:
    if a.service is Service.HUB_LOGIN:
        said = f": {a.said}" if a.said else ""
        if "login_2fa_token" in a.keys or _2FA_RE.search(a.said):
            return Unauthorized(
                f"{a.what}: Docker Hub refused the password ({a.status}{said}): two-factor "
                "authentication or single sign-on (SSO) is enforced for this account, so a "
                "password cannot be used",
                **a.fields(Kind.SECOND_FACTOR),
            )
        return Unauthorized(
            f"{a.what}: Docker Hub refused the credentials ({a.status}{said})",
            **a.fields(Kind.CREDENTIALS_REFUSED),
        )
    refused = Kind.NEEDS_CREDENTIALS if a.anonymous else Kind.CREDENTIALS_REFUSED
    if a.service is Service.REALM:
        who = f"user {a.user!r}" if a.user else "anonymous access"
        return Unauthorized(
            f"{a.what}: the token service refused {who} ({a.status}){a.where}",
            **a.fields(refused),
        )
    if a.status == 403:
        denied = "Docker Hub denied access" if a.service in _HUB else "access denied"
        return Unauthorized(f"{a.what}: {denied} (403){a.where}", **a.fields(Kind.ACCESS_DENIED))
    if a.service is Service.HUB_API and a.anonymous:
        return Unauthorized(
            f"{a.what}: Docker Hub answered 401 Unauthorized{a.where}: this needs credentials",
            **a.fields(refused),
        )
    if a.service is Service.HUB_API:
        return Unauthorized(
            f"{a.what}: Docker Hub refused the login token (401){a.where}", **a.fields(refused)
        )
    if a.anonymous and a.status == 401:
        # Docker Hub, Harbor and Pulp answer an anonymous 401 for a missing repository too.
        # How to pass credentials to that registry is the advice's (errors.advice, by host).
        name = f"{a.registry}/{a.repository}" if a.registry and a.repository else "it"
        return Unauthorized(
            f"{a.what}: the registry answered 401 Unauthorized to anonymous access{a.where}: "
            f"{name} does not exist, or is private and needs credentials",
            **a.fields(Kind.NEEDS_CREDENTIALS),
        )
    return Unauthorized(
        f"{a.what}: the registry answered 401 Unauthorized{a.where}",
        **a.fields(Kind.CREDENTIALS_REFUSED),
    )


def _missing(a: _Answer) -> NotFound:
    codes = {d.code.upper() for d in a.details}
    if "NAME_UNKNOWN" in codes:
        return NotFound(
            f"{a.what}: the repository does not exist (404 NAME_UNKNOWN){a.where}",
            **a.fields(Kind.REPOSITORY),
        )
    if "BLOB_UNKNOWN" in codes:
        return NotFound(f"{a.what}: blob not found (404){a.where}", **a.fields(Kind.BLOB))
    return NotFound(f"{a.what}: not found (404){a.where}", **a.fields(Kind.MANIFEST))


def _rate_limited(a: _Answer) -> RateLimited:
    names = ("X-Retry-After", "Retry-After")  # Docker Hub's API sends X-Retry-After
    if a.service not in _HUB:
        names = names[::-1]
    header = next((a.headers[n] for n in names if a.headers.get(n)), None)
    wait = parse_retry_after(header) if header else None
    if a.service in _HUB:
        quota = f" (limit {a.quota} per minute)" if a.quota else ""
        return RateLimited(
            f"{a.what}: Docker Hub's API rate limit was hit{quota}, still after waiting and "
            "retrying" + (f"; it allows more in about {int(wait)} s" if wait is not None else ""),
            retry_after=wait,
            **a.fields(Kind.API_RATE_LIMIT),
        )
    return RateLimited(
        f"{a.what}: rate limited (429){a.where}, still after retrying"
        + (f". Retry after about {int(wait)} s" if wait is not None else ""),
        retry_after=wait,
        **a.fields(Kind.PULL_RATE_LIMIT),
    )


def _failed(a: _Answer) -> RegistryError:
    who = "Docker Hub" if a.service in _HUB else f"the {a.service}"
    kind = Kind.SERVER_FAILED if a.status >= 500 else Kind.REQUEST_REFUSED
    return RegistryError(
        f"{a.what}: {who} answered {a.status} {a.reason}".rstrip() + a.where, **a.fields(kind)
    )


def check_response(
    response: requests.Response, *, what: str, body: bytes | None = None, **context: Any
) -> requests.Response:
    """Return ``response`` when it is a success (2xx), else raise :func:`error_for`'s error
    (``context``: its keyword arguments)."""
    if 200 <= response.status_code < 300:
        return response
    raise error_for(response, what=what, body=body, **context)


_OBJECT_REPR = re.compile(r"<[\w.]+ object at 0x[0-9a-f]+>:?\s*")


def root_cause(exc: BaseException) -> str:
    """The root cause of a requests/urllib3 error ("[Errno 111] Connection refused"), not the
    wrapper's text (MaxRetryError, pools, object reprs)."""
    cause: BaseException = exc
    for _ in range(10):  # requests -> MaxRetryError -> NewConnectionError -> OSError
        inner = getattr(cause, "reason", None) or cause.__cause__
        if inner is None and cause.args and isinstance(cause.args[0], BaseException):
            inner = cause.args[0]
        if not isinstance(inner, BaseException):
            break
        cause = inner
    text = scrub(_OBJECT_REPR.sub("", str(cause)).strip()) or type(cause).__name__
    if "Failed to establish a new connection: " in text:
        text = text.split("Failed to establish a new connection: ", 1)[1]
    return text if len(text) <= 200 else text[:199] + "…"


def network_error(
    exc: requests.RequestException,
    *,
    what: str,
    url: str,
    service: Service = Service.REGISTRY,
    registry: str | None = None,
    repository: str | None = None,
) -> RegistryError:
    """A network failure (TLS, timeout, no connection) as a RegistryError with its kind."""
    host = urlsplit(url).netloc.rsplit("@", 1)[-1]
    fields: dict[str, Any] = {"service": service, "registry": registry, "repository": repository}
    if isinstance(exc, DeadlinePassed):  # before Timeout: the run's deadline, not one read's
        return DeadlineExceeded(
            exc.describe(what, host),
            host=host,
            activity=what,
            elapsed=exc.elapsed,
            limit=exc.deadline.seconds,
            **fields,
        )
    if isinstance(exc, requests.exceptions.SSLError):
        return RegistryError(
            f"{what}: TLS verification of {host} failed ({root_cause(exc)})",
            kind=Kind.TLS_FAILED,
            **fields,
        )
    if isinstance(exc, requests.exceptions.Timeout):
        return RegistryError(
            f"{what}: {host} did not answer in time (timeout)", kind=Kind.TIMEOUT, **fields
        )
    return RegistryError(
        f"{what}: could not connect to {host} ({root_cause(exc)})", kind=Kind.UNREACHABLE, **fields
    )
