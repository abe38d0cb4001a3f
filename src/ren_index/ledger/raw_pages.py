"""Storing one harvested page of raw records with a constant number of queries.

Asking the database once per record flushes the records added before each question: at 100
records a page that was most of a harvest's time. Here a page costs one
``SELECT ... WHERE identifier IN (...)`` for the records the ledger already knows, in-memory
comparison of content hashes, and one flush of the new and changed rows.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from ren_index.harvest.base import RawRecord
from ren_index.ledger.models import RawRecordRow, utcnow

IN_CHUNK = 500
"""Identifiers per ``IN`` list (well under every backend's parameter limit)."""


def upsert_page(
    session: Session, source_id: str, records: Sequence[RawRecord], run_id: int | None
) -> Counter[str]:
    """Store a page's records (those with an identifier); count ``new/updated/unchanged/deleted``.

    ``run_id`` is ``None`` for a record pushed outside any run (a platform's contribution)."""
    identifiers = list(dict.fromkeys(r.identifier for r in records if r.identifier is not None))
    known: dict[str, RawRecordRow] = {}
    for start in range(0, len(identifiers), IN_CHUNK):
        chunk = identifiers[start : start + IN_CHUNK]
        query = select(RawRecordRow).where(
            RawRecordRow.source_id == source_id, RawRecordRow.identifier.in_(chunk)
        )
        with session.no_autoflush:
            known.update({row.identifier: row for row in session.scalars(query)})
    outcomes: Counter[str] = Counter()
    now = utcnow()
    for rec in records:
        if rec.identifier is None:
            continue
        digest = rec.content_hash
        row = known.get(rec.identifier)
        if row is None:
            row = RawRecordRow(
                source_id=source_id,
                identifier=rec.identifier,
                datestamp=rec.datestamp,
                deleted=rec.deleted,
                metadata_prefix=rec.metadata_prefix,
                set_specs=list(rec.set_specs),
                payload=rec.payload,
                content_hash=digest,
                first_seen=now,
                last_seen=now,
                last_run_id=run_id,
            )
            session.add(row)
            known[rec.identifier] = row  # the same identifier later in the page updates this row
            outcomes["deleted" if rec.deleted else "new"] += 1
            continue
        row.last_seen = now
        row.last_run_id = run_id
        row.datestamp = rec.datestamp or row.datestamp
        if row.content_hash == digest:
            outcomes["unchanged"] += 1
            continue
        row.content_hash = digest
        row.deleted = rec.deleted
        row.metadata_prefix = rec.metadata_prefix
        row.set_specs = list(rec.set_specs)
        if not rec.deleted:
            row.payload = rec.payload
        # A deletion keeps the last payload: the record can still be shown and advertised as deleted.
        outcomes["deleted" if rec.deleted else "updated"] += 1
    return outcomes
