"""Withdrawals: records a source stopped listing, when the source itself never says "deleted".

RSS/Atom feeds, JSON-LD pages, CSV exports and OAI-PMH repositories whose ``Identify`` says
``deletedRecord=no`` only ever show what exists. After a *complete* harvest of such a source, a
record the ledger holds but this run did not see (``last_run_id`` is another run) has been taken
down: it is marked deleted like an OAI deletion (``deleted``, content hash of "deleted", payload
kept), so the process step gives it status ``deleted`` and the index drops it.

A source that suddenly lists a third of its records must not empty its portal: the caller can
*hold* the withdrawals (the anomaly guard decides when), which lists the would-be withdrawals in
the run report and changes nothing.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ren_index.harvest.base import content_hash
from ren_index.ledger import store
from ren_index.ledger.models import RawRecordRow


def absent_identifiers(session: Session, source_id: str, run_id: int) -> list[str]:
    """Identifiers of the source's live raw records that run ``run_id`` did not see."""
    query = (
        select(RawRecordRow.identifier)
        .where(
            RawRecordRow.source_id == source_id,
            RawRecordRow.deleted.is_(False),
            (RawRecordRow.last_run_id != run_id) | RawRecordRow.last_run_id.is_(None),
        )
        .order_by(RawRecordRow.identifier)
    )
    return list(session.scalars(query))


def withdraw_absent(session: Session, source_id: str, run_id: int, *, hold: bool = False) -> int:
    """Mark deleted every live record of the source absent from run ``run_id``; return how many.

    With ``hold`` nothing is changed and the number is what *would* be withdrawn. Each withdrawal
    is an event of the audit trail (``withdrawn``), so a librarian can see why a record left.
    """
    absent = set(absent_identifiers(session, source_id, run_id))
    if hold or not absent:
        return len(absent)
    rows = session.scalars(
        select(RawRecordRow).where(RawRecordRow.source_id == source_id, RawRecordRow.deleted.is_(False))
    )
    deleted_hash = content_hash(None, True)
    for row in rows:
        if row.identifier not in absent:
            continue
        row.deleted = True
        row.content_hash = deleted_hash
        store.record_event(
            session,
            actor="harvester",
            action="withdrawn",
            resource_id=store.resource_id(source_id, row.identifier),
            source_id=source_id,
            run_id=run_id,
            comment="absent from a complete harvest of a source that does not report deletions",
        )
    return len(absent)
