"""End to end (issue 17 §4-6 acceptance): ``entrypoint.py`` as the runner runs it, against the
real distribution registry on loopback, for ``wait-for``, ``release-version`` and ``max-age``.

Each test pushes its own repository (a fresh name), so the session's shared registry and the
other tests are untouched.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
from actionrunner import ActionRun, run_action
from registryfixtures import Fixtures, RegistryProcess
from registryfixtures.images import BuiltImage, Pusher, build_image

#: A tag pushed this long after the step starts (the acceptance item's 5 s).
PUSH_DELAY = 5.0


def image(name: str, created: str = "2024-05-01T12:00:00Z") -> BuiltImage:
    return build_image(name=name, platform="linux/amd64", created=created, labels={}, docker=False)


def fresh(prefix: str) -> str:
    return f"decide/{prefix}-{uuid.uuid4().hex[:8]}"


def only_error(run: ActionRun) -> str:
    errors = run.errors()
    assert run.returncode == 1 and len(errors) == 1, run.log
    return errors[0]


def test_wait_for_exists_finds_a_tag_pushed_after_the_step_starts(
    tmp_path: Path, open_registry: RegistryProcess
) -> None:
    repo, built = fresh("wait"), image("wait-late")
    pusher = Pusher(open_registry.url)
    started = threading.Event()

    def push_later() -> None:
        started.wait(timeout=60)
        time.sleep(PUSH_DELAY)
        pusher.image(repo, built, reference="1")

    pushing = threading.Thread(target=push_later, daemon=True)
    pushing.start()
    started.set()
    try:
        run = run_action(
            {
                "repository": f"{open_registry.host}/{repo}",
                "tag": "1",
                "wait-for": "exists",
                "wait-timeout": "2m",
                "list-tags": "false",
                # Shorter than the wait: the run's deadline is extended by `wait-timeout`
                # (issue 17 §4), or the HEAD at 3 s would already be past it.
                "timeout": "2",
            },
            tmp_path,
        )
    finally:
        pushing.join(timeout=60)
    assert not pushing.is_alive()
    assert run.returncode == 0, run.log
    assert run.outputs["digest"] == built.manifest.digest
    assert run.outputs["exists"] == "true"
    polls = [line for line in run.stdout.splitlines() if line.startswith("HEAD ")]
    # Polls 3 s, then 4.5 s apart: the tag pushed at 5 s is there by the third.
    assert 2 <= len(polls) <= 5, run.stdout
    assert "does not exist" in polls[0]
    assert polls[-1].endswith(built.manifest.digest)
    assert "### Waited (`wait-for: exists`)" in run.summary
    assert f"{len(polls)} HEAD requests" in run.summary
    assert run.summary.index("## ") < run.summary.index("### Waited")


def test_wait_for_a_tag_never_pushed_fails_after_the_timeout(
    tmp_path: Path, open_registry: RegistryProcess
) -> None:
    repo = fresh("never")
    began = time.monotonic()
    run = run_action(
        {
            "repository": f"{open_registry.host}/{repo}",
            "tag": "1",
            "wait-for": "exists",
            "wait-timeout": "8s",
        },
        tmp_path,
    )
    took = time.monotonic() - began
    error = only_error(run)
    assert "Waited 8 s" in error and "to exist" in error and repo in error, error
    assert "wait-timeout" in error  # the advice
    assert took >= 8
    assert run.outputs == {}


def test_wait_for_changed_needs_compare_digest(tmp_path: Path) -> None:
    run = run_action({"repository": "127.0.0.1:9/app", "tag": "1", "wait-for": "changed"}, tmp_path)
    assert "`compare-digest`" in only_error(run)


def push_tags(registry: RegistryProcess, repo: str, tags: list[str]) -> None:
    pusher = Pusher(registry.url)
    for tag in tags:
        pusher.image(repo, image(f"release-{tag}"), reference=tag)


def test_release_version_plans_the_moving_tags(
    tmp_path: Path, open_registry: RegistryProcess
) -> None:
    repo = fresh("release")
    push_tags(open_registry, repo, ["1.2.0", "1.3.0", "2.0.0"])
    # No `latest` in the repository, fail-on-missing left at true, list-tags false: the plan
    # needs only the tag list.
    run = run_action(
        {
            "repository": f"{open_registry.host}/{repo}",
            "release-version": "1.3.1",
            "list-tags": "false",
        },
        tmp_path,
    )
    assert run.returncode == 0, run.log
    out = run.outputs
    assert out["exists"] == "false"
    assert (out["is-latest"], out["is-latest-major"], out["is-latest-minor"]) == (
        "false",
        "true",
        "true",
    )
    assert json.loads(out["release-tags"]) == ["1.3.1", "1.3", "1"]
    assert "tags" not in out  # list-tags: false still holds for the outputs
    assert "### Release `1.3.1`" in run.summary and "`2.0.0`" in run.summary


def test_release_version_in_a_repository_that_does_not_exist_is_the_latest(
    tmp_path: Path, open_registry: RegistryProcess
) -> None:
    run = run_action(
        {"repository": f"{open_registry.host}/{fresh('first')}", "release-version": "v0.1.0"},
        tmp_path,
    )
    assert run.returncode == 0, run.log
    assert run.outputs["is-latest"] == "true"
    assert json.loads(run.outputs["release-tags"]) == ["v0.1.0", "v0.1", "latest"]
    assert run.outputs["tags"] == "[]"


@pytest.mark.parametrize(
    ("created", "too_old"),
    [("2020-01-01T00:00:00Z", "true"), (None, "false")],
    ids=["old", "recent"],
)
def test_max_age_from_the_config_created(
    tmp_path: Path, open_registry: RegistryProcess, created: str | None, too_old: str
) -> None:
    repo = fresh("age")
    when = created or datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    Pusher(open_registry.url).image(repo, image(f"age-{when}", created=when), reference="1")
    run = run_action(
        {
            "repository": f"{open_registry.host}/{repo}",
            "tag": "1",
            "max-age": "30d",
            "list-tags": "false",
        },
        tmp_path,
    )
    assert run.returncode == 0, run.log
    assert run.outputs["created"] == when
    assert run.outputs["too-old"] == too_old
    assert "### Age (max-age 30d)" in run.summary
    assert ("**too old**" in run.summary) == (too_old == "true")


def test_max_age_without_a_created_time_is_empty_with_a_warning(
    tmp_path: Path, open_registry: RegistryProcess
) -> None:
    repo = fresh("epoch")
    built = image("age-epoch", created="1970-01-01T00:00:00Z")  # SOURCE_DATE_EPOCH=0
    Pusher(open_registry.url).image(repo, built, reference="1")
    run = run_action(
        {"repository": f"{open_registry.host}/{repo}", "tag": "1", "max-age": "30d"}, tmp_path
    )
    assert run.returncode == 0, run.log
    assert run.outputs["too-old"] == ""
    warnings = [data for name, _p, data in run.commands if name == "warning"]
    assert len(warnings) == 1 and "placeholder" in warnings[0], run.commands


@pytest.mark.parametrize("compare", ["platform", "other"])
def test_wait_for_changed_treats_a_platform_digest_as_the_tag_s(
    tmp_path: Path, open_registry: RegistryProcess, registry_fixtures: Fixtures, compare: str
) -> None:
    pushed = registry_fixtures.images["fixtures/oci-index:1"]
    platform_digest = pushed.platforms["linux/amd64"].manifest_digest
    digest = platform_digest if compare == "platform" else "sha256:" + "0" * 64
    run = run_action(
        {
            "repository": f"{open_registry.host}/fixtures/oci-index:1",
            "wait-for": "changed",
            "compare-digest": digest,
            "wait-timeout": "4s",
            "list-tags": "false",
        },
        tmp_path,
    )
    if compare == "platform":  # as `changed` says: the tag still holds that platform manifest
        assert f"still has digest {platform_digest}" in only_error(run)
    else:
        assert run.returncode == 0, run.log
        assert run.outputs["changed"] == "true"
        assert run.outputs["digest"] == pushed.digest
