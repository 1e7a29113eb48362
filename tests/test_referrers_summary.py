"""The summary's "Supply chain" section (issue 16 section 4): per platform signed / SBOM /
provenance with digests, and inert against hostile registry text (cmark-gfm, as GitHub)."""

from __future__ import annotations

from dataclasses import replace

import pytest
from summary_answers import AMD64_DIGEST, ARM64_DIGEST, INDEX_DIGEST, sample_info
from test_summary_hostile import HOSTILE, _image, assert_inert

from hubaction.github.summary import render
from hubaction.github.supplychain import supply_section
from hubaction.oci.digest import Digest
from hubaction.oci.mediatypes import OCI_MANIFEST
from hubaction.oci.referrers import COSIGN_SIGNATURE, SPDX, Attestation, Referrer, SupplyChain

ATT = Digest("sha256", "9" * 64)
SLSA = "https://slsa.dev/provenance/v1"


def _referrer(subject: Digest, artifact_type: str, annotations: dict[str, str]) -> Referrer:
    return Referrer(subject, ATT, OCI_MANIFEST, artifact_type, 10, annotations, "api")


def test_nothing_to_say_without_attestations_or_referrers() -> None:
    assert supply_section(sample_info(), SupplyChain(())) is None


def test_rows_per_platform_and_the_index() -> None:
    chain = SupplyChain(
        (
            Attestation(AMD64_DIGEST, ATT, "index", None, (SPDX, SLSA)),
            Attestation(ARM64_DIGEST, ATT, "index", None, (SLSA,)),
        ),
        (_referrer(INDEX_DIGEST, COSIGN_SIGNATURE, {}),),
        listed_by="api",
    )
    table = supply_section(sample_info(), chain)
    assert table is not None
    rows = {row[0]: row[2:5] for row in table.rows}
    assert rows == {
        "the index": ("**yes**", "no", "no"),
        "linux/amd64": ("no", "yes", "yes"),
        "linux/arm64/v8": ("no", "no", "yes"),
    }
    assert "referrers API" in table.note


def test_not_looked_up() -> None:
    chain = SupplyChain((Attestation(AMD64_DIGEST, ATT, "index"),))
    table = supply_section(sample_info(), chain)
    assert table is not None
    assert {row[2] for row in table.rows} == {"not looked up"}
    assert "`referrers: true`" in table.note


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_text_is_inert(text: str) -> None:
    info = _image(text)
    hostile = {text: text, "dev.sigstore.bundle.predicateType": text}
    chain = SupplyChain(
        (Attestation(info.platform_digest, ATT, "api", info.platform, (text,)),),
        (_referrer(info.digest, text, hostile),),
        listed_by="tag-schema",
        notes=(text,),
    )
    assert_inert(render([supply_section(info, chain)]))
    assert_inert(render([supply_section(replace(info, index=None), chain)]))
