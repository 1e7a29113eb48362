"""The one fake HTTP server of the tests: a handler function behind a real socket.

A fake is a :data:`Handler`, a function ``Request -> Response`` (httpx's ``MockTransport``
model); :class:`FakeServer` serves one on ``127.0.0.1:<free port>`` over HTTP/1.1 keep-alive,
optionally TLS, and records every request once, when it arrives (:attr:`FakeServer.exchanges`).
Faults are wrappers around handlers (see :mod:`fakes.faultproxy`): a :class:`Response` can ask
to be cut short (``truncate``), dropped with a TCP RST (``reset``) or never sent (``silent``).

:meth:`FakeServer.stop` releases handlers waiting on :attr:`Request.stopping`, shuts down every
open connection and joins every handler thread, so nothing outlives a test.
"""

from __future__ import annotations

import contextlib
import io
import json
import socket
import ssl
import struct
import sys
import threading
import traceback
import urllib.parse
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from email.message import Message
from email.utils import formatdate
from http.client import responses
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Literal, Self

#: How a response goes on the wire; see :class:`Response`.
Delivery = Literal["whole", "truncate", "reset", "silent", "drip-head", "drip-body"]
#: An idle keep-alive connection is dropped after this long (stop() does not wait for it).
IDLE_TIMEOUT = 60.0
#: How long a TLS handshake may take before the connection is dropped.
HANDSHAKE_TIMEOUT = 30.0


def free_port() -> int:
    """A port that was free a moment ago on 127.0.0.1 (bind to port 0, read it, close).

    For programs that want a port number on their command line; another process may take it
    before they bind it, so callers retry on "address already in use".
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class SilentListener:
    """A port on 127.0.0.1 that accepts connections and never sends a byte: a registry that
    hangs before its first answer. ``with`` it; :attr:`accepted` counts the connections.

    Not a :class:`FakeServer`: that one reads a request before its handler decides, and the
    point here is a peer that says nothing at all, not even a status line.
    """

    def __init__(self) -> None:
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._connections: list[socket.socket] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept, name="SilentListener", daemon=True)

    def __enter__(self) -> Self:
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(16)
        self._listener.settimeout(0.05)  # so the accept loop notices the stop promptly
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        self._thread.join(timeout=10)
        self._listener.close()
        with self._lock:
            for connection in self._connections:
                connection.close()

    @property
    def port(self) -> int:
        port: int = self._listener.getsockname()[1]
        return port

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        return f"http://{self.host}"

    @property
    def accepted(self) -> int:
        """How many connections were accepted so far."""
        with self._lock:
            return len(self._connections)

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                connection, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with self._lock:
                self._connections.append(connection)


@dataclass(frozen=True)
class Request:
    """One request as the fake received it."""

    index: int
    method: str
    #: The request target as sent: path and query.
    target: str
    headers: Message
    body: bytes
    #: Set when the server stops: a handler that waits (hang, slow) waits on this.
    stopping: threading.Event = field(default_factory=threading.Event, repr=False)
    #: What the handler wants the log to say about this request (kept with the exchange).
    notes: dict[str, Any] = field(default_factory=dict, compare=False)

    @property
    def path(self) -> str:
        """The target without its query."""
        return urllib.parse.urlsplit(self.target).path

    @property
    def query(self) -> dict[str, list[str]]:
        return urllib.parse.parse_qs(urllib.parse.urlsplit(self.target).query, True)

    def header(self, name: str, default: str = "") -> str:
        value = self.headers.get(name)
        return default if value is None else str(value)

    def json(self) -> Any:
        """The body as JSON; ``None`` when empty; ``ValueError`` when not JSON."""
        return json.loads(self.body) if self.body else None


@dataclass(frozen=True)
class Response:
    """What a handler answers. ``Content-Length`` is added unless given.

    ``delivery``: ``whole`` (as is), ``truncate`` (headers with the full ``Content-Length``,
    then half of the body, then close), ``reset`` (no answer: TCP RST), ``silent`` (no answer:
    close), ``drip-head`` (the status line and headers one byte every ``interval`` seconds,
    then the body), ``drip-body`` (the headers, then the body one byte every ``interval``: a
    slow registry no per-read timeout catches). ``close`` ends keep-alive after the answer.
    """

    status: int = 200
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""
    reason: str | None = None
    delivery: Delivery = "whole"
    close: bool = False
    interval: float = 1.0

    @classmethod
    def json(cls, status: int, value: Any, headers: Mapping[str, str] | None = None) -> Response:
        extra = tuple((headers or {}).items())
        return cls(
            status, (("Content-Type", "application/json"), *extra), json.dumps(value).encode()
        )

    def header(self, name: str) -> str | None:
        return next((v for n, v in self.headers if n.lower() == name.lower()), None)

    def with_headers(self, headers: Iterable[tuple[str, str]]) -> Response:
        return replace(self, headers=(*self.headers, *headers))


#: A fake: one function from request to response.
Handler = Callable[[Request], Response]
#: A fault, or any middleware: a function from handler to handler.
Wrapper = Callable[[Handler], Handler]


def carries_body(method: str, status: int) -> bool:
    """Whether an answer to ``method`` with ``status`` has a body (RFC 9110 section 6.4.1)."""
    return method != "HEAD" and status >= 200 and status not in (204, 304)


@dataclass
class Exchange:
    """One entry of the request log: the request, and the response once there is one."""

    request: Request
    response: Response | None = None
    #: ``repr`` of what the handler raised, if it did (the client got a 500).
    error: str | None = None


class RequestLog:
    """The request log every fake shares: an entry when a request arrives, its response when
    the handler has answered (before a byte goes out), indexes from 0 in arrival order."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self._entries: list[Exchange] = []
        self._next_index = 0

    def arrived(
        self, method: str, target: str, headers: Message, body: bytes, stopping: threading.Event
    ) -> Exchange:
        with self.lock:
            request = Request(self._next_index, method, target, headers, body, stopping)
            self._next_index += 1
            self._entries.append(Exchange(request))
            return self._entries[-1]

    def answer(self, exchange: Exchange, handler: Handler) -> Response:
        """``handler``'s response to the exchange's request, logged; a 500 if it raises."""
        try:
            response = handler(exchange.request)
        except Exception as exc:  # a bug in a fake: say it to the client and on stderr
            traceback.print_exc()
            exchange.error = repr(exc)
            response = Response.json(500, {"errors": [{"code": "FAKE", "message": repr(exc)}]})
        with self.lock:
            exchange.response = response
        return response

    @property
    def exchanges(self) -> list[Exchange]:
        with self.lock:
            return list(self._entries)

    def reset(self) -> None:
        with self.lock:
            self._entries.clear()
            self._next_index = 0


