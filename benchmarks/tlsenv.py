"""The Docker-Hub-shaped setup: a registry over TLS on one host name, its token service over
TLS on another, both on this machine.

* **Names.** hubaction speaks plain HTTP to loopback hosts (``localhost``, ``127.0.0.0/8``)
  and never resolves names to decide, so the TLS setup needs real-looking names:
  :data:`REGISTRY_NAME` and :data:`AUTH_NAME`. :func:`mapped_hosts` adds one marked line
  mapping them to 127.0.0.1 to ``/etc/hosts`` for the duration of the run and restores the
  file's exact bytes afterwards, also on Ctrl-C and SIGTERM (see :func:`mapped_hosts`). Every
  client resolves through it: glibc for the Python tools, Go's resolver for skopeo and the
  registry. The file is rewritten in place, never renamed over, because in containers it is
  often a bind mount.
* **Certificates.** :func:`make_tls_files` makes a test CA and one server certificate for both
  names (the tests' :mod:`fakes.tls`, ECDSA P-256). Clients trust the CA, never the certificate
  alone: ``SSL_CERT_FILE`` and ``REQUESTS_CA_BUNDLE`` for hubaction, python-dxf and the bare
  ``requests`` script, ``--cert-dir`` (a directory holding ``ca.crt``) for skopeo.
* **Servers.** The registry terminates TLS itself (distribution's ``http.tls``), and
  :class:`TlsTokenServer` is :class:`registryfixtures.tokenserver.TokenServer` with its
  listening socket wrapped by ``ssl``; the handshake runs in the request's thread, not in the
  accept loop. The delay proxies in front of both stay plain TCP relays, so TLS handshakes pay
  the delay like a real network would make them.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import ssl
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any

import fakes.tls as fake_tls
from fakes.tokenserver import TokenServer
from registryfixtures.server import RegistryProcess

REGISTRY_NAME = "registry.bench.test"
AUTH_NAME = "auth.bench.test"
HOSTS_FILE = Path("/etc/hosts")
HOSTS_MARKER = "# hubaction-benchmark (temporary; removed when the benchmark ends)"


@dataclass(frozen=True)
class TlsFiles:
    ca_cert: Path
    cert: Path
    key: Path
    #: A directory with ``ca.crt`` only, for ``skopeo --cert-dir``.
    cert_dir: Path


def make_tls_files(directory: Path, names: Sequence[str]) -> TlsFiles:
    """The tests' CA and server certificate for ``names`` (:mod:`fakes.tls`), valid two days
    (more than any run), plus the CA alone in a directory for skopeo's ``--cert-dir``."""
    made = fake_tls.make_tls_files(directory, names, days=2)
    files = TlsFiles(made.ca_cert, made.cert, made.key, cert_dir=directory / "certs.d")
    files.cert_dir.mkdir(exist_ok=True)
    (files.cert_dir / "ca.crt").write_bytes(made.ca_cert.read_bytes())
    return files


def server_context(files: TlsFiles) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(files.cert, files.key)
    return context


# -- host names --------------------------------------------------------------------------------


def _resolves_to_loopback(name: str) -> bool:
    try:
        return socket.gethostbyname(name).startswith("127.")
    except OSError:
        return False


def _without_marked_lines(text: str) -> str:
    return "".join(line for line in text.splitlines(True) if HOSTS_MARKER not in line)


class HostsUnavailable(RuntimeError):
    """The names cannot be mapped (``/etc/hosts`` not writable and no mapping present)."""


def _raise_interrupt(signum: int, _frame: FrameType | None) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


@contextlib.contextmanager
def mapped_hosts(names: Sequence[str], hosts_file: Path = HOSTS_FILE) -> Iterator[str]:
    """Make ``names`` resolve to 127.0.0.1 while the ``with`` block runs.

    Yields how: ``"already mapped"`` or ``"added to /etc/hosts"``. A line left by a run that was
    killed with SIGKILL (the only way around the restore) carries :data:`HOSTS_MARKER` and is
    dropped by the next run. SIGTERM and SIGHUP are turned into ``KeyboardInterrupt`` for the
    duration, so the ``finally`` that restores the file runs for them as for Ctrl-C.
    """
    try:
        original = hosts_file.read_text(encoding="utf-8")
    except OSError as exc:
        raise HostsUnavailable(f"cannot read {hosts_file}: {exc}") from None
    cleaned = _without_marked_lines(original)
    if cleaned == original and all(_resolves_to_loopback(n) for n in names):
        yield "already mapped"
        return
    if not os.access(hosts_file, os.W_OK):
        raise HostsUnavailable(
            f"{hosts_file} is not writable (run as root, as CI does), and {', '.join(names)} "
            f"do not resolve to 127.0.0.1; add this line to it yourself: "
            f"127.0.0.1 {' '.join(names)}"
        )
    previous: dict[signal.Signals, Any] = {}
    if threading.current_thread() is threading.main_thread():
        for signum in (signal.SIGTERM, signal.SIGHUP):
            previous[signum] = signal.signal(signum, _raise_interrupt)
    line = f"127.0.0.1 {' '.join(names)} {HOSTS_MARKER}\n"
    separator = "" if cleaned.endswith("\n") or not cleaned else "\n"
    try:
        _write_in_place(hosts_file, cleaned + separator + line)
        missing = [n for n in names if not _resolves_to_loopback(n)]
        if missing:
            raise HostsUnavailable(
                f"{', '.join(missing)} still do not resolve to 127.0.0.1 after editing "
                f"{hosts_file} (is /etc/nsswitch.conf skipping `files`?)"
            )
        yield f"added to {hosts_file}"
    finally:
        # The exact bytes as found, minus stale lines of an earlier killed run.
        _write_in_place(hosts_file, cleaned)
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def _write_in_place(path: Path, text: str) -> None:
    with path.open("r+", encoding="utf-8") as handle:
        handle.seek(0)
        handle.write(text)
        handle.truncate()
        handle.flush()
        os.fsync(handle.fileno())


# -- servers -----------------------------------------------------------------------------------


class TlsTokenServer(TokenServer):
    """:class:`TokenServer` over TLS (same protocol, same recording)."""

    def __init__(self, *, context: ssl.SSLContext, **kwargs: Any) -> None:
        super().__init__(tls=context, **kwargs)


class TlsRegistryProcess(RegistryProcess):
    """A token-auth registry serving HTTPS (distribution's ``http.tls``).

    Start it with :meth:`start_tls`. The readiness probe of :class:`RegistryProcess` sends plain
    HTTP; Go answers that with ``400 Client sent an HTTP request to an HTTPS server``, which
    counts as "up".
    """

    tls: TlsFiles | None = None

    @classmethod
    def start_tls(
        cls,
        storage_dir: Path,
        workdir: Path,
        files: TlsFiles,
        *,
        realm: str,
        service: str,
        issuer: str,
        rootcertbundle: Path,
    ) -> TlsRegistryProcess:
        auth = {
            "token": {
                "realm": realm,
                "service": service,
                "issuer": issuer,
                "rootcertbundle": str(rootcertbundle),
            }
        }
        registry = cls(storage_dir=storage_dir, workdir=workdir, mode="token-tls", auth=auth)
        registry.tls = files
        registry.start()
        return registry

    def config(self) -> dict[str, Any]:
        config: dict[str, Any] = super().config()
        if self.tls is not None:
            config["http"]["tls"] = {
                "certificate": str(self.tls.cert),
                "key": str(self.tls.key),
            }
        return config
