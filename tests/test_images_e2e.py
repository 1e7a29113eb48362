"""Acceptance, issue 17 §7: ``images`` with 20 references (one missing) against the real
distribution registry, through ``entrypoint.py`` as the runner runs it: 20 entries, the missing
one ``exists=false`` (``fail-on-missing: false``), one summary table, bounded concurrency (a
counting proxy in front of the registry)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from actionrunner import run_action
from fakes.counting import InFlight
from fakes.faultproxy import forwarder
from fakes.server import FakeServer
from registryfixtures import Fixtures, RegistryProcess
from registryfixtures.images import Pusher, build_image

from hubaction.github.outputs import missing_outputs
from hubaction.registry.lookup import CONCURRENCY

#: The images pushed for this module, besides the session's fixtures.
PUSHED = 15


@pytest.fixture(scope="module")
def pushed(open_registry: RegistryProcess, registry_fixtures: Fixtures) -> dict[str, str]:
    """``images-e2e/appN:1`` for N < :data:`PUSHED`: reference -> manifest digest."""
    pusher = Pusher(open_registry.url)
    digests: dict[str, str] = {}
    for n in range(PUSHED):
        built = build_image(
            name=f"images-e2e/app{n}",
            platform="linux/amd64",
            created=f"2024-03-{n + 1:02}T00:00:00Z",
            labels={"n": str(n)},
            docker=n % 2 == 0,
        )
        pusher.image(f"images-e2e/app{n}", built, "1")
        digests[f"images-e2e/app{n}:1"] = built.manifest.digest
    return digests


@pytest.fixture
def proxy(open_registry: RegistryProcess) -> Iterator[tuple[FakeServer, InFlight]]:
    """A counting pass-through in front of the real registry."""
    counter = InFlight(hold=0.02)
    host, port = open_registry.host.rsplit(":", 1)
    server: FakeServer

    def public() -> str:
        return server.host

    server = FakeServer(counter.wrap(forwarder(host, int(port), public))).start()
    try:
        yield server, counter
    finally:
        server.stop()


def test_twenty_images_one_missing(
    tmp_path: Path,
    registry_fixtures: Fixtures,
    pushed: dict[str, str],
    proxy: tuple[FakeServer, InFlight],
) -> None:
    server, counter = proxy
    fixtures = [
        "fixtures/docker-v2:1",
        "fixtures/oci-image:1",
        "fixtures/oci-index:1",
        "fixtures/manifest-list:1",
    ]
    lines = [
        "# the session's fixtures, by name",
        *(f"f{n}={server.host}/{r}" for n, r in enumerate(fixtures)),
    ]
    lines += ["", "# pushed here, by reference", *(f"{server.host}/{r}" for r in pushed)]
    lines += ["gone=" + f"{server.host}/fixtures/oci-image:nope"]
    run = run_action({"images": "\n".join(lines), "fail-on-missing": "false"}, tmp_path)
    assert run.returncode == 0, run.log
    assert [name for name, _p, _d in run.commands if name not in ("group", "endgroup")] == []
    entries = json.loads(run.outputs["images"])
    assert len(entries) == 20
    assert all(set(entry) == set(missing_outputs()) for entry in entries.values())
    assert entries["gone"]["exists"] is False and entries["gone"]["digest"] == ""
    for n, ref in enumerate(fixtures):
        image = registry_fixtures.images[ref]
        entry = entries[f"f{n}"]
        assert entry["exists"] is True
        assert entry["digest"] == image.digest
        assert entry["platforms"] == list(image.platforms)
        assert entry["pinned"] == f"{server.host}/{ref}@{image.digest}"
    for ref, digest in pushed.items():
        entry = entries[f"{server.host}/{ref}"]
        assert entry["exists"] is True
        assert entry["digest"] == entry["platform-digest"] == digest
        assert entry["labels"] == {"n": ref.split("app")[1].split(":")[0]}
    # No `repository`: no single-image outputs, only `images`.
    assert "digest" not in run.outputs and "tags" not in run.outputs
    assert run.summary.count("### Images") == 1
    table = run.summary.split("### Images", 1)[1]
    rows = [line for line in table.splitlines() if line.startswith("| ")]
    assert len(rows) == 1 + 20  # the header and a row per image
    assert sum(row.endswith("| **no** |") for row in rows) == 1
    assert "20 images looked up, 1 missing." in run.summary
    assert 1 <= counter.max_in_flight <= CONCURRENCY


def test_a_missing_image_fails_the_step_by_default(
    tmp_path: Path, open_registry: RegistryProcess, pushed: dict[str, str]
) -> None:
    text = "\n".join(
        [*(f"{open_registry.host}/{r}" for r in pushed), f"{open_registry.host}/images-e2e/none:1"]
    )
    run = run_action({"images": text}, tmp_path)
    assert run.returncode == 1
    assert run.outputs == {}
    errors = run.errors()
    assert len(errors) == 1, run.commands
    assert errors[0].startswith(
        f"Input `images`, line {PUSHED + 1} ({open_registry.host}/images-e2e/none:1): "
    )
