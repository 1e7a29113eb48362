"""A hostile registry against the command line (issue 13, section 5): text it sends, printed to
a terminal or a CI log, never forges a line, a workflow command or a terminal control; invalid
Unicode (a lone surrogate, ``"\\ud800"`` in a JSON body) is escaped or replaced, never a
traceback; any failure is one ``error:`` line. One fake registry on loopback per scenario.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from actionrunner import run_action
from fakes.reqresp import Pair, Table, pair
from fakes.server import FakeServer, Handler
from runner_files import parse_output_file, parse_workflow_commands

from hubaction import cli
from hubaction.github.outputs import image_outputs
from hubaction.github.toolkit import Toolkit
from hubaction.oci.digest import parse_digest
from hubaction.oci.manifest import Descriptor, ImageConfig, ImageManifest
from hubaction.oci.mediatypes import OCI_INDEX, OCI_MANIFEST
from hubaction.oci.model import ImageInfo
from hubaction.oci.reference import parse_reference

ROOT = Path(__file__).resolve().parent.parent
Serve = Callable[[Handler], FakeServer]

DIGEST = f"sha256:{'0' * 64}"
VALID_TAGS = ["1.0", "2.0"]
# Each would forge something if printed as it is: a command after a newline, one at the start
# of the line, a legacy `##[` command anywhere, terminal controls (OSC title, CSI clear), a
# Unicode line separator, a bidi override, a lone surrogate.
HOSTILE_TAGS = [
    "3\n::error::forged by a tag",
    "::warning::at the start",
    " \u3000::notice::after whitespace",
    "4##[error]legacy command",
    "\x1b]0;retitled\x07\x1b[2J",
    "5\u2028::error::after U+2028",
    "6\u202egpj.exe",
    "\ud800",
    "7\x85::error::after NEL",
]
LABELS = {
    "title\n::error::key": "x",
    "::warning::key": "at the start",
    "description": "line 1\n::error::value\r::error::cr",
    "terminal": "\x1b[31mred\x1b]8;;http://example.invalid\x07link",
    "separator": "a\u2029::error::after U+2029",
    "legacy": "see ##[error]legacy",
    "surrogate": "\ud800 and \udfff",
    "bidi": "\u202eexe.txt",
}
CREATED = "2024-05-01T12:00:00Z\n::error::created\ud800"
OS_VERSION = "10.0\n::error::os.version"
# The runner's whitespace for TryParseV2 (.NET TrimStart), as the toolkit has it, erring wide.
COMMAND_START = re.compile(r"[\s\u180e\u200b\u2060\ufeff]*::")
# What must never reach a log as it is: controls but the newline, Unicode line and paragraph
# separators, bidi controls, surrogates.
RAW_UNSAFE = re.compile(
    "[\x00-\x09\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069\ud800-\udfff]"
)


def assert_inert(text: str) -> None:
    """``text`` is safe in a terminal and a CI log: valid UTF-8, no workflow command the
    runner would run, no line (by any Unicode line break) starting with ``::``."""
    text.encode("utf-8")  # strict: a lone surrogate raises
    assert parse_workflow_commands(text) == []
    assert "##[" not in text
    assert RAW_UNSAFE.search(text) is None, repr(RAW_UNSAFE.search(text))
    forged = [line for line in text.splitlines() if COMMAND_START.match(line)]
    assert forged == [], forged


def digest_of(data: bytes) -> str:
    return f"sha256:{hashlib.sha256(data).hexdigest()}"


def hostile_image(repo: str = "a") -> list[Pair]:
    """An index with one linux/amd64 image whose config has hostile labels and ``created``;
    every digest is right. json.dumps writes each lone surrogate as its ``\\ud800`` escape."""
    config = json.dumps(
        {
            "architecture": "amd64",
            "os": "linux",
            "created": CREATED,
            "config": {"Labels": LABELS},
        }
    ).encode()
    manifest = json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": OCI_MANIFEST,
            "config": {
                "mediaType": "application/vnd.oci.image.config.v1+json",
                "digest": digest_of(config),
                "size": len(config),
            },
            "layers": [],
        }
    ).encode()
    platform = {"os": "linux", "architecture": "amd64", "os.version": OS_VERSION}
    entry = {
        "mediaType": OCI_MANIFEST,
        "digest": digest_of(manifest),
        "size": len(manifest),
        "platform": platform,
    }
    index = json.dumps({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": [entry]}).encode()
    return [
        manifest_pair(repo, "1.0", index, OCI_INDEX),
        manifest_pair(repo, digest_of(manifest), manifest, OCI_MANIFEST),
        pair("GET", f"/v2/{repo}/blobs/{digest_of(config)}", body=config),
    ]


def manifest_pair(repo: str, reference: str, body: bytes, media_type: str) -> Pair:
    headers = {"Content-Type": media_type, "Docker-Content-Digest": digest_of(body)}
    return pair("GET", f"/v2/{repo}/manifests/{reference}", body=body, headers=headers)


def tag_list(tags: list[str], repo: str = "a") -> Pair:
    return pair("GET", f"/v2/{repo}/tags/list", json_body={"name": repo, "tags": tags})


def registry(serve: Serve, *pairs: Pair) -> FakeServer:
    return serve(Table([pair("GET", "/v2/"), *pairs]))


def run_cli(
    capsys: pytest.CaptureFixture[str], *args: str, allowed: tuple[int, ...] = (0,)
) -> tuple[int, str, str]:
    """``hubaction ARGS`` in this process: (exit code, stdout, stderr), both checked inert."""
    out = io.StringIO()
    code = cli.main(list(args), out=out)
    err = capsys.readouterr().err
    assert code in allowed, (code, out.getvalue(), err)
    assert_inert(out.getvalue())
    assert_inert(err)
    assert "Traceback" not in err
    return code, out.getvalue(), err


def run_cli_process(*args: str) -> subprocess.CompletedProcess[str]:
    """``hubaction ARGS`` in a fresh process with a UTF-8 locale (strict stdout, as on CI)."""
    return subprocess.run(
        [sys.executable, "-m", "hubaction.cli", *args],
        capture_output=True,
        text=True,
        encoding="utf-8",
        errors="surrogateescape",  # read back whatever bytes were written
        timeout=120,
        cwd="/",
        env={
            "PATH": "/usr/bin:/bin",
            "HOME": "/nonexistent",
            "PYTHONPATH": str(ROOT),
            "LANG": "C.UTF-8",
        },
    )


# -- tags ---------------------------------------------------------------------------------


def test_tags_text_escapes_every_hostile_tag(
    serve: Serve, capsys: pytest.CaptureFixture[str]
) -> None:
    server = registry(serve, tag_list(VALID_TAGS + HOSTILE_TAGS))
    _, out, _ = run_cli(capsys, "tags", f"{server.host}/a")
    lines = out.splitlines()
    assert set(VALID_TAGS) <= set(lines)
    # A hostile tag is skipped or shown escaped, on its own line either way.
    assert len(lines) <= len(VALID_TAGS) + len(HOSTILE_TAGS)


def test_tags_json_is_valid_and_exact(serve: Serve, capsys: pytest.CaptureFixture[str]) -> None:
    server = registry(serve, tag_list(VALID_TAGS + HOSTILE_TAGS))
    _, out, _ = run_cli(capsys, "tags", f"{server.host}/a", "--json")
    listed = json.loads(out)["tags"]
    assert set(VALID_TAGS) <= set(listed) <= set(VALID_TAGS + HOSTILE_TAGS)


@pytest.mark.parametrize("tag", HOSTILE_TAGS, ids=ascii)
def test_one_hostile_tag_in_text(
    serve: Serve, capsys: pytest.CaptureFixture[str], tag: str
) -> None:
    server = registry(serve, tag_list([tag]))
    run_cli(capsys, "tags", f"{server.host}/a")


# -- inspect ------------------------------------------------------------------------------


def test_inspect_text_escapes_labels_created_and_os_version(
    serve: Serve, capsys: pytest.CaptureFixture[str]
) -> None:
    server = registry(serve, *hostile_image())
    _, out, _ = run_cli(capsys, "inspect", f"{server.host}/a:1.0")
    rows = dict(line.split(None, 1) for line in out.splitlines() if line and " " in line)
    assert rows["description"].strip() == '"line 1\\n::error::value\\r::error::cr"'
    assert "10.0\\n::error::os.version" in out
    assert "2024-05-01T12:00:00Z\\n::error::created" in out


def test_inspect_json_keeps_the_values(serve: Serve, capsys: pytest.CaptureFixture[str]) -> None:
    server = registry(serve, *hostile_image())
    _, out, _ = run_cli(capsys, "inspect", f"{server.host}/a:1.0", "--json")
    doc = json.loads(out)
    # JSON has an escape for every one of them, lone surrogates included: nothing is lost.
    assert doc["labels"] == LABELS
    assert doc["manifests"][0]["os.version"] == OS_VERSION
    # `created` is a plain-text output of the action, where a surrogate has no escape.
    assert doc["created"] == CREATED.replace("\ud800", "\ufffd")


def test_registry_error_message_is_one_escaped_line(
    serve: Serve, capsys: pytest.CaptureFixture[str]
) -> None:
    message = "no such thing\n::error::forged\x1b[2J ##[warning]legacy \ud800"
    errors = {"errors": [{"code": "DENIED\x1b[2J", "message": message}]}
    denied = [
        pair(method, "/v2/a/manifests/1.0", status=403, json_body=errors)
        for method in ("GET", "HEAD")
    ]
    server = registry(serve, *denied)
    _, out, err = run_cli(capsys, "inspect", f"{server.host}/a:1.0", allowed=(1,))
    assert out == ""
    [line] = err.splitlines()
    assert line.startswith("error: ")
    assert "no such thing" in line  # the registry's words are quoted, escaped


# -- Docker Hub listings ------------------------------------------------------------------


def hub_repositories(names: list[str], last_updated: str) -> Pair:
    results = [
        {
            "name": n,
            "namespace": "acme",
            "is_private": False,
            "pull_count": 1,
            "star_count": 0,
            "last_updated": last_updated,
        }
        for n in names
    ]
    body = {"count": len(results), "next": None, "previous": None, "results": results}
    return pair("GET", "/v2/namespaces/acme/repositories", json_body=body)


PUSHED = "2024-05-01T12:00:00Z"
HUB_LISTINGS = [("app", PUSHED), ("app", CREATED), *((name, PUSHED) for name in HOSTILE_TAGS)]


@pytest.mark.parametrize("form", [(), ("--json",)], ids=["text", "json"])
@pytest.mark.parametrize(("name", "updated"), HUB_LISTINGS, ids=ascii)
def test_hub_repository_listing(
    serve: Serve, capsys: pytest.CaptureFixture[str], form: tuple[str, ...], name: str, updated: str
) -> None:
    # Docker Hub's answer is checked (a bad name or date is one error line) or printed inert.
    hub = serve(Table([hub_repositories([name], updated)]))
    code, out, _ = run_cli(capsys, "repos", "acme", "--hub-url", hub.url, *form, allowed=(0, 1))
    if form and code == 0:
        assert [r["name"] for r in json.loads(out)] == [name]


# -- no traceback, whatever happens -------------------------------------------------------


def test_internal_error_is_one_line_saying_it_is_a_bug(
    serve: Serve, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import hubaction.tagsource

    def broken(*_args: Any, **_kwargs: Any) -> None:
        raise RuntimeError("unexpected\n::error::forged \ud800" + "x" * 100_000)

    monkeypatch.setattr(hubaction.tagsource, "list_tags", broken)
    _, _, err = run_cli(capsys, "tags", "localhost:1/a", allowed=(1,))
    [line] = err.splitlines()
    assert line.startswith("error: hubaction hit an internal error (RuntimeError: unexpected")
    assert "This is a bug" in line
    assert len(line) < 1000


@pytest.mark.parametrize(
    "command",
    [("tags", "{host}/a"), ("tags", "{host}/a", "--json"), ("inspect", "{host}/a:1.0")],
    ids=" ".join,
)
def test_lone_surrogates_in_a_real_process(serve: Serve, command: tuple[str, ...]) -> None:
    server = registry(serve, tag_list(VALID_TAGS + HOSTILE_TAGS), *hostile_image())
    done = run_cli_process(*(part.format(host=server.host) for part in command))
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    assert_inert(done.stdout)


def test_internal_error_in_a_real_process() -> None:
    # A bug stands in for any exception nobody expected: the console entry point prints it as
    # one line too (the in-process test above shows what the line says).
    program = (
        "import sys, hubaction.tagsource as t\n"
        "def broken(*a, **k): raise KeyError('\\ud800\\n::error::x')\n"
        "t.list_tags = broken\n"
        "sys.argv = ['hubaction', 'tags', 'localhost:1/a']\n"
        "from hubaction.cli import run\n"
        "run()\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", program],
        capture_output=True,
        text=True,
        encoding="utf-8",
        errors="surrogateescape",
        timeout=60,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), "LANG": "C.UTF-8"},
    )
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    [line] = done.stderr.splitlines()
    assert line.startswith("error: hubaction hit an internal error (KeyError")
    assert_inert(done.stderr)


def test_closed_pipe_is_no_traceback(serve: Serve) -> None:
    # `hubaction tags x | head -1`: the reader goes away before the list is written.
    server = registry(serve, tag_list([f"t{i:05}" for i in range(30_000)]))
    with subprocess.Popen(
        [sys.executable, "-m", "hubaction.cli", "tags", f"{server.host}/a", "--sort", "lexical"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd="/",
        env={"PATH": "/usr/bin:/bin", "HOME": "/nonexistent", "PYTHONPATH": str(ROOT)},
    ) as process:
        assert process.stdout is not None and process.stderr is not None
        process.stdout.close()
        err = process.stderr.read().decode("utf-8", "replace")
        code = process.wait(timeout=120)
    assert err == ""
    assert code == 1


# -- the action's outputs -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "replaced"),
    [("\ud800", "\ufffd"), ("a\udfffb", "a\ufffdb"), ("\udc80\ud800", "\ufffd\ufffd")],
    ids=ascii,
)
def test_output_values_with_lone_surrogates_are_written(
    tmp_path: Path, value: str, replaced: str
) -> None:
    digest = parse_digest(DIGEST)
    manifest = ImageManifest(OCI_MANIFEST, Descriptor(OCI_MANIFEST, digest, 1), ())
    info = ImageInfo(
        reference=parse_reference("localhost:1/a:1"),
        digest=digest,
        media_type=OCI_MANIFEST,
        index=None,
        entries=(),
        platform=None,
        platform_digest=digest,
        manifest=manifest,
        config=ImageConfig(f"2024{value}", {value: value}, None),
        ratelimit=None,
    )
    output_file = tmp_path / "github_output"
    output_file.write_text("")
    kit = Toolkit({"GITHUB_OUTPUT": str(output_file)}, io.StringIO())
    for name, text in image_outputs(info).items():
        kit.set_output(name, text)
    outputs = parse_output_file(output_file.read_text(encoding="utf-8"))
    # JSON has an escape for a lone surrogate (fromJSON() reads it back); plain text has none.
    assert json.loads(outputs["labels"]) == {value: value}
    assert outputs["created"] == f"2024{replaced}"


def test_action_outputs_with_lone_surrogates(serve: Serve, tmp_path: Path) -> None:
    server = registry(serve, *hostile_image(), tag_list(VALID_TAGS))
    run_ = run_action({"repository": f"{server.host}/a", "tag": "1.0"}, tmp_path)
    assert run_.returncode == 0, run_.log
    assert "Traceback" not in run_.log
    assert json.loads(run_.outputs["labels"]) == LABELS
    assert run_.outputs["created"] == CREATED.replace("\ud800", "\ufffd")
    assert set(VALID_TAGS) <= set(json.loads(run_.outputs["tags"]))
