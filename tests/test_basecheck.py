"""Tests for oci.basecheck: base-image annotations, layer prefixes, annotation comparison."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hubaction.oci.basecheck import (
    BASE_DIGEST_ANNOTATION,
    BASE_NAME_ANNOTATION,
    BaseAnnotation,
    BaseComparison,
    base_annotation,
    built_on,
    compare_by_annotation,
)
from hubaction.oci.digest import Digest, parse_digest


def d(n: int) -> Digest:
    """A distinct sha256 digest per small integer."""
    return parse_digest(f"sha256:{n:064x}")


def test_annotation_keys_are_the_oci_ones() -> None:
    assert BASE_DIGEST_ANNOTATION == "org.opencontainers.image.base.digest"
    assert BASE_NAME_ANNOTATION == "org.opencontainers.image.base.name"


# --------------------------------------------------------------------------------------------
# base_annotation

NAME = "docker.io/library/node:20"


@pytest.mark.parametrize(
    ("annotations", "expected"),
    [
        ({}, None),
        ({"org.opencontainers.image.created": "2024-01-01T00:00:00Z"}, None),
        (
            {BASE_NAME_ANNOTATION: NAME, BASE_DIGEST_ANNOTATION: str(d(1))},
            BaseAnnotation(name=NAME, digest=d(1)),
        ),
        ({BASE_DIGEST_ANNOTATION: str(d(2))}, BaseAnnotation(name=None, digest=d(2))),
        ({BASE_NAME_ANNOTATION: NAME}, BaseAnnotation(name=NAME, digest=None)),
        # Kept as written: the spec asks for fully qualified names, builders vary.
        ({BASE_NAME_ANNOTATION: "node:20"}, BaseAnnotation(name="node:20", digest=None)),
        # Empty values say nothing (the image-spec allows them).
        ({BASE_NAME_ANNOTATION: "", BASE_DIGEST_ANNOTATION: ""}, None),
        ({BASE_NAME_ANNOTATION: NAME, BASE_DIGEST_ANNOTATION: ""}, BaseAnnotation(NAME, None)),
        # A digest that does not parse counts as absent: the check falls back to layers.
        ({BASE_DIGEST_ANNOTATION: "sha256:abc"}, None),
        ({BASE_DIGEST_ANNOTATION: f" {d(1)}"}, None),
        ({BASE_DIGEST_ANNOTATION: str(d(1)).upper()}, None),
        (
            {BASE_NAME_ANNOTATION: NAME, BASE_DIGEST_ANNOTATION: "latest"},
            BaseAnnotation(NAME, None),
        ),
        # Keys are exact: annotation keys are case-sensitive strings.
        ({BASE_DIGEST_ANNOTATION.upper(): str(d(1))}, None),
        ({"org.opencontainers.image.base.ref.name": NAME}, None),
    ],
)
def test_base_annotation(annotations: dict[str, str], expected: BaseAnnotation | None) -> None:
    assert base_annotation(annotations) == expected


# --------------------------------------------------------------------------------------------
# built_on


@pytest.mark.parametrize(
    ("image", "base", "expected"),
    [
        ([1, 2, 3], [1, 2], True),
        ([1, 2, 3], [1], True),
        ([1, 2], [1, 2], True),  # same layers: rebuilt with only config changes
        ([1, 2, 3], [], True),  # a base without layers is a prefix of anything
        ([], [], True),
        ([], [1], False),
        ([1, 2], [1, 2, 3], False),  # base longer than the image
        ([1, 2, 3], [2, 3], False),  # contained, but not at the start
        ([1, 2, 3], [1, 3], False),  # a gap
        ([2, 1, 3], [1, 2], False),  # order matters
        ([4, 2, 3], [1, 2], False),  # first layer differs: base moved on
        ([1, 2, 3], [1, 5], False),  # last base layer differs
        ([1, 1, 1], [1, 1], True),  # repeated layers are compared by position
    ],
)
def test_built_on(image: list[int], base: list[int], expected: bool) -> None:
    assert built_on([d(n) for n in image], [d(n) for n in base]) is expected
    # Sequences of any kind, not only lists.
    assert built_on(tuple(d(n) for n in image), tuple(d(n) for n in base)) is expected


_LAYERS = st.lists(st.integers(min_value=0, max_value=4).map(d), max_size=6)


@settings(max_examples=200, deadline=None)
@given(_LAYERS, _LAYERS)
def test_built_on_base_plus_anything(base: list[Digest], extra: list[Digest]) -> None:
    assert built_on(base + extra, base)


@settings(max_examples=200, deadline=None)
@given(_LAYERS, _LAYERS)
def test_built_on_is_a_prefix_test(image: list[Digest], base: list[Digest]) -> None:
    assert built_on(image, base) == (len(base) <= len(image) and image[: len(base)] == base)


# --------------------------------------------------------------------------------------------
# compare_by_annotation


@pytest.mark.parametrize(
    ("annotated", "index", "platform", "changed"),
    [
        (None, 1, 2, None),  # no digest annotated: no answer, compare layers
        (1, 1, 2, False),  # the annotation names the base's index
        (2, 1, 2, False),  # the annotation names the platform manifest
        (3, 1, 2, True),  # neither: the base moved on
        (1, 1, None, False),  # single-platform base: only one digest
        (3, 1, None, True),
        (1, 1, 1, False),
    ],
)
def test_compare_by_annotation(
    annotated: int | None, index: int, platform: int | None, changed: bool | None
) -> None:
    annotation = BaseAnnotation(NAME, d(annotated) if annotated is not None else None)
    result = compare_by_annotation(annotation, d(index), d(platform) if platform else None)
    assert result is changed


def test_compare_by_annotation_ignores_the_name() -> None:
    # The digest decides; a name written in another spelling changes nothing.
    assert compare_by_annotation(BaseAnnotation("node:20", d(1)), d(1), None) is False
    assert compare_by_annotation(BaseAnnotation(None, d(1)), d(2), d(3)) is True


# --------------------------------------------------------------------------------------------
# BaseComparison


def test_base_comparison() -> None:
    comparison = BaseComparison(
        platform="linux/amd64",
        base_digest=d(1),
        changed=False,
        method="annotation",
        detail="the image's base annotation names the current base",
    )
    assert comparison.method == "annotation"
    assert not comparison.changed
    assert BaseComparison("linux/arm64/v8", d(2), True, "layers", "x").method == "layers"


def test_base_comparison_method_is_checked() -> None:
    with pytest.raises(ValueError, match="'guess' is not one of"):
        BaseComparison("linux/amd64", d(1), True, "guess", "x")  # type: ignore[arg-type]
