"""The data the fake Docker Hub serves, built deterministically from ``tests/hubfixtures/``.

The fixture files' items are the templates: namespace ``acme`` with :data:`REPO_COUNT`
repositories, of which :data:`PRIVATE_COUNT` private, and ``acme/big`` with
:data:`BIG_TAG_COUNT` tags whose push dates are all distinct and in neither name nor listing
order. The accounts and their test-only secrets are here too.
"""

from __future__ import annotations

import copy
import hashlib
import json
import random
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

FIXTURES = Path(__file__).resolve().parent.parent / "hubfixtures"

#: A user with a password and a personal access token; a member of ``acme``.
HUB_USER = "hubuser"
#: Test-only secrets, random-looking on purpose so a leak into a message is easy to grep for.
HUB_PASSWORD = "hub-Pw-4Kq9-zT7x-hubaction-test"
HUB_PAT = "dckr_pat_TESTSECRET-Qm3v8LwN2pXr"
#: An organization access token: the identifier is the organization.
HUB_ORG = "acme"
HUB_OAT = "dckr_oat_TESTSECRET-Hj5s1KdY"
#: A user with two-factor authentication: the password is refused, a PAT works.
TWOFA_USER = "twofa"
TWOFA_PASSWORD = "twofa-Pw-8Jd3-hubaction-test"
TWOFA_PAT = "dckr_pat_TESTSECRET-2fa-Zx81"

NAMESPACE = "acme"
REPO_COUNT = 250
PRIVATE_COUNT = 50
BIG_REPO = "big"
BIG_TAG_COUNT = 230
MAX_PAGE_SIZE = 100
DEFAULT_PAGE_SIZE = 10
RATE_LIMIT = 180

_BASE_TIME = datetime(2024, 1, 1, tzinfo=UTC)


def load(name: str) -> Any:
    """A fixture file of ``tests/hubfixtures/`` as parsed JSON."""
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def error_body(kind: str) -> dict[str, Any]:
    """An error body from ``errors.json``."""
    body: dict[str, Any] = load("errors.json")[kind]
    return body


def hub_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def fake_digest(text: str) -> str:
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()


# -- deterministic data -----------------------------------------------------------------------


def make_repositories() -> list[dict[str, Any]]:
    """The :data:`REPO_COUNT` repositories of ``acme``: the fixture page's three, then
    ``app-003`` .. ``app-249`` (every fifth private), in that order."""
    page = load("repositories-page.json")
    repos: list[dict[str, Any]] = copy.deepcopy(page["results"])
    template = repos[0]
    for i in range(len(repos), REPO_COUNT):
        repo = copy.deepcopy(template)
        repo.update(
            name=f"app-{i:03d}",
            description=f"Application {i}",
            is_private=i % 5 == 0,
            star_count=i % 7,
            pull_count=i * 1000 + 17,
            last_updated=hub_time(_BASE_TIME + timedelta(hours=i * 13 % 250)),
        )
        repos.append(repo)
    return repos


def big_tag_dates() -> dict[str, datetime]:
    """The push date of every tag of ``acme/big``: distinct, in neither name nor list order."""
    return {tag["name"]: _pushed(tag) for tag in make_big_tags()}


def _pushed(tag: Mapping[str, Any]) -> datetime:
    text = tag["tag_last_pushed"] or tag["last_updated"]
    return datetime.fromisoformat(text)


def make_big_tags() -> list[dict[str, Any]]:
    """The :data:`BIG_TAG_COUNT` tags of ``acme/big``, in listing order (a fixed shuffle).

    Tag ``i`` is pushed ``(i * 97) % 230`` steps of 7 hours after 2024-01-01, so dates are
    distinct (97 is prime to 230) and unrelated to names. ``last_updated`` is later than the
    push and in another order, so a client sorting by it instead of ``tag_last_pushed`` gets
    the order wrong; every 23rd tag has no ``tag_last_pushed`` (``last_updated`` is then the
    push date).
    """
    template = load("tags-page.json")["results"][0]
    names = [f"1.{i // 10}.{i % 10}" for i in range(200)]
    names += [f"build-{i:02d}" for i in range(BIG_TAG_COUNT - 200)]
    tags: list[dict[str, Any]] = []
    for i, name in enumerate(names):
        pushed = _BASE_TIME + timedelta(hours=7 * ((i * 97) % BIG_TAG_COUNT), seconds=i)
        updated = pushed + timedelta(minutes=((i * 53) % BIG_TAG_COUNT) * 10 + 1)
        tag = copy.deepcopy(template)
        images = [
            _image(template["images"][0], name, pushed, 30_000_000 + i),
        ]
        if i % 3 == 0:  # multi-platform with an attestation, as buildx pushes them
            images.append(_image(template["images"][1], name, pushed, 29_000_000 + i))
            images.append(_image(template["images"][2], name, pushed, 10_000 + i))
        tag.update(
            id=100_000 + i,
            name=name,
            images=images,
            full_size=30_000_000 + i,
            digest=fake_digest(f"big:{name}"),
            last_updated=hub_time(updated),
            tag_last_pushed=None if i % 23 == 0 else hub_time(pushed),
        )
        if i % 23 == 0:
            tag["last_updated"] = hub_time(pushed)
        tags.append(tag)
    random.Random(4).shuffle(tags)
    return tags


def _image(template: Mapping[str, Any], tag: str, pushed: datetime, size: int) -> dict[str, Any]:
    image = copy.deepcopy(dict(template))
    image.update(
        digest=fake_digest(f"big:{tag}/{template['architecture']}/{template.get('variant')}"),
        size=size,
        last_pushed=hub_time(pushed),
    )
    return image


@dataclass
class HubData:
    """What the server serves; tests may change it (under :attr:`HubServer.lock`)."""

    repositories: dict[str, list[dict[str, Any]]]
    tags: dict[tuple[str, str], list[dict[str, Any]]]
    #: Secrets per identifier: passwords and tokens accepted by /v2/auth/token.
    secrets: dict[str, set[str]]
    #: Which namespaces each account may see private repositories of.
    members: dict[str, set[str]]
    #: Accounts whose password login needs a second factor (only their PATs work).
    two_factor: dict[str, str]

    @classmethod
    def default(cls) -> HubData:
        small_tags = load("tags-page.json")["results"]
        tools = copy.deepcopy(make_repositories()[1])
        tools.update(namespace=HUB_USER, name="tools", is_private=True)
        return cls(
            repositories={NAMESPACE: make_repositories(), HUB_USER: [tools]},
            tags={
                (NAMESPACE, BIG_REPO): make_big_tags(),
                (NAMESPACE, "small"): copy.deepcopy(small_tags),
                (NAMESPACE, "secret"): copy.deepcopy(small_tags[:1]),
            },
            secrets={
                HUB_USER: {HUB_PASSWORD, HUB_PAT},
                HUB_ORG: {HUB_OAT},
                TWOFA_USER: {TWOFA_PAT},
            },
            members={HUB_USER: {HUB_USER, NAMESPACE}, HUB_ORG: {NAMESPACE}, TWOFA_USER: set()},
            two_factor={TWOFA_USER: TWOFA_PASSWORD},
        )
