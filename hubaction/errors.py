"""The one exception hierarchy of hubaction.

Every expected failure is a :class:`HubActionError`. Subclasses are chosen by what the caller
does next, not by where the failure happened:

* :class:`InvalidInput` (and its parsers' subclasses): fix the input; exit code 2 on the CLI.
* :class:`Unauthorized`: fix or supply credentials.
* :class:`NotFound`: the repository, tag or platform does not exist; maybe not a failure at all
  (``fail-on-missing: false``).
* :class:`RateLimited`: wait, or log in for a higher quota.
* :class:`RegistryError`: the registry answered something wrong (bad body, digest mismatch,
  unsupported manifest, timeout); retry later or report it.

Messages say what failed, why, and what to do; they are shown to users as they are, as one
``::error::`` line in the action and one ``error:`` line on the command line.
"""

from __future__ import annotations


class HubActionError(Exception):
    """Base of every expected failure. ``exit_code`` is what the command line exits with."""

    exit_code = 1
    title = "hubaction failed"


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


class NotFound(HubActionError):
    """The repository, tag, manifest or platform does not exist.

    ``what`` tells the kinds apart: ``"repository"``, ``"tag"``, ``"manifest"``, ``"blob"``,
    ``"platform"`` or ``"namespace"``.
    """

    title = "Not found"

    def __init__(self, message: str, *, what: str = "manifest") -> None:
        super().__init__(message)
        self.what = what


class PlatformNotFound(NotFound):
    """The image has no manifest for the requested platform."""

    title = "Platform not found"

    def __init__(self, message: str) -> None:
        super().__init__(message, what="platform")


class RateLimited(HubActionError):
    """The registry or Docker Hub answered 429 after the retries were spent."""

    title = "Rate limited"

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class RegistryError(HubActionError):
    """The registry answered something hubaction cannot use, or did not answer in time."""

    title = "Registry error"


class CorruptBody(RegistryError):
    """A body arrived truncated, malformed or not matching its digest: worth one retry."""

    title = "Corrupt answer from registry"


class DigestMismatch(CorruptBody):
    """A body does not hash to the digest it was asked for or announced with."""

    title = "Digest mismatch"


class UnsupportedManifest(RegistryError):
    """A manifest of a kind hubaction does not read (Docker schema 1, unknown media types)."""

    title = "Unsupported manifest"


class InvalidHeader(RegistryError):
    """A header from the registry (``WWW-Authenticate``, ``Link``) cannot be parsed."""

    title = "Invalid header from registry"
