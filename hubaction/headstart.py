"""Head start: a run's first round trips travel while Python is still starting.

A CI step that asks a registry one question is mostly waiting: on the way to a registry the
TCP handshake, the TLS handshake and the first request (which only earns a 401 and the token
realm) are three round trips, and the token service costs two more handshakes before its own
request. Meanwhile the process spends about 0.2 s importing ``requests``, ``urllib3``, ``ssl``
and ``http.client``. Nothing forces these to take turns: as soon as the inputs are read, the
head start opens the registry's connection, sends the run's first request and, when the answer
is a Bearer 401, opens the token service's connection too, in a thread, with the standard
library only, while the main thread imports. At 30 ms per round trip that takes five round trips
(150 ms) off the critical path; at 100 ms, as much as the imports take. For Docker Hub the realm
is known, so the head start only opens the connections (``registry-1.docker.io``,
``auth.docker.io``, and ``hub.docker.com`` when the run will ask Docker Hub's API) at once.

The hand-over is exact or nothing (see ``transport.adopt_connection`` and
``RegistryClient.adopt``):

* A connection joins the pool ``requests`` uses for its host only when ``requests`` itself would
  have verified it against the same CA file and would not go through a proxy; else it is closed.
* The answer replaces the run's first request only when that request is the very same (method,
  URL, ``Accept``, no ``Authorization``); then it takes the normal path: a 401 goes through the
  challenge, a 404 becomes the "not found" error, a redirect is followed. Otherwise it is dropped
  (one request more, still the right answer).
* Any failure (refused, DNS, TLS verification, timeout, an odd answer) only loses the head start:
  the normal path makes the same request and reports the error as it always does.

No head start (the normal path only) for plain-HTTP registries (loopback, ``insecure``), when a
proxy variable is set (``requests`` would route through it), when a ``.netrc`` file exists
(``requests`` would send its credentials), or with ``HUBACTION_HEAD_START=0``.

Why the standard library and a thread here, when every other request goes through the run's
``requests.Session``: the session does not exist yet, the point is not to wait for it. The
socket-level code is small: ``http.client`` parses the answer, and the TLS context repeats
urllib3's ``create_urllib3_context`` settings (a test compares them).
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from hubaction import USER_AGENT
from hubaction.challenge import parse_www_authenticate_headers
from hubaction.contract import (
    FALSE_VALUES,
    INPUT_DEFAULTS,
    TRUE_VALUES,
    input_variable,
    reference_input,
)
from hubaction.errors import HubActionError
from hubaction.mediatypes import ACCEPT, MAX_MANIFEST_BYTES
from hubaction.reference import (
    DOCKER_HUB_API_HOST,
    DOCKER_HUB_REALM,
    Reference,
    is_loopback_host,
)

if TYPE_CHECKING:
    import ssl

# The same bounds as the normal path's (transport.DEFAULT_TIMEOUT): connect, then each read.
CONNECT_TIMEOUT = 10.0
READ_TIMEOUT = 20.0
# How long the main thread waits for the head start once it is ready to send the first request
# itself. Past that it goes on alone (the late connections are closed): a black-holed registry
# costs the normal path's timeouts plus at most this.
WAIT = 10.0
# Environment variables through which requests would route HTTPS (urllib.request.getproxies),
# lower-cased: any spelling counts.
PROXY_VARIABLES = ("https_proxy", "all_proxy")
DISABLE_VARIABLE = "HUBACTION_HEAD_START"
HTTPS_PORT = 443


@dataclass(frozen=True)
class Endpoint:
    """A TLS host to connect to: ``hostname`` without brackets, and its port."""

    hostname: str
    port: int = HTTPS_PORT

    @property
    def netloc(self) -> str:
        """As in a URL and the ``Host`` header (RFC 9110 §7.2): the port only when not 443."""
        host = f"[{self.hostname}]" if ":" in self.hostname else self.hostname
        return host if self.port == HTTPS_PORT else f"{host}:{self.port}"

    def url(self, path: str = "/") -> str:
        return f"https://{self.netloc}{path}"

    @classmethod
    def of_url(cls, url: str) -> Endpoint | None:
        """The endpoint of an ``https`` URL, else ``None``."""
        try:
            parts = urlsplit(url)
            port = parts.port
        except ValueError:
            return None
        if parts.scheme != "https" or not parts.hostname:
            return None
        return cls(parts.hostname, port or HTTPS_PORT)


@dataclass(frozen=True)
class Probe:
    """The run's first request, as the registry client will send it."""

    method: str
    path: str
    accept: str
    #: The URL the client will use for it (``https://ghcr.io:443/...`` stays as written; on the
    #: wire the port goes only where it is not the default, as http.client does). Empty: the
    #: endpoint's URL.
    url: str = ""

    def wire(self, endpoint: Endpoint) -> bytes:
        """The request as sent: the headers ``requests`` would send, without compression (the
        answer is replayed as is) and without credentials (the first request has none)."""
        lines = [
            f"{self.method} {self.path} HTTP/1.1",
            f"Host: {endpoint.netloc}",
            f"User-Agent: {USER_AGENT}",
            "Accept-Encoding: identity",
            f"Accept: {self.accept}",
            "Connection: keep-alive",
            "",
            "",
        ]
        # The path comes from a parsed reference: ASCII by the reference grammar.
        return "\r\n".join(lines).encode("ascii")


