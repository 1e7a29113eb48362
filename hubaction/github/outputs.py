"""Step outputs from answers: the contract's names, values as strings, structured ones as compact
JSON so that ``fromJSON()`` works in expressions. Pure.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence

from hubaction.oci.facts import image_facts
from hubaction.oci.model import ImageInfo, ManifestHead, RateLimit
from hubaction.oci.platform import format_platforms
from hubaction.oci.reference import Reference
from hubaction.oci.tags import TagSelection

#: Every output, in action.yml's order (a test keeps the two in step).
OUTPUT_NAMES: tuple[str, ...] = (
    "digest",
    "platform-digest",
    "config-digest",
    "media-type",
    "platforms",
    "created",
    "labels",
    "size",
    "layers",
    "annotations",
    "source",
    "revision",
    "image-version",
    "attestations",
    "referrers",
    "signed",
    "pinned",
    "exists",
    "changed",
    "base-changed",
    "base-digest",
    "changed-platforms",
    "base-images",
    "dockerfile-updated",
    "tags",
    "tag-count",
    "latest-semver",
    "repositories",
    "namespaces",
    "rate-limit-limit",
    "rate-limit-remaining",
    # Issue 17 §5-6 (hubaction.github.decisions).
    "is-latest",
    "is-latest-major",
    "is-latest-minor",
    "release-tags",
    "too-old",
    "images",
)


# A lone surrogate: what json.loads makes of a registry's "\ud800". It is not Unicode and cannot
# be written as UTF-8, so it must not reach the output file (the toolkit refuses it as a bug).
_SURROGATE = re.compile("[\ud800-\udfff]")


def compact_json(value: object) -> str:
    """JSON without spaces; non-ASCII kept as is (the output file is UTF-8), except a lone
    surrogate, written as its ``\\uXXXX`` escape: valid JSON that reads back the same."""
    text = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    return _SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def plain_text(value: str) -> str:
    """*value* for an output that is not JSON: a lone surrogate has no escape there, so it
    becomes U+FFFD, as Go's JSON decoder (``docker inspect``) shows it."""
    return _SURROGATE.sub("\ufffd", value)


def boolean(value: bool) -> str:
    return "true" if value else "false"


def image_outputs(info: ImageInfo) -> dict[str, str]:
    config = info.config
    return {
        "digest": str(info.digest),
        "platform-digest": str(info.platform_digest),
        "config-digest": str(info.config_digest),
        "media-type": info.media_type,
        "platforms": compact_json(format_platforms(info.platforms)),
        "created": plain_text(config.created or "") if config is not None else "",
        "labels": compact_json(dict(config.labels) if config is not None else {}),
        "pinned": str(info.pinned),
        "exists": "true",
        **fact_outputs(info),
    }


def fact_outputs(info: ImageInfo) -> dict[str, str]:
    """``size``, ``layers``, ``annotations``, ``source``, ``revision``, ``image-version``."""
    facts = image_facts(info)
    return {
        "size": str(facts.size),
        "layers": str(facts.layers),
        "annotations": compact_json(dict(facts.annotations)),
        "source": plain_text(facts.source or ""),
        "revision": plain_text(facts.revision or ""),
        "image-version": plain_text(facts.version or ""),
    }


def head_outputs(ref: Reference, head: ManifestHead) -> dict[str, str]:
    """What ``digest-only`` knows from one HEAD."""
    return {
        "digest": str(head.digest),
        "media-type": head.media_type or "",
        "pinned": str(ref.with_digest(head.digest)),
        "exists": "true",
    }


def missing_outputs() -> dict[str, str]:
    """A tag that does not exist (with ``fail-on-missing: false``): image outputs empty."""
    return {
        "digest": "",
        "platform-digest": "",
        "config-digest": "",
        "media-type": "",
        "platforms": "[]",
        "created": "",
        "labels": "{}",
        "pinned": "",
        "exists": "false",
        "size": "",
        "layers": "",
        "annotations": "{}",
        "source": "",
        "revision": "",
        "image-version": "",
        "attestations": "[]",
    }


# The outputs that are JSON text: nested as JSON in an `images` entry, not as strings.
_JSON_OUTPUTS = frozenset({"platforms", "labels", "annotations", "attestations"})


def image_entry(outputs: dict[str, str]) -> dict[str, object]:
    """One entry of the ``images`` output: the single-image outputs (:func:`image_outputs`,
    :func:`head_outputs` over :func:`missing_outputs`) with the same keys, JSON ones nested
    and ``exists`` a boolean, so ``fromJSON()`` reads them without a second parse."""
    entry: dict[str, object] = {}
    for name, value in outputs.items():
        if name in _JSON_OUTPUTS:
            entry[name] = json.loads(value)
        elif name == "exists":
            entry[name] = value == "true"
        else:
            entry[name] = value
    return entry


def tag_outputs(selection: TagSelection) -> dict[str, str]:
    return {
        "tags": compact_json(list(selection.tags)),
        "tag-count": str(selection.count),
        "latest-semver": selection.latest_semver or "",
    }


def ratelimit_outputs(rate_limit: RateLimit | None) -> dict[str, str]:
    if rate_limit is None:
        return {}
    out: dict[str, str] = {}
    if rate_limit.limit is not None:
        out["rate-limit-limit"] = str(rate_limit.limit)
    if rate_limit.remaining is not None:
        out["rate-limit-remaining"] = str(rate_limit.remaining)
    return out


def names_output(names: Sequence[str]) -> str:
    return compact_json(list(names))
