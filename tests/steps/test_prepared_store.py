"""The workers' duplicates signatures kept on disk come back exactly as they were given."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ren_index.demo.catalogue import demo_records
from ren_index.demo.records import metadata_xml
from ren_index.ledger import store
from ren_index.model import Provenance
from ren_index.normalize.registry import normalize
from ren_index.steps.duplicates import prepare
from ren_index.steps.prepared_store import BUFFER, PreparedSignatures


def _signed() -> dict[str, tuple[str, dict[str, Any]]]:
    """The demo catalogue's records signed as a worker signs them (record id → prepared)."""
    out: dict[str, tuple[str, dict[str, Any]]] = {}
    for record in demo_records():
        payload = None if record.deleted else metadata_xml(record, record.metadata_format)
        if payload is None:
            continue
        provenance = Provenance(
            source="demo", identifier=record.identifier, metadata_format=record.metadata_format
        )
        resource, _issues = normalize(payload, provenance)
        rid = store.resource_id("demo", record.identifier)
        out[rid] = prepare(resource, rid, resource.model_dump(mode="json"))
    return out


def test_signatures_come_back_as_given(tmp_path: Path) -> None:
    signed = _signed()
    assert len(signed) > 100
    kept = PreparedSignatures(tmp_path)
    copies = 0
    while copies * len(signed) <= BUFFER:  # past one buffer: some read from disk, some not yet written
        for rid, value in signed.items():
            kept[f"{copies}-{rid}"] = value
        copies += 1
    for n in range(copies):
        for rid, value in signed.items():
            back = kept.get(f"{n}-{rid}")
            assert back is not None
            assert back == value and json.dumps(back[1], sort_keys=True) == json.dumps(
                value[1], sort_keys=True
            )
    assert kept.get("never-signed") is None
    assert len(kept) == copies * len(signed)
    some = next(iter(signed))
    kept[f"0-{some}"] = ("another fingerprint", signed[some][1])  # signed again: the last one counts
    assert kept.get(f"0-{some}") == ("another fingerprint", signed[some][1])
    kept.close()


def test_the_file_stays_small(tmp_path: Path) -> None:
    """What the module promises of its disk use: under 2 KiB a record (MinHash packed), so about
    1.4 GiB in the temporary folder for a pass of a million new records."""
    signed = _signed()
    kept = PreparedSignatures(tmp_path)
    for n in range(10):
        for rid, value in signed.items():
            kept[f"{n}-{rid}"] = value
    kept.flush()
    kept.close()
    size = (tmp_path / "prepared-signatures.db").stat().st_size
    assert size / (10 * len(signed)) < 2048, size / (10 * len(signed))
