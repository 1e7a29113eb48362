"""The supply-chain outputs and the job summary's "Supply chain" section (issue 16): the
image's attestations, referrers and signatures as JSON and Markdown. Pure formatting; the
lookups are :mod:`hubaction.registry.referrers`'.
"""

from __future__ import annotations

from hubaction.github.outputs import boolean, compact_json
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
