"""Real registries on loopback: Debian's ``docker-registry`` (CNCF distribution 2.8) run as
a subprocess.

One storage directory is served by up to three registry processes at once, each with a different
``auth`` section: none, htpasswd basic auth, or token auth. Fixtures are pushed once through the
open one and read through every kind of auth. This works because the filesystem driver reads the
tree on every request (no ``storage.cache`` is configured, so nothing is cached in memory).

The config file is written as JSON: YAML 1.2 is a superset of JSON and the registry's
``gopkg.in/yaml.v2`` parser reads it, which spares us hand-quoting YAML (paths, realms).

``skopeo`` lives here too: it is the independent second opinion on what the registry serves, run
as a subprocess like the registry itself.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from fakes.server import free_port

#: How long a registry gets to answer ``GET /v2/`` after it was started.
STARTUP_TIMEOUT = 20.0
#: How long ``stop()`` waits after SIGTERM before it sends SIGKILL.
STOP_TIMEOUT = 5.0
#: Bound on one skopeo run (it retries nothing: ``--retry-times`` defaults to 0).
SKOPEO_TIMEOUT = 60.0

_INSTALL_HINTS = {
    "docker-registry": "apt-get install docker-registry",
    "htpasswd": "apt-get install apache2-utils",
    "skopeo": "apt-get install skopeo",
}


class ToolMissing(RuntimeError):
    """A program the integration tests drive (registry, htpasswd, skopeo) is not installed."""


class RegistryStartError(RuntimeError):
    """The registry process exited or did not answer ``GET /v2/`` in time."""


def require_tool(name: str) -> str:
    """Return the absolute path of program ``name`` or raise :class:`ToolMissing` saying how to
    install it."""
    path = shutil.which(name)
    if path is None:
        hint = _INSTALL_HINTS.get(name, f"install {name}")
        raise ToolMissing(
            f"{name!r} is not on PATH; the integration tests need it ({hint}, as .ci/run does). "
            "Set HUBACTION_SKIP_INTEGRATION=1 to skip the integration tests instead."
        )
    return path


def write_htpasswd(path: Path, users: Mapping[str, str]) -> Path:
    """Write an htpasswd file with bcrypt entries (the only hash distribution accepts)."""
    htpasswd = require_tool("htpasswd")
    lines = []
    for user, password in users.items():
        # -B bcrypt, -b password on the command line, -n print instead of editing a file.
        done = subprocess.run(
            [htpasswd, "-Bbn", user, password],
            capture_output=True,
            text=True,
            check=False,
            timeout=30,
        )
        if done.returncode != 0:
            raise RuntimeError(
                f"htpasswd failed for user {user!r} (exit {done.returncode}): {done.stderr.strip()}"
            )
        lines.append(done.stdout.strip())
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


class RegistryProcess:
    """One ``docker-registry serve`` subprocess on ``127.0.0.1:<free port>``.

    Build one with :meth:`start_open`, :meth:`start_basic` or :meth:`start_token`, which return
    it started; call :meth:`stop` (or use it as a context manager) to end it.
    """

    def __init__(
        self,
        *,
        storage_dir: Path,
        workdir: Path,
        mode: str = "open",
        auth: Mapping[str, Any] | None = None,
    ) -> None:
        self.storage_dir = Path(storage_dir)
        self.workdir = Path(workdir)
        self.mode = mode
        self.auth = dict(auth) if auth is not None else None
        self.port = 0
        self.process: subprocess.Popen[bytes] | None = None
        self.config_path = self.workdir / f"registry-{mode}.json"
        self.stderr_path = self.workdir / f"registry-{mode}.stderr"

    # -- constructors -------------------------------------------------------------------------

    @classmethod
    def start_open(cls, storage_dir: Path, workdir: Path) -> RegistryProcess:
        """A registry without authentication: anyone may pull and push."""
        return cls(storage_dir=storage_dir, workdir=workdir, mode="open").start()

    @classmethod
    def start_basic(
        cls,
        storage_dir: Path,
        workdir: Path,
        users: Mapping[str, str],
        *,
        realm: str = "test-basic",
    ) -> RegistryProcess:
        """A registry with htpasswd basic auth: every request needs one of ``users``."""
        workdir.mkdir(parents=True, exist_ok=True)
        htpasswd_path = write_htpasswd(workdir / "htpasswd", users)
        auth = {"htpasswd": {"realm": realm, "path": str(htpasswd_path)}}
        return cls(storage_dir=storage_dir, workdir=workdir, mode="basic", auth=auth).start()

    @classmethod
    def start_token(
        cls,
        storage_dir: Path,
        workdir: Path,
        *,
        realm: str,
        service: str,
        issuer: str,
        rootcertbundle: Path,
    ) -> RegistryProcess:
        """A registry with token auth: it answers 401 with a Bearer challenge pointing at
        ``realm`` and accepts JWTs from ``issuer`` for ``service`` signed by a certificate
        chaining to ``rootcertbundle``."""
        auth = {
            "token": {
                "realm": realm,
                "service": service,
                "issuer": issuer,
                "rootcertbundle": str(rootcertbundle),
            }
        }
        return cls(storage_dir=storage_dir, workdir=workdir, mode="token", auth=auth).start()

    # -- addresses ----------------------------------------------------------------------------

    @property
    def host(self) -> str:
        """``127.0.0.1:PORT``, the registry part of an image reference."""
        return f"127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT`` (no trailing slash)."""
        return f"http://{self.host}"

    def ref(self, repository_and_tag: str) -> str:
        """``127.0.0.1:PORT/NAME:TAG`` for ``NAME:TAG`` (or ``NAME@DIGEST``)."""
        return f"{self.host}/{repository_and_tag}"

    # -- lifecycle ----------------------------------------------------------------------------

    def config(self) -> dict[str, Any]:
        """The registry configuration (see distribution's ``docs/configuration.md``)."""
        config: dict[str, Any] = {
            "version": "0.1",
            "log": {"level": "error", "accesslog": {"disabled": True}},
            "storage": {
                "filesystem": {"rootdirectory": str(self.storage_dir)},
                "delete": {"enabled": True},
                # The purger walks the upload directories of the shared tree in the background;
                # several processes doing that at once is pointless churn.
                "maintenance": {"uploadpurging": {"enabled": False}},
            },
            "http": {
                "addr": self.host,
                # Upload state is HMAC'd with this secret; the same value in every process means
                # an upload started on one could finish on another. Without it each process
                # invents one and logs a warning.
                "secret": "hubaction-test-http-secret",
            },
        }
        if self.auth is not None:
            config["auth"] = self.auth
        return config

    def start(self, timeout: float = STARTUP_TIMEOUT) -> Self:
        """Start the process and wait until ``GET /v2/`` answers (any status).

        Retries on a new port when the chosen one was taken in between (see
        :func:`fakes.server.free_port`).
        """
        binary = require_tool("docker-registry")
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.storage_dir.mkdir(parents=True, exist_ok=True)
        # REGISTRY_* variables override config keys (REGISTRY_HTTP_ADDR, ...): a stray one in the
        # environment of a developer machine must not change what we test against.
        env = {k: v for k, v in os.environ.items() if not k.startswith("REGISTRY_")}
        last_error: RegistryStartError | None = None
        for _attempt in range(3):
            self.port = free_port()
            self.config_path.write_text(json.dumps(self.config(), indent=2), encoding="utf-8")
            with self.stderr_path.open("wb") as stderr:
                self.process = subprocess.Popen(
                    [binary, "serve", str(self.config_path)],
                    stdin=subprocess.DEVNULL,
                    stdout=stderr,
                    stderr=stderr,
                    cwd=self.workdir,
                    env=env,
                )
            try:
                self._wait_until_up(timeout)
            except RegistryStartError as error:
                self.stop()
                last_error = error
                if "address already in use" in str(error):
                    continue
                raise
            return self
        assert last_error is not None
        raise last_error

    def _wait_until_up(self, timeout: float) -> None:
        assert self.process is not None
        deadline = time.monotonic() + timeout
        probe = f"{self.url}/v2/"
        # No proxies: an HTTP_PROXY of the machine running the tests must not see loopback calls.
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        while True:
            code = self.process.poll()
            if code is not None:
                raise RegistryStartError(
                    f"docker-registry ({self.mode}) exited with status {code} before answering "
                    f"{probe}; config {self.config_path}; its output:\n{self.output()}"
                )
            try:
                with opener.open(probe, timeout=1.0):
                    return
            except urllib.error.HTTPError:
                return  # 401 from an auth-enabled registry: it is up.
            except OSError:
                pass  # Not listening yet (connection refused / reset).
            if time.monotonic() > deadline:
                raise RegistryStartError(
                    f"docker-registry ({self.mode}) did not answer {probe} within {timeout:.0f} s; "
                    f"config {self.config_path}; its output:\n{self.output()}"
                )
            time.sleep(0.05)

    def output(self) -> str:
        """What the process printed so far (stdout and stderr; log level is ``error``)."""
        try:
            return self.stderr_path.read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            return ""

    def stop(self, timeout: float = STOP_TIMEOUT) -> None:
        """SIGTERM, wait up to ``timeout`` seconds, then SIGKILL. Idempotent."""
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=timeout)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"RegistryProcess(mode={self.mode!r}, url={self.url!r})"


