"""The command line's decisions (issue 17 §4-6): ``hubaction wait``, ``tags --release-version``
and ``inspect --max-age``, as a user runs them, against the real registry on loopback."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from registryfixtures import RegistryProcess
from registryfixtures.images import Pusher, build_image

ROOT = Path(__file__).resolve().parent.parent


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    """``hubaction`` in a fresh process, from another directory, without the user's config."""
    return subprocess.run(
        [sys.executable, "-m", "hubaction.cli", *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd="/",
        env={"PATH": "/usr/bin:/bin", "HOME": "/nonexistent", "PYTHONPATH": str(ROOT)},
    )


@pytest.fixture(scope="module")
def repo(open_registry: RegistryProcess) -> str:
    """A fresh repository with the tags 1.2.0 1.3.0 2.0.0, made in 2020."""
    name = f"decide/cli-{uuid.uuid4().hex[:8]}"
    pusher = Pusher(open_registry.url)
    for tag in ("1.2.0", "1.3.0", "2.0.0"):
        built = build_image(
            name=f"cli-{tag}",
            platform="linux/amd64",
            created="2020-01-01T00:00:00Z",
            labels={},
            docker=False,
        )
        pusher.image(name, built, reference=tag)
    return f"{open_registry.host}/{name}"


def test_tags_release_version(repo: str) -> None:
    done = cli("tags", repo, "--release-version", "1.3.1", "--json")
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)
    assert (doc["is-latest"], doc["is-latest-major"], doc["is-latest-minor"]) == (
        False,
        True,
        True,
    )
    assert doc["release-tags"] == ["1.3.1", "1.3", "1"]
    assert (doc["compared"], doc["highest"]) == (3, "2.0.0")
    text = cli("tags", repo, "--release-version", "2.1.0", "--filter", "^1")
    assert text.returncode == 0, text.stderr
    assert 'release-tags     ["2.1.0", "2.1", "2", "latest"]' in text.stdout


def test_tags_release_version_of_a_repository_not_pushed_yet(repo: str) -> None:
    done = cli("tags", repo + "-none", "--release-version", "0.1.0", "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["release-tags"] == ["0.1.0", "0.1", "latest"]


def test_wait_for_a_tag_that_exists_prints_its_digest(repo: str) -> None:
    done = cli("wait", f"{repo}:1.3.0", "--json")
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)
    assert doc["polls"] == 1 and doc["digest"].startswith("sha256:")
    changed = cli("wait", f"{repo}:2.0.0", "--changed", doc["digest"])
    assert changed.returncode == 0 and changed.stdout.strip() != doc["digest"]


def test_wait_times_out_with_one_error_line(repo: str) -> None:
    done = cli("wait", f"{repo}:9.9.9", "--wait-timeout", "4s")
    assert done.returncode == 1
    errors = [line for line in done.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "Waited 4 s" in errors[0] and "wait-timeout" in errors[0]
    assert done.stderr.count("HEAD ") >= 2


def test_inspect_max_age(repo: str) -> None:
    old = cli("inspect", f"{repo}:1.2.0", "--max-age", "30d", "--json")
    assert old.returncode == 0, old.stderr
    assert json.loads(old.stdout)["too-old"] == "true"
    young = cli("inspect", f"{repo}:1.2.0", "--max-age", "1000w")  # 19 years
    assert young.returncode == 0, young.stderr
    assert re.search(r"^Too old +false$", young.stdout, re.MULTILINE), young.stdout


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (("wait", "localhost:1/a:1", "--wait-timeout", "5x"), "--wait-timeout"),
        (("wait", "localhost:1/a:1", "--changed", "sha256:12"), "sha256"),
        (("wait", "localhost:1/a@sha256:" + "a" * 64, "--changed", "sha256:" + "b" * 64), "tag"),
        (("tags", "localhost:1/a", "--release-version", "1.2"), "MAJOR.MINOR.PATCH"),
        (("inspect", "localhost:1/a:1", "--max-age", "a month"), "--max-age"),
    ],
)
def test_bad_values_are_usage_errors_before_any_request(args: tuple[str, ...], needle: str) -> None:
    done = cli(*args)
    assert done.returncode == 2, done.stderr
    assert done.stderr.startswith("error:") and needle in done.stderr
