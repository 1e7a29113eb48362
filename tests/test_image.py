"""The image, built and run here: the real Dockerfile, built by buildah, run as the runner runs it.

No Docker engine and no Docker Hub here: the base is a stand-in (``scripts/standin_base.sh``,
mmdebstrap, imported with ``podman import``) swapped in with ``buildah bud --from``; every other
line of the Dockerfile is built as written. The container runs under ``buildah run --isolation
chroot`` (``podman run`` fails here: crun cannot set ``RLIMIT_NPROC``), which shares the host's
network, so it reaches the test registry on 127.0.0.1. Storage is the vfs driver in a temporary
directory, removed afterwards.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests
from actionrunner import ROOT, ActionRun
from registryfixtures import PushedImage, RegistryProcess, ToolMissing, require_tool
from registryfixtures.images import Pusher, push_oci_index
from runner_files import parse_output_file, parse_workflow_commands

from hubaction.github.inputs import INPUT_DEFAULTS
from hubaction.github.toolkit import input_variable

# One worker builds the image once for every test here (loadgroup); the build is the slow part.
pytestmark = [pytest.mark.integration, pytest.mark.xdist_group("image"), pytest.mark.timeout(240)]

TOOLS = ("mmdebstrap", "podman", "buildah", "docker-registry")
#: Bound on one buildah or podman command; the stand-in gets longer (about 30 s uncached, more
#: on a busy machine), within the tests' own timeout.
COMMAND_TIMEOUT = 120
STANDIN_TIMEOUT = 150
BUILT = "localhost/hubaction:test"
#: What the runner mounts (``docker run -v``) besides the workspace.
FILE_COMMANDS = "/github/file_commands"
WORKSPACE = "/github/workspace"
HOME = "/github/home"
#: Compressed size the layers hubaction adds on top of its base may reach (1.5 MB today).
ADDED_LAYERS_LIMIT = 5_000_000


def _need_tools() -> None:
    """Fail, not skip, when a tool is missing (conftest skips the module on request)."""
    missing = []
    for tool in TOOLS:
        try:
            require_tool(tool)
        except ToolMissing as error:
            missing.append(str(error))
    if missing:
        missing.append("scripts/setup installs them (Debian packages).")
        pytest.fail("\n".join(missing), pytrace=False)


@dataclass
class Containers:
    """buildah and podman on one private vfs storage."""

    root: Path
    runroot: Path

    def flags(self) -> list[str]:
        return [f"--root={self.root}", f"--runroot={self.runroot}", "--storage-driver=vfs"]

    def call(self, tool: str, *args: str) -> subprocess.CompletedProcess[str]:
        env = dict(os.environ, STORAGE_DRIVER="vfs", BUILDAH_ISOLATION="chroot")
        return subprocess.run(
            [tool, *self.flags(), *args],
            capture_output=True,
            text=True,
            env=env,
            timeout=COMMAND_TIMEOUT,
            check=False,
        )

    def run(self, tool: str, *args: str) -> str:
        """``call``, asserting success; its standard output."""
        done = self.call(tool, *args)
        assert done.returncode == 0, f"{tool} {' '.join(args)}: {done.stdout}\n{done.stderr}"
        return done.stdout

    def inspect(self, image: str) -> dict[str, Any]:
        info: dict[str, Any] = json.loads(self.run("buildah", "inspect", "--type=image", image))
        return info


@pytest.fixture(scope="module")
def containers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Containers]:
    _need_tools()
    root = tmp_path_factory.mktemp("containers")
    # podman refuses a runroot of more than 50 characters, which pytest's paths under xdist are.
    runroot = Path(tempfile.mkdtemp(prefix="hubaction-run-", dir="/tmp"))
    try:
        yield Containers(root, runroot)
    finally:
        # vfs keeps a full copy of the root per image and container: hundreds of MB.
        shutil.rmtree(root, ignore_errors=True)
        shutil.rmtree(runroot, ignore_errors=True)


@pytest.fixture(scope="module")
def standin(containers: Containers) -> str:
    """The stand-in base, imported with the PATH the official image's config sets."""
    done = subprocess.run(
        ["bash", str(ROOT / "scripts" / "standin_base.sh")],
        capture_output=True,
        text=True,
        timeout=STANDIN_TIMEOUT,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    tarball = Path(done.stdout.strip())
    name = f"localhost/hubaction-standin:{tarball.stem.removeprefix('standin-')}"
    path = "/usr/local/bin:/usr/local/sbin:/usr/sbin:/usr/bin:/sbin:/bin"
    containers.run("podman", "import", "--quiet", f"--change=ENV PATH={path}", str(tarball), name)
    return name


@pytest.fixture(scope="module")
def built(containers: Containers, standin: str) -> str:
    """The real Dockerfile, built on the stand-in (``--from`` replaces its first FROM only).

    The certificates are mounted so that pip in the build trusts this machine's package index.
    """
    containers.run(
        "buildah",
        "bud",
        "--quiet",
        "--pull=never",
        f"--from={standin}",
        "--volume=/etc/ssl/certs:/etc/ssl/certs:ro",
        f"--tag={BUILT}",
        f"--file={ROOT / 'Dockerfile'}",
        str(ROOT),
    )
    return BUILT


@pytest.fixture(scope="module")
def container(containers: Containers, built: str) -> str:
    """A working container of the built image: every run below uses it (it goes with the
    storage, which is quicker than ``buildah rm`` and then the storage)."""
    return containers.run("buildah", "from", "--pull-never", "--quiet", built).strip()


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RegistryProcess]:
    """A registry of this module's own (the session's ones hold 2,100 tags it does not need)."""
    _need_tools()
    work = tmp_path_factory.mktemp("image-registry")
    process = RegistryProcess.start_open(work / "storage", work / "work")
    try:
        yield process
    finally:
        process.stop()
        shutil.rmtree(work, ignore_errors=True)  # the pushed image: tens of MB


