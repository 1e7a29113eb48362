"""Secret hygiene over end-to-end runs: no test secret or token in any log, output or summary.

The end-to-end scenarios that handle credentials run here with step debug logging on
(``RUNNER_DEBUG=1``, the most talkative mode): basic auth and token auth through the
``username``/``password`` inputs, a ``docker-config`` input holding base64 ``auth`` entries for
both registries (one line, and pretty-printed over many lines), wrong credentials of each kind,
a ``docker-config`` that is not even valid, and a run whose requests go through injected faults
(retries and error paths print the most). Everything they leave behind is collected: every line
of stdout and stderr, every output value, the step summary.

A secret is a password (right or wrong), the base64 ``user:password`` that Basic auth and
``docker-config`` carry, or any token the token server issued (whole, or its payload or
signature part: the header part is the same public certificate for every token). It may appear
only on the ``::add-mask::`` line that registers it with the runner -- and that line must come
before the secret is used. The command line's error messages are checked the same way.
"""

from __future__ import annotations

import base64
import functools
import json
import subprocess
import sys
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from itertools import takewhile
from pathlib import Path
from typing import Any

import fakes.faultproxy as fp
from actionrunner import ROOT, ActionRun, run_action
from fakes.faultproxy import FaultProxy
from fakes.tokenserver import TokenServer
from registryfixtures import (
    BASIC_PASSWORD,
    BASIC_USER,
    TOKEN_PASSWORD,
    TOKEN_USER,
    Fixtures,
    RegistryProcess,
)

from hubaction.github.toolkit import escape_data

# Wrong credentials are secrets too: a typo'd password is usually one letter off the real one.
WRONG_BASIC = "wr0ng-B4sic-Pw-Hq7t-hubaction-test"
WRONG_TOKEN = "wr0ng-T0ken-Pw-Jd2w-hubaction-test"
# A docker-config `auth` that is not base64: the parse error must not quote it.
NOT_BASE64 = "n0t-b4se64!-Zx81-hubaction-test"
INDEX = "fixtures/oci-index"


def b64(user: str, password: str) -> str:
    return base64.b64encode(f"{user}:{password}".encode()).decode("ascii")


PASSWORDS = (BASIC_PASSWORD, TOKEN_PASSWORD, WRONG_BASIC, WRONG_TOKEN, NOT_BASE64)
BASIC_AUTHS = (
    b64(BASIC_USER, BASIC_PASSWORD),
    b64(TOKEN_USER, TOKEN_PASSWORD),
    b64(BASIC_USER, WRONG_BASIC),
    b64(TOKEN_USER, WRONG_TOKEN),
)


def docker_config(entries: dict[str, str], *, pretty: bool = False) -> str:
    """A Docker config.json text with ``auth`` (base64 ``user:password``) per registry."""
    doc = {"auths": {host: {"auth": auth} for host, auth in entries.items()}}
    return json.dumps(doc, indent=2) if pretty else json.dumps(doc)


def token_needles(tokens: Iterable[str]) -> set[str]:
    """Each token, and its payload and signature parts (unique per token, unlike the header)."""
    found: set[str] = set()
    for token in tokens:
        found.add(token)
        parts = token.split(".")
        if len(parts) == 3:
            found.update(part for part in parts[1:] if len(part) >= 16)
    return found


@dataclass
class Scenario:
    name: str
    inputs: dict[str, str]
    succeeds: bool
    #: Secrets this run was given, which it must register with ::add-mask:: before anything.
    given: tuple[str, ...] = ()


def mask_lines(values: Iterable[str]) -> set[str]:
    """The ``::add-mask::`` lines registering ``values`` (multi-line values line by line)."""
    return {
        "::add-mask::" + escape_data(line)
        for value in values
        for line in value.splitlines()
        if line.strip()
    }


