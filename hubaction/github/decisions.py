"""What workflows decide around a lookup (issue 17 §4-6): ``wait-for`` (poll by HEAD before
the lookup), ``release-version`` (which moving tags a release carries) and ``max-age`` (is the
image too old). Wiring only: the inputs' parsers and rules, the calls, the outputs and the
summary sections; the logic is :mod:`hubaction.registry.wait`, :mod:`hubaction.oci.releases`
and :mod:`hubaction.oci.times`.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from hubaction.errors import HubActionError, InvalidInput, describe
from hubaction.github.outputs import boolean, compact_json
from hubaction.github.summary import Table, md_code, md_text
from hubaction.github.toolkit import Toolkit
from hubaction.oci.durations import Duration, parse_duration
from hubaction.oci.reference import Digest, Reference

# The modules of each feature are imported where it runs: every run reads these inputs, few use
# them, and each module costs start-up (benchmarks/README.md, "Acceptance").
if TYPE_CHECKING:
    from hubaction.dockerhub.client import HubClient
    from hubaction.oci.releases import ReleasePlan
    from hubaction.oci.tags import Version
    from hubaction.oci.times import AgeCheck
    from hubaction.registry.client import RegistryClient
    from hubaction.registry.wait import Waited

#: ``wait-for``'s values (as hubaction.registry.wait.WAIT_CONDITIONS, which a test keeps equal).
WAIT_CONDITIONS = ("exists", "changed")

#: ``wait-timeout``'s default (contract, "Planned" inputs).
DEFAULT_WAIT_TIMEOUT = Duration(600)


@dataclass(frozen=True)
class Decisions:
    """``wait-for``, ``wait-timeout``, ``release-version`` and ``max-age``, parsed."""

    wait_for: str = ""
    wait_timeout: Duration = DEFAULT_WAIT_TIMEOUT
    release_version: Version | None = None
    max_age: Duration | None = None


# -- the inputs' parsers (the table of hubaction.github.inputs) --------------------------------


def parse_wait_for(name: str, value: str) -> str:
    if value and value not in WAIT_CONDITIONS:
        raise InvalidInput(
            f"Input `{name}` is {value[:40]!r}: expected `exists` (wait until the tag exists), "
            "`changed` (until its digest differs from `compare-digest`) or empty (no wait)"
        )
    return value


def parse_wait_timeout(name: str, value: str) -> Duration:
    return parse_duration(value, f"Input `{name}`")


def parse_max_age(name: str, value: str) -> Duration | None:
    return parse_duration(value, f"Input `{name}`") if value else None


def parse_release(name: str, value: str) -> Version | None:
    if not value:
        return None
    from hubaction.oci.releases import parse_release_version

    return parse_release_version(value, f"Input `{name}`")


def check_decisions(
    decisions: Decisions, *, ref: Reference | None, compare: Digest | None, digest_only: bool
) -> None:
    """The rules tying these inputs to the others; the first broken one raises."""
    used = [
        name
        for name, value in (
            ("wait-for", decisions.wait_for),
            ("release-version", decisions.release_version),
            ("max-age", decisions.max_age),
        )
        if value
    ]
    if used and ref is None:
        raise InvalidInput(f"Input `{used[0]}` needs `repository`: the image it is about")
    if decisions.wait_for == "changed" and compare is None:
        raise InvalidInput(
            "Input `wait-for: changed` waits until the tag's digest differs from "
            "`compare-digest`, which is empty: set `compare-digest` (e.g. to the digest of the "
            "last build), or use `wait-for: exists`"
        )
    if decisions.wait_for == "changed" and ref is not None and ref.tag is None:
        raise InvalidInput(
            "Input `wait-for: changed` needs a tag: a digest reference never changes"
        )
    if decisions.max_age is not None and digest_only:
        raise InvalidInput(
            "Input `max-age` reads the image config's `created`, which `digest-only: true` "
            "does not fetch: set `digest-only: false`, or drop `max-age`"
        )


def run_seconds(timeout: float, decisions: Decisions) -> float:
    """The run's deadline: ``timeout`` for the lookups, plus ``wait-timeout`` when
    ``wait-for`` is set (issue 17 §4: the run deadline is extended by the wait)."""
    return timeout + (decisions.wait_timeout.seconds if decisions.wait_for else 0)


def fails_on_missing(fail_on_missing: bool, decisions: Decisions) -> bool:
    """A release plan needs only the tag list: with ``release-version`` a missing tag (a
    repository without ``latest``, or none yet) is ``exists=false``, not a failure."""
    return fail_on_missing and decisions.release_version is None


# -- wait-for ---------------------------------------------------------------------------------


def wait(
    kit: Toolkit,
    client: RegistryClient,
    ref: Reference,
    decisions: Decisions,
    compare: Digest | None,
    *,
    anonymous_hub: bool = False,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> str:
    """Poll ``ref`` by HEAD (no pull quota) until ``wait-for`` holds; one log line per poll,
    in a group. Returns the summary section; :class:`WaitTimedOut` after ``wait-timeout``."""
    from hubaction.registry.wait import wait_for_tag

    goal = "exist" if decisions.wait_for == "exists" else f"change from {compare}"
    with kit.group(f"Waiting up to {decisions.wait_timeout} for {ref} to {goal}"):
        waited = wait_for_tag(
            client,
            ref,
            condition=decisions.wait_for,
            compare=compare,
            timeout=float(decisions.wait_timeout.seconds),
            anonymous_hub=anonymous_hub,
            clock=clock,
            sleep=sleep,
            on_poll=lambda poll, now: kit.info(f"HEAD {poll}: {ref} {now}"),
        )
        kit.info(f"HEAD {waited.polls}: {ref} is {waited.head.digest}")
    return wait_section(ref, decisions, waited)


def wait_section(ref: Reference, decisions: Decisions, waited: Waited) -> str:
    what = "exists" if decisions.wait_for == "exists" else "changed"
    return (
        f"### Waited ({md_code('wait-for: ' + decisions.wait_for)})\n\n"
        f"{md_code(str(ref))} {what} ({md_code(str(waited.head.digest))}) after "
        f"{waited.seconds:.0f} s and {waited.polls} HEAD requests (at most "
        f"{md_text(str(decisions.wait_timeout))}; HEAD requests spend no pull quota).\n"
    )


# -- release-version and max-age, after the lookup -------------------------------------------


def decide(
    kit: Toolkit,
    decisions: Decisions,
    ref: Reference,
    *,
    outputs: dict[str, str],
    parts: list[str | Table | None],
    tags: Sequence[str] | None,
    tag_filter: re.Pattern[str] | None,
    exists: bool,
    hub: HubClient | None,
    now: datetime,
) -> None:
    """The outputs and summary sections of ``release-version`` (on ``tags``, the listing;
    ``None``: the repository does not exist) and ``max-age`` (on the ``created`` output)."""
    if decisions.release_version is not None:
        names = [t for t in tags or () if tag_filter is None or tag_filter.search(t)]
        from hubaction.oci.releases import plan_release

        plan = plan_release(decisions.release_version, names)
        outputs.update(release_outputs(plan))
        parts.append(release_section(plan))
    if decisions.max_age is not None:
        if not exists:
            outputs["too-old"] = ""  # exists=false says why; no age to tell
            return
        check = image_age(decisions.max_age, ref, outputs.get("created"), hub, now)
        if check.too_old is None:
            kit.warning(f"max-age: the age of {ref} is unknown ({check.unknown}); too-old is empty")
        outputs["too-old"] = "" if check.too_old is None else boolean(check.too_old)
        parts.append(age_section(check))


def release_outputs(plan: ReleasePlan) -> dict[str, str]:
    return {
        "is-latest": boolean(plan.is_latest),
        "is-latest-major": boolean(plan.is_latest_major),
        "is-latest-minor": boolean(plan.is_latest_minor),
        "release-tags": compact_json(list(plan.tags)),
    }


def release_document(plan: ReleasePlan) -> dict[str, object]:
    """The plan as the CLI prints it (``hubaction tags --release-version``)."""
    return {
        "release-version": plan.version.text,
        "is-latest": plan.is_latest,
        "is-latest-major": plan.is_latest_major,
        "is-latest-minor": plan.is_latest_minor,
        "release-tags": list(plan.tags),
        "compared": plan.compared,
        "highest": plan.highest,
    }


def image_age(
    max_age: Duration, ref: Reference, created: str | None, hub: HubClient | None, now: datetime
) -> AgeCheck:
    """From the config's ``created``, else (docker.io, a tag) Docker Hub's push date."""
    from hubaction.oci.times import check_age, created_time

    moment, unknown = created_time(created)
    if moment is not None:
        return check_age(max_age, moment, source="the image config's `created`", now=now)
    if hub is None or not ref.is_docker_hub or ref.tag is None:
        unknown += ", and only Docker Hub's API has push dates (of tags)"
        return check_age(max_age, None, source="", now=now, unknown=unknown)
    from hubaction.dockerhub.models import split_hub_repository

    try:
        pushed = hub.tag(*split_hub_repository(ref.repository), ref.tag).pushed_at
    except HubActionError as exc:  # the age is extra: a warning, not a failed step
        return check_age(max_age, None, source="", now=now, unknown=f"{unknown}; {describe(exc)}")
    if pushed is None:
        unknown += ", and Docker Hub has no push date for the tag"
    return check_age(max_age, pushed, source="Docker Hub's push date", now=now, unknown=unknown)


def release_section(plan: ReleasePlan) -> str:
    version = plan.version
    major, minor = version.release[0], ".".join(str(n) for n in version.release[:2])
    yes = {True: "yes", False: "no"}
    rows = [
        ("Highest of all", yes[plan.is_latest]),
        (f"Highest of {major}.x", yes[plan.is_latest_major]),
        (f"Highest of {minor}.x", yes[plan.is_latest_minor]),
        ("Tags to push", " ".join(md_code(t) for t in plan.tags)),
    ]
    highest = md_code(plan.highest) if plan.highest else "none"
    return (
        f"### Release {md_code(version.text)}\n\n| | |\n|---|---|\n"
        + "".join(f"| {k} | {v} |\n" for k, v in rows)
        + f"\nCompared with {plan.compared} release tags (after `tag-filter`); the highest: "
        f"{highest}.\n"
    )


def age_section(check: AgeCheck) -> str:
    from hubaction.oci.times import format_time

    head = f"### Age (max-age {md_text(str(check.max_age))})\n\n"
    age = check.age
    if check.moment is None or age is None:
        return head + f"Unknown: {md_text(check.unknown)}.\n"
    days = age.total_seconds() / 86400
    verdict = "**too old**" if check.too_old else "young enough"
    return head + (
        f"Made {md_text(format_time(check.moment)[:19].replace('T', ' '))} UTC "
        f"({md_text(check.source)}), {days:.1f} days ago: {verdict}.\n"
    )
