"""A source's field coverage read from the ledger: one streamed pass over its live records.

The definition is :mod:`ren_index.quality.coverage`'s; this is the one query that feeds it, used
by the process step (which stores the result with each run, ``harvest_runs.coverage``) and by the
source's page (the coverage now). Only the three parts of each record's JSON the definition reads
are fetched, ``yield_per`` rows at a time: memory stays bounded whatever the source's size, and a
source of 50,000 records costs one scan of its rows, not a model per record.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ren_index.ledger.models import ResourceRow
from ren_index.model import Status
from ren_index.quality.coverage import Coverage, Tally

STREAM_ROWS = 1000
"""Rows fetched at a time (a server-side cursor on PostgreSQL)."""


def source_coverage(session: Session, source_id: str) -> Coverage:
    """The coverage of the source's live records (every status but ``deleted``), as they stand now."""
    record = ResourceRow.record
    query = (
        select(record["general"]["title"], record["general"]["description"], record["controlled"])
        .where(ResourceRow.source_id == source_id, ResourceRow.status != Status.DELETED.value)
        .execution_options(yield_per=STREAM_ROWS)
    )
    tally = Tally()
    for title, description, controlled in session.execute(query):
        tally.add({"general": {"title": title, "description": description}, "controlled": controlled})
    return tally.result()
