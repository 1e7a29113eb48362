"""End-to-end: what the action says for the references whose reading follows upstream now.

``entrypoint.py`` is run as the runner runs it (tests/actionrunner.py). Every request stays on
loopback: the one lookup that would leave the machine goes to a proxy address nothing listens on.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from actionrunner import run_action

# A proxy on a closed loopback port: the action's requests fail at once, without DNS or network.
NO_NETWORK = {"HTTPS_PROXY": "http://127.0.0.1:1", "HTTP_PROXY": "http://127.0.0.1:1"}


def test_upper_case_first_component_is_a_registry(tmp_path: Path) -> None:
    # distribution/reference normalize.go: `Foo/bar` is repository `bar` on the registry `Foo`,
    # not the Docker Hub repository `foo/bar` (and not an invalid name, as hubaction said before).
    run = run_action({"repository": "Foo/bar", "list-tags": "false"}, tmp_path, env=NO_NETWORK)
    assert run.returncode == 1, run.log
    assert len(run.errors()) == 1, run.commands
    error = run.errors()[0]
    assert "Foo/bar:latest" in error
    assert "could not connect to Foo" in error
    assert "docker.io" not in error
    assert "Traceback" not in run.log
    assert run.outputs == {}


@pytest.mark.parametrize(
    ("repository", "needles"),
    [
        # A host only by its upper case that is no host name: say why, and how to name the Hub.
        ("Foo_x/bar", ["`repository`", "upper-case letters", "write foo_x/bar"]),
        # IPv6 with an IPv4 tail, refused as upstream's grammar does, with the hex spelling.
        ("[::ffff:127.0.0.1]:5000/app", ["`repository`", "dotted IPv4", "[::ffff:7f00:1]"]),
        # Over the limit on the path alone (255, normalised), whatever the registry's length.
        ("localhost:5000/" + "a" * 256, ["`repository`", "256 characters long"]),
    ],
)
def test_refused_reference_is_one_error(
    tmp_path: Path, repository: str, needles: list[str]
) -> None:
    run = run_action({"repository": repository}, tmp_path, env=NO_NETWORK)
    assert run.returncode == 1, run.log
    assert len(run.errors()) == 1, run.commands
    for needle in needles:
        assert needle in run.errors()[0]
    assert "Traceback" not in run.log
    assert run.outputs == {}
