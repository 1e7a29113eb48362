"""The inputs of issue 17 §4-6 (`wait-for`, `wait-timeout`, `release-version`, `max-age`):
parsed at input time, the rules tying them to the other inputs, and the run's deadline."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from hubaction.errors import InvalidInput
from hubaction.github.decisions import Decisions, fails_on_missing, run_seconds
from hubaction.github.inputs import read_inputs
from hubaction.oci.durations import Duration
from hubaction.oci.releases import parse_release_version

DIGEST = "sha256:" + "a" * 64
OK = {"repository": "ghcr.io/acme/app", "tag": "1.2"}


def getter(values: dict[str, str]) -> Callable[[str], str]:
    return lambda name: values.get(name, "").strip()


def test_defaults() -> None:
    assert read_inputs(getter(OK)).decisions == Decisions("", Duration(600), None, None)


def test_values_are_parsed() -> None:
    values = {
        **OK,
        "wait-for": "changed",
        "compare-digest": DIGEST,
        "wait-timeout": "90s",
        "release-version": "refs/tags/v1.4.2",
        "max-age": "2w",
    }
    decisions = read_inputs(getter(values)).decisions
    assert decisions.wait_for == "changed"
    assert decisions.wait_timeout == Duration(90)
    assert decisions.release_version == parse_release_version("v1.4.2")
    assert decisions.max_age == Duration(14 * 86400)


# inputs -> words the one error must hold
RULES: list[tuple[dict[str, str], tuple[str, ...]]] = [
    ({**OK, "wait-for": "changed"}, ("`wait-for: changed`", "`compare-digest`", "exists")),
    (
        {"repository": "ghcr.io/acme/app@" + DIGEST, "tag": "", "wait-for": "changed"}
        | {"compare-digest": DIGEST},
        ("needs a tag",),
    ),
    ({"namespace": "acme", "wait-for": "exists"}, ("`wait-for`", "`repository`")),
    ({"namespace": "acme", "release-version": "1.0.0"}, ("`release-version`", "`repository`")),
    ({"namespace": "acme", "max-age": "30d"}, ("`max-age`", "`repository`")),
    ({**OK, "max-age": "30d", "digest-only": "true"}, ("`max-age`", "`digest-only: true`")),
    ({**OK, "wait-for": "Exists"}, ("`wait-for`", "exists")),
    ({**OK, "wait-timeout": "-1m"}, ("`wait-timeout`", "10m")),
    ({**OK, "release-version": "1.3.0-alpine"}, ("`release-version`", "MAJOR.MINOR.PATCH")),
    ({**OK, "max-age": "30 days"}, ("`max-age`", "30d")),
]


@pytest.mark.parametrize(("values", "words"), RULES)
def test_rules(values: dict[str, str], words: tuple[str, ...]) -> None:
    with pytest.raises(InvalidInput) as raised:
        read_inputs(getter(values))
    for word in words:
        assert word in str(raised.value), str(raised.value)


@pytest.mark.parametrize(
    "values",
    [
        {**OK, "wait-for": "exists"},
        {"repository": "ghcr.io/acme/app@" + DIGEST, "tag": "", "wait-for": "exists"},
        {**OK, "wait-for": "changed", "compare-digest": DIGEST},
        {**OK, "max-age": "30d", "digest-only": "false"},
        {**OK, "release-version": "2.0.0-rc.1", "digest-only": "true"},
    ],
)
def test_what_the_rules_allow(values: dict[str, str]) -> None:
    read_inputs(getter(values))


def test_the_run_deadline_grows_by_the_wait_only_when_waiting() -> None:
    assert run_seconds(120, Decisions()) == 120
    assert run_seconds(120, Decisions(wait_timeout=Duration(600))) == 120
    assert run_seconds(120, Decisions(wait_for="exists", wait_timeout=Duration(600))) == 720


def test_release_version_never_fails_on_a_missing_tag() -> None:
    release = Decisions(release_version=parse_release_version("1.0.0"))
    assert fails_on_missing(True, Decisions()) is True
    assert fails_on_missing(False, Decisions()) is False
    assert fails_on_missing(True, release) is False
