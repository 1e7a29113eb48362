"""Tests for registry.credentials: Docker config.json parsing and which credentials go where
(docker login's file as the action and the CLI find it: tests/test_credentials_login_config.py)."""

from __future__ import annotations

import base64
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hubaction.errors import InvalidInput
from hubaction.registry.credentials import (
    Credentials,
    CredentialStore,
    basic_token,
    docker_config_secrets,
    normalize_registry_key,
    parse_docker_config,
    shown_key,
)

SECRET = "s3cr3t-P@ss:with:colons"


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode("ascii")


def _config(auths: object) -> str:
    return json.dumps({"auths": auths})


# ---------------------------------------------------------------------------------------------
# normalize_registry_key


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("ghcr.io", "ghcr.io"),
        ("GHCR.IO", "ghcr.io"),
        ("https://ghcr.io", "ghcr.io"),
        ("https://ghcr.io/", "ghcr.io"),
        ("http://ghcr.io", "ghcr.io"),
        ("ghcr.io/myorg", "ghcr.io"),
        ("https://ghcr.io/v2/myorg/app", "ghcr.io"),
        ("  ghcr.io  ", "ghcr.io"),
        ("localhost:5000", "localhost:5000"),
        ("https://127.0.0.1:5000/v2/", "127.0.0.1:5000"),
        ("[::1]:5000", "[::1]:5000"),
        ("https://index.docker.io/v1/", "docker.io"),
        ("index.docker.io", "docker.io"),
        ("registry-1.docker.io", "docker.io"),
        ("https://registry-1.docker.io/v2/", "docker.io"),
        ("registry.docker.io", "docker.io"),
        ("docker.io", "docker.io"),
        ("Docker.IO", "docker.io"),
        # userinfo in a key is not part of the registry
        ("https://user@quay.io", "quay.io"),
        ("user:pa/ss@quay.io:8443/v2/", "quay.io:8443"),  # the last '@' ends the userinfo
        ("https://user:p@ss/w@rd@ghcr.io", "ghcr.io"),
        # other hosts under docker.io are other services, not the registry
        ("hub.docker.com", "hub.docker.com"),
    ],
)
def test_normalize_registry_key(key: str, expected: str) -> None:
    assert normalize_registry_key(key) == expected


# ---------------------------------------------------------------------------------------------
# parse_docker_config: valid texts


@pytest.mark.parametrize(
    ("auths", "expected"),
    [
        ({"ghcr.io": {"auth": _b64("alice:" + SECRET)}}, {"ghcr.io": ("alice", SECRET)}),
        ({"ghcr.io": {"username": "bob", "password": SECRET}}, {"ghcr.io": ("bob", SECRET)}),
        (
            {"https://index.docker.io/v1/": {"auth": _b64("carol:pw")}},
            {"docker.io": ("carol", "pw")},
        ),
        ({"registry-1.docker.io": {"auth": _b64("dave:pw")}}, {"docker.io": ("dave", "pw")}),
        ({"https://ghcr.io": {"auth": _b64("erin:pw")}}, {"ghcr.io": ("erin", "pw")}),
        ({"ghcr.io/some/path": {"auth": _b64("frank:pw")}}, {"ghcr.io": ("frank", "pw")}),
        ({"localhost:5000": {"auth": _b64("u:")}}, {"localhost:5000": ("u", "")}),
        # An identitytoken alone (an OAuth2 refresh token) is docker/cli's `<token>` user;
        # test_identity_tokens_are_kept checks the token itself.
        (
            {"myacr.azurecr.io": {"identitytoken": "eyJhbGciOi..."}},
            {"myacr.azurecr.io": ("<token>", "")},
        ),
        ({"ghcr.io": {}}, {}),
        # `auth` wins over username/password; an empty `auth` falls back to them.
        (
            {"ghcr.io": {"auth": _b64("a:1"), "username": "b", "password": "2"}},
            {"ghcr.io": ("a", "1")},
        ),
        ({"ghcr.io": {"auth": "", "username": "b", "password": "2"}}, {"ghcr.io": ("b", "2")}),
        # A username without a password string is not usable.
        ({"ghcr.io": {"username": "b"}}, {}),
        ({"ghcr.io": {"username": "", "password": "x"}}, {}),
        (
            {
                "ghcr.io": {"auth": _b64("g:1")},
                "quay.io": {"auth": _b64("q:2")},
                "https://index.docker.io/v1/": {"auth": _b64("d:3")},
                "other.example": {"identitytoken": "t"},
            },
            {
                "ghcr.io": ("g", "1"),
                "quay.io": ("q", "2"),
                "docker.io": ("d", "3"),
                "other.example": ("<token>", ""),
            },
        ),
        ({}, {}),
        # Passwords may contain colons and non-ASCII; only the first colon splits.
        ({"ghcr.io": {"auth": _b64("ü:pä:ss")}}, {"ghcr.io": ("ü", "pä:ss")}),
    ],
)
def test_parse_docker_config_valid(
    auths: dict[str, object], expected: dict[str, tuple[str, str]]
) -> None:
    parsed = parse_docker_config(_config(auths))
    assert {k: (c.username, c.password) for k, c in parsed.items()} == expected


