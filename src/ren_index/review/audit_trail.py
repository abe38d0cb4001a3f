"""The audit trail as people read it: a record's history, and every event as CSV for a spreadsheet.

Moved out of :mod:`ren_index.review.queries` (which re-exports these names, so callers are
unchanged) when the queue grew its search, claims and sorts.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from ren_index.config.clock import local_time, utc_iso
from ren_index.ledger.models import Event
from ren_index.review.decisions import find_resource


def _event(event: Event) -> dict[str, Any]:
    return {
        "id": event.id,
        "at": utc_iso(event.at),
        "actor": event.actor,
        "action": event.action,
        "resource_id": event.resource_id,
        "source_id": event.source_id,
        "run_id": event.run_id,
        "before": event.before,
        "after": event.after,
        "comment": event.comment,
    }


def history(factory: sessionmaker[Session], record_id: str) -> list[dict[str, Any]]:
    """Every event of one record, newest first."""
    with factory() as session:
        rid = find_resource(session, record_id).id
        events = session.scalars(
            select(Event).where(Event.resource_id == rid).order_by(Event.at.desc(), Event.id.desc())
        )
        return [_event(e) for e in events]


CSV_COLUMNS = (
    "id",
    "at",
    "actor",
    "action",
    "resource_id",
    "source_id",
    "run_id",
    "before",
    "after",
    "comment",
)
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
CSV_BOM = "\ufeff"
"""Written first in every CSV file we hand out, so spreadsheets (Excel) read UTF-8 accents right."""


def csv_cell(value: Any) -> str:
    """One CSV cell: JSON for structures, and never a formula a spreadsheet would run.

    The one cell writer of every CSV export (audit trail, a source's report): a title or an issue
    value starting with ``=``, ``+``, ``-`` or ``@`` comes from a partner and must stay text.
    """
    if value is None:
        text = ""
    elif isinstance(value, (dict, list)):
        text = json.dumps(value, ensure_ascii=False, sort_keys=True)
    else:
        text = str(value)
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def iter_events_csv(factory: sessionmaker[Session], record_id: str | None = None) -> Iterator[str]:
    """The audit trail as CSV, a chunk at a time (for streaming responses), oldest first.

    ``at`` is Montreal time to the second with its zone (``2026-12-05 20:19:07 HNE``): the file is
    read by people in a spreadsheet, beside the review UI's dates, which say the same.
    """
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    with factory() as session:
        query = select(Event).order_by(Event.at, Event.id)
        if record_id is not None:
            query = query.where(Event.resource_id == find_resource(session, record_id).id)
        for n, event in enumerate(session.scalars(query.execution_options(yield_per=500)), 1):
            row = {**_event(event), "at": local_time(event.at, seconds=True)}
            writer.writerow([csv_cell(row[c]) for c in CSV_COLUMNS])
            if n % 500 == 0:
                yield out.getvalue()
                out.seek(0)
                out.truncate()
    yield out.getvalue()


def events_csv(factory: sessionmaker[Session], record_id: str | None = None) -> str:
    """The audit trail (of one record, or all) as one CSV document with a header."""
    return "".join(iter_events_csv(factory, record_id))
