"""Registry answers for tests/test_errors_*.py: real ``requests.Response`` objects from
requests-mock's adapter, and OCI error bodies."""

from __future__ import annotations

import io
import json
from collections.abc import Mapping
from typing import Any

import requests
import requests_mock

URL = "mock://registry.test/v2/org/app/manifests/1"
WHAT = "manifest of registry.test/org/app:1"
REGISTRY, REPOSITORY = "registry.test", "org/app"


def mock_response(
    status: int,
    body: bytes | io.RawIOBase = b"",
    *,
    headers: Mapping[str, str] | None = None,
    method: str = "GET",
    reason: str | None = None,
    stream: bool = True,
) -> requests.Response:
    """A real requests.Response, answered by requests-mock's adapter."""
    session = requests.Session()
    adapter = requests_mock.Adapter()
    session.mount("mock://", adapter)
    answer: dict[str, Any] = {"status_code": status, "headers": dict(headers or {})}
    if isinstance(body, bytes):
        answer["content"] = body
    else:
        answer["body"] = body  # a file-like object, read as the client reads
    if reason is not None:
        answer["reason"] = reason
    adapter.register_uri(method, URL, **answer)
    return session.request(method, URL, stream=stream)


def oci_errors(*errors: tuple[str, str]) -> bytes:
    return json.dumps(
        {"errors": [{"code": c, "message": m, "detail": {"x": 1}} for c, m in errors]}
    ).encode()
