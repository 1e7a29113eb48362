"""The fake-server base and the table-driven fake: what every fake built on them relies on."""

from __future__ import annotations

import http.client
import json
import socket
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import requests
from registryfixtures.content import build_image

import fakes.faultproxy as fp
from fakes.reqresp import ReqRespServer, Table, pair
from fakes.server import Delivery, FakeServer, Handler, Request, Response, SilentListener
from fakes.tls import make_tls_files
from fakes.transport import HandlerAdapter
from hubaction.oci.platform import parse_platform
from hubaction.oci.reference import parse_reference
from hubaction.registry.client import open_client
from hubaction.registry.lookup import inspect_image
from hubaction.registry.transport import new_session


def echo(request: Request) -> Response:
    """Answers what it was asked, as JSON."""
    return Response.json(200, {"method": request.method, "target": request.target})


@pytest.fixture
def session() -> Iterator[requests.Session]:
    with requests.Session() as http_session:
        http_session.trust_env = False  # no proxy of the machine between us and loopback
        yield http_session


def test_a_handler_function_is_served_and_every_request_logged_once(
    session: requests.Session,
) -> None:
    with FakeServer(echo) as server:
        answer = session.post(f"{server.url}/a?b=1", data=b"xyz", timeout=10)
        head = session.head(f"{server.url}/c", timeout=10)
        log = server.exchanges
    assert answer.json() == {"method": "POST", "target": "/a?b=1"}
    assert head.status_code == 200 and head.content == b""
    assert head.headers["Content-Length"] == str(len(echo(log[1].request).body))
    assert [(e.request.index, e.request.method, e.request.path) for e in log] == [
        (0, "POST", "/a"),
        (1, "HEAD", "/c"),
    ]
    assert log[0].request.body == b"xyz" and log[0].request.query == {"b": ["1"]}
    assert all(e.response is not None and e.response.status == 200 for e in log)
    assert server.host == f"127.0.0.1:{server.port}"  # still known after stop
    with pytest.raises(requests.ConnectionError):
        session.get(f"{server.url}/", timeout=10)


def test_keep_alive_carries_several_requests_on_one_connection(
    serve: Callable[[Handler], FakeServer],
) -> None:
    server = serve(echo)
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    sockets = []
    for target in ("/1", "/2", "/3"):
        connection.request("GET", target)
        assert json.loads(connection.getresponse().read())["target"] == target
        sockets.append(connection.sock)
    connection.close()
    assert sockets[0] is not None and sockets == [sockets[0]] * 3  # never reconnected
    assert [e.request.index for e in server.exchanges] == [0, 1, 2]
    server.reset_log()
    assert server.exchanges == []


def test_a_handler_that_raises_answers_500_and_the_log_says_why(
    session: requests.Session, capsys: pytest.CaptureFixture[str]
) -> None:
    def broken(request: Request) -> Response:
        raise KeyError("missing fixture")

    with FakeServer(broken) as server:
        answer = session.get(f"{server.url}/x", timeout=10)
    assert answer.status_code == 500
    assert server.exchanges[0].error == repr(KeyError("missing fixture"))
    assert "KeyError" in capsys.readouterr().err


def test_faults_are_wrappers_around_any_handler() -> None:
    body = b'{"tags":["' + b"0123456789" * 10 + b'"]}'

    def tags(request: Request) -> Response:
        return Response(200, (("Content-Type", "application/json"),), body)

    corrupted = fp.wrapper(fp.CORRUPT)(tags)
    truncated = fp.wrapper(fp.TRUNCATE)(tags)
    with FakeServer(corrupted) as bad, FakeServer(truncated) as cut:
        connection = http.client.HTTPConnection("127.0.0.1", bad.port, timeout=10)
        connection.request("GET", "/")
        assert connection.getresponse().read() == fp.corrupt_bytes(body)
        connection.close()
        connection = http.client.HTTPConnection("127.0.0.1", cut.port, timeout=10)
        connection.request("GET", "/")
        with pytest.raises(http.client.IncompleteRead):
            connection.getresponse().read()
        connection.close()


def test_reset_drops_the_connection_and_stop_releases_a_hanging_handler() -> None:
    def reset(request: Request) -> Response:
        return Response(delivery="reset")

    with FakeServer(reset) as server:
        connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
        connection.request("GET", "/")
        with pytest.raises((ConnectionError, http.client.RemoteDisconnected)):
            connection.getresponse()
        connection.close()
    arrived = threading.Event()
    hang = fp.wrapper(fp.HANG)(echo)

    def hanging(request: Request) -> Response:
        arrived.set()
        return hang(request)

    server = FakeServer(hanging).start()
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    connection.request("GET", "/")
    assert arrived.wait(10)
    server.stop()  # would block for max_hang if the handler were not released
    with pytest.raises((ConnectionError, http.client.RemoteDisconnected)):
        connection.getresponse()
    connection.close()
    assert server.exchanges[0].response == Response(delivery="silent")


def test_a_silent_listener_accepts_and_never_says_a_byte() -> None:
    with SilentListener() as silent:
        client = socket.create_connection(("127.0.0.1", silent.port), timeout=0.2)
        client.sendall(b"GET /v2/ HTTP/1.1\r\nHost: x\r\n\r\n")
        with pytest.raises(TimeoutError):
            client.recv(1)
        assert silent.accepted == 1
    client.settimeout(10)
    # Closed when the listener stops, still without a byte: a reset, as the request was unread.
    with pytest.raises(ConnectionResetError):
        client.recv(1)
    client.close()