# -- skopeo ---------------------------------------------------------------------------------------

Creds = tuple[str, str] | str | None


def _skopeo(args: list[str], ref: str, *, tls_verify: bool, creds: Creds) -> bytes:
    skopeo = require_tool("skopeo")
    if "://" not in ref:
        ref = f"docker://{ref}"
    command = [skopeo, "inspect", f"--tls-verify={'true' if tls_verify else 'false'}", *args]
    if creds is None:
        # Never pick up an auth.json of the machine running the tests.
        command.append("--no-creds")
    else:
        command.append("--creds=" + (creds if isinstance(creds, str) else ":".join(creds)))
    command.append(ref)
    done = subprocess.run(command, capture_output=True, check=False, timeout=SKOPEO_TIMEOUT)
    if done.returncode != 0:
        shown = [c if not c.startswith("--creds=") else "--creds=***" for c in command]
        raise RuntimeError(
            f"skopeo failed (exit {done.returncode}) for {ref!r}: "
            f"{done.stderr.decode(errors='replace').strip()}\ncommand: {shown}"
        )
    return done.stdout


def skopeo_inspect_raw(
    ref: str, *, tls_verify: bool = False, creds: Creds = None, config: bool = False
) -> bytes:
    """The manifest bytes skopeo fetches for ``ref`` (``[docker://]HOST/NAME:TAG``), exactly as
    served; with ``config=True`` the config blob bytes instead.

    ``--tls-verify=false`` makes containers/image fall back to plain HTTP for our loopback
    registries. ``creds`` is ``(user, password)`` or ``"user:password"``.
    """
    args = ["--raw", "--config"] if config else ["--raw"]
    return _skopeo(args, ref, tls_verify=tls_verify, creds=creds)