@pytest.mark.parametrize("text", ["", "   ", "\n\t"])
def test_parse_docker_config_empty_means_none(text: str) -> None:
    assert parse_docker_config(text) == {}


def test_parse_docker_config_ignores_other_keys() -> None:
    text = json.dumps(
        {
            "auths": {"ghcr.io": {"auth": _b64("u:p")}},
            "credsStore": "desktop",
            "credHelpers": {"gcr.io": "gcloud"},
            "HttpHeaders": {"User-Agent": "x"},
        }
    )
    assert parse_docker_config(text) == {"ghcr.io": Credentials("u", "p")}


# ---------------------------------------------------------------------------------------------
# parse_docker_config: invalid texts never echo the secret


@pytest.mark.parametrize(
    ("text", "why"),
    [
        (f'{{"auths": {{"ghcr.io": {{"auth": "{SECRET}"', "not JSON"),
        (f"auths: {SECRET}", "not JSON"),
        (f'{{"auths": {{"ghcr.io": {{"auth": "{SECRET}"}}}}}} trailing', "not JSON"),
        (json.dumps({"credsStore": SECRET}), "no `auths`"),
        (json.dumps({"auths": [SECRET]}), "no `auths`"),
        (json.dumps({"auths": SECRET}), "no `auths`"),
        (json.dumps({"auths": None}), "no `auths`"),
        (json.dumps([SECRET]), "no `auths`"),
        (json.dumps(SECRET), "no `auths`"),
        (json.dumps(None), "no `auths`"),
        (_config({"ghcr.io": SECRET}), "not an object"),
        # `auth` is not base64 at all (the secret pasted in clear).
        (_config({"ghcr.io": {"auth": SECRET}}), "not base64"),
        # Base64 with a bad padding, or with whitespace inside.
        (_config({"ghcr.io": {"auth": _b64("u:" + SECRET)[:-1]}}), "not base64"),
        (_config({"ghcr.io": {"auth": " " + _b64("u:" + SECRET)}}), "not base64"),
        # Non-ASCII text is not base64 either (and must not crash with a bare ValueError).
        (_config({"ghcr.io": {"auth": SECRET + "é"}}), "not base64"),
        # Decodes, but not to UTF-8 text.
        (
            _config(
                {"ghcr.io": {"auth": base64.b64encode(b"\xff\xfe:" + SECRET.encode()).decode()}}
            ),
            "not base64",
        ),
        # Decodes, but has no colon or no user.
        (_config({"ghcr.io": {"auth": _b64(SECRET.replace(":", ""))}}), "user:password"),
        (_config({"ghcr.io": {"auth": _b64(":" + SECRET)}}), "user:password"),
    ],
)
def test_parse_docker_config_invalid_never_shows_secret(text: str, why: str) -> None:
    with pytest.raises(InvalidInput) as info:
        parse_docker_config(text)
    message = str(info.value)
    assert why in message
    assert "docker-config" in message
    for secret in (SECRET, SECRET.replace(":", ""), _b64("u:" + SECRET)[:-1]):
        assert secret not in message
    # No chained exception (a JSON or base64 error) that would print the text in a traceback.
    assert info.value.__cause__ is None
    assert info.value.__context__ is None or info.value.__suppress_context__


def test_absurdly_nested_json_is_invalid_input() -> None:
    with pytest.raises(InvalidInput, match="not JSON"):
        parse_docker_config("[" * 100_000)


def test_invalid_json_names_the_line_not_the_text() -> None:
    with pytest.raises(InvalidInput, match=r"not JSON \(line 3\)"):
        parse_docker_config('{\n  "auths": {\n    "ghcr.io": oops\n  }\n}')


