"""The pin status of a Dockerfile's base images (issue 17 §1): one HEAD per image, and one
GET of the tag's index only for a pin that differs from the index digest.

A ``FROM`` may pin one platform's manifest of an index instead of the index
(``FROM --platform=linux/amd64 node:20@sha256:<amd64 manifest>``). Such a pin is ``current``
when it is the current manifest of its platform; comparing it with the index digest alone
calls it stale forever. The same bug hit dependabot (dependabot-core#8609) and renovate
(renovatebot/renovate#11409, fixed in #16554 by looking the pin's platform up in the new
index).

The platform: the ``FROM``'s ``--platform`` when the file gives its value, else the
``platform`` input. A ``--platform`` only the build knows (``$BUILDPLATFORM``,
``$TARGETPLATFORM``, an ARG without default) may be any of the tag's platforms: a pin on any
of its manifests is current, and a stale platform pin is updated to the ``platform`` input's.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from hubaction.dockerfile.bases import BaseImage, BaseImageStatus, status_of
from hubaction.errors import HubActionError, NotFound, PlatformNotFound
from hubaction.oci.manifest import ImageIndex
from hubaction.oci.mediatypes import DOCKER_MANIFEST, DOCKER_MANIFEST_LIST, OCI_INDEX, OCI_MANIFEST
from hubaction.oci.model import ManifestHead
from hubaction.oci.platform import Platform, select_platform
from hubaction.oci.reference import Digest, Reference
from hubaction.registry.client import RegistryClient
from hubaction.registry.lookup import head_many

_IMAGE_MANIFESTS = frozenset({OCI_MANIFEST, DOCKER_MANIFEST})
_INDEXES = frozenset({OCI_INDEX, DOCKER_MANIFEST_LIST})


def pin_statuses(
    client: RegistryClient,
    images: Sequence[BaseImage],
    platform: Platform,
    *,
    on_error: Callable[[BaseImage, HubActionError], None],
) -> list[BaseImageStatus]:
    """The status of each of ``images``, in order; ``platform`` is the one a ``FROM`` without
    ``--platform`` is built for. A tag that is gone makes its pin stale (current digest None);
    ``on_error`` is told of every other failure (of the HEAD or of the index GET)."""
    # One HEAD per tag, however many pins of it the file has.
    by_ref = {i.lookup_reference: i for i in reversed(images)}
    tags = list(dict.fromkeys(i.lookup_reference for i in images))

    def head_failed(ref: Reference, exc: HubActionError) -> None:
        if not isinstance(exc, NotFound):
            on_error(by_ref[ref], exc)

    heads = dict(zip(tags, head_many(client, tags, on_error=head_failed), strict=True))
    statuses: list[BaseImageStatus] = []
    indexes: dict[Digest, _Entries | None] = {}
    for image in images:
        head = heads[image.lookup_reference]
        try:
            statuses.append(_status(client, image, head, platform, indexes))
        except HubActionError as exc:
            on_error(image, exc)
            statuses.append(status_of(image, head.digest if head is not None else None))
    return statuses


_Entries = list[tuple[Platform, Digest]]


def _status(
    client: RegistryClient,
    image: BaseImage,
    head: ManifestHead | None,
    default: Platform,
    indexes: dict[Digest, _Entries | None],
) -> BaseImageStatus:
    pinned = image.pinned_digest
    current = head.digest if head is not None else None
    if (
        head is None
        or pinned is None
        or pinned == head.digest
        or image.reference.tag is None
        or (head.media_type is not None and head.media_type not in _INDEXES)
    ):
        return status_of(image, current)
    if head.digest not in indexes:  # the one GET, once per index however many pins use it
        index = client.get_manifest(image.lookup_reference, head.digest).manifest
        indexes[head.digest] = (
            [(d.platform, d.digest) for d in index.images if d.platform is not None]
            if isinstance(index, ImageIndex)
            else None
        )
    entries = indexes[head.digest]
    if entries is None:
        return status_of(image, current)
    if image.platform_from_build and pinned in {digest for _, digest in entries}:
        return status_of(image, head.digest, pinned, platform_pin=True)
    wanted = _select(image.platform or default, entries)
    if pinned == wanted:
        return status_of(image, head.digest, wanted, platform_pin=True)
    # Stale: a platform pin is updated to a platform manifest, an index pin to the index.
    if _is_platform_manifest(client, image, pinned, entries):
        return status_of(image, head.digest, wanted, platform_pin=True)
    return status_of(image, head.digest)


def _select(wanted: Platform, entries: Sequence[tuple[Platform, Digest]]) -> Digest | None:
    try:
        return select_platform(wanted, entries)
    except PlatformNotFound:
        return None


def _is_platform_manifest(
    client: RegistryClient,
    image: BaseImage,
    pinned: Digest,
    entries: Sequence[tuple[Platform, Digest]],
) -> bool:
    """Whether the stale pin names one image manifest rather than an index: free when it is
    another platform's entry of the current index, else one HEAD of the pinned digest (one that
    is gone from the registry counts as an index pin)."""
    if pinned in {digest for _, digest in entries}:
        return True
    try:
        head = client.head_manifest(image.lookup_reference.with_digest(pinned))
    except NotFound:
        return False
    return head.media_type in _IMAGE_MANIFESTS
