"""The one bounded concurrent map of the lookups that fan out: per-tag HEADs, every platform's
manifest, base-image comparisons, the ``images`` input, Docker Hub's listing pages."""

from __future__ import annotations

import contextvars
from collections.abc import Callable, Sequence
from typing import TypeVar

__all__ = ["bounded_map"]

T = TypeVar("T")
R = TypeVar("R")


def bounded_map(
    fn: Callable[[T], R], items: Sequence[T], concurrency: int, *, name: str = "hubaction"
) -> list[R]:
    """``fn`` over ``items``, at most ``concurrency`` at once, the results in order.

    Each call runs in a copy of the caller's context, so a deadline share narrowed there
    (:func:`~hubaction.registry.deadline.limited`) holds in the pool's threads too. The first
    exception is raised; the calls not yet started are cancelled (``Executor.map``).
    """
    if not items:
        return []
    from concurrent.futures import ThreadPoolExecutor  # only runs that fan out pay for it

    # Copied here, in the caller's thread: a copy made in a worker would be the worker's.
    calls = [(contextvars.copy_context(), item) for item in items]
    workers = max(1, min(concurrency, len(items)))
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix=name) as pool:
        return list(pool.map(lambda call: call[0].run(fn, call[1]), calls))
