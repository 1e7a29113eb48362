"""The wiring of issue 17 §4-6 (hubaction.github.decisions) on fakes and a set clock: the wait's
log and summary, the release and age outputs, Docker Hub's push date as the age's fallback."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from fakes.clock import FakeClock
from fakes.hubserver import NAMESPACE, HubServer
from runner_files import parse_workflow_commands

from hubaction.dockerhub.client import HubClient
from hubaction.errors import Kind, NotFound, Unauthorized, WaitTimedOut
from hubaction.github.decisions import Decisions, decide, image_age, wait
from hubaction.github.summary import Table
from hubaction.github.toolkit import Toolkit
from hubaction.oci.digest import parse_digest
from hubaction.oci.durations import Duration, parse_duration
from hubaction.oci.model import ManifestHead
from hubaction.oci.reference import Reference, parse_reference
from hubaction.oci.releases import parse_release_version
from hubaction.registry.transport import new_session

NEW = parse_digest("sha256:" + "b" * 64)
NOW = datetime(2026, 6, 1, tzinfo=UTC)
REF = parse_reference("ghcr.io/acme/app:1.2")


class Heads:
    """A registry client's ``head_manifest``, answering ``script`` in turn (the last repeats)."""

    def __init__(self, *script: Exception | None) -> None:
        self.script = list(script)
        self.asked: list[Reference] = []

    def head_manifest(self, ref: Reference) -> ManifestHead:
        self.asked.append(ref)
        answer = self.script.pop(0) if len(self.script) > 1 else self.script[0]
        if answer is not None:
            raise answer
        return ManifestHead(NEW, None, None, None)


def kit() -> tuple[Toolkit, io.StringIO]:
    out = io.StringIO()
    return Toolkit({}, out), out


def missing() -> NotFound:
    return NotFound("gone", kind=Kind.TAG)


def test_wait_logs_one_line_per_poll_in_a_group() -> None:
    toolkit, out = kit()
    clock = FakeClock()
    heads = Heads(missing(), missing(), None)
    section = wait(
        toolkit,
        heads,  # type: ignore[arg-type]
        REF,
        Decisions(wait_for="exists"),
        None,
        clock=clock.monotonic,
        sleep=clock.sleep,
    )
    assert heads.asked == [REF] * 3 and clock.sleeps == [3.0, 4.5]
    commands = parse_workflow_commands(out.getvalue())
    assert [c[0] for c in commands] == ["group", "endgroup"]
    assert commands[0][2] == "Waiting up to 10m for ghcr.io/acme/app:1.2 to exist"
    lines = [line for line in out.getvalue().splitlines() if line.startswith("HEAD")]
    assert lines == [
        "HEAD 1: ghcr.io/acme/app:1.2 does not exist",
        "HEAD 2: ghcr.io/acme/app:1.2 does not exist",
        f"HEAD 3: ghcr.io/acme/app:1.2 is {NEW}",
    ]
    assert "### Waited (`wait-for: exists`)" in section and "3 HEAD requests" in section


@pytest.mark.parametrize(("anonymous_hub", "waits"), [(True, True), (False, False)])
def test_a_401_is_waited_out_only_for_docker_hub_without_credentials(
    anonymous_hub: bool, waits: bool
) -> None:
    toolkit, out = kit()
    clock = FakeClock()
    refused = Unauthorized("401", kind=Kind.CREDENTIALS_REFUSED)
    heads = Heads(refused, None)
    ref = parse_reference("acme/new:1")
    call = lambda: wait(  # noqa: E731
        toolkit,
        heads,  # type: ignore[arg-type]
        ref,
        Decisions(wait_for="exists"),
        None,
        anonymous_hub=anonymous_hub,
        clock=clock.monotonic,
        sleep=clock.sleep,
    )
    if waits:
        call()
        assert "is private: no credentials" in out.getvalue()
    else:
        with pytest.raises(Unauthorized):
            call()
        assert "::endgroup::" in out.getvalue()  # the group is closed on the way out


def test_wait_times_out_with_one_error() -> None:
    toolkit, _out = kit()
    clock = FakeClock()
    with pytest.raises(WaitTimedOut) as caught:
        wait(
            toolkit,
            Heads(missing()),  # type: ignore[arg-type]
            REF,
            Decisions(wait_for="exists", wait_timeout=Duration(8)),
            None,
            clock=clock.monotonic,
            sleep=clock.sleep,
        )
    assert sum(clock.sleeps) == pytest.approx(8)
    assert str(caught.value).startswith("Waited 8 s (")


