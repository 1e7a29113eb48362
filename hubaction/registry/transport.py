"""HTTP plumbing shared by the registry and Docker Hub clients.

* :func:`new_session`: one ``requests.Session`` for the whole run (keep-alive, one pooled
  connection per host), with default connect/read timeouts and urllib3 ``Retry`` for 408, 429,
  500, 502, 503, 504 and connection errors, honouring ``Retry-After`` and Docker Hub's
  ``X-Retry-After`` within a total time budget.
* :func:`read_body`: reads a streamed body with a size cap, so a hostile server cannot exhaust
  memory, and by the deadline of its request.
* The run's :class:`~hubaction.registry.deadline.Deadline` (:mod:`hubaction.registry.deadline`),
  held by the session's adapter: checked before every request, capping its timeouts and retry
  waits, its socket cut by the watchdog when it passes.
* :func:`redact_url`: strips credentials and tokens from URLs before they reach a log line.
* :func:`refuse_plain_http_credentials`: the check every sender makes before the wire.
"""

from __future__ import annotations

import os
import random
import time
from collections.abc import Mapping
from contextlib import suppress
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.exceptions import InvalidHeader as Urllib3InvalidHeader
from urllib3.exceptions import ReadTimeoutError
from urllib3.util.retry import Retry

from hubaction import USER_AGENT
from hubaction.errors import CorruptBody, RegistryError, Service
from hubaction.oci.reference import is_loopback_host
from hubaction.oci.wire import decimal_count, holds_secret, scrub
from hubaction.registry.deadline import (
    Deadline,
    DeadlinePassed,
    effective,
    in_flight,
    sending,
    watch_pools,
)
from hubaction.registry.errors import network_error, parse_retry_after

# (connect, read) seconds. A registry that accepts the connection and then says nothing must
# not hang a CI job; 20 s of silence between bytes is far beyond any healthy registry.
DEFAULT_TIMEOUT = (10.0, 20.0)
# Total time the retries of one request may spend sleeping, about a minute as the contract's
# "bounded time" promises.
DEFAULT_RETRY_BUDGET = 60.0
RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
# Enough to fill pools for the bounded concurrency used for tag digests and Hub pages.
POOL_SIZE = 10


