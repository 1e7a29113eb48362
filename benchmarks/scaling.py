"""Scaling report (issue 7, section 4): how hubaction's cost grows with the number of tags.

All over the plain HTTP setup (requests are counted) at one delay per round trip:

1. **A summary with per-tag digests for 100 tags.** The action with ``list-tags: true``,
   ``summary: true`` on a repository of 100 tags: one HEAD per tag, at most
   ``hubaction.registry.lookup.CONCURRENCY`` at a time on the session's pool. Compared with
   the same run with ``summary: false`` (tags listed, no per-tag HEADs), whose difference is
   what the 100 digests cost.
2. **A 10,000-tag repository.** ``hubaction tags`` (time, requests, peak RSS as ``VmHWM``) next
   to the same on the 100-tag repository; the action with tag listing and summary on it; and
   ``RegistryClient.list_tags`` + ``select_tags`` in a probe process under ``tracemalloc``
   (peak Python heap).
3. **A 5,000-tag Docker Hub listing.** ``HubClient.tags`` against a mock of Docker Hub's tags
   endpoint (pages of 100 pre-rendered from ``tests/hubfixtures/tags-page.json``; served by
   :class:`PagedHub` behind its own delay proxy), with the default page concurrency and with
   one page at a time.

The tagged repositories are made cheaply: one image pushed through the Registry API with one
tag, then the other tags written straight into the registry's storage tree, exactly what a tag
push writes there (``_manifests/tags/<tag>/current/link`` and
``_manifests/tags/<tag>/index/sha256/<hex>/link``); the filesystem driver reads the tree on
every request, so the registry serves them like pushed tags. 10,000 tag PUTs would take
minutes.
"""

from __future__ import annotations

import copy
import json
import math
import statistics
import threading
import urllib.parse
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from cases import action_env
from delayproxy import DelayProxy, ProxyStats
from fakes.hubserver import fake_digest, load
from process import CLIENTS, PYTHON, ROOT, Finished, base_env, run_process
from registryfixtures.images import Pusher, build_image
from setups import Environment, Setup, start_plain

from hubaction.dockerhub.client import CONCURRENCY as PAGE_CONCURRENCY
from hubaction.registry.lookup import CONCURRENCY as HEAD_CONCURRENCY

HUB_PAGE_SIZE = 100

#: Runs ``sys.argv[1]`` (a script path or a module name) and reports ``VmHWM`` on stderr.
HWM_WRAPPER = """
import atexit, runpy, sys
def _hwm():
    with open('/proc/self/status') as status:
        for line in status:
            if line.startswith('VmHWM:'):
                sys.stderr.write('VMHWM_KIB=' + line.split()[1] + '\\n')
atexit.register(_hwm)
target = sys.argv[1]
sys.argv = sys.argv[1:]
if target.endswith('.py'):
    runpy.run_path(target, run_name='__main__')
else:
    runpy.run_module(target, run_name='__main__', alter_sys=True)
"""


def version_tags(count: int) -> list[str]:
    """``count`` distinct version-like tags (``A.B.C``), as a real repository has."""
    return [f"{i // 1000}.{(i // 10) % 100}.{i % 10}" for i in range(count)]


def tagged_repository(env: Environment, repository: str, tags: Sequence[str]) -> str:
    """Push one image as ``repository:latest`` and give it ``tags`` too; returns its digest."""
    built = build_image(
        name=repository,
        platform="linux/amd64",
        created="2024-01-01T00:00:00Z",
        labels={"org.opencontainers.image.title": repository},
        docker=False,
    )
    pusher = Pusher(env.open_registry.url)
    with pusher.session:
        pusher.image(repository, built)
        pusher.manifest(repository, "latest", built.manifest)
    digest: str = built.manifest.digest
    algorithm, hex_digest = digest.split(":")
    tags_dir = env.storage / "docker/registry/v2/repositories" / repository / "_manifests" / "tags"
    if not (tags_dir / "latest" / "current" / "link").is_file():
        raise RuntimeError(f"unexpected registry storage layout under {tags_dir}")
    for tag in tags:
        current = tags_dir / tag / "current"
        index = tags_dir / tag / "index" / algorithm / hex_digest
        current.mkdir(parents=True, exist_ok=True)
        index.mkdir(parents=True, exist_ok=True)
        (current / "link").write_text(digest)
        (index / "link").write_text(digest)
    return digest


