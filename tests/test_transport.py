"""Tests for registry.transport: size caps, redaction, timeouts and the time-bounded retries
(the status mapping and error bodies: test_errors_mapping.py, test_errors_bodies.py).

HTTP goes to requests-mock's adapter or to fakes on 127.0.0.1 (``fakes.server``); the retries'
waits are asserted on a fake clock (``retry_clock``), never timed, and every real wait is
bounded (short timeouts, pytest-timeout marks).
"""

from __future__ import annotations

import io
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
import requests
from error_responses import mock_response
from fakes.clock import FakeClock
from fakes.server import FakeServer, Handler, Request, Response, SilentListener
from hypothesis import given, settings
from hypothesis import strategies as st

from hubaction.errors import (
    RegistryError,
)
from hubaction.registry.errors import check_response
from hubaction.registry.transport import (
    USER_AGENT,
    new_session,
    plain_http_allowed,
    read_body,
    redact_url,
)

WHAT = "manifest of registry.test/org/app:1"


# ---------------------------------------------------------------------------------------------
# redact_url


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://user:pass@ghcr.io/v2/o/a/manifests/1", "https://ghcr.io/v2/o/a/manifests/1"),
        ("https://user@ghcr.io/v2/", "https://ghcr.io/v2/"),
        ("https://u:p@localhost:5000/v2/", "https://localhost:5000/v2/"),
        ("https://ghcr.io/v2/o/a/tags/list?n=100", "https://ghcr.io/v2/o/a/tags/list?n=100"),
        ("https://ghcr.io/v2/", "https://ghcr.io/v2/"),
        (
            "https://auth.docker.io/token?service=registry.docker.io&token=abc.def",
            "https://auth.docker.io/token?service=registry.docker.io&token=***",
        ),
        ("https://h/p?access_token=x&Password=y", "https://h/p?access_token=***&Password=***"),
        (
            "https://blob.core.windows.net/c/b?sv=2020&sig=abc%2B",
            "https://blob.core.windows.net/c/b?sv=2020&sig=***",
        ),
        ("https://h/p#fragment", "https://h/p"),
    ],
)
def test_redact_url(url: str, expected: str) -> None:
    assert redact_url(url) == expected


def test_redact_presigned_s3_url_keeps_other_params() -> None:
    url = (
        "https://bucket.s3.amazonaws.com/docker/registry/v2/blobs/sha256/ab/abcd/data"
        "?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAEXAMPLE%2F20240101%2Fus-east-1"
        "&X-Amz-Date=20240101T000000Z&X-Amz-Expires=1200&X-Amz-SignedHeaders=host"
        "&X-Amz-Signature=deadbeefcafe&response-content-type=application%2Foctet-stream&n=1"
    )
    redacted = redact_url(url)
    assert "deadbeefcafe" not in redacted
    assert "AKIAEXAMPLE" not in redacted
    params = dict(parse_qsl(urlsplit(redacted).query))
    assert params["X-Amz-Signature"] == "***"
    assert params["X-Amz-Credential"] == "***"
    assert params["response-content-type"] == "application/octet-stream"
    assert params["n"] == "1"
    assert redacted.startswith("https://bucket.s3.amazonaws.com/docker/registry/v2/blobs/")


def test_redact_unparseable_url() -> None:
    assert redact_url("http://[::1/v2/?token=secret") == "<unparseable URL>"


@settings(max_examples=200, deadline=None)
@given(
    st.text(alphabet=st.characters(codec="ascii", exclude_characters="@/?#&=[]"), min_size=3),
    st.sampled_from(["token", "access_token", "password", "X-Amz-Signature", "sig"]),
)
def test_property_redact_never_shows_secret_values(secret: str, key: str) -> None:
    url = f"https://user:{secret}@h.example/p?{key}={secret}&n=1"
    redacted = redact_url(url)
    assert f"{key}=***" in redacted or redacted == "<unparseable URL>"
    assert f"user:{secret}@" not in redacted


# ---------------------------------------------------------------------------------------------
# plain_http_allowed


@pytest.mark.parametrize(
    ("url", "insecure", "allowed"),
    [
        ("https://ghcr.io/v2/", False, True),
        ("HTTPS://ghcr.io/v2/", False, True),
        ("http://ghcr.io/v2/", False, False),
        ("http://ghcr.io/v2/", True, True),
        ("http://localhost:5000/v2/", False, True),
        ("http://LOCALHOST:5000/v2/", False, True),
        ("http://127.0.0.1:5000/v2/", False, True),
        ("http://127.1.2.3/v2/", False, True),
        ("http://[::1]:5000/v2/", False, True),
        ("http://localhost.evil.example/v2/", False, False),
        ("http://127.0.0.1.nip.io/v2/", False, False),
        ("http://10.0.0.1:5000/v2/", False, False),
        ("http://[::2]/v2/", False, False),
        ("ftp://ghcr.io/", False, False),
    ],
)
def test_plain_http_allowed(url: str, insecure: bool, allowed: bool) -> None:
    assert plain_http_allowed(url, insecure=insecure) is allowed


