"""wait-for: polling by HEAD with a growing interval (hubaction.registry.wait), on a fake clock."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from hubaction.errors import Kind, NotFound, RegistryError, WaitTimedOut
from hubaction.oci.digest import parse_digest
from hubaction.oci.model import ManifestHead
from hubaction.registry.wait import MAX_INTERVAL, poll_intervals, wait_for
from tests.fakes.clock import FakeClock

OLD = parse_digest("sha256:" + "a" * 64)
NEW = parse_digest("sha256:" + "b" * 64)


def answers(*script: object) -> Callable[[], ManifestHead]:
    """A HEAD that answers `script` in turn (None: not found; an exception: raised)."""
    left = list(script)

    def head() -> ManifestHead:
        answer = left.pop(0) if len(left) > 1 else left[0]
        if answer is None:
            raise NotFound("tag missing", kind=Kind.TAG)
        if isinstance(answer, Exception):
            raise answer
        assert isinstance(answer, type(OLD))
        return ManifestHead(answer, None, None, None)

    return head


def test_intervals_grow_to_the_cap_and_sum_to_the_timeout() -> None:
    pauses = poll_intervals(600)
    assert pauses[:4] == [3.0, 4.5, 6.75, 10.125]
    assert max(pauses) == MAX_INTERVAL
    assert sum(pauses) == pytest.approx(600)
    assert poll_intervals(0) == []


def test_exists_returns_once_the_tag_appears() -> None:
    clock = FakeClock()
    waited = wait_for(
        answers(None, None, NEW),
        what="x:1",
        condition="exists",
        compare=None,
        timeout=600,
        clock=clock.monotonic,
        sleep=clock.sleep,
    )
    assert (waited.head.digest, waited.polls) == (NEW, 3)
    assert clock.sleeps == [3.0, 4.5]


def test_changed_waits_for_another_digest() -> None:
    clock = FakeClock()
    polls: list[tuple[int, str]] = []
    waited = wait_for(
        answers(OLD, None, OLD, NEW),
        what="x:1",
        condition="changed",
        compare=OLD,
        timeout=600,
        clock=clock.monotonic,
        sleep=clock.sleep,
        on_poll=lambda n, s: polls.append((n, s)),
    )
    assert waited.head.digest == NEW and waited.polls == 4
    assert [state for _, state in polls] == [
        f"still has digest {OLD}",
        "does not exist",
        f"still has digest {OLD}",
    ]


def test_gives_up_after_the_timeout_with_one_clear_error() -> None:
    clock = FakeClock()
    with pytest.raises(WaitTimedOut) as caught:
        wait_for(
            answers(None),
            what="ghcr.io/o/app:1.2",
            condition="exists",
            compare=None,
            timeout=120,
            clock=clock.monotonic,
            sleep=clock.sleep,
        )
    assert sum(clock.sleeps) == pytest.approx(120)
    assert caught.value.kind is Kind.WAITED
    message = str(caught.value)
    assert "ghcr.io/o/app:1.2" in message and "to exist" in message
    assert "does not exist" in message


def test_slow_heads_count_against_the_timeout() -> None:
    clock = FakeClock()

    def slow() -> ManifestHead:
        clock.advance(50)  # each HEAD takes 50 s (retries inside the transport)
        raise NotFound("tag missing", kind=Kind.TAG)

    with pytest.raises(WaitTimedOut):
        wait_for(
            slow,
            what="x:1",
            condition="exists",
            compare=None,
            timeout=120,
            clock=clock.monotonic,
            sleep=clock.sleep,
        )
    assert clock.now - 1_800_000_000.0 <= 120 + 50


def test_other_errors_end_the_wait_at_once() -> None:
    clock = FakeClock()
    refused = RegistryError("refused", kind=Kind.REQUEST_REFUSED)
    with pytest.raises(RegistryError) as caught:
        wait_for(
            answers(None, refused),
            what="x:1",
            condition="exists",
            compare=None,
            timeout=600,
            clock=clock.monotonic,
            sleep=clock.sleep,
        )
    assert caught.value is refused
    assert clock.sleeps == [3.0]


def test_the_input_table_knows_the_same_conditions() -> None:
    # github.decisions keeps its own copy so that reading the inputs imports no wait module.
    from hubaction.github import decisions
    from hubaction.registry import wait

    assert decisions.WAIT_CONDITIONS == wait.WAIT_CONDITIONS
