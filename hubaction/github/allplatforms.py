"""``platform: all``: the lookup, outputs and summary parts of every platform. Wiring only, as
:mod:`hubaction.github.steps` (which calls :func:`inspect_all_platforms` and merges its answer).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from hubaction.github.inputs import ActionInputs
from hubaction.github.outputs import boolean, image_outputs, names_output
from hubaction.github.summary import Table, all_platforms_table, base_table, image_section
from hubaction.github.toolkit import Toolkit
from hubaction.oci.reference import Digest, Reference
from hubaction.oci.wire import quote_bounded

if TYPE_CHECKING:
    from hubaction.oci.model import ImageInfo, RateLimit
    from hubaction.registry.client import RegistryClient


@dataclass
class AllFound:
    """What ``platform: all`` found: outputs, summary parts, and every digest the tag is now."""

    outputs: dict[str, str] = field(default_factory=dict)
    parts: list[str | Table | None] = field(default_factory=list)
    current: tuple[Digest, ...] = ()
    rate_limit: RateLimit | None = None
    info: ImageInfo | None = None  # the single-valued outputs' image (linux/amd64 or first)


def inspect_all_platforms(
    kit: Toolkit, client: RegistryClient, inputs: ActionInputs, ref: Reference
) -> AllFound:
    """Every platform resolved; with ``base-image``, each compared with the base's same one."""
    from hubaction.registry.allplatforms import inspect_all

    found = inspect_all(client, ref, inputs.platform, want_config=True)
    info = found.info
    for entry in found.missing:
        # Quay keeps index entries whose manifests it dropped: not a failure of the image.
        # The platform is the registry's text: one bounded line.
        name = str(entry.platform)
        name = name if len(name) <= 100 and name.isprintable() else quote_bounded(name, 100)
        kit.warning(
            f"{ref.familiar}: the index lists {name} ({entry.digest}) but the registry has no "
            "such manifest (404); it is left out of the comparison"
        )
    out = AllFound(
        outputs=image_outputs(info) | {"changed-platforms": "[]"},
        parts=[image_section(info, rate_limit=info.ratelimit)],
        # compare-digest equal to any platform's manifest is the tag's current content too.
        current=(info.digest, *(p.entry.digest for p in found.platforms if p.manifest)),
        rate_limit=info.ratelimit,
        info=info,
    )
    check = None
    if inputs.base_image is not None:
        from hubaction.registry.baseimage import compare_base  # only with base-image

        check = compare_base(client, info, inputs.base_image, manifests=found.manifests)
        # No platform is chosen for the verdict: every one counts (the summary marks none).
        check = replace(check, chosen=None)
        out.outputs["base-changed"] = boolean(check.any_changed)
        out.outputs["base-digest"] = str(check.base_digest)
        out.outputs["changed-platforms"] = names_output(check.changed_platforms)
    out.parts.append(all_platforms_table(found, check))
    if check is not None:
        out.parts.append(base_table(check))
    return out
