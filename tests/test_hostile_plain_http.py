"""Hostile registries that point hubaction at plain HTTP: no credentials ever go there.

An HTTPS registry cannot be served on loopback under its own name (loopback speaks plain HTTP
by design), so each origin here (``https://registry.test``, ``http://registry.test``, the token
service, another host) is a :class:`~fakes.transport.HandlerAdapter` with its own request log,
and a catch-all logs whatever goes anywhere else. Each scenario checks those logs: refused means
nothing reached the plain-HTTP origin, and no request anywhere carried an Authorization over
plain HTTP.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import pytest
import requests
from fakes.reqresp import Pair, Table, pair
from fakes.server import Exchange, FakeServer, Handler, Request, Response
from fakes.transport import HandlerAdapter

from hubaction.dockerhub.client import HubClient
from hubaction.errors import Kind, RegistryError, Service, Unauthorized
from hubaction.oci.reference import parse_reference
from hubaction.oci.token import pull_scope
from hubaction.registry.auth import RegistryAuth, TokenRequest
from hubaction.registry.client import RegistryClient, open_client
from hubaction.registry.credentials import Credentials, CredentialStore
from hubaction.registry.transport import new_session, refuse_plain_http_credentials

REGISTRY = "registry.test"
REF = parse_reference(f"{REGISTRY}/app", default_tag=None)
REF1 = REF.with_tag("1")
ALICE = Credentials("alice", "s3cret-Passw0rd")
BASIC = "Basic " + base64.b64encode(b"alice:s3cret-Passw0rd").decode()
TOKEN = "eyJhbGciOiJFUzI1NiJ9.registry-token.c2lnbmF0dXJl"
BEARER = f"Bearer {TOKEN}"
REALM = "https://auth.test/token"
TAGS = "/v2/app/tags/list"
DIGEST = "sha256:" + "ab" * 32

# Every origin a scenario may name; anything else lands in the catch-all.
ORIGINS = (
    "https://registry.test",
    "http://registry.test",
    "https://registry.test:8443",
    "https://other.test",
    "https://auth.test",
    "http://auth.test",
    "http://hub.test",
)


@dataclass
class Net:
    """The fake network: a session whose every origin answers from a table, and the logs."""

    session: requests.Session
    adapters: dict[str, HandlerAdapter]
    elsewhere: HandlerAdapter

    def log(self, origin: str) -> list[Exchange]:
        return self.adapters[origin].exchanges

    def every(self) -> Iterator[tuple[str, Exchange]]:
        for origin, adapter in [*self.adapters.items(), ("elsewhere", self.elsewhere)]:
            for exchange in adapter.exchanges:
                yield origin, exchange

    def assert_nothing_authorized_over_plain_http(self) -> None:
        # The catch-all counts as plain HTTP: nothing unplanned may carry credentials.
        leaks = [
            (origin, e.request.target)
            for origin, e in self.every()
            if not origin.startswith("https://") and e.request.header("Authorization")
        ]
        assert leaks == []


@pytest.fixture
def net() -> Callable[..., Net]:
    def build(**tables: Sequence[Pair]) -> Net:
        """``build(https_registry=[...], http_auth=[...])``: a table per origin, named
        like ``https://registry.test:8443`` -> ``https_registry_8443``; others answer 404."""
        session = new_session()
        elsewhere = HandlerAdapter(Table([]))
        session.mount("http://", elsewhere)
        session.mount("https://", elsewhere)
        adapters: dict[str, HandlerAdapter] = {}
        for origin in ORIGINS:
            key = origin.replace("://", "_").replace(".test", "").replace(":", "_")
            adapters[origin] = HandlerAdapter(Table(tables.pop(key, [])))
            session.mount(origin + "/", adapters[origin])
        # The default port spelt out is the same origin.
        session.mount("https://registry.test:443/", adapters["https://registry.test"])
        assert not tables, f"unknown origins {sorted(tables)}"
        return Net(session, adapters, elsewhere)

    return build


