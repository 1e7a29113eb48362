"""The head start (hubaction.headstart) and its hand-over to requests (transport.adopt_connection,
transport.replayed_response, RegistryClient.adopt and _take_early).

The head start sends a run's first request over its own TLS socket while Python imports
``requests``; whatever it got is worth something only if ``requests`` would have done exactly the
same. So most of these tests compare the head start with requests itself rather than with a
written-down expectation:

* the probe's headers with the ones a ``transport.new_session()`` session prepares, the ``.netrc``
  decision with ``requests.utils.get_netrc_auth``, the CA file with what
  ``merge_environment_settings`` decides, the TLS context with urllib3's
  ``create_urllib3_context`` (and a real handshake of each against one server);
* a replayed answer with the response requests builds from the same server.

The real-socket tests run small threaded HTTPS servers on 127.0.0.1 (a registry that answers 401
with a Bearer challenge, and its token service), written here so they can record every
connection, every request line and every close. ``HeadStart`` is built directly: ``plan_for``
refuses loopback registries (they speak plain HTTP), the class does not. One end-to-end test runs
``entrypoint.py`` against the real ``docker-registry`` over TLS with token auth, behind the
benchmarks' counting proxies, on host names mapped to 127.0.0.1 (``benchmarks/tlsenv.py``).

Every wait is bounded (server sockets time out, ``finish`` waits are short, conditions are
waited for with a timeout) and every server, session and socket is closed by its fixture.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import gzip
import hashlib
import ipaddress
import json
import os
import re
import shutil
import socket
import ssl
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import certifi
import pytest
import requests
from actionrunner import ActionRun, run_action
from registryfixtures import TOKEN_ISSUER, TOKEN_SERVICE, RegistryProcess, TokenRequest
from registryfixtures.images import PushedImage, Pusher, push_oci_index
from urllib3.util.ssl_ import create_urllib3_context

from hubaction import USER_AGENT, headstart
from hubaction.contract import INPUT_DEFAULTS, input_variable
from hubaction.errors import NotFound, Unauthorized
from hubaction.headstart import (
    Answer,
    Endpoint,
    HeadStart,
    Outcome,
    Plan,
    Probe,
    action_plan,
    ca_path,
    plan_for,
    tls_context,
)
from hubaction.mediatypes import ACCEPT, MAX_MANIFEST_BYTES, OCI_INDEX
from hubaction.reference import parse_reference
from hubaction.registry import open_client, release
from hubaction.transport import (
    error_for,
    new_session,
    preconnect,
    read_body,
    replayed_response,
    same_trust,
    verified_against,
)

ROOT = Path(__file__).resolve().parent.parent
BENCHMARKS = ROOT / "benchmarks"
if str(BENCHMARKS) not in sys.path:
    sys.path.insert(0, str(BENCHMARKS))

from delayproxy import DelayProxy, ProxyLoop  # noqa: E402
from tlsenv import (  # noqa: E402
    AUTH_NAME,
    REGISTRY_NAME,
    HostsUnavailable,
    TlsRegistryProcess,
    TlsTokenServer,
    make_tls_files,
    mapped_hosts,
    server_context,
)

#: How long a test waits for something a server or thread must do at once (loopback).
SOON = 5.0
#: A server connection's socket timeout: longer than any test waits, so a close the server sees
#: within SOON came from the client, never from this timeout.
HANDLER_TIMEOUT = 30.0

TOKEN = "head-start-token-7f3a"
PATH = "/v2/o/a/manifests/1"
MANIFEST = json.dumps(
    {"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": []}, separators=(",", ":")
).encode()
MANIFEST_DIGEST = "sha256:" + hashlib.sha256(MANIFEST).hexdigest()
UNAUTHORIZED_BODY = b'{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}'
DIGEST = "sha256:" + "ab" * 32


# -- environment ------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No CA, proxy, .netrc or head-start variable of the machine running the tests; an empty
    HOME. ``new_session`` and requests read ``os.environ``, so the tests set what they need."""
    names = ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "SSL_CERT_FILE", "SSLKEYLOGFILE", "NETRC")
    for name in (*names, headstart.DISABLE_VARIABLE):
        monkeypatch.delenv(name, raising=False)
    for name in list(os.environ):
        if name.lower().endswith("_proxy"):
            monkeypatch.delenv(name, raising=False)
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    return home


# -- Endpoint, Probe ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("endpoint", "netloc"),
    [
        (Endpoint("ghcr.io"), "ghcr.io"),
        (Endpoint("ghcr.io", 443), "ghcr.io"),
        (Endpoint("registry.example", 5000), "registry.example:5000"),
        (Endpoint("registry.example", 80), "registry.example:80"),
        (Endpoint("127.0.0.1", 8443), "127.0.0.1:8443"),
        (Endpoint("::1"), "[::1]"),
        (Endpoint("::1", 5000), "[::1]:5000"),
        (Endpoint("2001:db8::1", 8443), "[2001:db8::1]:8443"),
    ],
)
def test_endpoint_netloc_and_url(endpoint: Endpoint, netloc: str) -> None:
    assert endpoint.netloc == netloc
    assert endpoint.url() == f"https://{netloc}/"
    assert endpoint.url("/v2/a/manifests/1") == f"https://{netloc}/v2/a/manifests/1"
    # ... and back: the URL of an endpoint names that endpoint.
    assert Endpoint.of_url(endpoint.url("/token")) == endpoint


@pytest.mark.parametrize(
    ("url", "endpoint"),
    [
        ("https://ghcr.io/", Endpoint("ghcr.io", 443)),
        ("https://ghcr.io", Endpoint("ghcr.io", 443)),
        ("https://ghcr.io:443/v2/", Endpoint("ghcr.io", 443)),
        ("https://registry.example:5000/v2/", Endpoint("registry.example", 5000)),
        ("https://auth.docker.io/token?service=x", Endpoint("auth.docker.io", 443)),
        ("https://user:secret@registry.example:8443/", Endpoint("registry.example", 8443)),
        # Host names are case-insensitive; urlsplit gives them in lower case, as urllib3 does.
        ("https://Auth.Example.COM/token", Endpoint("auth.example.com", 443)),
        ("HTTPS://ghcr.io/", Endpoint("ghcr.io", 443)),
        ("https://[::1]:5000/", Endpoint("::1", 5000)),
        ("https://[2001:db8::1]/token", Endpoint("2001:db8::1", 443)),
        # Not https: the head start speaks TLS only.
        ("http://ghcr.io/", None),
        ("ftp://ghcr.io/", None),
        ("ghcr.io/o/a", None),
        ("//ghcr.io/", None),
        # Garbage.
        ("", None),
        ("https://", None),
        ("https:///token", None),
        ("https://ghcr.io:port/", None),
        ("https://ghcr.io:99999/", None),
        ("https://[::1/", None),
        ("https://[not-an-address]/", None),
    ],
)
def test_endpoint_of_url(url: str, endpoint: Endpoint | None) -> None:
    assert Endpoint.of_url(url) == endpoint


def _wire(*lines: str) -> bytes:
    return ("\r\n".join(lines) + "\r\n\r\n").encode("ascii")


@pytest.mark.parametrize(
    ("probe", "endpoint", "wire"),
    [
        (
            Probe("GET", PATH, ACCEPT),
            Endpoint("ghcr.io"),
            _wire(
                f"GET {PATH} HTTP/1.1",
                "Host: ghcr.io",
                f"User-Agent: {USER_AGENT}",
                "Accept-Encoding: identity",
                f"Accept: {ACCEPT}",
                "Connection: keep-alive",
            ),
        ),
        (
            Probe("HEAD", "/v2/team/app/manifests/" + DIGEST, ACCEPT),
            Endpoint("registry.example", 5000),
            _wire(
                f"HEAD /v2/team/app/manifests/{DIGEST} HTTP/1.1",
                "Host: registry.example:5000",
                f"User-Agent: {USER_AGENT}",
                "Accept-Encoding: identity",
                f"Accept: {ACCEPT}",
                "Connection: keep-alive",
            ),
        ),
        (
            Probe("GET", "/v2/a/manifests/latest", "application/json"),
            Endpoint("2001:db8::1", 8443),
            _wire(
                "GET /v2/a/manifests/latest HTTP/1.1",
                "Host: [2001:db8::1]:8443",
                f"User-Agent: {USER_AGENT}",
                "Accept-Encoding: identity",
                "Accept: application/json",
                "Connection: keep-alive",
            ),
        ),
        (
            Probe("GET", "/v2/a/manifests/1", ACCEPT),
            Endpoint("::1", 443),
            _wire(
                "GET /v2/a/manifests/1 HTTP/1.1",
                "Host: [::1]",
                f"User-Agent: {USER_AGENT}",
                "Accept-Encoding: identity",
                f"Accept: {ACCEPT}",
                "Connection: keep-alive",
            ),
        ),
    ],
)
def test_probe_wire(probe: Probe, endpoint: Endpoint, wire: bytes) -> None:
    assert probe.wire(endpoint) == wire
    # One request head: exactly one blank line, at the end.
    assert wire.count(b"\r\n\r\n") == 1 and wire.endswith(b"\r\n\r\n")