def skopeo_digest(ref: str, *, tls_verify: bool = False, creds: Creds = None) -> str:
    """``sha256:`` of the manifest bytes skopeo fetches for ``ref`` (the top-level manifest: an
    index stays an index)."""
    raw = skopeo_inspect_raw(ref, tls_verify=tls_verify, creds=creds)
    return "sha256:" + hashlib.sha256(raw).hexdigest()


def skopeo_inspect_digest(ref: str, *, tls_verify: bool = False, creds: Creds = None) -> str:
    """skopeo's own ``{{.Digest}}`` for ``ref``: also the top-level manifest's digest, computed
    by containers/image rather than by us. ``--no-tags`` spares listing thousands of tags."""
    out = _skopeo(["--no-tags", "--format", "{{.Digest}}"], ref, tls_verify=tls_verify, creds=creds)
    return out.decode().strip()


def skopeo_inspect(ref: str, *, tls_verify: bool = False, creds: Creds = None) -> dict[str, Any]:
    """skopeo's parsed view (``Digest``, ``Architecture``, ``Os``, ``Labels``, ``Created``...).

    For an index it describes the instance matching the host platform, so it proves the
    configs are readable by containers/image, not just well-hashed.
    """
    out = _skopeo(["--no-tags"], ref, tls_verify=tls_verify, creds=creds)
    parsed: dict[str, Any] = json.loads(out)
    return parsed