def leaks(name: str, run: ActionRun, needles: set[str], allowed: set[str]) -> list[str]:
    """Every place of ``run``'s output where a needle shows, except the allowed mask lines."""
    found = []
    for stream, text in (("stdout", run.stdout), ("stderr", run.stderr)):
        for number, line in enumerate(text.splitlines(), 1):
            shown = [n for n in needles if n in line]
            if shown and not (stream == "stdout" and line in allowed):
                found.append(f"{name}: {stream} line {number} shows a secret: {line[:200]!r}")
    for output, value in run.outputs.items():
        if any(n in value for n in needles):
            found.append(f"{name}: output {output!r} shows a secret")
    if any(n in run.summary for n in needles):
        found.append(f"{name}: the step summary shows a secret")
    return found


def concurrently(calls: list[Callable[[], Any]]) -> list[Any]:
    with ThreadPoolExecutor(max_workers=3) as pool:
        return [future.result() for future in [pool.submit(call) for call in calls]]


def password_scenarios(basic: str, token: str) -> list[Scenario]:
    """Right credentials through ``username`` and ``password``."""
    return [
        Scenario(
            "basic, username and password",
            {"repository": f"{basic}/{INDEX}", "username": BASIC_USER, "password": BASIC_PASSWORD},
            True,
            (BASIC_PASSWORD,),
        ),
        Scenario(
            "token, username and password",
            {"repository": f"{token}/{INDEX}", "username": TOKEN_USER, "password": TOKEN_PASSWORD},
            True,
            (TOKEN_PASSWORD,),
        ),
        Scenario(
            "token, digest only",
            {
                "repository": f"{token}/{INDEX}",
                "username": TOKEN_USER,
                "password": TOKEN_PASSWORD,
                "digest-only": "true",
            },
            True,
            (TOKEN_PASSWORD,),
        ),
    ]


def docker_config_scenarios(basic: str, token: str, proxy: str) -> list[Scenario]:
    """Right credentials in ``docker-config``: one line, pretty-printed, through faults."""
    good = {basic: b64(BASIC_USER, BASIC_PASSWORD), token: b64(TOKEN_USER, TOKEN_PASSWORD)}
    return [
        Scenario(
            "docker-config on one line, basic registry",
            {"repository": f"{basic}/{INDEX}", "docker-config": docker_config(good)},
            True,
            (BASIC_PASSWORD, TOKEN_PASSWORD),
        ),
        Scenario(
            "docker-config pretty-printed, token registry",
            {"repository": f"{token}/{INDEX}", "docker-config": docker_config(good, pretty=True)},
            True,
            (BASIC_PASSWORD, TOKEN_PASSWORD),
        ),
        Scenario(
            "basic through faults (retries, reset, corrupt body)",
            {
                "repository": f"{proxy}/{INDEX}",
                "docker-config": docker_config({proxy: b64(BASIC_USER, BASIC_PASSWORD)}),
            },
            True,
            (BASIC_PASSWORD,),
        ),
    ]


def wrong_credential_scenarios(basic: str, token: str) -> list[Scenario]:
    """Wrong passwords, wrong ``docker-config`` entries, and one that is not base64."""
    bad = {basic: b64(BASIC_USER, WRONG_BASIC), token: b64(TOKEN_USER, WRONG_TOKEN)}
    basic_repo, token_repo = f"{basic}/{INDEX}", f"{token}/{INDEX}"
    return [
        Scenario(
            "basic, wrong password",
            {"repository": basic_repo, "username": BASIC_USER, "password": WRONG_BASIC},
            False,
            (WRONG_BASIC,),
        ),
        Scenario(
            "token, wrong password",
            {"repository": token_repo, "username": TOKEN_USER, "password": WRONG_TOKEN},
            False,
            (WRONG_TOKEN,),
        ),
        Scenario(
            "docker-config with wrong credentials, basic registry",
            {"repository": basic_repo, "docker-config": docker_config(bad)},
            False,
            (WRONG_BASIC, WRONG_TOKEN),
        ),
        Scenario(
            "docker-config with wrong credentials, token registry",
            {"repository": token_repo, "docker-config": docker_config(bad, pretty=True)},
            False,
            (WRONG_BASIC, WRONG_TOKEN),
        ),
        Scenario(
            "docker-config that is not base64",
            {"repository": token_repo, "docker-config": docker_config({token: NOT_BASE64})},
            False,
        ),
    ]