@pytest.fixture(scope="module")
def sample(registry: RegistryProcess) -> PushedImage:
    """The demo's multi-platform sample image."""
    pusher = Pusher(registry.url)
    with pusher.session:
        return push_oci_index(pusher)


def run_as_runner(
    containers: Containers,
    container: str,
    inputs: Mapping[str, str],
    workdir: Path,
    *,
    files: Mapping[str, str] | None = None,
) -> ActionRun:
    """The image's ENTRYPOINT, run the way the runner's ``docker run`` runs a Docker action:
    the workspace mounted and the working directory, the file-command files in their own
    mount, ``INPUT_*`` for every input of action.yml, ``HOME=/github/home``."""
    workspace, commands, home = (workdir / d for d in ("workspace", "file_commands", "home"))
    for directory in (workspace, commands, home):
        directory.mkdir(parents=True)
    for name, text in (files or {}).items():
        (workspace / name).parent.mkdir(parents=True, exist_ok=True)
        (workspace / name).write_text(text, encoding="utf-8")
    output, summary = f"set_output_{uuid.uuid4()}", f"step_summary_{uuid.uuid4()}"
    (commands / output).write_text("")
    (commands / summary).write_text("")
    env = {input_variable(name): default or "" for name, default in INPUT_DEFAULTS.items()}
    env |= {input_variable(name): value for name, value in inputs.items()}
    env |= {
        "HOME": HOME,
        "CI": "true",
        "GITHUB_ACTIONS": "true",
        "GITHUB_WORKSPACE": WORKSPACE,
        "GITHUB_OUTPUT": f"{FILE_COMMANDS}/{output}",
        "GITHUB_STEP_SUMMARY": f"{FILE_COMMANDS}/{summary}",
    }
    entrypoint: Sequence[str] = containers.inspect(BUILT)["OCIv1"]["config"]["Entrypoint"]
    args = ["run", "--isolation=chroot", f"--workingdir={WORKSPACE}"]
    args += [f"--volume={workspace}:{WORKSPACE}", f"--volume={commands}:{FILE_COMMANDS}"]
    args += [f"--volume={home}:{HOME}"]
    args += [f"--env={name}={value}" for name, value in env.items()]
    done = containers.call("buildah", *args, container, "--", *entrypoint)
    return ActionRun(
        returncode=done.returncode,
        stdout=done.stdout,
        stderr=done.stderr,
        outputs=parse_output_file((commands / output).read_text(encoding="utf-8")),
        summary=(commands / summary).read_text(encoding="utf-8"),
        commands=parse_workflow_commands(done.stdout),
    )


def test_the_image_inspects_as_the_runner_runs_it(
    containers: Containers,
    container: str,
    registry: RegistryProcess,
    sample: PushedImage,
    tmp_path: Path,
) -> None:
    inputs = {"repository": f"{registry.host}/{sample.repository}", "platform": "linux/arm64"}
    run = run_as_runner(containers, container, inputs, tmp_path)
    assert run.returncode == 0, run.log
    assert run.errors() == []
    entry = sample.platforms["linux/arm64/v8"]
    assert run.outputs["digest"] == sample.digest
    assert run.outputs["platform-digest"] == entry.manifest_digest
    assert run.outputs["config-digest"] == entry.config_digest
    assert json.loads(run.outputs["platforms"]) == list(sample.platforms)
    assert run.outputs["pinned"] == f"{registry.host}/{sample.repository}:latest@{sample.digest}"
    assert json.loads(run.outputs["tags"]) == ["1", "latest"]
    assert sample.digest in run.summary


def test_the_dockerfile_input_is_read_in_the_workspace(
    containers: Containers,
    container: str,
    registry: RegistryProcess,
    sample: PushedImage,
    tmp_path: Path,
) -> None:
    # A relative path: found only if the working directory is the mounted workspace.
    base = f"{registry.host}/{sample.repository}:1"
    files = {"ci/Dockerfile": f"FROM {base}@{sample.digest}\n"}
    run = run_as_runner(
        containers, container, {"dockerfile": "ci/Dockerfile"}, tmp_path, files=files
    )
    assert run.returncode == 0, run.log
    [found] = json.loads(run.outputs["base-images"])
    assert found["status"] == "current", found
    assert found["current-digest"] == sample.digest, found
    assert found["reference"] == base, found


