"""One deadline for the whole run (issue 13 §1), against a hostile registry on loopback.

A registry that drips its headers or a body a byte a second (no per-read timeout fires), never
answers the per-tag HEADs, answers them 503 with ``Retry-After: 30``, or serves 1,000 slow tag
pages: each run ends within its ``timeout`` plus 5 s, with one clear error (required work: the
image, the tag list) or a summary that says which digests it left out (optional work). The
runs go through ``entrypoint.py`` as the runner runs it, or through the CLI with ``--timeout``;
the deadline itself is tested on the fake clock.
"""

from __future__ import annotations

import io
import json
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import requests
from actionrunner import ActionRun, run_action
from fakes.clock import FakeClock
from fakes.server import Delivery, FakeServer, Handler, Request, Response, SilentListener
from fakes.tiny import CONFIG, CONFIG_DIGEST, MANIFEST, MANIFEST_DIGEST

from hubaction import cli
from hubaction.dockerhub.client import HubClient
from hubaction.errors import DeadlineExceeded, Kind, RegistryError, Service, advice, describe
from hubaction.oci.reference import parse_reference
from hubaction.registry.client import open_client
from hubaction.registry.deadline import Deadline, DeadlinePassed, effective, limited
from hubaction.registry.errors import network_error
from hubaction.registry.transport import new_session, read_body, session_deadline

Serve = Callable[[Handler], FakeServer]

#: The run's `timeout` in these scenarios, and what each run may take beyond it.
TIMEOUT = 3.0
GRACE = 5.0
TAGS = [f"t{i}" for i in range(100)]

MANIFEST_HEADERS = (
    ("Content-Type", "application/vnd.oci.image.manifest.v1+json"),
    ("Docker-Content-Digest", MANIFEST_DIGEST),
)


def registry(
    *,
    manifest: Callable[[Request], Response] | None = None,
    head: Callable[[Request], Response] | None = None,
    tags: Callable[[Request], Response] | None = None,
) -> Handler:
    """A registry of ``app`` with tags ``1.0`` and :data:`TAGS`; each hook, when given,
    answers its kind of request instead (the manifest GET, the per-tag HEADs, the tag list)."""

    def handle(request: Request) -> Response:
        path = request.path
        if path == "/v2/app/tags/list":
            if tags is not None:
                return tags(request)
            return Response.json(200, {"name": "app", "tags": ["1.0", *TAGS]})
        if path == f"/v2/app/blobs/{CONFIG_DIGEST}":
            return Response(200, (("Content-Type", "application/json"),), CONFIG)
        if path.startswith("/v2/app/manifests/"):
            if request.method == "HEAD" and head is not None:
                return head(request)
            if request.method == "GET" and manifest is not None:
                return manifest(request)
            return Response(200, MANIFEST_HEADERS, MANIFEST)
        return Response.json(404, {"errors": [{"code": "NAME_UNKNOWN", "message": "no"}]})

    return handle


def hang(request: Request) -> Response:
    """Accept the request and never answer (until the fake stops)."""
    request.stopping.wait()
    return Response(delivery="silent")


def busy(_request: Request) -> Response:
    return Response(503, (("Retry-After", "30"),))


def slow_pages(request: Request) -> Response:
    """One tag per page, half a second each, and always a next page: 1,000 and more."""
    number = int(request.query.get("last", ["p0"])[0][1:]) + 1
    request.stopping.wait(0.5)
    link = f'</v2/app/tags/list?n=1000&last=p{number}>; rel="next"'
    return Response.json(200, {"name": "app", "tags": [f"p{number}"]}, {"Link": link})


def timed_action(server: FakeServer, tmp_path: Path, **inputs: str) -> tuple[ActionRun, float]:
    start = time.monotonic()
    run = run_action(
        {"repository": f"{server.host}/app", "tag": "1.0", "timeout": f"{TIMEOUT:g}", **inputs},
        tmp_path,
        timeout=60,
    )
    return run, time.monotonic() - start


def one_deadline_error(run: ActionRun) -> str:
    assert run.returncode == 1, run.log
    assert run.outputs == {}
    errors = run.errors()
    assert len(errors) == 1, run.commands
    assert "Traceback" not in run.log
    assert "run deadline (3 s, `timeout`)" in errors[0]
    todo = advice(Kind.DEADLINE)
    assert todo is not None and todo in errors[0]
    return errors[0]


