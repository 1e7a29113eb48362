"""Every registry quirk of issue 15 against the plain registry (tests/fakes/quirks.py).

Each switch gives the same digests, platforms and complete 1,500-tag list as the plain
registry (client level: the main lookups and the listing), then the quirks' own promises: a
``Link``-less full page continues with ``last=``, an Artifactory or Nexus ``Link`` is rebuilt
on the repository's path, a refused page size is asked again smaller, a bound that cuts a list
says so, a HEAD 404 is confirmed by one GET. A few runs go through ``entrypoint.py``.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from actionrunner import run_action, run_in_process
from fakes.quirks import REPOSITORY, SWITCHES, TAG_COUNT, QuirkRegistry, Quirks

from hubaction import cli
from hubaction.errors import Kind, NotFound, Unauthorized, describe
from hubaction.github.summary import base_table
from hubaction.oci.platform import parse_platform
from hubaction.oci.reference import Reference, parse_reference
from hubaction.registry.baseimage import compare_base
from hubaction.registry.client import RegistryClient, open_client
from hubaction.registry.errors import error_for
from hubaction.registry.lookup import inspect_image
from hubaction.registry.transport import new_session

AMD64 = parse_platform("linux/amd64")


@pytest.fixture
def registry() -> Iterator[Any]:
    """``registry(**switches)``: a started :class:`QuirkRegistry`, stopped after the test."""
    servers: list[QuirkRegistry] = []

    def start(tag_count: int = TAG_COUNT, **switches: bool) -> QuirkRegistry:
        servers.append(QuirkRegistry(Quirks(**switches), tag_count=tag_count).start())
        return servers[-1]

    yield start
    for server in servers:
        server.stop()


def ref(server: QuirkRegistry, tag: str | None = None) -> Reference:
    return parse_reference(f"{server.host}/{REPOSITORY}" + (f":{tag}" if tag else ""))


def lookups(server: QuirkRegistry, client: RegistryClient | None = None) -> dict[str, Any]:
    """What the main lookups answer: inspect (index and single image), digest, tag list."""
    client = client or open_client()
    multi = inspect_image(client, ref(server, "multi"), AMD64)
    single = inspect_image(client, ref(server, "single"), AMD64)
    listed = client.tag_list(ref(server))
    return {
        "multi": (str(multi.digest), str(multi.platform_digest), str(multi.platform)),
        "entries": [(str(e.platform), str(e.digest)) for e in multi.entries],
        "single": (str(single.digest), str(single.platform), single.config is not None),
        "head": str(client.head_manifest(ref(server, "multi")).digest),
        "head single": str(client.head_manifest(ref(server, "single")).digest),
        "tags": sorted(listed.tags),
        "unique": len(set(listed.tags)) == len(listed.tags),
        "cut": listed.cut,
    }


def tag_requests(server: QuirkRegistry) -> list[str]:
    return [e.request.target for e in server.exchanges if e.request.path.endswith("/tags/list")]


@pytest.fixture(scope="module")
def plain() -> Iterator[dict[str, Any]]:
    with QuirkRegistry() as server:
        answers = lookups(server)
        assert len(answers["tags"]) == TAG_COUNT and answers["unique"]
        assert answers["head"] == server.index_digest
        yield answers


@pytest.mark.parametrize("switch", SWITCHES)
def test_every_quirk_answers_as_the_plain_registry(
    registry: Any, plain: dict[str, Any], switch: str
) -> None:
    server = registry(**{switch: True})
    assert lookups(server) == plain


def test_a_full_page_without_link_continues_with_last(registry: Any) -> None:
    server = registry(no_link=True)
    assert len(open_client().tag_list(ref(server)).tags) == TAG_COUNT
    first, second = tag_requests(server)  # 1,000 then 500: a short page is the end
    assert parse_qs(urlsplit(first).query) == {"n": ["1000"]}
    assert parse_qs(urlsplit(second).query) == {"n": ["1000"], "last": [server.lexical[999]]}


def test_a_registry_ignoring_last_costs_one_request_more_and_no_duplicates(
    registry: Any,
) -> None:
    server = registry(ignores_paging=True)
    listed = open_client().tag_list(ref(server))
    assert (len(listed.tags), listed.cut) == (TAG_COUNT, None)
    assert len(tag_requests(server)) == 2


def test_a_short_list_costs_one_request(registry: Any) -> None:
    # The normal path's budget: a list shorter than `n` is one request, whatever the quirk.
    for switch in ("ignores_paging", "no_link", "gar_manifest_map"):
        server = registry(tag_count=40, **{switch: True})
        assert len(open_client().tag_list(ref(server)).tags) == 40
        assert len(tag_requests(server)) == 1, switch


@pytest.mark.parametrize("switch", ["artifactory", "nexus_proxy"])
def test_a_link_off_the_repository_path_is_rebuilt_on_it(registry: Any, switch: str) -> None:
    server = registry(**{switch: True})
    client = client_with(page_size=400)
    assert len(client.tag_list(ref(server)).tags) == TAG_COUNT
    targets = tag_requests(server)
    assert len(targets) == 4
    assert all(urlsplit(t).path == f"/v2/{REPOSITORY}/tags/list" for t in targets)
    if switch == "artifactory":  # its `last` is an offset, kept as sent
        assert parse_qs(urlsplit(targets[1]).query) == {"last": ["400"], "n": ["400"]}


def client_with(
    *, page_size: int = 1000, max_tags: int = 200_000, max_tag_pages: int = 1000
) -> RegistryClient:
    """A client with another page size or bounds (as open_client builds one)."""
    base = open_client()
    return RegistryClient(
        base.session,
        base.auth,
        tag_page_size=page_size,
        max_tags=max_tags,
        max_tag_pages=max_tag_pages,
    )


def test_quays_413_is_asked_again_with_its_maximum(registry: Any) -> None:
    server = registry(quay_413=True)
    assert len(open_client().tag_list(ref(server)).tags) == TAG_COUNT
    targets = tag_requests(server)
    assert [e.response.status for e in server.exchanges if e.response][:2] == [413, 200]
    # The 413, 15 pages of 100, and an empty one: the 15th is full and has no Link.
    assert len(targets) == 1 + TAG_COUNT // 100 + 1
    assert all("n=100" in t for t in targets[1:])


def test_ecrs_405_is_asked_again_with_1000(registry: Any) -> None:
    server = registry(ecr_405=True)
    listed = client_with(page_size=5000).tag_list(ref(server))
    assert len(listed.tags) == TAG_COUNT
    assert [parse_qs(urlsplit(t).query)["n"] for t in tag_requests(server)][:2] == [
        ["5000"],
        ["1000"],
    ]


def test_ghcr_order_is_kept(registry: Any) -> None:
    server = registry(ghcr_order=True)
    assert open_client().tag_list(ref(server)).tags == server.pushed


@pytest.mark.parametrize(
    ("switch", "bounds", "said"),
    [
        ("no_link", {"max_tags": 1000}, "stops at 1000 tags"),
        ("quay_clamp", {"max_tag_pages": 3}, "stops after 3 pages"),
    ],
)
def test_a_bound_that_cuts_the_list_says_so(
    registry: Any, switch: str, bounds: dict[str, int], said: str
) -> None:
    server = registry(**{switch: True})
    listed = client_with(**bounds).tag_list(ref(server))
    assert listed.cut is not None and said in listed.cut
    assert 0 < len(listed.tags) < TAG_COUNT


def test_a_head_404_is_confirmed_by_one_get(registry: Any) -> None:
    server = registry(head_404=True)
    client = open_client()
    assert str(client.head_manifest(ref(server, "multi")).digest) == server.index_digest
    server.reset_log()
    with pytest.raises(NotFound):
        client.head_manifest(ref(server, "no-such-tag"))
    assert [e.request.method for e in server.exchanges] == ["HEAD", "GET"]


def test_a_type_not_asked_for_is_asked_again_one_type_at_a_time(registry: Any) -> None:
    server = registry(nexus_type=True)
    fetched = open_client().get_manifest(ref(server, "single"))
    assert str(fetched.digest) == server.single_digest
    accepts = [e.request.header("Accept") for e in server.exchanges]
    assert len(accepts) == 2 and "," not in accepts[1]


def test_sparse_index_platform_missing_is_marked_in_base_comparisons(registry: Any) -> None:
    server = registry(sparse_index=True)
    client = open_client()
    image = inspect_image(client, ref(server, "multi"), AMD64)
    check = compare_base(client, image, ref(server, "multi"))
    marks = {c.platform: (c.changed, c.missing) for c in check.comparisons}
    assert marks == {"linux/amd64": (False, False), "linux/arm64": (False, True)}
    assert check.changed is False
    rows = {row[0]: row[1] for row in base_table(check).rows}
    assert rows == {"linux/amd64 (chosen)": "current", "linux/arm64": "*missing*"}


def test_an_anonymous_401_for_a_missing_repository_says_it_may_be_private(
    registry: Any,
) -> None:
    server = registry(anonymous_401=True)
    missing = parse_reference(f"{server.host}/other/app:1")
    with pytest.raises(Unauthorized) as info:
        inspect_image(open_client(), missing, AMD64)
    text = describe(info.value)
    assert "does not exist, or is private and needs credentials" in text
    assert "\n" not in text


def test_an_html_error_page_gives_one_clear_line(registry: Any) -> None:
    server = registry(html_errors=True)
    with pytest.raises(NotFound) as info:
        inspect_image(open_client(), ref(server, "no-such-tag"), AMD64)
    text = describe(info.value)
    assert "no-such-tag" in text and "not found" in text
    assert "<" not in text and "\n" not in text


# -- through entrypoint.py ------------------------------------------------------------------------


@pytest.mark.parametrize("switch", SWITCHES)
def test_the_action_in_process_answers_as_on_the_plain_registry(
    registry: Any, plain: dict[str, Any], switch: str, tmp_path: Path
) -> None:
    # The action's own wiring (entrypoint's `run`, in this process for speed) on every switch.
    server = registry(**{switch: True})
    inputs = {
        "repository": f"{server.host}/{REPOSITORY}",
        "tag": "multi",
        "platform": "linux/amd64",
        "list-tags": "true",
        "max-tags": "3",
        "summary": "false",
    }
    run = run_in_process(inputs, tmp_path, session=new_session())
    assert run.returncode == 0, run.log
    assert (run.outputs["digest"], run.outputs["platform-digest"]) == plain["multi"][:2]
    assert run.outputs["tag-count"] == str(TAG_COUNT)
    assert run.errors() == [] and not [d for n, _p, d in run.commands if n == "warning"]


@pytest.mark.parametrize("switch", ["no_link", "artifactory"])
def test_action_lists_every_tag(
    registry: Any, plain: dict[str, Any], switch: str, tmp_path: Path
) -> None:
    server = registry(**{switch: True})
    inputs = {
        "repository": f"{server.host}/{REPOSITORY}",
        "tag": "multi",
        "platform": "linux/amd64",
        "list-tags": "true",
        "max-tags": "0",
    }
    run = run_action(inputs, tmp_path)
    assert run.returncode == 0, run.log
    assert run.outputs["digest"] == plain["multi"][0]
    assert run.outputs["tag-count"] == str(TAG_COUNT)
    assert sorted(json.loads(run.outputs["tags"])) == plain["tags"]
    assert not [d for n, _p, d in run.commands if n == "warning"]


def test_action_warns_when_a_bound_cuts_the_list(registry: Any, tmp_path: Path) -> None:
    # Pages of one tag and 1,001 tags: over hubaction's bound of 1,000 pages.
    server = registry(tag_count=1001)
    server.max_page = 1
    inputs = {"repository": f"{server.host}/{REPOSITORY}", "tag": "single", "list-tags": "true"}
    run = run_action({**inputs, "max-tags": "5"}, tmp_path)
    assert run.returncode == 0, run.log
    warnings = [d for n, _p, d in run.commands if n == "warning"]
    assert len(warnings) == 1 and "stops after 1000 pages" in warnings[0], warnings
    assert "**Incomplete:**" in run.summary
    assert run.outputs["tag-count"] == "1000"
    assert len(tag_requests(server)) == 1000


def test_cli_warns_when_a_bound_cuts_the_list(
    registry: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    server = registry(tag_count=1001)
    server.max_page = 1
    out = io.StringIO()
    code = cli.main(["tags", f"{server.host}/{REPOSITORY}"], out=out)
    err = capsys.readouterr().err
    assert code == 0
    assert len(out.getvalue().split()) == 1000
    assert [line for line in err.splitlines() if "stops after 1000 pages" in line] == [
        f"warning: tags of {server.host}/{REPOSITORY}: the list stops after 1000 pages, "
        "hubaction's bound against a registry that pages forever; the list is incomplete"
    ]


@pytest.mark.parametrize("host", ["docker.io", "ghcr.io", "harbor.example.com", "pulp.example"])
def test_an_anonymous_401_names_the_repository_and_needs_credentials(host: str) -> None:
    response = requests.Response()
    response.status_code = 401
    body = b'{"errors": [{"code": "UNAUTHORIZED", "message": "authentication required"}]}'
    error = error_for(
        response, what="x", body=body, registry=host, repository="a/b", anonymous=True
    )
    # NEEDS_CREDENTIALS: the advice says how to log in to that registry (errors.advice).
    assert (error.kind, error.registry, error.repository) == (Kind.NEEDS_CREDENTIALS, host, "a/b")
    assert f"{host}/a/b does not exist, or is private and needs credentials" in str(error)
    assert "\n" not in describe(error)
