"""The supply-chain outputs and the job summary's "Supply chain" section (issue 16): the
image's attestations, referrers and signatures as JSON and Markdown. Pure formatting; the
lookups are :mod:`hubaction.registry.referrers`'.
"""

from __future__ import annotations

from collections.abc import Sequence

from hubaction.github.outputs import boolean, compact_json
from hubaction.github.summary import Table, md_code, md_text
from hubaction.oci.digest import Digest
from hubaction.oci.model import ImageInfo
from hubaction.oci.referrers import Attestation, Referrer, SupplyChain, cosign_tag


def attestation_json(att: Attestation) -> dict[str, object]:
    doc: dict[str, object] = {
        "platform": str(att.platform) if att.platform is not None else "",
        "subject": str(att.subject),
        "digest": str(att.digest),
        "source": att.source,
    }
    if att.predicate_types is not None:
        doc["predicateTypes"] = list(att.predicate_types)
    return doc


def referrer_json(ref: Referrer) -> dict[str, object]:
    """The contract's fields (artifactType, digest, mediaType, size, annotations), then where
    it was found and what it refers to."""
    doc: dict[str, object] = {
        "artifactType": ref.artifact_type or "",
        "digest": str(ref.digest),
        "mediaType": ref.media_type,
        "size": ref.size,
        "annotations": dict(ref.annotations),
        "subject": str(ref.subject),
        "source": ref.source,
    }
    if ref.cosign:
        doc["tag"] = cosign_tag(ref.subject, ref.cosign)
    return doc


def supply_outputs(chain: SupplyChain) -> dict[str, str]:
    """``attestations`` always (from the index alone at least); ``referrers`` and ``signed``
    only when they were looked up (``referrers: true``)."""
    out = {"attestations": compact_json([attestation_json(a) for a in chain.attestations])}
    if chain.referrers is not None:
        out["referrers"] = compact_json([referrer_json(r) for r in chain.referrers])
        out["signed"] = boolean(bool(chain.signed))
    return out


# -- the job summary --------------------------------------------------------------------------

_SBOM_WORDS = ("spdx", "cyclonedx")
_PROVENANCE_WORDS = ("slsa.dev/provenance", "/provenance")


def _has(types: Sequence[str], words: Sequence[str]) -> bool:
    return any(w in t.lower() for t in types for w in words)


def _row(
    label: str, subject: Digest, chain: SupplyChain, atts: Sequence[Attestation]
) -> tuple[str, ...]:
    if chain.referrers is None:
        signed = "not looked up"
    else:
        sigs = [r for r in chain.referrers if r.subject == subject and r.is_signature]
        signed = "**yes**" if sigs else "no"
    known = [a.predicate_types for a in atts]
    if any(t is None for t in known):
        sbom = provenance = "not looked up" if chain.referrers is None else "unknown"
    else:
        types = [t for ts in known if ts is not None for t in ts]
        sbom = "yes" if _has(types, _SBOM_WORDS) else "no"
        provenance = "yes" if _has(types, _PROVENANCE_WORDS) else "no"
    return (
        label,
        md_code(str(subject)),
        signed,
        sbom,
        provenance,
        ", ".join(md_code(str(a.digest)) for a in atts),
    )


def supply_section(info: ImageInfo, chain: SupplyChain) -> Table | None:
    """Per platform (and for the index itself): signed, SBOM, provenance, with digests. None
    when there is nothing to say (no attestation in the index, referrers not looked up)."""
    if chain.referrers is None and not chain.attestations:
        return None
    subjects: dict[Digest, str] = {}
    if info.index is not None:
        subjects[info.digest] = "the index"
    for entry in info.entries or ():
        subjects[entry.digest] = md_text(str(entry.platform))
    subjects.setdefault(info.platform_digest, md_text(str(info.platform or "the image")))
    rows = []
    for subject, label in subjects.items():
        atts = [a for a in chain.attestations if a.subject == subject]
        signed = chain.referrers is not None and any(
            r.subject == subject and r.is_signature for r in chain.referrers
        )
        if atts or signed or subject in (info.digest, info.platform_digest):
            rows.append(_row(label, subject, chain, atts))
    return Table(
        "Supply chain",
        ("For", "Digest", "Signed", "SBOM", "Provenance", "Attestation manifests"),
        tuple(rows),
        note=_note(chain),
    )


def _note(chain: SupplyChain) -> str:
    if chain.referrers is None:
        said = (
            "From the index alone: BuildKit's attestation manifests. Set `referrers: true` to "
            "look up signatures, referrers and predicate types."
        )
    elif chain.listed_by == "api":
        said = "Referrers from the registry's referrers API, and cosign's tags."
    else:
        said = (
            "The registry has no referrers API: referrers from the `sha256-<hex>` tag schema, "
            "and cosign's tags."
        )
    return " ".join([said, *(md_text(n) for n in chain.notes)])