def run_decide(
    decisions: Decisions,
    *,
    tags: list[str] | None = None,
    created: str = "",
    exists: bool = True,
    tag_filter: str | None = None,
    hub: HubClient | None = None,
    ref: Reference = REF,
) -> tuple[dict[str, str], list[str | Table | None], list[tuple[str, dict[str, str], str]]]:
    import re

    toolkit, out = kit()
    outputs = {"created": created}
    parts: list[str | Table | None] = []
    decide(
        toolkit,
        decisions,
        ref,
        outputs=outputs,
        parts=parts,
        tags=tags,
        tag_filter=re.compile(tag_filter) if tag_filter else None,
        exists=exists,
        hub=hub,
        now=NOW,
    )
    return outputs, parts, parse_workflow_commands(out.getvalue())


def test_release_outputs_after_the_tag_filter() -> None:
    release = Decisions(release_version=parse_release_version("1.3.1"))
    outputs, parts, _ = run_decide(release, tags=["1.2.0", "1.3.0", "2.0.0", "latest"])
    assert outputs["release-tags"] == '["1.3.1","1.3","1"]'
    assert (outputs["is-latest"], outputs["is-latest-major"]) == ("false", "true")
    # Only the 1.x line: 2.0.0 is filtered out, so 1.3.1 is the latest.
    outputs, _, _ = run_decide(release, tags=["1.2.0", "1.3.0", "2.0.0"], tag_filter=r"^1\.")
    assert json.loads(outputs["release-tags"]) == ["1.3.1", "1.3", "1", "latest"]
    assert isinstance(parts[0], str) and "Compared with 3 release tags" in parts[0]


def test_release_in_a_repository_that_does_not_exist() -> None:
    release = Decisions(release_version=parse_release_version("1.0.0"))
    outputs, parts, _ = run_decide(release, tags=None, exists=False)
    assert outputs["is-latest"] == "true"
    assert isinstance(parts[0], str) and "the highest: none" in parts[0]


@pytest.mark.parametrize(
    ("created", "too_old"),
    [
        ((NOW - timedelta(days=31)).isoformat(), "true"),
        ((NOW - timedelta(days=29)).isoformat(), "false"),
    ],
)
def test_max_age_from_created(created: str, too_old: str) -> None:
    outputs, parts, commands = run_decide(Decisions(max_age=Duration(30 * 86400)), created=created)
    assert outputs["too-old"] == too_old and commands == []
    assert isinstance(parts[0], str) and "days ago" in parts[0]


def test_max_age_of_a_missing_image_is_empty_without_a_warning() -> None:
    outputs, parts, commands = run_decide(Decisions(max_age=Duration(86400)), exists=False)
    assert outputs["too-old"] == "" and parts == [] and commands == []


def test_max_age_unknown_outside_docker_hub_warns_once() -> None:
    outputs, parts, commands = run_decide(Decisions(max_age=Duration(86400)), created="")
    assert outputs["too-old"] == ""
    assert [c[0] for c in commands] == ["warning"]
    assert "only Docker Hub's API has push dates" in commands[0][2]
    assert isinstance(parts[0], str) and parts[0].endswith("push dates \\(of tags\\).\n")


@pytest.fixture(scope="module")
def hub_server() -> Iterator[HubServer]:
    with HubServer() as server:
        yield server


def test_docker_hub_push_date_when_the_config_has_no_created(hub_server: HubServer) -> None:
    hub = HubClient(new_session(), hub_url=hub_server.url)
    ref = parse_reference(f"{NAMESPACE}/small:1.2.3")  # pushed 2024-05-15T08:00Z
    check = image_age(parse_duration("30d"), ref, "", hub, NOW)
    assert check.too_old is True and check.source == "Docker Hub's push date"
    young = image_age(parse_duration("30d"), ref, "", hub, datetime(2024, 5, 20, tzinfo=UTC))
    assert young.too_old is False
    # The config's created wins: no request at all.
    hub_server.reset()
    image_age(parse_duration("30d"), ref, "2026-05-31T00:00:00Z", hub, NOW)
    assert hub_server.requests == []


def test_docker_hub_failure_leaves_the_age_unknown(hub_server: HubServer) -> None:
    hub = HubClient(new_session(), hub_url=hub_server.url)
    ref = parse_reference(f"{NAMESPACE}/small:9.9.9")
    outputs, parts, commands = run_decide(
        Decisions(max_age=Duration(86400)), created="", hub=hub, ref=ref
    )
    assert outputs["too-old"] == ""
    assert [c[0] for c in commands] == ["warning"] and "404" in commands[0][2]
    assert isinstance(parts[0], str) and "Unknown:" in parts[0]
