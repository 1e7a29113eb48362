"""Tests for dockerhub.client: redirects are followed by hand, only within ``hub-url``'s
scheme, host and port, never for a login (issue 13 §4); the legacy login's pending
``login_2fa_token`` must be a plausible token to be masked (issue 13 §3).

Against ``tests/fakes/hubserver.py`` on loopback; the other origin is a second fake server.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
import requests_mock
from fakes.hubserver import HUB_PASSWORD, HUB_USER, NAMESPACE, HubServer
from fakes.server import FakeServer, Handler, Request, Response
from hubmock import HUB, PASSWORD, mock_client

from hubaction.dockerhub.client import MAX_REDIRECTS, HubClient
from hubaction.errors import RegistryError, Service, Unauthorized, describe
from hubaction.registry.credentials import Credentials
from hubaction.registry.transport import new_session

REPOS = f"/v2/namespaces/{NAMESPACE}/repositories"


@pytest.fixture
def hub() -> Iterator[HubServer]:
    with HubServer() as server:
        yield server


def client(hub: HubServer, creds: Credentials | None = None) -> HubClient:
    return HubClient(new_session(retry_budget=5), hub_url=hub.url, credentials=creds)


def listing_authorizations(hub: HubServer) -> list[str]:
    return [
        r.header("Authorization") for r in (e.request for e in hub.exchanges) if r.method == "GET"
    ]


def test_a_redirect_within_hub_url_is_followed_with_the_token(hub: HubServer) -> None:
    expected = client(hub).repositories(NAMESPACE)  # public ones, no redirect
    # As Django's APPEND_SLASH: to the same path with a '/', on the same origin, absolute
    hub.redirects[REPOS] = f"{hub.url}{REPOS}/"
    hub.reset_log()
    listed = client(hub, Credentials(HUB_USER, HUB_PASSWORD)).repositories(NAMESPACE)
    assert {r.name for r in expected} <= {r.name for r in listed}
    gets = [e.request for e in hub.exchanges if e.request.method == "GET"]
    assert [r.path for r in gets[:2]] == [REPOS, REPOS + "/"]
    # the token went along on every hop, as all were on hub-url's origin
    assert {r.header("Authorization") for r in gets} == {gets[0].header("Authorization")}
    assert gets[0].header("Authorization").startswith("Bearer ")


def test_a_relative_redirect_is_followed(hub: HubServer) -> None:
    hub.redirects[REPOS] = "repositories/"  # relative to the request's URL
    listed = client(hub).repositories(NAMESPACE)
    assert listed
    assert REPOS + "/" in {e.request.path for e in hub.exchanges}


def test_a_redirect_to_another_origin_is_refused_and_not_followed(
    hub: HubServer, serve: Callable[[Handler], FakeServer]
) -> None:
    elsewhere = serve(lambda _request: Response.json(200, {"count": 0, "results": []}))
    # localhost and 127.0.0.1 are another host; the same host on another port is another origin
    for target in (f"{elsewhere.url}{REPOS}", f"http://localhost:{hub.port}{REPOS}"):
        hub.redirects[f"{REPOS}/"] = target
        hub.redirects[REPOS] = target
        with pytest.raises(RegistryError) as info:
            client(hub, Credentials(HUB_USER, HUB_PASSWORD)).repositories(NAMESPACE)
        message = describe(info.value)
        assert "redirected (302)" in message and "hub-url" in message
        assert (info.value.service, info.value.status) == (Service.HUB_API, 302)
    assert elsewhere.exchanges == []


def test_a_redirect_loop_ends_in_one_error(hub: HubServer) -> None:
    hub.redirects[REPOS] = REPOS + "/a"
    hub.redirects[REPOS + "/a"] = REPOS
    with pytest.raises(RegistryError) as info:
        client(hub).repositories(NAMESPACE)
    assert f"more than {MAX_REDIRECTS} redirects" in describe(info.value)
    assert len(hub.exchanges) == MAX_REDIRECTS + 1


def test_a_redirected_login_is_never_followed(
    hub: HubServer, serve: Callable[[Handler], FakeServer]
) -> None:
    seen: list[Request] = []

    def steal(request: Request) -> Response:
        seen.append(request)
        return Response.json(200, {"access_token": "x" * 40})

    elsewhere = serve(steal)
    hub.redirects["/v2/auth/token"] = f"{elsewhere.url}/v2/auth/token"
    with pytest.raises(RegistryError) as info:
        client(hub, Credentials(HUB_USER, HUB_PASSWORD)).repositories(NAMESPACE)
    assert "redirect (302) to the login" in describe(info.value)
    assert seen == []
    assert HUB_PASSWORD not in describe(info.value)


# -- the legacy login's pending second-factor token -----------------------------------------

TWOFA_BODY = {"detail": "Require secondary authentication on MFA enabled account"}


IMPLAUSIBLE_2FA = {
    "pipe": "|",
    "algorithm": "sha256",
    "short": "short",
    "spaces": "a b c d e f g h i j k l m",
    "control": "x\x1b[31m" + "y" * 20,
    # long, with a character no token has (and inside the 64 KiB of an error body read)
    "60-kB": "x" * 60_000 + "|",
}


@pytest.mark.parametrize("pending", IMPLAUSIBLE_2FA.values(), ids=list(IMPLAUSIBLE_2FA))
def test_an_implausible_2fa_token_is_a_registry_error_never_masked(pending: str) -> None:
    fake = requests_mock.Adapter()
    fake.register_uri("POST", f"{HUB}/v2/auth/token", status_code=404)
    body = {**TWOFA_BODY, "login_2fa_token": pending}
    fake.register_uri("POST", f"{HUB}/v2/users/login", status_code=401, json=body)
    secrets: list[str] = []
    hubclient = mock_client(fake, Credentials("hubuser", PASSWORD), secrets=secrets)
    with pytest.raises(RegistryError) as info:
        hubclient.repositories("acme")
    assert not isinstance(info.value, Unauthorized)
    message = describe(info.value)
    assert "no plausible token" in message and "login_2fa_token" in message
    assert (info.value.service, info.value.status) == (Service.HUB_LOGIN, 401)
    assert secrets == []
    if len(pending) > 8:
        assert pending not in message


def test_a_plausible_2fa_token_is_masked_and_the_refusal_says_two_factor() -> None:
    fake = requests_mock.Adapter()
    fake.register_uri("POST", f"{HUB}/v2/auth/token", status_code=404)
    pending = "hub2fa-0123456789abcdef0123"
    body = {**TWOFA_BODY, "login_2fa_token": pending}
    fake.register_uri("POST", f"{HUB}/v2/users/login", status_code=401, json=body)
    secrets: list[str] = []
    hubclient = mock_client(fake, Credentials("hubuser", PASSWORD), secrets=secrets)
    with pytest.raises(Unauthorized) as info:
        hubclient.repositories("acme")
    assert secrets == [pending]
    assert "two-factor" in describe(info.value)