class BudgetRetry(Retry):
    """urllib3 ``Retry`` with a wall-clock budget and Docker Hub's ``X-Retry-After``.

    urllib3 counts attempts, not time; a registry answering ``Retry-After: 3600`` would stall a
    job for an hour. Here every sleep is cut to what remains of the budget, and once the budget
    is spent the next failure is final.

    The budget is per request: the adapter's ``Retry`` is a template shared by every request of
    the session, so the clock starts at a request's first failure (the first :meth:`new`), not
    when the session was made; else a run longer than the budget would never retry again.
    """

    def __init__(
        self, *args: Any, deadline: float | None = None, budget: float | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.deadline = deadline
        self.budget = budget

    def new(self, **kw: Any) -> BudgetRetry:
        new = super().new(**kw)
        assert isinstance(new, BudgetRetry)
        new.budget = self.budget
        if self.deadline is None and self.budget is not None:
            new.deadline = time.monotonic() + self.budget
        else:
            new.deadline = self.deadline
        return new

    def _remaining(self) -> float:
        budget = float("inf") if self.deadline is None else self.deadline - time.monotonic()
        # The run's deadline (issue 13 §1) bounds every request's retries too.
        run = in_flight()
        return budget if run is None else min(budget, run.remaining())

    def get_retry_after(self, response: Any) -> float | None:
        try:
            value = super().get_retry_after(response)
        except Urllib3InvalidHeader:
            # urllib3 raises on a Retry-After it cannot parse, which ends the request with an
            # InvalidHeader instead of a retry; a garbled header means "no hint": back off.
            value = None
        if value is None:
            # Docker Hub's API sends X-Retry-After as a Unix time (its rate-limit docs).
            raw = response.headers.get("X-Retry-After")
            value = parse_retry_after(raw) if raw else None
        return value

    def is_exhausted(self) -> bool:
        return super().is_exhausted() or self._remaining() <= 0

    def sleep(self, response: Any = None) -> None:
        """The wait before the next attempt: ``Retry-After`` cut to the budget, else backoff.

        A ``Retry-After`` longer than what is left of the run's deadline stops the retries
        now (:class:`DeadlinePassed`): waiting for part of it would only fail later.
        """
        retry_after = self.get_retry_after(response) if response is not None else None
        if retry_after is not None:
            run = in_flight()
            if run is not None and retry_after > run.remaining():
                raise DeadlinePassed(run, "retry", retry_after=retry_after)
            time.sleep(max(0.0, min(retry_after, self._remaining())))
            return
        # Full jitter (AWS architecture blog, "Exponential Backoff and Jitter"): many CI jobs
        # hitting one registry at once must not retry in lockstep.
        backoff = self.get_backoff_time()
        if backoff <= 0:
            return
        time.sleep(max(0.0, min(random.uniform(0, backoff), self._remaining())))  # noqa: S311


class _TimeoutAdapter(HTTPAdapter):
    """An adapter that applies a default timeout (requests has none, and hangs forever) and
    the run's :class:`Deadline`: checked before each request, capping its timeouts, and
    watched (:data:`~hubaction.registry.deadline.WATCHDOG`) while it is in flight."""

    def __init__(
        self, timeout: tuple[float, float], deadline: Deadline | None = None, **kwargs: Any
    ) -> None:
        self._timeout = timeout
        self.deadline = deadline
        super().__init__(**kwargs)

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        watch_pools(self.poolmanager)

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> Any:
        manager = super().proxy_manager_for(proxy, **proxy_kwargs)
        if not proxy.lower().startswith("socks"):  # SOCKS pools have connections of their own
            watch_pools(manager)
        return manager

    def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> Any:
        timeout = kwargs.get("timeout")
        connect, read = self._timeout if timeout is None else (timeout, timeout)
        if isinstance(timeout, tuple):
            connect, read = timeout
        deadline = effective(self.deadline)
        if deadline is None:
            kwargs["timeout"] = (connect, read)
            return self._send(request, *args, **kwargs)
        url = request.url or ""
        if deadline.expired():
            raise DeadlinePassed(deadline, "send", url=url)
        # urllib3 refuses a timeout of 0; the watchdog cuts what outlives the deadline anyway.
        kwargs["timeout"] = tuple(
            max(0.001, deadline.remaining() if t is None else deadline.cap(t))
            for t in (connect, read)
        )
        try:
            with sending(deadline):
                response = self._send(request, *args, **kwargs)
        except requests.RequestException as exc:
            passed = exc.args[0] if exc.args else None  # requests wraps it in ConnectionError
            if isinstance(passed, DeadlinePassed):
                passed.url = url
                raise passed from None
            if deadline.expired():
                raise DeadlinePassed(deadline, "answer", url=url) from None
            raise
        if deadline.expired():  # an answer cut short by the watchdog looks like a whole one
            response.close()
            raise DeadlinePassed(deadline, "answer", url=url)
        return response

    def _send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().send(request, *args, **kwargs)
        except requests.exceptions.ConnectionError as exc:
            # Once the read retries are spent, requests reports a read timeout as a
            # ConnectionError (MaxRetryError caused by ReadTimeoutError); callers tell a silent
            # registry from an unreachable one by catching Timeout, so give them one.
            reason = getattr(exc.args[0], "reason", None) if exc.args else None
            if isinstance(reason, ReadTimeoutError):
                raise requests.exceptions.ReadTimeout(exc, request=request) from None
            raise


def session_deadline(session: requests.Session) -> Deadline | None:
    """The run deadline of a session made by :func:`new_session` (``None``: none)."""
    adapter = session.adapters.get("https://")
    return adapter.deadline if isinstance(adapter, _TimeoutAdapter) else None


def new_retry(budget: float = DEFAULT_RETRY_BUDGET, *, total: int = 6) -> BudgetRetry:
    return BudgetRetry(
        total=total,
        connect=3,
        # One retry of a read timeout: a registry that stopped answering costs at most two read
        # timeouts (40 s), inside the one-minute promise.
        read=1,
        status=total,
        backoff_factor=0.5,
        backoff_max=10.0,
        status_forcelist=RETRY_STATUSES,
        # POST is retried too: the only POSTs are Docker Hub logins, which are idempotent.
        allowed_methods=frozenset({"GET", "HEAD", "POST"}),
        respect_retry_after_header=True,
        raise_on_status=False,
        raise_on_redirect=False,
        budget=budget,
    )


class _NoAuth(requests.auth.AuthBase):
    """A session auth that adds nothing (see :class:`_Session`)."""

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        return request


class _Session(requests.Session):
    """A ``requests.Session`` that never adds ``~/.netrc`` credentials.

    With ``trust_env`` requests adds them to any request without an Authorization of its own,
    and again after every redirect: to hosts hubaction never vetted, past
    :func:`refuse_plain_http_credentials` (a netrc ``default`` entry matches every host).
    hubaction's credentials come from its inputs only; ``trust_env`` stays on for proxies and
    CA bundles.
    """

    def __init__(self) -> None:
        super().__init__()
        self.auth = _NoAuth()  # a session auth: prepare_request skips the netrc lookup

    def rebuild_auth(
        self, prepared_request: requests.PreparedRequest, response: requests.Response
    ) -> None:
        # requests' own, without its netrc lookup: strip Authorization when leaving the host.
        headers = prepared_request.headers
        strip = self.should_strip_auth(response.request.url, prepared_request.url)  # type: ignore[no-untyped-call]
        if "Authorization" in headers and strip:
            del headers["Authorization"]


def new_session(
    *,
    timeout: tuple[float, float] = DEFAULT_TIMEOUT,
    retry_budget: float = DEFAULT_RETRY_BUDGET,
    retries: int = 6,
    deadline: Deadline | None = None,
) -> requests.Session:
    """The one session of a run: pooled keep-alive connections, timeouts, bounded retries, and
    the run's ``deadline`` for every request sent through it."""
    session = _Session()
    session.headers["User-Agent"] = USER_AGENT
    adapter = _TimeoutAdapter(
        timeout,
        deadline,
        max_retries=new_retry(retry_budget, total=retries),
        pool_connections=POOL_SIZE,
        pool_maxsize=POOL_SIZE,
    )
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    # requests itself honours REQUESTS_CA_BUNDLE and CURL_CA_BUNDLE but not SSL_CERT_FILE: it
    # always passes certifi's bundle to OpenSSL, so OpenSSL never reads SSL_CERT_FILE. The
    # contract promises both (a private CA set with `env:` on the step); REQUESTS_CA_BUNDLE
    # still wins, as requests merges it in per request.
    ca_file = os.environ.get("SSL_CERT_FILE")
    if ca_file:
        session.verify = ca_file
    return session


def plain_http_allowed(url: str, *, insecure: bool) -> bool:
    """Whether credentials may be sent to ``url``: HTTPS, loopback, or ``insecure`` opted in."""
    parts = urlsplit(url)
    return parts.scheme == "https" or insecure or is_loopback_host(parts.hostname or "")


def _carries_credentials(headers: Mapping[str, object]) -> bool:
    return any(name.lower() == "authorization" for name in headers)


def refuse_plain_http_credentials(
    url: str,
    headers: Mapping[str, object],
    *,
    insecure: bool,
    what: str,
    secret_body: bool = False,
    service: Service | None = None,
    registry: str | None = None,
) -> None:
    """The one check every sender makes just before the wire: no Authorization (nor a body
    with a secret) over plain HTTP to a host that is not loopback, unless ``insecure``.

    Whatever led there (a ``Link``, a ``Location``, a token realm, a ``hub-url``), the request
    is refused with an error, never sent without its header: a silent anonymous retry would
    only turn the leak into a confusing 401.
    """
    if not (secret_body or _carries_credentials(headers)):
        return
    if plain_http_allowed(url, insecure=insecure):
        return
    host = urlsplit(url).netloc.rsplit("@", 1)[-1][:MAX_QUOTED_URL]
    raise RegistryError(
        f"{what}: refusing to send credentials over plain HTTP to {host} "
        f"({quoted_url(url)}); they are only sent over HTTPS, to loopback hosts, or to a "
        "registry marked `insecure`",
        service=service,
        registry=registry,
    )


# Pre-signed blob URLs (S3, GCS as used by GAR/GCR) carry credentials in the query.
_SIGNED_URL_PREFIXES = ("x-amz-", "x-goog-")
_SECRET_QUERY_KEYS = frozenset({"token", "access_token", "password", "secret", "sig", "signature"})


def _secret_key(key: str) -> bool:
    lowered = key.lower()
    return lowered in _SECRET_QUERY_KEYS or lowered.startswith(_SIGNED_URL_PREFIXES)


def redact_url(url: str) -> str:
    """The URL without userinfo and with secret-looking query values replaced by ``***``."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<unparseable URL>"
    netloc = parts.netloc.rsplit("@", 1)[-1]
    query = parts.query
    # Known secrets, in any encoding, hidden segment by segment and value by value (#13 §3).
    path = "/".join("***" if holds_secret(s) else s for s in parts.path.split("/"))
    path = "/***" if path == parts.path and holds_secret(path) else path  # one with a '/'
    if query:
        pairs = parse_qsl(query, keep_blank_values=True)
        redacted = [(k, "***" if _secret_key(k) or holds_secret(v) else v) for k, v in pairs]
        query = urlencode(redacted, safe=":/*")
    return urlunsplit((parts.scheme, netloc, path, query, ""))


# A URL from a registry (a Link, a Location) may be any length; a message quotes its start.
MAX_QUOTED_URL = 200


def quoted_url(url: str) -> str:
    """``url`` redacted, then cut to :data:`MAX_QUOTED_URL` characters, for a message."""
    shown = scrub(redact_url(url))  # before the cut, which would leave a secret's start
    return shown if len(shown) <= MAX_QUOTED_URL else shown[:MAX_QUOTED_URL] + "..."


def _deadline_of(response: requests.Response) -> Deadline | None:
    """The deadline the request of ``response`` was sent under (its body must meet it too)."""
    adapter = getattr(response, "connection", None)  # requests: the adapter that sent it
    return effective(adapter.deadline) if isinstance(adapter, _TimeoutAdapter) else None


def _past_deadline(response: requests.Response, deadline: Deadline, what: str) -> RegistryError:
    response.close()
    return network_error(DeadlinePassed(deadline, "body"), what=what, url=response.url or "")


def read_body(
    response: requests.Response,
    *,
    limit: int,
    what: str,
    service: Service | None = None,
    registry: str | None = None,
) -> bytes:
    """The whole body of a streamed response, refusing more than ``limit`` bytes, by the
    deadline of its request (a body dripped byte by byte is cut there by the watchdog); the
    errors name who sent it (``service``, ``registry``)."""
    length = decimal_count(response.headers.get("Content-Length"))
    if length is not None and length > limit:
        response.close()
        raise RegistryError(
            f"{what}: the body is {length} bytes, over the {limit}-byte limit; this is not "
            "what a registry sends for it",
            service=service,
            registry=registry,
        )
    deadline = _deadline_of(response)
    body = _read_chunks(
        response, deadline, limit=limit, what=what, service=service, registry=registry
    )
    if deadline is not None and deadline.expired():  # cut by the watchdog: it may look whole
        raise _past_deadline(response, deadline, what)
    # With Content-Encoding the header counts the compressed bytes; only compare plain bodies.
    encoded = response.headers.get("Content-Encoding", "identity").lower() != "identity"
    if length is not None and not encoded and length != len(body):
        raise CorruptBody(
            f"{what}: the body was truncated ({len(body)} of {length} bytes); retry",
            service=service,
            registry=registry,
        )
    return body


def _read_chunks(
    response: requests.Response,
    deadline: Deadline | None,
    *,
    limit: int,
    what: str,
    service: Service | None,
    registry: str | None,
) -> bytes:
    """The streamed bytes of ``response``, refusing more than ``limit`` and stopping at
    ``deadline``; a connection that breaks is a :class:`CorruptBody` (to retry)."""
    chunks: list[bytes] = []
    size = 0
    try:
        for chunk in response.iter_content(chunk_size=65536):
            size += len(chunk)
            if size > limit:
                response.close()
                raise RegistryError(
                    f"{what}: the body exceeds the {limit}-byte limit",
                    service=service,
                    registry=registry,
                )
            chunks.append(chunk)
            if deadline is not None and deadline.expired():
                raise _past_deadline(response, deadline, what)
    except requests.RequestException as exc:
        if deadline is not None and deadline.expired():
            raise _past_deadline(response, deadline, what) from None
        raise CorruptBody(
            f"{what}: the connection broke while reading the body ({type(exc).__name__}); retry",
            service=service,
            registry=registry,
        ) from None
    return b"".join(chunks)


def release(response: requests.Response) -> None:
    """Done with ``response``: return its connection to the pool when that is cheap.

    ``Response.close()`` on a body that was not read (a HEAD, a 401 before the retry) closes
    the connection, and the next request pays a new TCP (and TLS) handshake. Reading the rest
    of a small body instead keeps the one connection per host alive.
    """
    head = response.request is not None and response.request.method == "HEAD"
    length = decimal_count(response.headers.get("Content-Length"))
    if head or (length is not None and length <= 65536):
        with suppress(Exception):  # any failure: fall back to closing
            response.raw.drain_conn()
            response.raw.release_conn()
            return
    response.close()
