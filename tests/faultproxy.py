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

Nothing here can leak: handler threads are joined on :meth:`FaultProxy.stop`, which first
releases every ``HANG``/``slow`` wait and shuts down every client connection still open.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import socket
import struct
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Literal, Self
from urllib.parse import urlsplit

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
#: An idle keep-alive connection is dropped after this long (stop() does not wait for it).
IDLE_TIMEOUT = 60.0


def corrupt_bytes(body: bytes) -> bytes:
    """``body`` with the high bit flipped at its first, middle and last byte."""
    if not body:
        return body
    data = bytearray(body)
    for position in {0, len(data) // 2, len(data) - 1}:
        data[position] ^= 0x80
    return bytes(data)


class _Server(ThreadingHTTPServer):
    # Non-daemon handler threads, joined by server_close(): stop() proves nothing leaks.
    daemon_threads = False
    block_on_close = True

    def __init__(self, proxy: FaultProxy) -> None:
        self.proxy = proxy
        super().__init__(("127.0.0.1", 0), _Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that gave up (read timeout, reset) makes the relay fail: expected, and
        # noise on stderr would hide real failures.
        pass


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = IDLE_TIMEOUT
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def setup(self) -> None:
        super().setup()
        self.server.proxy._opened(self.connection)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.proxy._closed(self.connection)

    def do_GET(self) -> None:
        self.server.proxy._handle(self)

    do_HEAD = do_GET
    do_POST = do_GET
    do_PUT = do_GET
    do_PATCH = do_GET
    do_DELETE = do_GET

    # -- answers --------------------------------------------------------------------------

    def send_headers(
        self, code: int, reason: str, headers: Sequence[tuple[str, str]], *, close: bool
    ) -> None:
        self.send_response_only(code, reason)
        for name, value in headers:
            self.send_header(name, value)
        if close:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()

    def reset(self) -> None:
        """Close with RST: SO_LINGER on with a zero timeout makes close() abort the connection."""
        self.close_connection = True
        sock = self.connection
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        # The socket is only really closed when its makefile() streams are closed too.
        for stream in (self.rfile, self.wfile):
            with contextlib.suppress(OSError):
                stream.close()
        sock.close()


class FaultProxy:
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
        self._lock = threading.Lock()
        self._log: list[Recorded] = []
        self._next_index = 0
        self._connections: set[socket.socket] = set()
        self._stop = threading.Event()
        self._server: _Server | None = None
        self._port: int | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ------------------------------------------------------------------------

    def start(self) -> Self:
        if self._server is not None:
            return self
        self._stop.clear()
        self._server = _Server(self)
        self._port = int(self._server.server_address[1])
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"fault-proxy-{self.port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is None:
            return
        self._stop.set()  # releases HANG and slow() waits
        server.shutdown()  # no new connections
        with self._lock:
            open_now = list(self._connections)
        for sock in open_now:  # handlers blocked reading the next keep-alive request
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        server.server_close()  # joins every handler thread (block_on_close)
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- what tests use -------------------------------------------------------------------

    @property
    def port(self) -> int:
        """The port listened on; still known after stop(), for assertions on what was seen."""
        if self._port is None:
            raise RuntimeError("the proxy is not started; call start() first")
        return self._port

    @property
    def host(self) -> str:
        """``127.0.0.1:PORT``: the registry address to give hubaction."""
        return f"127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        return f"http://{self.host}"

    def set_schedule(self, schedule: Schedule) -> None:
        with self._lock:
            self._schedule = schedule

    @property
    def requests(self) -> list[Recorded]:
        """A copy of every request so far, in arrival order."""
        with self._lock:
            return list(self._log)

    def faulted(self) -> list[Recorded]:
        """The requests that got something other than ``OK``."""
        return [r for r in self.requests if r.fault.kind != "ok"]

    def reset_log(self) -> None:
        """Forget recorded requests and restart the schedule at index 0."""
        with self._lock:
            self._log.clear()
            self._next_index = 0

    # -- the proxy ------------------------------------------------------------------------

    def _opened(self, sock: socket.socket) -> None:
        with self._lock:
            self._connections.add(sock)

    def _closed(self, sock: socket.socket) -> None:
        with self._lock:
            self._connections.discard(sock)

    def _fault_for(self, method: str, path: str) -> tuple[int, Fault]:
        with self._lock:
            index = self._next_index
            self._next_index += 1
            schedule = self._schedule
        if callable(schedule):
            fault = schedule(index, method, path)
        else:
            fault = schedule[index % len(schedule)] if schedule else OK
        return index, fault

    def _record(self, index: int, handler: _Handler, fault: Fault, upstream: int | None) -> None:
        with self._lock:
            self._log.append(Recorded(index, handler.command, handler.path, fault, upstream))

    def _handle(self, handler: _Handler) -> None:
        method = handler.command
        length = handler.headers.get("Content-Length")
        # Always consume the request body, so keep-alive framing stays right whatever we answer.
        request_body = handler.rfile.read(int(length)) if length and length.isdigit() else b""
        index, fault = self._fault_for(method, handler.path)
        if fault.kind == "reset":
            self._record(index, handler, fault, None)
            handler.reset()
            return
        if fault.kind == "hang":
            self._record(index, handler, fault, None)
            self._stop.wait(self.max_hang)
            handler.close_connection = True
            return
        if fault.kind == "status":
            self._record(index, handler, fault, None)
            self._answer_status(handler, fault)
            return
        if fault.kind == "slow" and self._stop.wait(fault.seconds):
            handler.close_connection = True  # stopping: give up on this request
            self._record(index, handler, fault, None)
            return
        try:
            code, reason, headers, body = self._forward(handler, request_body)
        except (OSError, http.client.HTTPException) as exc:
            # Upstream down or broken: a gateway error, as any reverse proxy answers.
            self._record(index, handler, fault, None)
            self._answer_status(handler, status(502), detail=f"upstream failed: {exc!r}")
            return
        self._record(index, handler, fault, code)
        has_body = method != "HEAD" and code not in (204, 304) and code >= 200
        if not has_body:
            handler.send_headers(code, reason, headers, close=False)
            return
        headers = [*headers, ("Content-Length", str(len(body)))]
        if fault.kind == "truncate":
            handler.send_headers(code, reason, headers, close=True)
            handler.wfile.write(body[: len(body) // 2])
            handler.wfile.flush()
            return
        if fault.kind == "corrupt":
            body = corrupt_bytes(body)
        handler.send_headers(code, reason, headers, close=False)
        handler.wfile.write(body)
        handler.wfile.flush()

    def _answer_status(self, handler: _Handler, fault: Fault, *, detail: str = "") -> None:
        message = detail or f"fault injected by the test proxy: {fault}"
        body = json.dumps({"errors": [{"code": "UNAVAILABLE", "message": message}]}).encode()
        headers = [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
        if fault.retry_after is not None:
            headers.append(("Retry-After", fault.retry_after))
        handler.send_headers(
            fault.status, http.client.responses.get(fault.status, ""), headers, close=False
        )
        if handler.command != "HEAD":
            handler.wfile.write(body)
            handler.wfile.flush()

    def _forward(
        self, handler: _Handler, body: bytes
    ) -> tuple[int, str, list[tuple[str, str]], bytes]:
        """Ask upstream; the answer's status, reason, end-to-end headers (rewritten, without
        Content-Length) and whole body."""
        headers = {
            name: value
            for name, value in handler.headers.items()
            if name.lower() not in _HOP_BY_HOP and name.lower() not in ("host", "content-length")
        }
        headers["Host"] = self.upstream
        if body or handler.command in ("POST", "PUT", "PATCH"):
            headers["Content-Length"] = str(len(body))
        connection = http.client.HTTPConnection(
            self.upstream_host, self.upstream_port, timeout=UPSTREAM_TIMEOUT
        )
        try:
            connection.request(handler.command, handler.path, body=body or None, headers=headers)
            response = connection.getresponse()
            data = response.read()  # b"" for HEAD: http.client knows HEAD has no body
            answer = [
                (name, self._rewrite(name, value))
                for name, value in response.getheaders()
                if name.lower() not in _HOP_BY_HOP
                and (handler.command == "HEAD" or name.lower() != "content-length")
            ]
            return response.status, response.reason, answer, data
        finally:
            connection.close()

    def _rewrite(self, name: str, value: str) -> str:
        """Point upstream URLs in ``Location`` and ``Link`` back at the proxy."""
        if name.lower() not in ("location", "link"):
            return value
        return value.replace(f"//{self.upstream}", f"//{self.host}")
