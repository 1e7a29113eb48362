"""The pieces of per-registry auth without a server: the scope a challenge names, as a lookup
asks for it (:func:`~hubaction.oci.token.pull_only`), and the advice by registry host
(:data:`~hubaction.errors.REGISTRY_ADVICE`). With servers: tests/test_registry_auth_quirks.py.
"""

from __future__ import annotations

import pytest

from hubaction.errors import REGISTRY_ADVICE, Kind, Service, advice
from hubaction.oci.token import pull_only

ECR = "123456789012.dkr.ecr.us-east-1.amazonaws.com"
ACR = "myacr.azurecr.io"


@pytest.mark.parametrize(
    ("scope", "asked"),
    [
        ("repository:group/project:pull", "repository:group/project:pull"),
        ("repository:group/project:*", "repository:group/project:pull"),
        ("repository:group/project:push,pull", "repository:group/project:pull"),
        ("repository:group/project:pull,push,delete", "repository:group/project:pull"),
        ("repository:localhost:5000/app:pull", "repository:localhost:5000/app:pull"),
        ("repository:group/project:push", None),
        ("repository:group/project:", None),
        ("repository::pull", None),
        ("registry:catalog:*", None),
        ("", None),
    ],
)
def test_pull_only(scope: str, asked: str | None) -> None:
    assert pull_only(scope) == asked


@pytest.mark.parametrize(
    ("registry", "kind", "words"),
    [
        ("ghcr.io", Kind.NEEDS_CREDENTIALS, "Manage Actions access"),
        ("GHCR.IO", Kind.ACCESS_DENIED, "Manage Actions access"),
        (ECR, Kind.CREDENTIALS_EXPIRED, "amazon-ecr-login again"),
        ("123456789012.dkr.ecr-fips.us-gov-west-1.amazonaws.com", Kind.CREDENTIALS_EXPIRED, "12 h"),
        ("123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn", Kind.CREDENTIALS_REFUSED, "`AWS`"),
        ("europe-west4-docker.pkg.dev", Kind.CREDENTIALS_REFUSED, "oauth2accesstoken"),
        ("eu.gcr.io", Kind.ACCESS_DENIED, "oauth2accesstoken"),
        ("gcr.io:443", Kind.NEEDS_CREDENTIALS, "oauth2accesstoken"),
        (ACR, Kind.CREDENTIALS_REFUSED, "az acr login"),
        ("registry.gitlab.com", Kind.CREDENTIALS_REFUSED, "read_registry"),
        # An anonymous 401 (a missing or a private repository) gets the same registry's hint.
        (ECR, Kind.NEEDS_CREDENTIALS, "amazon-ecr-login"),
        ("europe-west4-docker.pkg.dev", Kind.NEEDS_CREDENTIALS, "oauth2accesstoken"),
        (ACR, Kind.NEEDS_CREDENTIALS, "az acr login"),
        ("registry.gitlab.com", Kind.NEEDS_CREDENTIALS, "read_registry"),
    ],
)
def test_registry_advice_by_host(registry: str, kind: Kind, words: str) -> None:
    todo = advice(kind, Service.REGISTRY, registry)
    assert todo is not None and words in todo
    assert todo != advice(kind, Service.REGISTRY)


@pytest.mark.parametrize(
    ("registry", "kind"),
    [
        ("ghcr.io.example.com", Kind.NEEDS_CREDENTIALS),  # look-alikes get the generic text
        ("notghcr.io", Kind.NEEDS_CREDENTIALS),
        ("dkr.ecr.us-east-1.amazonaws.com", Kind.CREDENTIALS_EXPIRED),
        ("docker.io", Kind.CREDENTIALS_REFUSED),
        ("ghcr.io", Kind.TAG),  # a missing tag is not a login problem
        ("quay.io", Kind.CREDENTIALS_REFUSED),
    ],
)
def test_other_registries_and_kinds_get_the_generic_advice(registry: str, kind: Kind) -> None:
    assert advice(kind, Service.REGISTRY, registry) == advice(kind, Service.REGISTRY)


def test_every_registry_advice_is_one_line_and_names_kinds() -> None:
    for hint in REGISTRY_ADVICE:
        assert hint.kinds and all(isinstance(k, Kind) for k in hint.kinds)
        assert hint.text and "\n" not in hint.text and not hint.text.endswith(".")
