"""End-to-end: ``entrypoint.py`` run as the runner runs it, against the real registries.

Outputs are parsed back with the runner's rules, commands with the runner's parser; every
contract output is checked against what was pushed.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from actionrunner import ROOT, ActionRun, run_action
from fakes.tokenserver import TokenServer
from registryfixtures import (
    BASIC_PASSWORD,
    BASIC_USER,
    TOKEN_PASSWORD,
    TOKEN_USER,
    Fixtures,
    RegistryProcess,
)
from registryfixtures.images import NASTY_LABEL_KEY, NASTY_LABEL_VALUE

from hubaction.github.outputs import OUTPUT_NAMES
from hubaction.oci.tags import select_tags

IMAGE_OUTPUTS = {
    "digest",
    "platform-digest",
    "config-digest",
    "media-type",
    "platforms",
    "created",
    "labels",
    "pinned",
    "exists",
    "changed",
    "base-changed",
    # issue 16: image facts and the index's attestations, at no extra request
    "size",
    "layers",
    "annotations",
    "source",
    "revision",
    "image-version",
    "attestations",
    "changed-platforms",
}
TAG_OUTPUTS = {"tags", "tag-count", "latest-semver"}


def only_known_commands(run: ActionRun, *, allowed: set[str]) -> None:
    names = {name for name, _props, _data in run.commands}
    assert names <= allowed | {"group", "endgroup"}, run.commands


def check_image_outputs(
    run: ActionRun, fixtures: Fixtures, image: str, platform: str, host: str
) -> None:
    pushed = fixtures.images[image]
    entry = pushed.platforms[platform]
    out = run.outputs
    assert out["digest"] == pushed.digest
    assert out["platform-digest"] == entry.manifest_digest
    assert out["config-digest"] == entry.config_digest
    assert out["media-type"] == pushed.media_type
    assert json.loads(out["platforms"]) == list(pushed.platforms)
    assert out["created"] == entry.created
    assert json.loads(out["labels"]) == entry.labels
    repository, tag = image.split(":")
    assert out["pinned"] == f"{host}/{repository}:{tag}@{pushed.digest}"
    assert out["exists"] == "true"
    # compact JSON, so fromJSON() and string comparisons both work
    for name in ("platforms", "labels", "tags"):
        assert (": " not in out[name] and ", " not in out[name]) or name == "labels"


@pytest.mark.parametrize(
    ("image", "platform", "asked"),
    [
        ("fixtures/docker-v2:1", "linux/amd64", "linux/amd64"),
        ("fixtures/oci-image:1", "linux/arm64", "linux/arm64"),
        ("fixtures/oci-index:1", "linux/amd64", "linux/amd64"),
        ("fixtures/oci-index:1", "linux/arm64/v8", "linux/arm64"),
        ("fixtures/oci-index:1", "linux/arm/v7", "linux/arm"),
        ("fixtures/oci-index:1", "windows/amd64", "windows/amd64"),
        ("fixtures/manifest-list:1", "linux/arm/v6", "linux/arm/v6"),
    ],
)
def test_every_output_single_and_multi_platform(
    tmp_path: Path,
    open_registry: RegistryProcess,
    registry_fixtures: Fixtures,
    image: str,
    platform: str,
    asked: str,
) -> None:
    run = run_action(
        {
            "repository": f"{open_registry.host}/{image.split(':')[0]}",
            "tag": image.split(":")[1],
            "platform": asked,
        },
        tmp_path,
    )
    assert run.returncode == 0, run.log
    check_image_outputs(run, registry_fixtures, image, platform, open_registry.host)
    assert set(run.outputs) == IMAGE_OUTPUTS | TAG_OUTPUTS
    assert set(run.outputs) <= set(OUTPUT_NAMES)
    pushed = registry_fixtures.images[image]
    selection = select_tags(pushed.tags)
    assert json.loads(run.outputs["tags"]) == list(selection.tags)
    assert run.outputs["tag-count"] == str(selection.count)
    only_known_commands(
        run, allowed={"warning"} if "arm64" in asked and "oci-image" in image else set()
    )
    # the summary: image, platform table with digests, tag table
    assert pushed.digest in run.summary
    if pushed.is_index:
        for entry in pushed.platforms.values():
            assert entry.manifest_digest in run.summary
    assert "### Tags" in run.summary
    # BuildKit's attestation entries, from the index alone
    assert [(a["subject"], a["digest"]) for a in json.loads(run.outputs["attestations"])] == [
        (a.annotations["vnd.docker.reference.digest"], a.manifest_digest)
        for a in pushed.attestations
    ]


def test_repository_may_carry_the_tag(
    tmp_path: Path, open_registry: RegistryProcess, registry_fixtures: Fixtures
) -> None:
    run = run_action({"repository": f"{open_registry.host}/fixtures/oci-index:1"}, tmp_path)
    assert run.returncode == 0, run.log
    assert run.outputs["digest"] == registry_fixtures.oci_index.digest


def test_tag_input_may_be_a_digest(
    tmp_path: Path, open_registry: RegistryProcess, registry_fixtures: Fixtures
) -> None:
    digest = registry_fixtures.oci_index.digest
    run = run_action(
        {
            "repository": f"{open_registry.host}/fixtures/oci-index",
            "tag": digest,
            "list-tags": "false",
        },
        tmp_path,
    )
    assert run.returncode == 0, run.log
    assert run.outputs["digest"] == digest
    assert run.outputs["pinned"] == f"{open_registry.host}/fixtures/oci-index@{digest}"


def test_nasty_label_round_trips_and_adds_nothing(
    tmp_path: Path, open_registry: RegistryProcess, registry_fixtures: Fixtures
) -> None:
    assert "ghadelimiter_" in NASTY_LABEL_VALUE and "::error::" in NASTY_LABEL_VALUE
    run = run_action(
        {"repository": f"{open_registry.host}/fixtures/docker-v2", "tag": "1"}, tmp_path
    )
    assert run.returncode == 0, run.log
    labels = json.loads(run.outputs["labels"])
    assert labels[NASTY_LABEL_KEY] == NASTY_LABEL_VALUE
    assert labels == registry_fixtures.docker_v2.only.labels
    assert set(run.outputs) == IMAGE_OUTPUTS | TAG_OUTPUTS
    only_known_commands(run, allowed=set())
    assert run.errors() == []


def test_digest_only_makes_head_requests_only(
    tmp_path: Path, open_registry: RegistryProcess, registry_fixtures: Fixtures
) -> None:
    run = run_action(
        {
            "repository": f"{open_registry.host}/fixtures/oci-index",
            "tag": "1",
            "digest-only": "true",
            "compare-digest": registry_fixtures.oci_index.digest,
        },
        tmp_path,
        env={"RUNNER_DEBUG": "1"},
    )
    assert run.returncode == 0, run.log
    assert run.outputs["digest"] == registry_fixtures.oci_index.digest
    assert run.outputs["exists"] == "true"
    assert run.outputs["changed"] == "false"
    requests_made = [data for name, _p, data in run.commands if name == "debug"]
    methods = [line.split()[0] for line in requests_made if re.match(r"^(GET|HEAD) ", line)]
    assert methods == ["HEAD"]


@pytest.mark.parametrize("kind", ["basic", "token"])
def test_password_is_masked_and_never_printed(
    tmp_path: Path,
    basic_registry: RegistryProcess,
    token_registry: RegistryProcess,
    token_server: TokenServer,
    registry_fixtures: Fixtures,
    kind: str,
) -> None:
    registry, user, password = (
        (basic_registry, BASIC_USER, BASIC_PASSWORD)
        if kind == "basic"
        else (token_registry, TOKEN_USER, TOKEN_PASSWORD)
    )
    run = run_action(
        {
            "repository": f"{registry.host}/fixtures/oci-index",
            "tag": "1",
            "username": user,
            "password": password,
        },
        tmp_path,
        env={"RUNNER_DEBUG": "1"},
    )
    assert run.returncode == 0, run.log
    lines = run.log.splitlines()
    assert lines[0] == f"::add-mask::{password}"
    assert [line for line in lines if password in line] == [lines[0]]
    assert all(password not in value for value in run.outputs.values())
    assert password not in run.summary
    if kind == "token":
        # every token received was masked as soon as it arrived, and appears nowhere else
        tokens = [t.token for t in token_server.tokens_issued]
        assert tokens
        masked = {data for name, _p, data in run.commands if name == "add-mask"}
        issued_here = [t for t in tokens if t in masked]
        assert issued_here
        for token in issued_here:
            assert [line for line in lines if token in line] == [f"::add-mask::{token}"]
            assert token not in run.summary


def test_wrong_password_is_one_error(tmp_path: Path, basic_registry: RegistryProcess) -> None:
    run = run_action(
        {
            "repository": f"{basic_registry.host}/fixtures/oci-index",
            "username": BASIC_USER,
            "password": "definitely-wrong-42",
        },
        tmp_path,
    )
    assert run.returncode == 1
    assert len(run.errors()) == 1
    assert "Traceback" not in run.log
    assert [line for line in run.log.splitlines() if "definitely-wrong-42" in line] == [
        "::add-mask::definitely-wrong-42"
    ]
    assert run.outputs == {}


@pytest.mark.parametrize(
    ("inputs", "needle"),
    [
        ({"repository": "Bad/Name"}, "`repository`"),
        ({"repository": "localhost:1/a", "platform": "linux"}, "`platform`"),
        ({"repository": "localhost:1/a", "digest-only": "yes"}, "`digest-only`"),
        ({"repository": "localhost:1/a", "max-tags": "-1"}, "`max-tags`"),
        ({"repository": "localhost:1/a", "tag-sort": "newest"}, "`tag-sort`"),
        ({"repository": "localhost:1/a", "tag-filter": "("}, "`tag-filter`"),
        ({"repository": "localhost:1/a", "compare-digest": "sha256:12"}, "`compare-digest`"),
        ({"repository": "localhost:1/a:1", "tag": "2"}, "`tag`"),
        ({"repository": ""}, "`repository`"),
        ({"repository": "localhost:1/a", "username": "u"}, "`password`"),
        ({"repository": "localhost:1/a", "docker-config": "{not json"}, "`docker-config`"),
        ({"repository": "localhost:1/a", "hub-url": "ftp://x"}, "`hub-url`"),
    ],
)
def test_bad_inputs_are_one_error_naming_the_input(
    tmp_path: Path, inputs: dict[str, str], needle: str
) -> None:
    run = run_action(inputs, tmp_path)
    assert run.returncode == 1, run.log
    assert len(run.errors()) == 1, run.commands
    assert needle in run.errors()[0]
    assert "Traceback" not in run.log
    assert run.outputs == {}


def test_missing_tag_fails_by_default(tmp_path: Path, open_registry: RegistryProcess) -> None:
    run = run_action(
        {"repository": f"{open_registry.host}/fixtures/oci-image", "tag": "nope"}, tmp_path
    )
    assert run.returncode == 1
    assert len(run.errors()) == 1 and "nope" in run.errors()[0]


def test_missing_tag_with_fail_on_missing_false(
    tmp_path: Path, open_registry: RegistryProcess
) -> None:
    run = run_action(
        {
            "repository": f"{open_registry.host}/fixtures/oci-image",
            "tag": "nope",
            "fail-on-missing": "false",
        },
        tmp_path,
    )
    assert run.returncode == 0, run.log
    assert run.outputs["exists"] == "false"
    assert run.outputs["digest"] == ""
    assert "does not exist" in run.summary.lower()


def test_summary_false_writes_no_summary(tmp_path: Path, open_registry: RegistryProcess) -> None:
    run = run_action(
        {"repository": f"{open_registry.host}/fixtures/oci-image", "tag": "1", "summary": "false"},
        tmp_path,
    )
    assert run.returncode == 0
    assert run.summary == ""


def test_many_tags_summary_with_digests(
    tmp_path: Path, open_registry: RegistryProcess, registry_fixtures: Fixtures
) -> None:
    run = run_action(
        {
            "repository": f"{open_registry.host}/{registry_fixtures.many_tags_repository}",
            "tag": "latest",
            "max-tags": "50",
            "tag-sort": "lexical",
        },
        tmp_path,
    )
    assert run.returncode == 0, run.log
    tags = json.loads(run.outputs["tags"])
    assert tags == sorted(registry_fixtures.many_tags)[:50]
    assert run.outputs["tag-count"] == str(len(registry_fixtures.many_tags))
    digest = registry_fixtures.many_tags_image.digest
    assert run.summary.count(digest) >= 50  # every listed tag has its digest


def test_outside_github_prints_what_it_would_set(
    tmp_path: Path, open_registry: RegistryProcess, registry_fixtures: Fixtures
) -> None:
    env = {
        "PATH": os.environ["PATH"],
        "INPUT_REPOSITORY": f"{open_registry.host}/fixtures/oci-image",
        "INPUT_TAG": "1",
    }
    done = subprocess.run(
        [sys.executable, str(ROOT / "entrypoint.py")],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert f"output digest={registry_fixtures.oci_image.digest}" in done.stdout


def test_image_layout_runs_from_a_fresh_venv(
    tmp_path: Path, open_registry: RegistryProcess, registry_fixtures: Fixtures
) -> None:
    """Lay the image's files out as the Dockerfile's COPY lines do, with its requirements
    installed by hash into a fresh venv, and run the entrypoint from an unrelated directory."""
    app = tmp_path / "app"
    app.mkdir()
    for line in (ROOT / "Dockerfile").read_text(encoding="utf-8").splitlines():
        m = re.match(r"^COPY (\S+) /app/(\S*)$", line)
        if m:
            source, target = ROOT / m.group(1), app / m.group(2)
            if source.is_dir():
                shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__"))
            else:
                shutil.copy(source, target)
    assert (app / "entrypoint.py").is_file()
    assert (app / "hubaction" / "github" / "action.py").is_file()
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    python = str(venv / "bin" / "python")
    subprocess.run(
        [
            python,
            "-m",
            "pip",
            "install",
            "-q",
            "--no-cache-dir",
            "--require-hashes",
            "-r",
            str(app / "requirements.txt"),
        ],
        check=True,
        timeout=300,
    )
    run = run_action(
        {"repository": f"{open_registry.host}/fixtures/oci-index", "tag": "1"},
        tmp_path / "runner",
        entrypoint=app / "entrypoint.py",
        python=python,
    )
    assert run.returncode == 0, run.log
    assert run.outputs["digest"] == registry_fixtures.oci_index.digest