def token_service() -> list[Pair]:
    return [pair("GET", "/token", json_body={"token": TOKEN, "expires_in": 300})]


def authorized(answer: Pair, authorization: str = BEARER) -> Pair:
    """``answer``, only for a request that carries ``authorization``."""
    return replace(answer, expect=replace(answer.expect, headers={"Authorization": authorization}))


def bearer_protected(*answers: Pair, realm: str = REALM) -> list[Pair]:
    """``answers`` (in order) for a request with the token; a 401 challenge for any other."""
    challenge = {"WWW-Authenticate": f'Bearer realm="{realm}",service="{REGISTRY}"'}
    return [
        *(authorized(answer) for answer in answers),
        pair("GET", TAGS, status=401, headers=challenge, name="challenge GET"),
        pair("HEAD", "/v2/app/manifests/1", status=401, headers=challenge, name="challenge HEAD"),
    ]


def tags_page(tags: list[str], link: str | None = None, name: str = "page") -> Pair:
    headers = {"Link": link} if link else {}
    return pair("GET", TAGS, json_body={"name": "app", "tags": tags}, headers=headers, name=name)


def client(
    net: Net, creds: Credentials | None = None, *, insecure: frozenset[str] = frozenset()
) -> RegistryClient:
    store = CredentialStore(explicit=creds, primary_registry=REGISTRY) if creds else None
    return open_client(store, session=net.session, insecure_registries=insecure)


# -- Link: rel="next" --------------------------------------------------------------------


@pytest.mark.parametrize("creds", [None, ALICE], ids=["anonymous-token", "credentials-token"])
def test_a_next_page_on_plain_http_is_refused_and_never_sent(
    net: Callable[..., Net], creds: Credentials | None
) -> None:
    world = net(
        https_registry=bearer_protected(
            tags_page(["a"], '<http://registry.test/v2/app/tags/list?last=a>; rel="next"')
        ),
        http_registry=[tags_page(["b"])],
        https_auth=token_service(),
    )
    with pytest.raises(RegistryError, match=r"next page .* is on http, not https") as info:
        client(world, creds).list_tags(REF)
    assert info.value.kind is Kind.OTHER
    assert world.log("http://registry.test") == []
    # The token was fetched and sent, to the HTTPS origin only.
    https = [e.request.header("Authorization") for e in world.log("https://registry.test")]
    assert https == ["", BEARER]
    world.assert_nothing_authorized_over_plain_http()


def test_a_basic_registry_next_page_on_plain_http_is_refused(net: Callable[..., Net]) -> None:
    page = tags_page(["a"], '<http://registry.test/v2/app/tags/list?last=a>; rel="next"')
    world = net(
        https_registry=[
            authorized(page, BASIC),
            pair("GET", TAGS, status=401, headers={"WWW-Authenticate": 'Basic realm="r"'}),
        ],
        http_registry=[tags_page(["b"])],
    )
    with pytest.raises(RegistryError, match="is on http"):
        client(world, ALICE).list_tags(REF)
    assert world.log("http://registry.test") == []
    world.assert_nothing_authorized_over_plain_http()


@pytest.mark.parametrize(
    "link",
    [
        "ftp://registry.test/v2/app/tags/list?last=a",
        # Long, but under the Link header bound (oci.challenge.MAX_HEADER_CHARS), so the next-page
        # rule is what refuses it; a longer one is refused as a header (test_hostile_headers.py).
        "http://registry.test/v2/app/tags/list?last=" + "a" * 10_000,
    ],
    ids=["another-scheme", "huge-url"],
)
def test_a_refused_next_page_is_quoted_briefly(net: Callable[..., Net], link: str) -> None:
    world = net(
        https_registry=bearer_protected(tags_page(["a"], f'<{link}>; rel="next"')),
        https_auth=token_service(),
    )
    with pytest.raises(RegistryError, match=r"next page .* not https") as info:
        client(world).list_tags(REF)
    assert len(str(info.value)) < 500
    assert world.elsewhere.exchanges == []
    assert len(world.log("https://registry.test")) == 2