@dataclass(frozen=True)
class Plan:
    """Where to connect first, and what to ask there."""

    registry: Endpoint
    probe: Probe | None = None
    #: Other hosts to connect to at once (Docker Hub's token service).
    also: tuple[Endpoint, ...] = ()


@dataclass(frozen=True)
class Answer:
    """What the registry answered to the probe: everything needed to replay it."""

    method: str
    url: str
    accept: str
    status: int
    reason: str
    headers: tuple[tuple[str, str], ...]
    body: bytes


@dataclass
class Outcome:
    """What the head start got: open connections (to adopt or close) and maybe the answer."""

    #: The CA file (or directory) the connections were verified against.
    ca_path: str
    connections: list[tuple[Endpoint, ssl.SSLSocket]] = field(default_factory=list)
    answer: Answer | None = None
    #: Why part of it failed, for the debug log.
    problems: list[str] = field(default_factory=list)

    def close(self) -> None:
        for _endpoint, sock in self.connections:
            sock.close()
        self.connections.clear()


def _enabled(environ: Mapping[str, str]) -> bool:
    if environ.get(DISABLE_VARIABLE, "").strip().lower() in ("0", "false", "no", "off"):
        return False
    # requests (urllib.request.getproxies_environment) takes these names in any letter case.
    if any(value and name.lower() in PROXY_VARIABLES for name, value in environ.items()):
        return False
    # requests adds Basic credentials from .netrc (trust_env) to a request without any; the
    # probe sends none, so with a .netrc around it would not be the request the client sends.
    netrc = environ.get("NETRC")
    home = environ.get("HOME") or os.path.expanduser("~")
    candidates = [netrc] if netrc else [os.path.join(home, ".netrc"), os.path.join(home, "_netrc")]
    return not any(os.path.exists(path) for path in candidates)


def plan_for(
    ref: Reference, method: str, environ: Mapping[str, str], *, also: tuple[str, ...] = ()
) -> Plan | None:
    """The head start for a run whose first request is ``method`` of ``ref``'s manifest, or
    ``None`` where there is none to take (see the module docstring). ``also``: URLs of other
    hosts the run will use (Docker Hub's API), to connect to at once (``https`` ones only)."""
    if not _enabled(environ):
        return None
    registry = Endpoint.of_url(f"https://{ref.api_host}/")
    if registry is None or is_loopback_host(registry.hostname):
        return None  # loopback registries speak plain HTTP: a handshake costs nothing there
    others: list[Endpoint] = []
    for url in (DOCKER_HUB_REALM,) * ref.is_docker_hub + also:
        endpoint = Endpoint.of_url(url)
        if endpoint is not None and endpoint != registry and endpoint not in others:
            others.append(endpoint)
    if ref.is_docker_hub:
        # The realm is known: the first request carries a token, so there is nothing to probe;
        # both handshakes overlap the start-up instead.
        assert registry.hostname == DOCKER_HUB_API_HOST
        return Plan(registry, None, tuple(others))
    path = f"/v2/{ref.repository}/manifests/{ref.identifier()}"
    # The URL as the registry client spells it (RegistryClient._url), explicit port included:
    # the answer stands in for the request with exactly this URL.
    probe = Probe(method, path, ACCEPT, f"https://{ref.api_host}{path}")
    return Plan(registry, probe, tuple(others))


