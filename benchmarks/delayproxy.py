"""A TCP proxy that adds a fixed delay per round trip and counts connections and requests.

Latency model (what one ``delay`` buys):

* Every chunk read from one side is written to the other side ``delay / 2`` after it arrived,
  in order, in both directions. A request and its response therefore cost one ``delay``, and a
  pipelined burst of writes costs it once, as on a real link where the delay is propagation,
  not bandwidth.
* Connecting costs one ``delay`` too: the client's ``connect()`` to the proxy completes at once
  on loopback, so the first chunk the client sends is held until ``accepted + delay + delay/2``,
  where a real client would have waited for the SYN-ACK (``delay``) and then sent it
  (``delay / 2``). The proxy opens its own upstream connection at once; that leg is loopback.
* TLS goes through untouched (the proxy sees only TCP bytes), so its handshake pays the delay
  like any other exchange: one ``delay`` for a TLS 1.3 handshake (ClientHello ->
  ServerHello..Finished), two for TLS 1.2.

So a cold HTTPS request costs about three delays (TCP, TLS, request), a request on a kept-alive
connection one. Bandwidth is not limited: the bodies here are a few KiB.

Counting: ``connections`` is the number of accepted client connections. With ``parse_http``
the client-to-server stream of each connection is parsed as HTTP/1.1 requests (request line,
headers, ``Content-Length`` body) and every request line is recorded; a connection that does
not start with one (a TLS ClientHello sent to a plain HTTP port, say) is counted in
``non_http_connections`` instead. Over TLS the bytes are opaque: only connections count.

The proxies of a run share one asyncio event loop in a daemon thread (:class:`ProxyLoop`), so
they can be created, re-targeted to another delay and read from the benchmark's main thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import threading
from collections.abc import Callable, Coroutine
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any, Self, TypeVar

T = TypeVar("T")

CHUNK = 65536
# The longest request head the parser buffers before it gives up on a connection.
MAX_HEAD = 64 * 1024
_REQUEST_LINE = re.compile(rb"([A-Z]{3,10}) (\S+) HTTP/1\.[01]")
_METHOD_START = re.compile(rb"[A-Z]{1,10}")


@dataclass(frozen=True)
class Request:
    """One HTTP request line seen on a plain HTTP connection."""

    method: str
    target: str
    connection: int

    def __str__(self) -> str:
        return f"{self.method} {self.target}"


@dataclass
class ProxyStats:
    """What a proxy saw since it was started or last :meth:`DelayProxy.reset`."""

    connections: int = 0
    non_http_connections: int = 0
    requests: list[Request] = field(default_factory=list)
    bytes_up: int = 0
    bytes_down: int = 0

    def copy(self) -> ProxyStats:
        return ProxyStats(
            self.connections,
            self.non_http_connections,
            list(self.requests),
            self.bytes_up,
            self.bytes_down,
        )


class RequestParser:
    """Incremental HTTP/1.1 request-head parser for one connection's client-to-server bytes.

    Enough for counting: request line, ``Content-Length`` bodies skipped. Chunked request
    bodies are not expected from the clients measured (they send GET and HEAD); a connection
    using one stops being parsed, so it can never be over-counted.
    """

    def __init__(
        self,
        on_request: Callable[[str, str], None],
        on_not_http: Callable[[], None] = lambda: None,
    ) -> None:
        self._on_request = on_request
        self._on_not_http = on_not_http
        self._buffer = b""
        self._body_left = 0
        self.dead = False
        self.seen_request = False

    def _give_up(self) -> None:
        # Told at once (not when the connection closes), so it lands in the stats of the run
        # that opened the connection.
        if not self.dead and not self.seen_request:
            self._on_not_http()
        self.dead = True

    def feed(self, data: bytes) -> None:
        if self.dead:
            return
        self._buffer += data
        while self._buffer:
            if self._body_left:
                taken = min(self._body_left, len(self._buffer))
                self._buffer = self._buffer[taken:]
                self._body_left -= taken
                continue
            end = self._buffer.find(b"\r\n\r\n")
            if end < 0:
                # A TLS record (0x16...) or other binary never starts like a method name.
                start = self._buffer[:10]
                if len(self._buffer) > MAX_HEAD or not _METHOD_START.match(start):
                    self._give_up()
                return
            head, self._buffer = self._buffer[:end], self._buffer[end + 4 :]
            line, *headers = head.split(b"\r\n")
            match = _REQUEST_LINE.fullmatch(line)
            if match is None:
                self._give_up()
                return
            self.seen_request = True
            self._on_request(match[1].decode("ascii"), match[2].decode("latin-1"))
            for header in headers:
                name, _, value = header.partition(b":")
                name = name.strip().lower()
                if name == b"content-length" and value.strip().isdigit():
                    self._body_left = int(value.strip())
                elif name == b"transfer-encoding":
                    self._give_up()
                    return


class DelayProxy:
    """Listens on ``127.0.0.1:<free port>`` and forwards to ``target`` with a delay.

    Build and start it through :meth:`ProxyLoop.proxy`. ``delay`` (seconds per round trip) may
    be changed at any time; it applies to connections accepted afterwards.
    """

    def __init__(
        self,
        loop: ProxyLoop,
        name: str,
        target: tuple[str, int],
        *,
        delay: float = 0.0,
        parse_http: bool = False,
        listen_host: str = "127.0.0.1",
    ) -> None:
        self.name = name
        self.target = target
        self.delay = delay
        self.parse_http = parse_http
        self.listen_host = listen_host
        self._loop = loop
        self._lock = threading.Lock()
        self._stats = ProxyStats()
        self._server: asyncio.Server | None = None
        self._handlers: set[asyncio.Task[None]] = set()
        self.port = 0

    # -- read from any thread -------------------------------------------------------------

    @property
    def address(self) -> str:
        return f"{self.listen_host}:{self.port}"

    def stats(self) -> ProxyStats:
        with self._lock:
            return self._stats.copy()

    def reset(self) -> ProxyStats:
        """Return the stats so far and start counting from zero."""
        with self._lock:
            stats, self._stats = self._stats, ProxyStats()
        return stats

    # -- on the event loop -------------------------------------------------------------------

    async def _start(self) -> None:
        self._server = await asyncio.start_server(self._accept, self.listen_host, 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def _stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
        for task in list(self._handlers):
            task.cancel()
        if self._handlers:
            await asyncio.gather(*self._handlers, return_exceptions=True)

    async def _accept(self, client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._handlers.add(task)
        try:
            await self._serve(client_r, client_w)
        except asyncio.CancelledError:
            # Only _stop() cancels handlers; asyncio's start_server callback would report a
            # cancelled handler as an error.
            client_w.close()
        finally:
            self._handlers.discard(task)

    async def _serve(self, client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        loop = asyncio.get_running_loop()
        accepted = loop.time()
        delay = self.delay
        with self._lock:
            self._stats.connections += 1
            number = self._stats.connections
        try:
            server_r, server_w = await asyncio.open_connection(*self.target)
        except OSError:
            client_w.close()
            return
        parser: RequestParser | None = None
        if self.parse_http:

            def record(method: str, target: str) -> None:
                with self._lock:
                    self._stats.requests.append(Request(method, target, number))

            def not_http() -> None:
                with self._lock:
                    self._stats.non_http_connections += 1

            parser = RequestParser(record, not_http)
        up = asyncio.create_task(
            self._pipe(client_r, server_w, delay, accepted + delay, parser, upstream=True)
        )
        down = asyncio.create_task(
            self._pipe(server_r, client_w, delay, None, None, upstream=False)
        )
        try:
            await asyncio.gather(up, down)
        except (OSError, asyncio.IncompleteReadError):
            pass
        finally:
            for task in (up, down):
                task.cancel()
            for writer in (client_w, server_w):
                writer.close()

    async def _pipe(
        self,
        source: asyncio.StreamReader,
        sink: asyncio.StreamWriter,
        delay: float,
        first_at: float | None,
        parser: RequestParser | None,
        *,
        upstream: bool,
    ) -> None:
        """Copy ``source`` to ``sink``, each chunk ``delay / 2`` after it arrived (the first
        not before ``first_at + delay / 2``), preserving order and half-closes."""
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[tuple[float, bytes | None]] = asyncio.Queue()
        sender = asyncio.create_task(_send_when_due(queue, sink))
        last_due = 0.0
        try:
            while True:
                try:
                    data = await source.read(CHUNK)
                except (ConnectionError, OSError):
                    data = b""
                due = loop.time() + delay / 2
                if first_at is not None:
                    due = max(due, first_at + delay / 2)
                    first_at = None
                due = last_due = max(due, last_due)
                if not data:
                    queue.put_nowait((due, None))
                    break
                self._count_bytes(len(data), upstream=upstream)
                if parser is not None:
                    parser.feed(data)
                queue.put_nowait((due, data))
            await sender
        finally:
            sender.cancel()

    def _count_bytes(self, size: int, *, upstream: bool) -> None:
        # The stats are read and reset from the benchmark's main thread.
        with self._lock:
            if upstream:
                self._stats.bytes_up += size
            else:
                self._stats.bytes_down += size


async def _send_when_due(
    queue: asyncio.Queue[tuple[float, bytes | None]], sink: asyncio.StreamWriter
) -> None:
    """Write each queued chunk at its due time (loop time); ``None`` half-closes and ends."""
    loop = asyncio.get_running_loop()
    while True:
        due, data = await queue.get()
        wait = due - loop.time()
        if wait > 0:
            await asyncio.sleep(wait)
        if data is None:
            if sink.can_write_eof() and not sink.is_closing():
                sink.write_eof()
            return
        sink.write(data)
        await sink.drain()


class ProxyLoop:
    """An asyncio event loop in a daemon thread, hosting :class:`DelayProxy` instances."""

    def __init__(self) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._run, name="delayproxy", daemon=True)
        self._proxies: list[DelayProxy] = []
        self._thread.start()

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._loop.run_forever()

    def call(self, coroutine: Coroutine[Any, Any, T], timeout: float = 30.0) -> T:
        future: Future[T] = asyncio.run_coroutine_threadsafe(coroutine, self._loop)
        return future.result(timeout)

    def proxy(
        self,
        name: str,
        target: tuple[str, int],
        *,
        delay: float = 0.0,
        parse_http: bool = False,
    ) -> DelayProxy:
        """A started proxy to ``target`` (``(host, port)``)."""
        proxy = DelayProxy(self, name, target, delay=delay, parse_http=parse_http)
        self.call(proxy._start())
        self._proxies.append(proxy)
        return proxy

    def set_delay(self, delay: float) -> None:
        for proxy in self._proxies:
            proxy.delay = delay

    def close(self) -> None:
        if not self._loop.is_running():
            return
        for proxy in self._proxies:
            with contextlib.suppress(Exception):  # best effort on the way out
                self.call(proxy._stop(), timeout=10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._loop.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
