"""Session-wide integration fixtures: real registries on 127.0.0.1, a token server, pushed images.

One storage directory, three registry processes reading it:

* ``open_registry``: no auth; the fixtures are pushed through it once per session
  (``registry_fixtures``).
* ``basic_registry``: htpasswd basic auth, user :data:`BASIC_USER` / :data:`BASIC_PASSWORD`.
* ``token_registry``: token auth against ``token_server`` (users :data:`TOKEN_USER` /
  :data:`TOKEN_PASSWORD`, anonymous pull allowed).

``basic_registry`` and ``token_registry`` depend on ``registry_fixtures`` so the images are there
whichever registry a test asks for. Any test using one of these fixtures is marked
``integration`` automatically.

The integration tests need ``docker-registry``, ``htpasswd`` and ``skopeo``. When one is missing
they FAIL (CI must run them, never skip them silently), unless ``HUBACTION_SKIP_INTEGRATION=1``
is set, which skips them.

Also the fixtures several unit-test modules share: ``step`` and ``_no_github_env_leaks`` for
tests/test_toolkit_*.py.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

# pytest's default "prepend" import mode already puts tests/ (no __init__.py) on sys.path before
# importing this file; this keeps `import registryfixtures` working under --import-mode=importlib.
_TESTS_DIR = str(Path(__file__).resolve().parent)
if _TESTS_DIR not in sys.path:
    sys.path.insert(0, _TESTS_DIR)

import registryfixtures  # noqa: E402
from fakes.clock import FakeClock  # noqa: E402
from fakes.server import FakeServer, Handler  # noqa: E402
from fakes.tokenserver import TokenServer  # noqa: E402
from registryfixtures import (  # noqa: E402
    BASIC_PASSWORD,
    BASIC_REALM,
    BASIC_USER,
    TOKEN_ISSUER,
    TOKEN_PASSWORD,
    TOKEN_SERVICE,
    TOKEN_USER,
    Fixtures,
    RegistryProcess,
    ToolMissing,
    push_all,
    require_tool,
)
from toolkit_steps import Step  # noqa: E402

SKIP_ENV = "HUBACTION_SKIP_INTEGRATION"

#: Fixtures that make a test an integration test.
INTEGRATION_FIXTURES = frozenset(
    {
        "docker_registry_binary",
        "registry_storage",
        "open_registry",
        "basic_registry",
        "token_server",
        "token_registry",
        "registry_fixtures",
        "skopeo_digest",
    }
)

SkopeoDigest = Callable[..., str]


def _skip_requested() -> bool:
    return os.environ.get(SKIP_ENV, "") == "1"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark tests using registry fixtures ``integration``; skip all of them on request."""
    skip = pytest.mark.skip(reason=f"{SKIP_ENV}=1: integration tests skipped on request")
    for item in items:
        if INTEGRATION_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.integration)
        if _skip_requested() and item.get_closest_marker("integration") is not None:
            item.add_marker(skip)


def _need(*tools: str) -> None:
    """Skip when asked to; otherwise fail (not skip) when a tool is missing."""
    if _skip_requested():
        pytest.skip(f"{SKIP_ENV}=1: integration tests skipped on request")
    missing = []
    for tool in tools:
        try:
            require_tool(tool)
        except ToolMissing as error:
            missing.append(str(error))
    if missing:
        # Outside the except block, so the report is the message and nothing else.
        pytest.fail("\n".join(missing), pytrace=False)


@pytest.fixture(scope="session")
def docker_registry_binary() -> str:
    """Path of ``docker-registry``, for tests that start their own registry process."""
    _need("docker-registry")
    return require_tool("docker-registry")