def ca_path(environ: Mapping[str, str]) -> str:
    """The CA file (or directory) ``requests`` verifies TLS against in this environment.

    requests (``Session.merge_environment_settings``) takes ``REQUESTS_CA_BUNDLE``, then
    ``CURL_CA_BUNDLE``, over the session's ``verify``, which ``transport.new_session`` sets from
    ``SSL_CERT_FILE``; ``True`` means certifi's bundle. ``transport.adopt_connection`` checks the
    result against what requests actually decides, so a difference only loses the head start.
    """
    for name in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "SSL_CERT_FILE"):
        value = environ.get(name)
        if value:
            return value
    import certifi  # requests' own CA bundle; a dependency of requests

    return str(certifi.where())


def tls_context(ca: str) -> ssl.SSLContext:
    """A client context with urllib3's settings (``urllib3.util.ssl_.create_urllib3_context``
    and ``ssl_wrap_socket``): TLS 1.2+, no compression, no session tickets, hostname checked
    (never the common name), ALPN ``http/1.1``; verified against ``ca``."""
    import ssl
    import sys

    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.options |= ssl.OP_NO_SSLv2 | ssl.OP_NO_SSLv3 | ssl.OP_NO_COMPRESSION | ssl.OP_NO_TICKET
    if sys.version_info >= (3, 13):  # as ssl.create_default_context() and urllib3 do from 3.13
        context.verify_flags |= ssl.VERIFY_X509_PARTIAL_CHAIN | ssl.VERIFY_X509_STRICT
    if getattr(context, "post_handshake_auth", None) is not None:
        context.post_handshake_auth = True
    context.verify_mode = ssl.CERT_REQUIRED
    context.check_hostname = True
    context.hostname_checks_common_name = False
    keylog = os.environ.get("SSLKEYLOGFILE")
    if keylog:
        context.keylog_filename = os.path.expandvars(keylog)
    if os.path.isdir(ca):
        context.load_verify_locations(capath=ca)
    else:
        context.load_verify_locations(cafile=ca)
    context.set_alpn_protocols(["http/1.1"])
    return context


def _bearer_realm(answer: Answer) -> Endpoint | None:
    if answer.status != 401:
        return None
    values = [v for k, v in answer.headers if k.lower() == "www-authenticate"]
    try:
        challenges = parse_www_authenticate_headers(values)
    except HubActionError:
        return None  # the normal path reports a malformed challenge
    for challenge in challenges:
        if challenge.scheme == "bearer":
            realm = challenge.params.get("realm")
            return Endpoint.of_url(realm) if realm else None
    return None


def _read_answer(sock: ssl.SSLSocket, endpoint: Endpoint, probe: Probe) -> tuple[Answer, bool]:
    """Read the whole answer to ``probe``; also whether the connection stays open."""
    import http.client

    response = http.client.HTTPResponse(sock, method=probe.method)
    try:
        response.begin()
        # A manifest at most (or an error body): anything longer is not worth replaying.
        body = response.read(MAX_MANIFEST_BYTES + 1)
        if len(body) > MAX_MANIFEST_BYTES:
            raise ValueError("the answer is larger than any manifest")
        answer = Answer(
            method=probe.method,
            url=probe.url or endpoint.url(probe.path),
            accept=probe.accept,
            status=response.status,
            reason=response.reason,
            headers=tuple(response.getheaders()),
            body=body,
        )
        return answer, not response.will_close
    finally:
        response.close()  # the file over the socket, not the socket


class _Stopped(Exception):
    """The run went on without the head start (or the failure was reported already)."""


