"""Which moving tags a release should carry (``release-version``, ``release-tags``).

A candidate ``MAJOR.MINOR.PATCH`` is compared, by its numbers only, with the repository's
release tags (``[v]X.Y.Z`` without pre-release, variant or build: ``1.3.0-alpine`` belongs to
another line of tags). It moves ``X.Y`` when it is the highest of its minor, ``X`` when the
highest of its major and ``latest`` when the highest of all; equal counts as highest, so a
re-run of the same release gives the same answer. As docker/metadata-action's semver type does
(README, "type=semver"), a pre-release candidate gets only its own tag, and major version zero
gets no bare ``0`` tag: semver.org §4 says anything may change before 1.0.0.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from hubaction.errors import InvalidInput
from hubaction.oci.tags import Version, parse_version

__all__ = ["InvalidReleaseVersion", "ReleasePlan", "parse_release_version", "plan_release"]


class InvalidReleaseVersion(InvalidInput):
    """``release-version`` is not ``[v]MAJOR.MINOR.PATCH`` (optionally ``-prerelease``)."""

    title = "Invalid release version"


def parse_release_version(text: str, what: str = "release-version") -> Version:
    """The candidate as a :class:`Version`; ``refs/tags/`` in front (``github.ref``) is dropped.
    ``what`` names the input or option in the error."""
    stripped = text.strip().removeprefix("refs/tags/")
    version = parse_version(stripped)
    if (
        version is None
        or len(version.release) != 3
        or version.variant is not None
        or version.build is not None
    ):
        raise InvalidReleaseVersion(
            f"{what} {stripped[:80]!r} is not a release version: write "
            "MAJOR.MINOR.PATCH such as 1.4.2 or v1.4.2 (a pre-release such as 2.0.0-rc.1 "
            "gets only its own tag)"
        )
    return version


@dataclass(frozen=True)
class ReleasePlan:
    """The answers for one candidate: the three flags and the tags, most specific first."""

    version: Version
    is_latest: bool
    is_latest_major: bool
    is_latest_minor: bool
    tags: tuple[str, ...]
    #: How many release tags the candidate was compared with, and the highest of them.
    compared: int = 0
    highest: str | None = None


def plan_release(candidate: Version, tags: Iterable[str]) -> ReleasePlan:
    """Compare ``candidate`` with the release tags among ``tags`` (already ``tag-filter``ed)."""
    versions = [
        version
        for tag in tags
        if (version := parse_version(tag)) is not None and version.is_semver_release
    ]
    released = [version.release for version in versions]
    top = max(versions, key=lambda v: v.release).text if versions else None
    if candidate.prerelease:
        return ReleasePlan(candidate, False, False, False, (candidate.text,), len(versions), top)
    mine = candidate.release
    latest = all(mine >= other for other in released)
    latest_major = all(mine >= other for other in released if other[0] == mine[0])
    latest_minor = all(mine >= other for other in released if other[:2] == mine[:2])
    prefix = "v" if candidate.prefix_v else ""
    moving = [candidate.text]
    if latest_minor:
        moving.append(f"{prefix}{mine[0]}.{mine[1]}")
    if latest_major and mine[0] != 0:
        moving.append(f"{prefix}{mine[0]}")
    if latest:
        moving.append("latest")
    return ReleasePlan(
        candidate, latest, latest_major, latest_minor, tuple(moving), len(versions), top
    )
