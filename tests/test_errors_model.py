"""Tests for the error model in hubaction.errors: kinds, advice, describe, wrapping."""

from __future__ import annotations

import pytest

from hubaction.errors import (
    ADVICE,
    DigestMismatch,
    ErrorDetail,
    HubActionError,
    InvalidInput,
    Kind,
    NotFound,
    PlatformNotFound,
    RateLimited,
    RegistryError,
    Service,
    Unauthorized,
    describe,
)

# ---------------------------------------------------------------------------------------------
# The model: kinds, advice, describe, wrapping


@pytest.mark.parametrize(
    ("error", "kind"),
    [
        (HubActionError("x"), Kind.OTHER),
        (InvalidInput("x"), Kind.OTHER),
        (Unauthorized("x"), Kind.CREDENTIALS_REFUSED),
        (NotFound("x"), Kind.MANIFEST),
        (PlatformNotFound("x"), Kind.PLATFORM),
        (RateLimited("x"), Kind.PULL_RATE_LIMIT),
        (RegistryError("x"), Kind.OTHER),
        (NotFound("x", kind=Kind.NAMESPACE), Kind.NAMESPACE),
    ],
)
def test_default_kinds(error: HubActionError, kind: Kind) -> None:
    assert error.kind is kind
    assert (error.status, error.service, error.codes, str(error)) == (None, None, (), "x")


def test_every_advice_key_is_a_kind_and_every_text_one_line() -> None:
    for (kind, service), text in ADVICE.items():
        assert isinstance(kind, Kind)
        assert service is None or isinstance(service, Service)
        assert text and "\n" not in text and not text.endswith(".")


@pytest.mark.parametrize(
    ("error", "rendered"),
    [
        (RegistryError("x: broken"), "x: broken"),  # no advice: the facts alone
        (
            NotFound("x: gone", kind=Kind.TAG),
            "x: gone. Check the tag; `hubaction tags` lists the tags that exist",
        ),
        (
            RateLimited("x: slow down. Retry after about 3 s", retry_after=3),
            "x: slow down. Retry after about 3 s. " + ADVICE[Kind.PULL_RATE_LIMIT, None],
        ),
        (
            Unauthorized("x: no.", kind=Kind.ACCESS_DENIED, service=Service.HUB_API),
            "x: no. " + ADVICE[Kind.ACCESS_DENIED, Service.HUB_API],
        ),
    ],
)
def test_describe(error: HubActionError, rendered: str) -> None:
    assert describe(error) == rendered


def test_within_wraps_keeping_class_fields_and_cause() -> None:
    inner = RateLimited(
        "manifest of x: rate limited (429)",
        retry_after=5.0,
        status=429,
        service=Service.REGISTRY,
        registry="docker.io",
        repository="library/node",
        details=(ErrorDetail("TOOMANYREQUESTS", "slow down"),),
    )
    with pytest.raises(RateLimited) as info:
        try:
            raise inner
        except RateLimited as exc:
            raise exc.within("Input `dockerfile`: looking up node failed") from exc
    outer = info.value
    assert outer is not inner and outer.__cause__ is inner
    assert str(outer) == (
        "Input `dockerfile`: looking up node failed: manifest of x: rate limited (429)"
    )
    assert str(inner) == "manifest of x: rate limited (429)"  # the original is left alone
    assert (outer.kind, outer.status, outer.codes, outer.retry_after) == (
        Kind.PULL_RATE_LIMIT,
        429,
        ("TOOMANYREQUESTS",),
        5.0,
    )
    assert (outer.registry, outer.repository) == ("docker.io", "library/node")
    assert describe(outer).endswith(ADVICE[Kind.PULL_RATE_LIMIT, None])


def test_within_keeps_subclasses_with_their_own_constructor() -> None:
    assert type(PlatformNotFound("p").within("c")) is PlatformNotFound
    assert type(DigestMismatch("d").within("c")) is DigestMismatch
