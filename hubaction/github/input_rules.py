"""Rules that tie the action's inputs together, checked before any request is sent: what must
be given, which inputs exclude each other, and which credentials go where."""

from __future__ import annotations

from typing import TYPE_CHECKING

from hubaction.errors import InvalidInput
from hubaction.oci.reference import Reference
from hubaction.registry.credentials import Credentials, CredentialStore

if TYPE_CHECKING:
    from hubaction.dockerfile import BaseImage
    from hubaction.github.imagelist import ImageLine


def require_something_to_look_up(
    ref: Reference | None,
    *,
    namespace: str,
    list_namespaces: bool,
    dockerfile: str,
    images: str = "",
) -> None:
    if ref is None and not namespace and not list_namespaces and not dockerfile and not images:
        raise InvalidInput(
            "Input `repository` is required (unless `namespace`, `list-namespaces`, "
            "`dockerfile` or `images` is used): "
            "set it to the image to look up, e.g. `node` or `ghcr.io/org/app`"
        )


def credentials(
    username: str, password: str, config: dict[str, Credentials], ref: Reference | None
) -> CredentialStore:
    """``username`` with ``password`` (both or neither), then ``docker-config``'s."""
    if bool(username) != bool(password):
        missing, given = ("password", "username") if username else ("username", "password")
        raise InvalidInput(
            f"Input `{missing}` is empty while `{given}` is set: give both, or neither for "
            "anonymous access"
        )
    return CredentialStore(
        explicit=Credentials(username, password) if username else None,
        primary_registry=ref.registry if ref is not None else "docker.io",
        config=config,
    )


def registries_to_log_in(
    ref: Reference | None,
    base: Reference | None,
    images: tuple[BaseImage, ...],
    *,
    hub: bool,
    others: tuple[ImageLine, ...] = (),
) -> tuple[str, ...]:
    """The registries a run may need credentials for, the image's first (``others``: the
    ``images`` input's)."""
    refs = [r for r in (ref, base) if r is not None] + [i.lookup_reference for i in images]
    refs += [i.reference for i in others]
    names = [r.registry for r in refs] + (["docker.io"] if hub else [])
    return tuple(dict.fromkeys(names))


def require_hub_for_updated(sort: str, ref: Reference | None) -> None:
    if sort == "updated" and (ref is None or not ref.is_docker_hub):
        raise InvalidInput(
            "Input `tag-sort: updated` orders tags by push date, which only Docker Hub's API "
            "gives: use `version` or `lexical` for this registry"
        )


def refuse_base_image_with_digest_only(base: Reference | None, digest_only: bool) -> None:
    if digest_only and base is not None:
        raise InvalidInput(
            "Input `base-image` compares manifests and layers, which `digest-only: true` does "
            "not fetch: set `digest-only: false`, or drop `base-image`"
        )


def refuse_referrers_with_digest_only(referrers: bool, digest_only: bool) -> None:
    if digest_only and referrers:
        raise InvalidInput(
            "Input `referrers` reads the image's manifests, which `digest-only: true` does not "
            "fetch: set `digest-only: false`, or drop `referrers`"
        )


def refuse_all_platforms_with_digest_only(all_platforms: bool, digest_only: bool) -> None:
    if digest_only and all_platforms:
        raise InvalidInput(
            "Input `platform: all` fetches every platform's manifest, which `digest-only: true` "
            "does not: set `digest-only: false`, or give one platform"
        )