class _Server(ThreadingHTTPServer):
    # Non-daemon handler threads, joined by server_close(): stop() proves nothing leaks.
    daemon_threads = False
    block_on_close = True

    def __init__(self, owner: FakeServer, tls: ssl.SSLContext | None) -> None:
        self.owner = owner
        super().__init__(("127.0.0.1", 0), _Connection)
        self.tls = tls
        if tls is not None:
            self.socket = tls.wrap_socket(
                self.socket, server_side=True, do_handshake_on_connect=False
            )

    def finish_request(self, request: Any, client_address: Any) -> None:
        if self.tls is not None:
            # In the connection's own thread: a slow handshake must not block the accept loop.
            request.settimeout(HANDSHAKE_TIMEOUT)
            try:
                request.do_handshake()
            except (OSError, ssl.SSLError):
                return
        super().finish_request(request, client_address)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that went away (closed keep-alive, read timeout, reset) is no error.
        if not isinstance(sys.exc_info()[1], OSError):
            super().handle_error(request, client_address)


class _Connection(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = IDLE_TIMEOUT
    # Headers and body go out in two writes; with Nagle on, a kept-alive connection waits for
    # the client's delayed ACK (~40 ms) between them.
    disable_nagle_algorithm = True
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        pass  # the request log is the log

    def setup(self) -> None:
        super().setup()
        self.server.owner._opened(self.connection)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.owner._closed(self.connection)

    def do_GET(self) -> None:
        length = self.headers.get("Content-Length")
        # Always consume the body, so keep-alive framing stays right whatever the answer.
        body = self.rfile.read(int(length)) if length and length.isdigit() else b""
        response = self.server.owner._answer(self.command, self.path, self.headers, body)
        _deliver(self, response)

    do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = do_GET


def _deliver(connection: _Connection, response: Response) -> None:
    if response.delivery == "reset":
        _reset(connection)
        return
    if response.delivery == "silent":
        connection.close_connection = True
        return
    truncate = response.delivery == "truncate"
    body = response.body if carries_body(connection.command, response.status) else b""
    headers = list(response.headers)
    names = {name.lower() for name, _ in headers}
    if (
        "content-length" not in names
        and response.status >= 200
        and response.status not in (204, 304)
    ):
        headers.append(("Content-Length", str(len(response.body))))
    if "date" not in names:
        headers.append(("Date", formatdate(usegmt=True)))
    if response.close or truncate:
        headers.append(("Connection", "close"))
        connection.close_connection = True
    reason = responses.get(response.status, "") if response.reason is None else response.reason
    if response.delivery == "drip-head":
        head = f"HTTP/1.1 {response.status} {reason}\r\n"
        head += "".join(f"{name}: {value}\r\n" for name, value in headers) + "\r\n"
        _drip(connection, head.encode("latin-1"), response.interval)
        connection.wfile.write(body)
        return
    connection.send_response_only(response.status, reason)
    for name, value in headers:
        connection.send_header(name, value)
    connection.end_headers()
    if response.delivery == "drip-body":
        connection.wfile.flush()
        _drip(connection, body, response.interval)
        return
    connection.wfile.write(body[: len(body) // 2] if truncate else body)
    connection.wfile.flush()


def _drip(connection: _Connection, data: bytes, interval: float) -> None:
    """``data`` one byte every ``interval`` seconds, until it is all sent, the client is gone
    (the write raises) or the server stops."""
    stopping = connection.server.owner.stopping
    for i in range(len(data)):
        connection.wfile.write(data[i : i + 1])
        connection.wfile.flush()
        if stopping.wait(interval):
            connection.close_connection = True
            return


def _reset(connection: _Connection) -> None:
    """Close with RST: SO_LINGER on with a zero timeout makes close() abort the connection."""
    connection.close_connection = True
    sock = connection.connection
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    # The socket is only really closed when its makefile() streams are closed too.
    for stream in (connection.rfile, connection.wfile):
        with contextlib.suppress(OSError):
            stream.close()
    sock.close()
    # BaseHTTPRequestHandler flushes wfile after every request: give it one that is open.
    connection.wfile = io.BytesIO()


class FakeServer:
    """Serves ``handler`` on ``127.0.0.1:<free port>``; ``start()``/``stop()`` or ``with``.

    Subclasses pass their own handler (often a bound method). ``tls`` serves HTTPS.
    """

    def __init__(self, handler: Handler, *, tls: ssl.SSLContext | None = None) -> None:
        self.handler = handler
        self.tls = tls
        self.log = RequestLog()
        #: The lock of the log; fakes built on this guard their own state with it too.
        self.lock = self.log.lock
        self._connections: set[socket.socket] = set()
        self._stopping = threading.Event()
        self._server: _Server | None = None
        self._port: int | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ----------------------------------------------------------------------------

    def start(self) -> Self:
        if self._server is not None:
            return self
        self._stopping = threading.Event()
        self._server = _Server(self, self.tls)
        self._port = int(self._server.server_address[1])
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"{type(self).__name__}-{self._port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is None:
            return
        self._stopping.set()  # releases handlers waiting on Request.stopping
        server.shutdown()  # no new connections
        with self.lock:
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

    @property
    def stopping(self) -> threading.Event:
        """Set when the server stops: what a slow handler or delivery waits on."""
        return self._stopping

    # -- addresses ----------------------------------------------------------------------------

    @property
    def port(self) -> int:
        """The port listened on; still known after stop(), for assertions on what was seen."""
        if self._port is None:
            raise RuntimeError(f"{type(self).__name__} is not started; call start() first")
        return self._port

    @property
    def host(self) -> str:
        """``127.0.0.1:PORT``."""
        return f"127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT`` (``https`` with TLS; no trailing slash)."""
        return f"{'https' if self.tls else 'http'}://{self.host}"

    # -- the request log ----------------------------------------------------------------------

    @property
    def exchanges(self) -> list[Exchange]:
        """Every request so far, in arrival order (a copy of the list; entries are live)."""
        return self.log.exchanges

    def reset_log(self) -> None:
        """Forget every request; the next one has index 0 again."""
        self.log.reset()

    # -- serving ------------------------------------------------------------------------------

    def _opened(self, sock: socket.socket) -> None:
        with self.lock:
            self._connections.add(sock)

    def _closed(self, sock: socket.socket) -> None:
        with self.lock:
            self._connections.discard(sock)

    def _answer(self, method: str, target: str, headers: Message, body: bytes) -> Response:
        exchange = self.log.arrived(method, target, headers, body, self._stopping)
        return self.log.answer(exchange, self.handler)
