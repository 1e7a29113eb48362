"""A wrapper (handler -> handler) that counts the requests in flight at once, for the bounded
concurrency of many lookups (issue 17 §7).

    counter = InFlight(hold=0.05)
    server = serve(counter.wrap(handler))
    ...
    assert counter.max_in_flight <= CONCURRENCY

``hold`` keeps each request in flight that long before the handler answers (waiting on the
server's stop event, so a stopping server is not held up), so that requests sent together
overlap and the count shows how many the client sends at once.
"""

from __future__ import annotations

import threading

from fakes.server import Handler, Request, Response


class InFlight:
    """Counts requests being answered now, and the most at any one time."""

    def __init__(self, *, hold: float = 0.0) -> None:
        self.hold = hold
        self.max_in_flight = 0
        self.total = 0
        self._now = 0
        self._lock = threading.Lock()

    def wrap(self, handler: Handler) -> Handler:
        def counted(request: Request) -> Response:
            with self._lock:
                self._now += 1
                self.total += 1
                self.max_in_flight = max(self.max_in_flight, self._now)
            try:
                if self.hold:
                    request.stopping.wait(self.hold)
                return handler(request)
            finally:
                with self._lock:
                    self._now -= 1

        return counted
