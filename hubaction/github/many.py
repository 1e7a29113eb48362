"""The ``images`` input (issue 17 §7): many images in one step, each looked up as ``repository``.

Each image goes through the single-image lookups (:func:`~hubaction.registry.lookup.inspect_image`,
or one HEAD with ``digest-only``) and the single-image output builders, so its entry in the
``images`` output has the same keys as the step's own outputs. The lookups run concurrently in
a bounded pool (:data:`~hubaction.registry.lookup.CONCURRENCY`, as ``head_many``) on the run's
one client and session, so every request meets the run's deadline: they are required work, so
an image not looked up by then fails the step, as ``repository`` does (``timeout``).

``platform``, ``digest-only``, ``fail-on-missing``, ``insecure`` and the credentials apply to
each image; the tag list, ``compare-digest`` and ``base-image`` belong to ``repository`` only.
Every image is looked up before a failure is reported: one error, for the first failed line,
counting the others.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from hubaction.errors import HubActionError, Kind, NotFound
from hubaction.github.imagelist import ImageLine
from hubaction.github.outputs import (
    compact_json,
    head_outputs,
    image_entry,
    image_outputs,
    missing_outputs,
)
from hubaction.github.summary import Table, images_table
from hubaction.oci.platform import Platform
from hubaction.oci.reference import Reference

if TYPE_CHECKING:
    from hubaction.oci.model import RateLimit
    from hubaction.registry.client import RegistryClient

# What `fail-on-missing: false` reports as `exists=false` (as for `repository`).
MISSING_KINDS = (Kind.TAG, Kind.MANIFEST, Kind.REPOSITORY)
# How many other failed lines an error names by number.
_MAX_NAMED = 10


@dataclass(frozen=True)
class Found:
    """One image's single-image outputs, and the pull quota its answer told."""

    outputs: dict[str, str]
    rate_limit: RateLimit | None = None


@dataclass(frozen=True)
class ImagesAnswer:
    """What the ``images`` input adds to a run: its output, its summary table, a quota."""

    output: str
    table: Table
    rate_limit: RateLimit | None


def look_up(
    client: RegistryClient,
    refs: Sequence[Reference],
    *,
    platform: Platform,
    digest_only: bool,
    concurrency: int | None = None,
) -> list[Found | HubActionError]:
    """Each of ``refs`` looked up, at most ``concurrency`` at once (default: as ``head_many``);
    an expected failure is returned in its place, so every image is tried."""
    from hubaction.registry.fanout import bounded_map
    from hubaction.registry.lookup import CONCURRENCY

    def one(ref: Reference) -> Found | HubActionError:
        try:
            return _one(client, ref, platform, digest_only=digest_only)
        except HubActionError as exc:
            return exc

    return bounded_map(one, refs, concurrency or CONCURRENCY, name="hubaction-images")


def _one(client: RegistryClient, ref: Reference, platform: Platform, *, digest_only: bool) -> Found:
    """One image, as the single-image path looks it up (``steps._digest_only``/``_inspect``)."""
    if digest_only:
        head = client.head_manifest(ref)
        # Every entry has every key: what one HEAD cannot tell stays empty.
        return Found(missing_outputs() | head_outputs(ref, head), head.ratelimit)
    from hubaction.github.supplychain import supply_outputs
    from hubaction.oci.referrers import index_chain
    from hubaction.registry.lookup import inspect_image

    info = inspect_image(client, ref, platform, want_config=True)
    # The index's attestations as for `repository` (no request); referrers are its only.
    return Found(image_outputs(info) | supply_outputs(index_chain(info.index)), info.ratelimit)


def is_missing(exc: HubActionError) -> bool:
    return isinstance(exc, NotFound) and exc.kind in MISSING_KINDS


def lookup_images(
    client: RegistryClient,
    images: Sequence[ImageLine],
    *,
    platform: Platform,
    digest_only: bool,
    fail_on_missing: bool,
    what: str = "Input `images`",
) -> ImagesAnswer:
    """The ``images`` output and table; raises the first failed line's error (line order),
    told as ``what``'s (the CLI's list is not an input)."""
    unique = list(dict.fromkeys(image.reference for image in images))  # each looked up once
    answers = dict(
        zip(
            unique, look_up(client, unique, platform=platform, digest_only=digest_only), strict=True
        )
    )
    entries: dict[str, dict[str, object]] = {}
    rows: list[tuple[str, str, dict[str, object]]] = []
    failed: list[tuple[ImageLine, HubActionError]] = []
    for image in images:
        answer = answers[image.reference]
        if isinstance(answer, HubActionError):
            if fail_on_missing or not is_missing(answer):
                failed.append((image, answer))
                continue
            answer = Found(missing_outputs())
        entries[image.key] = entry = image_entry(answer.outputs)
        rows.append((image.name or "", str(image.reference), entry))
    if failed:
        raise _failure(failed, len(images), what)
    found = [a for a in answers.values() if isinstance(a, Found)]
    return ImagesAnswer(compact_json(entries), images_table(rows), _lowest_quota(found))


def _failure(
    failed: Sequence[tuple[ImageLine, HubActionError]], total: int, what: str
) -> HubActionError:
    """One error: the first failed line's (its class and fields kept), counting the rest."""
    image, error = failed[0]
    context = f"{what}, {image.label}"
    if len(failed) > 1:
        lines = ", ".join(str(i.line) for i, _e in failed[:_MAX_NAMED])
        more = ", ..." if len(failed) > _MAX_NAMED else ""
        context += f", the first of {len(failed)} of the {total} that failed (lines {lines}{more})"
    failure = error.within(context)
    failure.__cause__ = error
    return failure


def _lowest_quota(found: Sequence[Found]) -> RateLimit | None:
    """The pull quota with the fewest pulls left (the last answer's when none says)."""
    quotas = [f.rate_limit for f in found if f.rate_limit is not None]
    known = [q for q in quotas if q.remaining is not None]
    if known:
        return min(known, key=lambda q: q.remaining if q.remaining is not None else 0)
    return quotas[-1] if quotas else None