@pytest.mark.parametrize(
    ("link", "target"),
    [
        ("https://other.test/v2/app/tags/list?last=a", "https://other.test"),
        ("https://registry.test:8443/v2/app/tags/list?last=a", "https://registry.test:8443"),
    ],
    ids=["another-host", "another-port"],
)
def test_a_next_page_on_another_origin_is_refused(
    net: Callable[..., Net], link: str, target: str
) -> None:
    world = net(
        https_registry=bearer_protected(tags_page(["a"], f'<{link}>; rel="next"')),
        https_auth=token_service(),
        https_other=[tags_page(["b"])],
        https_registry_8443=[tags_page(["b"])],
    )
    with pytest.raises(RegistryError, match="another host"):
        client(world).list_tags(REF)
    assert world.log(target) == []
    assert world.elsewhere.exchanges == []


@pytest.mark.parametrize(
    "link",
    [
        "/v2/app/tags/list?last=a",
        "https://registry.test/v2/app/tags/list?last=a",
        "https://REGISTRY.test:443/v2/app/tags/list?last=a",
    ],
    ids=["relative", "absolute", "default-port-spelt-out"],
)
def test_a_next_page_on_the_same_origin_is_followed_with_the_token(
    net: Callable[..., Net], link: str
) -> None:
    # The second page first: the first page's pair would answer its request too.
    second = pair(
        "GET",
        TAGS,
        query={"last": "a"},
        json_body={"name": "app", "tags": ["b"]},
        name="second",
    )
    first = tags_page(["a"], f'<{link}>; rel="next"', name="first")
    world = net(https_registry=bearer_protected(second, first), https_auth=token_service())
    assert client(world).list_tags(REF) == ["a", "b"]
    answered = [e.request.notes["pair"] for e in world.log("https://registry.test")]
    assert answered == ["challenge GET", "first", "second"]
    assert world.log("https://registry.test")[-1].request.header("Authorization") == BEARER
    assert world.elsewhere.exchanges == []


# -- redirects -----------------------------------------------------------------------------


def redirecting_head(location: str) -> Pair:
    return pair("HEAD", "/v2/app/manifests/1", status=307, headers={"Location": location})


def test_a_redirect_from_https_to_plain_http_is_refused(net: Callable[..., Net]) -> None:
    world = net(
        https_registry=bearer_protected(redirecting_head("http://registry.test/v2/app/m")),
        http_registry=[pair("HEAD", "/v2/app/m", headers={"Docker-Content-Digest": DIGEST})],
        https_auth=token_service(),
    )
    with pytest.raises(RegistryError, match="redirected from HTTPS to plain HTTP"):
        client(world, ALICE).head_manifest(REF1)
    assert world.log("http://registry.test") == []
    world.assert_nothing_authorized_over_plain_http()


def test_a_redirect_to_another_host_goes_there_without_the_token(net: Callable[..., Net]) -> None:
    world = net(
        https_registry=bearer_protected(redirecting_head("https://other.test/m")),
        https_other=[pair("HEAD", "/m", headers={"Docker-Content-Digest": DIGEST})],
        https_auth=token_service(),
    )
    head = client(world, ALICE).head_manifest(REF1)
    assert str(head.digest) == DIGEST
    [hop] = world.log("https://other.test")
    assert hop.request.header("Authorization") == ""


# -- token realms ----------------------------------------------------------------------------


def test_a_plain_http_realm_gets_no_credentials(net: Callable[..., Net]) -> None:
    world = net(
        https_registry=bearer_protected(realm="http://auth.test/token"),
        http_auth=token_service(),
    )
    with pytest.raises(Unauthorized, match="speaks plain HTTP") as info:
        client(world, ALICE).head_manifest(REF1)
    assert (info.value.kind, info.value.service) == (Kind.OTHER, Service.REALM)
    assert world.log("http://auth.test") == []
    world.assert_nothing_authorized_over_plain_http()