def test_tls(tmp_path: Path, session: requests.Session) -> None:
    files = make_tls_files(tmp_path)
    with FakeServer(echo, tls=files.server_context()) as server:
        assert server.url.startswith("https://127.0.0.1:")
        answer = session.get(f"{server.url}/secure", verify=str(files.ca_cert), timeout=10)
    assert answer.json()["target"] == "/secure"


# -- the table --------------------------------------------------------------------------------


def test_the_table_answers_with_the_first_matching_pair_and_once_pairs_run_out(
    session: requests.Session,
) -> None:
    pairs = [
        pair("GET", "/v2/a/manifests/1", status=503, once=True, name="busy"),
        pair("GET", "/v2/a/manifests/1", json_body={"ok": True}, name="manifest"),
        pair("GET", "/v2/a/tags/list", query={"n": "2"}, json_body={"tags": ["1", "2"]}),
        pair("GET", "/v2/b", request_headers={"authorization": "Bearer t"}, name="authed"),
        pair("DELETE", "/v2/never", name="never"),
    ]
    with ReqRespServer(pairs) as server:
        statuses = [session.get(f"{server.url}/v2/a/manifests/1", timeout=10).status_code]
        statuses.append(session.get(f"{server.url}/v2/a/manifests/1", timeout=10).status_code)
        tags = session.get(f"{server.url}/v2/a/tags/list?n=2", timeout=10).json()
        unmatched = session.get(f"{server.url}/v2/a/tags/list?n=3", timeout=10)
        anonymous = session.get(f"{server.url}/v2/b", timeout=10).status_code
        authed = session.get(
            f"{server.url}/v2/b", headers={"Authorization": "Bearer t"}, timeout=10
        )
    assert statuses == [503, 200] and tags == {"tags": ["1", "2"]} and authed.status_code == 200
    assert unmatched.status_code == 404 and anonymous == 404
    assert "GET /v2/a/tags/list?n=3" in unmatched.json()["errors"][0]["message"]
    assert server.answered_by() == [
        "busy",
        "manifest",
        "GET /v2/a/tags/list -> 200",
        None,
        None,
        "authed",
    ]
    assert [r.target for r in server.unmatched()] == ["/v2/a/tags/list?n=3", "/v2/b"]
    assert server.unused() == ["never"]
    assert server.table.uses("manifest") == 1


def test_table_pair_names_are_unique() -> None:
    with pytest.raises(ValueError, match="unique"):
        Table([pair("GET", "/a", name="x"), pair("GET", "/b", name="x")])


# -- in process -------------------------------------------------------------------------------


def test_a_table_in_process_answers_hubaction_for_a_host_loopback_cannot_be() -> None:
    built = build_image(
        name="app", platform="linux/arm64", created="2024-01-01T00:00:00Z", labels={}, docker=False
    )
    manifest = built.manifest
    pairs = [
        pair(
            "GET",
            "/v2/app/manifests/1",
            body=manifest.data,
            headers={"Content-Type": manifest.media_type, "Docker-Content-Digest": manifest.digest},
            name="manifest",
        ),
        pair("GET", f"/v2/app/blobs/{built.config.digest}", body=built.config.data, name="config"),
    ]
    adapter = HandlerAdapter(Table(pairs))
    session = new_session()
    session.mount("https://registry.test/", adapter)
    image = inspect_image(
        open_client(session=session),
        parse_reference("registry.test/app:1"),
        parse_platform("linux/arm64"),
    )
    assert str(image.digest) == manifest.digest
    assert [e.request.notes["pair"] for e in adapter.exchanges] == ["manifest", "config"]


@pytest.mark.parametrize(
    ("delivery", "error"),
    [
        ("reset", requests.ConnectionError),
        ("silent", requests.ReadTimeout),
        ("truncate", requests.exceptions.ChunkedEncodingError),
    ],
)
def test_in_process_deliveries_become_the_errors_requests_raises(
    delivery: Delivery, error: type[Exception]
) -> None:
    def answer(request: Request) -> Response:
        return Response(200, (), b"body", delivery=delivery)

    session = requests.Session()
    session.mount("https://fake.test/", HandlerAdapter(answer))
    with pytest.raises(error):
        session.get("https://fake.test/x", timeout=10)


@pytest.mark.parametrize("delivery", ["drip-head", "drip-body"])
def test_a_dripped_answer_arrives_whole_in_the_end(
    session: requests.Session, delivery: Delivery
) -> None:
    headers = (("Content-Type", "text/plain"),)
    answer = Response(200, headers, b"slow body", delivery=delivery, interval=0.001)
    with FakeServer(lambda _request: answer) as server:
        response = session.get(f"{server.url}/x", timeout=10)
    assert (response.status_code, response.content) == (200, b"slow body")
    assert response.headers["Content-Type"] == "text/plain"


def test_stop_releases_a_drip_at_once() -> None:
    answer = Response(200, (), b"x" * 1000, delivery="drip-body", interval=60)
    server = FakeServer(lambda _request: answer).start()
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        assert sock.recv(12) == b"HTTP/1.1 200"
        server.stop()  # joins the dripping handler: returns only because the drip stopped
