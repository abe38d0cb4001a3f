"""Benchmark: the duplicates step on a real ledger — every record, then 1,000 new ones incrementally.

    .venv/bin/python bench/duplicates_ledger.py [--records 100000] [--new 1000] [--seed 16]
    REN_BENCH_POSTGRES_URL=postgresql+psycopg://… .venv/bin/python bench/duplicates_ledger.py

The records of ``bench/duplicates_scale.py`` (same generator, same seed) written as approved rows
of a fresh ledger (a SQLite file in a temporary folder, or the PostgreSQL database the variable
names — emptied first), then ``find_duplicates`` timed as ``ren-index process`` runs it: first
over every record (signatures, the table of keys, candidates found by key in the ledger, pairs,
groups), then after 1,000 new records are added — the incremental case the issue sets at < 5 s,
where each new record is compared with the records sharing its keys in the ledger, never with
everything. Prints the times, records/s, the ledger's rows and the peak memory (RSS) after each
phase: it stays bounded by one batch, not by the number of records.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import func, insert, select, text

sys.path.insert(0, str(Path(__file__).parent))
from duplicates_scale import Generator, peak_mib

from ren_index.ledger.db import open_ledger
from ren_index.ledger.models import (
    DupKey,
    DupMember,
    DupPair,
    RawRecordRow,
    ResourceRow,
    SourceRow,
)
from ren_index.model import Identifier, Provenance, Resource
from ren_index.steps.duplicates import find_duplicates

CHUNK = 2_000


def _record(rec: dict[str, object]) -> dict[str, object]:
    resource = Resource(
        provenance=Provenance(source=str(rec["source"]), identifier=str(rec["id"]), metadata_format="lom")
    )
    language = next(iter(rec["languages"]))  # type: ignore[call-overload]
    resource.general.title = {language: str(rec["title"])}
    resource.general.description = {language: str(rec["description"])}
    resource.general.languages = [language]
    resource.general.identifiers = [Identifier(catalog="URI", entry=str(i)) for i in rec["identifiers"]]  # type: ignore[attr-defined]
    resource.technical.locations = [str(rec["url"])]
    resource.controlled.url = str(rec["url"])
    resource.controlled.languages = [language]
    return resource.model_dump(mode="json")


def write(factory: object, records: list[dict[str, object]], first_raw: int) -> None:
    """Approved rows for ``records`` (raw ids from ``first_raw``), a few thousand per statement."""
    for start in range(0, len(records), CHUNK):
        chunk = records[start : start + CHUNK]
        with factory.begin() as session:  # type: ignore[attr-defined]
            raws = [
                {"id": first_raw + start + n, "source_id": r["source"], "identifier": r["id"],
                 "metadata_prefix": "lom", "payload": "<x/>", "content_hash": "x", "set_specs": []}
                for n, r in enumerate(chunk)
            ]  # fmt: skip
            session.execute(insert(RawRecordRow), raws)
            session.execute(
                insert(ResourceRow),
                [
                    {"id": r["id"], "raw_id": raw["id"], "source_id": r["source"], "record": _record(r),
                     "issues": [], "status": "approved", "portals": ["pavillon"]}
                    for r, raw in zip(chunk, raws, strict=True)
                ],
            )  # fmt: skip


def counts(factory: object) -> str:
    with factory() as session:  # type: ignore[operator]
        keys = session.scalar(select(func.count()).select_from(DupKey))
        pairs = session.scalar(select(func.count()).select_from(DupPair))
        members = session.scalar(select(func.count()).select_from(DupMember))
    return f"{keys:,} keys, {pairs:,} pairs, {members:,} records in groups"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--new", type=int, default=1_000)
    parser.add_argument("--seed", type=int, default=16)
    args = parser.parse_args()

    gen = Generator(args.seed)
    pool: list[dict[str, object]] = []
    records = gen.batch(args.records, pool)
    new_records = gen.batch(args.new, pool)
    pg = os.environ.get("REN_BENCH_POSTGRES_URL")
    folder = tempfile.TemporaryDirectory()
    url = pg or f"sqlite:///{Path(folder.name) / 'ledger.sqlite'}"
    if pg:
        from sqlalchemy import create_engine

        engine = create_engine(pg)
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        engine.dispose()
    factory = open_ledger(url)
    backend = "PostgreSQL" if pg else "SQLite"
    with factory.begin() as session:
        from duplicates_scale import SOURCES

        for sid in SOURCES:
            session.add(
                SourceRow(
                    id=sid, name=sid, type="oai", url=f"https://{sid}.example/oai", config={"priority": 0}
                )
            )
    started = time.perf_counter()
    write(factory, records, 1)
    print(f"{backend}: {len(records):,} approved records written in {time.perf_counter() - started:.1f} s;"
          f" peak memory {peak_mib():.0f} MiB")  # fmt: skip

    started = time.perf_counter()
    run = find_duplicates(factory)
    first = time.perf_counter() - started
    print(
        f"find_duplicates over {len(records):,} records: {first:.1f} s"
        f" ({len(records) / first:,.0f} records/s);"
        f" {run.counts['new'] + run.counts['auto']:,} pairs ({run.counts['auto']:,} grouped by the rules),"
        f" {run.counts['groups']:,} groups; {counts(factory)}; peak memory {peak_mib():.0f} MiB"
    )
    write(factory, new_records, len(records) + 1)
    started = time.perf_counter()
    run = find_duplicates(factory)
    inc = time.perf_counter() - started
    print(
        f"{len(new_records):,} new records, incremental: {inc:.2f} s (signatures, keys, candidates from the"
        f" ledger, pairs, regrouping) — target < 5 s: {'met' if inc < 5 else 'NOT MET'};"
        f" {run.counts['signed']:,} signed, {run.counts['compared']:,} comparisons,"
        f" {run.counts['new'] + run.counts['auto']:,} pairs; peak memory {peak_mib():.0f} MiB"
    )
    started = time.perf_counter()
    run = find_duplicates(factory)
    print(f"a pass with nothing new: {time.perf_counter() - started:.2f} s ({run.counts['signed']} signed)")
    folder.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
