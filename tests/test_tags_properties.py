"""Property tests for hubaction.oci.tags: sorting, selection and version order."""

from __future__ import annotations

import random
import re
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from hubaction.errors import InvalidInput
from hubaction.oci.tags import compile_tag_filter, parse_version, select_tags, sort_tags

T0 = datetime(2024, 1, 1, 12, 0, tzinfo=UTC)


# --- properties ---------------------------------------------------------------------------------

_tag_parts = st.sampled_from(
    [
        "1",
        "2",
        "10",
        "0",
        "01",
        ".",
        "-",
        "v",
        "rc",
        "alpha",
        "beta",
        "dev",
        "a",
        "b",
        "alpine",
        "slim",
        "latest",
        "+",
        "x",
    ]
)
_tags = st.lists(_tag_parts, min_size=1, max_size=7).map("".join)
_tag_lists = st.lists(_tags, max_size=25)


@settings(max_examples=200, deadline=None)
@given(_tag_lists, st.sampled_from(["version", "lexical", "updated"]), st.randoms())
def test_sort_is_total_and_deterministic(tags: list[str], sort: str, rnd: random.Random) -> None:
    updated = {tag: T0 + timedelta(hours=len(tag) % 3) for tag in tags[::2]}
    result = sort_tags(tags, sort, updated)
    shuffled = list(tags)
    rnd.shuffle(shuffled)
    assert sort_tags(shuffled, sort, updated) == result
    assert sorted(result) == sorted(set(tags))  # a permutation of the distinct tags


@settings(max_examples=200, deadline=None)
@given(_tag_lists, st.integers(0, 30), st.sampled_from(["", "1", r"^v", "alpine$", "[0-9]"]))
def test_select_tags_properties(tags: list[str], max_tags: int, pattern: str) -> None:
    tag_filter = compile_tag_filter(pattern)
    selection = select_tags(tags, tag_filter=tag_filter, max_tags=max_tags)
    kept = {tag for tag in tags if tag_filter is None or tag_filter.search(tag)}
    assert selection.count == len(kept)
    assert set(selection.tags) <= kept
    assert len(selection.tags) == (len(kept) if max_tags == 0 else min(max_tags, len(kept)))
    if selection.latest_semver is not None:
        assert selection.latest_semver in kept
        best = parse_version(selection.latest_semver)
        assert best is not None and best.is_semver_release
        for tag in kept:
            other = parse_version(tag)
            assert other is None or not other.is_semver_release or other <= best
    else:
        assert not any((v := parse_version(t)) is not None and v.is_semver_release for t in kept)


@settings(max_examples=200, deadline=None)
@given(st.lists(_tags, min_size=2, max_size=3, unique=True))
def test_version_order_is_consistent(tags: list[str]) -> None:
    versions = [v for v in map(parse_version, tags) if v is not None]
    for a in versions:
        assert str(a) in tags and parse_version(str(a)) == a
        for b in versions:
            # Exactly one of <, ==, > holds, and it agrees with the reverse comparison.
            assert [a < b, a == b, a > b].count(True) == 1
            assert (a < b) == (b > a) and (a <= b) == (b >= a)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=40))
def test_parse_version_arbitrary_text(text: str) -> None:
    version = parse_version(text)
    assert version is None or str(version) == text


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=20))
def test_compile_tag_filter_arbitrary_text(pattern: str) -> None:
    try:
        compiled = compile_tag_filter(pattern)
    except InvalidInput as error:
        assert "tag-filter" in str(error)
        return
    assert compiled is None or compiled.pattern == pattern
    assert (compiled is None) == (pattern == "")
    if compiled is not None:
        assert isinstance(compiled, re.Pattern)


# --- semver precedence ----------------------------------------------------------------------------

# Strict semver 2.0.0 tags whose pre-release is in hubaction's grammar and outside its deliberate
# differences (docs/differences.md, "Versions"): a lower-case word first, then words or numbers
# without leading zeros, no digits glued to a word.
_number = st.integers(0, 30).map(str)
_word = st.sampled_from(["alpha", "beta", "dev", "pre", "preview", "rc"])
_prerelease = st.tuples(_word, st.lists(st.one_of(_number, _word), max_size=3)).map(
    lambda parts: ".".join([parts[0], *parts[1]])
)
_semver = st.tuples(
    st.tuples(_number, _number, _number).map(".".join),
    st.one_of(st.just(""), _prerelease.map("-".__add__)),
    st.one_of(st.just(""), st.sampled_from(["+b", "+b.2", "+0.3.7"])),
).map("".join)


def _semver_compare(left: str, right: str) -> int:
    """semver.org 2.0.0 §11 (semver/semver semver.md, tag v2.0.0), written from the text."""

    def key(text: str) -> tuple[tuple[int, ...], tuple[tuple[int, int, str], ...] | None]:
        core, _, pre = text.partition("+")[0].partition("-")
        identifiers = tuple(
            (0, int(i), "") if i.isdigit() else (1, 0, i) for i in pre.split(".") if pre
        )
        return tuple(map(int, core.split("."))), identifiers or None

    (a_core, a_pre), (b_core, b_pre) = key(left), key(right)
    if a_core != b_core:  # §11.2
        return -1 if a_core < b_core else 1
    if a_pre is None or b_pre is None:  # §11.3: a pre-release is below the release
        return (a_pre is None) - (b_pre is None)
    return (a_pre > b_pre) - (a_pre < b_pre)  # §11.4, a shorter list below a longer one


@settings(max_examples=300, deadline=None)
@given(_semver, _semver)
def test_semver_tags_follow_semver_precedence(left: str, right: str) -> None:
    a, b = parse_version(left), parse_version(right)
    assert a is not None and b is not None
    ours = (a.precedence() > b.precedence()) - (a.precedence() < b.precedence())
    assert ours == _semver_compare(left, right)
    # The total order refines precedence: it only breaks ties.
    if ours:
        assert (a < b) == (ours < 0)
    assert (a == b) == (left == right)