def test_probe_sends_the_headers_requests_would_send_uncompressed() -> None:
    """The probe must be the request the registry client sends: the same headers as a
    ``new_session()`` request with that Accept, except ``Accept-Encoding: identity`` (its
    answer is replayed byte for byte) and the ``Host`` that http.client adds."""
    lines = Probe("GET", PATH, ACCEPT).wire(Endpoint("ghcr.io")).decode("ascii").split("\r\n")
    sent = dict(line.split(": ", 1) for line in lines[1:-2])
    prepared = new_session().prepare_request(
        requests.Request("GET", f"https://ghcr.io{PATH}", headers={"Accept": ACCEPT})
    )
    assert sent == {**prepared.headers, "Host": "ghcr.io", "Accept-Encoding": "identity"}
    assert list(sent) == ["Host", "User-Agent", "Accept-Encoding", "Accept", "Connection"]


# -- plan_for ----------------------------------------------------------------------------------

HUB_PLAN = Plan(Endpoint("registry-1.docker.io"), None, (Endpoint("auth.docker.io"),))


def _planned(netloc: str, endpoint: Endpoint, method: str, path: str) -> Plan:
    """The plan for a registry written ``netloc``: the probe carries the URL as the registry
    client spells it (an explicit ``:443`` included); the wire has the endpoint's ``Host``."""
    return Plan(endpoint, Probe(method, path, ACCEPT, f"https://{netloc}{path}"))


def _ghcr_plan(method: str, identifier: str, netloc: str = "ghcr.io") -> Plan:
    return _planned(netloc, Endpoint("ghcr.io"), method, f"/v2/o/a/manifests/{identifier}")


@pytest.mark.parametrize(
    ("reference", "method", "plan"),
    [
        # Docker Hub: the realm is known, so both handshakes and no probe.
        ("node", "GET", HUB_PLAN),
        ("node", "HEAD", HUB_PLAN),
        ("docker.io/library/node:20", "GET", HUB_PLAN),
        (f"index.docker.io/myorg/app@{DIGEST}", "GET", HUB_PLAN),
        ("registry-1.docker.io/library/node:1", "HEAD", HUB_PLAN),
        # Any other registry: the first request itself.
        ("ghcr.io/o/a:1", "GET", _ghcr_plan("GET", "1")),
        ("ghcr.io/o/a:1", "HEAD", _ghcr_plan("HEAD", "1")),
        ("ghcr.io/o/a", "GET", _ghcr_plan("GET", "latest")),
        (f"ghcr.io/o/a@{DIGEST}", "GET", _ghcr_plan("GET", DIGEST)),
        (f"ghcr.io/o/a:1@{DIGEST}", "HEAD", _ghcr_plan("HEAD", DIGEST)),  # the digest pins
        (
            "registry.example:5000/team/app:v2",
            "GET",
            _planned(
                "registry.example:5000",
                Endpoint("registry.example", 5000),
                "GET",
                "/v2/team/app/manifests/v2",
            ),
        ),
        ("ghcr.io:443/o/a:1", "GET", _ghcr_plan("GET", "1", "ghcr.io:443")),
        (
            "[2001:db8::1]:5000/a:1",
            "GET",
            _planned(
                "[2001:db8::1]:5000", Endpoint("2001:db8::1", 5000), "GET", "/v2/a/manifests/1"
            ),
        ),
        # Loopback registries speak plain HTTP: nothing to take.
        ("localhost:5000/a", "GET", None),
        ("localhost/a:1", "HEAD", None),
        ("127.0.0.1:5000/a", "GET", None),
        ("127.0.0.2:5000/a", "GET", None),
        ("[::1]:5000/a", "GET", None),
        ("[::ffff:127.0.0.1]:5000/a", "GET", None),
    ],
)
def test_plan_for(reference: str, method: str, plan: Plan | None, clean_env: Path) -> None:
    environ = {"HOME": str(clean_env)}
    assert plan_for(parse_reference(reference), method, environ) == plan


@pytest.mark.parametrize(
    ("reference", "method"),
    [
        ("ghcr.io/o/a:1", "GET"),
        (f"ghcr.io/o/a@{DIGEST}", "HEAD"),
        ("registry.example:5000/team/app:v2", "GET"),
        ("Registry.Example.com/a:1", "GET"),
        ("[2001:db8::1]:5000/a:1", "HEAD"),
        ("ghcr.io:443/o/a:1", "GET"),
    ],
)
def test_the_answer_stands_in_for_the_clients_first_request(
    reference: str,
    method: str,
    clean_env: Path,
    servers: Servers,
    run_head_start: Callable[..., Outcome],
) -> None:
    """_take_early compares (method, URL, Accept) as strings: the answer must carry the very
    URL RegistryClient builds for the manifest, or it is never used. The planned probe is sent
    to the local registry here (plan_for's endpoint swapped for it), its URL kept."""
    registry, _token = servers
    ref = parse_reference(reference)
    plan = plan_for(ref, method, {"HOME": str(clean_env)})
    assert plan is not None and plan.probe is not None
    outcome = run_head_start(Plan(Endpoint("127.0.0.1", registry.port), plan.probe))
    assert outcome.answer is not None
    with new_session() as session:
        url = open_client(session=session)._url(ref, f"manifests/{ref.identifier()}")
    answer = outcome.answer
    assert (answer.method, answer.url, answer.accept) == (method, url, ACCEPT)


@pytest.mark.parametrize("reference", ["ghcr.io/o/a:1", "node"])
@pytest.mark.parametrize(
    ("variables", "planned"),
    [
        ({}, True),
        # requests routes HTTPS through any of these (urllib.request.getproxies).
        ({"https_proxy": "http://proxy.example:3128"}, False),
        ({"HTTPS_PROXY": "http://proxy.example:3128"}, False),
        ({"all_proxy": "socks5://proxy.example:1080"}, False),
        ({"ALL_PROXY": "socks5://proxy.example:1080"}, False),
        # requests takes any letter case (urllib.request.getproxies_environment lower-cases).
        ({"Https_Proxy": "http://proxy.example:3128"}, False),
        ({"All_Proxy": "socks5://proxy.example:1080"}, False),
        # An empty value is no proxy (getproxies skips it); a plain-HTTP proxy is not used.
        ({"https_proxy": ""}, True),
        ({"http_proxy": "http://proxy.example:3128"}, True),
        ({"HTTP_PROXY": "http://proxy.example:3128", "no_proxy": "*"}, True),
        # Switched off.
        ({"HUBACTION_HEAD_START": "0"}, False),
        ({"HUBACTION_HEAD_START": "false"}, False),
        ({"HUBACTION_HEAD_START": "off"}, False),
        ({"HUBACTION_HEAD_START": "no"}, False),
        ({"HUBACTION_HEAD_START": " OFF "}, False),
        ({"HUBACTION_HEAD_START": "False"}, False),
        ({"HUBACTION_HEAD_START": "1"}, True),
        ({"HUBACTION_HEAD_START": "true"}, True),
        ({"HUBACTION_HEAD_START": ""}, True),
    ],
)
def test_plan_for_proxies_and_the_switch(
    reference: str, variables: dict[str, str], planned: bool, clean_env: Path
) -> None:
    environ = {"HOME": str(clean_env), **variables}
    plan = plan_for(parse_reference(reference), "GET", environ)
    assert (plan is not None) is planned


