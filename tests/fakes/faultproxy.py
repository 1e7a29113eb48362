"""A fault-injecting HTTP/1.1 reverse proxy, to put in front of a real registry in tests.

:class:`FaultProxy` listens on ``127.0.0.1:<free port>`` and forwards every request to one
upstream (``127.0.0.1:PORT`` of a ``docker-registry`` process). Each request gets a number, in
order of arrival, and a :data:`Schedule` decides what happens to it:

* ``OK``: forwarded, the answer relayed unchanged (keep-alive kept);
* ``status(code, retry_after=...)``: answered by the proxy itself with ``code`` and an OCI error
  body, never forwarded (keep-alive kept: a 503 does not break the connection);
* ``RESET``: the connection is closed with a TCP RST (``SO_LINGER`` 0) before any answer;
* ``TRUNCATE``: forwarded; status and headers (with the real ``Content-Length``) relayed, then
  half of the body, then the connection is closed;
* ``CORRUPT``: forwarded; headers relayed unchanged, the body with bytes flipped;
* ``slow(seconds)``: forwarded after a delay, before any byte of the answer;
* ``HANG``: read the request, then say nothing until the proxy stops (or ``max_hang``).

``CORRUPT`` sets the high bit of a few bytes. Registry bodies (JSON manifests, configs, tag
lists) are ASCII, so the result is never valid UTF-8: a client sees the damage either as a digest
mismatch (manifests and blobs) or as malformed JSON (tag lists). Flipping a letter inside a tag
name instead would be undetectable by any client (tag lists carry no digest), which is not what
the tests are about. ``TRUNCATE`` and ``CORRUPT`` change nothing for an answer without a body
(``HEAD``, 204, 304); the request is still recorded with the fault the schedule gave it.

Upstream is asked with ``Host`` rewritten to the upstream address; ``Location`` and ``Link``
headers in its answers are rewritten back to the proxy's address, so redirects and tag pages
come back through the proxy. Every request is recorded (:class:`Recorded`) so tests can count.

Each fault is a wrapper around the forwarding handler (:func:`wrapper`); the server, its
request log and its clean stop are :class:`fakes.server.FakeServer`'s.
"""

from __future__ import annotations

import http.client
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Literal
from urllib.parse import urlsplit

from fakes.server import FakeServer, Handler, Request, Response, carries_body

FaultKind = Literal["ok", "status", "reset", "truncate", "corrupt", "slow", "hang"]


@dataclass(frozen=True)
class Fault:
    """What the proxy does to one request; build with the constants and helpers below."""

    kind: FaultKind
    status: int = 0
    retry_after: str | None = None
    seconds: float = 0.0

    def __str__(self) -> str:
        if self.kind == "status":
            extra = f", retry_after={self.retry_after!r}" if self.retry_after is not None else ""
            return f"status({self.status}{extra})"
        if self.kind == "slow":
            return f"slow({self.seconds:g})"
        return self.kind


OK = Fault("ok")
RESET = Fault("reset")
TRUNCATE = Fault("truncate")
CORRUPT = Fault("corrupt")
HANG = Fault("hang")


def status(code: int, *, retry_after: str | None = None) -> Fault:
    """Answer ``code`` without asking upstream (with ``Retry-After`` when given)."""
    return Fault("status", status=code, retry_after=retry_after)


def slow(seconds: float) -> Fault:
    """Forward, but only after ``seconds``."""
    return Fault("slow", seconds=seconds)


#: Either faults by request index (cycled: ``[fault, OK]`` is "every other request") or a
#: function of ``(index, method, path)``.
Schedule = Sequence[Fault] | Callable[[int, str, str], Fault]


def every_other(fault: Fault) -> list[Fault]:
    """``fault`` on requests 0, 2, 4, ...; the others pass."""
    return [fault, OK]


def always(fault: Fault) -> list[Fault]:
    return [fault]


@dataclass(frozen=True)
class Recorded:
    """One request the proxy received, and what it did with it."""

    index: int
    method: str
    path: str
    fault: Fault
    #: The upstream's status when the request was forwarded, else ``None``.
    upstream_status: int | None


# RFC 9110 section 7.6.1: connection-specific fields a proxy must not forward.
_HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "proxy-connection",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
    }
)
UPSTREAM_TIMEOUT = 30.0
#: A ``HANG`` ends by itself after this long, should a test forget to stop the proxy.
MAX_HANG = 300.0


