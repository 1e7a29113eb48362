"""The job summary against hostile registry text, rendered as GitHub renders it (issue 13).

GitHub renders a step summary as GitHub-flavoured Markdown with the autolink extension, which
links bare ``www.``, ``http://`` and ``user@host`` text even after CommonMark escaping. Every
section is built from registry text that tries every way into a link, an image, HTML or the
terminal (ESC sequences, bidi overrides), rendered with ``cmarkgfm`` (cmark-gfm, GitHub's own
parser, its extensions on as on GitHub), and checked: no ``<a``, no ``<img``, no raw control
character, and every table row has as many cells as its header.

Then whole runs on a hostile registry on loopback: registry text reaching the summary through
the real lookup, and a registry whose token is ``|`` or ``sha256`` (masking either would blank
the summary's tables and digests, issue 13 section 3).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from html import unescape
from pathlib import Path

import cmarkgfm
import pytest
import requests
from actionrunner import ActionRun, run_in_process
from cmarkgfm.cmark import Options
from fakes.server import FakeServer, Handler, Request, Response

from hubaction.dockerhub.models import HubRepository
from hubaction.github.summary import (
    Table,
    TagRow,
    base_table,
    digest_section,
    dockerfile_table,
    image_section,
    md_code,
    md_text,
    platform_table,
    render,
    repository_table,
    tag_table,
)
from hubaction.oci.basecheck import BaseCheck, BaseComparison
from hubaction.oci.manifest import Descriptor, ImageConfig, ImageIndex, ImageManifest
from hubaction.oci.mediatypes import OCI_INDEX, OCI_MANIFEST
from hubaction.oci.model import ImageInfo, ManifestHead, PlatformEntry
from hubaction.oci.platform import Platform
from hubaction.oci.reference import Digest, parse_reference

pytestmark = pytest.mark.usefixtures("_no_github_env_leaks")

#: Registry text that GFM would turn into a link, an image, HTML, or that steers a terminal.
HOSTILE = [
    "http://evil.example/x",
    "https://evil.example",
    "HTTPS://EVIL.EXAMPLE/",
    "ftp://evil.example",
    "www.evil.example",
    "(WWW.evil.example)",
    "*www.evil.example*",
    "me@evil.example",
    "mailto:me@evil.example",
    "xmpp:me@evil.example/res",
    "me&#64;evil.example",
    "http&#58;//evil.example",
    "<http://evil.example>",
    "<me@evil.example>",
    "[x](http://evil.example)",
    "[x][1]\n\n[1]: http://evil.example",
    "![](http://evil.example/i.png)",
    "![x](evil.png)",
    '<img src="http://evil.example/i.png">',
    '<a href="http://evil.example">x</a>',
    "&lt;img src=x&gt;",
    "<!-- hidden --> after",
    "<script>alert(1)</script>",
    "\x1b[31mred\x1b[0m \x1b]8;;http://evil.example\x07link\x1b]8;;\x07",
    "bidi \u202eevil\u202c \u2066isolate\u2069 \u200fmark",
    "c1 \x9b31m \x85 nul\x00 del\x7f",
    "``` fence ```\n| cell | break |",
    "a|b\\|c\\\\|d",
    "lone \ud800 surrogate",  # the summary shows it escaped; outputs refuse it (elsewhere)
]
#: Through a whole run: the text reaches outputs too, which refuse lone surrogates.
HOSTILE_RUN = [text for text in HOSTILE if "\ud800" not in text]
_CONTROLS = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff]"
)


def gfm(markdown: str) -> str:
    """``markdown`` as GitHub renders it: GFM with its extensions (autolink, table,
    strikethrough, tagfilter, tasklist); raw HTML let through, so that any that survived the
    escaping would show."""
    html: str = cmarkgfm.github_flavored_markdown_to_html(
        markdown, options=Options.CMARK_OPT_UNSAFE
    )
    return html


def assert_inert(markdown: str) -> str:
    """Render ``markdown``; no link, no image, no raw control character, tables intact."""
    html = gfm(markdown)
    assert "<a" not in html, html
    assert "<img" not in html, html
    assert "<script" not in html and "<!--" not in html, html
    assert _CONTROLS.search(html) is None, html
    for table in re.findall(r"<table>.*?</table>", html, re.S):
        head, body = table.split("</thead>")
        columns = len(re.findall(r"<th[ >]", head))
        rows = re.findall(r"<tr>(.*?)</tr>", body, re.S)
        assert all(len(re.findall(r"<td[ >]", row)) == columns for row in rows), table
    return html


def _shown(text: str) -> str:
    """What a reader should see of ``text``: one line, invisible characters as escapes."""
    flat = " ".join(text.split())
    return "".join(c.encode("unicode_escape").decode() if _CONTROLS.match(c) else c for c in flat)


@pytest.mark.parametrize("text", HOSTILE)
def test_md_text_and_md_code_cells_are_inert(text: str) -> None:
    table = Table("t", ("text", "code"), ((md_text(text), md_code(text)),))
    html = assert_inert(table.render())
    # Each cell shows the text itself: nothing taken as syntax, no pipe split the row (GFM
    # drops a row's extra cells silently, so counting cells alone would not tell).
    cells = re.findall(r"<td>(.*?)</td>", html, re.S)
    shown = [unescape(re.sub(r"</?code>", "", cell)).replace("\u2060", "") for cell in cells]
    assert shown == [_shown(text), _shown(text)]


DIGEST = Digest("sha256", "a" * 64)
CONFIG_DIGEST = Digest("sha256", "c" * 64)
MANIFEST = ImageManifest(
    OCI_MANIFEST, Descriptor("application/vnd.oci.image.config.v1+json", CONFIG_DIGEST, 9), ()
)


def _image(text: str) -> ImageInfo:
    """An image whose every registry-supplied string is ``text``."""
    odd = Platform(text, text, text, text)
    index = ImageIndex(OCI_INDEX, (Descriptor(OCI_MANIFEST, DIGEST, 500, odd),))
    return ImageInfo(
        reference=parse_reference("ghcr.io/org/app:1.2"),
        digest=DIGEST,
        media_type=text,
        index=index,
        entries=(PlatformEntry(odd, DIGEST, text, 500),),
        platform=odd,
        platform_digest=DIGEST,
        manifest=MANIFEST,
        config=ImageConfig(text, {text: text}, odd),
        ratelimit=None,
    )


def _base_check(text: str) -> BaseCheck:
    comparison = BaseComparison(text, DIGEST, True, "layers", text)
    return BaseCheck(parse_reference("debian:12"), DIGEST, (comparison,), comparison)


@pytest.mark.parametrize("text", HOSTILE)
def test_every_section_is_inert(text: str) -> None:
    repository = HubRepository(text, "acme", False, 1, 2, text, text)
    parts: list[str | Table | None] = [
        image_section(_image(text)),
        digest_section(parse_reference("ghcr.io/org/app:1.2"), ManifestHead(DIGEST, text, 9, None)),
        platform_table(_image(text)),
        tag_table(
            [TagRow(text, digest=text, size=1, pushed=text), TagRow("1.0")],
            total=3,
            source=text,
            sort=text,
        ),
        base_table(_base_check(text)),
        dockerfile_table(text, [{"line": 1, "image": text, "status": text, "pinned": text}]),
        repository_table([repository], namespace=text, anonymous=True),
        # What steps.py writes for a missing image: the error's message quotes the registry.
        f"## {md_text(text)}\n\n**Does not exist:** {md_text(text)}\n",
    ]
    assert_inert(render(parts))


@pytest.mark.parametrize("text", ["http://evil.example/ ", "www.evil.example ", "a@evil.example "])
def test_a_summary_cut_to_fit_is_inert(text: str) -> None:
    # 2 MiB of media type: no table to cut rows from, so the text itself is cut to fit.
    huge = replace(_image(text), media_type=text * (2 * 1024 * 1024 // len(text)))
    summary = render([image_section(huge)])
    assert summary.endswith("_The summary was truncated to stay under GitHub's 1 MiB limit._\n")
    assert_inert(summary)


# -- whole runs on a hostile registry ---------------------------------------------------------

REPO = "evil/app"
# Valid tag names all, yet text that GFM would autolink outside a code span.
TAGS = ["1.0", "www.evil.example", "http", "sha256", "x.y-z_w"]


def _digest(body: bytes) -> str:
    return "sha256:" + hashlib.sha256(body).hexdigest()


@dataclass
class HostileRegistry:
    """A Bearer-token registry with one multi-platform image; every string the lookup passes
    on untouched (``created``, ``os.version``, the 404's message) is ``text``."""

    token: str
    text: str
    docs: dict[str, tuple[str, bytes]] = field(default_factory=dict)
    blobs: dict[str, bytes] = field(default_factory=dict)
    host: str = ""

    def __post_init__(self) -> None:
        config = json.dumps(
            {"created": self.text, "os": "linux", "architecture": "amd64", "rootfs": {}}
        ).encode()
        self.blobs[_digest(config)] = config
        config_ref = {"mediaType": "application/vnd.oci.image.config.v1+json"}
        manifest = json.dumps(
            {
                "schemaVersion": 2,
                "mediaType": OCI_MANIFEST,
                "config": {**config_ref, "digest": _digest(config), "size": len(config)},
                "layers": [],
            }
        ).encode()
        platform = {"os": "linux", "architecture": "amd64", "os.version": self.text}
        index = json.dumps(
            {
                "schemaVersion": 2,
                "mediaType": OCI_INDEX,
                "manifests": [
                    {
                        "mediaType": OCI_MANIFEST,
                        "digest": _digest(manifest),
                        "size": len(manifest),
                        "platform": platform,
                    }
                ],
            }
        ).encode()
        self.docs[_digest(manifest)] = (OCI_MANIFEST, manifest)
        for tag in TAGS:
            self.docs[tag] = (OCI_INDEX, index)

    @property
    def index_digest(self) -> str:
        return _digest(self.docs["1.0"][1])

    def __call__(self, request: Request) -> Response:
        if request.path == "/token":
            return Response.json(200, {"token": self.token, "expires_in": 300})
        if request.header("Authorization") != f"Bearer {self.token}":
            challenge = (
                f'Bearer realm="http://{self.host}/token",service="hostile",'
                f'scope="repository:{REPO}:pull"'
            )
            return Response.json(401, {"errors": []}, {"WWW-Authenticate": challenge})
        return self._answer(request)

    def _answer(self, request: Request) -> Response:
        prefix = f"/v2/{REPO}/"
        what = request.path.removeprefix(prefix)
        if what == "tags/list":
            return Response.json(200, {"name": REPO, "tags": TAGS})
        if what.startswith("blobs/") and what[6:] in self.blobs:
            return Response(
                200, (("Content-Type", "application/octet-stream"),), self.blobs[what[6:]]
            )
        if what.startswith("manifests/") and what[10:] in self.docs:
            media_type, body = self.docs[what[10:]]
            headers = (("Content-Type", media_type), ("Docker-Content-Digest", _digest(body)))
            if request.method == "HEAD":
                return Response(200, (*headers, ("Content-Length", str(len(body)))))
            return Response(200, headers, body)
        unknown = {"errors": [{"code": "MANIFEST_UNKNOWN", "message": self.text}]}
        return Response.json(404, unknown)


def _run(
    serve: Callable[[Handler], FakeServer], tmp_path: Path, registry: HostileRegistry, **inputs: str
) -> ActionRun:
    server = serve(registry)
    registry.host = server.host
    with requests.Session() as session:
        return run_in_process(
            {"repository": f"{server.host}/{REPO}", "list-tags": "true", **inputs},
            tmp_path,
            session=session,
        )


@pytest.mark.parametrize("text", HOSTILE_RUN)
def test_registry_text_in_a_real_summary_is_inert(
    serve: Callable[[Handler], FakeServer], tmp_path: Path, text: str
) -> None:
    registry = HostileRegistry("a-plausible-token-0123456789", text)
    run = _run(serve, tmp_path, registry, tag="1.0")
    assert run.returncode == 0, run.log
    assert run.outputs["digest"] == registry.index_digest
    html = assert_inert(run.summary)
    assert all(f"<code>{tag}</code>" in html for tag in TAGS)


@pytest.mark.parametrize("text", HOSTILE_RUN)
def test_registry_error_text_in_does_not_exist_is_inert(
    serve: Callable[[Handler], FakeServer], tmp_path: Path, text: str
) -> None:
    registry = HostileRegistry("a-plausible-token-0123456789", text)
    run = _run(serve, tmp_path, registry, tag="gone", **{"fail-on-missing": "false"})
    assert run.returncode == 0, run.log
    assert run.outputs["exists"] == "false"
    assert "Does not exist" in assert_inert(run.summary)


@pytest.mark.parametrize("token", ["|", "sha256"])
def test_an_implausible_token_is_never_masked(
    serve: Callable[[Handler], FakeServer], tmp_path: Path, token: str
) -> None:
    # Masking "|" would turn every table row into "*** a *** b ***", masking "sha256" every
    # digest into "***:..."; and the runner drops outputs that contain a masked value. So the
    # auth code refuses such a token as a registry error (issue 13 section 3, oci.wire
    # plausible_token): the run fails with that one error, writes no summary, masks nothing.
    registry = HostileRegistry(token, "2024-05-01T12:00:00Z")
    run = _run(serve, tmp_path, registry, tag="1.0")
    assert run.returncode == 1, run.log
    assert [name for name, _props, _data in run.commands if name == "add-mask"] == []
    assert "***" not in run.summary and "***" not in run.stdout
    errors = run.errors()
    assert len(errors) == 1 and run.summary == "", run.log
    assert "no plausible token" in errors[0]
