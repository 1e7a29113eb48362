"""Registries that echo what they were sent (issue 13 §3): passwords and tokens, long, with
spaces, with backslashes and quotes, inside URLs, in headers (``WWW-Authenticate``,
``Location``, ``Link``), in error bodies (JSON and text/plain), in reason phrases, tag names
and labels, through every path (login, token, manifest errors, tag listing, Docker Hub's API).

Each scenario runs end to end, through ``entrypoint.py`` as the runner runs it and through
the CLI, against a fake registry, token service or Docker Hub on loopback. Whatever the run
ends with, no 8-character piece of a secret (the password, the Basic token of
``user:password``, the registry's token) appears in stdout, stderr, ``GITHUB_OUTPUT``,
``GITHUB_STEP_SUMMARY`` or the debug log.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from urllib.parse import quote, quote_plus

import pytest
from actionrunner import ActionRun, run_action
from fakes.server import FakeServer, Handler, Request, Response

from hubaction import cli

Serve = Callable[[Handler], FakeServer]

USER = "hostile-user"
# A registry token that is also a valid tag name, so it can come back as one.
TOKEN = "tok_" + hashlib.sha256(b"hostile token").hexdigest() + "_Zq9"
HUB_TOKEN = "hubtok-" + hashlib.sha256(b"hostile hub token").hexdigest()

_NOISE = hashlib.sha512(b"hostile password").hexdigest()
PASSWORDS = {
    # Longer than any cut (300 characters), with what folding, repr() and URL-encoding change:
    # runs of spaces, a tab, backslashes (one before an 'n'), both quotes, '%', '@', '/'.
    "long": f"Lp{_NOISE}  two  spaces\tTab C:\\new\\table\\x41 'q' \"dq\" 100%@/{_NOISE * 2}",
    # Short enough to be quoted whole: only the encodings can betray it.
    "short": "pa\\ss  w0rd \"x\" 'y' %2F@/z",
}


def basic(password: str) -> str:
    return base64.b64encode(f"{USER}:{password}".encode()).decode()


def eight_grams(text: str) -> set[str]:
    return {text[i : i + 8] for i in range(len(text) - 7)}


def leaks(texts: Mapping[str, str], secrets: Iterable[str]) -> list[tuple[str, str]]:
    """(where, piece) for every 8-character piece of a secret found in one of ``texts``."""
    grams = set().union(*(eight_grams(s) for s in secrets))
    return sorted((where, g) for where, text in texts.items() for g in grams if g in text)


def quoted_string(text: str) -> str:
    """``text`` as an RFC 9110 quoted-string (for a challenge parameter)."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def one_line(text: str) -> str:
    """``text`` as a header value or reason phrase may carry it (no CR, LF; tabs may stay)."""
    return text.replace("\r", " ").replace("\n", " ")


# -- the fake registry and token service ----------------------------------------------------


def config_blob(password: str) -> bytes:
    labels = {
        "echo.password": password,
        "echo.basic": f"Basic {basic(password)}",
        "echo.token": f"Bearer {TOKEN}",
        "echo.url": f"https://{USER}:{quote(password, safe='')}@example.com/?t={TOKEN}",
    }
    doc = {"os": "linux", "architecture": "amd64", "config": {"Labels": labels}}
    return json.dumps(doc).encode()


def manifest_for(config: bytes) -> bytes:
    doc = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {
            "mediaType": "application/vnd.oci.image.config.v1+json",
            "digest": "sha256:" + hashlib.sha256(config).hexdigest(),
            "size": len(config),
        },
        "layers": [],
    }
    return json.dumps(doc).encode()


def digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