def corrupt_bytes(body: bytes) -> bytes:
    """``body`` with the high bit flipped at its first, middle and last byte."""
    if not body:
        return body
    data = bytearray(body)
    for position in {0, len(data) // 2, len(data) - 1}:
        data[position] ^= 0x80
    return bytes(data)


def error_answer(fault: Fault, *, detail: str = "") -> Response:
    """The proxy's own answer: ``fault.status`` with an OCI error body."""
    message = detail or f"fault injected by the test proxy: {fault}"
    body = {"errors": [{"code": "UNAVAILABLE", "message": message}]}
    retry = {"Retry-After": fault.retry_after} if fault.retry_after is not None else {}
    return Response.json(fault.status, body, retry)


def wrapper(fault: Fault, *, max_hang: float = MAX_HANG) -> Callable[[Handler], Handler]:
    """``fault`` as a wrapper: the handler that does it to what ``handler`` would answer."""

    def wrap(handler: Handler) -> Handler:
        def faulty(request: Request) -> Response:
            if fault.kind == "reset":
                return Response(delivery="reset")
            if fault.kind == "hang":
                request.stopping.wait(max_hang)
                return Response(delivery="silent")
            if fault.kind == "status":
                return error_answer(fault)
            if fault.kind == "slow" and request.stopping.wait(fault.seconds):
                return Response(delivery="silent")  # stopping: give up on this request
            answer = handler(request)
            if not carries_body(request.method, answer.status):
                return answer
            if fault.kind == "truncate":
                return replace(answer, delivery="truncate")
            if fault.kind == "corrupt":
                return replace(answer, body=corrupt_bytes(answer.body))
            return answer

        return faulty

    return wrap


def forwarder(upstream_host: str, upstream_port: int, public_host: Callable[[], str]) -> Handler:
    """The reverse proxy's handler: ask upstream, rewrite ``Location``/``Link`` back to
    ``public_host()``; a gateway error (502) when upstream fails. Notes ``upstream_status``."""
    upstream = f"{upstream_host}:{upstream_port}"

    def rewrite(name: str, value: str) -> str:
        if name.lower() not in ("location", "link"):
            return value
        return value.replace(f"//{upstream}", f"//{public_host()}")

    def forward(request: Request) -> Response:
        headers = {
            name: value
            for name, value in request.headers.items()
            if name.lower() not in _HOP_BY_HOP and name.lower() not in ("host", "content-length")
        }
        headers["Host"] = upstream
        if request.body or request.method in ("POST", "PUT", "PATCH"):
            headers["Content-Length"] = str(len(request.body))
        connection = http.client.HTTPConnection(
            upstream_host, upstream_port, timeout=UPSTREAM_TIMEOUT
        )
        try:
            connection.request(
                request.method, request.target, body=request.body or None, headers=headers
            )
            answer = connection.getresponse()
            body = answer.read()  # b"" for HEAD: http.client knows HEAD has no body
        except (OSError, http.client.HTTPException) as exc:
            # Upstream down or broken: a gateway error, as any reverse proxy answers.
            return error_answer(status(502), detail=f"upstream failed: {exc!r}")
        finally:
            connection.close()
        request.notes["upstream_status"] = answer.status
        relayed = tuple(
            (name, rewrite(name, value))
            for name, value in answer.getheaders()
            if name.lower() not in _HOP_BY_HOP
            and (request.method == "HEAD" or name.lower() != "content-length")
        )
        return Response(answer.status, relayed, body, reason=answer.reason)

    return forward


class FaultProxy(FakeServer):
    """A reverse proxy to ``upstream`` (``host:port`` or ``http://host:port``) that applies
    ``schedule`` to the requests it receives. Use as a context manager, or start()/stop()."""

    def __init__(self, upstream: str, schedule: Schedule = (OK,), *, max_hang: float = MAX_HANG):
        parts = urlsplit(upstream if "://" in upstream else f"http://{upstream}")
        if parts.scheme != "http" or not parts.hostname or parts.port is None:
            raise ValueError(f"upstream {upstream!r}: expected http://HOST:PORT or HOST:PORT")
        self.upstream_host = parts.hostname
        self.upstream_port = parts.port
        self.upstream = f"{parts.hostname}:{parts.port}"
        self.max_hang = max_hang
        self._schedule: Schedule = schedule
        self._forward = forwarder(parts.hostname, parts.port, lambda: self.host)
        super().__init__(self._handle)

    def set_schedule(self, schedule: Schedule) -> None:
        with self.lock:
            self._schedule = schedule

    @property
    def requests(self) -> list[Recorded]:
        """A copy of every request so far, in arrival order."""
        return [
            Recorded(
                e.request.index,
                e.request.method,
                e.request.target,
                e.request.notes["fault"],
                e.request.notes.get("upstream_status"),
            )
            for e in self.exchanges
            if "fault" in e.request.notes  # else its fault is being decided right now
        ]

    def faulted(self) -> list[Recorded]:
        """The requests that got something other than ``OK``."""
        return [r for r in self.requests if r.fault.kind != "ok"]

    def _fault_for(self, request: Request) -> Fault:
        with self.lock:
            schedule = self._schedule
        if callable(schedule):
            return schedule(request.index, request.method, request.target)
        return schedule[request.index % len(schedule)] if schedule else OK

    def _handle(self, request: Request) -> Response:
        fault = self._fault_for(request)
        request.notes["fault"] = fault
        return wrapper(fault, max_hang=self.max_hang)(self._forward)(request)
