"""``wait-for``: poll a tag by HEAD until it exists or its digest changed.

HEAD requests spend no Docker Hub pull quota (docs.docker.com, "Usage and limits": only GETs of
manifests count), so polling is free of quota. The interval grows from a few seconds to 30 s,
never past the wait's end, and the number of polls is bounded by the timeout.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from hubaction.errors import HubActionError, NotFound, Unauthorized, WaitTimedOut
from hubaction.oci.manifest import ImageIndex
from hubaction.oci.mediatypes import DOCKER_MANIFEST_LIST, OCI_INDEX
from hubaction.oci.model import ManifestHead
from hubaction.oci.reference import Digest, Reference

if TYPE_CHECKING:
    from hubaction.registry.client import RegistryClient

__all__ = ["WAIT_CONDITIONS", "Waited", "poll_intervals", "wait_for", "wait_for_tag"]

WAIT_CONDITIONS = ("exists", "changed")

FIRST_INTERVAL = 3.0
MAX_INTERVAL = 30.0
GROWTH = 1.5


@dataclass(frozen=True)
class Waited:
    """The HEAD that made the condition hold, after how many polls and seconds."""

    head: ManifestHead
    polls: int
    seconds: float


def poll_intervals(timeout: float) -> list[float]:
    """The pauses between polls: growing by half from 3 s to 30 s, summing to ``timeout``."""
    pauses: list[float] = []
    interval, left = FIRST_INTERVAL, timeout
    while left > 0:
        pause = min(interval, left)
        pauses.append(pause)
        left -= pause
        interval = min(interval * GROWTH, MAX_INTERVAL)
    return pauses


def wait_for(
    head: Callable[[], ManifestHead],
    *,
    what: str,
    condition: str,
    compare: Digest | None,
    timeout: float,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
    on_poll: Callable[[int, str], None] = lambda _poll, _state: None,
    pending: tuple[type[HubActionError], ...] = (NotFound,),
    pending_state: str = "does not exist",
) -> Waited:
    """Poll ``head()`` until ``condition`` holds (``exists``; ``changed``: a digest other than
    ``compare``), or raise :class:`WaitTimedOut` after ``timeout`` seconds. A missing tag is
    the state being waited out (``pending``: the errors that say so, ``pending_state`` how
    it is logged); any other error ends the wait at once."""
    if condition not in WAIT_CONDITIONS:
        raise ValueError(f"wait condition {condition!r} is not one of {WAIT_CONDITIONS}")
    start = clock()
    pauses = poll_intervals(timeout)
    state = "not polled"
    for poll in range(1, len(pauses) + 2):
        try:
            answer = head()
        except pending:
            state = pending_state
        else:
            if condition == "exists" or answer.digest != compare:
                return Waited(answer, poll, clock() - start)
            state = f"still has digest {answer.digest}"
        on_poll(poll, state)
        left = timeout - (clock() - start)
        if poll > len(pauses) or left <= 0:
            break
        sleep(min(pauses[poll - 1], left))
    goal = "exist" if condition == "exists" else f"change from {compare}"
    raise WaitTimedOut(
        f"Waited {clock() - start:.0f} s ({poll} HEAD requests) for {what} to {goal}; it {state}"
    )


def wait_for_tag(
    client: RegistryClient,
    ref: Reference,
    *,
    condition: str,
    compare: Digest | None,
    timeout: float,
    anonymous_hub: bool,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
    on_poll: Callable[[int, str], None] = lambda _poll, _state: None,
) -> Waited:
    """:func:`wait_for` on ``client``'s HEADs of ``ref`` (the action's and the CLI's wait).

    ``anonymous_hub``: ``ref`` is on Docker Hub and no credentials are given. Docker Hub then
    answers 401, not 404, for a repository not pushed yet (it cannot tell it from a private
    one), so a 401 is waited out too; with credentials, a 401 ends the wait at once. For
    ``changed``, a ``compare`` that is one of the new index's platform manifests has not
    changed (one GET of each new index: only when the HEAD digest differs).
    """
    pending: tuple[type[HubActionError], ...] = (NotFound,)
    state = "does not exist"
    if anonymous_hub:
        pending, state = (NotFound, Unauthorized), "does not exist (or is private: no credentials)"
    return wait_for(
        _tag_head(client, ref, condition=condition, compare=compare),
        what=str(ref),
        condition=condition,
        compare=compare,
        timeout=timeout,
        clock=clock,
        sleep=sleep,
        on_poll=on_poll,
        pending=pending,
        pending_state=state,
    )


def _tag_head(
    client: RegistryClient, ref: Reference, *, condition: str, compare: Digest | None
) -> Callable[[], ManifestHead]:
    """``client``'s HEAD of ``ref``, whose digest is ``compare`` still when ``compare`` is one
    of the new index's platform manifests (for ``changed``)."""
    platforms: dict[Digest, frozenset[Digest]] = {}

    def head() -> ManifestHead:
        answer = client.head_manifest(ref)
        if condition != "changed" or compare is None or answer.digest == compare:
            return answer
        if answer.media_type not in (None, OCI_INDEX, DOCKER_MANIFEST_LIST):
            return answer
        # As the `changed` output (github/steps.py, `result.current`): a compare-digest that is
        # one of the index's platform manifests has not changed. One GET per new index digest.
        if answer.digest not in platforms:
            manifest = client.get_manifest(ref, answer.digest).manifest
            listed = manifest.manifests if isinstance(manifest, ImageIndex) else ()
            platforms[answer.digest] = frozenset(d.digest for d in listed)
        if compare in platforms[answer.digest]:
            return replace(answer, digest=compare)  # logged as "still has digest <compare>"
        return answer

    return head
