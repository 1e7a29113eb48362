"""The measured runs: every tool's command line for ``inspect``, ``digest`` and ``tags`` on
``fixtures/oci-index:1``, the check of its answer, and hubaction's round-trip budget.

Imported by ``run.py``, which puts ``tests/`` and the repository on ``sys.path`` first.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from process import CLIENTS, PYTHON, ROOT, Finished, base_env
from registryfixtures.images import PushedImage
from setups import Setup

from hubaction.github.inputs import INPUT_DEFAULTS
from hubaction.github.toolkit import input_variable

REPOSITORY = "fixtures/oci-index"
TAG = "1"
TAGS = ("1", "latest")
PLATFORM = "linux/arm64"
PLATFORM_KEY = "linux/arm64/v8"  # how the fixture's index names it
OPERATIONS = ("inspect", "digest", "tags")


# -- budgets ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Budget:
    """Requests a cold run may make on an anonymous token registry, and connections per host.

    ``inspect``: GET index (401), token, GET index, GET platform manifest, GET config blob.
    ``digest``: HEAD (401), token, HEAD. ``tags``: GET tags/list (401), token, GET. No ``/v2/``
    ping; one connection to each host.
    """

    registry: int
    auth: int
    connections: tuple[int, int] = (1, 1)


BUDGETS = {"inspect": Budget(4, 1), "digest": Budget(2, 1), "tags": Budget(2, 1)}


# -- checks ----------------------------------------------------------------------------------

Check = Callable[[Finished], str | None]


@dataclass
class Case:
    tool: str
    operation: str
    argv: list[str]
    env: dict[str, str]
    cwd: Path
    check: Check
    output_file: Path | None = None
    #: hubaction rows: the budget they must meet, and the row the others are compared to.
    budget: Budget | None = None
    reference: bool = False

    @property
    def key(self) -> tuple[str, str]:
        return (self.operation, self.tool)


@dataclass(frozen=True)
class Expected:
    """The answers, from the digests computed when the fixture was pushed: a tool that answers
    otherwise is reported as failed, never timed."""

    digest: str
    inspect_fields: dict[str, str]

    @classmethod
    def of(cls, image: PushedImage) -> Expected:
        wanted_platform = image.platforms[PLATFORM_KEY]
        fields = {
            "digest": image.digest,
            "platform-digest": wanted_platform.manifest_digest,
            "config-digest": wanted_platform.config_digest,
        }
        return cls(image.digest, fields)


def _json(finished: Finished) -> Any:
    try:
        return json.loads(finished.stdout)
    except ValueError:
        return None


def expect_fields(source: str, wanted: dict[str, str]) -> Check:
    """Check named fields of the action's outputs (``source="outputs"``) or of JSON stdout."""

    def check(finished: Finished) -> str | None:
        doc = finished.outputs if source == "outputs" else _json(finished)
        if not isinstance(doc, dict):
            return f"no JSON answer: {finished.stdout[:200]!r}"
        for name, value in wanted.items():
            if doc.get(name) != value:
                return f"{name} is {doc.get(name)!r}, expected {value!r}"
        return None

    return check


def expect_tags(extract: Callable[[Finished], Any], tags: Sequence[str]) -> Check:
    def check(finished: Finished) -> str | None:
        try:
            found = set(extract(finished))
        except (TypeError, KeyError, AttributeError):
            return f"no tag list in {finished.stdout[:200]!r}"
        missing = set(tags) - found
        return f"tags {sorted(missing)} missing" if missing else None

    return check


def expect_raw_digest(digest: str) -> Check:
    def check(finished: Finished) -> str | None:
        got = "sha256:" + hashlib.sha256(finished.stdout.encode("utf-8")).hexdigest()
        return None if got == digest else f"raw manifest hashes to {got}, expected {digest}"

    return check


def expect_skopeo_inspect(digest: str, architecture: str) -> Check:
    def check(finished: Finished) -> str | None:
        doc = _json(finished)
        if not isinstance(doc, dict):
            return f"no JSON answer: {finished.stdout[:200]!r}"
        if doc.get("Digest") != digest:
            return f"Digest is {doc.get('Digest')!r}, expected {digest}"
        if doc.get("Architecture") != architecture:
            return f"Architecture is {doc.get('Architecture')!r}, expected {architecture}"
        return None

    return check


def _client_check(operation: str, expected: Expected) -> Check:
    if operation == "inspect":
        return expect_fields("json", expected.inspect_fields)
    if operation == "digest":
        return expect_fields("json", {"digest": expected.digest})
    return expect_tags(lambda f: _json(f)["tags"], TAGS)


# -- the tools -------------------------------------------------------------------------------


def action_env(
    common: dict[str, str], workdir: Path, name: str, inputs: dict[str, str]
) -> tuple[dict[str, str], Path]:
    """The environment the GitHub runner gives a Docker action's container (tests/actionrunner)."""
    run_dir = workdir / "action" / name
    (run_dir / "workspace").mkdir(parents=True, exist_ok=True)
    output = run_dir / "github_output"
    summary = run_dir / "step_summary"
    output.write_text("")
    summary.write_text("")
    env = dict(common)
    env.update(
        {
            "GITHUB_ACTIONS": "true",
            "GITHUB_OUTPUT": str(output),
            "GITHUB_STEP_SUMMARY": str(summary),
            "GITHUB_WORKSPACE": str(run_dir / "workspace"),
        }
    )
    for input_name, default in INPUT_DEFAULTS.items():
        env[input_variable(input_name)] = default or ""
    for input_name, value in inputs.items():
        assert input_name in INPUT_DEFAULTS, input_name
        env[input_variable(input_name)] = value
    return env, output


