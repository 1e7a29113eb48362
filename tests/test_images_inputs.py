"""The ``images`` input's grammar (issue 17 §7): one reference a line, optional ``name=``,
blank and ``#`` lines left out, each line parsed up front, one input error naming the line."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from hubaction.errors import InvalidInput
from hubaction.github.imagelist import MAX_IMAGES, MAX_LINE, parse_images
from hubaction.github.input_rules import registries_to_log_in
from hubaction.github.inputs import read_inputs
from hubaction.oci.reference import parse_reference
from hubaction.oci.wire import QUOTE_LIMIT
from hubaction.registry.credentials import Credentials

DIGEST = "sha256:" + "a" * 64

# text -> (line, key, name, reference) of each image
VALID: list[tuple[str, list[tuple[int, str, str | None, str]]]] = [
    ("", []),
    ("\n\n  \n", []),
    ("# only a comment\n", []),
    ("node:20", [(1, "node:20", None, "docker.io/library/node:20")]),
    ("node", [(1, "node", None, "docker.io/library/node:latest")]),
    ("api=ghcr.io/o/api:1.2", [(1, "api", "api", "ghcr.io/o/api:1.2")]),
    ("  api = ghcr.io/o/api  ", [(1, "api", "api", "ghcr.io/o/api:latest")]),
    (f"pin=node@{DIGEST}", [(1, "pin", "pin", f"docker.io/library/node@{DIGEST}")]),
    ("Api_1.x-y=localhost:5000/app", [(1, "Api_1.x-y", "Api_1.x-y", "localhost:5000/app:latest")]),
    (
        "# bases\nnode:20\n\n  # more\r\nweb=quay.io/a/b:2\r\n",
        [
            (2, "node:20", None, "docker.io/library/node:20"),
            (5, "web", "web", "quay.io/a/b:2"),
        ],
    ),
    # the same image twice under two keys: two entries (looked up once, tests/test_images.py)
    (
        "node\na=node",
        [
            (1, "node", None, "docker.io/library/node:latest"),
            (2, "a", "a", "docker.io/library/node:latest"),
        ],
    ),
]


@pytest.mark.parametrize(("text", "expected"), VALID)
def test_valid_lists(text: str, expected: list[tuple[int, str, str | None, str]]) -> None:
    images = parse_images(text)
    got = [(i.line, i.key, i.name, str(i.reference)) for i in images]
    assert got == [(n, k, name, str(parse_reference(r))) for n, k, name, r in expected]


# text -> words the one error must hold
INVALID: list[tuple[str, tuple[str, ...]]] = [
    ("node\napi=", ("`images`, line 2", "empty", "name=reference")),
    ("=node", ("line 1", "is not a name", "letters, digits")),
    ("-x=node", ("line 1", "'-x'", "is not a name")),
    ("a b=node", ("line 1", "is not a name")),
    ("node:20 # lts", ("line 1", "invalid image reference")),
    ("Bad/Name", ("line 1", "invalid image reference")),
    ("a=b=c", ("line 1", "invalid image reference 'b=c'")),
    ("x=node\n\nx=python", ("line 3", "'x'", "given already on line 1")),
    ("node\n# c\nnode", ("line 3", "'node'", "given already on line 1")),
    ("n" * 65 + "=node", ("line 1", "is not a name", "64")),
]


@pytest.mark.parametrize(("text", "words"), INVALID)
def test_invalid_lists(text: str, words: tuple[str, ...]) -> None:
    with pytest.raises(InvalidInput) as raised:
        parse_images(text)
    for word in words:
        assert word in str(raised.value)


def test_at_most_max_images() -> None:
    lines = [f"i{n}=node:{n}" for n in range(MAX_IMAGES)]
    assert len(parse_images("\n".join(lines))) == MAX_IMAGES
    with pytest.raises(InvalidInput, match=f"more than {MAX_IMAGES} images.*line {MAX_IMAGES + 2}"):
        parse_images("\n".join(["# header", *lines, "one=too:many"]))


@pytest.mark.parametrize(
    "line",
    ["x" * 100_000, "a=" + "b" * 100_000, "\x1b[31m" * 20_000, "node:" + "1" * (MAX_LINE + 1)],
)
def test_a_long_line_is_quoted_bounded(line: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        parse_images(f"node\n{line}")
    message = str(raised.value)
    assert "line 2" in message and "characters long" in message
    assert len(message) < QUOTE_LIMIT + 400
    assert "\x1b" not in message and "\n" not in message


def test_a_bad_line_within_the_bound_is_quoted_bounded() -> None:
    with pytest.raises(InvalidInput) as raised:
        parse_images("n=" + "A" * (MAX_LINE - 2))
    assert len(str(raised.value)) < 2 * MAX_LINE


# -- with the other inputs --------------------------------------------------------------------


def getter(values: dict[str, str]) -> Callable[[str], str]:
    return lambda name: values.get(name, "").strip()


def test_images_alone_need_no_repository() -> None:
    inputs = read_inputs(getter({"images": "node:20\napi=ghcr.io/o/api"}))
    assert inputs.reference is None
    assert [i.key for i in inputs.images] == ["node:20", "api"]


def test_images_beside_repository() -> None:
    inputs = read_inputs(getter({"repository": "node", "images": "python"}))
    assert inputs.reference == parse_reference("node")
    assert [i.key for i in inputs.images] == ["python"]


def test_nothing_to_look_up_names_images_too() -> None:
    with pytest.raises(InvalidInput, match="`images`"):
        read_inputs(getter({}))


def test_username_goes_to_the_first_lines_registry_without_repository() -> None:
    inputs = read_inputs(getter({"images": "ghcr.io/o/a\nnode", "username": "u", "password": "p"}))
    assert inputs.credentials.get("ghcr.io") == Credentials("u", "p")
    assert inputs.credentials.get("docker.io") is None


def test_username_goes_to_repositorys_registry_beside_images() -> None:
    inputs = read_inputs(
        getter(
            {"repository": "quay.io/o/r", "images": "ghcr.io/o/a", "username": "u", "password": "p"}
        )
    )
    assert inputs.credentials.get("quay.io") == Credentials("u", "p")
    assert inputs.credentials.get("ghcr.io") is None


def test_registries_to_log_in_include_the_images() -> None:
    inputs = read_inputs(
        getter({"repository": "ghcr.io/a/b", "images": "quay.io/x/y\nnode\nghcr.io/c"})
    )
    got = registries_to_log_in(inputs.reference, None, (), hub=False, others=inputs.images)
    assert got == ("ghcr.io", "quay.io", "docker.io")
