"""The answers hubaction gives, as plain data shared by the action, the CLI and the
formatters. Pure: the registry client fills them in."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from hubaction.oci.digest import Digest
from hubaction.oci.manifest import ImageConfig, ImageIndex, ImageManifest, Manifest
from hubaction.oci.platform import Platform
from hubaction.oci.reference import Reference
from hubaction.oci.wire import decimal_count


@dataclass(frozen=True)
class RateLimit:
    """Docker Hub's pull quota from ``ratelimit-limit`` / ``ratelimit-remaining`` headers."""

    limit: int | None
    remaining: int | None
    window: int | None
    source: str | None


# Docker Hub sends `100;w=21600`: the count, then the window in seconds. ASCII digits only,
# and decimal_count bounds them (int() refuses 4300 digits and more).
_QUOTA = re.compile(r"^\s*([0-9]+)\s*(?:;\s*w\s*=\s*([0-9]+))?", re.ASCII)


def parse_ratelimit(headers: Mapping[str, str]) -> RateLimit | None:
    """``ratelimit-limit: 100;w=21600`` and ``ratelimit-remaining: 76;w=21600``, if sent."""
    limit = _quota(headers.get("ratelimit-limit", ""))
    remaining = _quota(headers.get("ratelimit-remaining", ""))
    first = limit or remaining  # the window is the same in both; take the limit's if sent
    if first is None:
        return None
    return RateLimit(
        limit=limit[0] if limit else None,
        remaining=remaining[0] if remaining else None,
        window=first[1],
        source=headers.get("docker-ratelimit-source"),
    )


def _quota(value: str) -> tuple[int, int | None] | None:
    """``100;w=21600`` as ``(100, 21600)``; None unless it starts with a readable count."""
    match = _QUOTA.match(value)
    count = decimal_count(match.group(1)) if match else None
    if match is None or count is None:
        return None
    return count, decimal_count(match.group(2))


@dataclass(frozen=True)
class ManifestHead:
    """What a HEAD (or a GET standing in for one) told about a manifest."""

    digest: Digest
    media_type: str | None
    size: int | None
    ratelimit: RateLimit | None


@dataclass(frozen=True)
class FetchedManifest:
    """A manifest body, verified against its digest, and its parsed model."""

    digest: Digest
    media_type: str
    body: bytes
    manifest: Manifest
    ratelimit: RateLimit | None


@dataclass(frozen=True)
class PlatformEntry:
    """One runnable image in an index."""

    platform: Platform
    digest: Digest
    media_type: str
    size: int


@dataclass(frozen=True)
class ImageInfo:
    """What a tag points to right now."""

    reference: Reference
    digest: Digest
    media_type: str
    index: ImageIndex | None
    entries: tuple[PlatformEntry, ...]
    platform: Platform | None
    platform_digest: Digest
    manifest: ImageManifest
    config: ImageConfig | None
    ratelimit: RateLimit | None

    @property
    def config_digest(self) -> Digest:
        return self.manifest.config.digest

    @property
    def platforms(self) -> tuple[Platform, ...]:
        """The image's platforms: an index's entries, or the config's platform."""
        if self.index is not None:
            return tuple(e.platform for e in self.entries)
        if self.config is not None and self.config.platform is not None:
            return (self.config.platform,)
        return ()

    @property
    def pinned(self) -> Reference:
        return self.reference.with_digest(self.digest)


@dataclass(frozen=True)
class ResolvedPlatform:
    """One platform of ``platform: all``: its index entry and verified manifest, or ``None``
    when the registry has no manifest for the entry (a sparse index, as Quay serves)."""

    entry: PlatformEntry
    manifest: ImageManifest | None


@dataclass(frozen=True)
class AllPlatforms:
    """``platform: all``: the image as for its chosen platform (``info``: the single-valued
    outputs), and every platform resolved, in the index's order."""

    info: ImageInfo
    platforms: tuple[ResolvedPlatform, ...]

    @property
    def manifests(self) -> dict[Digest, ImageManifest]:
        """The manifests the registry served, by digest."""
        return {p.entry.digest: p.manifest for p in self.platforms if p.manifest is not None}

    @property
    def missing(self) -> tuple[PlatformEntry, ...]:
        """The entries whose manifest the registry does not have."""
        return tuple(p.entry for p in self.platforms if p.manifest is None)
