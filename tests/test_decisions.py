"""Workflow decisions end to end: ``changed`` from ``compare-digest``, ``exists`` and
``fail-on-missing``, ``pinned``."""

from __future__ import annotations

from pathlib import Path

import pytest
from actionrunner import run_action
from registryfixtures import Fixtures, RegistryProcess


@pytest.mark.parametrize(
    ("which", "digest_only", "changed"),
    [
        ("index", "false", "false"),
        ("platform", "false", "false"),
        ("other", "false", "true"),
        ("index", "true", "false"),
        ("other", "true", "true"),
    ],
)
def test_compare_digest(
    tmp_path: Path,
    open_registry: RegistryProcess,
    registry_fixtures: Fixtures,
    which: str,
    digest_only: str,
    changed: str,
) -> None:
    pushed = registry_fixtures.oci_index
    compare = {
        "index": pushed.digest,
        "platform": pushed.platforms["linux/amd64"].manifest_digest,
        "other": "sha256:" + "0" * 64,
    }[which]
    run = run_action(
        {
            "repository": f"{open_registry.host}/fixtures/oci-index",
            "tag": "1",
            "compare-digest": compare,
            "digest-only": digest_only,
            "list-tags": "false",
        },
        tmp_path,
    )
    assert run.returncode == 0, run.log
    assert run.outputs["changed"] == changed


def test_changed_is_false_without_compare_digest(
    tmp_path: Path, open_registry: RegistryProcess
) -> None:
    run = run_action(
        {"repository": f"{open_registry.host}/fixtures/oci-index", "list-tags": "false"}, tmp_path
    )
    assert run.outputs["changed"] == "false"


@pytest.mark.parametrize("digest_only", ["false", "true"])
def test_missing_tag_with_fail_on_missing_false(
    tmp_path: Path, open_registry: RegistryProcess, digest_only: str
) -> None:
    run = run_action(
        {
            "repository": f"{open_registry.host}/fixtures/oci-index",
            "tag": "no-such-tag",
            "fail-on-missing": "false",
            "digest-only": digest_only,
            "compare-digest": "sha256:" + "1" * 64,
        },
        tmp_path,
    )
    assert run.returncode == 0, run.log
    assert run.outputs["exists"] == "false"
    assert run.outputs["digest"] == "" and run.outputs["pinned"] == ""
    assert run.outputs["changed"] == "true"
    assert "does not exist" in run.summary.lower()
    assert run.errors() == []


def test_missing_tag_fails_by_default_with_one_error(
    tmp_path: Path, open_registry: RegistryProcess
) -> None:
    run = run_action(
        {"repository": f"{open_registry.host}/fixtures/oci-index", "tag": "no-such-tag"}, tmp_path
    )
    assert run.returncode == 1
    assert len(run.errors()) == 1
    assert "no-such-tag" in run.errors()[0] and "Traceback" not in run.log


# registry_fixtures: the fixtures/oci-index it looks up must be pushed whatever ran before.
@pytest.mark.usefixtures("registry_fixtures")
def test_missing_repository_is_told_apart_from_a_missing_tag(
    tmp_path: Path, open_registry: RegistryProcess
) -> None:
    inputs = {"repository": f"{open_registry.host}/fixtures/no-such-repository", "tag": "1"}
    failed = run_action(inputs, tmp_path / "default")
    assert failed.returncode == 1, failed.log
    assert len(failed.errors()) == 1
    assert "the repository does not exist" in failed.errors()[0]
    tag_missing = run_action(
        {"repository": f"{open_registry.host}/fixtures/oci-index", "tag": "nope"}, tmp_path / "t"
    )
    assert "the repository does not exist" not in tag_missing.errors()[0]
    # with fail-on-missing: false a new repository (first push) is simply not there yet
    run = run_action(inputs | {"fail-on-missing": "false"}, tmp_path / "lenient")
    assert run.returncode == 0, run.log
    assert run.outputs["exists"] == "false"
    assert "the repository does not exist" in run.summary


def test_pinned_is_ready_to_paste(
    tmp_path: Path, open_registry: RegistryProcess, registry_fixtures: Fixtures
) -> None:
    run = run_action(
        {
            "repository": f"{open_registry.host}/fixtures/oci-index",
            "tag": "1",
            "digest-only": "true",
        },
        tmp_path,
    )
    assert run.outputs["pinned"] == (
        f"{open_registry.host}/fixtures/oci-index:1@{registry_fixtures.oci_index.digest}"
    )