# -- mock Docker Hub tags endpoint -------------------------------------------------------------


class PagedHub:
    """``GET /v2/namespaces/{ns}/repositories/{repo}/tags?page=N&page_size=100`` for one
    repository of ``count`` tags, pages rendered once (the test suite's ``HubServer`` deep-copies
    its data on every request, which at 5,000 tags would measure the mock, not the client)."""

    def __init__(self, namespace: str, repository: str, count: int) -> None:
        self.path = f"/v2/namespaces/{namespace}/repositories/{repository}/tags"
        self.count = count
        self.pages: dict[int, bytes] = {}
        self._server: ThreadingHTTPServer | None = None

    def render(self, public_url: str) -> None:
        template = load("tags-page.json")["results"][0]
        docs = []
        for i, name in enumerate(version_tags(self.count)):
            doc = copy.deepcopy(template)
            doc.update(name=name, id=500_000 + i, digest=fake_digest(f"huge:{name}"))
            for image in doc["images"]:
                image["digest"] = fake_digest(f"huge:{name}/{image['architecture']}")
            docs.append(doc)
        last = max(1, math.ceil(self.count / HUB_PAGE_SIZE))

        def link(number: int) -> str:
            query = urllib.parse.urlencode({"page": number, "page_size": HUB_PAGE_SIZE})
            return f"{public_url}{self.path}?{query}"

        for number in range(1, last + 1):
            page = {
                "count": self.count,
                "next": link(number + 1) if number < last else None,
                "previous": link(number - 1) if number > 1 else None,
                "results": docs[(number - 1) * HUB_PAGE_SIZE : number * HUB_PAGE_SIZE],
            }
            self.pages[number] = json.dumps(page).encode()

    def start(self) -> int:
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                split = urllib.parse.urlsplit(self.path)
                query = urllib.parse.parse_qs(split.query)
                status, body = 404, b'{"detail": "Not found."}'
                if split.path == owner.path:
                    size = query.get("page_size", ["10"])[0]
                    number = query.get("page", ["1"])[0]
                    if size != str(HUB_PAGE_SIZE) or not number.isdigit():
                        status, body = 400, b'{"detail": "page_size must be 100 here"}'
                    elif int(number) in owner.pages:
                        status, body = 200, owner.pages[int(number)]
                    else:
                        body = b'{"detail": "Invalid page."}'
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        self._server = server
        threading.Thread(target=server.serve_forever, name="paged-hub", daemon=True).start()
        port: int = server.server_address[1]
        return port

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()


# -- measuring ---------------------------------------------------------------------------------


@dataclass
class Measured:
    seconds: float
    registry: ProxyStats
    auth: ProxyStats
    vm_hwm_kib: int | None
    finished: Finished


def _hwm(finished: Finished) -> int | None:
    for line in finished.stderr.splitlines():
        if line.startswith("VMHWM_KIB="):
            return int(line.split("=", 1)[1])
    return None


def _run(
    proxies: tuple[DelayProxy, DelayProxy],
    argv: list[str],
    env: dict[str, str],
    cwd: Path,
    check: Callable[[Finished], str | None] | None = None,
) -> Measured:
    for proxy in proxies:
        proxy.reset()
    finished = run_process(argv, env=env, cwd=cwd)
    registry, auth = (proxy.reset() for proxy in proxies)
    if finished.returncode != 0:
        raise RuntimeError(
            f"{argv[:4]}... failed ({finished.returncode}): {finished.stderr[-800:]}"
        )
    if check is not None:
        problem = check(finished)
        if problem:
            raise RuntimeError(f"{argv[:4]}...: {problem}")
    return Measured(finished.seconds, registry, auth, _hwm(finished), finished)


