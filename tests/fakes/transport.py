"""A handler in process, without a socket: a ``requests`` adapter (httpx's ``MockTransport``).

For hosts that cannot be served on loopback under their own name (``registry-1.docker.io``,
``https://registry.test``): mount the adapter on a session and every request to that prefix is
answered by the handler, and logged like a :class:`~fakes.server.FakeServer`'s::

    adapter = HandlerAdapter(Table(pairs))
    session.mount("https://registry.test/", adapter)

The mounted adapter replaces the session's own for that prefix, so urllib3's retries and the
session's default timeouts do not apply there; deliveries other than ``whole`` become the
errors ``requests`` would raise (``reset``: ``ConnectionError``; ``silent``: ``ReadTimeout``;
``truncate``: ``ChunkedEncodingError``).
"""

from __future__ import annotations

import io
import threading
import urllib.parse
from collections.abc import Mapping
from email.message import Message
from typing import Any

import requests
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict
from requests.utils import get_encoding_from_headers

from fakes.server import Exchange, Handler, RequestLog, carries_body


class HandlerAdapter(BaseAdapter):
    """Answers every request sent through it with ``handler``."""

    def __init__(self, handler: Handler) -> None:
        super().__init__()
        self.handler = handler
        self.log = RequestLog()
        self._stopping = threading.Event()  # never set: nothing to stop in process

    @property
    def exchanges(self) -> list[Exchange]:
        return self.log.exchanges

    def send(
        self,
        request: requests.PreparedRequest,
        stream: bool = False,
        timeout: Any = None,
        verify: Any = True,
        cert: Any = None,
        proxies: Mapping[str, str] | None = None,
    ) -> requests.Response:
        url = urllib.parse.urlsplit(request.url or "")
        target = url.path + (f"?{url.query}" if url.query else "")
        headers = Message()
        for name, value in request.headers.items():
            headers[name] = value
        body = request.body or b""
        data = body.encode() if isinstance(body, str) else bytes(body)
        method = request.method or "GET"
        exchange = self.log.arrived(method, target, headers, data, self._stopping)
        answer = self.log.answer(exchange, self.handler)
        if answer.delivery == "reset":
            raise requests.ConnectionError("connection reset by the fake", request=request)
        if answer.delivery == "silent":
            raise requests.ReadTimeout("the fake never answered", request=request)
        if answer.delivery == "truncate":
            raise requests.exceptions.ChunkedEncodingError("the fake cut the body short")
        response = requests.Response()
        response.status_code = answer.status
        response.reason = answer.reason or ""
        response.headers = CaseInsensitiveDict(dict(answer.headers))
        response.encoding = get_encoding_from_headers(response.headers)
        response.raw = io.BytesIO(answer.body if carries_body(method, answer.status) else b"")
        response.url = request.url or ""
        response.request = request
        return response

    def close(self) -> None:
        pass