class HeadStart:
    """Runs a :class:`Plan` in background threads; :meth:`finish` collects the
    :class:`Outcome`, :meth:`close` stops what is left.

    The threads are daemons, and a process must not exit while one of them is inside OpenSSL
    with the GIL released (a TLS handshake, a read, loading a CA bundle): OpenSSL's exit
    handlers free what that call is using, and the process crashes (seen here: SIGSEGV and
    SIGABRT when the action failed on its inputs within milliseconds). So every such call runs
    inside :meth:`_openssl`, and :meth:`_stop` (from :meth:`finish` and :meth:`close`) shuts
    the sockets in flight down, which ends any blocked handshake or read at once, and waits for
    the calls to return; no new one starts after that.
    """

    def __init__(self, plan: Plan, ca: str | Callable[[], str]) -> None:
        """``ca``: the CA file or directory, or a function giving it, called in the background
        (finding certifi's bundle imports ``certifi``, tens of ms better spent on the wire)."""
        self.plan = plan
        self._ca = ca
        self._outcome = Outcome(ca if isinstance(ca, str) else "")
        self._cond = threading.Condition()
        self._busy = 0
        self._stopped = False
        self._taken = False
        self._in_flight: set[socket.socket] = set()
        self._context: ssl.SSLContext | None = None
        self._context_lock = threading.Lock()
        self._context_failed = False
        self._threads: list[threading.Thread] = []

    def start(self) -> HeadStart:
        # The TLS context (importing ssl, loading the CA bundle: CPU) is made while the TCP
        # handshakes are on the wire, not after them.
        targets: list[tuple[Callable[..., object], tuple[Endpoint, ...]]] = [
            (self._registry, ()),
            (self._tls, ()),
        ]
        targets += [(self._connect_only, (endpoint,)) for endpoint in self.plan.also]
        for target, args in targets:
            thread = threading.Thread(
                target=self._guarded, args=(target, *args), name="hubaction-head-start", daemon=True
            )
            thread.start()
            self._threads.append(thread)
        return self

    def finish(self, wait: float = WAIT) -> Outcome:
        """Wait (at most ``wait`` s in all), stop what is left and take what the head start got;
        the caller owns the outcome's connections from then on."""
        deadline = time.monotonic() + wait
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        late = any(t.is_alive() for t in self._threads)
        self._stop()
        with self._cond:
            if late:
                self._outcome.problems.append(f"not done after {wait:g} s; going on without it")
            self._taken = True
            return self._outcome

    def close(self) -> None:
        """Stop the threads and close what nobody took (the run ended before the lookups)."""
        self._stop()
        with self._cond:
            if not self._taken:
                self._taken = True
                self._outcome.close()

    def _stop(self, wait: float = 2.0) -> None:
        with self._cond:
            self._stopped = True
            for sock in self._in_flight:
                with suppress(OSError):
                    # The plain socket's shutdown: wakes a handshake or read blocked on it in
                    # another thread, without touching the SSL object that thread is using.
                    socket.socket.shutdown(sock, socket.SHUT_RDWR)
            self._cond.wait_for(lambda: self._busy == 0, timeout=wait)

    # -- the threads ---------------------------------------------------------------------------

    @contextmanager
    def _openssl(self) -> Iterator[None]:
        with self._cond:
            if self._stopped:
                raise _Stopped
            self._busy += 1
        try:
            yield
        finally:
            with self._cond:
                self._busy -= 1
                self._cond.notify_all()

    def _track(self, sock: socket.socket, flying: bool) -> None:
        with self._cond:
            if flying:
                self._in_flight.add(sock)
            else:
                self._in_flight.discard(sock)

    def _tls(self) -> ssl.SSLContext:
        with self._context_lock:
            if self._context_failed:
                raise _Stopped  # reported once, by the thread that tried
            if self._context is None:
                try:
                    if not isinstance(self._ca, str):
                        ca = self._ca()
                        with self._cond:
                            self._outcome.ca_path = ca
                    with self._openssl():
                        self._context = tls_context(self._outcome.ca_path)
                except Exception:
                    self._context_failed = True
                    raise
            return self._context

    def _connect(self, endpoint: Endpoint) -> ssl.SSLSocket:
        raw = socket.create_connection((endpoint.hostname, endpoint.port), timeout=CONNECT_TIMEOUT)
        try:
            # urllib3's default socket option: a request must not wait for Nagle's algorithm.
            raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            # As urllib3: a trailing dot is dropped for certificate matching.
            tls = self._tls().wrap_socket(
                raw,
                server_hostname=endpoint.hostname.rstrip("."),
                do_handshake_on_connect=False,
            )
        except BaseException:
            raw.close()
            raise
        self._track(tls, True)
        try:
            with self._openssl():
                tls.do_handshake()
        except BaseException:
            self._track(tls, False)
            tls.close()
            raise
        tls.settimeout(READ_TIMEOUT)
        return tls

    def _keep(self, endpoint: Endpoint, sock: ssl.SSLSocket) -> bool:
        with self._cond:
            self._in_flight.discard(sock)
            if not self._stopped:
                self._outcome.connections.append((endpoint, sock))
                return True
        sock.close()
        return False

    def _guarded(self, target: Callable[..., object], *args: Endpoint) -> None:
        try:
            target(*args)
        except _Stopped:
            pass
        except Exception as exc:  # any failure only loses the head start
            with self._cond:
                if not self._stopped:
                    self._outcome.problems.append(f"{type(exc).__name__}: {exc}")

    def _connect_only(self, endpoint: Endpoint) -> None:
        self._keep(endpoint, self._connect(endpoint))

    def _registry(self) -> None:
        plan = self.plan
        sock = self._connect(plan.registry)
        if plan.probe is None:
            self._keep(plan.registry, sock)
            return
        try:
            with self._openssl():
                sock.sendall(plan.probe.wire(plan.registry))
                answer, keep = _read_answer(sock, plan.registry, plan.probe)
        except BaseException:
            self._track(sock, False)
            sock.close()
            raise
        if keep:
            if not self._keep(plan.registry, sock):
                return
        else:
            self._track(sock, False)
            sock.close()
        with self._cond:
            if self._stopped:
                return
            self._outcome.answer = answer
        realm = _bearer_realm(answer)
        if realm is not None and realm != plan.registry:
            self._connect_only(realm)