class HostileRegistry:
    """A registry with its token service (``/token``) on one fake server; ``scenario`` says
    where it echoes the password, the Basic token and the registry token it was sent."""

    def __init__(self, password: str, scenario: str, token: str = TOKEN) -> None:
        self.password = password
        self.scenario = scenario
        self.token_value = token  # what the token service issues
        self.host = ""  # set once the server listens
        self.config = config_blob(password)
        self.manifest = manifest_for(self.config)
        self.issued = False  # the token is a secret of the run once it was issued

    def echo(self, request: Request) -> str:
        # Long first, so the secrets straddle every cut; then everything the client sent.
        said = request.header("Authorization")
        token = TOKEN if self.issued else "(none yet)"
        return f"{'x' * 250} {self.password} | {said} | {USER}:{self.password} | {token}"

    def __call__(self, request: Request) -> Response:
        if request.path == "/token":
            return self.token(request)
        if self.scenario != "open" and request.header("Authorization") != f"Bearer {TOKEN}":
            return self.challenge(request)
        route = getattr(self, "on_" + self.scenario.replace("-", "_"), None)
        answer = route(request) if route is not None else None
        return answer if answer is not None else self.serve_image(request)

    def token(self, request: Request) -> Response:
        if self.scenario == "token-refused":
            return text_response(401, self.echo(request))
        if self.scenario == "token-error-json":
            return Response.json(
                400, {"errors": [{"code": "DENIED", "message": self.echo(request)}]}
            )
        if request.header("Authorization") != f"Basic {basic(self.password)}":
            return Response.json(401, {"details": "bad credentials"})
        self.issued = True
        return Response.json(200, {"token": self.token_value, "expires_in": 300})

    def challenge(self, request: Request) -> Response:
        params = f'realm="http://{self.host}/token",service="hostile",scope="repository:app:pull"'
        if self.scenario == "challenge-echo":
            params += f",error_description={quoted_string(one_line(self.echo(request)))}"
        if self.scenario == "bad-challenge":  # unparseable: quoted whole in the error
            params += f", {one_line(self.echo(request))} ,,=="
        body = {"errors": [{"code": "UNAUTHORIZED", "message": self.echo(request)}]}
        return Response.json(401, body, {"WWW-Authenticate": "Bearer " + params})

    def serve_image(self, request: Request) -> Response:
        path = request.path
        if path == "/v2/":
            return Response.json(200, {})
        if path.startswith("/v2/app/manifests/"):
            headers = (
                ("Content-Type", "application/vnd.oci.image.manifest.v1+json"),
                ("Docker-Content-Digest", digest(self.manifest)),
            )
            return Response(200, headers, b"" if request.method == "HEAD" else self.manifest)
        if path == f"/v2/app/blobs/{digest(self.config)}":
            return Response(200, (("Content-Type", "application/json"),), self.config)
        if path == "/v2/app/tags/list":
            return self.tag_list(request)
        return text_response(404, f"no {request.target}: {self.echo(request)}")

    def tag_list(self, request: Request) -> Response:
        # The token comes back as a tag name (a valid one), the password inside invalid ones.
        names = ["1.0", TOKEN, f"bad {self.password}"]
        body = json.dumps({"name": "app", "tags": names}).encode()
        if self.scenario == "link-elsewhere":
            query = f"last={TOKEN}&pw={quote_plus(self.password)}&token={TOKEN}"
            link = f"<http://localhost:{self.host.rsplit(':', 1)[1]}/v2/app/tags/list?{query}>"
            return Response(200, (("Link", link + '; rel="next"'),), body)
        return Response(200, (("Content-Type", "application/json"),), body)

    # -- scenarios: one hostile answer each, to an authorized request --------------------

    def on_manifest_json(self, request: Request) -> Response | None:
        if "/manifests/" not in request.path:
            return None
        said = self.echo(request)
        body = {"errors": [{"code": self.password, "message": said, "detail": said}]}
        return Response.json(404, body)

    def on_manifest_text(self, request: Request) -> Response | None:
        if "/manifests/" not in request.path:
            return None
        reason = one_line(f"Bad {self.password} {TOKEN}")
        return Response(400, (("Content-Type", "text/plain"),), self.echo(request).encode(), reason)

    def on_token_loop(self, request: Request) -> Response | None:
        if "/manifests/" not in request.path:
            return None
        description = quoted_string(one_line(f"token {TOKEN} of {self.password} expired"))
        challenge = (
            f'Bearer realm="http://{self.host}/token?t={TOKEN}",service="hostile",'
            f'error="invalid_token",error_description={description}'
        )
        return Response.json(
            401,
            {"errors": [{"code": "UNAUTHORIZED", "message": self.echo(request)}]},
            {"WWW-Authenticate": challenge},
        )

    def on_location_scheme(self, request: Request) -> Response | None:
        if "/manifests/" not in request.path:
            return None
        location = f"ftp://{USER}:{quote(self.password, safe='')}@elsewhere.example/{TOKEN}"
        return Response(307, (("Location", location),))

    def on_location_elsewhere(self, request: Request) -> Response | None:
        if request.path.startswith("/leak/"):  # the other origin, echoing what it was sent
            return text_response(404, f"{request.target} {self.echo(request)}")
        if "/manifests/" not in request.path:
            return None
        port = self.host.rsplit(":", 1)[1]
        query = f"pw={quote_plus(self.password)}&sig={TOKEN}"
        location = f"http://localhost:{port}/leak/{TOKEN}/{quote(self.password)}?{query}"
        return Response(307, (("Location", location),))