@pytest.mark.parametrize(
    ("home_files", "netrc", "planned"),
    [
        ((), None, True),
        ((".netrc",), None, False),
        (("_netrc",), None, False),
        # NETRC names the one file requests reads.
        ((), "conf/netrc", False),
        # ... even when it does not exist: then a ~/.netrc is not read either.
        ((".netrc",), "conf/missing", True),
    ],
)
def test_plan_for_refuses_when_requests_would_send_netrc_credentials(
    home_files: tuple[str, ...],
    netrc: str | None,
    planned: bool,
    clean_env: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    entry = "machine ghcr.io login someone password s3cr3t\n"
    for name in home_files:
        (clean_env / name).write_text(entry)
    environ = {"HOME": str(clean_env)}
    if netrc is not None:
        path = clean_env.parent / netrc
        path.parent.mkdir(parents=True, exist_ok=True)
        if "missing" not in netrc:
            path.write_text(entry)
        environ["NETRC"] = str(path)
        monkeypatch.setenv("NETRC", str(path))
    plan = plan_for(parse_reference("ghcr.io/o/a:1"), "GET", environ)
    assert (plan is not None) is planned
    # The decision is requests' own: it would add these credentials exactly when there is no
    # head start (HOME is clean_env, set by the fixture).
    sends_credentials = requests.utils.get_netrc_auth("https://ghcr.io/v2/") is not None
    assert sends_credentials is not planned


HUB_API = Endpoint("hub.docker.com")
HUB_REGISTRY = Endpoint("registry-1.docker.io")


AUTH = Endpoint("auth.docker.io")


@pytest.mark.parametrize(
    ("also", "others", "hub_others"),
    [
        ((), (), (AUTH,)),
        (("https://hub.docker.com",), (HUB_API,), (AUTH, HUB_API)),
        (("https://hub.docker.com/", "https://hub.docker.com/v2"), (HUB_API,), (AUTH, HUB_API)),
        (
            ("https://hub.example:8443/api",),
            (Endpoint("hub.example", 8443),),
            (AUTH, Endpoint("hub.example", 8443)),
        ),
        # Plain HTTP (a local Hub stand-in) and garbage: nothing to open.
        (("http://127.0.0.1:8080",), (), (AUTH,)),
        (("not a url",), (), (AUTH,)),
        # The registry itself is not opened twice, nor the realm.
        (("https://ghcr.io/",), (), (AUTH, Endpoint("ghcr.io"))),
        (
            ("https://registry-1.docker.io", "https://auth.docker.io/x"),
            (HUB_REGISTRY, AUTH),
            (AUTH,),
        ),
    ],
)
def test_plan_for_opens_the_other_hosts_at_once(
    also: tuple[str, ...],
    others: tuple[Endpoint, ...],
    hub_others: tuple[Endpoint, ...],
    clean_env: Path,
) -> None:
    environ = {"HOME": str(clean_env)}
    plan = plan_for(parse_reference("ghcr.io/o/a:1"), "GET", environ, also=also)
    assert plan is not None and plan.also == others
    hub = plan_for(parse_reference("node"), "GET", environ, also=also)
    assert hub is not None and hub.also == hub_others


def _inputs(**inputs: str) -> dict[str, str]:
    """The runner's environment for these inputs: every input set, defaults included."""
    environ = {input_variable(name): default or "" for name, default in INPUT_DEFAULTS.items()}
    environ.update({input_variable(name.replace("_", "-")): v for name, v in inputs.items()})
    return environ


GHCR_GET = _ghcr_plan("GET", "1")


@pytest.mark.parametrize(
    ("inputs", "plan"),
    [
        # The first request of the action: the tag's manifest; HEAD for digest-only.
        ({"repository": "ghcr.io/o/a", "tag": "1"}, GHCR_GET),
        ({"repository": "ghcr.io/o/a:1", "tag": "latest"}, GHCR_GET),
        ({"repository": "ghcr.io/o/a:1", "tag": ""}, GHCR_GET),
        ({"repository": " ghcr.io/o/a ", "tag": " 1 "}, GHCR_GET),  # inputs are stripped
        ({"repository": "ghcr.io/o/a", "tag": DIGEST}, _ghcr_plan("GET", DIGEST)),
        ({"repository": "ghcr.io/o/a:1", "digest_only": "true"}, _ghcr_plan("HEAD", "1")),
        ({"repository": "ghcr.io/o/a:1", "digest_only": "TRUE"}, _ghcr_plan("HEAD", "1")),
        # Docker Hub: its API too when the run lists tags (the default) or asks for namespaces.
        ({"repository": "node"}, Plan(HUB_PLAN.registry, None, (*HUB_PLAN.also, HUB_API))),
        ({"repository": "node", "list_tags": "false"}, HUB_PLAN),
        ({"repository": "node", "digest_only": "true"}, HUB_PLAN),
        (
            {"repository": "node", "list_tags": "false", "namespace": "myorg"},
            Plan(HUB_PLAN.registry, None, (*HUB_PLAN.also, HUB_API)),
        ),
        (
            {"repository": "node", "hub_url": "https://hub.example:8443"},
            Plan(HUB_PLAN.registry, None, (*HUB_PLAN.also, Endpoint("hub.example", 8443))),
        ),
        ({"repository": "node", "hub_url": "http://127.0.0.1:9000"}, HUB_PLAN),
        # Nothing to take: no repository, insecure, loopback, or inputs the action will refuse.
        ({"repository": "", "namespace": "myorg"}, None),
        ({"repository": "ghcr.io/o/a:1", "insecure": "true"}, None),
        ({"repository": "localhost:5000/a"}, None),
        ({"repository": "ghcr.io/o/a:1", "tag": "2"}, None),
        ({"repository": "Not A Reference"}, None),
        ({"repository": "ghcr.io/o/a", "tag": "bad tag"}, None),
    ],
)
def test_action_plan(inputs: dict[str, str], plan: Plan | None, clean_env: Path) -> None:
    environ = {"HOME": str(clean_env), **_inputs(**inputs)}
    assert action_plan(environ) == plan


# -- ca_path, verified_against -----------------------------------------------------------------


def _ca_value(directory: Path, name: str) -> str:
    """A real CA location named ``name`` under ``directory`` ("" stays ""): a copy of
    certifi's bundle, or a directory for a name ending in ``.d``."""
    if not name:
        return ""
    path = directory / name
    if name.endswith(".d"):
        path.mkdir(exist_ok=True)
    else:
        shutil.copyfile(certifi.where(), path)
    return str(path)


@pytest.mark.parametrize(
    ("variables", "winner"),
    [
        ({}, None),
        ({"SSL_CERT_FILE": "ssl.pem"}, "ssl.pem"),
        ({"CURL_CA_BUNDLE": "curl.pem"}, "curl.pem"),
        ({"CURL_CA_BUNDLE": "curl.pem", "SSL_CERT_FILE": "ssl.pem"}, "curl.pem"),
        ({"REQUESTS_CA_BUNDLE": "req.pem", "SSL_CERT_FILE": "ssl.pem"}, "req.pem"),
        (
            {"REQUESTS_CA_BUNDLE": "req.pem", "CURL_CA_BUNDLE": "curl.pem", "SSL_CERT_FILE": "s"},
            "req.pem",
        ),
        ({"REQUESTS_CA_BUNDLE": "", "SSL_CERT_FILE": "ssl.pem"}, "ssl.pem"),
        ({"REQUESTS_CA_BUNDLE": "", "CURL_CA_BUNDLE": "", "SSL_CERT_FILE": ""}, None),
        ({"REQUESTS_CA_BUNDLE": "certs.d"}, "certs.d"),
    ],
)
def test_ca_path_is_what_requests_verifies_against(
    variables: dict[str, str],
    winner: str | None,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    environ = {name: _ca_value(tmp_path, value) for name, value in variables.items()}
    expected = str(tmp_path / winner) if winner else certifi.where()
    assert ca_path(environ) == expected
    # What a run's session decides in that environment (new_session reads os.environ).
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    url = "https://registry.example/v2/"
    with new_session() as session:
        verify = session.merge_environment_settings(url, {}, None, None, None)["verify"]
        assert verified_against(verify) == expected
        assert same_trust(session, url, expected)
        assert not same_trust(session, url, expected + ".elsewhere")


@pytest.mark.parametrize(
    ("verify", "path"),
    [
        (True, certifi.where()),
        ("/etc/ssl/private-ca.pem", "/etc/ssl/private-ca.pem"),
        (False, None),
        (None, None),
    ],
)
def test_verified_against(verify: Any, path: str | None) -> None:
    assert verified_against(verify) == path


# -- TLS files and servers ---------------------------------------------------------------------


@dataclass(frozen=True)
class TlsSetup:
    ca: Path
    other_ca: Path
    cert: Path
    key: Path

    def server_context(self, *, tickets: int = 2) -> ssl.SSLContext:
        """A server context for the certificate; ALPN prefers ``h2``, so a client that offered
        it would get it. ``tickets``: TLS 1.3 session tickets sent after the handshake."""
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.cert, self.key)
        context.set_alpn_protocols(["h2", "http/1.1"])
        context.num_tickets = tickets
        return context


@pytest.fixture(scope="module")
def tls(tmp_path_factory: pytest.TempPathFactory) -> TlsSetup:
    """A CA, a server certificate for ``localhost`` and ``127.0.0.1`` (an IP address SAN:
    OpenSSL matches addresses only against those), and a second, unrelated CA."""
    directory = tmp_path_factory.mktemp("headstart-tls")
    files = make_tls_files(directory / "ours", ["localhost", "127.0.0.1"])
    other = make_tls_files(directory / "other", ["localhost"])
    return TlsSetup(ca=files.ca_cert, other_ca=other.ca_cert, cert=files.cert, key=files.key)


@dataclass(frozen=True)
class Reply:
    status: int
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""
    chunked: bool = False


@dataclass(frozen=True)
class Seen:
    """One request a server received, on its ``connection``-th TLS connection (from 1)."""

    command: str
    path: str
    authorization: str | None
    connection: int
    headers: tuple[tuple[str, str], ...]

    @property
    def line(self) -> str:
        return f"{self.command} {self.path} {self.authorization}"


@dataclass(frozen=True)
class Handshake:
    alpn: str | None
    version: str | None
    server_name: str | None


Respond = Callable[["_Handler"], Reply]


class _Handler(BaseHTTPRequestHandler):
    server: TlsHttpServer
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self._answer()

    def do_HEAD(self) -> None:
        self._answer()

    def _answer(self) -> None:
        server = self.server
        server.record(self)
        reply = server.respond(self)
        if reply.status == 0:  # no answer: read until the client closes (or the timeout)
            with contextlib.suppress(OSError):
                while self.connection.recv(65536):
                    pass
            self.close_connection = True
            return
        self.send_response(reply.status)
        for name, value in reply.headers:
            self.send_header(name, value)
        named = {name.lower() for name, _value in reply.headers}
        if reply.chunked:
            self.send_header("Transfer-Encoding", "chunked")
        elif "content-length" not in named:
            self.send_header("Content-Length", str(len(reply.body)))
        self.end_headers()
        if self.command == "HEAD":
            return
        if reply.chunked:
            for start in range(0, len(reply.body), 7):
                chunk = reply.body[start : start + 7]
                self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            self.wfile.write(b"0\r\n\r\n")
        else:
            self.wfile.write(reply.body)


class TlsHttpServer(ThreadingHTTPServer):
    """HTTPS on ``127.0.0.1:<free port>``; the handshake runs in the connection's thread.

    Records every completed handshake (``handshakes``, in order: connection 1, 2, ...), every
    request (``requests``) and every connection that ended (``ended``: the client closed it, or
    the server after ``Connection: close``). ``respond`` decides each answer.
    """

    daemon_threads = True

    def __init__(self, context: ssl.SSLContext, respond: Respond) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        context.sni_callback = self._sni
        self.socket = context.wrap_socket(
            self.socket, server_side=True, do_handshake_on_connect=False
        )
        self.respond = respond
        self.changed = threading.Condition()
        self.handshakes: list[Handshake] = []
        self.requests: list[Seen] = []
        self.ended = 0
        self._numbers: dict[socket.socket, int] = {}
        self._names: dict[Any, str] = {}
        self._live: set[socket.socket] = set()
        self._thread = threading.Thread(
            target=self.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def port(self) -> int:
        port: int = self.server_address[1]
        return port

    def start(self) -> TlsHttpServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.shutdown()
        self.server_close()
        with self.changed:
            live = list(self._live)
        for sock in live:  # wake handlers blocked on a read
            with contextlib.suppress(OSError):
                socket.socket.shutdown(sock, socket.SHUT_RDWR)
        self._thread.join(SOON)

    def _sni(self, sslobj: Any, name: str | None, _context: ssl.SSLContext) -> None:
        with self.changed:
            self._names[sslobj] = name or ""

    def finish_request(self, request: Any, client_address: Any) -> None:
        request.settimeout(HANDLER_TIMEOUT)
        with self.changed:
            self._live.add(request)
        try:
            try:
                request.do_handshake()
            except (OSError, ssl.SSLError):
                return
            with self.changed:
                self.handshakes.append(
                    Handshake(
                        request.selected_alpn_protocol(),
                        request.version(),
                        self._names.get(request) or None,
                    )
                )
                self._numbers[request] = len(self.handshakes)
                self.changed.notify_all()
            super().finish_request(request, client_address)
        finally:
            with self.changed:
                self._live.discard(request)
                self.ended += 1
                self.changed.notify_all()

    def handle_error(self, request: Any, client_address: Any) -> None:
        if not isinstance(sys.exc_info()[1], OSError | ssl.SSLError):
            super().handle_error(request, client_address)

    def record(self, handler: _Handler) -> None:
        with self.changed:
            self.requests.append(
                Seen(
                    handler.command,
                    handler.path,
                    handler.headers.get("Authorization"),
                    self._numbers[handler.request],
                    tuple(handler.headers.items()),
                )
            )
            self.changed.notify_all()

    def wait_for(self, predicate: Callable[[TlsHttpServer], bool], timeout: float = SOON) -> bool:
        with self.changed:
            return self.changed.wait_for(lambda: predicate(self), timeout)

    def lines(self) -> list[tuple[str, int]]:
        with self.changed:
            return [(seen.line, seen.connection) for seen in self.requests]

    @property
    def connections(self) -> int:
        with self.changed:
            return len(self.handshakes)


def registry_answers(realm: str) -> Respond:
    """A registry: the manifest for the token, else 401 with a Bearer challenge to ``realm``
    (and a repeated header, to see duplicates kept)."""
    www_authenticate = f'Bearer realm="{realm}",service="x"'

    def respond(handler: _Handler) -> Reply:
        if handler.headers.get("Authorization") == f"Bearer {TOKEN}":
            return Reply(
                200,
                (("Content-Type", OCI_INDEX), ("Docker-Content-Digest", MANIFEST_DIGEST)),
                MANIFEST,
            )
        return Reply(
            401,
            (
                ("Content-Type", "application/json"),
                ("WWW-Authenticate", www_authenticate),
                ("X-Dup", "one"),
                ("X-Dup", "two"),
            ),
            UNAUTHORIZED_BODY,
        )

    return respond


def token_answers(handler: _Handler) -> Reply:
    if not handler.path.startswith("/token"):
        return Reply(404)
    body = json.dumps({"token": TOKEN, "expires_in": 300}).encode()
    return Reply(200, (("Content-Type", "application/json"),), body)


Servers = tuple[TlsHttpServer, TlsHttpServer]


@contextlib.contextmanager
def running(context_for: Callable[[], ssl.SSLContext]) -> Iterator[Servers]:
    token = TlsHttpServer(context_for(), token_answers).start()
    try:
        realm = f"https://127.0.0.1:{token.port}/token"
        registry = TlsHttpServer(context_for(), registry_answers(realm)).start()
        try:
            yield registry, token
        finally:
            registry.stop()
    finally:
        token.stop()


@pytest.fixture
def servers(tls: TlsSetup) -> Iterator[Servers]:
    """(registry, token service) over TLS on 127.0.0.1."""
    with running(tls.server_context) as both:
        yield both


def registry_url(registry: TlsHttpServer, path: str = PATH) -> str:
    return f"https://127.0.0.1:{registry.port}{path}"


def probe_plan(registry: TlsHttpServer, method: str = "GET") -> Plan:
    return Plan(Endpoint("127.0.0.1", registry.port), Probe(method, PATH, ACCEPT))


@pytest.fixture
def outcomes() -> Iterator[list[Outcome]]:
    """Outcomes to close at the end of a test, whatever it asserted."""
    taken: list[Outcome] = []
    yield taken
    for outcome in taken:
        outcome.close()


@pytest.fixture
def run_head_start(tls: TlsSetup, outcomes: list[Outcome]) -> Callable[..., Outcome]:
    def run(plan: Plan, *, ca: Path | str | None = None, wait: float = SOON) -> Outcome:
        outcome = HeadStart(plan, str(ca or tls.ca)).start().finish(wait)
        outcomes.append(outcome)
        return outcome

    return run


def _without_server_headers(headers: Sequence[tuple[str, str]]) -> list[tuple[str, str]]:
    return [(k, v) for k, v in headers if k not in ("Server", "Date")]


# -- the head start on its own -----------------------------------------------------------------


def test_head_start_gets_the_answer_and_opens_the_realms_connection(
    servers: Servers, tls: TlsSetup, run_head_start: Callable[..., Outcome]
) -> None:
    registry, token = servers
    outcome = run_head_start(probe_plan(registry))
    assert outcome.problems == []
    assert outcome.ca_path == str(tls.ca)
    answer = outcome.answer
    assert answer is not None
    assert (answer.method, answer.url, answer.accept) == ("GET", registry_url(registry), ACCEPT)
    assert (answer.status, answer.reason, answer.body) == (401, "Unauthorized", UNAUTHORIZED_BODY)
    realm = f"https://127.0.0.1:{token.port}/token"
    assert _without_server_headers(answer.headers) == [
        ("Content-Type", "application/json"),
        ("WWW-Authenticate", f'Bearer realm="{realm}",service="x"'),
        ("X-Dup", "one"),
        ("X-Dup", "two"),
        ("Content-Length", str(len(UNAUTHORIZED_BODY))),
    ]
    assert [endpoint for endpoint, _sock in outcome.connections] == [
        Endpoint("127.0.0.1", registry.port),
        Endpoint("127.0.0.1", token.port),
    ]
    for _endpoint, sock in outcome.connections:
        assert isinstance(sock, ssl.SSLSocket) and sock.fileno() != -1
        assert sock.selected_alpn_protocol() == "http/1.1"
    # The registry got the probe, as written, on one connection; the token service only a
    # handshake (the token request is the session's, with the scope the challenge decides).
    assert registry.lines() == [(f"GET {PATH} None", 1)]
    assert dict(registry.requests[0].headers) == {
        "Host": f"127.0.0.1:{registry.port}",
        "User-Agent": USER_AGENT,
        "Accept-Encoding": "identity",
        "Accept": ACCEPT,
        "Connection": "keep-alive",
    }
    assert token.wait_for(lambda s: len(s.handshakes) == 1)
    assert token.requests == []
    # Closing the outcome closes both: the servers see it.
    outcome.close()
    assert outcome.connections == []
    assert registry.wait_for(lambda s: s.ended == 1)
    assert token.wait_for(lambda s: s.ended == 1)


@pytest.mark.parametrize(
    ("reply", "to_realm"),
    [
        (Reply(401, (("WWW-Authenticate", 'Bearer realm="{realm}",service="x"'),)), True),
        # Several challenges, over two headers: the Bearer one counts.
        (
            Reply(
                401,
                (
                    ("WWW-Authenticate", 'Basic realm="x"'),
                    ("WWW-Authenticate", 'Bearer realm="{realm}"'),
                ),
            ),
            True,
        ),
        (Reply(401, (("WWW-Authenticate", 'Basic realm="registry"'),)), False),
        (Reply(401, (("WWW-Authenticate", 'Bearer realm="http://127.0.0.1:9/token"'),)), False),
        (Reply(401, (("WWW-Authenticate", 'Bearer service="x"'),)), False),
        (Reply(401, (("WWW-Authenticate", 'Bearer realm="unterminated'),)), False),
        (Reply(401), False),
        # The realm on the registry's own host: its connection is the one already open.
        (Reply(401, (("WWW-Authenticate", 'Bearer realm="{registry}/token"'),)), False),
        (Reply(200, (("Docker-Content-Digest", MANIFEST_DIGEST),), MANIFEST), False),
        (Reply(404, (("WWW-Authenticate", 'Bearer realm="{realm}"'),)), False),
    ],
)
def test_the_realm_is_connected_only_for_a_bearer_challenge_elsewhere(
    servers: Servers, reply: Reply, to_realm: bool, run_head_start: Callable[..., Outcome]
) -> None:
    registry, token = servers
    places = {
        "realm": f"https://127.0.0.1:{token.port}/token",
        "registry": f"https://127.0.0.1:{registry.port}",
    }
    headers = tuple((k, v.format(**places)) for k, v in reply.headers)
    registry.respond = lambda _handler: Reply(reply.status, headers, reply.body)
    outcome = run_head_start(probe_plan(registry))
    assert outcome.problems == []
    assert outcome.answer is not None and outcome.answer.status == reply.status
    wanted = [Endpoint("127.0.0.1", registry.port)]
    if to_realm:
        wanted.append(Endpoint("127.0.0.1", token.port))
    assert [endpoint for endpoint, _sock in outcome.connections] == wanted
    assert registry.connections == 1
    assert token.wait_for(lambda s: s.connections == (1 if to_realm else 0))


def test_the_ca_can_be_found_in_the_background(servers: Servers, tls: TlsSetup) -> None:
    """start() passes a function: certifi's import is paid in the thread, not before it."""
    registry, _token = servers
    threads: list[str] = []

    def find_ca() -> str:
        threads.append(threading.current_thread().name)
        return str(tls.ca)

    outcome = HeadStart(probe_plan(registry), find_ca).start().finish(SOON)
    try:
        assert outcome.problems == []
        assert outcome.ca_path == str(tls.ca)
        assert outcome.answer is not None and len(outcome.connections) == 2
        assert threads == ["hubaction-head-start"]
    finally:
        outcome.close()


def test_a_head_answer_has_no_body(
    servers: Servers, run_head_start: Callable[..., Outcome]
) -> None:
    registry, _token = servers
    registry.respond = lambda _handler: Reply(
        200, (("Docker-Content-Digest", MANIFEST_DIGEST), ("Content-Length", "1234"))
    )
    outcome = run_head_start(probe_plan(registry, "HEAD"))
    assert outcome.problems == []
    assert outcome.answer is not None
    assert (outcome.answer.method, outcome.answer.status, outcome.answer.body) == ("HEAD", 200, b"")
    assert ("Content-Length", "1234") in outcome.answer.headers
    assert registry.lines() == [(f"HEAD {PATH} None", 1)]
    # The connection stays usable: the answer ended where its headers did.
    assert [endpoint for endpoint, _sock in outcome.connections] == [
        Endpoint("127.0.0.1", registry.port)
    ]


def test_a_chunked_answer_is_kept_dechunked(
    servers: Servers, run_head_start: Callable[..., Outcome]
) -> None:
    registry, _token = servers
    registry.respond = lambda _handler: Reply(200, (("Content-Type", OCI_INDEX),), MANIFEST, True)
    outcome = run_head_start(probe_plan(registry))
    assert outcome.problems == []
    assert outcome.answer is not None and outcome.answer.body == MANIFEST
    assert ("Transfer-Encoding", "chunked") in outcome.answer.headers
    assert len(outcome.connections) == 1


def test_an_answer_with_connection_close_is_kept_but_not_its_socket(
    servers: Servers, tls: TlsSetup, run_head_start: Callable[..., Outcome]
) -> None:
    registry, token = servers
    respond = registry.respond

    def closing(handler: _Handler) -> Reply:
        reply = respond(handler)
        return Reply(reply.status, (*reply.headers, ("Connection", "close")), reply.body)

    registry.respond = closing
    outcome = run_head_start(probe_plan(registry))
    assert outcome.problems == []
    assert outcome.answer is not None and outcome.answer.status == 401
    # Only the realm's connection: the registry's was closed after its answer.
    assert [endpoint for endpoint, _sock in outcome.connections] == [
        Endpoint("127.0.0.1", token.port)
    ]
    assert registry.wait_for(lambda s: s.ended == 1)


@pytest.mark.parametrize(("extra", "kept"), [(0, True), (1, False)])
def test_an_answer_larger_than_a_manifest_is_not_kept(
    servers: Servers,
    monkeypatch: pytest.MonkeyPatch,
    run_head_start: Callable[..., Outcome],
    extra: int,
    kept: bool,
) -> None:
    limit = 100
    monkeypatch.setattr(headstart, "MAX_MANIFEST_BYTES", limit)
    registry, token = servers
    body = b"x" * (limit + extra)
    registry.respond = lambda _handler: Reply(200, (("Content-Type", OCI_INDEX),), body)
    outcome = run_head_start(probe_plan(registry))
    if kept:
        assert outcome.problems == []
        assert outcome.answer is not None and outcome.answer.body == body
        assert len(outcome.connections) == 1
    else:
        assert outcome.problems == ["ValueError: the answer is larger than any manifest"]
        assert outcome.answer is None
        assert outcome.connections == []
        assert registry.wait_for(lambda s: s.ended == 1)  # its socket was closed
    assert token.connections == 0


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


@pytest.mark.parametrize(
    ("where", "ca", "problem"),
    [
        ("closed port", "ca", "ConnectionRefusedError: "),
        ("registry", "other_ca", "SSLCertVerificationError: "),
        ("registry", "missing", "FileNotFoundError: "),
    ],
)
def test_a_failure_only_loses_the_head_start(
    servers: Servers,
    tls: TlsSetup,
    tmp_path: Path,
    run_head_start: Callable[..., Outcome],
    where: str,
    ca: str,
    problem: str,
) -> None:
    registry, token = servers
    port = _closed_port() if where == "closed port" else registry.port
    plan = Plan(Endpoint("127.0.0.1", port), Probe("GET", PATH, ACCEPT))
    ca_file = {"ca": tls.ca, "other_ca": tls.other_ca, "missing": tmp_path / "none.pem"}[ca]
    started = time.monotonic()
    outcome = run_head_start(plan, ca=ca_file)
    assert time.monotonic() - started < SOON
    # Once: a CA file that cannot be loaded fails every thread, but is reported by the first.
    assert len(outcome.problems) == 1 and outcome.problems[0].startswith(problem)
    assert outcome.answer is None
    assert outcome.connections == []
    assert registry.requests == [] and token.connections == 0


def test_finish_does_not_wait_for_a_registry_that_never_answers(
    servers: Servers, tls: TlsSetup
) -> None:
    registry, token = servers
    registry.respond = lambda _handler: Reply(0)  # reads the request, says nothing
    start = HeadStart(probe_plan(registry), str(tls.ca)).start()
    assert registry.wait_for(lambda s: len(s.requests) == 1)
    started = time.monotonic()
    outcome = start.finish(wait=0.2)
    elapsed = time.monotonic() - started
    try:
        assert 0.2 <= elapsed < 2.0
        assert outcome.problems == ["not done after 0.2 s; going on without it"]
        assert outcome.answer is None and outcome.connections == []
        # The late socket is closed by the head start now, not after its 20 s read timeout.
        assert registry.wait_for(lambda s: s.ended == 1, timeout=3.0)
        assert outcome.answer is None and outcome.connections == []
        assert token.connections == 0
    finally:
        outcome.close()


def test_finish_does_not_wait_for_a_handshake_that_never_ends(tls: TlsSetup) -> None:
    """A listener that accepts and never speaks TLS: the handshake blocks until ``finish``
    stops it, and the listener sees the connection closed."""
    events: list[str] = []
    done = threading.Event()
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        listener.settimeout(SOON)

        def accept() -> None:
            with contextlib.suppress(OSError):
                conn, _address = listener.accept()
                with conn:
                    conn.settimeout(HANDLER_TIMEOUT)
                    events.append("accepted")
                    with contextlib.suppress(OSError):
                        while conn.recv(65536):  # the ClientHello, then EOF
                            pass
                    events.append("closed")
            done.set()

        thread = threading.Thread(target=accept, daemon=True)
        thread.start()
        plan = Plan(Endpoint("127.0.0.1", listener.getsockname()[1]), Probe("GET", PATH, ACCEPT))
        start = HeadStart(plan, str(tls.ca)).start()
        time.sleep(0.3)
        started = time.monotonic()
        outcome = start.finish(wait=0.2)
        assert time.monotonic() - started < 2.0
        assert outcome.problems == ["not done after 0.2 s; going on without it"]
        assert outcome.connections == [] and outcome.answer is None
        assert done.wait(3.0)
        thread.join(SOON)
    assert events == ["accepted", "closed"]


def test_close_before_finish_closes_everything(servers: Servers, tls: TlsSetup) -> None:
    registry, token = servers
    start = HeadStart(probe_plan(registry), str(tls.ca)).start()
    assert token.wait_for(lambda s: len(s.handshakes) == 1)
    start.close()
    assert registry.wait_for(lambda s: s.ended == 1)
    assert token.wait_for(lambda s: s.ended == 1)


def test_close_after_finish_leaves_the_taken_connections_open(
    servers: Servers, tls: TlsSetup, outcomes: list[Outcome]
) -> None:
    registry, _token = servers
    start = HeadStart(probe_plan(registry), str(tls.ca)).start()
    outcome = start.finish(SOON)
    outcomes.append(outcome)
    assert len(outcome.connections) == 2
    start.close()
    assert all(sock.fileno() != -1 for _endpoint, sock in outcome.connections)
    assert registry.ended == 0


# -- TLS settings ------------------------------------------------------------------------------

CONTEXT_SETTINGS = (
    "protocol",
    "minimum_version",
    "maximum_version",
    "options",
    "verify_flags",
    "verify_mode",
    "check_hostname",
    "hostname_checks_common_name",
    "post_handshake_auth",
)


@pytest.mark.parametrize("keylog", [False, True])
def test_tls_context_has_urllib3s_settings(
    tls: TlsSetup, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, keylog: bool
) -> None:
    if keylog:
        monkeypatch.setenv("SSLKEYLOGFILE", str(tmp_path / "keys.log"))
    ours = tls_context(str(tls.ca))
    theirs = create_urllib3_context()
    theirs.load_verify_locations(cafile=str(tls.ca))
    assert {n: getattr(ours, n) for n in CONTEXT_SETTINGS} == {
        n: getattr(theirs, n) for n in CONTEXT_SETTINGS
    }
    assert ours.keylog_filename == theirs.keylog_filename
    assert (ours.keylog_filename is not None) is keylog
    assert ours.get_ciphers() == theirs.get_ciphers()
    assert ours.get_ca_certs() == theirs.get_ca_certs()
    assert ours.cert_store_stats() == {"crl": 0, "x509_ca": 1, "x509": 1}


def test_tls_context_loads_a_ca_directory(tmp_path: Path) -> None:
    ours = tls_context(str(tmp_path))
    theirs = create_urllib3_context()
    theirs.load_verify_locations(capath=str(tmp_path))
    assert ours.cert_store_stats() == theirs.cert_store_stats()


@pytest.mark.parametrize("host", ["localhost", "127.0.0.1"])
def test_the_head_starts_handshake_is_urllib3s(
    servers: Servers,
    tls: TlsSetup,
    monkeypatch: pytest.MonkeyPatch,
    run_head_start: Callable[..., Outcome],
    host: str,
) -> None:
    """The same server sees the same handshake from the head start and from requests: ALPN
    ``http/1.1`` (the server prefers ``h2``, so it was not offered), TLS version, SNI."""
    registry, _token = servers
    registry.respond = lambda _handler: Reply(200, (), MANIFEST)
    plan = Plan(Endpoint(host, registry.port), Probe("GET", PATH, ACCEPT))
    outcome = run_head_start(plan)
    assert outcome.problems == [] and outcome.answer is not None
    monkeypatch.setenv("SSL_CERT_FILE", str(tls.ca))
    with new_session() as session:
        assert session.get(f"https://{host}:{registry.port}{PATH}", timeout=SOON).ok
    assert registry.connections == 2
    ours, theirs = registry.handshakes
    assert ours == theirs
    assert ours.alpn == "http/1.1"
    assert ours.server_name == (host if host == "localhost" else None)


# -- the hand-over -----------------------------------------------------------------------------


@dataclass
class FinishedHeadStart:
    """Stands in for a HeadStart whose threads are done: ``finish`` hands over ``outcome``
    and records the call."""

    outcome: Outcome
    finished: list[float] = field(default_factory=list)

    def finish(self, wait: float = headstart.WAIT) -> Outcome:
        self.finished.append(wait)
        return self.outcome


def test_open_client_takes_over_the_connections_and_replays_the_answer(
    servers: Servers, tls: TlsSetup, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The whole run's first request: the head start's 401 stands in for it, the token
    request and the retry go over the connections it opened. Nothing is sent twice."""
    registry, token = servers
    monkeypatch.setenv("SSL_CERT_FILE", str(tls.ca))
    lines: list[str] = []
    start = HeadStart(probe_plan(registry), str(tls.ca)).start()
    with new_session() as session:
        client = open_client(session=session, head_start=start, debug=lines.append)
        assert lines == [
            f"head start: connection to 127.0.0.1:{registry.port} taken over",
            f"head start: connection to 127.0.0.1:{token.port} taken over",
        ]
        # A loopback reference would be asked over plain HTTP: give the https URL.
        ref = parse_reference(f"127.0.0.1:{registry.port}/o/a:1")
        url = registry_url(registry)
        with client.request(
            "GET", ref, "manifests/1", what="manifest", accept=ACCEPT, url=url
        ) as response:
            assert response.status_code == 200
            body = read_body(response, limit=MAX_MANIFEST_BYTES, what="manifest")
        assert body == MANIFEST
        assert client.requests_sent == 2
        assert f"GET {url} (sent by the head start)" in lines
        # The probe, then the retry with the token: both on the head start's connection.
        assert registry.lines() == [(f"GET {PATH} None", 1), (f"GET {PATH} Bearer {TOKEN}", 1)]
        assert registry.connections == 1
        assert [seen.path.split("?")[0] for seen in token.requests] == ["/token"]


def test_without_the_hand_over_requests_opens_its_own_connection(
    servers: Servers, tls: TlsSetup, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The control for the test above: the same request after a head start whose outcome
    nobody took needs a connection of its own (and the registry sees the first request
    twice)."""
    registry, _token = servers
    monkeypatch.setenv("SSL_CERT_FILE", str(tls.ca))
    start = HeadStart(probe_plan(registry), str(tls.ca)).start()
    start.finish(SOON).close()
    with new_session() as session:
        response = session.get(registry_url(registry), headers={"Accept": ACCEPT}, timeout=SOON)
        assert response.status_code == 401
    assert registry.lines() == [(f"GET {PATH} None", 1), (f"GET {PATH} None", 2)]


@pytest.mark.parametrize("tickets", [0, 2], ids=["no-tickets", "tls13-tickets"])
@pytest.mark.parametrize("how", ["realm", "registry without probe", "preconnect"])
def test_a_connection_opened_ahead_is_the_one_requests_uses(
    tls: TlsSetup,
    monkeypatch: pytest.MonkeyPatch,
    outcomes: list[Outcome],
    how: str,
    tickets: int,
) -> None:
    """A connection that only did its handshake (the realm's, both of Docker Hub's,
    ``preconnect``'s) is reused by the session's first request to that host. With TLS 1.3 the
    server's NewSessionTicket records arrive after the handshake and wait unread on the idle
    socket, which urllib3's own ``is_connected`` took for a closed connection (it opened a
    second one); ``tickets=0`` is the control without them."""
    monkeypatch.setenv("SSL_CERT_FILE", str(tls.ca))
    with (
        running(lambda: tls.server_context(tickets=tickets)) as (registry, token),
        new_session() as session,
    ):
        target = token if how == "realm" else registry
        if how == "preconnect":
            preconnect(session, registry_url(registry))()
        else:
            plan = (
                probe_plan(registry)
                if how == "realm"
                else Plan(Endpoint("127.0.0.1", registry.port), None)
            )
            outcome = HeadStart(plan, str(tls.ca)).start().finish(SOON)
            outcomes.append(outcome)
            lines: list[str] = []
            open_client(session=session, head_start=FinishedHeadStart(outcome), debug=lines.append)
            assert f"head start: connection to 127.0.0.1:{target.port} taken over" in lines
        assert target.wait_for(lambda s: len(s.handshakes) == 1)
        time.sleep(0.1)  # the tickets, if any, are on their way after the handshake
        url = f"https://127.0.0.1:{target.port}/token" if how == "realm" else registry_url(registry)
        assert session.get(url, timeout=SOON).status_code in (200, 401)
        assert target.connections == 1


def _refused_hand_over(servers: Servers, outcome: Outcome) -> None:
    """Adopt ``outcome`` into a session that must refuse it: nothing taken over, both sockets
    closed by ``adopt`` (held here, so not by the garbage collector), no answer replayed."""
    registry, token = servers
    sockets = [sock for _endpoint, sock in outcome.connections]
    assert len(sockets) == 2 and outcome.answer is not None
    lines: list[str] = []
    with new_session() as session:
        assert not same_trust(session, registry_url(registry), outcome.ca_path)
        client = open_client(
            session=session,
            head_start=FinishedHeadStart(outcome),  # type: ignore[arg-type]
            debug=lines.append,
        )
        assert lines == [
            f"head start: connection to 127.0.0.1:{registry.port} not used",
            f"head start: connection to 127.0.0.1:{token.port} not used",
        ]
        assert outcome.connections == []
        assert all(sock.fileno() == -1 for sock in sockets)
        assert registry.wait_for(lambda s: s.ended == 1)
        assert token.wait_for(lambda s: s.ended == 1)
        assert client._take_early("GET", registry_url(registry), ACCEPT) is None


def test_adoption_is_refused_for_another_ca(
    servers: Servers,
    tls: TlsSetup,
    monkeypatch: pytest.MonkeyPatch,
    run_head_start: Callable[..., Outcome],
) -> None:
    """The session verifies against another CA: what the head start did does not count."""
    outcome = run_head_start(probe_plan(servers[0]))
    monkeypatch.setenv("SSL_CERT_FILE", str(tls.other_ca))
    _refused_hand_over(servers, outcome)


@pytest.mark.parametrize("variable", ["https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"])
def test_adoption_is_refused_through_a_proxy(
    servers: Servers,
    tls: TlsSetup,
    monkeypatch: pytest.MonkeyPatch,
    run_head_start: Callable[..., Outcome],
    variable: str,
) -> None:
    """A proxy the session would send through (plan_for would not have started a head start;
    here the variable is set after it): nothing is handed over."""
    outcome = run_head_start(probe_plan(servers[0]))
    monkeypatch.setenv("SSL_CERT_FILE", str(tls.ca))
    monkeypatch.setenv(variable, f"http://127.0.0.1:{_closed_port()}")
    _refused_hand_over(servers, outcome)


def test_a_different_first_request_drops_the_answer(
    servers: Servers, tls: TlsSetup, monkeypatch: pytest.MonkeyPatch
) -> None:
    registry, _token = servers
    monkeypatch.setenv("SSL_CERT_FILE", str(tls.ca))
    registry.respond = lambda handler: Reply(
        200, (("Docker-Content-Digest", MANIFEST_DIGEST),), MANIFEST
    )
    lines: list[str] = []
    start = HeadStart(probe_plan(registry, "GET"), str(tls.ca)).start()
    with new_session() as session:
        client = open_client(session=session, head_start=start, debug=lines.append)
        ref = parse_reference(f"127.0.0.1:{registry.port}/o/a:1")
        url = registry_url(registry)
        with client.request(
            "HEAD", ref, "manifests/1", what="manifest", accept=ACCEPT, url=url
        ) as response:
            assert response.status_code == 200
        assert "head start: the first request is another one; its answer is dropped" in lines
        assert not any("(sent by the head start)" in line for line in lines)
        # One chance: the GET it did answer is now sent too.
        with client.request(
            "GET", ref, "manifests/1", what="manifest", accept=ACCEPT, url=url
        ) as response:
            assert response.content == MANIFEST
    assert registry.lines() == [
        (f"GET {PATH} None", 1),
        (f"HEAD {PATH} None", 1),
        (f"GET {PATH} None", 1),
    ]


URL = "https://registry.example/v2/o/a/manifests/1"


def _answer(**changes: Any) -> Answer:
    fields: dict[str, Any] = {
        "method": "GET",
        "url": URL,
        "accept": ACCEPT,
        "status": 200,
        "reason": "OK",
        "headers": (("Docker-Content-Digest", MANIFEST_DIGEST), ("Content-Type", OCI_INDEX)),
        "body": MANIFEST,
    }
    return Answer(**{**fields, **changes})


def _adopted(answer: Answer, ca: str | None = None) -> tuple[Any, list[str], FinishedHeadStart]:
    lines: list[str] = []
    fake = FinishedHeadStart(Outcome(ca or ca_path({}), answer=answer, problems=["Oops: late"]))
    client = open_client(session=new_session(), head_start=fake, debug=lines.append)  # type: ignore[arg-type]
    return client, lines, fake


@pytest.mark.parametrize(
    ("method", "url", "accept", "replayed"),
    [
        ("GET", URL, ACCEPT, True),
        ("HEAD", URL, ACCEPT, False),
        ("GET", URL.replace("/1", "/2"), ACCEPT, False),
        ("GET", URL.replace("https:", "http:"), ACCEPT, False),
        ("GET", URL + "?x=1", ACCEPT, False),
        ("GET", URL.replace("registry.example", "registry.example:8443"), ACCEPT, False),
        ("GET", URL, None, False),
        ("GET", URL, "application/json", False),
    ],
)
def test_take_early_replays_only_the_identical_request_once(
    method: str, url: str, accept: str | None, replayed: bool
) -> None:
    client, lines, fake = _adopted(_answer())
    assert fake.finished == [headstart.WAIT]
    assert lines == ["head start: Oops: late"]
    response = client._take_early(method, url, accept)
    if replayed:
        assert response is not None
        assert (response.status_code, response.content) == (200, MANIFEST)
        assert lines[-1] == f"GET {URL} (sent by the head start)"
        assert client.requests_sent == 1
    else:
        assert response is None
        assert lines[-1] == "head start: the first request is another one; its answer is dropped"
        assert client.requests_sent == 0
    # One chance either way: not even the identical request gets it now.
    assert client._take_early("GET", URL, ACCEPT) is None
    assert len(lines) == 2


def test_an_answer_verified_against_another_ca_is_not_believed(tls: TlsSetup) -> None:
    client, lines, _fake = _adopted(_answer(), ca=str(tls.ca))
    assert client._take_early("GET", URL, ACCEPT) is None
    assert lines == ["head start: Oops: late"]


def test_a_replayed_404_is_the_not_found_error() -> None:
    body = b'{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]}'
    client, _lines, _fake = _adopted(_answer(status=404, reason="Not Found", body=body))
    with pytest.raises(NotFound) as raised:
        client.get_manifest(parse_reference("registry.example/o/a:1"))
    assert raised.value.what == "tag"
    assert client.requests_sent == 1  # nothing went over the network


# -- replayed_response -------------------------------------------------------------------------

REPLAY_HEADERS = (
    ("Content-Type", "application/json"),
    ("WWW-Authenticate", 'Bearer realm="https://auth.example/token",service="x"'),
    ("X-Dup", "one"),
    ("x-dup", "two"),
    ("Content-Length", str(len(UNAUTHORIZED_BODY))),
)


def _replay(
    method: str = "GET",
    status: int = 401,
    reason: str = "Unauthorized",
    headers: Sequence[tuple[str, str]] = REPLAY_HEADERS,
    body: bytes = UNAUTHORIZED_BODY,
    request_headers: Mapping[str, str] | None = None,
) -> requests.Response:
    return replayed_response(
        new_session(),
        method=method,
        url=URL,
        headers=request_headers or {"Accept": ACCEPT},
        status=status,
        reason=reason,
        response_headers=headers,
        body=body,
    )


def test_replayed_response_looks_like_one_requests_built() -> None:
    response = _replay()
    assert (response.status_code, response.reason, response.ok) == (401, "Unauthorized", False)
    assert response.headers["x-dup"] == "one, two"  # as requests joins a repeated header
    assert response.raw.headers.getlist("X-Dup") == ["one", "two"]
    assert response.headers["WWW-AUTHENTICATE"].startswith("Bearer realm=")
    assert response.url == URL
    assert response.request.method == "GET"
    assert response.request.headers["Accept"] == ACCEPT
    assert response.request.headers["User-Agent"] == USER_AGENT
    assert response.elapsed == dt.timedelta(0)
    assert response.content == UNAUTHORIZED_BODY
    assert response.json()["errors"][0]["code"] == "UNAUTHORIZED"
    assert isinstance(error_for(response, what="manifest"), Unauthorized)


def test_replayed_response_streams() -> None:
    response = _replay()
    assert list(response.iter_content(chunk_size=32)) == [
        UNAUTHORIZED_BODY[i : i + 32] for i in range(0, len(UNAUTHORIZED_BODY), 32)
    ]
    assert read_body(_replay(), limit=1000, what="x") == UNAUTHORIZED_BODY


def test_replayed_head_has_no_body_and_releases() -> None:
    response = _replay(
        "HEAD",
        200,
        "OK",
        (("Content-Length", "1234"), ("Docker-Content-Digest", MANIFEST_DIGEST)),
        b"",
    )
    assert response.headers["Content-Length"] == "1234"
    assert response.content == b""
    release(response)
    assert response.raw.tell() == 0


@pytest.mark.parametrize("length", [True, False])
def test_release_of_a_replayed_get(length: bool) -> None:
    headers = REPLAY_HEADERS if length else REPLAY_HEADERS[:-1]
    response = _replay(headers=headers)
    release(response)
    if length:  # small and sized: drained, as for a connection kept alive
        assert response.raw.tell() == len(UNAUTHORIZED_BODY)
    else:  # closed
        assert response.raw.closed


def test_a_replayed_gzip_body_is_decoded_as_requests_decodes_it() -> None:
    compressed = gzip.compress(MANIFEST)
    response = _replay(
        status=200,
        reason="OK",
        headers=(("Content-Encoding", "gzip"), ("Content-Length", str(len(compressed)))),
        body=compressed,
    )
    assert read_body(response, limit=MAX_MANIFEST_BYTES, what="manifest") == MANIFEST


@pytest.mark.parametrize("chunked", [False, True])
def test_a_replayed_answer_equals_what_requests_gets_from_the_server(
    servers: Servers,
    tls: TlsSetup,
    monkeypatch: pytest.MonkeyPatch,
    run_head_start: Callable[..., Outcome],
    chunked: bool,
) -> None:
    registry, _token = servers
    registry.respond = lambda _handler: Reply(
        404,
        (("Content-Type", "application/json"), ("X-Dup", "one"), ("X-Dup", "two")),
        b'{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]}',
        chunked,
    )
    outcome = run_head_start(probe_plan(registry))
    answer = outcome.answer
    assert answer is not None
    monkeypatch.setenv("SSL_CERT_FILE", str(tls.ca))
    with new_session() as session:
        replay = replayed_response(
            session,
            method=answer.method,
            url=answer.url,
            headers={"Accept": answer.accept},
            status=answer.status,
            reason=answer.reason,
            response_headers=answer.headers,
            body=answer.body,
        )
        real = session.get(
            answer.url,
            headers={"Accept": ACCEPT, "Accept-Encoding": "identity"},
            stream=True,
            timeout=SOON,
        )
        try:

            def seen(response: requests.Response) -> dict[str, Any]:
                headers = {k: v for k, v in response.headers.items() if k != "Date"}
                return {
                    "status": response.status_code,
                    "reason": response.reason,
                    "headers": headers,
                    "url": response.url,
                    "encoding": response.encoding,
                    "content": response.content,
                    "method": response.request.method,
                }

            assert seen(replay) == seen(real)
            assert str(error_for(replay, what="m")) == str(error_for(real, what="m"))
        finally:
            real.close()


# -- end to end: the action over TLS against the real registry ---------------------------------


class _AccessLoggedTlsRegistry(TlsRegistryProcess):
    """The TLS registry with its access log on (to its output file): every request it served."""

    def config(self) -> dict[str, Any]:
        config = super().config()
        config["log"]["accesslog"] = {"disabled": False}
        return config


def _resolves_to_loopback(name: str) -> bool:
    try:
        return ipaddress.ip_address(socket.gethostbyname(name)).is_loopback
    except OSError:
        return False


@contextlib.contextmanager
def names_on_loopback(names: Sequence[str]) -> Iterator[str]:
    """``names`` -> 127.0.0.1 for the block. Names that resolve already (a benchmark running
    now maps the same ones) are left alone: ``mapped_hosts`` drops every marked line when it
    ends, and would take a running benchmark's mapping with it."""
    if all(_resolves_to_loopback(name) for name in names):
        yield "already mapped"
        return
    with mapped_hosts(names) as how:
        yield how


_ACCESS_LINE = re.compile(r'"(GET|HEAD|POST|PUT|PATCH|DELETE) (/v2/\S*) HTTP/[\d.]+" (\d{3}) ')


@dataclass(frozen=True)
class EndToEnd:
    run: ActionRun
    image: PushedImage
    registry_host: str
    auth_host: str
    #: (method, path, status) of every registry request during the run.
    registry_requests: list[tuple[str, str, int]]
    token_requests: list[TokenRequest]
    registry_connections: int
    auth_connections: int
    seconds: float


@pytest.fixture(scope="module")
def end_to_end(
    tmp_path_factory: pytest.TempPathFactory, docker_registry_binary: str
) -> Iterator[EndToEnd]:
    """One run of ``entrypoint.py`` with a head start: the registry over TLS with token auth,
    both behind counting TCP proxies (TLS passes through), on names mapped to 127.0.0.1."""
    work = tmp_path_factory.mktemp("headstart-e2e")
    names = [REGISTRY_NAME, AUTH_NAME]
    files = make_tls_files(work / "tls", names)
    with contextlib.ExitStack() as stack:
        try:
            stack.enter_context(names_on_loopback(names))
        except HostsUnavailable as exc:
            pytest.fail(
                f"The head start's end-to-end test needs {', '.join(names)} -> 127.0.0.1: {exc}",
                pytrace=False,
            )
        storage = work / "storage"
        with RegistryProcess.start_open(storage, work / "open") as open_registry:
            image = push_oci_index(Pusher(open_registry.url))
        loop = stack.enter_context(ProxyLoop())
        token = TlsTokenServer(
            context=server_context(files),
            workdir=work / "token",
            service=TOKEN_SERVICE,
            issuer=TOKEN_ISSUER,
        ).start()
        stack.callback(token.stop)
        auth_proxy: DelayProxy = loop.proxy("auth", ("127.0.0.1", token.port))
        registry = _AccessLoggedTlsRegistry.start_tls(
            storage,
            work / "registry",
            files,
            realm=f"https://{AUTH_NAME}:{auth_proxy.port}/token",
            service=TOKEN_SERVICE,
            issuer=TOKEN_ISSUER,
            rootcertbundle=token.cert_path,
        )
        stack.callback(registry.stop)
        registry_proxy = loop.proxy("registry", ("127.0.0.1", registry.port))
        host = f"{REGISTRY_NAME}:{registry_proxy.port}"
        env = {"SSL_CERT_FILE": str(files.ca_cert), "RUNNER_DEBUG": "1"}
        if "REQUESTS_CA_BUNDLE" in os.environ:  # run_action passes it on; it would win
            env["REQUESTS_CA_BUNDLE"] = str(files.ca_cert)
        token.reset()
        registry_proxy.reset()
        auth_proxy.reset()
        logged = len(registry.output())
        started = time.monotonic()
        run = run_action(
            {
                "repository": f"{host}/{image.repository}",
                "tag": "1",
                "platform": "linux/arm64",
                "list-tags": "false",
                "summary": "false",
            },
            work / "run",
            env=env,
            timeout=60,
        )
        seconds = time.monotonic() - started
        access = [
            (m[1], m[2], int(m[3])) for m in _ACCESS_LINE.finditer(registry.output()[logged:])
        ]
        yield EndToEnd(
            run=run,
            image=image,
            registry_host=host,
            auth_host=f"{AUTH_NAME}:{auth_proxy.port}",
            registry_requests=access,
            token_requests=token.requests,
            registry_connections=registry_proxy.stats().connections,
            auth_connections=auth_proxy.stats().connections,
            seconds=seconds,
        )


@pytest.mark.timeout(120)
def test_end_to_end_outputs(end_to_end: EndToEnd) -> None:
    run = end_to_end.run
    assert run.returncode == 0, run.log
    assert run.errors() == []
    platform = end_to_end.image.platforms["linux/arm64/v8"]
    assert run.outputs["digest"] == end_to_end.image.digest
    assert run.outputs["platform-digest"] == platform.manifest_digest
    assert run.outputs["config-digest"] == platform.config_digest
    assert end_to_end.seconds < 20


def test_end_to_end_the_head_start_did_the_first_request(end_to_end: EndToEnd) -> None:
    debug = [data for name, _props, data in end_to_end.run.commands if name == "debug"]
    repository = end_to_end.image.repository
    first = f"https://{end_to_end.registry_host}/v2/{repository}/manifests/1"
    assert f"GET {first} (sent by the head start)" in debug
    for host in (end_to_end.registry_host, end_to_end.auth_host):
        assert f"head start: connection to {host} taken over" in debug
    assert not any(line.startswith("head start: ") and "not" in line for line in debug), debug


def test_end_to_end_nothing_was_asked_twice(end_to_end: EndToEnd) -> None:
    """4 registry requests + 1 token request, the inspect budget (benchmarks/README.md)."""
    image = end_to_end.image
    platform = image.platforms["linux/arm64/v8"]
    base = f"/v2/{image.repository}"
    assert end_to_end.registry_requests == [
        ("GET", f"{base}/manifests/1", 401),  # the head start's
        ("GET", f"{base}/manifests/1", 200),
        ("GET", f"{base}/manifests/{platform.manifest_digest}", 200),
        ("GET", f"{base}/blobs/{platform.config_digest}", 200),
    ]
    assert [(r.path, r.status, r.has_auth) for r in end_to_end.token_requests] == [
        ("/token", 200, False)
    ]
    # One connection each, the head start's (the proxies count TCP connections).
    assert (end_to_end.registry_connections, end_to_end.auth_connections) == (1, 1)
