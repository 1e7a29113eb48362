"""Tests for hubaction.oci.tags: the tag-selection contract (updated sort, select_tags,
compile_tag_filter)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from hubaction.errors import CorruptBody, InvalidInput, RegistryError
from hubaction.oci.tags import (
    SORTS,
    TagList,
    compile_tag_filter,
    parse_tag_list,
    select_tags,
    skipped_tags_note,
    sort_tags,
)

# --- updated ------------------------------------------------------------------------------------

T0 = datetime(2024, 1, 1, 12, 0, tzinfo=UTC)


def test_updated_sort() -> None:
    updated = {
        "old": T0,
        "new": T0 + timedelta(days=2),
        "tie-b": T0 + timedelta(days=1),
        "tie-a": T0 + timedelta(days=1),
        # Same instant as `old`, in another zone; naive is UTC.
        "old-cet": datetime(2024, 1, 1, 13, 0, tzinfo=timezone(timedelta(hours=1))),
        "naive": datetime(2024, 1, 1, 12, 30),
        "not-listed": T0 + timedelta(days=9),
    }
    tags = ["z-undated", "old", "old-cet", "tie-b", "new", "a-undated", "tie-a", "naive"]
    expected = ["new", "tie-a", "tie-b", "naive", "old", "old-cet", "a-undated", "z-undated"]
    assert sort_tags(tags, "updated", updated) == expected
    selection = select_tags(tags, sort="updated", updated=updated, max_tags=2)
    assert selection.tags == ("new", "tie-a")
    assert selection.count == len(tags)


def test_updated_with_empty_dates_is_lexical() -> None:
    assert sort_tags(["b", "a"], "updated", {}) == ["a", "b"]


def test_updated_without_dates_is_invalid() -> None:
    with pytest.raises(InvalidInput, match="tag-sort: updated needs Docker Hub"):
        select_tags(["a"], sort="updated")
    with pytest.raises(InvalidInput, match="tag-sort: updated needs Docker Hub"):
        sort_tags(["a"], "updated")


# --- select_tags --------------------------------------------------------------------------------

TAGS = [
    "latest",
    "1.2.3",
    "v1.10.0",
    "1.10.0-rc.1",
    "1.9",
    "2.0.0-alpine",
    "2.0.0.1",
    "1.9.9",
    "edge",
]


@pytest.mark.parametrize(
    ("pattern", "max_tags", "tags", "count", "latest"),
    [
        (
            "",
            100,
            (
                "2.0.0.1",
                "2.0.0-alpine",
                "v1.10.0",
                "1.10.0-rc.1",
                "1.9.9",
                "1.9",
                "1.2.3",
                "edge",
                "latest",
            ),
            9,
            "v1.10.0",
        ),
        (
            "",
            0,
            (
                "2.0.0.1",
                "2.0.0-alpine",
                "v1.10.0",
                "1.10.0-rc.1",
                "1.9.9",
                "1.9",
                "1.2.3",
                "edge",
                "latest",
            ),
            9,
            "v1.10.0",
        ),
        ("", 2, ("2.0.0.1", "2.0.0-alpine"), 9, "v1.10.0"),
        (
            "",
            9,
            (
                "2.0.0.1",
                "2.0.0-alpine",
                "v1.10.0",
                "1.10.0-rc.1",
                "1.9.9",
                "1.9",
                "1.2.3",
                "edge",
                "latest",
            ),
            9,
            "v1.10.0",
        ),
        # re.search: unanchored patterns match anywhere.
        ("9", 100, ("1.9.9", "1.9"), 2, "1.9.9"),
        (r"^1\.", 1, ("1.10.0-rc.1",), 4, "1.9.9"),  # not v1.10.0
        (r"^v?\d+\.\d+\.\d+$", 100, ("v1.10.0", "1.9.9", "1.2.3"), 3, "v1.10.0"),
        # Only pre-releases and non-3-part versions: no latest-semver.
        (
            r"rc|^1\.9$|alpine|^2\.0\.0\.1$",
            100,
            ("2.0.0.1", "2.0.0-alpine", "1.10.0-rc.1", "1.9"),
            4,
            None,
        ),
        ("nomatch", 100, (), 0, None),
        ("^edge$|^latest$", 1, ("edge",), 2, None),
    ],
)
def test_select_tags(
    pattern: str, max_tags: int, tags: tuple[str, ...], count: int, latest: str | None
) -> None:
    selection = select_tags(TAGS, tag_filter=compile_tag_filter(pattern), max_tags=max_tags)
    assert selection.tags == tags
    assert selection.count == count
    assert selection.latest_semver == latest


def test_latest_semver_prefers_plain_spelling_and_ignores_prereleases() -> None:
    selection = select_tags(["v1.2.3", "1.2.3", "1.2.4-rc.1", "1.3", "1.2.3.9", "1.2.4-alpine"])
    assert selection.latest_semver == "1.2.3"
    assert select_tags(["v2.0.0", "1.9.9"]).latest_semver == "v2.0.0"


def test_latest_semver_ignores_max_tags_and_sort() -> None:
    selection = select_tags(["1.0.0", "2.0.0", "a"], sort="lexical", max_tags=1)
    assert selection.tags == ("1.0.0",)
    assert selection.latest_semver == "2.0.0"


def test_select_tags_consumes_generators_and_counts_duplicates_once() -> None:
    selection = select_tags(tag for tag in ["1.0.0", "1.0.0", "x"])
    assert selection.tags == ("1.0.0", "x")
    assert selection.count == 2


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        (
            {"sort": "newest"},
            "tag-sort 'newest' is not a known sort; use one of: version, lexical, updated",
        ),
        ({"sort": "Version"}, "not a known sort"),
        ({"max_tags": -1}, "max-tags -1 is negative"),
    ],
)
def test_select_tags_invalid(kwargs: dict[str, object], fragment: str) -> None:
    with pytest.raises(InvalidInput) as info:
        select_tags(["a"], **kwargs)  # type: ignore[arg-type]
    assert fragment in str(info.value)


def test_sorts_constant() -> None:
    assert SORTS == ("version", "lexical", "updated")


# --- compile_tag_filter -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pattern", "matches", "rejects"),
    [
        (r"^v?\d+\.\d+$", ["1.2", "v10.20"], ["1.2.3", "latest"]),
        ("alpine", ["3.19-alpine", "alpine"], ["slim"]),
        ("(?i)ALPINE", ["alpine"], ["slim"]),
    ],
)
def test_compile_tag_filter(pattern: str, matches: list[str], rejects: list[str]) -> None:
    compiled = compile_tag_filter(pattern)
    assert compiled is not None
    assert all(compiled.search(tag) for tag in matches)
    assert not any(compiled.search(tag) for tag in rejects)


def test_empty_filter_is_none() -> None:
    assert compile_tag_filter("") is None


@pytest.mark.parametrize(
    ("pattern", "fragment"),
    [
        ("(", "missing ), unterminated subpattern at position 0"),
        ("[a-", "unterminated character set"),
        ("a{2,1}", "min repeat greater than max repeat"),
        ("*x", "nothing to repeat"),
        ("a{99999999999}", "the repetition number is too large"),
    ],
)
def test_compile_tag_filter_invalid(pattern: str, fragment: str) -> None:
    with pytest.raises(InvalidInput) as info:
        compile_tag_filter(pattern)
    message = str(info.value)
    assert message.startswith(f"tag-filter {pattern!r} is not a valid Python regular expression")
    assert fragment in message


# -- parse_tag_list: one page of a registry's tag list ---------------------------------------


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (b'{"tags": ["1.0", "latest"]}', TagList(("1.0", "latest"), 0)),
        (b'{"name": "app", "tags": null}', TagList()),
        (b'{"tags": []}', TagList()),
        # names that break the tag grammar are counted, not kept
        (b'{"tags": ["ok", "\\ud800", "a\\nb", "$(id)", "-x", ""]}', TagList(("ok",), 5)),
        (b'{"tags": ["ok", " ok", "a\\u0000"]}', TagList(("ok",), 2)),
        (b'{"tags": ["' + b"a" * 129 + b'", "' + b"a" * 128 + b'"]}', TagList(("a" * 128,), 1)),
    ],
    ids=["valid", "null", "empty", "hostile", "space-nul", "length"],
)
def test_parse_tag_list_keeps_valid_tags_and_counts_the_rest(
    body: bytes, expected: TagList
) -> None:
    assert parse_tag_list(body, "tags of app") == expected


@pytest.mark.parametrize(
    ("body", "error"),
    [
        (b'{"tags": ["a"', CorruptBody),
        (b"[]", RegistryError),
        (b'{"tags": "a"}', RegistryError),
        (b'{"tags": ["a", 1]}', RegistryError),
    ],
    ids=["cut", "array", "string", "number"],
)
def test_parse_tag_list_refuses_other_shapes(body: bytes, error: type[Exception]) -> None:
    with pytest.raises(error):
        parse_tag_list(body, "tags of app")


def test_skipped_tags_note_counts_and_never_quotes() -> None:
    assert skipped_tags_note("r.test/app", 1) == (
        "r.test/app: 1 tag that is not a valid tag name was skipped"
    )
    assert skipped_tags_note("r.test/app", 3) == (
        "r.test/app: 3 tags that are not valid tag names were skipped"
    )
