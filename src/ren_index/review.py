"""A person's decision on a record: the same rules for the shell and (later) the web UI.

The decision is written to the ledger with an audit event; publication follows on the next
``index`` run (the index step sends approved records and removes the others).
"""

from __future__ import annotations

from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from ren_index.errors import ConfigError, RenIndexError
from ren_index.ledger import store
from ren_index.ledger.models import ResourceRow, utcnow

PersonDecision = Literal["approved", "rejected"]


def find_resource(session: Session, record_id: str) -> ResourceRow:
    """A resource by id, or by an unambiguous prefix of at least 6 characters."""
    row = session.get(ResourceRow, record_id)
    if row is None and len(record_id) >= 6:
        matches = session.scalars(
            select(ResourceRow).where(ResourceRow.id.startswith(record_id)).limit(2)
        ).all()
        row = matches[0] if len(matches) == 1 else None
    if row is None:
        raise ConfigError(f"no record {record_id!r} in the ledger (see `ren-index queue`)")
    return row


def decide_by_person(
    factory: sessionmaker[Session],
    record_id: str,
    decision: PersonDecision,
    *,
    actor: str,
    comment: str | None = None,
) -> str:
    """Approve or reject one record as ``actor``; returns the new status."""
    if decision == "rejected" and not (comment and comment.strip()):
        raise RenIndexError("a rejection needs a reason (--reason)")
    with factory.begin() as session:
        row = find_resource(session, record_id)
        if row.status == "deleted":
            raise RenIndexError(f"record {row.id} was withdrawn at its source; nothing to decide")
        if decision == "approved" and row.record is None:
            raise RenIndexError(f"record {row.id} has no normalized metadata to publish")
        before = {"status": row.status, "decided_by": row.decided_by}
        row.status = decision
        row.decided_by = actor
        row.decided_at = utcnow()
        store.record_event(
            session,
            actor=actor,
            action=decision,
            resource_id=row.id,
            source_id=row.source_id,
            before=before,
            after={"status": decision, "decided_by": actor},
            comment=comment,
        )
        return row.status