def assert_did_its_part(scenario: Scenario, run: ActionRun, digest: str) -> None:
    """The scenario did what it is about (else a leak could hide behind an early failure), and
    registered the secrets it was given before any other line."""
    if scenario.succeeds:
        assert run.returncode == 0, (scenario.name, run.log)
        assert run.outputs["digest"] == digest, scenario.name
    else:
        assert run.returncode == 1, (scenario.name, run.log)
        assert len(run.errors()) == 1, (scenario.name, run.commands)
        assert run.outputs == {}
    head = list(takewhile(lambda line: line.startswith("::add-mask::"), run.stdout.splitlines()))
    for secret in scenario.given:
        assert "::add-mask::" + secret in head, (scenario.name, secret, run.stdout[:2000])


def test_no_secret_in_any_log_output_or_summary(
    tmp_path: Path,
    basic_registry: RegistryProcess,
    token_registry: RegistryProcess,
    token_server: TokenServer,
    registry_fixtures: Fixtures,
) -> None:
    basic, token = basic_registry.host, token_registry.host
    proxy = FaultProxy(basic, [*fp.every_other(fp.status(503)), fp.RESET, fp.OK, fp.CORRUPT, fp.OK])
    tokens_before = len(token_server.tokens_issued)
    with proxy:
        scenarios = [
            *password_scenarios(basic, token),
            *docker_config_scenarios(basic, token, proxy.host),
            *wrong_credential_scenarios(basic, token),
        ]
        debug = {"RUNNER_DEBUG": "1"}
        runs: list[ActionRun] = concurrently(
            [
                functools.partial(run_action, s.inputs, tmp_path / f"run{i}", env=debug)
                for i, s in enumerate(scenarios)
            ]
        )
        faulted = proxy.faulted()
    issued = [t.token for t in token_server.tokens_issued]
    assert len(issued) > tokens_before, "no token was issued: the token scenarios did not run"
    assert faulted, "the fault proxy applied no fault"
    needles = {*PASSWORDS, *BASIC_AUTHS, *token_needles(issued)}
    found: list[str] = []
    for scenario, run in zip(scenarios, runs, strict=True):
        assert_did_its_part(scenario, run, registry_fixtures.oci_index.digest)
        # Registering a secret with the runner is the one place it may be printed.
        allowed = mask_lines([*needles, *scenario.given])
        found += leaks(scenario.name, run, needles, allowed)
    assert found == []