def test_a_plain_http_realm_is_asked_anonymously_without_credentials(
    net: Callable[..., Net],
) -> None:
    world = net(
        https_registry=bearer_protected(
            pair("HEAD", "/v2/app/manifests/1", headers={"Docker-Content-Digest": DIGEST}),
            realm="http://auth.test/token",
        ),
        http_auth=token_service(),
    )
    assert str(client(world).head_manifest(REF1).digest) == DIGEST
    assert len(world.log("http://auth.test")) == 1
    world.assert_nothing_authorized_over_plain_http()


# -- the one check before the wire -----------------------------------------------------------


def _cached_token_client(world: Net, insecure: frozenset[str] = frozenset()) -> RegistryClient:
    """A client that holds the registry's token (one tag list read over HTTPS)."""
    c = client(world, ALICE, insecure=insecure)
    assert c.list_tags(REF) == ["a"]
    return c


def _plain_http_tags(c: RegistryClient) -> None:
    url = f"http://{REGISTRY}{TAGS}"
    with c.request("GET", REF, "tags/list", what=f"tags of {REF.name}", url=url):
        pass


def test_the_registry_sender_refuses_a_token_over_plain_http(net: Callable[..., Net]) -> None:
    world = net(
        https_registry=bearer_protected(tags_page(["a"])),
        http_registry=[tags_page(["b"])],
        https_auth=token_service(),
    )
    c = _cached_token_client(world)
    with pytest.raises(RegistryError, match="refusing to send credentials over plain HTTP") as e:
        _plain_http_tags(c)
    assert (e.value.service, e.value.registry) == (Service.REGISTRY, REGISTRY)
    assert world.log("http://registry.test") == []


def test_an_insecure_registry_may_take_its_token_over_plain_http(
    net: Callable[..., Net],
) -> None:
    world = net(
        https_registry=bearer_protected(tags_page(["a"])),
        http_registry=[tags_page(["b"])],
        https_auth=token_service(),
    )
    c = _cached_token_client(world, frozenset({REGISTRY}))
    _plain_http_tags(c)
    [sent] = world.log("http://registry.test")
    assert sent.request.header("Authorization") == BEARER  # `insecure` opted in


def test_the_token_sender_refuses_basic_over_plain_http(net: Callable[..., Net]) -> None:
    world = net(http_auth=token_service())
    auth = RegistryAuth(world.session)
    request = TokenRequest(
        REGISTRY, pull_scope("app"), "http://auth.test/token", (), {"Authorization": BASIC}
    )
    with pytest.raises(RegistryError, match="refusing to send credentials") as info:
        auth.fetch(request)
    assert info.value.service is Service.REALM
    assert world.log("http://auth.test") == []
    assert auth.token_requests == 0


@pytest.mark.parametrize(
    ("authorization", "body"),
    [("Bearer hub-token", None), (None, {"identifier": "alice", "secret": "pw"})],
    ids=["authorization", "login-body"],
)
def test_the_hub_sender_refuses_credentials_over_plain_http(
    net: Callable[..., Net], authorization: str | None, body: dict[str, str] | None
) -> None:
    world = net(http_hub=[pair("GET", "/v2/x", json_body={}), pair("POST", "/v2/x")])
    hub = HubClient(world.session, hub_url="http://hub.test")
    method = "POST" if body else "GET"
    with pytest.raises(RegistryError, match="refusing to send credentials") as info:
        hub._send(method, "/v2/x", what="Docker Hub call", authorization=authorization, body=body)
    assert info.value.service is Service.HUB_API
    assert world.log("http://hub.test") == []


