"""The pure tag-list paging decisions (hubaction/oci/paging.py), as tables."""

from __future__ import annotations

import pytest

from hubaction.oci.paging import continue_after, is_repeat, on_own_path, smaller_page_size

OWN = "https://r.example/v2/org/app/tags/list"


@pytest.mark.parametrize(
    ("tags", "listed", "asked", "expected"),
    [
        (("a", "b"), 2, 2, f"{OWN}?n=2&last=b"),  # a full page without Link goes on
        (("a", "b"), 3, 2, f"{OWN}?n=2&last=b"),  # more than asked (n ignored): goes on
        (("a",), 1, 2, None),  # short: the end (spec: fewer only at the end or with Link)
        ((), 0, 2, None),  # empty: the end
        ((), 2, 2, None),  # only invalid names: nothing to continue after
        (("a", "b"), 3, 3, f"{OWN}?n=3&last=b"),  # an invalid name still counts as listed
        (("a b/c&d",), 1, 1, f"{OWN}?n=1&last=a%20b%2Fc%26d"),  # the tag is quoted
    ],
)
def test_continue_after(
    tags: tuple[str, ...], listed: int, asked: int, expected: str | None
) -> None:
    assert continue_after(OWN + "?n=9&last=x", tags, listed, asked) == expected


@pytest.mark.parametrize(
    ("tags", "seen", "repeat"),
    [(("a",), {"a"}, True), (("a", "b"), {"a"}, False), ((), {"a"}, False), (("a",), set(), False)],
)
def test_is_repeat(tags: tuple[str, ...], seen: set[str], repeat: bool) -> None:
    assert is_repeat(tags, seen) is repeat


@pytest.mark.parametrize(
    ("link", "expected"),
    [
        (f"{OWN}?n=2&last=b", f"{OWN}?n=2&last=b"),  # already on the path: as sent
        (  # Nexus proxy: /repository/<name>/ in front (sonatype/nexus-public#1011)
            "https://r.example/repository/docker-proxy/v2/org/app/tags/list?n=2&last=b",
            f"{OWN}?n=2&last=b",
        ),
        (  # Artifactory: the virtual repository's part dropped, `last` an offset
            "https://r.example/v2/app/tags/list?last=1000&n=1000",
            f"{OWN}?last=1000&n=1000",
        ),
        (  # an opaque token is kept byte for byte
            "https://r.example/v2/x/tags/list?next_page=gAAA%3D%3D&n=50",
            f"{OWN}?next_page=gAAA%3D%3D&n=50",
        ),
        ("https://other.example/v2/app/tags/list?n=1", "https://other.example" + OWN[17:] + "?n=1"),
    ],
)
def test_on_own_path(link: str, expected: str) -> None:
    assert on_own_path(link, OWN) == expected


@pytest.mark.parametrize(
    ("status", "asked", "said", "smaller"),
    [
        (413, 1000, "TOO_MANY_TAGS_REQUESTED: requested limit 1000 is too high, max is 100", 100),
        (413, 1000, "request entity too large", 100),
        (413, 1000, "max is 250", 250),
        (413, 100, "max is 100", None),  # not smaller: give up
        (413, 50, "", None),
        (405, 5000, "", 1000),  # ECR
        (400, 5000, "", 1000),
        (405, 1000, "", None),  # at 1000 a 405 is something else
        (404, 5000, "", None),
        (None, 5000, "", None),
    ],
)
def test_smaller_page_size(status: int | None, asked: int, said: str, smaller: int | None) -> None:
    assert smaller_page_size(status, asked, said) == smaller
