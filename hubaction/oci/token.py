"""The Docker token spec without I/O: the ``pull`` scope grammar and the token answer's parse.

Only ``pull`` is ever asked for: a lookup needs no more, and GitLab answers a ``*`` scope with
a token that silently lacks it (n0madic/gitlab-registry-images-cleaner#13). The protocol that
sends token requests is :mod:`hubaction.registry.auth`.
"""

from __future__ import annotations

from hubaction.errors import RegistryError, Service
from hubaction.oci.wire import (
    MAX_TOKEN_LENGTH,
    MIN_TOKEN_LENGTH,
    NotJSON,
    load_object,
    plausible_token,
)

# Docker token spec: "expires_in ... If omitted, the token should be assumed to last 60 seconds".
DEFAULT_TOKEN_LIFETIME = 60.0
# A token of at most MAX_TOKEN_LENGTH characters, with room for a refresh_token or id_token
# beside it (OAuth2 answers); more is not a token answer.
MAX_TOKEN_ANSWER = 4 * MAX_TOKEN_LENGTH


def pull_scope(repository: str) -> str:
    """The Docker token scope for pulling ``repository``."""
    return f"repository:{repository}:pull"


def pull_only(scope: str) -> str | None:
    """A scope a registry's challenge names, as a lookup asks for it: the ``pull`` scope of
    its repository when it includes pulling (``pull``, ``*``, ``push,pull``), else ``None``
    (``push`` alone, ``registry:catalog:*``: nothing a lookup needs or should ask for)."""
    kind, _, rest = scope.partition(":")
    name, _, actions = rest.rpartition(":")
    if kind != "repository" or not name:
        return None
    return pull_scope(name) if {"pull", "*"} & set(actions.split(",")) else None


def parse_token_answer(body: bytes, what: str, *, registry: str | None = None) -> tuple[str, float]:
    """The token and its lifetime in seconds from a token service's JSON answer."""
    try:
        doc = load_object(body)
    except NotJSON as exc:
        raise _answer_error(f"{what}: the token service's answer is {exc}", registry) from None
    # Docker token spec: `token`; OAuth2-style services answer `access_token`; accept either.
    token = doc.get("token") or doc.get("access_token")
    if not isinstance(token, str) or not token:
        raise _answer_error(f"{what}: the token service's answer has no `token`", registry)
    if not plausible_token(token):
        # Neither sent nor masked, and never quoted: it may be a real secret, badly wrapped.
        raise _answer_error(
            f"{what}: the token service's answer has no plausible token ({len(token)} "
            f"characters; a bearer token is {MIN_TOKEN_LENGTH} to {MAX_TOKEN_LENGTH} "
            "characters of A-Z a-z 0-9 - . _ ~ + / and trailing =, RFC 6750 section 2.1)",
            registry,
        )
    lifetime = doc.get("expires_in")
    if isinstance(lifetime, bool) or not isinstance(lifetime, int | float) or lifetime <= 0:
        lifetime = DEFAULT_TOKEN_LIFETIME
    return token, float(lifetime)


def _answer_error(message: str, registry: str | None) -> RegistryError:
    return RegistryError(message, service=Service.REALM, registry=registry)