@dataclass(frozen=True)
class Pushed:
    repository: str
    tag: str
    digest: str  # as ``buildah push --digestfile`` reports it


@pytest.fixture(scope="module")
def pushed(
    containers: Containers,
    built: str,
    registry: RegistryProcess,
    tmp_path_factory: pytest.TempPathFactory,
) -> Pushed:
    """The built image, pushed by buildah into the test registry."""
    digest_file = tmp_path_factory.mktemp("push") / "digest"
    destination = f"docker://{registry.ref('hubaction:test')}"
    containers.run(
        "buildah", "push", "--quiet", "--tls-verify=false", f"--digestfile={digest_file}",
        built, destination,
    )  # fmt: skip
    return Pushed(f"{registry.host}/hubaction", "test", digest_file.read_text().strip())


def test_hubaction_reports_its_own_image_as_buildah_pushed_it(
    containers: Containers, container: str, built: str, pushed: Pushed, tmp_path: Path
) -> None:
    inputs = {"repository": pushed.repository, "tag": pushed.tag}
    run = run_as_runner(containers, container, inputs, tmp_path)
    assert run.returncode == 0, run.log
    assert run.outputs["digest"] == pushed.digest
    image = containers.inspect(built)
    # The image ID is the digest of the config, which pushing leaves as it is.
    assert run.outputs["config-digest"] == f"sha256:{image['FromImageID']}"
    platform = f"{image['OCIv1']['os']}/{image['OCIv1']['architecture']}"
    assert json.loads(run.outputs["platforms"]) == [platform]
    # GitHub's rules for a Docker action's image: no USER, no WORKDIR (the runner needs root
    # and sets the workspace as the working directory itself).
    config = image["OCIv1"]["config"]
    assert (config.get("User", ""), config.get("WorkingDir", "")) == ("", ""), config


# Run inside the image: what the build left behind. Every module of hubaction and of its
# dependencies must have its bytecode for the image's interpreter; hubaction's compiled once by
# compileall as unchecked hash-based .pyc (PEP 552 flags 0b01: no stat of the source per run).
_CONTENT_CHECK = """
import importlib.metadata, importlib.util, json, pathlib, shutil
def cached(py): return pathlib.Path(importlib.util.cache_from_source(str(py)))
app = sorted(pathlib.Path("/app/hubaction").rglob("*.py"))
flags = {int.from_bytes(cached(p).read_bytes()[4:8], "little") for p in app if cached(p).exists()}
deps = [
    pathlib.Path(d.locate_file(f)) for d in importlib.metadata.distributions()
    if d.metadata["Name"] not in ("pip", "setuptools", "wheel") for f in d.files or ()
    if f.suffix == ".py"
]
print(json.dumps({
    "app_modules": len(app),
    "app_missing": [str(p) for p in app if not cached(p).exists()],
    "app_flags": sorted(flags),
    "app_orphans": [
        str(c) for c in pathlib.Path("/app").rglob("*.pyc")
        if not (c.parent.parent / (c.name.split(".")[0] + ".py")).exists()
    ],
    "dep_modules": len(deps),
    "deps_missing": [str(p) for p in deps if not cached(p).exists()],
    "caches": [d for d in ("/root/.cache", "/github/home/.cache") if pathlib.Path(d).exists()],
    "tools": [t for t in ("gcc", "cc", "make", "git") if shutil.which(t)],
}))
"""


def test_the_build_leaves_bytecode_once_and_no_caches_or_tools(
    containers: Containers, container: str
) -> None:
    found = json.loads(
        containers.run("buildah", "run", "--isolation=chroot", container, "--", "python", "-c",
                       _CONTENT_CHECK)
    )  # fmt: skip
    assert found["app_modules"] > 20, found
    assert found["dep_modules"] > 20, found
    assert (found["app_missing"], found["deps_missing"]) == ([], []), found
    assert found["app_flags"] == [0b01], found
    # Bytecode from the build machine's tree (.dockerignore keeps it out of the context).
    assert found["app_orphans"] == [], found
    assert (found["caches"], found["tools"]) == ([], []), found


def test_the_layers_hubaction_adds_stay_small(
    containers: Containers, standin: str, pushed: Pushed, registry: RegistryProcess
) -> None:
    base_layers = len(containers.inspect(standin)["OCIv1"]["rootfs"]["diff_ids"])
    session = requests.Session()
    session.trust_env = False  # loopback: no proxy from the environment
    with session:
        response = session.get(
            f"{registry.url}/v2/hubaction/manifests/{pushed.digest}",
            headers={"Accept": "application/vnd.oci.image.manifest.v1+json"},
            timeout=30,
        )
    response.raise_for_status()
    added = response.json()["layers"][base_layers:]
    assert added, "the build added no layer"
    assert sum(layer["size"] for layer in added) <= ADDED_LAYERS_LIMIT, added