def _median(runs: list[Measured]) -> Measured:
    ordered = sorted(runs, key=lambda m: m.seconds)
    return ordered[len(ordered) // 2]


def _heads(stats: ProxyStats) -> int:
    return sum(1 for r in stats.requests if r.method == "HEAD")


def _describe(m: Measured) -> str:
    hwm = f", peak RSS {m.vm_hwm_kib / 1024:.0f} MiB" if m.vm_hwm_kib else ""
    return (
        f"{m.seconds:6.3f} s, {len(m.registry.requests)}+{len(m.auth.requests)} requests "
        f"({_heads(m.registry)} HEAD), {m.registry.connections}+{m.auth.connections} "
        f"connections{hwm}"
    )


# -- the report --------------------------------------------------------------------------------


@dataclass
class Scaling:
    """What the three parts share: the plain setup, the clean environment, runs per median."""

    env: Environment
    setup: Setup
    common: dict[str, str]
    delay: float
    runs: int
    src: Path

    @property
    def proxies(self) -> tuple[DelayProxy, DelayProxy]:
        return (self.setup.registry_proxy, self.setup.auth_proxy)

    def action(self, name: str, repository: str, summary: bool) -> Measured:
        """The median run of the action listing the tags of ``repository``."""
        inputs = {
            "repository": f"{self.setup.host}/{repository}",
            "tag": "latest",
            "list-tags": "true",
            "summary": "true" if summary else "false",
            "max-tags": "100",
        }
        action_environment, output = action_env(self.common, self.env.workdir, name, inputs)
        argv = [PYTHON, "-c", HWM_WRAPPER, str(self.src / "entrypoint.py")]
        workspace = Path(action_environment["GITHUB_WORKSPACE"])

        def check(finished: Finished) -> str | None:
            text = output.read_text(encoding="utf-8")
            return None if "tag-count" in text else f"no tag-count output: {finished.stdout[-300:]}"

        result = []
        for _ in range(self.runs):
            output.write_text("")
            result.append(_run(self.proxies, argv, action_environment, workspace, check))
        return _median(result)

    def cli_tags(self, repository: str) -> Measured:
        """The median run of ``hubaction tags`` on ``repository``."""
        target = f"{self.setup.host}/{repository}"
        argv = [PYTHON, "-c", HWM_WRAPPER, "hubaction.cli", "tags", target]

        def check(finished: Finished) -> str | None:
            count = len(finished.stdout.split())
            return None if count > 100 else f"only {count} tags printed"

        return _median(
            [_run(self.proxies, argv, self.common, self.src, check) for _ in range(self.runs)]
        )

    def probe(self, *args: str) -> Finished:
        """``clients/scaling_probe.py`` with ``args``, importing hubaction from ``src``."""
        argv = [PYTHON, str(CLIENTS / "scaling_probe.py"), "--src", str(self.src), *args]
        return run_process(argv, env=self.common, cwd=self.env.workdir)


def _digests_part(scaling: Scaling) -> list[str]:
    """1. What the summary's 100 per-tag digests cost over the same run without them."""
    with_digests = scaling.action("scale-100-summary", "bench/tags100", True)
    without = scaling.action("scale-100-nosummary", "bench/tags100", False)
    waves = math.ceil(100 / HEAD_CONCURRENCY)
    cost = with_digests.seconds - without.seconds
    return [
        "1. Action, list-tags + summary with per-tag digests, 100 tags "
        f"(HEAD concurrency {HEAD_CONCURRENCY}):",
        f"   with per-tag digests    {_describe(with_digests)}",
        f"   summary: false          {_describe(without)}",
        f"   100 digests cost {cost:+.3f} s = {cost / scaling.delay:.1f} round trips "
        f"(floor at this concurrency: {waves} waves of HEADs, about {waves} round trips, "
        f"plus a handshake per extra connection)",
    ]


def _big_repository_part(scaling: Scaling) -> list[str]:
    """2. 10,000 tags next to 100: the CLI, the action, and the library under tracemalloc."""
    cli_small = scaling.cli_tags("bench/tags100")
    cli_big = scaling.cli_tags("bench/tags10k")
    action_big = scaling.action("scale-10k-summary", "bench/tags10k", True)
    probe = scaling.probe("registry-tags", f"{scaling.setup.host}/bench/tags10k")
    probe_doc = json.loads(probe.stdout) if probe.returncode == 0 else {}
    lines = [
        "2. 10,000-tag repository:",
        f"   hubaction tags, 101 tags      {_describe(cli_small)}",
        f"   hubaction tags, 10,001 tags   {_describe(cli_big)}",
        f"   action, list-tags + summary   {_describe(action_big)}",
    ]
    if probe_doc:
        lines.append(
            f"   list_tags + select_tags in-process: {probe_doc['seconds']:.3f} s, "
            f"{probe_doc['requests']} requests, tracemalloc peak "
            f"{probe_doc['tracemalloc_peak_kib'] / 1024:.1f} MiB, process peak RSS "
            f"{probe_doc['vm_hwm_kib'] / 1024:.0f} MiB"
        )
    else:
        lines.append(f"   probe failed: {probe.stderr[-500:]}")
    return lines


HubRun = tuple[float, dict[str, Any], ProxyStats]


def _hub_runs(scaling: Scaling, hub_proxy: DelayProxy, concurrency: int) -> list[HubRun]:
    """``HubClient.tags`` with ``concurrency`` pages at a time: seconds, its answer, requests."""
    results = []
    for _ in range(scaling.runs):
        hub_proxy.reset()
        done = scaling.probe(
            "hub-tags",
            "--hub-url",
            f"http://{hub_proxy.address}",
            "--namespace",
            "acme",
            "--repository",
            "huge",
            "--concurrency",
            str(concurrency),
        )
        stats = hub_proxy.reset()
        if done.returncode != 0:
            raise RuntimeError(f"hub probe failed: {done.stderr[-800:]}")
        results.append((done.seconds, json.loads(done.stdout), stats))
    return results


def _hub_line(concurrency: int, results: list[HubRun], pages: int) -> str:
    seconds = statistics.median(r[0] for r in results)
    _s, doc, stats = sorted(results, key=lambda r: r[0])[len(results) // 2]
    # Page 1 first (it tells the count), then the rest ``concurrency`` at a time.
    waves = 1 + math.ceil((pages - 1) / concurrency)
    return (
        f"   concurrency {concurrency}: {seconds:6.3f} s process, "
        f"{doc['seconds']:.3f} s in HubClient.tags, {len(stats.requests)} requests, "
        f"{stats.connections} connections, {doc['count']} tags, peak RSS "
        f"{doc['vm_hwm_kib'] / 1024:.0f} MiB (floor: {waves} round trips of pages)"
    )


def _hub_part(scaling: Scaling) -> list[str]:
    """3. A 5,000-tag Docker Hub listing, default page concurrency and one page at a time."""
    hub = PagedHub("acme", "huge", 5000)
    port = hub.start()
    try:
        hub_proxy = scaling.env.loop.proxy(
            "hub", ("127.0.0.1", port), delay=scaling.delay, parse_http=True
        )
        hub.render(f"http://{hub_proxy.address}")
        pages = len(hub.pages)
        hub_results = {c: _hub_runs(scaling, hub_proxy, c) for c in (PAGE_CONCURRENCY, 1)}
        lines = [f"3. Docker Hub listing of 5,000 tags ({pages} pages of {HUB_PAGE_SIZE}, mocked):"]
        lines += [_hub_line(c, results, pages) for c, results in hub_results.items()]
    finally:
        hub.stop()
    return lines


def scaling_report(
    env: Environment,
    delay_ms: int,
    *,
    quick: bool,
    log: Callable[[str], None],
    src: Path = ROOT,
) -> str:
    runs = 1 if quick else 3
    # Requests are counted over plain HTTP only: start that setup if the run did not ask for it.
    if "plain" not in env.setups:
        env.setups["plain"] = start_plain(env)
    scaling = Scaling(env, env.setups["plain"], base_env(env.workdir), delay_ms / 1000, runs, src)
    log("scaling: making repositories of 100 and 10,000 tags ...")
    tagged_repository(env, "bench/tags100", version_tags(100))
    tagged_repository(env, "bench/tags10k", version_tags(10_000))
    env.loop.set_delay(scaling.delay)
    lines = [
        f"Scaling (plain HTTP, {delay_ms} ms per round trip, median of {runs}; requests are "
        "registry+auth):"
    ]
    log("scaling: 100-tag summary ...")
    lines += _digests_part(scaling)
    log("scaling: 10,000-tag repository ...")
    lines += _big_repository_part(scaling)
    log("scaling: 5,000-tag Docker Hub listing ...")
    lines += _hub_part(scaling)
    return "\n".join(lines)
