"""Ledger queries used by the steps and the command line.

Small functions over a SQLAlchemy ``Session``; the caller owns the transaction, so a step can
write a page of records and its checkpoint atomically.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ren_index.config.sources import SourceConfig
from ren_index.ledger.models import Event, HarvestRun, RawRecordRow, ResourceRow, SourceRow, utcnow


def resource_id(source_id: str, identifier: str) -> str:
    """Stable resource id: the same source record always lands on the same row and document."""
    return hashlib.sha1(f"{source_id}\n{identifier}".encode()).hexdigest()


def sync_source(session: Session, source: SourceConfig) -> SourceRow:
    """Insert or refresh the ledger's copy of a configured source."""
    row = session.get(SourceRow, source.id)
    config = source.model_dump(mode="json")
    if row is None:
        new = SourceRow(id=source.id, name=source.name, type=source.type, url=source.url, config=config)
        try:
            with session.begin_nested():  # a savepoint: losing the race below undoes this insert only
                session.add(new)
            return new
        except IntegrityError:
            # Two processes registering a new source at once (PostgreSQL lets both read "absent"):
            # the other one's row is committed by now; refresh it like any known source.
            row = session.get_one(SourceRow, source.id)
    if row.config != config or row.url != source.url or row.name != source.name:
        row.name, row.type, row.url, row.config = source.name, source.type, source.url, config
        row.updated_at = utcnow()
    session.flush()
    return row


def record_event(
    session: Session,
    *,
    actor: str,
    action: str,
    resource_id: str | None = None,
    source_id: str | None = None,
    run_id: int | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    comment: str | None = None,
) -> None:
    """Append one event to the audit trail."""
    session.add(
        Event(
            **event_values(
                actor=actor,
                action=action,
                resource_id=resource_id,
                source_id=source_id,
                run_id=run_id,
                before=before,
                after=after,
                comment=comment,
            )
        )
    )


def event_values(
    *,
    actor: str,
    action: str,
    resource_id: str | None = None,
    source_id: str | None = None,
    run_id: int | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    comment: str | None = None,
) -> dict[str, Any]:
    """One event's columns, stamped now: :func:`record_event`'s row, or one of many written by a
    single statement (:class:`ren_index.steps.process_one.NewRows`)."""
    return {
        "actor": actor,
        "action": action,
        "resource_id": resource_id,
        "source_id": source_id,
        "run_id": run_id,
        "before": before,
        "after": after,
        "comment": comment,
        "at": utcnow(),
    }


def last_run(
    session: Session, source_id: str, *, kind: str = "harvest", statuses: tuple[str, ...] = ()
) -> HarvestRun | None:
    """The most recent run of ``kind`` for a source, optionally among some statuses."""
    query = select(HarvestRun).where(HarvestRun.source_id == source_id, HarvestRun.kind == kind)
    if statuses:
        query = query.where(HarvestRun.status.in_(statuses))
    return session.scalar(query.order_by(HarvestRun.id.desc()).limit(1))


def status_counts(session: Session, source_id: str | None = None) -> dict[str, int]:
    """Resources per status (and ``total``), for one source or all."""
    query = select(ResourceRow.status, func.count()).group_by(ResourceRow.status)
    if source_id:
        query = query.where(ResourceRow.source_id == source_id)
    counts: Counter[str] = Counter({"approved": 0, "needs_review": 0, "rejected": 0, "deleted": 0})
    for status, n in session.execute(query):
        counts[status] += n
    raw_total = select(func.count()).select_from(RawRecordRow)
    if source_id:
        raw_total = raw_total.where(RawRecordRow.source_id == source_id)
    result = dict(counts)
    result["total"] = session.scalar(raw_total) or 0
    return result


def content_of(row: ResourceRow | None) -> tuple[Any, ...] | None:
    """What a person reads of a record (its harvest date aside): the process step snapshots it
    before writing, so :func:`mark_updated` raises ``version`` only when it really changed."""
    if row is None:
        return None
    record = dict(row.record or {})
    provenance = record.get("provenance") or {}
    record["provenance"] = {k: v for k, v in provenance.items() if k != "harvested_at"}
    return (record, row.issues, row.status, row.portals)


def mark_updated(row: ResourceRow, seen: tuple[Any, ...] | None) -> int | None:
    """Stamp a rewritten record; one version up when it changed since ``seen`` (a person's page
    of the old version is then stale: :mod:`ren_index.review.versions`). Its version."""
    row.updated_at = utcnow()
    if seen is not None and content_of(row) != seen:
        row.version = (row.version or 1) + 1
    return row.version
