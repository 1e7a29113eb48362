"""Many images in one step (issue 17 §7), against a fake registry on loopback: each image is
looked up as ``repository`` is (one request set each), at most ``CONCURRENCY`` at once, on the
run's one client; missing images, failures and the run deadline as the docs say."""

from __future__ import annotations

import hashlib
import io
import json
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest
from actionrunner import run_action
from fakes.clock import FakeClock
from fakes.counting import InFlight
from fakes.server import FakeServer, Handler, Request, Response

from hubaction.errors import HubActionError, Kind, NotFound
from hubaction.github.imagelist import parse_images
from hubaction.github.many import ImagesAnswer, look_up, lookup_images
from hubaction.github.outputs import missing_outputs
from hubaction.oci.platform import parse_platform
from hubaction.oci.reference import parse_reference
from hubaction.registry.client import RegistryClient, open_client
from hubaction.registry.credentials import CredentialStore
from hubaction.registry.deadline import Deadline
from hubaction.registry.lookup import CONCURRENCY

Serve = Callable[[Handler], FakeServer]

COUNT = 20
MISSING = 7  # app7 has no tag 1
MT = "application/vnd.oci.image.manifest.v1+json"


def config(n: int) -> bytes:
    return json.dumps(
        {"os": "linux", "architecture": "amd64", "created": f"2024-01-{n + 1:02}"}
    ).encode()


def sha(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def manifest(n: int) -> bytes:
    blob = config(n)
    return json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": MT,
            "config": {
                "mediaType": "application/vnd.oci.image.config.v1+json",
                "digest": sha(blob),
                "size": len(blob),
            },
            "layers": [],
        }
    ).encode()


def registry(*, broken: int | None = None, drip: int | None = None) -> Handler:
    """Repositories app0..app19 with tag 1 (app7's missing); ``broken`` answers 500 for its
    manifest, ``drip`` drips its manifest a byte a second."""

    def handle(request: Request) -> Response:
        parts = request.path.split("/")  # "", "v2", "appN", "manifests"|"blobs", ref
        if len(parts) != 5 or not parts[2].startswith("app"):
            return Response.json(404, {"errors": [{"code": "NAME_UNKNOWN", "message": "no"}]})
        n = int(parts[2][3:])
        body = manifest(n)
        if parts[3] == "blobs" and parts[4] == sha(config(n)):
            return Response(200, (("Content-Type", "application/json"),), config(n))
        if parts[3] == "manifests" and parts[4] in ("1", sha(body)) and n != MISSING:
            if n == broken:
                return Response.json(500, {"errors": [{"code": "UNKNOWN", "message": "boom"}]})
            headers = (("Content-Type", MT), ("Docker-Content-Digest", sha(body)))
            if n == drip:
                return Response(200, headers, body * 4, delivery="drip-body", interval=1.0)
            return Response(200, headers, body)
        return Response.json(404, {"errors": [{"code": "MANIFEST_UNKNOWN", "message": "no"}]})

    return handle


def lines(server: FakeServer, count: int = COUNT) -> str:
    return "\n".join(
        f"a{n}={server.host}/app{n}:1" if n % 2 else f"{server.host}/app{n}:1" for n in range(count)
    )


def client(seconds: float = 60.0) -> RegistryClient:
    return open_client(CredentialStore(), deadline=Deadline(seconds))


def run(
    server: FakeServer, text: str, *, digest_only: bool = False, fail_on_missing: bool = False
) -> ImagesAnswer:
    return lookup_images(
        client(),
        parse_images(text),
        platform=parse_platform("linux/amd64"),
        digest_only=digest_only,
        fail_on_missing=fail_on_missing,
    )


def per_repository(server: FakeServer) -> dict[str, Counter[str]]:
    """Requests per repository: method and what follows the repository name."""
    seen: dict[str, Counter[str]] = {}
    for exchange in server.exchanges:
        parts = exchange.request.path.split("/")
        if len(parts) == 5:
            seen.setdefault(parts[2], Counter())[f"{exchange.request.method} {parts[3]}"] += 1
    return seen


