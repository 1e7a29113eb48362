"""A repository's tags, from the best source: Docker Hub's API for docker.io (every tag with its
push date, size and digest), else the registry's tag list. One rule for the action and the
command line; this module returns data and never formats it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from hubaction.errors import HubActionError, RateLimited, RegistryError
from hubaction.oci.reference import Reference
from hubaction.oci.tags import TagSelection, select_tags

if TYPE_CHECKING:
    from hubaction.dockerhub.client import HubClient
    from hubaction.dockerhub.models import HubTag
    from hubaction.registry.client import RegistryClient


@dataclass(frozen=True)
class TagListing:
    """Tag names and where they came from; ``hub_tags`` holds Docker Hub's metadata (push
    date, size, digest) per name when ``from_hub``, and nothing for a registry's tag list.
    ``skipped`` counts the listed names that were no valid tags (left out of ``names``);
    ``cut`` says why the list stopped early at a bound (``None``: complete)."""

    names: tuple[str, ...]
    from_hub: bool = False
    hub_tags: Mapping[str, HubTag] = field(default_factory=dict)
    skipped: int = 0
    cut: str | None = None

    @property
    def pushed(self) -> dict[str, datetime] | None:
        """Push date per tag (Docker Hub only; ``None`` for a registry's list)."""
        if not self.from_hub:
            return None
        return {t.name: t.pushed_at for t in self.hub_tags.values() if t.pushed_at is not None}

    def select(
        self, *, tag_filter: re.Pattern[str] | None, sort: str, max_tags: int
    ) -> TagSelection:
        """The tags the filter keeps, sorted and cut (:func:`hubaction.oci.tags.select_tags`)."""
        return select_tags(
            self.names, tag_filter=tag_filter, sort=sort, max_tags=max_tags, updated=self.pushed
        )


def list_tags(
    repository: Reference,
    *,
    registry: Callable[[], RegistryClient],
    hub: Callable[[], HubClient],
    sort: str,
    on_fallback: Callable[[HubActionError], None],
) -> TagListing:
    """Every tag of ``repository`` (its tag or digest, if any, ignored).

    ``registry`` and ``hub`` give the clients, called only for the source used. When Docker
    Hub's API fails, ``on_fallback`` is told why and the registry's list answers instead,
    unless ``sort`` is ``updated``: only the API has push dates, so its error is raised.
    """
    repo = Reference(repository.registry, repository.repository, None, None)
    if repo.is_docker_hub:
        try:
            return _from_hub(hub(), repo)
        except (RegistryError, RateLimited) as exc:
            if sort == "updated":
                raise
            on_fallback(exc)
    listed = registry().tag_list(repo)
    return TagListing(listed.tags, skipped=listed.skipped, cut=listed.cut)


def _from_hub(hub: HubClient, repo: Reference) -> TagListing:
    from hubaction.dockerhub.models import split_hub_repository

    listed = hub.tag_listing(*split_hub_repository(repo.repository))
    by_name = {t.name: t for t in listed.items}
    return TagListing(tuple(by_name), from_hub=True, hub_tags=by_name, skipped=listed.skipped)