# ---------------------------------------------------------------------------------------------
# read_body


class EndlessBody(io.RawIOBase):
    """A body that never ends (well: after ``cap`` bytes, so a failing test still stops)."""

    def __init__(self, cap: int = 16 * 1024 * 1024) -> None:
        self.sent = 0
        self.cap = cap

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        n = min(len(buffer), self.cap - self.sent)
        buffer[:n] = b"x" * n
        self.sent += n
        return n


def test_read_body_whole() -> None:
    body = b"x" * 1000
    assert read_body(mock_response(200, body), limit=1000, what=WHAT) == body


def test_read_body_refuses_by_content_length_without_reading() -> None:
    endless = EndlessBody(cap=10_000)
    response = mock_response(200, endless, headers={"Content-Length": "10000"})
    with pytest.raises(RegistryError, match="10000 bytes, over the 100-byte limit") as info:
        read_body(response, limit=100, what=WHAT)
    assert str(info.value).startswith(WHAT)
    assert endless.sent == 0


def test_read_body_refuses_streamed_body_over_limit() -> None:
    # No Content-Length: the cap applies while reading.
    response = mock_response(200, b"y" * 300_000)
    assert "Content-Length" not in response.headers
    with pytest.raises(RegistryError, match="exceeds the 100000-byte limit"):
        read_body(response, limit=100_000, what=WHAT)


def test_read_body_stops_reading_an_endless_body() -> None:
    endless = EndlessBody()
    with pytest.raises(RegistryError, match="exceeds"):
        read_body(mock_response(200, endless), limit=200_000, what=WHAT)
    assert endless.sent < 1024 * 1024


def _raw_response(raw: io.RawIOBase | io.BytesIO, headers: Mapping[str, str]) -> requests.Response:
    response = requests.Response()
    response.status_code = 200
    response.raw = raw
    response.headers.update(headers)
    return response


@pytest.mark.parametrize(
    ("headers", "size", "ok"),
    [
        ({"Content-Length": "100"}, 100, True),
        ({"Content-Length": "100"}, 50, False),
        ({"Content-Length": "10"}, 50, False),
        ({}, 50, True),
        ({"Content-Length": "abc"}, 50, True),
        ({"Content-Length": "²"}, 50, True),
        ({"Content-Length": "-5"}, 50, True),
        # With an encoding the header counts compressed bytes: not compared.
        ({"Content-Length": "10", "Content-Encoding": "gzip"}, 50, True),
        ({"Content-Length": "50", "Content-Encoding": "identity"}, 50, True),
    ],
)
def test_read_body_truncation(headers: dict[str, str], size: int, ok: bool) -> None:
    response = _raw_response(io.BytesIO(b"z" * size), headers)
    if ok:
        assert read_body(response, limit=1000, what=WHAT) == b"z" * size
    else:
        with pytest.raises(RegistryError, match="truncated"):
            read_body(response, limit=1000, what=WHAT)


def test_read_body_truncated_over_real_transport() -> None:
    # urllib3 notices the short body itself; either way it is a RegistryError, never bytes.
    response = mock_response(200, b"z" * 50, headers={"Content-Length": "100"})
    with pytest.raises(RegistryError, match=r"truncated|broke"):
        read_body(response, limit=1000, what=WHAT)


class BrokenBody(io.RawIOBase):
    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        raise requests.exceptions.ChunkedEncodingError("connection reset")


def test_read_body_broken_connection() -> None:
    with pytest.raises(RegistryError, match="connection broke"):
        read_body(_raw_response(BrokenBody(), {}), limit=1000, what=WHAT)


# ---------------------------------------------------------------------------------------------
# new_session: a server that accepts and never answers


@pytest.mark.timeout(30)
def test_session_read_timeout() -> None:
    with SilentListener() as silent, new_session(timeout=(1, 0.5)) as session:
        with pytest.raises(requests.exceptions.Timeout) as info:
            session.get(f"{silent.url}/v2/")
        # The read timeout was retried once (urllib3 read=1), on a new connection.
        assert silent.accepted == 2
    assert "read timeout=0.5" in str(info.value)


@pytest.mark.timeout(30)  # the session's 60 s would end here
def test_session_explicit_timeout_wins() -> None:
    with (
        SilentListener() as silent,
        new_session(timeout=(1, 60), retries=0) as session,
        pytest.raises(requests.exceptions.Timeout) as info,
    ):
        session.get(f"{silent.url}/v2/", timeout=(1, 0.3))
    assert "read timeout=0.3" in str(info.value)


def test_session_headers_and_adapters() -> None:
    session = new_session()
    assert session.headers["User-Agent"] == USER_AGENT
    assert USER_AGENT.startswith("hubaction/")
    assert session.get_adapter("https://ghcr.io/") is session.get_adapter("http://127.0.0.1/")
    session.close()