def test_twenty_images_bounded_one_request_set_each(serve: Serve) -> None:
    counter = InFlight(hold=0.05)
    server = serve(counter.wrap(registry()))
    answer = run(server, lines(server))
    entries = json.loads(answer.output)
    assert len(entries) == COUNT
    keys = [f"a{n}" if n % 2 else f"{server.host}/app{n}:1" for n in range(COUNT)]
    assert list(entries) == keys  # in line order
    for n, key in enumerate(keys):
        entry = entries[key]
        assert set(entry) == set(missing_outputs())
        if n == MISSING:
            assert entry["exists"] is False and entry["digest"] == "" and entry["platforms"] == []
        else:
            assert entry["exists"] is True
            assert entry["digest"] == entry["platform-digest"] == sha(manifest(n))
            assert entry["created"] == f"2024-01-{n + 1:02}"
            assert entry["pinned"] == f"{server.host}/app{n}:1@{sha(manifest(n))}"
            assert entry["labels"] == {}
    # Bounded, and used: the lookups overlap, never more than the bound at once.
    assert 2 <= counter.max_in_flight <= CONCURRENCY
    # One request set per image: its manifest, then its config; the missing one's manifest.
    seen = per_repository(server)
    assert set(seen) == {f"app{n}" for n in range(COUNT)}
    for n in range(COUNT):
        want = {"GET manifests": 1} if n == MISSING else {"GET manifests": 1, "GET blobs": 1}
        assert seen[f"app{n}"] == want, n
    # One summary table, a row each.
    rendered = answer.table.render()
    assert rendered.count("### Images") == 1
    assert len(answer.table.rows) == COUNT
    assert "20 images looked up, 1 missing." in rendered
    assert sum(row[-1] == "**no**" for row in answer.table.rows) == 1


@pytest.mark.parametrize("bound", [1, 3])
def test_the_bound_holds_for_any_concurrency(serve: Serve, bound: int) -> None:
    counter = InFlight(hold=0.05)
    server = serve(counter.wrap(registry()))
    refs = [parse_reference(f"{server.host}/app{n}:1") for n in range(10)]
    found = look_up(
        client(), refs, platform=parse_platform("linux/amd64"), digest_only=True, concurrency=bound
    )
    # One HEAD each, and one GET confirming the missing one's 404 (Nexus: crazy-max/diun#1614).
    assert len(found) == 10 and counter.total == 11
    assert counter.max_in_flight <= bound
    assert isinstance(found[MISSING], NotFound)


def test_digest_only_heads_each_once_and_keeps_every_key(serve: Serve) -> None:
    server = serve(registry())
    answer = run(server, lines(server, 4), digest_only=True)
    entries = json.loads(answer.output)
    assert all(set(e) == set(missing_outputs()) for e in entries.values())
    assert entries["a1"]["digest"] == sha(manifest(1)) and entries["a1"]["platform-digest"] == ""
    assert Counter(e.request.method for e in server.exchanges) == Counter({"HEAD": 4})


def test_the_same_image_under_two_keys_is_looked_up_once(serve: Serve) -> None:
    server = serve(registry())
    answer = run(server, f"{server.host}/app1:1\nx={server.host}/app1:1")
    entries = json.loads(answer.output)
    assert list(entries) == [f"{server.host}/app1:1", "x"]
    assert entries["x"] == entries[f"{server.host}/app1:1"]
    assert per_repository(server)["app1"] == {"GET manifests": 1, "GET blobs": 1}


def test_a_missing_image_fails_after_every_image_was_looked_up(serve: Serve) -> None:
    server = serve(registry())
    with pytest.raises(NotFound) as raised:
        run(server, lines(server), fail_on_missing=True)
    message = str(raised.value)
    assert message.startswith(f"Input `images`, line {MISSING + 1} (a{MISSING}): ")
    assert f"app{MISSING}:1" in message
    assert raised.value.kind in (Kind.MANIFEST, Kind.TAG)
    assert len(per_repository(server)) == COUNT  # the others were looked up too


def test_two_failures_are_one_error_counting_the_other(
    serve: Serve, retry_clock: FakeClock
) -> None:
    # retry_clock: the 500s' retries are recorded, not slept.
    server = serve(registry(broken=3))
    with pytest.raises(HubActionError) as raised:
        run(server, lines(server, 10), fail_on_missing=True)
    message = str(raised.value)
    assert message.startswith(
        "Input `images`, line 4 (a3), the first of 2 of the 10 that failed (lines 4, 8): "
    )
    assert "app3:1" in message and "500" in message


def test_a_failure_other_than_missing_fails_even_with_fail_on_missing_false(
    serve: Serve, retry_clock: FakeClock
) -> None:
    # retry_clock: the 500s' retries are recorded, not slept.
    server = serve(registry(broken=2))
    with pytest.raises(HubActionError) as raised:
        run(server, lines(server, 4))
    assert not isinstance(raised.value, NotFound)
    assert str(raised.value).startswith(f"Input `images`, line 3 ({server.host}/app2:1): ")


