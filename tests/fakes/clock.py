"""A clock for the code that waits between retries: ``sleep`` records the wait and moves the
clock on at once, so a test asserts the waits asked for instead of timing them.

It stands in for the ``time`` module where hubaction's retries read it (the ``retry_clock``
fixture of ``tests/conftest.py``): ``monotonic``, ``time`` and ``sleep``.
"""

from __future__ import annotations

import threading

#: Where the clock starts: a fixed Unix time, so an ``X-Retry-After`` is an exact wait.
START = 1_800_000_000.0


class FakeClock:
    """``monotonic()`` and ``time()`` read the same fake instant; ``sleep`` advances it."""

    def __init__(self, start: float = START) -> None:
        self.now = start
        #: Every ``sleep`` asked for, in order, in seconds.
        self.sleeps: list[float] = []
        self._lock = threading.Lock()

    def monotonic(self) -> float:
        with self._lock:
            return self.now

    def time(self) -> float:
        return self.monotonic()

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.sleeps.append(seconds)
            self.now += seconds

    def advance(self, seconds: float) -> None:
        """Let ``seconds`` pass without anyone sleeping (the test's own wait)."""
        with self._lock:
            self.now += seconds