def test_invalid_auth_names_the_registry_key() -> None:
    with pytest.raises(InvalidInput, match=r"'quay\.io'"):
        parse_docker_config(_config({"ghcr.io": {"auth": _b64("a:b")}, "quay.io": {"auth": "!"}}))


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200))
def test_property_arbitrary_text_raises_only_invalid_input_without_echo(text: str) -> None:
    try:
        parse_docker_config(text)
    except InvalidInput as error:
        # Long enough not to be a word of the message by chance.
        if len(text.strip()) > 12:
            assert text.strip() not in str(error)


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=60))
def test_property_arbitrary_auth_values_raise_only_invalid_input(auth: str) -> None:
    try:
        found = parse_docker_config(_config({"ghcr.io": {"auth": auth}}))
    except InvalidInput as error:
        if len(auth) > 12:
            assert auth not in str(error)
        return
    assert set(found) <= {"ghcr.io"}


@settings(max_examples=200, deadline=None)
@given(
    st.text(min_size=1, max_size=20).filter(lambda u: ":" not in u),
    st.text(max_size=40),
)
def test_property_auth_round_trip(user: str, password: str) -> None:
    found = parse_docker_config(_config({"ghcr.io": {"auth": _b64(f"{user}:{password}")}}))
    assert found == {"ghcr.io": Credentials(user, password)}


# ---------------------------------------------------------------------------------------------
# Credentials and CredentialStore


def test_credentials_repr_hides_password() -> None:
    creds = Credentials("alice", SECRET)
    for text in (repr(creds), str(creds), f"{creds}", repr([creds]), repr({"k": creds})):
        assert SECRET not in text
        assert "alice" in text


def test_credentials_are_frozen_and_compare_by_value() -> None:
    assert Credentials("a", "b") == Credentials("a", "b")
    assert Credentials("a", "b") != Credentials("a", "c")
    with pytest.raises(AttributeError):
        Credentials("a", "b").password = "c"  # type: ignore[misc]


EXPLICIT = Credentials("explicit", "pw-explicit")
GHCR = Credentials("ghcr-user", "pw-ghcr")
HUB = Credentials("hub-user", "pw-hub")
CONFIG = {"ghcr.io": GHCR, "docker.io": HUB}


@pytest.mark.parametrize(
    ("explicit", "primary", "config", "registry", "expected"),
    [
        # The explicit inputs belong to the primary registry only.
        (EXPLICIT, "ghcr.io", CONFIG, "ghcr.io", EXPLICIT),
        (EXPLICIT, "ghcr.io", CONFIG, "https://ghcr.io/", EXPLICIT),
        (EXPLICIT, "ghcr.io", CONFIG, "docker.io", HUB),
        (EXPLICIT, "ghcr.io", CONFIG, "quay.io", None),
        (EXPLICIT, "docker.io", CONFIG, "registry-1.docker.io", EXPLICIT),
        (EXPLICIT, "index.docker.io", CONFIG, "docker.io", EXPLICIT),
        (EXPLICIT, "docker.io", CONFIG, "ghcr.io", GHCR),
        # No explicit credentials: the config covers the primary registry too.
        (None, "ghcr.io", CONFIG, "ghcr.io", GHCR),
        (None, "ghcr.io", CONFIG, "registry-1.docker.io", HUB),
        (None, "ghcr.io", CONFIG, "quay.io", None),
        (None, None, CONFIG, "GHCR.IO", GHCR),
        (None, None, None, "ghcr.io", None),
        # Explicit without a primary registry: used everywhere.
        (EXPLICIT, None, CONFIG, "ghcr.io", EXPLICIT),
        (EXPLICIT, None, None, "quay.io", EXPLICIT),
    ],
)
def test_credential_store_get(
    explicit: Credentials | None,
    primary: str | None,
    config: dict[str, Credentials] | None,
    registry: str,
    expected: Credentials | None,
) -> None:
    store = CredentialStore(explicit=explicit, primary_registry=primary, config=config)
    assert store.get(registry) == expected


def test_credential_store_with_parsed_config() -> None:
    config = parse_docker_config(_config({"https://index.docker.io/v1/": {"auth": _b64("hub:pw")}}))
    store = CredentialStore(primary_registry="ghcr.io", config=config)
    assert store.get("registry-1.docker.io") == Credentials("hub", "pw")
    assert store.get("ghcr.io") is None


