"""Paths and values shared by the normalize tests."""

from __future__ import annotations

from pathlib import Path

from ren_index.model import Provenance

RECORDS = Path(__file__).resolve().parents[1] / "fixtures" / "records"
"""Records written for ren-index (oai_dc and LOM, French and English)."""

SHARED = Path(__file__).resolve().parents[2].parent / "shared"
"""Other projects' reference files; read in place, never copied into the repository."""


def provenance(metadata_format: str = "oai_dc") -> Provenance:
    return Provenance(source="test", identifier="oai:test:1", metadata_format=metadata_format)