@pytest.mark.parametrize(
    ("url", "headers", "insecure", "refused"),
    [
        ("http://registry.test/v2/", {"Authorization": BEARER}, False, True),
        ("http://registry.test/v2/", {"authorization": BASIC}, False, True),
        ("HTTP://registry.test/v2/", {"Authorization": BEARER}, False, True),
        ("http://registry.test/v2/", {"Authorization": BEARER}, True, False),
        ("http://registry.test/v2/", {"Accept": "*/*"}, False, False),
        ("https://registry.test/v2/", {"Authorization": BEARER}, False, False),
        ("http://127.0.0.1:5000/v2/", {"Authorization": BEARER}, False, False),
        ("http://[::1]:5000/v2/", {"Authorization": BEARER}, False, False),
        ("http://localhost:5000/v2/", {"Authorization": BEARER}, False, False),
        ("http://127.0.0.1.evil.test/v2/", {"Authorization": BEARER}, False, True),
    ],
)
def test_refuse_plain_http_credentials(
    url: str, headers: dict[str, str], insecure: bool, refused: bool
) -> None:
    def check() -> None:
        refuse_plain_http_credentials(url, headers, insecure=insecure, what="a request")

    if refused:
        with pytest.raises(RegistryError, match="refusing") as info:
            check()
        assert TOKEN not in str(info.value)
    else:
        check()


def test_loopback_plain_http_gets_credentials(serve: Callable[[Handler], FakeServer]) -> None:
    def registry(request: Request) -> Response:
        if request.header("Authorization") != BASIC:
            return Response(401, (("WWW-Authenticate", 'Basic realm="r"'),))
        return Response(200, (("Docker-Content-Digest", DIGEST),))

    server = serve(registry)
    ref = parse_reference(f"{server.host}/app:1")
    store = CredentialStore(explicit=ALICE, primary_registry=server.host)
    assert str(open_client(store).head_manifest(ref).digest) == DIGEST
    assert [e.request.header("Authorization") for e in server.exchanges] == ["", BASIC]


# -- digest-only: what a HEAD's digest may be ------------------------------------------------


@pytest.mark.parametrize(
    ("digest", "accepted"),
    [
        (DIGEST, True),
        ("sha512:" + "cd" * 64, True),
        ("md5:" + "ef" * 16, False),
        ("sha384:" + "01" * 48, False),
        ("blake3:" + "23" * 32, False),
    ],
    ids=["sha256", "sha512", "md5", "sha384", "blake3"],
)
def test_a_head_digest_only_in_an_algorithm_hubaction_verifies(
    net: Callable[..., Net], digest: str, accepted: bool
) -> None:
    head = pair("HEAD", "/v2/app/manifests/1", headers={"Docker-Content-Digest": digest})
    world = net(https_registry=[head])
    c = client(world)
    if accepted:
        assert str(c.head_manifest(REF1).digest) == digest
    else:
        with pytest.raises(RegistryError, match="verifies only sha256 and sha512") as info:
            c.head_manifest(REF1)
        assert info.value.kind is Kind.OTHER
    # One HEAD: an unverifiable digest is not "no digest", so no GET to hash the body either.
    assert [e.request.method for e in world.log("https://registry.test")] == ["HEAD"]


# -- ~/.netrc ---------------------------------------------------------------------------------


def test_netrc_credentials_are_never_added(
    net: Callable[..., Net], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # requests would add a netrc entry to every request without its own Authorization, and
    # again after each redirect (a `default` entry matches any host).
    netrc = tmp_path / "netrc"
    netrc.write_text("default login mallory password netrc-secret\n")
    netrc.chmod(0o600)
    monkeypatch.setenv("NETRC", str(netrc))
    world = net(
        http_hub=[
            pair("GET", "/v2/first", status=302, headers={"Location": "/v2/second"}),
            pair("GET", "/v2/second", json_body={}),
        ],
        https_registry=[
            pair("HEAD", "/v2/app/manifests/1", headers={"Docker-Content-Digest": DIGEST})
        ],
    )
    assert str(client(world).head_manifest(REF1).digest) == DIGEST
    hub = HubClient(world.session, hub_url="http://hub.test")
    hub._send("GET", "/v2/first", what="a Hub listing").close()
    sent = [e.request for _origin, e in world.every()]
    assert [r.target for r in sent] == ["/v2/app/manifests/1", "/v2/first", "/v2/second"]
    assert [r.header("Authorization") for r in sent] == ["", "", ""]
