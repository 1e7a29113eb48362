"""Authentication as each registry people run does it (issue 15, section 3), against the fake
token service (:mod:`fakes.tokenserver`) and a registry behind it (:mod:`fakes.authregistry`).

Registries whose advice is keyed by host (``myacr.azurecr.io``, ECR, ``us-docker.pkg.dev``,
``ghcr.io``, GitLab) are mounted in process under their own names; the rest are served on
loopback, over real sockets.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import requests
from fakes.authregistry import AuthRegistry, digest_of, manifest_body
from fakes.server import FakeServer, Handler, Request, Response
from fakes.tokenserver import TokenRequest, TokenServer
from fakes.transport import HandlerAdapter

from hubaction.errors import Kind, Service, Unauthorized, describe
from hubaction.oci.reference import parse_reference
from hubaction.registry.client import RegistryClient, open_client
from hubaction.registry.credentials import Credentials, CredentialStore, parse_docker_config

ACR = "myacr.azurecr.io"
ACR_NULL_USER = "00000000-0000-0000-0000-000000000000"  # what `az acr login` logs in as
REFRESH_TOKEN = "acr-refresh-token-0123456789abcdef"
ECR = "123456789012.dkr.ecr.us-east-1.amazonaws.com"
GAR = "us-docker.pkg.dev"
GAR_TOKEN = "ya29.a0-fake-access-token-0123456789"
GHCR = "ghcr.io"


@pytest.fixture
def make_token_server(tmp_path: Path) -> Callable[..., TokenServer]:
    """``make_token_server(**options)``: a :class:`TokenServer`, not listening (in process,
    or a registry's own route); anonymous access off unless asked for."""

    def make(**options: object) -> TokenServer:
        options.setdefault("allow_anonymous", False)
        return TokenServer(workdir=tmp_path / "token", **options)  # type: ignore[arg-type]

    return make


@pytest.fixture
def session() -> Iterator[requests.Session]:
    with requests.Session() as http:
        http.trust_env = False  # loopback and in-process adapters only
        yield http


def mount(http: requests.Session, prefix: str, handler: Handler | HandlerAdapter) -> None:
    adapter = handler if isinstance(handler, HandlerAdapter) else HandlerAdapter(handler)
    http.mount(prefix, adapter)


def client(
    http: requests.Session, store: CredentialStore | None, secrets: list[str] | None = None
) -> RegistryClient:
    sink = secrets.append if secrets is not None else (lambda _secret: None)
    return open_client(store, session=http, on_secret=sink)


def explicit(registry: str, user: str, password: str) -> CredentialStore:
    return CredentialStore(explicit=Credentials(user, password), primary_registry=registry)


def manifest_digest(tag: str) -> str:
    return digest_of(manifest_body(tag))


def token_requests(server: TokenServer) -> list[TokenRequest]:
    return server.requests


def basic_user(header: str) -> str:
    scheme, _, value = header.partition(" ")
    assert scheme == "Basic"
    return base64.b64decode(value).decode().partition(":")[0]


# -- Azure ACR: the identitytoken refresh-token exchange -----------------------------------------


def acr_config(entry: dict[str, str]) -> CredentialStore:
    """The credentials of a Docker config as `az acr login` leaves it."""
    return CredentialStore(config=parse_docker_config(json.dumps({"auths": {ACR: entry}})))


def acr(
    http: requests.Session, make_token_server: Callable[..., TokenServer], **options: object
) -> tuple[TokenServer, AuthRegistry]:
    """ACR: its token service is ``https://<registry>/oauth2/token``, service = the host."""
    server = make_token_server(path="/oauth2/token", service=ACR, **options)
    registry = AuthRegistry(server, "team/app", realm=f"https://{ACR}/oauth2/token", service=ACR)
    mount(http, f"https://{ACR}/", registry)
    mount(http, f"https://{ACR}/oauth2/token", server.in_process())  # the longer prefix wins
    return server, registry


NULL_USER_AUTH = base64.b64encode(f"{ACR_NULL_USER}:".encode()).decode()


@pytest.mark.parametrize(
    "entry",
    [
        {"auth": NULL_USER_AUTH, "identitytoken": REFRESH_TOKEN},
        {"identitytoken": REFRESH_TOKEN},
    ],
    ids=["auth-and-identitytoken", "identitytoken-alone"],
)
def test_acr_identitytoken_is_exchanged_by_the_refresh_token_grant(
    session: requests.Session, make_token_server: Callable[..., TokenServer], entry: dict[str, str]
) -> None:
    server, _registry = acr(session, make_token_server, refresh_tokens={REFRESH_TOKEN: "sp"})
    secrets: list[str] = []
    head = client(session, acr_config(entry), secrets).head_manifest(
        parse_reference(f"{ACR}/team/app:1.0")
    )
    assert str(head.digest) == manifest_digest("1.0")
    [grant] = token_requests(server)
    assert (grant.method, grant.path, grant.status, grant.has_auth) == (
        "POST",
        "/oauth2/token",
        200,
        False,  # the refresh token travels in the form, never as Basic
    )
    form = {name: values for name, values in grant.form.items() if name != "client_id"}
    assert form == {
        "grant_type": ["refresh_token"],
        "service": [ACR],
        "scope": ["repository:team/app:pull"],
        "refresh_token": [REFRESH_TOKEN],
    }
    assert grant.form["client_id"] == ["hubaction"]
    assert grant.query == {}  # nothing secret in the URL
    [issued] = server.tokens_issued
    assert secrets == [issued.token]  # the access token is masked


def test_acr_refused_refresh_token_says_how_to_log_in(
    session: requests.Session, make_token_server: Callable[..., TokenServer]
) -> None:
    server, _registry = acr(session, make_token_server, refresh_tokens={"another-token": "sp"})
    entry = {"auth": NULL_USER_AUTH, "identitytoken": REFRESH_TOKEN}
    with pytest.raises(Unauthorized) as info:
        client(session, acr_config(entry)).head_manifest(parse_reference(f"{ACR}/team/app:1.0"))
    assert (info.value.kind, info.value.service) == (Kind.CREDENTIALS_REFUSED, Service.REALM)
    assert "az acr login" in describe(info.value) and REFRESH_TOKEN not in describe(info.value)
    assert [r.status for r in token_requests(server)] == [401]


def test_acr_without_an_oauth2_endpoint_falls_back_to_basic(
    session: requests.Session, make_token_server: Callable[..., TokenServer]
) -> None:
    """go-containerregistry's Refresh: a 404/405 to the POST, then GET with Basic, the refresh
    token as the password (as `docker login -u 00000000-... -p <token>` sends it)."""
    server, _registry = acr(session, make_token_server, users={ACR_NULL_USER: REFRESH_TOKEN})
    entry = {"auth": NULL_USER_AUTH, "identitytoken": REFRESH_TOKEN}
    head = client(session, acr_config(entry)).head_manifest(parse_reference(f"{ACR}/team/app:2.0"))
    assert str(head.digest) == manifest_digest("2.0")
    post, get = token_requests(server)
    assert (post.method, post.status, get.method, get.status) == ("POST", 405, "GET", 200)
    assert get.username == ACR_NULL_USER


@pytest.mark.parametrize(
    ("user", "password"),
    [
        ("myacr", "admin-user-password-0123"),  # the admin user: the registry's name
        ("0f3c3e1a-5b4e-4c1f-9a7e-2d3c4b5a6f70", "sp~secret.0123456789"),  # a service principal
        ("ci-token", "repository-scoped-token-0123"),  # an ACR token
    ],
)
def test_acr_basic_credentials_get_a_token(
    session: requests.Session,
    make_token_server: Callable[..., TokenServer],
    user: str,
    password: str,
) -> None:
    server, _registry = acr(session, make_token_server, users={user: password})
    head = client(session, explicit(ACR, user, password)).head_manifest(
        parse_reference(f"{ACR}/team/app:1.0")
    )
    assert str(head.digest) == manifest_digest("1.0")
    [request] = token_requests(server)
    assert (request.method, request.username, request.scopes) == (
        "GET",
        user,
        ("repository:team/app:pull",),
    )


def test_a_refresh_token_never_goes_to_a_plain_http_realm(session: requests.Session) -> None:
    """A registry naming an ``http://`` realm off loopback gets neither the request nor the
    refresh token, whose form would be readable on the wire."""
    realm = "http://auth.example.com/oauth2/token"
    challenge = {"WWW-Authenticate": f'Bearer realm="{realm}",service="{ACR}"'}
    seen: list[str] = []

    def registry(_request: Request) -> Response:
        return Response.json(401, {"errors": []}, challenge)

    def realm_handler(request: Request) -> Response:
        seen.append(request.target)
        return Response.json(200, {"access_token": "t" * 32})

    mount(session, f"https://{ACR}/", registry)
    mount(session, "http://auth.example.com/", realm_handler)
    entry = {"auth": NULL_USER_AUTH, "identitytoken": REFRESH_TOKEN}
    with pytest.raises(Unauthorized, match="plain HTTP"):
        client(session, acr_config(entry)).head_manifest(parse_reference(f"{ACR}/team/app:1.0"))
    assert seen == []


# -- ECR: the AWS user, 12-hour tokens ----------------------------------------------------------


def ecr(
    http: requests.Session, make_token_server: Callable[..., TokenServer]
) -> tuple[TokenServer, AuthRegistry]:
    """ECR: Basic on the registry itself; the password is a token from GetAuthorizationToken,
    minted here by the fake token service."""
    server = make_token_server(service="ecr.amazonaws.com")
    registry = AuthRegistry(
        server,
        "team/app",
        scheme="basic",
        realm=f"https://{ECR}/",
        service="ecr.amazonaws.com",
    )
    mount(http, f"https://{ECR}/", registry)
    return server, registry


def ecr_password(server: TokenServer, *, expires_in: int) -> str:
    with server.overrides(expires_in=expires_in):
        return server.issue("AWS", []).token


def test_ecr_login_token_as_aws_password_works(
    session: requests.Session, make_token_server: Callable[..., TokenServer]
) -> None:
    server, _registry = ecr(session, make_token_server)
    lookups = client(session, explicit(ECR, "AWS", ecr_password(server, expires_in=43200)))
    head = lookups.head_manifest(parse_reference(f"{ECR}/team/app:1.0"))
    assert str(head.digest) == manifest_digest("1.0")
    assert lookups.list_tags(parse_reference(f"{ECR}/team/app")) == ["1.0", "2.0"]


def test_ecr_expired_token_says_it_expired_and_how_to_renew(
    session: requests.Session, make_token_server: Callable[..., TokenServer]
) -> None:
    server, _registry = ecr(session, make_token_server)
    expired = ecr_password(server, expires_in=-60)  # issued 12 h and a minute ago, in effect
    with pytest.raises(Unauthorized) as info:
        client(session, explicit(ECR, "AWS", expired)).head_manifest(
            parse_reference(f"{ECR}/team/app:1.0")
        )
    error = info.value
    assert (error.kind, error.status, error.codes) == (Kind.CREDENTIALS_EXPIRED, 403, ("DENIED",))
    shown = describe(error)
    assert "expired" in str(error) and "Your authorization token has expired" in shown
    assert "aws-actions/amazon-ecr-login again in this job" in shown
    assert "12 hours" in shown
    assert "Check the username" not in shown and "are valid" not in shown
    assert expired not in shown


def test_ecr_wrong_password_says_which_user_and_password(
    session: requests.Session, make_token_server: Callable[..., TokenServer]
) -> None:
    ecr(session, make_token_server)
    with pytest.raises(Unauthorized) as info:
        client(session, explicit(ECR, "AWS", "not-a-token-0123456789")).head_manifest(
            parse_reference(f"{ECR}/team/app:1.0")
        )
    assert info.value.kind is Kind.CREDENTIALS_REFUSED
    assert "`username` is `AWS`" in describe(info.value)


# -- GAR / GCR: oauth2accesstoken ---------------------------------------------------------------

SERVICE_ACCOUNT_KEY = json.dumps(
    {"type": "service_account", "private_key": "-----BEGIN PRIVATE KEY-----\nMIIE:x+y/z=\n"}
)


def gar(
    http: requests.Session, make_token_server: Callable[..., TokenServer], **options: object
) -> TokenServer:
    server = make_token_server(path="/v2/token", service=GAR, **options)
    registry = AuthRegistry(server, "proj/repo/app", realm=f"https://{GAR}/v2/token", service=GAR)
    mount(http, f"https://{GAR}/", registry)
    mount(http, f"https://{GAR}/v2/token", server.in_process())
    return server


@pytest.mark.parametrize(
    ("user", "password"),
    [("oauth2accesstoken", GAR_TOKEN), ("_json_key", SERVICE_ACCOUNT_KEY)],
)
def test_gar_access_token_and_json_key(
    session: requests.Session,
    make_token_server: Callable[..., TokenServer],
    user: str,
    password: str,
) -> None:
    server = gar(session, make_token_server, users={user: password})
    head = client(session, explicit(GAR, user, password)).head_manifest(
        parse_reference(f"{GAR}/proj/repo/app:1.0")
    )
    assert str(head.digest) == manifest_digest("1.0")
    [request] = token_requests(server)
    assert (request.username, request.status) == (user, 200)


def test_gar_refused_token_names_oauth2accesstoken(
    session: requests.Session, make_token_server: Callable[..., TokenServer]
) -> None:
    gar(session, make_token_server, users={"oauth2accesstoken": GAR_TOKEN})
    with pytest.raises(Unauthorized) as info:
        client(
            session, explicit(GAR, "oauth2accesstoken", "ya29.expired-0123456789")
        ).head_manifest(parse_reference(f"{GAR}/proj/repo/app:1.0"))
    assert info.value.kind is Kind.CREDENTIALS_REFUSED
    assert "google-github-actions/auth" in describe(info.value)


# -- GitLab: /jwt/auth, container_registry, pull only -------------------------------------------


def gitlab(
    http: requests.Session, make_token_server: Callable[..., TokenServer], scope: str | None
) -> TokenServer:
    server = make_token_server(
        path="/jwt/auth", service="container_registry", users={"deployer": "gldt-0123456789"}
    )
    registry = AuthRegistry(
        server,
        "group/project",
        realm="https://gitlab.com/jwt/auth",
        service="container_registry",
        challenge_scope=scope,
    )
    mount(http, "https://registry.gitlab.com/", registry)
    mount(http, "https://gitlab.com/", server.in_process())
    return server


@pytest.mark.parametrize(
    "scope",
    [
        "repository:{name}:pull",
        "repository:{name}:*",
        "repository:{name}:push,pull",
        "repository:{name}:push",
        "registry:catalog:*",
        None,
    ],
)
def test_gitlab_is_asked_for_pull_only(
    session: requests.Session, make_token_server: Callable[..., TokenServer], scope: str | None
) -> None:
    server = gitlab(session, make_token_server, scope)
    lookups = client(session, explicit("registry.gitlab.com", "deployer", "gldt-0123456789"))
    ref = parse_reference("registry.gitlab.com/group/project:2.0")
    assert str(lookups.head_manifest(ref).digest) == manifest_digest("2.0")
    assert lookups.list_tags(ref) == ["1.0", "2.0"]
    requests_made = token_requests(server)
    assert requests_made  # the realm was used
    for request in requests_made:
        assert request.path == "/jwt/auth"
        assert request.query["service"] == ["container_registry"]
        assert request.scopes == ("repository:group/project:pull",)


def test_the_gitlab_fake_grants_nothing_for_a_star_scope(
    session: requests.Session, make_token_server: Callable[..., TokenServer]
) -> None:
    """The quirk the test above guards against, shown: a ``*`` token is refused."""
    gitlab(session, make_token_server, "repository:{name}:pull")
    auth = ("deployer", "gldt-0123456789")
    params = {"service": "container_registry", "scope": "repository:group/project:*"}
    token = session.get("https://gitlab.com/jwt/auth", params=params, auth=auth).json()["token"]
    answer = session.head(
        "https://registry.gitlab.com/v2/group/project/manifests/2.0",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert answer.status_code == 401
    assert 'error="insufficient_scope"' in answer.headers["WWW-Authenticate"]


# -- Harbor and Quay robots: names pass through unchanged ---------------------------------------


@pytest.mark.parametrize("user", ["robot$ci", "robot$project+ci", "myorg+deployer", "a b%20c"])
def test_robot_names_reach_the_token_service_unchanged(
    make_token_server: Callable[..., TokenServer], serve: Callable[[Handler], FakeServer], user: str
) -> None:
    password = "robot-secret-0123456789"
    server = make_token_server(users={user: password})
    registry = AuthRegistry(server, "project/app")
    registry_server = serve(registry)
    token_server = serve(server.handle)
    registry.realm = f"{token_server.url}/token"
    ref = parse_reference(f"{registry_server.host}/project/app:1.0")
    head = open_client(explicit(registry_server.host, user, password)).head_manifest(ref)
    assert str(head.digest) == manifest_digest("1.0")
    [exchange] = [e for e in token_server.exchanges if e.request.path == "/token"]
    assert basic_user(exchange.request.header("Authorization")) == user
    assert exchange.response is not None and exchange.response.status == 200


# -- ghcr.io: anonymous for public packages only ------------------------------------------------


@pytest.mark.parametrize("creds", [None, ("octocat", "ghs_0123456789abcdefghij")])
def test_ghcr_refusal_explains_packages_read_and_actions_access(
    session: requests.Session,
    make_token_server: Callable[..., TokenServer],
    creds: tuple[str, str] | None,
) -> None:
    users = {creds[0]: creds[1]} if creds else {}
    server = make_token_server(service=GHCR, users=users, allow_anonymous=True)
    registry = AuthRegistry(server, "owner/private", realm=f"https://{GHCR}/token", service=GHCR)
    mount(session, f"https://{GHCR}/", registry)
    mount(session, f"https://{GHCR}/token", server.in_process())
    store = explicit(GHCR, *creds) if creds else None
    with (
        server.overrides(denied_repositories={"owner/private"}),
        pytest.raises(Unauthorized) as info,
    ):
        client(session, store).head_manifest(parse_reference(f"{GHCR}/owner/private:1.0"))
    shown = describe(info.value)
    assert "packages: read" in shown and "Manage Actions access" in shown
    assert "public packages only" in shown


# -- a token service on the registry's own host, a challenge without a scope --------------------


@pytest.mark.parametrize("creds", [None, ("admin", "pulp-password-0123")])
@pytest.mark.parametrize("with_service", [True, False], ids=["service", "realm-only"])
def test_token_service_on_the_registry_host_and_no_scope_in_the_challenge(
    make_token_server: Callable[..., TokenServer],
    serve: Callable[[Handler], FakeServer],
    creds: tuple[str, str] | None,
    with_service: bool,
) -> None:
    """Pulp: ``realm="<registry>/token/"`` and no ``scope`` in the challenge; "realm-only":
    no ``service`` either (the token service then issues tokens for its own)."""
    users = {creds[0]: creds[1]} if creds else {}
    server = make_token_server(
        path="/token/", service="pulp.example", users=users, allow_anonymous=creds is None
    )
    registry = AuthRegistry(
        server,
        "pulp/app",
        service="pulp.example",
        challenge_scope=None,
        challenge_service=with_service,
    )
    registry.token_routes["/token/"] = server.handle
    host = serve(registry)
    registry.realm = f"{host.url}/token/"
    lookups = open_client(explicit(host.host, *creds) if creds else None)
    ref = parse_reference(f"{host.host}/pulp/app:2.0")
    assert str(lookups.head_manifest(ref).digest) == manifest_digest("2.0")
    [token] = [e.request for e in host.exchanges if e.request.path == "/token/"]
    assert token.query["scope"] == ["repository:pulp/app:pull"]
    assert token.query.get("service") == (["pulp.example"] if with_service else None)
    if creds is None:
        assert token.header("Authorization") == ""
    else:
        assert basic_user(token.header("Authorization")) == creds[0]