def text_response(status: int, text: str) -> Response:
    return Response(status, (("Content-Type", "text/plain; charset=utf-8"),), text.encode())


REGISTRY_SCENARIOS = [
    "echo-success",  # labels, tag names: a run that succeeds
    "manifest-json",
    "manifest-text",
    "challenge-echo",
    "bad-challenge",
    "token-refused",
    "token-error-json",
    "token-loop",
    "location-scheme",
    "location-elsewhere",
    "link-elsewhere",
]


# -- the fake Docker Hub API ------------------------------------------------------------------


class HostileHub:
    """Docker Hub's API, echoing the password (inside the login's JSON body, too) and its
    token from ``scenario``'s place."""

    def __init__(self, password: str, scenario: str) -> None:
        self.password = password
        self.scenario = scenario
        self.port = 0

    def echo(self, request: Request) -> str:
        said = request.header("Authorization")
        return f"{'y' * 250} {request.body.decode()} | {said} | {self.password}"

    def __call__(self, request: Request) -> Response:
        if request.path == "/v2/auth/token":
            return self.login(request)
        if request.path.startswith("/leak"):
            return text_response(404, self.echo(request))
        if request.header("Authorization") != f"Bearer {HUB_TOKEN}":
            return Response.json(401, {"detail": self.echo(request)})
        if self.scenario == "hub-listing-denied":
            return Response.json(403, {"detail": self.echo(request), "message": HUB_TOKEN})
        if self.scenario == "hub-redirect":
            query = f"token={HUB_TOKEN}&pw={quote_plus(self.password)}&t2={HUB_TOKEN}"
            return Response(302, (("Location", f"http://localhost:{self.port}/leak?{query}"),))
        if self.scenario == "hub-bad-names":
            results = [{"name": f"bad {self.password}", "namespace": "acme"}]
            return Response.json(200, {"count": 1, "next": None, "results": results})
        return Response.json(200, {"count": 0, "next": None, "results": []})

    def login(self, request: Request) -> Response:
        if self.scenario == "hub-login-detail":
            return Response.json(401, {"detail": self.echo(request), "message": self.password})
        if self.scenario == "hub-login-2fa":
            body = {"detail": "Require secondary authentication", "login_2fa_token": "|"}
            return Response.json(401, body)
        return Response.json(200, {"access_token": HUB_TOKEN})


HUB_SCENARIOS = [
    "hub-login-detail",
    "hub-login-2fa",
    "hub-listing-denied",
    "hub-redirect",
    "hub-bad-names",
]


# -- running them -------------------------------------------------------------------------------


def start_registry(serve: Serve, password: str, scenario: str) -> FakeServer:
    fake = HostileRegistry(password, scenario)
    server = serve(fake)
    fake.host = server.host
    return server


def start_hub(serve: Serve, password: str, scenario: str) -> FakeServer:
    fake = HostileHub(password, scenario)
    server = serve(fake)
    fake.port = server.port
    return server


def action_texts(run: ActionRun, workdir: Path) -> dict[str, str]:
    # `::add-mask::` lines carry the secrets to the runner, which never shows them.
    lines = run.stdout.splitlines()
    return {
        "stdout": "\n".join(line for line in lines if not line.startswith("::add-mask::")),
        "stderr": run.stderr,
        "GITHUB_OUTPUT": (workdir / "github_output").read_text(encoding="utf-8"),
        "GITHUB_STEP_SUMMARY": (workdir / "step_summary").read_text(encoding="utf-8"),
    }


def run_cli(capsys: pytest.CaptureFixture[str], password: str, *args: str) -> dict[str, str]:
    out = io.StringIO()
    capsys.readouterr()
    cli.main([*args, "--username", USER, "--password-stdin"], out=out, stdin=io.StringIO(password))
    captured = capsys.readouterr()
    return {"stdout": out.getvalue() + captured.out, "stderr": captured.err}


def secrets_of(password: str) -> list[str]:
    return [password, basic(password), TOKEN, HUB_TOKEN]


@pytest.mark.parametrize("scenario", REGISTRY_SCENARIOS)
@pytest.mark.parametrize("password", PASSWORDS.values(), ids=list(PASSWORDS))
def test_the_action_never_shows_an_echoed_secret(
    serve: Serve, tmp_path: Path, password: str, scenario: str
) -> None:
    server = start_registry(serve, password, scenario)
    inputs = {
        "repository": f"{server.host}/app",
        "tag": "1.0",
        "username": USER,
        "password": password,
        "list-tags": "true",
    }
    run = run_action(inputs, tmp_path, env={"RUNNER_DEBUG": "1"})
    assert leaks(action_texts(run, tmp_path), secrets_of(password)) == []
    assert run.returncode in (0, 1), run.log
    assert "Traceback" not in run.log
    if scenario in ("echo-success", "challenge-echo"):  # an error_description is no error
        assert run.returncode == 0, run.log
        assert "***" in run.outputs["labels"]
        assert TOKEN not in run.outputs["tags"]
    else:
        assert len(run.errors()) == 1, run.log