def _action_case(
    operation: str,
    setup: Setup,
    expected: Expected,
    common: dict[str, str],
    workdir: Path,
    src: Path,
) -> Case:
    inputs = {
        "repository": f"{setup.host}/{REPOSITORY}",
        "tag": TAG,
        "platform": PLATFORM,
        "list-tags": "false",
        "summary": "false",
    }
    if operation == "digest":
        inputs["digest-only"] = "true"
    env, output = action_env(common, workdir, f"{setup.name}-{operation}", inputs)
    wanted = expected.inspect_fields if operation == "inspect" else {"digest": expected.digest}
    return Case(
        "hubaction (action)",
        operation,
        [PYTHON, str(src / "entrypoint.py")],
        env,
        Path(env["GITHUB_WORKSPACE"]),
        expect_fields("outputs", wanted),
        output_file=output,
        budget=BUDGETS[operation],
        reference=True,
    )


def _hubaction_cases(
    setup: Setup, expected: Expected, common: dict[str, str], workdir: Path, src: Path
) -> list[Case]:
    """The action (inspect, digest; the reference rows) and the CLI (inspect, tags)."""
    cases = [
        _action_case(op, setup, expected, common, workdir, src) for op in ("inspect", "digest")
    ]
    image = f"{setup.host}/{REPOSITORY}"
    cli = [PYTHON, "-m", "hubaction.cli"]
    cases.append(
        Case(
            "hubaction (CLI)",
            "inspect",
            [*cli, "inspect", f"{image}:{TAG}", "--platform", PLATFORM, "--json"],
            common,
            src,
            expect_fields("json", expected.inspect_fields),
            budget=BUDGETS["inspect"],
        )
    )
    cases.append(
        Case(
            "hubaction (CLI)",
            "tags",
            [*cli, "tags", image],
            common,
            src,
            expect_tags(lambda f: f.stdout.split(), TAGS),
            budget=BUDGETS["tags"],
            reference=True,
        )
    )
    return cases


def _skopeo_cases(
    skopeo: str, setup: Setup, expected: Expected, common: dict[str, str], workdir: Path
) -> list[Case]:
    ref = f"docker://{setup.host}/{REPOSITORY}"
    flags = ["--no-creds", *setup.skopeo_tls]
    platform = ["--override-os", "linux", "--override-arch", "arm64"]
    inspect = [skopeo, *platform, "inspect", "--no-tags", *flags, f"{ref}:{TAG}"]
    return [
        Case(
            "skopeo",
            "inspect",
            inspect,
            common,
            workdir,
            expect_skopeo_inspect(expected.digest, "arm64"),
        ),
        Case(
            "skopeo",
            "digest",
            [skopeo, "inspect", "--raw", *flags, f"{ref}:{TAG}"],
            common,
            workdir,
            expect_raw_digest(expected.digest),
        ),
        Case(
            "skopeo",
            "tags",
            [skopeo, "list-tags", *flags, ref],
            common,
            workdir,
            expect_tags(lambda f: _json(f)["Tags"], TAGS),
        ),
    ]


def _client_cases(
    tool: str,
    script: str,
    where: list[str],
    expected: Expected,
    common: dict[str, str],
    workdir: Path,
) -> list[Case]:
    """A script of ``clients/`` (python-dxf, bare requests): the same flags for every operation,
    ``where`` naming the registry."""
    argv = [PYTHON, str(CLIENTS / script)]
    image = ["--repository", REPOSITORY, "--tag", TAG, "--platform", PLATFORM]
    return [
        Case(
            tool,
            operation,
            [*argv, "--op", operation, *where, *image],
            common,
            workdir,
            _client_check(operation, expected),
        )
        for operation in OPERATIONS
    ]


def build_cases(
    setup: Setup, image: PushedImage, workdir: Path, tools: set[str], src: Path = ROOT
) -> list[Case]:
    """The measured runs of ``setup``; hubaction from the source tree ``src``."""
    common = base_env(workdir) | setup.env
    expected = Expected.of(image)
    cases: list[Case] = []
    if "hubaction" in tools:
        cases += _hubaction_cases(setup, expected, common, workdir, src)
    skopeo = shutil.which("skopeo")
    if "skopeo" in tools and skopeo:
        cases += _skopeo_cases(skopeo, setup, expected, common, workdir)
    # python-dxf over plain HTTP refuses token auth (see the note in run.py).
    if "python-dxf" in tools and setup.scheme == "https" and dxf_available():
        where = ["--host", setup.host]
        cases += _client_cases("python-dxf", "dxf_client.py", where, expected, common, workdir)
    if "requests" in tools:
        where = ["--base", setup.base_url]
        cases += _client_cases(
            "requests (floor)", "bare_client.py", where, expected, common, workdir
        )
    return cases


def dxf_available() -> bool:
    return importlib.util.find_spec("dxf") is not None