# -- through the action, as the runner runs it ------------------------------------------------

TIMEOUT = 3.0
GRACE = 5.0


def test_action_a_dripped_image_fails_at_the_deadline_with_one_error(
    serve: Serve, tmp_path: Path
) -> None:
    server = serve(registry(drip=5))
    start = time.monotonic()
    done = run_action(
        {"images": lines(server, 10), "timeout": f"{TIMEOUT:g}", "fail-on-missing": "false"},
        tmp_path,
        timeout=60,
    )
    took = time.monotonic() - start
    assert done.returncode == 1, done.log
    assert done.outputs == {}
    errors = done.errors()
    assert len(errors) == 1, done.commands
    assert errors[0].startswith("Input `images`, line 6 (a5): manifest of ")
    assert "run deadline (3 s, `timeout`)" in errors[0]
    assert "Traceback" not in done.log
    assert took < TIMEOUT + GRACE
    # The others were looked up meanwhile.
    assert len(per_repository(server)) == 10


def test_action_images_beside_repository(serve: Serve, tmp_path: Path) -> None:
    server = serve(registry())
    done = run_action(
        {
            "repository": f"{server.host}/app0",
            "tag": "1",
            "list-tags": "false",
            "images": lines(server, 3),
        },
        tmp_path,
    )
    assert done.returncode == 0, done.log
    assert done.outputs["digest"] == sha(manifest(0))
    entries = json.loads(done.outputs["images"])
    assert list(entries) == [f"{server.host}/app0:1", "a1", f"{server.host}/app2:1"]
    assert done.summary.count("### Images") == 1


# -- the command line: `hubaction inspect REF REF...` or `--file` -----------------------------


@pytest.fixture(autouse=True)
def _no_docker_login(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """The CLI reads no config.json of the user running the tests."""
    monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path / "no-docker-config"))


def cli(*argv: str) -> tuple[int, str]:
    from hubaction import cli as command_line

    out = io.StringIO()
    code = command_line.main(["inspect", *argv], out=out)
    return code, out.getvalue()


def test_cli_several_references_as_json(serve: Serve, capsys: pytest.CaptureFixture[str]) -> None:
    server = serve(registry())
    code, out = cli(f"{server.host}/app0:1", f"x={server.host}/app1:1", "--json")
    assert code == 0, capsys.readouterr().err
    entries = json.loads(out)
    assert list(entries) == [f"{server.host}/app0:1", "x"]
    assert entries["x"]["digest"] == sha(manifest(1)) and entries["x"]["exists"] is True


def test_cli_a_file_of_references_and_a_missing_one(
    serve: Serve, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    server = serve(registry())
    listing = tmp_path / "images.txt"
    listing.write_text(f"# images\n{lines(server, 8)}\n", encoding="utf-8")
    code, out = cli("--file", str(listing))
    assert code == 1
    assert "1 of 8 images do not exist" in capsys.readouterr().err
    rows = out.splitlines()
    assert len(rows) == 8
    assert rows[MISSING].startswith(f"a{MISSING} ") and rows[MISSING].endswith("(missing)")
    assert rows[2].endswith(sha(manifest(2)))


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (("a=node", "a=python"), ("The references, line 2", "given already on line 1")),
        (("--file", "/nonexistent/list"), ("--file '/nonexistent/list'", "cannot read")),
        (("node", "--file", "x"), ("references or --file, not both",)),
        ((), ("no image to look up",)),
    ],
)
def test_cli_bad_lists_are_usage_errors(
    argv: tuple[str, ...], words: tuple[str, ...], capsys: pytest.CaptureFixture[str]
) -> None:
    code, _out = cli(*argv)
    err = capsys.readouterr().err
    assert code == 2, err
    assert err.count("\n") == 1
    for word in words:
        assert word in err


def test_cli_a_failed_image_is_one_error_naming_its_argument(
    serve: Serve, retry_clock: FakeClock, capsys: pytest.CaptureFixture[str]
) -> None:
    server = serve(registry(broken=1))
    code, _out = cli(f"{server.host}/app0:1", f"{server.host}/app1:1")
    err = capsys.readouterr().err
    assert code == 1
    assert err.startswith(f"error: The references, line 2 ({server.host}/app1:1): manifest of ")
    assert err.count("\n") == 1
