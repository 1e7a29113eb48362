"""The servers of a run: a token-auth registry and its token server behind delay proxies, over
plain HTTP (``plain``) and shaped like Docker Hub over TLS (``tls``).

Imported by ``run.py``, which puts ``tests/`` and the repository on ``sys.path`` first.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from delayproxy import DelayProxy, ProxyLoop
from fakes.tokenserver import TokenServer
from registryfixtures import TOKEN_ISSUER, TOKEN_SERVICE, RegistryProcess
from registryfixtures.images import PushedImage, Pusher, push_oci_index
from tlsenv import (
    AUTH_NAME,
    REGISTRY_NAME,
    HostsUnavailable,
    TlsFiles,
    TlsRegistryProcess,
    TlsTokenServer,
    make_tls_files,
    mapped_hosts,
    server_context,
)


@dataclass
class Setup:
    name: str
    title: str
    host: str  # HOST:PORT the clients use
    scheme: str
    registry_proxy: DelayProxy
    auth_proxy: DelayProxy
    env: dict[str, str]
    skopeo_tls: list[str]

    @property
    def counts_requests(self) -> bool:
        # Over TLS the proxies see opaque bytes: only connections can be counted.
        return self.scheme == "http"

    @property
    def base_url(self) -> str:
        return f"{self.scheme}://{self.host}"


@dataclass
class Environment:
    """Everything started for a run; the ``stack`` stops it all."""

    workdir: Path
    loop: ProxyLoop
    stack: contextlib.ExitStack
    image: PushedImage
    open_registry: RegistryProcess
    storage: Path
    setups: dict[str, Setup] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def start_plain(env: Environment) -> Setup:
    auth_server = TokenServer(
        workdir=env.workdir / "plain-token", service=TOKEN_SERVICE, issuer=TOKEN_ISSUER
    ).start()
    env.stack.callback(auth_server.stop)
    auth_proxy = env.loop.proxy("plain-auth", ("127.0.0.1", auth_server.port), parse_http=True)
    registry = RegistryProcess.start_token(
        env.storage,
        env.workdir / "plain-registry",
        realm=f"http://{auth_proxy.address}/token",
        service=TOKEN_SERVICE,
        issuer=TOKEN_ISSUER,
        rootcertbundle=auth_server.cert_path,
    )
    env.stack.callback(registry.stop)
    registry_proxy = env.loop.proxy("plain-registry", ("127.0.0.1", registry.port), parse_http=True)
    return Setup(
        name="plain",
        title="plain HTTP, 127.0.0.1",
        host=registry_proxy.address,
        scheme="http",
        registry_proxy=registry_proxy,
        auth_proxy=auth_proxy,
        env={},
        skopeo_tls=["--tls-verify=false"],
    )


def start_tls(env: Environment) -> Setup:
    files: TlsFiles = make_tls_files(env.workdir / "tls", [REGISTRY_NAME, AUTH_NAME])
    how = env.stack.enter_context(mapped_hosts([REGISTRY_NAME, AUTH_NAME]))
    env.notes.append(f"TLS setup: {REGISTRY_NAME} and {AUTH_NAME} -> 127.0.0.1 ({how}).")
    auth_server = TlsTokenServer(
        context=server_context(files),
        workdir=env.workdir / "tls-token",
        service=TOKEN_SERVICE,
        issuer=TOKEN_ISSUER,
    ).start()
    env.stack.callback(auth_server.stop)
    auth_proxy = env.loop.proxy("tls-auth", ("127.0.0.1", auth_server.port))
    registry = TlsRegistryProcess.start_tls(
        env.storage,
        env.workdir / "tls-registry",
        files,
        realm=f"https://{AUTH_NAME}:{auth_proxy.port}/token",
        service=TOKEN_SERVICE,
        issuer=TOKEN_ISSUER,
        rootcertbundle=auth_server.cert_path,
    )
    env.stack.callback(registry.stop)
    registry_proxy = env.loop.proxy("tls-registry", ("127.0.0.1", registry.port))
    return Setup(
        name="tls",
        title=f"TLS, {REGISTRY_NAME} + {AUTH_NAME} (Docker Hub shape)",
        host=f"{REGISTRY_NAME}:{registry_proxy.port}",
        scheme="https",
        registry_proxy=registry_proxy,
        auth_proxy=auth_proxy,
        env={"SSL_CERT_FILE": str(files.ca_cert), "REQUESTS_CA_BUNDLE": str(files.ca_cert)},
        skopeo_tls=["--cert-dir", str(files.cert_dir)],
    )


@contextlib.contextmanager
def environment(
    workdir: Path, setups: Sequence[str], log: Callable[[str], None]
) -> Iterator[Environment]:
    """Push the fixture through an open registry, then start ``setups`` on the same storage."""
    with contextlib.ExitStack() as stack:
        storage = workdir / "storage"
        loop = stack.enter_context(ProxyLoop())
        open_registry = RegistryProcess.start_open(storage, workdir / "open-registry")
        stack.callback(open_registry.stop)
        log("pushing fixtures/oci-index ...")
        pusher = Pusher(open_registry.url)
        with pusher.session:
            image = push_oci_index(pusher)
        env = Environment(workdir, loop, stack, image, open_registry, storage)
        for name in setups:
            try:
                env.setups[name] = start_plain(env) if name == "plain" else start_tls(env)
            except HostsUnavailable as exc:
                env.notes.append(f"TLS setup skipped: {exc}")
        yield env