def cli(*args: str, stdin: str = "") -> tuple[int, str]:
    done = subprocess.run(
        [sys.executable, "-m", "hubaction.cli", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        cwd="/",
        env={"PATH": "/usr/bin:/bin", "HOME": "/nonexistent", "PYTHONPATH": str(ROOT)},
    )
    return done.returncode, done.stdout + done.stderr


@dataclass(frozen=True)
class CliCase:
    """One command line: ``{basic}``, ``{token}`` (registry hosts), ``{index}`` (the image),
    ``{good}``, ``{bad}``, ``{garbled}`` (docker-config files) in ``args`` are filled in;
    ``stdin`` is the password."""

    name: str
    args: tuple[str, ...]
    stdin: str
    exit_code: int


USER = ("--username", BASIC_USER, "--password-stdin")
BASIC_IMAGE, TOKEN_IMAGE, TOKEN_REPO = "{basic}/{index}:1", "{token}/{index}:1", "{token}/{index}"
CLI_CASES = [
    CliCase("basic, wrong password", ("inspect", BASIC_IMAGE, *USER), WRONG_BASIC, 1),
    CliCase("token, wrong password", ("inspect", TOKEN_IMAGE, *USER), WRONG_TOKEN, 1),
    CliCase("tags, wrong password", ("tags", TOKEN_REPO, *USER), WRONG_TOKEN, 1),
    CliCase("basic, wrong config", ("inspect", BASIC_IMAGE, "--docker-config", "{bad}"), "", 1),
    CliCase("token, wrong config", ("tags", TOKEN_REPO, "--docker-config", "{bad}"), "", 1),
    CliCase("config not base64", ("inspect", TOKEN_IMAGE, "--docker-config", "{garbled}"), "", 2),
    CliCase(
        "basic, right config",
        ("inspect", BASIC_IMAGE, "--json", "--docker-config", "{good}"),
        "",
        0,
    ),
    CliCase(
        "token, right config", ("tags", TOKEN_REPO, "--json", "--docker-config", "{good}"), "", 0
    ),
    CliCase("token, right password", ("inspect", TOKEN_IMAGE, "--json", *USER), TOKEN_PASSWORD, 0),
]


def config_files(directory: Path, basic: str, token: str) -> dict[str, str]:
    """The docker-config files of :data:`CLI_CASES`, by the name the cases use."""
    contents = {
        "good": {basic: b64(BASIC_USER, BASIC_PASSWORD), token: b64(TOKEN_USER, TOKEN_PASSWORD)},
        "bad": {basic: b64(BASIC_USER, WRONG_BASIC), token: b64(TOKEN_USER, WRONG_TOKEN)},
        "garbled": {token: NOT_BASE64},
    }
    for name, entries in contents.items():
        (directory / f"{name}.json").write_text(docker_config(entries))
    return {name: str(directory / f"{name}.json") for name in contents}


def test_cli_messages_never_show_a_secret(
    tmp_path: Path,
    basic_registry: RegistryProcess,
    token_registry: RegistryProcess,
    token_server: TokenServer,
    registry_fixtures: Fixtures,
) -> None:
    names = {"basic": basic_registry.host, "token": token_registry.host, "index": INDEX}
    names |= config_files(tmp_path, names["basic"], names["token"])
    results = concurrently(
        [
            functools.partial(cli, *(arg.format(**names) for arg in case.args), stdin=case.stdin)
            for case in CLI_CASES
        ]
    )
    issued = [t.token for t in token_server.tokens_issued]
    needles = {*PASSWORDS, *BASIC_AUTHS, *token_needles(issued)}
    for case, (code, text) in zip(CLI_CASES, results, strict=True):
        assert code == case.exit_code, (case.name, text)
        if case.exit_code:
            assert len(text.splitlines()) == 1 and text.startswith("error: "), (case.name, text)
        else:
            assert registry_fixtures.oci_index.tags[0] in text, (case.name, text)
        shown = sorted(n for n in needles if n in text)
        assert shown == [], (case.name, text)


def test_the_scan_finds_every_kind_of_leak() -> None:
    """The scanner itself: a leak anywhere but on the secret's own mask line is reported."""
    secret = BASIC_PASSWORD
    allowed = mask_lines([secret])

    def run(
        stdout: str = "", stderr: str = "", outputs: dict[str, str] | None = None, summary: str = ""
    ) -> ActionRun:
        return ActionRun(0, stdout, stderr, outputs or {}, summary, [])

    clean = run(f"::add-mask::{secret}\n::debug::GET http://h/v2/\nok\n", summary="# fine")
    assert leaks("clean", clean, {secret}, allowed) == []
    leaky = [
        run(f"::add-mask::{secret}\n::debug::Authorization: Basic {secret}\n"),
        run(f"::add-mask::x{secret}\n"),  # a mask line, but not this secret's own
        run(f"::add-mask::{secret}\n", stderr=f"Traceback: {secret}\n"),
        run(outputs={"labels": f'{{"a":"{secret}"}}'}),
        run(summary=f"| token | `{secret}` |"),
    ]
    for number, leaky_run in enumerate(leaky):
        assert len(leaks(f"case {number}", leaky_run, {secret}, allowed)) == 1, number
    assert token_needles(["aaaa.bbbbbbbbbbbbbbbbbbbb.cccccccccccccccccccc"]) == {
        "aaaa.bbbbbbbbbbbbbbbbbbbb.cccccccccccccccccccc",
        "bbbbbbbbbbbbbbbbbbbb",
        "cccccccccccccccccccc",
    }