@pytest.mark.parametrize("scenario", REGISTRY_SCENARIOS)
@pytest.mark.parametrize("password", PASSWORDS.values(), ids=list(PASSWORDS))
def test_the_cli_never_shows_an_echoed_secret(
    serve: Serve, capsys: pytest.CaptureFixture[str], password: str, scenario: str
) -> None:
    server = start_registry(serve, password, scenario)
    for command in (["inspect", f"{server.host}/app:1.0"], ["tags", f"{server.host}/app"]):
        texts = run_cli(capsys, password, *command)
        assert leaks(texts, secrets_of(password)) == [], command
        assert "Traceback" not in texts["stderr"]


@pytest.mark.parametrize("scenario", HUB_SCENARIOS)
@pytest.mark.parametrize("password", PASSWORDS.values(), ids=list(PASSWORDS))
def test_the_action_never_shows_a_secret_docker_hub_echoes(
    serve: Serve, tmp_path: Path, password: str, scenario: str
) -> None:
    hub = start_hub(serve, password, scenario)
    inputs = {"namespace": "acme", "hub-url": hub.url, "username": USER, "password": password}
    run = run_action(inputs, tmp_path, env={"RUNNER_DEBUG": "1"})
    assert leaks(action_texts(run, tmp_path), secrets_of(password)) == []
    assert (run.returncode, len(run.errors())) == (1, 1), run.log


@pytest.mark.parametrize("scenario", HUB_SCENARIOS)
@pytest.mark.parametrize("password", PASSWORDS.values(), ids=list(PASSWORDS))
def test_the_cli_never_shows_a_secret_docker_hub_echoes(
    serve: Serve, capsys: pytest.CaptureFixture[str], password: str, scenario: str
) -> None:
    hub = start_hub(serve, password, scenario)
    texts = run_cli(capsys, password, "repos", "acme", "--hub-url", hub.url)
    assert leaks(texts, secrets_of(password)) == []
    assert texts["stderr"].startswith("error: ")


# -- tokens and secrets too short or common to mask: `|`, `sha256` ------------------------------


def registry_inputs(server: FakeServer, password: str) -> dict[str, str]:
    return {
        "repository": f"{server.host}/app",
        "tag": "1.0",
        "username": USER,
        "password": password,
        "list-tags": "true",
    }


@pytest.mark.parametrize("token", ["|", "sha256"])
def test_an_implausible_token_is_one_error_and_never_masked(
    serve: Serve, tmp_path: Path, token: str
) -> None:
    fake = HostileRegistry(PASSWORDS["short"], "echo-success", token=token)
    server = serve(fake)
    fake.host = server.host
    run = run_action(registry_inputs(server, PASSWORDS["short"]), tmp_path)
    assert run.returncode == 1, run.log
    assert [e for e in run.errors() if "no plausible token" in e] == run.errors() != []
    masked = [data for name, _props, data in run.commands if name == "add-mask"]
    assert token not in masked and len(masked) == 2  # the password and its Basic token only
    assert run.summary == ""


@pytest.mark.parametrize("password", ["|", "sha256"])
def test_a_secret_too_short_to_mask_leaves_the_summary_intact(
    serve: Serve, tmp_path: Path, password: str
) -> None:
    fake = HostileRegistry(password, "open")
    server = serve(fake)
    fake.host = server.host
    run = run_action(registry_inputs(server, password), tmp_path)
    assert run.returncode == 0, run.log
    masked = [data for name, _props, data in run.commands if name == "add-mask"]
    assert masked == [basic(password)]  # long enough; the password itself is not
    warnings = [data for name, _props, data in run.commands if name == "warning"]
    assert any("not masked" in w for w in warnings)
    # Only the echoed Basic token (a label) is hidden; digests, tables and tags are whole.
    assert "***" not in run.summary
    assert run.outputs["digest"] == digest(fake.manifest)
    assert json.loads(run.outputs["labels"])["echo.basic"] == "Basic ***"
    assert f"`{digest(fake.manifest)}`" in run.summary  # sha256 digests, whole
    assert "|---|---|" in run.summary and "`1.0`" in run.summary
