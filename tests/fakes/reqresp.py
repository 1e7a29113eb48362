"""A table-driven fake: request/response pairs as one handler (regclient's ``internal/reqresp``).

Each :class:`Pair` says what request it answers (:class:`Expect`: method, path, and optionally
query parameters, request headers and body) and the :class:`~fakes.server.Response` it gives.
The first pair that matches answers; a ``once`` pair answers one time only, so a list of
``once`` pairs for the same request is a sequence (a 503, then a 200). A request no pair matches
gets a 404 naming the request, and stays visible in :meth:`ReqRespServer.unmatched`.

    pairs = [
        pair("GET", "/v2/", status=401, headers={"WWW-Authenticate": 'Bearer realm="..."'}),
        pair("GET", "/v2/a/manifests/1", status=503, once=True),
        pair("GET", "/v2/a/manifests/1", json=manifest, headers={"Content-Type": MT}),
    ]
    with ReqRespServer(pairs) as server:
        ...  # point a client at server.url
    assert server.answered_by() == [...]
"""

from __future__ import annotations

import json
import ssl
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from fakes.server import FakeServer, Request, Response


@dataclass(frozen=True)
class Expect:
    """What a request must be for a pair to answer it; empty fields match anything."""

    method: str
    path: str
    #: Parameters that must be present with exactly this (first) value.
    query: Mapping[str, str] = field(default_factory=dict)
    #: Request headers that must be present with exactly this value (names in any case).
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes | None = None

    def matches(self, request: Request) -> bool:
        if request.method != self.method or request.path != self.path:
            return False
        query = request.query
        if any(query.get(name, [None])[0] != value for name, value in self.query.items()):
            return False
        if any(request.headers.get(name) != value for name, value in self.headers.items()):
            return False
        return self.body is None or request.body == self.body

    def __str__(self) -> str:
        return f"{self.method} {self.path}"


@dataclass(frozen=True)
class Pair:
    """One row of the table: a request and its answer."""

    name: str
    expect: Expect
    response: Response
    #: Answer one matching request only (regclient's ``DelOnUse``).
    once: bool = False


def pair(
    method: str,
    path: str,
    *,
    status: int = 200,
    body: bytes = b"",
    json_body: Any = None,
    headers: Mapping[str, str] | None = None,
    name: str | None = None,
    once: bool = False,
    query: Mapping[str, str] | None = None,
    request_headers: Mapping[str, str] | None = None,
) -> Pair:
    """A :class:`Pair` in one call; ``json_body`` is sent as JSON (``Content-Type`` added)."""
    answer_headers = dict(headers or {})
    if json_body is not None:
        body = json.dumps(json_body).encode()
        answer_headers.setdefault("Content-Type", "application/json")
    expect = Expect(method, path, dict(query or {}), dict(request_headers or {}))
    response = Response(status, tuple(answer_headers.items()), body)
    return Pair(name or f"{method} {path} -> {status}", expect, response, once)


class Table:
    """The handler: answers a request with the first pair that matches and is not used up."""

    def __init__(self, pairs: Sequence[Pair]) -> None:
        names = [p.name for p in pairs]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"pair names must be unique: {duplicates}")
        self.pairs = tuple(pairs)
        self._lock = threading.Lock()
        self._uses: dict[str, int] = dict.fromkeys(names, 0)

    def __call__(self, request: Request) -> Response:
        with self._lock:
            chosen = next(
                (
                    p
                    for p in self.pairs
                    if p.expect.matches(request) and not (p.once and self._uses[p.name])
                ),
                None,
            )
            if chosen is not None:
                self._uses[chosen.name] += 1
        request.notes["pair"] = chosen.name if chosen is not None else None
        if chosen is None:
            message = f"no pair of the table matches {request.method} {request.target}"
            return Response.json(404, {"errors": [{"code": "NO_PAIR", "message": message}]})
        return chosen.response

    def uses(self, name: str) -> int:
        """How many requests the pair called ``name`` answered."""
        with self._lock:
            return self._uses[name]

    def unused(self) -> list[str]:
        """The names of the pairs that answered nothing, in table order."""
        with self._lock:
            return [p.name for p in self.pairs if not self._uses[p.name]]


class ReqRespServer(FakeServer):
    """A :class:`Table` served over HTTP (see the module docstring)."""

    def __init__(self, pairs: Sequence[Pair], *, tls: ssl.SSLContext | None = None) -> None:
        self.table = Table(pairs)
        super().__init__(self.table, tls=tls)

    def answered_by(self) -> list[str | None]:
        """For every request so far, the name of the pair that answered it (None: no pair)."""
        return [e.request.notes.get("pair") for e in self.exchanges]

    def unmatched(self) -> list[Request]:
        """The requests that no pair matched."""
        return [e.request for e in self.exchanges if e.request.notes.get("pair", "") is None]

    def unused(self) -> list[str]:
        return self.table.unused()