# -- required work: one error ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("delivery", "doing"),
    [("drip-head", "while waiting for an answer from"), ("drip-body", "reading the body from")],
)
def test_action_a_dripped_manifest_ends_at_the_deadline_with_one_error(
    serve: Serve, tmp_path: Path, delivery: Delivery, doing: str
) -> None:
    def drip(_request: Request) -> Response:
        body = MANIFEST * 4  # enough bytes to outlast the deadline, one a second
        return Response(200, MANIFEST_HEADERS, body, delivery=delivery, interval=1.0)

    server = serve(registry(manifest=drip))
    run, took = timed_action(server, tmp_path)
    error = one_deadline_error(run)
    assert error.startswith(f"manifest of {server.host}/app:1.0: stopped at the run deadline")
    assert f"{doing} {server.host}" in error
    assert TIMEOUT <= took < TIMEOUT + GRACE


def test_action_1000_slow_tag_pages_end_at_the_deadline(serve: Serve, tmp_path: Path) -> None:
    server = serve(registry(tags=slow_pages))
    run, took = timed_action(server, tmp_path)
    error = one_deadline_error(run)
    assert error.startswith(f"tags of {server.host}/app: stopped at the run deadline")
    pages = [e for e in server.exchanges if e.request.path.endswith("/tags/list")]
    assert 2 <= len(pages) <= TIMEOUT / 0.5 + 1  # stopped, not paged on
    assert took < TIMEOUT + GRACE


def test_cli_1000_slow_tag_pages_end_at_the_deadline(
    serve: Serve, capsys: pytest.CaptureFixture[str]
) -> None:
    server = serve(registry(tags=slow_pages))
    start = time.monotonic()
    code = cli.main(["tags", f"{server.host}/app", "--timeout", "2"], out=io.StringIO())
    took = time.monotonic() - start
    err = capsys.readouterr().err
    assert code == 1
    assert err.startswith(f"error: tags of {server.host}/app: stopped at the run deadline (2 s")
    assert len(err.splitlines()) == 1 and "`--timeout`" in err
    assert took < 2 + GRACE


def test_cli_a_dripped_body_ends_at_the_deadline(
    serve: Serve, capsys: pytest.CaptureFixture[str]
) -> None:
    def drip(_request: Request) -> Response:
        return Response(200, MANIFEST_HEADERS, MANIFEST, delivery="drip-body", interval=0.5)

    server = serve(registry(manifest=drip))
    start = time.monotonic()
    code = cli.main(["inspect", f"{server.host}/app:1.0", "--timeout", "1.5"], out=io.StringIO())
    took = time.monotonic() - start
    err = capsys.readouterr().err
    assert code == 1
    assert "stopped at the run deadline (1.5 s, `timeout`)" in err, err
    assert "reading the body from" in err
    assert took < 1.5 + GRACE


