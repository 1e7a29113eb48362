"""Credentials: from the ``username``/``password`` inputs or a Docker ``config.json`` text.

Docker's ``config.json`` keeps credentials under ``auths``, keyed by registry. Keys are written
in many ways: ``ghcr.io``, ``https://ghcr.io``, ``https://index.docker.io/v1/`` (what ``docker
login`` writes for Docker Hub), ``registry-1.docker.io``. Each entry holds either ``auth``
(base64 of ``user:password``) or ``username`` and ``password``, and may hold an
``identitytoken``: an OAuth2 refresh token (what ``docker login`` keeps for ACR, after ``az acr
login``), which the auth flow exchanges for an access token.
:func:`docker_config_path` is where the Docker CLI keeps that file, for the CLI and the action.

Pure: no I/O.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterable, Mapping
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from hubaction.errors import InvalidInput, Kind
from hubaction.oci.reference import DOCKER_HUB
from hubaction.oci.wire import NotJSON, load_json, remember_secret

_HUB_ALIASES = frozenset(
    {"docker.io", "index.docker.io", "registry-1.docker.io", "registry.docker.io"}
)


# What docker/cli writes as the user of an entry that has only an identity token.
IDENTITY_TOKEN_USER = "<token>"  # noqa: S105 a user name, not a secret


@dataclass(frozen=True)
class Credentials:
    """A user name and a password or access token, and an OAuth2 refresh token when a Docker
    config has one (``identity_token``). ``repr`` never shows the secrets."""

    username: str
    password: str = field(repr=False)
    identity_token: str | None = field(default=None, repr=False)

    def __repr__(self) -> str:
        token = ", identity_token=***" if self.identity_token else ""
        return f"Credentials(username={self.username!r}, password=***{token})"


def normalize_registry_key(key: str) -> str:
    """The registry a ``config.json`` key or a registry name means: lowercase ``host[:port]``."""
    text = _userinfo(key.strip())[1]
    if "://" not in text:
        text = "//" + text
    host = urlsplit(text).netloc.lower().rsplit("@", 1)[-1]
    return DOCKER_HUB if host in _HUB_ALIASES else host


def _userinfo(key: str) -> tuple[str, str]:
    """``key`` split into its userinfo (``user:password``, may be empty) and the rest; the
    last ``@`` ends the userinfo (a password may hold ``/`` or ``@``, a registry key never)."""
    scheme, sep, rest = key.partition("://")
    if not sep:
        scheme, rest = "", key
    userinfo, at, host = rest.rpartition("@")
    if not at:
        return "", key
    return userinfo, f"{scheme}{sep}{host}"


def shown_key(key: str) -> str:
    """A config.json key for a message: quoted, its userinfo (``user:password@``, which
    ``docker login`` never writes but a hand-made config may) replaced by ``***@``."""
    userinfo, rest = _userinfo(key)
    if not userinfo:
        return repr(key)
    scheme, sep, host = rest.partition("://")
    return repr(f"{scheme}{sep}***@{host}" if sep else f"***@{rest}")


def docker_config_path(environ: Mapping[str, str]) -> Path | None:
    """Where the Docker CLI reads its config.json: ``$DOCKER_CONFIG/config.json``, else
    ``$HOME/.docker/config.json`` (an empty variable counts as unset, as in docker/cli's
    ``config.Dir``); ``None`` when neither is set."""
    if base := environ.get("DOCKER_CONFIG"):
        return Path(base) / "config.json"
    home = environ.get("HOME")
    return Path(home) / ".docker" / "config.json" if home else None


def parse_docker_config(
    text: str, *, source: str = "Input `docker-config`"
) -> dict[str, Credentials]:
    """Parse a Docker ``config.json`` text into credentials per registry.

    Raises :class:`InvalidInput` naming the ``docker-config`` input when the text is not a
    config.json; the message never includes the text, which is a secret.
    """
    if not text.strip():
        return {}
    return _auths_credentials(_load_config(text, source), source)


def parse_login_config(
    text: str, *, source: str, registries: Iterable[str]
) -> dict[str, Credentials]:
    """The credentials of a config.json that ``docker login`` wrote, for a run that needs
    ``registries``.

    Unlike the ``docker-config`` input, a file without ``auths`` holds no credentials, as
    Docker reads it (``gcloud auth configure-docker`` writes only ``credHelpers``). A
    credential helper that Docker would ask for one of ``registries`` (``credHelpers`` names
    the registries it serves, ``credsStore`` serves every other one) raises
    :class:`InvalidInput` of kind ``CREDENTIAL_HELPER``: a helper is a program on the host,
    which a container action cannot run.
    """
    if not text.strip():
        return {}
    doc = _load_config(text, source)
    if isinstance(doc, dict):
        _refuse_credential_helpers(doc, source, registries)
        if "auths" not in doc:
            return {}
    return _auths_credentials(doc, source)


def _refuse_credential_helpers(
    doc: Mapping[str, Any], source: str, registries: Iterable[str]
) -> None:
    for registry in registries:
        key = normalize_registry_key(registry)
        found = _helper_for(doc, key)
        if found is None:
            continue
        helper, where = found
        raise InvalidInput(
            f"{source}: {where}. Credential helpers (here docker-credential-{helper}) run on "
            "the runner, not inside the action's container, so hubaction cannot read the "
            "credentials they keep",
            kind=Kind.CREDENTIAL_HELPER,
            registry=key,
        )


def _helper_for(doc: Mapping[str, Any], key: str) -> tuple[str, str] | None:
    """The credential helper Docker would ask for ``key``'s credentials, and where the config
    names it. As docker/cli's ``getConfiguredCredentialStore``: a ``credHelpers`` entry for the
    registry, else ``credsStore``; an empty name (even in ``credHelpers``) means none."""
    helpers = doc.get("credHelpers")
    if isinstance(helpers, dict):
        for name, helper in helpers.items():
            if normalize_registry_key(str(name)) == key:
                if isinstance(helper, str) and helper:
                    return helper, f"`credHelpers` names `{helper}` for {key}"
                return None
    store = doc.get("credsStore")
    if isinstance(store, str) and store:
        return store, f"`credsStore` names `{store}` for every registry, {key} too"
    return None


_EXAMPLE = 'pass the contents of a Docker config.json, e.g. {"auths": {"ghcr.io": {"auth": "..."}}}'


def _load_config(text: str, source: str) -> object:
    try:
        return load_json(text)
    except NotJSON as exc:
        # The line of a json.JSONDecodeError (NotJSON keeps it as its context) helps find the
        # mistake without showing the text, which is a secret.
        line = getattr(exc.__context__, "lineno", "?")
        raise InvalidInput(f"{source} is not JSON (line {line}); {_EXAMPLE}") from None


def _auths_credentials(doc: object, source: str) -> dict[str, Credentials]:
    auths = doc.get("auths") if isinstance(doc, dict) else None
    if not isinstance(auths, dict):
        raise InvalidInput(f"{source} has no `auths` object; {_EXAMPLE}")
    found: dict[str, Credentials] = {}
    for key, entry in auths.items():
        if not isinstance(entry, dict):
            raise InvalidInput(f"{source}: the entry for {shown_key(str(key))} is not an object")
        creds = _entry_credentials(str(key), entry, source)
        if creds is not None:
            found[normalize_registry_key(str(key))] = creds
    return found


def _entry_credentials(key: str, entry: Mapping[str, object], source: str) -> Credentials | None:
    creds = _entry_login(key, entry, source)
    token = entry.get("identitytoken")
    if not isinstance(token, str) or not token:
        return creds
    # docker/cli keeps the refresh token beside `auth` (the user, and an empty password) or
    # alone; go-containerregistry's authn.AuthConfig takes it either way.
    user = creds.username if creds is not None else IDENTITY_TOKEN_USER
    return Credentials(user, creds.password if creds is not None else "", token)


def _entry_login(key: str, entry: Mapping[str, object], source: str) -> Credentials | None:
    auth = entry.get("auth")
    if isinstance(auth, str) and auth:
        try:
            decoded = base64.b64decode(auth, validate=True).decode("utf-8")
        except ValueError:
            # binascii.Error and UnicodeDecodeError are ValueErrors, and so is what b64decode
            # raises for non-ASCII text, which binascii.Error alone would let through.
            raise InvalidInput(
                f"{source}: `auth` for {shown_key(key)} is not base64 of `user:password`"
            ) from None
        user, sep, password = decoded.partition(":")
        if not sep or not user:
            raise InvalidInput(
                f"{source}: `auth` for {shown_key(key)} does not decode to `user:password`"
            )
        return Credentials(user, password)
    name, secret = entry.get("username"), entry.get("password")
    if isinstance(name, str) and name and isinstance(secret, str):
        return Credentials(name, secret)
    return None


# Values in a config.json `auths` entry that are secrets (identity and registry tokens come
# from credential helpers and OAuth flows; hubaction cannot use them but must not print them).
_SECRET_KEYS = ("auth", "password", "identitytoken", "registrytoken")
# For text that is not JSON: anything long enough to be a password, token or base64 blob.
_TOKEN_LIKE = re.compile(r"[A-Za-z0-9+/=_.~-]{6,}")


def docker_config_secrets(text: str, *, auths_required: bool = True) -> list[str]:
    """Every secret in a config.json text, for masking; never raises.

    The secrets themselves, not the text's lines: masking a pretty-printed config line by line
    would register `{` and `"auths": {` as secrets and blank them out of every later log line.
    Text that is not a config.json is masked by its token-like words; so is a JSON object
    without ``auths``, unless ``auths_required`` is false (a file ``docker login`` wrote may
    have none, and then no secret: masking its words would blank registry names out of logs).
    """
    try:
        doc = load_json(text)
    except NotJSON:
        return _TOKEN_LIKE.findall(text)
    if not auths_required and isinstance(doc, dict) and "auths" not in doc:
        return []
    auths = doc.get("auths") if isinstance(doc, dict) else None
    if not isinstance(auths, dict):
        return _TOKEN_LIKE.findall(text)
    found: list[str] = []
    for key, entry in auths.items():
        userinfo = _userinfo(str(key))[0]
        if userinfo:  # a key with user:password@: the password, and the whole userinfo
            found += [userinfo.partition(":")[2], userinfo]
        if isinstance(entry, dict):
            found.extend(_entry_secrets(entry))
    return [secret for secret in found if secret]


def _entry_secrets(entry: Mapping[str, object]) -> list[str]:
    """The secrets of one ``auths`` entry: its secret values, the password inside ``auth``,
    and the Basic token that ``username``/``password`` make."""
    found = [v for key in _SECRET_KEYS if isinstance(v := entry.get(key), str) and v]
    auth = entry.get("auth")
    if isinstance(auth, str):
        with suppress(ValueError):  # binascii.Error and UnicodeDecodeError included
            found.append(base64.b64decode(auth, validate=True).decode("utf-8").partition(":")[2])
    user, password = entry.get("username"), entry.get("password")
    if isinstance(user, str) and isinstance(password, str) and password:
        found.append(basic_token(Credentials(user, password)))
    return [secret for secret in found if secret]


def basic_token(creds: Credentials) -> str:
    """base64 of ``user:password``: what a Basic Authorization header carries.

    The password and the token become known secrets (:func:`~hubaction.oci.wire.scrub`):
    whoever is sent them may echo them, and every message quoting its answer hides them.
    """
    token = base64.b64encode(f"{creds.username}:{creds.password}".encode()).decode("ascii")
    remember_secret(creds.password)
    remember_secret(token)
    return token


class CredentialStore:
    """Which credentials go to which registry.

    The ``username``/``password`` inputs belong to the registry of the image being looked up
    (``primary_registry``); ``docker-config`` entries cover the others, and the primary one too
    when no username is given.
    """

    def __init__(
        self,
        *,
        explicit: Credentials | None = None,
        primary_registry: str | None = None,
        config: Mapping[str, Credentials] | None = None,
    ) -> None:
        self._explicit = explicit
        self._primary = normalize_registry_key(primary_registry) if primary_registry else None
        self._config = dict(config or {})
        # Known secrets from the start (oci.wire.scrub), before any is sent: the CLI masks
        # nothing itself, and its first message may quote a registry's answer.
        for creds in [explicit, *self._config.values()]:
            if creds is not None:
                basic_token(creds)  # remembers the password and the token
                remember_secret(creds.identity_token or "")  # ACR's refresh token

    def get(self, registry: str) -> Credentials | None:
        key = normalize_registry_key(registry)
        if self._explicit is not None and (self._primary is None or key == self._primary):
            return self._explicit
        return self._config.get(key)
