"""Hostile token services, issue 13 §3: an implausible token is a registry error, never masked
nor sent; a token service and registry in a loop (a fresh token, refused, on every request) end
in one clear error after a bounded number of tokens, in bounded memory.

The flow is driven by hand (``next()``/``send()``, as tests/test_auth_flow.py does); the
end-to-end scenarios run the client against a fake registry and token service.
"""

from __future__ import annotations

import itertools
import json
import tracemalloc
from collections.abc import Callable

import pytest
from fakes.server import FakeServer, Handler, Request, Response

from hubaction.errors import HubActionError, RegistryError, Service, Unauthorized
from hubaction.oci.reference import parse_reference
from hubaction.oci.token import pull_scope
from hubaction.oci.wire import MIN_TOKEN_LENGTH
from hubaction.registry.auth import (
    MAX_REFUSED_TOKENS,
    Attempt,
    AuthFlow,
    Reply,
    RequestFlow,
    TokenRequest,
)
from hubaction.registry.client import open_client

REG = "reg.example.com"
URL = f"https://{REG}/v2/app/manifests/1"
SCOPE = pull_scope("app")
REALM = "https://auth.example.com/token"
CHALLENGE = f'Bearer realm="{REALM}",service="{REG}"'
GOOD = "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln-_~+/=="

IMPLAUSIBLE = {
    "space": " ",
    "pipe": "|",
    "digest-algorithm": "sha256",
    "short": "short",
    "fifteen": "x" * (MIN_TOKEN_LENGTH - 1),
    "spaces": "a b c d e f g h i j k",
    "newline": "x\n" + "y" * 20,
    "tab": "x\t" + "y" * 20,
    "control": "x\x00" + "y" * 20,
    "pipe-inside": "abc|" + "y" * 20,
    "non-ascii": "ä" * 20,
    "padding-inside": "abc=def" + "y" * 20,
    "70-kB": "x" * 70_000,
}


def token_answer(token: str) -> Reply:
    return Reply(200, body=json.dumps({"token": token}).encode())


def first_token_request(flow: AuthFlow) -> RequestFlow:
    """A request flow up to its token request (the registry's 401 answered)."""
    steps = flow.request(REG, SCOPE, URL)
    assert next(steps) == Attempt({})
    request = steps.send(Reply(401, CHALLENGE))
    assert isinstance(request, TokenRequest)
    return steps


@pytest.mark.parametrize("token", IMPLAUSIBLE.values(), ids=IMPLAUSIBLE.keys())
def test_the_flow_refuses_an_implausible_token(token: str) -> None:
    told: list[str] = []
    steps = first_token_request(AuthFlow(on_secret=told.append))
    with pytest.raises(RegistryError) as info:
        steps.send(token_answer(token))
    assert (info.value.service, info.value.registry) == (Service.REALM, REG)
    assert f"({len(token)} characters" in info.value.message
    assert token not in info.value.message or token == " "  # never quoted
    assert told == []  # never masked


def test_the_flow_stops_after_the_bound_of_refused_tokens() -> None:
    told: list[str] = []
    flow = AuthFlow(on_secret=told.append)
    fresh = (f"{n:04d}{GOOD}" for n in itertools.count())
    for _ in range(MAX_REFUSED_TOKENS + 1):  # the first token, then one per refusal
        steps = flow.request(REG, SCOPE, URL)
        assert isinstance(next(steps), Attempt)  # the held token, refused
        assert isinstance(steps.send(Reply(401, CHALLENGE)), TokenRequest)
        assert isinstance(steps.send(token_answer(next(fresh))), Attempt)
        with pytest.raises(StopIteration):
            steps.send(Reply(401, CHALLENGE))
    steps = flow.request(REG, SCOPE, URL)
    assert isinstance(next(steps), Attempt)
    with pytest.raises(RegistryError, match="keeps issuing tokens the registry refuses") as info:
        steps.send(Reply(401, CHALLENGE))
    assert (info.value.service, info.value.registry) == (Service.REALM, REG)
    assert len(told) == MAX_REFUSED_TOKENS + 1
    # Another scope of the registry has its own bound.
    other = flow.request(REG, pull_scope("other"), URL)
    assert isinstance(next(other), TokenRequest)


def looping_registry(token: Callable[[int], str]) -> Handler:
    """A registry that answers 401 with a challenge to every request, and at ``/token`` a
    service that issues a fresh ``token(n)`` each time."""

    def handle(request: Request) -> Response:
        if request.path == "/token":
            return Response.json(200, {"token": token(request.index), "expires_in": 300})
        realm = f"http://{request.header('Host')}/token"
        challenge = f'Bearer realm="{realm}",service="fake"'
        return Response.json(401, {"errors": []}, {"WWW-Authenticate": challenge})

    return handle


RUN_REQUESTS = 40  # what one run might send to one repository (a tag listing, many HEADs)


@pytest.mark.parametrize(
    ("token", "masked"),
    [
        # 1 MiB: over the token answer's bound; each try fails, none is masked.
        (lambda n: f"{n:08d}" + "x" * (1024 * 1024), 0),
        # Plausible, fresh and refused every time: each is masked.
        (lambda n: f"{n:08d}{GOOD}", MAX_REFUSED_TOKENS + 1),
    ],
    ids=["huge", "refused"],
)
def test_a_token_loop_ends_in_one_clear_error(
    serve: Callable[[Handler], FakeServer], token: Callable[[int], str], masked: int
) -> None:
    server = serve(looping_registry(token))
    told: list[str] = []
    client = open_client(on_secret=told.append, retry_budget=0)
    ref = parse_reference(f"{server.host}/app:1")
    errors: list[HubActionError] = []
    tracemalloc.start()
    try:
        for _ in range(RUN_REQUESTS):
            try:
                client.head_manifest(ref)
            except HubActionError as exc:
                errors.append(exc)
        _size, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 200 * 1024 * 1024
    paths = [e.request.path for e in server.exchanges]
    assert paths.count("/token") == MAX_REFUSED_TOKENS + 1
    assert len(told) == masked
    # Refusals or failures up to the bound, then one clear registry error, sent no more.
    assert len(errors) == RUN_REQUESTS
    bound = errors[MAX_REFUSED_TOKENS + 1 :]
    assert {(type(e), e.service, e.registry) for e in bound} == {
        (RegistryError, Service.REALM, server.host)
    }
    assert "keeps issuing tokens the registry refuses" in bound[0].message
    # Per token: the request, the token, the retry; then the request the bound ends.
    assert len(server.exchanges) <= 3 * (MAX_REFUSED_TOKENS + 1) + 1


def test_a_clear_refusal_by_the_token_service_is_not_counted() -> None:
    # Wrong credentials answer 401 at the realm for every request: each one says so (the
    # advice names the credentials), not the loop bound's "keeps issuing tokens".
    flow = AuthFlow()
    for n in range(MAX_REFUSED_TOKENS + 2):
        # The first request learns the realm from a 401; the others ask for a token up front.
        steps = first_token_request(flow) if n == 0 else flow.request(REG, SCOPE, URL)
        if n > 0:
            assert isinstance(next(steps), TokenRequest)
        with pytest.raises(Unauthorized):
            steps.send(Reply(401))
