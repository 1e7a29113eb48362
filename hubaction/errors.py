"""The one exception hierarchy of hubaction, its facts and the advice shown with them.

Classes are chosen by what the caller does next: :class:`InvalidInput` (fix the input; exit
code 2 on the CLI), :class:`Unauthorized` (fix or supply credentials), :class:`NotFound`
(maybe not a failure at all: ``fail-on-missing: false``), :class:`RateLimited` (wait, or log
in), :class:`RegistryError` (the registry answered something unusable; retry or report it).

An error carries what happened as fields (``kind``, HTTP ``status``, ``service``,
``registry``, ``repository``, the body's ``details`` and their OCI ``codes``); ``str()`` is
the facts (what failed, why). What to do lives in :data:`ADVICE`, added once at the edge by
:func:`describe`: one ``::error::`` line in the action, one ``error:`` line on the CLI.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, ClassVar, Self


class Kind(StrEnum):
    """What happened, finer than the class; the key of :data:`ADVICE`."""

    # NotFound: what does not exist.
    REPOSITORY = "repository"
    TAG = "tag"
    MANIFEST = "manifest"
    BLOB = "blob"
    PLATFORM = "platform"
    NAMESPACE = "namespace"
    # Unauthorized.
    NEEDS_CREDENTIALS = "needs-credentials"  # anonymous access refused
    CREDENTIALS_REFUSED = "credentials-refused"  # the credentials or token sent were refused
    ACCESS_DENIED = "access-denied"  # 403: valid credentials without the right to read
    SECOND_FACTOR = "second-factor"  # Docker Hub: 2FA or SSO, so a password cannot log in
    CREDENTIALS_EXPIRED = "credentials-expired"  # the token sent has expired (ECR's, 12 h)
    # RateLimited.
    PULL_RATE_LIMIT = "pull-rate-limit"  # a registry's 429 (Docker Hub's pull quota)
    API_RATE_LIMIT = "api-rate-limit"  # Docker Hub API's per-minute limit
    # RegistryError.
    SERVER_FAILED = "server-failed"  # 5xx
    REQUEST_REFUSED = "request-refused"  # any other status
    TLS_FAILED = "tls-failed"
    TIMEOUT = "timeout"
    DEADLINE = "deadline"  # the run's `timeout` passed (issue 13 §1)
    UNREACHABLE = "unreachable"
    # WaitTimedOut.
    WAITED = "waited"  # `wait-for` did not hold within `wait-timeout`
    # InvalidInput.
    CREDENTIAL_HELPER = "credential-helper"  # a config.json's credsStore/credHelpers
    # Anything whose message already says all there is (input errors, malformed answers).
    OTHER = "other"


class Service(StrEnum):
    """Who answered: the advice differs (Docker Hub's API knows 2FA; a token realm has none)."""

    REGISTRY = "registry"  # a registry's /v2/ API
    REALM = "token service"  # a registry's token realm (Docker token spec)
    HUB_API = "Docker Hub API"  # hub.docker.com listings
    HUB_LOGIN = "Docker Hub login"  # hub.docker.com /v2/auth/token, /v2/users/login


@dataclass(frozen=True)
class ErrorDetail:
    """One error an answer's body reported, made safe to show: one line, bounded length.

    The OCI error body ``{"errors": [{"code", "message"}]}`` (distribution spec, "Error
    Codes"), or Docker Hub's ``{"detail": ...}`` (``code`` empty).
    """

    code: str
    message: str

    def __str__(self) -> str:
        if self.code and self.message:
            return f"{self.code}: {self.message}"
        return self.code or self.message


class HubActionError(Exception):
    """Base of every expected failure. ``exit_code`` is what the command line exits with."""

    exit_code: ClassVar[int] = 1
    title: ClassVar[str] = "hubaction failed"
    default_kind: ClassVar[Kind] = Kind.OTHER

    def __init__(
        self,
        message: str,
        *,
        kind: Kind | None = None,
        status: int | None = None,
        service: Service | None = None,
        registry: str | None = None,
        repository: str | None = None,
        details: tuple[ErrorDetail, ...] = (),
    ) -> None:
        super().__init__(message)
        self.message = message
        self.kind = kind if kind is not None else self.default_kind
        self.status = status
        self.service = service
        self.registry = registry
        self.repository = repository
        self.details = details

    @property
    def codes(self) -> tuple[str, ...]:
        """The OCI error codes of the answer (``NAME_UNKNOWN``...), upper-cased."""
        return tuple(d.code.upper() for d in self.details if d.code)

    def _fields(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "status": self.status,
            "service": self.service,
            "registry": self.registry,
            "repository": self.repository,
            "details": self.details,
        }

    def within(self, context: str) -> Self:
        """The same failure (class, fields) told inside ``context``: raise it ``from self``."""
        return type(self)(f"{context}: {self.message}", **self._fields())


class InvalidInput(HubActionError, ValueError):
    """An input (action input, CLI argument, or text parsed from one) is malformed."""

    exit_code = 2
    title = "Invalid input"


class InvalidReference(InvalidInput):
    """An image reference does not follow the distribution reference grammar."""

    title = "Invalid image reference"


class InvalidDigest(InvalidReference):
    """A digest is not ``algorithm:hex`` with the right length for its algorithm."""

    title = "Invalid digest"


class InvalidPlatform(InvalidInput):
    """A platform is not ``os/arch[/variant]``."""

    title = "Invalid platform"


class Unauthorized(HubActionError):
    """The registry or Docker Hub refused the credentials, or needs some."""

    title = "Unauthorized"
    default_kind = Kind.CREDENTIALS_REFUSED


class NotFound(HubActionError):
    """The repository, tag, manifest, blob, platform or namespace (``kind``) does not exist."""

    title = "Not found"
    default_kind = Kind.MANIFEST


class PlatformNotFound(NotFound):
    """The image has no manifest for the requested platform."""

    title = "Platform not found"
    default_kind = Kind.PLATFORM


class RateLimited(HubActionError):
    """The registry or Docker Hub answered 429 after the retries were spent."""

    title = "Rate limited"
    default_kind = Kind.PULL_RATE_LIMIT

    def __init__(self, message: str, *, retry_after: float | None = None, **fields: Any) -> None:
        super().__init__(message, **fields)
        self.retry_after = retry_after  # seconds, when the answer said

    def _fields(self) -> dict[str, Any]:
        return {**super()._fields(), "retry_after": self.retry_after}


class RegistryError(HubActionError):
    """The registry answered something hubaction cannot use, or did not answer in time."""

    title = "Registry error"


class CorruptBody(RegistryError):
    """A body arrived truncated, malformed or not matching its digest: worth one retry."""

    title = "Corrupt answer from registry"


class DigestMismatch(CorruptBody):
    """A body does not hash to the digest it was asked for or announced with."""

    title = "Digest mismatch"


class DeadlineExceeded(RegistryError):
    """The run's deadline (the ``timeout`` input) passed: ``activity`` (e.g. "manifest of x")
    at ``host`` was stopped after ``elapsed`` of the ``limit`` seconds."""

    title = "Run deadline exceeded"
    default_kind = Kind.DEADLINE

    def __init__(
        self,
        message: str,
        *,
        host: str = "",
        activity: str = "",
        elapsed: float = 0.0,
        limit: float = 0.0,
        **fields: Any,
    ) -> None:
        super().__init__(message, **fields)
        self.host = host
        self.activity = activity
        self.elapsed = elapsed
        self.limit = limit

    def _fields(self) -> dict[str, Any]:
        extra = {"host": self.host, "activity": self.activity, "elapsed": self.elapsed}
        return {**super()._fields(), **extra, "limit": self.limit}


class UnsupportedManifest(RegistryError):
    """A manifest of a kind hubaction does not read (Docker schema 1, unknown media types)."""

    title = "Unsupported manifest"


class InvalidHeader(RegistryError):
    """A header from the registry (``WWW-Authenticate``, ``Link``) cannot be parsed."""

    title = "Invalid header from registry"


class WaitTimedOut(HubActionError):
    """``wait-for`` did not hold within ``wait-timeout``."""

    title = "Waited too long"
    default_kind = Kind.WAITED


# What to do, by (kind, service); (kind, None) serves every service without its own entry.
ADVICE: dict[tuple[Kind, Service | None], str] = {
    (Kind.REPOSITORY, None): (
        "Check the repository name and registry (and the credentials: some registries hide "
        "private repositories)"
    ),
    (Kind.TAG, None): "Check the tag; `hubaction tags` lists the tags that exist",
    (Kind.MANIFEST, None): "Check the tag or digest; `tags` lists what exists",
    (Kind.REPOSITORY, Service.HUB_API): (
        "Check its name; for a private repository set `username` and `password` (a personal "
        "access token) that may read it"
    ),
    (Kind.NAMESPACE, Service.HUB_API): (
        "Check its spelling; it is the part before the `/` in `namespace/repository`"
    ),
    (Kind.CREDENTIALS_REFUSED, None): (
        "Check the username and password or token, and that they may pull this repository; "
        "private repositories need credentials"
    ),
    (Kind.CREDENTIALS_REFUSED, Service.REALM): "Check the username and password or token",
    (Kind.NEEDS_CREDENTIALS, None): (
        "Check the username and password or token, or supply credentials: the repository "
        "may be private"
    ),
    (Kind.CREDENTIALS_REFUSED, Service.HUB_API): (
        "Check that the personal access token's scopes allow reading repositories"
    ),
    (Kind.NEEDS_CREDENTIALS, Service.HUB_API): (
        "Set `username` and `password` (a personal access token)"
    ),
    (Kind.CREDENTIALS_REFUSED, Service.HUB_LOGIN): (
        "Check `username` and `password`: the account's password or a personal access token "
        "(dckr_pat_...); for an organization access token, `username` is the organization"
    ),
    (Kind.CREDENTIALS_EXPIRED, None): (
        "Get a new token and pass it: tokens from login actions expire (ECR's after 12 hours)"
    ),
    (Kind.SECOND_FACTOR, None): (
        "Create a personal access token (Docker Hub > Account settings > Personal access "
        "tokens) and pass it as `password`"
    ),
    (Kind.ACCESS_DENIED, None): (
        "The credentials are valid but may not read this repository; check the token's scopes "
        "or the repository's permissions"
    ),
    (Kind.ACCESS_DENIED, Service.HUB_API): (
        "The credentials are valid but may not read this; check the token's scopes and the "
        "account's membership of the namespace"
    ),
    (Kind.PULL_RATE_LIMIT, None): (
        "Log in for a higher quota, or use `digest-only: true`, which spends no Docker Hub "
        "pull quota"
    ),
    (Kind.API_RATE_LIMIT, None): "Retry later, or log in for a higher limit",
    (Kind.SERVER_FAILED, None): "The registry is failing; retry later",
    (Kind.SERVER_FAILED, Service.HUB_API): "Docker Hub is failing; retry later",
    (Kind.REQUEST_REFUSED, None): "The request was refused; check the reference and inputs",
    (Kind.TLS_FAILED, None): (
        "For a private CA set REQUESTS_CA_BUNDLE or SSL_CERT_FILE on the step; for a registry "
        "without TLS set `insecure: true`"
    ),
    (Kind.TIMEOUT, None): "It is slow or unreachable; retry later",
    (Kind.DEADLINE, None): (
        "If the registry is only slow, raise `timeout` (the CLI's `--timeout`); else check "
        "that the registry is up and answering"
    ),
    (Kind.UNREACHABLE, None): "Check the registry address and that it is up",
    (Kind.WAITED, None): (
        "Check that the workflow that pushes it ran and pushed this tag, or raise `wait-timeout`"
    ),
    (Kind.UNREACHABLE, Service.HUB_API): "Check `hub-url` and that it is up",
    (Kind.UNREACHABLE, Service.REALM): "Check the network and retry",
    (Kind.CREDENTIAL_HELPER, None): (
        "Pass the credentials as inputs instead: "
        "`docker-config: ${{ secrets.DOCKER_CONFIG_JSON }}` (a config.json whose `auths` hold "
        "them), or `username` and `password`"
    ),
}


@dataclass(frozen=True)
class RegistryAdvice:
    """What to do about ``kinds`` on the registries whose host (lowercase, without a port)
    matches ``host``, a regular expression matched whole: said instead of :data:`ADVICE`'s
    generic text, because how to log in differs per registry (README, "Registries")."""

    name: str
    host: str
    kinds: frozenset[Kind]
    text: str

    def serves(self, kind: Kind, registry: str) -> bool:
        host = registry.lower().rsplit("@", 1)[-1]
        host = host.rsplit(":", 1)[0] if host.count(":") == 1 else host
        return kind in self.kinds and re.fullmatch(self.host, host) is not None


_REFUSED = frozenset({Kind.NEEDS_CREDENTIALS, Kind.CREDENTIALS_REFUSED, Kind.ACCESS_DENIED})
# Registry hosts as their vendors document them: ECR `<account>.dkr.ecr[-fips].<region>.
# amazonaws.com[.cn]`, Artifact Registry `<location>-docker.pkg.dev`, GCR `[<region>.]gcr.io`.
_ECR_HOST = r"[0-9]{12}\.dkr\.ecr(-fips)?\.[a-z0-9-]+\.amazonaws\.com(\.cn)?"
_GOOGLE_HOST = r"([a-z0-9-]+-docker\.pkg\.dev|([a-z]+\.)?gcr\.io)"

# First match wins; each text is one line without a final period, as ADVICE's.
REGISTRY_ADVICE: tuple[RegistryAdvice, ...] = (
    RegistryAdvice(
        "ghcr.io",
        r"ghcr\.io",
        _REFUSED,
        "ghcr.io gives anonymous access to public packages only. With `GITHUB_TOKEN` as "
        "`password` (and `github.actor` as `username`) the job needs `permissions: packages: "
        "read`, and a package that another repository published must give this repository "
        "read access (package settings > Manage Actions access); or use a personal access "
        "token (classic) with `read:packages`",
    ),
    RegistryAdvice(
        "ECR",
        _ECR_HOST,
        frozenset({Kind.CREDENTIALS_EXPIRED}),
        "ECR authorization tokens last 12 hours and hold for one account and region: run "
        "aws-actions/amazon-ecr-login again in this job, before this step, and pass its "
        "password output (with `username: AWS`) or the docker config it writes; a token kept "
        "in a secret or taken from an earlier job expires",
    ),
    RegistryAdvice(
        "ECR",
        _ECR_HOST,
        _REFUSED,
        "For ECR, `username` is `AWS` and `password` the token aws-actions/amazon-ecr-login "
        "(or `aws ecr get-login-password`) gives for this registry's account and region; the "
        "role needs ecr:GetAuthorizationToken, and ecr:BatchGetImage and ecr:ListImages on "
        "the repository",
    ),
    RegistryAdvice(
        "Artifact Registry / GCR",
        _GOOGLE_HOST,
        _REFUSED | {Kind.CREDENTIALS_EXPIRED},
        "For Artifact Registry and GCR, `username` is `oauth2accesstoken` and `password` the "
        "`access_token` output of google-github-actions/auth (with `token_format: "
        "access_token`; it lasts an hour), or `username: _json_key` with a service account "
        "key; the account needs roles/artifactregistry.reader on the repository",
    ),
    RegistryAdvice(
        "ACR",
        r"[a-z0-9-]+\.azurecr\.(io|cn|us)",
        _REFUSED | {Kind.CREDENTIALS_EXPIRED},
        "For ACR, pass a service principal's client ID and secret, a repository-scoped token "
        "or the admin user as `username` and `password`, or the `docker-config` that `az acr "
        "login` writes after azure/login (its `identitytoken` is exchanged for a token)",
    ),
    RegistryAdvice(
        "GitLab",
        r"registry\.gitlab\.com",
        _REFUSED,
        "For GitLab, `username` is the user, or the deploy token's name, and `password` a "
        "personal, project or deploy token with the `read_registry` scope",
    ),
)


def advice(kind: Kind, service: Service | None = None, registry: str | None = None) -> str | None:
    """What to do about ``kind`` as answered by ``service`` of ``registry``; None when the
    facts say it all."""
    if registry:
        for hint in REGISTRY_ADVICE:
            if hint.serves(kind, registry):
                return hint.text
    return ADVICE.get((kind, service)) or ADVICE.get((kind, None))


def describe(exc: HubActionError) -> str:
    """The one line shown to the user: the facts, then what to do (from
    :data:`REGISTRY_ADVICE` or :data:`ADVICE`)."""
    text = str(exc)
    todo = advice(exc.kind, exc.service, exc.registry)
    if todo is None:
        return text
    return f"{text} {todo}" if text.endswith((".", "!")) else f"{text}. {todo}"
