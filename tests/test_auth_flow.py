"""The auth protocol without a server: :class:`AuthFlow` generators driven by hand.

Each script lists the steps a flow must yield, in order, with the reply it is sent for each
(httpx ``_auth.py`` style: ``next()`` then ``send()``); the flow must end right after the last.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Generator, Sequence
from typing import Any

import pytest

from hubaction.errors import RegistryError, Unauthorized
from hubaction.oci.reference import DOCKER_HUB_REALM
from hubaction.oci.token import DEFAULT_TOKEN_LIFETIME, parse_token_answer, pull_scope
from hubaction.registry.auth import Attempt, AuthFlow, Reply, TokenRequest
from hubaction.registry.credentials import Credentials, CredentialStore

REG = "reg.example.com"
URL = f"https://{REG}/v2/app/manifests/1"
SCOPE = pull_scope("app")
REALM = "https://auth.example.com/token"
CHALLENGE = f'Bearer realm="{REALM}",service="{REG}",scope="{SCOPE}"'
ALICE = Credentials("alice", "s3cret")
ALICE_BASIC = "Basic " + base64.b64encode(b"alice:s3cret").decode()
ANON_PARAMS = (("service", REG), ("scope", SCOPE))

Step = tuple[Any, ...]
Script = Sequence[tuple[Step, Reply]]


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def flows(creds: Credentials | None = None, *, clock: FakeClock | None = None) -> AuthFlow:
    return AuthFlow(
        CredentialStore(explicit=creds, primary_registry=REG), clock=clock or FakeClock()
    )


def describe(step: Attempt | TokenRequest) -> Step:
    """A step as a comparable tuple: what is sent, and with which Authorization."""
    if isinstance(step, Attempt):
        return ("send", step.headers.get("Authorization"))
    return ("token", step.url, step.params, step.headers.get("Authorization"))


def play(flow: Generator[Any, Reply, Any], script: Script) -> Any:
    """Run ``flow`` through ``script``; returns what the flow returned."""
    seen: list[Step] = []
    result = None
    try:
        step = next(flow)
        for _expected, reply in script:
            seen.append(describe(step))
            step = flow.send(reply)
        seen.append(describe(step))  # a step the script did not expect
    except StopIteration as stop:
        result = stop.value
    assert seen == [expected for expected, _reply in script]
    return result


def answer(**doc: object) -> Reply:
    return Reply(200, body=json.dumps(doc).encode())


def unauthorized(challenge: str | None = CHALLENGE) -> Reply:
    return Reply(401, www_authenticate=challenge)


OK = Reply(200)
TOKEN = answer(token="tok-0123456789abcdef")


@pytest.mark.parametrize(
    ("creds", "script"),
    [
        pytest.param(
            None,
            [
                (("send", None), unauthorized()),
                (("token", REALM, ANON_PARAMS, None), TOKEN),
                (("send", "Bearer tok-0123456789abcdef"), OK),
            ],
            id="bearer-anonymous",
        ),
        pytest.param(
            ALICE,
            [
                (("send", None), unauthorized()),
                (("token", REALM, ANON_PARAMS, ALICE_BASIC), TOKEN),
                (("send", "Bearer tok-0123456789abcdef"), OK),
            ],
            id="bearer-credentials-go-to-the-realm-only",
        ),
        pytest.param(
            None,
            [
                (("send", None), unauthorized(f'Bearer realm="{REALM}"')),
                (("token", REALM, (("scope", SCOPE),), None), TOKEN),
                (("send", "Bearer tok-0123456789abcdef"), OK),
            ],
            id="bearer-without-service",
        ),
        pytest.param(
            None,
            [
                (
                    ("send", None),
                    unauthorized(f'Bearer realm="{REALM}",scope="repository:App:pull {SCOPE}"'),
                ),
                (
                    ("token", REALM, (("scope", SCOPE), ("scope", "repository:App:pull")), None),
                    TOKEN,
                ),
                (("send", "Bearer tok-0123456789abcdef"), OK),
            ],
            id="bearer-asks-our-scope-and-its-own",
        ),
        pytest.param(
            None,
            [
                (("send", None), unauthorized()),
                (("token", REALM, ANON_PARAMS, None), TOKEN),
                (("send", "Bearer tok-0123456789abcdef"), unauthorized()),
            ],
            id="second-401-is-final",
        ),
        pytest.param(
            ALICE,
            [
                (("send", None), unauthorized('Basic realm="registry"')),
                (("send", ALICE_BASIC), OK),
            ],
            id="basic",
        ),
        pytest.param(
            ALICE,
            [
                (("send", None), unauthorized('Basic realm="registry"')),
                (("send", ALICE_BASIC), unauthorized('Basic realm="registry"')),
            ],
            id="basic-refused-is-final",
        ),
        pytest.param(
            None,
            [(("send", None), unauthorized('Basic realm="registry"'))],
            id="basic-without-credentials-no-retry",
        ),
        pytest.param(None, [(("send", None), unauthorized(None))], id="401-without-challenge"),
        pytest.param(
            None,
            [(("send", None), unauthorized("Negotiate"))],
            id="unknown-scheme-no-retry",
        ),
        pytest.param(None, [(("send", None), OK)], id="open-registry"),
        pytest.param(
            None,
            [(("send", None), Reply(404))],
            id="not-a-401-is-the-callers",
        ),
    ],
)
def test_request_flow(creds: Credentials | None, script: Script) -> None:
    assert play(flows(creds).request(REG, SCOPE, URL), script) is None


def test_docker_hub_first_request_carries_a_token() -> None:
    hub_params = (("service", "registry.docker.io"), ("scope", pull_scope("library/node")))
    url = "https://registry-1.docker.io/v2/library/node/manifests/20"
    script = [
        (("token", DOCKER_HUB_REALM, hub_params, None), TOKEN),
        (("send", "Bearer tok-0123456789abcdef"), OK),
    ]
    play(flows().request("docker.io", pull_scope("library/node"), url), script)


def test_a_token_is_cached_and_the_realm_remembered() -> None:
    auth = flows()
    play(
        auth.request(REG, SCOPE, URL),
        [
            (("send", None), unauthorized()),
            (("token", REALM, ANON_PARAMS, None), TOKEN),
            (("send", "Bearer tok-0123456789abcdef"), OK),
        ],
    )
    # the same scope: the cached token, no token request
    assert play(auth.upfront(REG, SCOPE, URL), []) == {
        "Authorization": "Bearer tok-0123456789abcdef"
    }
    # another repository: the realm is known, so a token before the first request
    other = pull_scope("other")
    params = (("service", REG), ("scope", other))
    script = [(("token", REALM, params, None), answer(token="tok-2-0123456789abcdef"))]
    assert play(auth.upfront(REG, other, URL), script) == {
        "Authorization": "Bearer tok-2-0123456789abcdef"
    }


def test_insufficient_scope_after_a_token_is_final() -> None:
    auth = flows()
    challenge = unauthorized(CHALLENGE + ',error="insufficient_scope"')
    script = [
        (("send", None), challenge),
        (("token", REALM, ANON_PARAMS, None), TOKEN),
        (("send", "Bearer tok-0123456789abcdef"), OK),
    ]
    play(auth.request(REG, SCOPE, URL), script)
    # the token now sent is refused for its scope: another one would be too
    play(auth.request(REG, SCOPE, URL), [(("send", "Bearer tok-0123456789abcdef"), challenge)])
    # and the refused token is forgotten: the next request asks for a new one
    script = [(("token", REALM, ANON_PARAMS, None), TOKEN)]
    assert play(auth.upfront(REG, SCOPE, URL), script) == {
        "Authorization": "Bearer tok-0123456789abcdef"
    }


@pytest.mark.parametrize(
    ("realm", "creds", "expected"),
    [
        ("http://auth.example.com/token", ALICE, "refused"),
        ("http://auth.example.com/token", None, "sent"),
        ("http://127.0.0.1:5001/token", ALICE, "sent"),
        ("https://auth.example.com/token", ALICE, "sent"),
    ],
    ids=["plain-http-credentials", "plain-http-anonymous", "loopback", "https"],
)
def test_credentials_never_go_to_a_plain_http_realm(
    realm: str, creds: Credentials | None, expected: str
) -> None:
    flow = flows(creds).challenge(REG, SCOPE, URL, f'Bearer realm="{realm}"')
    if expected == "refused":
        with pytest.raises(Unauthorized, match="plain HTTP") as info:
            next(flow)
        assert ALICE.password not in str(info.value)
    else:
        request = next(flow)
        assert isinstance(request, TokenRequest) and request.url == realm
        assert ("Authorization" in request.headers) == (creds is not None)


def test_insecure_registry_may_send_credentials_to_a_plain_http_realm() -> None:
    auth = AuthFlow(
        CredentialStore(explicit=ALICE, primary_registry=REG), insecure_registries=frozenset({REG})
    )
    request = next(auth.challenge(REG, SCOPE, URL, 'Bearer realm="http://auth.internal/t"'))
    assert isinstance(request, TokenRequest)
    assert request.headers["Authorization"] == ALICE_BASIC


@pytest.mark.parametrize(
    ("challenge", "error"),
    [
        ('Bearer service="x"', "no realm"),
        ('Bearer realm="ftp://auth.example.com/token"', "not an HTTP"),
        ('Bearer realm="/token"', "not an HTTP"),
    ],
)
def test_a_broken_bearer_challenge(challenge: str, error: str) -> None:
    with pytest.raises(RegistryError, match=error):
        next(flows().challenge(REG, SCOPE, URL, challenge))


@pytest.mark.parametrize(
    ("creds", "status", "who"),
    [(ALICE, 401, "user 'alice'"), (None, 401, "anonymous access"), (ALICE, 403, "user 'alice'")],
)
def test_a_refusing_token_service(creds: Credentials | None, status: int, who: str) -> None:
    flow = flows(creds).challenge(REG, SCOPE, URL, CHALLENGE)
    next(flow)
    with pytest.raises(Unauthorized) as info:
        flow.send(Reply(status))
    assert who in str(info.value) and f"({status})" in str(info.value)


@pytest.mark.parametrize(
    ("doc", "token", "lifetime"),
    [
        ({"token": "t-0123456789abcdef", "expires_in": 300}, "t-0123456789abcdef", 300.0),
        ({"access_token": "a-0123456789abcdef", "expires_in": 300}, "a-0123456789abcdef", 300.0),
        (
            {"token": "t-0123456789abcdef", "access_token": "a-0123456789abcdef"},
            "t-0123456789abcdef",
            DEFAULT_TOKEN_LIFETIME,
        ),
        (
            {"token": "", "access_token": "a-0123456789abcdef"},
            "a-0123456789abcdef",
            DEFAULT_TOKEN_LIFETIME,
        ),
        ({"token": "t-0123456789abcdef", "expires_in": 1.5}, "t-0123456789abcdef", 1.5),
        ({"token": "t-0123456789abcdef"}, "t-0123456789abcdef", DEFAULT_TOKEN_LIFETIME),
        (
            {"token": "t-0123456789abcdef", "expires_in": 0},
            "t-0123456789abcdef",
            DEFAULT_TOKEN_LIFETIME,
        ),
        (
            {"token": "t-0123456789abcdef", "expires_in": -5},
            "t-0123456789abcdef",
            DEFAULT_TOKEN_LIFETIME,
        ),
        (
            {"token": "t-0123456789abcdef", "expires_in": True},
            "t-0123456789abcdef",
            DEFAULT_TOKEN_LIFETIME,
        ),
        (
            {"token": "t-0123456789abcdef", "expires_in": "300"},
            "t-0123456789abcdef",
            DEFAULT_TOKEN_LIFETIME,
        ),
    ],
)
def test_token_answers(doc: dict[str, object], token: str, lifetime: float) -> None:
    assert parse_token_answer(json.dumps(doc).encode(), "token") == (token, lifetime)


@pytest.mark.parametrize(
    ("body", "error"),
    [
        (b"<html>", "not JSON"),
        (b"\xff", "not JSON"),
        (b'["t"]', "not a JSON object"),
        (b"{}", "no `token`"),
        (b'{"token": ""}', "no `token`"),
        (b'{"token": 5}', "no `token`"),
        (b'{"access_token": ["t"]}', "no `token`"),
    ],
)
def test_bad_token_answers(body: bytes, error: str) -> None:
    with pytest.raises(RegistryError, match=error):
        parse_token_answer(body, "token")


@pytest.mark.parametrize(
    ("expires_in", "fresh_at", "stale_at"),
    [(300, 294.0, 296.0), (None, 54.0, 56.0), (3, None, 0.0)],
    ids=["expires_in", "default-sixty-seconds", "shorter-than-the-margin"],
)
def test_a_token_is_renewed_before_it_expires(
    expires_in: int | None, fresh_at: float | None, stale_at: float
) -> None:
    clock = FakeClock()
    auth = flows(clock=clock)
    doc: dict[str, object] = {"token": "tok-0123456789abcdef"}
    if expires_in is not None:
        doc["expires_in"] = expires_in
    flow = auth.challenge(REG, SCOPE, URL, CHALLENGE)
    next(flow)
    with pytest.raises(StopIteration):
        flow.send(answer(**doc))
    start = clock.now
    if fresh_at is not None:
        clock.now = start + fresh_at
        assert play(auth.upfront(REG, SCOPE, URL), []) == {
            "Authorization": "Bearer tok-0123456789abcdef"
        }
    clock.now = start + stale_at
    play(auth.upfront(REG, SCOPE, URL), [(("token", REALM, ANON_PARAMS, None), TOKEN)])


def test_every_token_is_told_as_a_secret() -> None:
    told: list[str] = []
    auth = AuthFlow(on_secret=told.append)
    flow = auth.challenge(REG, SCOPE, URL, CHALLENGE)
    next(flow)
    with pytest.raises(StopIteration):
        flow.send(answer(access_token="secret-token-0123456789"))
    assert told == ["secret-token-0123456789"]


def test_steps_never_show_their_secrets() -> None:
    request = next(flows(ALICE).challenge(REG, SCOPE, URL, CHALLENGE))
    attempt = Attempt({"Authorization": "Bearer secret-token-0123456789"})
    for shown in (repr(request), repr(attempt)):
        assert "Basic" not in shown and "secret-token-0123456789" not in shown