@pytest.fixture(scope="session")
def registry_storage(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The storage directory every registry process of the session serves."""
    _need("docker-registry")
    return tmp_path_factory.mktemp("registry-storage")


@pytest.fixture(scope="session")
def registry_workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Config files, htpasswd, certificate and logs of the session's processes."""
    return tmp_path_factory.mktemp("registry-work")


@pytest.fixture(scope="session")
def open_registry(registry_storage: Path, registry_workdir: Path) -> Iterator[RegistryProcess]:
    """A registry without auth (pull and push for anyone)."""
    registry = RegistryProcess.start_open(registry_storage, registry_workdir / "open")
    try:
        yield registry
    finally:
        registry.stop()


@pytest.fixture(scope="session")
def registry_fixtures(open_registry: RegistryProcess) -> Fixtures:
    """Every fixture image, pushed once per session through ``open_registry``."""
    return push_all(open_registry.url)


@pytest.fixture(scope="session")
def basic_registry(
    registry_storage: Path, registry_workdir: Path, registry_fixtures: Fixtures
) -> Iterator[RegistryProcess]:
    """A registry with htpasswd basic auth (:data:`BASIC_USER` / :data:`BASIC_PASSWORD`)."""
    _need("htpasswd")
    registry = RegistryProcess.start_basic(
        registry_storage,
        registry_workdir / "basic",
        {BASIC_USER: BASIC_PASSWORD},
        realm=BASIC_REALM,
    )
    try:
        yield registry
    finally:
        registry.stop()


@pytest.fixture(scope="session")
def token_server(registry_workdir: Path) -> Iterator[TokenServer]:
    """The token server of ``token_registry``. Shared: change it only through
    ``token_server.overrides(...)``, and call ``reset()`` before counting requests."""
    _need()
    server = TokenServer(
        workdir=registry_workdir / "token-server",
        users={TOKEN_USER: TOKEN_PASSWORD},
        allow_anonymous=True,
        service=TOKEN_SERVICE,
        issuer=TOKEN_ISSUER,
        pusher=TOKEN_USER,
    ).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def token_registry(
    registry_storage: Path,
    registry_workdir: Path,
    token_server: TokenServer,
    registry_fixtures: Fixtures,
) -> Iterator[RegistryProcess]:
    """A registry with token auth against ``token_server`` (anonymous pull allowed)."""
    registry = RegistryProcess.start_token(
        registry_storage,
        registry_workdir / "token",
        realm=token_server.realm,
        service=TOKEN_SERVICE,
        issuer=TOKEN_ISSUER,
        rootcertbundle=token_server.cert_path,
    )
    try:
        yield registry
    finally:
        registry.stop()


@pytest.fixture(scope="session")
def skopeo_digest() -> SkopeoDigest:
    """``skopeo_digest(ref, *, tls_verify=False, creds=None) -> "sha256:..."``: the sha256 of the
    manifest bytes ``skopeo inspect --raw`` fetches for ``ref`` (``127.0.0.1:PORT/NAME:TAG``)."""
    _need("skopeo")
    return registryfixtures.skopeo_digest


@pytest.fixture
def serve() -> Iterator[Callable[[Handler], FakeServer]]:
    """``serve(handler)``: a started :class:`~fakes.server.FakeServer` for ``handler``,
    stopped after the test (however many the test asks for)."""
    servers: list[FakeServer] = []

    def start(handler: Handler) -> FakeServer:
        servers.append(FakeServer(handler).start())
        return servers[-1]

    try:
        yield start
    finally:
        for server in servers:
            server.stop()


@pytest.fixture
def retry_clock(monkeypatch: pytest.MonkeyPatch) -> FakeClock:
    """A :class:`~fakes.clock.FakeClock` as the ``time`` of hubaction's retries (the sleeps of
    ``BudgetRetry``, its budget, ``Retry-After`` dates): waits are recorded in ``sleeps``, not
    slept. Take it before making the session, so the budget runs on it too."""
    import hubaction.registry.errors
    import hubaction.registry.transport

    clock = FakeClock()
    monkeypatch.setattr(hubaction.registry.transport, "time", clock)
    monkeypatch.setattr(hubaction.registry.errors, "time", clock)
    return clock


# -- github.toolkit (tests/test_toolkit_*.py) ------------------------------------------------


@pytest.fixture
def step(tmp_path: Path) -> Step:
    return Step(tmp_path)


@pytest.fixture
def _no_github_env_leaks(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    # Tests run inside GitHub Actions too; Toolkit() without env must not touch the real files.
    for variable in list(os.environ):
        if variable.startswith(("GITHUB_", "INPUT_", "RUNNER_")):
            monkeypatch.delenv(variable)
    yield


@pytest.fixture(autouse=True)
def _forget_known_secrets() -> Iterator[None]:
    # hubaction.oci.wire.KNOWN_SECRETS is process-wide (every credential sent, every token and
    # mask is added): each test starts with none, so one test's password never hides text in
    # another's messages.
    from hubaction.oci.wire import KNOWN_SECRETS

    KNOWN_SECRETS.clear()
    yield
    KNOWN_SECRETS.clear()