def test_store_does_not_alias_the_config_mapping() -> None:
    config = {"ghcr.io": GHCR}
    store = CredentialStore(config=config)
    config["quay.io"] = HUB
    assert store.get("quay.io") is None


# ---------------------------------------------------------------------------------------------
# identitytoken (ACR after `az acr login`), robot and service account names

ACR_NULL_USER = "00000000-0000-0000-0000-000000000000"


@pytest.mark.parametrize(
    ("entry", "user", "password"),
    [
        # What `az acr login` leaves: docker/cli keeps the user in `auth` with an empty
        # password, and the refresh token beside it.
        ({"auth": _b64(ACR_NULL_USER + ":"), "identitytoken": "rt-" + SECRET}, ACR_NULL_USER, ""),
        ({"identitytoken": "rt-" + SECRET}, "<token>", ""),
        ({"username": "u", "password": "p", "identitytoken": "rt-" + SECRET}, "u", "p"),
    ],
)
def test_identity_tokens_are_kept(entry: dict[str, str], user: str, password: str) -> None:
    [(key, creds)] = parse_docker_config(_config({"myacr.azurecr.io": entry})).items()
    assert (key, creds.username, creds.password) == ("myacr.azurecr.io", user, password)
    assert creds.identity_token == "rt-" + SECRET
    assert SECRET not in repr(creds) and "identity_token=***" in repr(creds)


def test_entries_without_identity_token_have_none() -> None:
    [creds] = parse_docker_config(_config({"ghcr.io": {"auth": _b64("a:b")}})).values()
    assert creds.identity_token is None and "identity_token" not in repr(creds)


@pytest.mark.parametrize(
    "user",
    [
        "robot$ci",  # Harbor 1.x robot account
        "robot$project+ci",  # Harbor 2.x
        "myorg+deployer",  # Quay robot
        "_json_key",  # GCR / Artifact Registry service account key
        "oauth2accesstoken",
        "AWS",
        "gitlab+deploy-token-42",
    ],
)
def test_robot_and_service_names_pass_through(user: str) -> None:
    """``$`` and ``+`` are data: not expanded, not form-decoded into a space."""
    [creds] = parse_docker_config(_config({"r.example": {"auth": _b64(user + ":pw")}})).values()
    assert creds.username == user
    [creds] = parse_docker_config(
        _config({"r.example": {"username": user, "password": "pw"}})
    ).values()
    assert basic_token(creds) == _b64(user + ":pw")


# A config.json key with user:password@ (issue 13 §3): never printed, and masked

KEY_PASSWORD = "k3y-Pa55/w@rd-in-userinfo"
USERINFO_KEYS = [
    f"https://user:{KEY_PASSWORD}@ghcr.io",
    f"user:{KEY_PASSWORD}@ghcr.io",
    f"https://user:{KEY_PASSWORD}@ghcr.io/v2/",
]
BROKEN_ENTRIES: list[object] = ["not an object", {"auth": "!"}, {"auth": _b64("nocolon")}]


@pytest.mark.parametrize("key", USERINFO_KEYS)
@pytest.mark.parametrize("entry", BROKEN_ENTRIES)
def test_a_key_with_userinfo_is_shown_without_it(key: str, entry: object) -> None:
    with pytest.raises(InvalidInput) as info:
        parse_docker_config(json.dumps({"auths": {key: entry}}))
    message = str(info.value)
    assert "***@ghcr.io" in message
    assert not any(KEY_PASSWORD[i : i + 8] in message for i in range(len(KEY_PASSWORD) - 7))
    assert "user:k3y" not in message


@pytest.mark.parametrize(
    ("key", "shown"),
    [
        ("ghcr.io", "'ghcr.io'"),
        ("https://ghcr.io/v2/", "'https://ghcr.io/v2/'"),
        ("https://u:p@ghcr.io/v2/", "'https://***@ghcr.io/v2/'"),
        ("u@ghcr.io", "'***@ghcr.io'"),
    ],
)
def test_shown_key(key: str, shown: str) -> None:
    assert shown_key(key) == shown


@pytest.mark.parametrize("key", USERINFO_KEYS)
def test_the_password_of_a_key_with_userinfo_is_masked(key: str) -> None:
    found = docker_config_secrets(json.dumps({"auths": {key: {"auth": _b64("u:entry-pass")}}}))
    assert KEY_PASSWORD in found
    assert f"user:{KEY_PASSWORD}" in found
    assert "entry-pass" in found
