"""One deadline for the whole run (issue 13 §1): every request, retry sleep and body read fits.

Per-read timeouts never fire when a server drips a byte every second, and per-request retry
budgets multiply over many requests; so a run has one :class:`Deadline` (the ``timeout``
input), held by the run's session (:func:`hubaction.registry.transport.new_session`), which
the registry client, the token requests and the Docker Hub client all send through. The
session's adapter checks it before each request and caps the connect/read timeouts by what is
left; its ``Retry`` stops when a wait would pass it; and the :class:`Watchdog` (one thread for
the process) shuts down the socket of a request still in flight when the deadline passes, so
a blocked ``recv`` returns in the thread that waits on it (``socket.shutdown`` wakes it; no
SIGALRM, which only the main thread gets). The socket is found through urllib3 connection
subclasses installed with public API (``PoolManager.pool_classes_by_scheme``,
``HTTPConnectionPool.ConnectionCls``).

Optional work gets a :meth:`Deadline.share` of the time left, applied with :func:`limited` to
the requests of the current context (copy the context into worker threads).
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from contextvars import ContextVar
from typing import Any

import requests
from urllib3 import HTTPConnectionPool, HTTPSConnectionPool, PoolManager
from urllib3.connection import HTTPConnection, HTTPSConnection

#: The input's default, seconds for the whole run (contract, "Planned" inputs).
DEFAULT_RUN_TIMEOUT = 120.0


class Deadline:
    """A point in time on a monotonic ``clock`` (injectable for tests) that the run must end by.

    ``seconds`` is the run's limit as given; :attr:`start` is when the run began (a
    :meth:`share` keeps both, so its messages speak of the run).
    """

    def __init__(
        self,
        seconds: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        start: float | None = None,
        end: float | None = None,
        part: bool = False,
    ) -> None:
        self.seconds = seconds
        self.clock = clock
        self.start = clock() if start is None else start
        self.end = self.start + seconds if end is None else end
        #: A share of the run's deadline given to optional work (:meth:`share`).
        self.part = part
        #: Set when the work it was given to is over (:func:`limited`): nothing waits on it.
        self.closed = False

    def remaining(self) -> float:
        """Seconds left, never negative."""
        return max(0.0, self.end - self.clock())

    def expired(self) -> bool:
        return self.clock() >= self.end

    def elapsed(self) -> float:
        """Seconds since the run began."""
        return self.clock() - self.start

    def cap(self, seconds: float) -> float:
        """``seconds`` cut to what is left (a timeout that must end by the deadline)."""
        return min(seconds, self.remaining())

    def share(self, fraction: float) -> Deadline:
        """A deadline for optional work: ``fraction`` of the time left, never past this one."""
        now = self.clock()
        end = min(self.end, now + max(0.0, fraction) * max(0.0, self.end - now))
        return Deadline(self.seconds, clock=self.clock, start=self.start, end=end, part=True)

    @property
    def name(self) -> str:
        """How a message names it: the `timeout` input (the CLI's --timeout) it comes from."""
        limit = f"{self.seconds:g} s"
        if self.part:
            return f"the share of the run deadline ({limit}, `timeout`) given to it"
        return f"the run deadline ({limit}, `timeout`)"


class DeadlinePassed(requests.exceptions.Timeout):
    """A request stopped at its deadline: before it was sent (``phase`` "send"), waiting for
    the answer ("answer"), reading the body ("body"), or because the registry asked for a wait
    past it ("retry", with ``retry_after``). Mapped to one error by ``network_error``."""

    def __init__(
        self, deadline: Deadline, phase: str, *, url: str = "", retry_after: float | None = None
    ) -> None:
        super().__init__(f"{deadline.name} passed ({phase})")
        self.deadline = deadline
        self.phase = phase
        self.url = url
        self.retry_after = retry_after
        self.elapsed = deadline.elapsed()

    def describe(self, what: str, host: str) -> str:
        """The facts, for ``what`` (e.g. "manifest of x") sent to ``host``."""
        spent = f"{self.elapsed:.1f} s"
        name = self.deadline.name
        if self.phase == "retry" and self.retry_after is not None:
            left = max(0.0, self.deadline.end - self.deadline.clock())
            return (
                f"{what}: {host} asked to retry after {self.retry_after:g} s, past {name} "
                f"({left:.1f} s left after {spent}); stopped instead of waiting"
            )
        doing = {
            "send": "before the request to",
            "body": "while reading the body from",
        }.get(self.phase, "while waiting for an answer from")
        return f"{what}: stopped at {name} after {spent}, {doing} {host}"


# The deadline narrowed for the current context (optional work), and the one of the request
# being sent in this thread (read by the watched connection and the adapter's Retry).
_LIMIT: ContextVar[Deadline | None] = ContextVar("hubaction_deadline_limit", default=None)
_SENDING: ContextVar[Deadline | None] = ContextVar("hubaction_deadline_sending", default=None)


def effective(run: Deadline | None) -> Deadline | None:
    """The deadline a request made now must meet: the run's, or the narrower one in force."""
    narrow = _LIMIT.get()
    if narrow is None or narrow.closed:
        return run
    if run is None or narrow.end < run.end:
        return narrow
    return run


@contextmanager
def limited(deadline: Deadline | None) -> Iterator[None]:
    """Requests made in this context (and contexts copied from it) meet ``deadline`` too."""
    if deadline is None:
        yield
        return
    token = _LIMIT.set(deadline)
    try:
        yield
    finally:
        _LIMIT.reset(token)
        deadline.closed = True  # the work is over: idle connections are not cut for it


@contextmanager
def sending(deadline: Deadline) -> Iterator[None]:
    """Mark ``deadline`` as the one of the request this thread sends now."""
    token = _SENDING.set(deadline)
    try:
        yield
    finally:
        _SENDING.reset(token)


def in_flight() -> Deadline | None:
    """The deadline of the request this thread is sending, if any."""
    return _SENDING.get()


class Watchdog:
    """One thread that shuts down the socket of every watched connection whose deadline has
    passed, so the thread blocked reading it gets an end of stream at once."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._watched: dict[Any, Deadline] = {}
        self._thread: threading.Thread | None = None

    def watch(self, connection: HTTPConnection, deadline: Deadline) -> None:
        """Cut ``connection`` when ``deadline`` passes (replacing what it was watched for)."""
        with self._cond:
            new = all(d is not deadline for d in self._watched.values())
            self._watched[connection] = deadline
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="hubaction-deadline", daemon=True
                )
                self._thread.start()
            elif new:  # only a deadline not waited for yet can be the next one to pass
                self._cond.notify()

    def forget(self, connection: HTTPConnection) -> None:
        with self._cond:
            self._watched.pop(connection, None)

    def watching(self, connection: HTTPConnection) -> bool:
        with self._cond:
            return connection in self._watched

    def _run(self) -> None:
        with self._cond:
            while True:
                for connection, deadline in list(self._watched.items()):
                    if deadline.closed:
                        del self._watched[connection]
                    elif deadline.expired():
                        del self._watched[connection]
                        _cut(connection)
                waits = [d.remaining() for d in self._watched.values()]
                # A deadline on an injected clock may not move: look again at least each second.
                self._cond.wait(min([1.0, *waits]) if waits else None)


def _cut(connection: HTTPConnection) -> None:
    sock = connection.sock
    if isinstance(sock, socket.socket):  # not a TLS-in-TLS transport (HTTPS proxy)
        # socket.socket's own: SSLSocket.shutdown would also drop its TLS state under the
        # reader's feet; the reader sees an end of stream either way. OSError: closed already.
        with suppress(OSError):
            socket.socket.shutdown(sock, socket.SHUT_RDWR)


#: The one watchdog of the process.
WATCHDOG = Watchdog()


def _watch(connection: HTTPConnection) -> None:
    deadline = in_flight()
    if deadline is None:
        WATCHDOG.forget(connection)
    else:
        WATCHDOG.watch(connection, deadline)


class WatchedHTTPConnection(HTTPConnection):
    """An urllib3 connection the :data:`WATCHDOG` cuts at the deadline of its request."""

    def request(self, *args: Any, **kwargs: Any) -> None:
        _watch(self)
        super().request(*args, **kwargs)

    def close(self) -> None:
        WATCHDOG.forget(self)
        super().close()


class WatchedHTTPSConnection(WatchedHTTPConnection, HTTPSConnection):
    """:class:`WatchedHTTPConnection` over TLS (its methods first, then HTTPSConnection's)."""


class WatchedHTTPConnectionPool(HTTPConnectionPool):
    ConnectionCls = WatchedHTTPConnection


class WatchedHTTPSConnectionPool(HTTPSConnectionPool):
    ConnectionCls = WatchedHTTPSConnection


def watch_pools(manager: PoolManager) -> None:
    """Make ``manager`` open watched connections (its own pool classes, public API)."""
    manager.pool_classes_by_scheme = {
        "http": WatchedHTTPConnectionPool,
        "https": WatchedHTTPSConnectionPool,
    }