def start(
    ref: Reference,
    method: str,
    environ: Mapping[str, str] | None = None,
    *,
    also: tuple[str, ...] = (),
) -> HeadStart | None:
    """Start the head start for a run whose first request is ``method`` of ``ref``'s manifest
    (and that will use the hosts of ``also``); ``None`` where there is none to take."""
    environ = os.environ if environ is None else environ
    plan = plan_for(ref, method, environ, also=also)
    if plan is None:
        return None
    return HeadStart(plan, lambda: ca_path(environ)).start()


def action_plan(environ: Mapping[str, str]) -> Plan | None:
    """The action's head start, from its raw ``INPUT_*`` variables; ``None`` when there is none
    to take, or when the inputs are invalid (the action then reports them as usual)."""

    def get(name: str) -> str:
        return environ.get(input_variable(name), "").strip()

    try:
        ref = reference_input(get)
    except HubActionError:
        return None
    if ref is None or get("insecure") in TRUE_VALUES:
        return None
    digest_only = get("digest-only") in TRUE_VALUES
    # Docker Hub's API: the tags of a docker.io image (steps._hub_tags; `list-tags` defaults to
    # true), a namespace's repositories, the namespaces.
    tags_from_hub = ref.is_docker_hub and get("list-tags") not in FALSE_VALUES and not digest_only
    hub_api = tags_from_hub or bool(get("namespace")) or get("list-namespaces") in TRUE_VALUES
    also = (get("hub-url") or str(INPUT_DEFAULTS["hub-url"]),) if hub_api else ()
    # The action's first request: the tag's manifest, by HEAD for digest-only (steps._image).
    return plan_for(ref, "HEAD" if digest_only else "GET", environ, also=also)


def start_for_action(environ: Mapping[str, str] | None = None) -> HeadStart | None:
    """Start the action's head start (:func:`action_plan`): called by ``entrypoint.py`` before
    the action's own modules are imported."""
    env = os.environ if environ is None else environ
    plan = action_plan(env)
    return None if plan is None else HeadStart(plan, lambda: ca_path(env)).start()