# ---------------------------------------------------------------------------------------------
# BudgetRetry against a scripted local server; waits on the fake clock (`retry_clock`)

#: A status and the headers that go with it.
Answer = tuple[int, dict[str, str]]
UNAVAILABLE = b'{"errors": [{"code": "UNAVAILABLE", "message": "try later"}]}'


def script(answers: list[Answer]) -> Handler:
    """The answers in order of arrival; the last one repeats."""

    def answer(request: Request) -> Response:
        status, headers = answers[min(request.index, len(answers) - 1)]
        body = UNAVAILABLE if status >= 400 else b"{}"
        return Response(status, (*headers.items(), ("Content-Type", "application/json")), body)

    return answer


Serve = Callable[[Handler], FakeServer]


@pytest.mark.timeout(30)
def test_retry_503_twice_then_success(serve: Serve, retry_clock: FakeClock) -> None:
    server = serve(script([(503, {}), (503, {}), (200, {})]))
    with new_session(retry_budget=10) as session:
        response = session.get(f"{server.url}/v2/")
    assert response.status_code == 200
    assert len(server.exchanges) == 3
    # The first retry at once; the second after a jittered backoff of at most 0.5 * 2 s.
    assert len(retry_clock.sleeps) == 1 and 0 <= retry_clock.sleeps[0] <= 1.0


@pytest.mark.timeout(30)
@pytest.mark.parametrize("status", [408, 429, 500, 502, 504])
def test_retry_statuses(serve: Serve, status: int) -> None:
    server = serve(script([(status, {}), (200, {})]))
    with new_session(retry_budget=10) as session:
        assert session.get(f"{server.url}/v2/").status_code == 200
    assert len(server.exchanges) == 2


@pytest.mark.timeout(30)
@pytest.mark.parametrize("status", [400, 401, 403, 404])
def test_no_retry_for_client_errors(serve: Serve, status: int) -> None:
    server = serve(script([(status, {}), (200, {})]))
    with new_session(retry_budget=10) as session:
        assert session.get(f"{server.url}/v2/").status_code == status
    assert len(server.exchanges) == 1


@pytest.mark.timeout(30)
def test_retry_after_is_honoured(serve: Serve, retry_clock: FakeClock) -> None:
    server = serve(script([(429, {"Retry-After": "1"}), (200, {})]))
    with new_session(retry_budget=10) as session:
        response = session.get(f"{server.url}/v2/")
    assert response.status_code == 200
    assert len(server.exchanges) == 2
    assert retry_clock.sleeps == [1.0]


@pytest.mark.timeout(30)
def test_x_retry_after_is_honoured(serve: Serve, retry_clock: FakeClock) -> None:
    # Docker Hub's X-Retry-After is a Unix time; without it the first retry would not wait.
    when = str(int(retry_clock.time()) + 2)
    server = serve(script([(503, {"X-Retry-After": when}), (200, {})]))
    with new_session(retry_budget=10) as session:
        response = session.get(f"{server.url}/v2/")
    assert response.status_code == 200
    assert len(server.exchanges) == 2
    assert retry_clock.sleeps == [2.0]


@pytest.mark.timeout(30)
def test_garbage_retry_after_still_retries(serve: Serve) -> None:
    server = serve(script([(503, {"Retry-After": "soon"}), (200, {})]))
    with new_session(retry_budget=10) as session:
        response = session.get(f"{server.url}/v2/")
    assert response.status_code == 200
    assert len(server.exchanges) == 2


@pytest.mark.timeout(30)
def test_budget_cuts_the_wait_and_stops_retrying(serve: Serve, retry_clock: FakeClock) -> None:
    server = serve(script([(503, {"Retry-After": "30"})]))
    with new_session(retry_budget=1) as session:
        response = session.get(f"{server.url}/v2/")
    # The 30 s asked for cut to the 1 s budget; then the budget is spent and the last answer
    # is returned as it is, for check_response to explain.
    assert retry_clock.sleeps == [1.0]
    assert response.status_code == 503
    assert len(server.exchanges) == 2
    with pytest.raises(RegistryError, match="503"):
        check_response(response, what=WHAT)


@pytest.mark.timeout(30)
def test_budget_is_per_request_not_per_session(serve: Serve, retry_clock: FakeClock) -> None:
    server = serve(script([(200, {}), (503, {}), (200, {})]))
    with new_session(retry_budget=1) as session:
        assert session.get(f"{server.url}/v2/").status_code == 200
        retry_clock.advance(1.3)  # longer than the budget: a later request must still be retried
        assert session.get(f"{server.url}/v2/").status_code == 200
    assert len(server.exchanges) == 3


@pytest.mark.timeout(30)
def test_retries_count_is_bounded(serve: Serve) -> None:
    server = serve(script([(500, {"Retry-After": "0"})]))
    with new_session(retry_budget=10, retries=2) as session:
        assert session.get(f"{server.url}/v2/").status_code == 500
    assert len(server.exchanges) == 3
