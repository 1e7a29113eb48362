"""``hubaction digest``, ``manifest``, ``config``, ``referrers`` and ``inspect --referrers``
against the real registry (issue 16 section 4): the pushed bytes exactly, ``--json`` for each,
exit codes as the other verbs (0, 1 a lookup failed, 2 bad usage), and hostile bytes escaped."""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from fakes.server import FakeServer, Handler, Request, Response
from registryfixtures import Fixtures, RegistryProcess
from test_registry_integration import CASES, ROOT, assert_one_error, cli

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"


def raw_cli(*args: str) -> subprocess.CompletedProcess[bytes]:
    """As :func:`cli`, stdout as bytes (``manifest`` and ``config`` print raw bytes)."""
    return subprocess.run(
        [sys.executable, "-m", "hubaction.cli", *args],
        capture_output=True,
        timeout=120,
        cwd="/",
        env={"PATH": "/usr/bin:/bin", "HOME": "/nonexistent", "PYTHONPATH": str(ROOT)},
    )


@pytest.mark.parametrize("image", ["fixtures/docker-v2:1", "fixtures/oci-index:1"])
def test_digest(open_registry: RegistryProcess, registry_fixtures: Fixtures, image: str) -> None:
    ref = f"{open_registry.host}/{image}"
    done = cli("digest", ref)
    assert done.returncode == 0, done.stderr
    assert done.stdout == registry_fixtures.images[image].digest + "\n"
    doc = json.loads(cli("digest", ref, "--json").stdout)
    assert doc["digest"] == registry_fixtures.images[image].digest
    assert doc["pinned"] == f"{ref}@{doc['digest']}"


@pytest.mark.parametrize(("image", "platform"), CASES)
def test_manifest_and_config_are_the_pushed_bytes(
    open_registry: RegistryProcess, registry_fixtures: Fixtures, image: str, platform: str
) -> None:
    ref = f"{open_registry.host}/{image}"
    pushed = registry_fixtures.images[image]
    entry = pushed.platforms[platform]
    top = raw_cli("manifest", ref)
    assert top.returncode == 0, top.stderr
    assert top.stdout == pushed.raw
    chosen = raw_cli("manifest", ref, "--platform", platform)
    assert chosen.stdout == entry.manifest_raw
    config = raw_cli("config", ref, "--platform", platform)
    assert config.returncode == 0, config.stderr
    assert config.stdout == entry.config_raw
    assert json.loads(cli("config", ref, "--platform", platform, "--json").stdout) == json.loads(
        entry.config_raw
    )


def test_output_file_holds_the_exact_bytes(
    open_registry: RegistryProcess, registry_fixtures: Fixtures, tmp_path: Path
) -> None:
    target = tmp_path / "manifest.json"
    done = cli("manifest", f"{open_registry.host}/fixtures/oci-image:1", "--output", str(target))
    assert done.returncode == 0 and done.stdout == ""
    assert target.read_bytes() == registry_fixtures.oci_image.raw


def test_inspect_shows_facts_and_attestations(
    open_registry: RegistryProcess, registry_fixtures: Fixtures
) -> None:
    ref = f"{open_registry.host}/fixtures/oci-index:1"
    doc = json.loads(cli("inspect", ref, "--json").stdout)
    pushed = registry_fixtures.oci_index
    assert [a["digest"] for a in doc["attestations"]] == [
        a.manifest_digest for a in pushed.attestations
    ]
    assert "signed" not in doc
    looked = json.loads(cli("inspect", ref, "--json", "--referrers").stdout)
    assert looked["signed"] is False and looked["referrers"] == []
    assert looked["attestations"][0]["predicateTypes"] == ["https://slsa.dev/provenance/v0.2"]
    text = cli("inspect", ref).stdout
    assert re.search(r"^Size +\d+", text, re.M) and re.search(r"^Attestations +1$", text, re.M)
    assert re.search(r"^Signed +not looked up$", text, re.M)


def test_referrers_text(open_registry: RegistryProcess, registry_fixtures: Fixtures) -> None:
    done = cli("referrers", f"{open_registry.host}/fixtures/oci-index:1")
    assert done.returncode == 0, done.stderr
    assert done.stdout == ""
    assert "0 referrers" in done.stderr and "signed: no" in done.stderr


@pytest.mark.parametrize("verb", ["digest", "manifest", "config", "referrers"])
def test_exit_codes(open_registry: RegistryProcess, registry_fixtures: Fixtures, verb: str) -> None:
    assert_one_error(cli(verb, f"{open_registry.host}/fixtures/oci-image:gone"), 1, "gone")
    assert_one_error(cli(verb, "Bad:Ref"), 2)


@pytest.mark.parametrize("verb", ["manifest", "config"])
def test_bad_or_missing_platform(open_registry: RegistryProcess, verb: str) -> None:
    ref = f"{open_registry.host}/fixtures/oci-index:1"
    assert_one_error(cli(verb, ref, "--platform", "linux"), 2, "'linux'")
    assert_one_error(cli(verb, ref, "--platform", "linux/s390x"), 1, "linux/s390x")


# -- hostile bytes ----------------------------------------------------------------------------

HOSTILE_MANIFEST = json.dumps(
    {
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": {
            "mediaType": "application/vnd.oci.image.config.v1+json",
            "digest": "sha256:" + "c" * 64,
            "size": 2,
        },
        "layers": [],
        "annotations": {"x": "##[error]boom \u001b[31m \u202e"},
    },
    ensure_ascii=False,
).encode()


def hostile(request: Request) -> Response:
    digest = "sha256:" + hashlib.sha256(HOSTILE_MANIFEST).hexdigest()
    headers = (("Content-Type", OCI_MANIFEST), ("Docker-Content-Digest", digest))
    return Response(200, headers, HOSTILE_MANIFEST if request.method == "GET" else b"")


def test_hostile_bytes_are_escaped_unless_written_to_a_file(
    serve: Callable[[Handler], FakeServer], tmp_path: Path
) -> None:
    server = serve(hostile)
    done = cli("manifest", f"{server.host}/app:1")
    assert done.returncode == 0, done.stderr
    assert "##[" not in done.stdout and "\x1b" not in done.stdout and "\u202e" not in done.stdout
    assert "\\x23#[error]" in done.stdout
    assert "shown escaped" in done.stderr
    target = tmp_path / "m.json"
    assert cli("manifest", f"{server.host}/app:1", "--output", str(target)).returncode == 0
    assert target.read_bytes() == HOSTILE_MANIFEST
    # A path that cannot be written is the user's error (exit 2, one line), not an internal one.
    unwritable = str(tmp_path / "no-such-dir" / "m.json")
    assert_one_error(cli("manifest", f"{server.host}/app:1", "--output", unwritable), 2, "--output")