def test_cli_refuses_a_bad_timeout(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stopped:
        cli.main(["tags", "app", "--timeout", "0"], out=io.StringIO())
    assert stopped.value.code == 2
    assert "positive number of seconds" in capsys.readouterr().err


def test_action_digest_only_with_retry_after_past_the_deadline_fails_at_once(
    serve: Serve, tmp_path: Path
) -> None:
    server = serve(registry(head=busy))
    run, took = timed_action(server, tmp_path, **{"digest-only": "true"})
    error = one_deadline_error(run)
    assert "asked to retry after 30 s, past the run deadline" in error
    heads = [e for e in server.exchanges if e.request.method == "HEAD"]
    assert len(heads) == 1  # no retry, no waiting
    assert took < TIMEOUT


# -- optional work: the summary says what it left out -------------------------------------------


def left_out(run: ActionRun) -> int:
    """How many digests the tag table says it left out (0: it says nothing of it)."""
    marker = "The digests of "
    if marker not in run.summary:
        return 0
    return int(run.summary.split(marker, 1)[1].split(" ", 1)[0])


@pytest.mark.parametrize("head", [hang, busy], ids=["silent", "retry-after-30"])
def test_action_per_tag_heads_degrade_at_their_share_of_the_deadline(
    serve: Serve, tmp_path: Path, head: Handler
) -> None:
    server = serve(registry(head=head))
    run, took = timed_action(server, tmp_path)
    assert run.returncode == 0, run.log
    assert run.errors() == []
    # The outputs are whole: max-tags (100) tags, the image's digest.
    assert (len(json.loads(run.outputs["tags"])), run.outputs["tag-count"]) == (100, "101")
    assert run.outputs["digest"] == MANIFEST_DIGEST
    assert left_out(run) == 100  # every HEAD: stopped at the deadline or refused to wait
    assert "were left out: stopped at the run deadline." in run.summary
    warnings = [data for name, _props, data in run.commands if name == "warning"]
    assert warnings == [
        f"Job summary, tags of {server.host}/app: The digests of 100 tags were left out: "
        "stopped at the run deadline."
    ]
    assert took < TIMEOUT + GRACE


def test_action_per_tag_digests_when_there_is_time(serve: Serve, tmp_path: Path) -> None:
    server = serve(registry())
    run, _took = timed_action(server, tmp_path)
    assert run.returncode == 0, run.log
    assert left_out(run) == 0
    assert run.summary.count(MANIFEST_DIGEST) >= 101  # every tag's digest, and the image's


# -- the deadline on the fake clock ------------------------------------------------------------


def test_deadline_counts_down_on_its_clock() -> None:
    clock = FakeClock()
    deadline = Deadline(10, clock=clock.monotonic)
    assert (deadline.remaining(), deadline.expired(), deadline.elapsed()) == (10, False, 0)
    clock.advance(4)
    assert (deadline.remaining(), deadline.cap(20), deadline.cap(2)) == (6, 6, 2)
    clock.advance(6)
    assert deadline.expired() and deadline.remaining() == 0 and deadline.elapsed() == 10


def test_a_share_is_a_fraction_of_the_time_left_and_never_past_the_run() -> None:
    clock = FakeClock()
    run = Deadline(10, clock=clock.monotonic)
    clock.advance(2)
    half = run.share(0.5)
    assert (half.remaining(), half.part, half.seconds, half.elapsed()) == (4, True, 10, 2)
    assert run.share(5).end == run.end and run.share(-1).remaining() == 0
    assert "share of the run deadline (10 s" in half.name and "share" not in run.name


def test_limited_narrows_the_deadline_of_this_context_only_while_it_lasts() -> None:
    clock = FakeClock()
    run = Deadline(10, clock=clock.monotonic)
    part = run.share(0.5)
    assert effective(run) is run and effective(None) is None
    with limited(part):
        assert effective(run) is part and effective(None) is part
        assert effective(run.share(0.1)) is not part  # a narrower one wins
    assert effective(run) is run and part.closed
    with limited(None):
        assert effective(run) is run


def session_for(deadline: Deadline) -> requests.Session:
    session = new_session(deadline=deadline)
    assert session_deadline(session) is deadline
    return session


def test_a_retry_after_past_the_deadline_stops_without_sleeping(
    serve: Serve, retry_clock: FakeClock
) -> None:
    server = serve(busy)
    session = session_for(Deadline(10, clock=retry_clock.monotonic))
    with pytest.raises(DeadlinePassed) as passed:
        session.get(f"{server.url}/v2/")
    assert (passed.value.phase, passed.value.retry_after) == ("retry", 30)
    assert passed.value.url == f"{server.url}/v2/"
    assert retry_clock.sleeps == [] and len(server.exchanges) == 1


def test_a_retry_after_within_the_deadline_is_waited(serve: Serve, retry_clock: FakeClock) -> None:
    answers = iter([Response(503, (("Retry-After", "2"),)), Response(200)])
    server = serve(lambda _request: next(answers))
    session = session_for(Deadline(10, clock=retry_clock.monotonic))
    assert session.get(f"{server.url}/v2/").status_code == 200
    assert retry_clock.sleeps == [2.0]


def test_backoff_is_cut_to_the_deadline(serve: Serve, retry_clock: FakeClock) -> None:
    server = serve(lambda _request: Response(503))
    deadline = Deadline(0.2, clock=retry_clock.monotonic)
    with pytest.raises(DeadlinePassed):
        session_for(deadline).get(f"{server.url}/v2/")
    assert sum(retry_clock.sleeps) <= 0.2 + 1e-6  # the clock counts from 1.8e9: float error
    assert deadline.expired()


def test_no_request_is_sent_past_the_deadline(serve: Serve, retry_clock: FakeClock) -> None:
    server = serve(lambda _request: Response(200))
    deadline = Deadline(10, clock=retry_clock.monotonic)
    session = session_for(deadline)
    assert session.get(f"{server.url}/v2/").status_code == 200
    retry_clock.advance(10)
    with pytest.raises(DeadlinePassed) as passed:
        session.get(f"{server.url}/v2/")
    assert passed.value.phase == "send" and len(server.exchanges) == 1


def test_a_deadline_error_names_host_activity_and_time() -> None:
    clock = FakeClock()
    deadline = Deadline(5, clock=clock.monotonic)
    clock.advance(5.25)
    exc = DeadlinePassed(deadline, "body")
    error = network_error(exc, what="manifest of library/alpine:3.20", url="https://r.example/v2/")
    assert isinstance(error, DeadlineExceeded) and error.kind is Kind.DEADLINE
    assert (error.host, error.activity, error.limit) == (
        "r.example",
        "manifest of library/alpine:3.20",
        5,
    )
    assert error.elapsed == pytest.approx(5.25)
    assert str(error) == (
        "manifest of library/alpine:3.20: stopped at the run deadline (5 s, `timeout`) after "
        "5.2 s, while reading the body from r.example"
    )
    assert "raise `timeout` (the CLI's `--timeout`)" in describe(error)
    within = error.within("Input `dockerfile`")
    assert isinstance(within, DeadlineExceeded) and within.host == "r.example"


# -- the watchdog, on the real clock (short deadlines) -----------------------------------------


def test_a_silent_peer_is_left_at_the_deadline() -> None:
    # The read timeout asked for (20 s) is capped by the time left.
    with SilentListener() as peer:
        session = session_for(Deadline(0.5))
        start = time.monotonic()
        with pytest.raises(DeadlinePassed):
            session.get(f"{peer.url}/v2/", timeout=(5, 20))
        assert time.monotonic() - start < 0.5 + GRACE


def test_the_watchdog_cuts_a_dripped_body_at_the_deadline(serve: Serve) -> None:
    body = b"x" * 100
    server = serve(lambda _r: Response(200, (), body, delivery="drip-body", interval=0.1))
    session = session_for(Deadline(0.5))
    response = session.get(f"{server.url}/v2/blob", stream=True)
    start = time.monotonic()
    with pytest.raises(RegistryError) as failed:
        read_body(response, limit=1000, what="blob x")
    assert failed.value.kind is Kind.DEADLINE
    assert time.monotonic() - start < 0.5 + GRACE


def test_a_share_leaves_the_rest_of_the_run_its_time(serve: Serve) -> None:
    server = serve(hang)
    session = session_for(Deadline(30))
    run = session_deadline(session)
    assert run is not None
    part = run.share(0.5 / 30 * 2)  # half a second of the 30 s
    with limited(part), pytest.raises(DeadlinePassed):
        session.head(f"{server.url}/v2/app/manifests/t1")
    assert not run.expired() and part.closed


# -- one deadline for every sender: the token service, Docker Hub's API -------------------------


def test_a_silent_token_service_stops_at_the_deadline(serve: Serve) -> None:
    realm = serve(hang)
    challenge = f'Bearer realm="{realm.url}/token",service="fake",scope="repository:app:pull"'
    registry_server = serve(lambda _r: Response(401, (("WWW-Authenticate", challenge),)))
    client = open_client(deadline=Deadline(1))
    with pytest.raises(DeadlineExceeded) as failed:
        client.head_manifest(parse_reference(f"{registry_server.host}/app:1.0"))
    assert failed.value.service is Service.REALM and failed.value.host == realm.host


def test_a_dripped_docker_hub_page_stops_at_the_deadline(serve: Serve) -> None:
    page = json.dumps({"count": 1, "next": None, "results": []}).encode()
    hub = serve(lambda _r: Response(200, (), page, delivery="drip-body", interval=0.3))
    client = HubClient(new_session(deadline=Deadline(1)), hub_url=hub.url)
    with pytest.raises(DeadlineExceeded) as failed:
        client.tag_listing("library", "alpine")
    assert failed.value.kind is Kind.DEADLINE and "reading the body from" in str(failed.value)
