"""``ren-index index`` end to end: N approved records from the ledger into OpenSearch, then the
re-run with nothing new, then raw ``helpers.bulk`` of the same documents (issue 17).

Targets (issue 17): the first run at most 1.15× raw ``helpers.bulk`` of the same documents and
≥ 5,000 documents/s; the re-run with nothing new writes nothing to the index and costs a few % of
the first run. The ledger is filled directly (approved records of the shape the process step
writes, each its own group), so only the index step is timed. The time of the first run is split
into reading and building the documents (with their hashes) and writing the ledger back, in the
step's own thread, and sending them, in the background thread that overlaps them
(:mod:`ren_index.steps.index_send`); "waiting" is the rest of the step's thread: waiting for
OpenSearch's answers, and planning the batches.

    REN_OPENSEARCH_URL=http://127.0.0.1:9250 .venv/bin/python bench/index_end_to_end.py [--records 20000]
    REN_BENCH_POSTGRES_URL=postgresql+psycopg://... (the ledger on PostgreSQL instead of SQLite)
"""

from __future__ import annotations

import argparse
import os
import secrets
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def fill(db_url: str, total: int) -> None:
    """``total`` approved records of one source, written in batches."""
    from sqlalchemy import insert

    from ren_index.ledger.db import open_ledger
    from ren_index.ledger.models import RawRecordRow, ResourceRow, SourceRow
    from ren_index.ledger.store import resource_id
    from ren_index.model import Provenance, Resource

    factory = open_ledger(db_url)
    now = datetime(2025, 6, 1, tzinfo=UTC)
    with factory.begin() as session:
        session.add(
            SourceRow(id="bench", name="Bench", type="oai", url="https://bench.example/oai", config={})
        )
    for start in range(0, total, 1000):
        raws: list[dict[str, Any]] = []
        rows: list[dict[str, Any]] = []
        for n in range(start, min(start + 1000, total)):
            identifier = f"oai:bench:{n}"
            resource = Resource(
                provenance=Provenance(source="bench", identifier=identifier, metadata_format="oai_dc")
            )
            resource.general.title = {"fr": f"Ressource n° {n} : fonctions et dérivées"}
            resource.general.description = {
                "fr": f"Notes de cours et exercices corrigés, ressource {n}. " * 3
            }
            resource.general.languages = ["fr"]
            resource.controlled.languages = ["fr"]
            resource.controlled.url = f"https://ressources.example.org/r/{n}"
            resource.technical.locations = [resource.controlled.url]
            raws.append(
                {
                    "id": n + 1,
                    "source_id": "bench",
                    "identifier": identifier,
                    "metadata_prefix": "oai_dc",
                    "payload": "<x/>",
                    "content_hash": str(n),
                    "processed_hash": str(n),
                    "deleted": False,
                    "set_specs": [],
                    "first_seen": now,
                    "last_seen": now,
                }
            )
            rows.append(
                {
                    "id": resource_id("bench", identifier),
                    "raw_id": n + 1,
                    "source_id": "bench",
                    "record": resource.model_dump(mode="json"),
                    "issues": [],
                    "status": "approved",
                    "portals": ["pavillon"] if n % 2 else ["pavillon", "ecole-ouverte"],
                    "decided_by": "rules",
                    "decided_at": now,
                    "updated_at": now,
                    "quality_score": 70,
                    "version": 1,
                }
            )
        with factory.begin() as session:
            session.execute(insert(RawRecordRow), raws)
            session.execute(insert(ResourceRow), rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=20_000)
    args = parser.parse_args()
    total: int = args.records

    from opensearchpy import helpers

    from ren_index.config.rules import load_portals
    from ren_index.config.vocabularies import load_vocabularies
    from ren_index.index import bulk
    from ren_index.index.client import make_client
    from ren_index.index.schema import create_index, index_name
    from ren_index.ledger.db import open_ledger
    from ren_index.settings import Settings
    from ren_index.steps import index as index_step
    from ren_index.steps import index_send

    url = os.environ.get("REN_OPENSEARCH_URL", "http://127.0.0.1:9200")
    client = make_client(Settings(opensearch_url=url))
    portals = list(load_portals(ROOT / "config"))
    vocabularies = load_vocabularies(ROOT / "config")
    prefix = f"bench{secrets.token_hex(3)}"
    timing: dict[str, float] = {"send": 0.0, "build": 0.0, "settle": 0.0}
    sent: list[tuple[str, dict[str, Any]]] = []
    real_send = bulk.send

    def timed(real: Any, what: str) -> Any:
        def call(*a: Any, **kw: Any) -> Any:
            started = time.perf_counter()
            try:
                return real(*a, **kw)
            finally:
                timing[what] += time.perf_counter() - started

        return call

    def timed_send(*a: Any, **kw: Any) -> bulk.BulkResult:
        started = time.perf_counter()
        try:
            return real_send(*a, **kw)
        finally:
            timing["send"] += time.perf_counter() - started
            sent.extend(a[2])

    index_send.send = timed_send  # the bench times them; nothing else changes
    index_step._placed = timed(index_step._placed, "build")  # reading the rows, building the documents
    index_send.document_hash = timed(index_send.document_hash, "build")
    index_step.settle = timed(index_step.settle, "settle")  # the ledger written back
    with tempfile.TemporaryDirectory() as tmp:
        db_url = os.environ.get("REN_BENCH_POSTGRES_URL") or f"sqlite:///{tmp}/bench.db"
        started = time.perf_counter()
        fill(db_url, total)
        print(
            f"ledger filled with {total:,} approved records in {time.perf_counter() - started:.1f} s"
            f" ({db_url.split(':')[0]})"
        )
        factory = open_ledger(db_url)
        try:

            def run() -> tuple[dict[str, Any], float]:
                began = time.perf_counter()
                report = index_step.index_changes(
                    factory, client, prefix, portals=portals, vocabularies=vocabularies
                )
                return dict(report["counts"]), time.perf_counter() - began

            counts, first = run()
            send_s, build_s, settle_s = timing["send"], timing["build"], timing["settle"]
            print(
                f"index, first run: {counts['indexed']:,} documents in {first:.1f} s ="
                f" {counts['indexed'] / first:,.0f} documents/s (target ≥ 5,000/s);"
                f" reading + building + hashing {build_s:.1f} s"
                f" ({counts['indexed'] / build_s:,.0f} documents/s), ledger writes {settle_s:.1f} s,"
                f" waiting and the rest {first - build_s - settle_s:.1f} s; sending {send_s:.1f} s"
                " (in the background, overlapping them)"
            )
            documents = list(sent)
            stats = client.indices.stats(index=f"{prefix}-resources", metric="indexing")["_all"]["primaries"]
            writes = stats["indexing"]["index_total"] + stats["indexing"]["delete_total"]
            timing["send"] = 0.0
            counts, again = run()
            stats = client.indices.stats(index=f"{prefix}-resources", metric="indexing")["_all"]["primaries"]
            more = stats["indexing"]["index_total"] + stats["indexing"]["delete_total"] - writes
            print(
                f"index, nothing new: {again:.2f} s = {100 * again / first:.1f} % of the first run"
                f" (target ≤ 5 %), {counts['indexed']} sent, {more} index writes (target 0),"
                f" unchanged {counts['unchanged']:,}"
            )
            raw_index = index_name(prefix, suffix="raw")
            create_index(client, raw_index)
            began = time.perf_counter()
            ok, _ = helpers.bulk(
                client,
                ({"_index": raw_index, "_id": rid, "_source": doc} for rid, doc in documents),
                chunk_size=500,
                request_timeout=120,
            )
            raw = time.perf_counter() - began
            print(
                f"raw helpers.bulk of the same {ok:,} documents: {raw:.1f} s = {ok / raw:,.0f} documents/s;"
                f" index first run / raw bulk: {first / raw:.2f}x (target ≤ 1.15x)"
            )
        finally:
            client.indices.delete(index=f"{prefix}-*", ignore_unavailable=True)


if __name__ == "__main__":
    main()
