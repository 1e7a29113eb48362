"""The answers hubaction gives, as plain data: pure, shared by the action, the CLI and formatting.

Nothing here does I/O; the registry client fills these in, the output and summary formatters
read them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from hubaction.oci.digest import Digest
from hubaction.oci.manifest import ImageConfig, ImageIndex, ImageManifest, Manifest
from hubaction.oci.platform import Platform
from hubaction.oci.reference import Reference


@dataclass(frozen=True)
class RateLimit:
    """Docker Hub's pull quota from ``ratelimit-limit`` / ``ratelimit-remaining`` headers."""

    limit: int | None
    remaining: int | None
    window: int | None
    source: str | None


_QUOTA = re.compile(r"^\s*(\d+)\s*(?:;\s*w\s*=\s*(\d+))?")


def parse_ratelimit(headers: Mapping[str, str]) -> RateLimit | None:
    """``ratelimit-limit: 100;w=21600`` and ``ratelimit-remaining: 76;w=21600``, if sent."""
    limit_m = _QUOTA.match(headers.get("ratelimit-limit", ""))
    remaining_m = _QUOTA.match(headers.get("ratelimit-remaining", ""))
    if limit_m is None and remaining_m is None:
        return None
    first = limit_m or remaining_m
    window = first.group(2) if first is not None else None
    return RateLimit(
        limit=int(limit_m.group(1)) if limit_m else None,
        remaining=int(remaining_m.group(1)) if remaining_m else None,
        window=int(window) if window else None,
        source=headers.get("docker-ratelimit-source"),
    )


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
