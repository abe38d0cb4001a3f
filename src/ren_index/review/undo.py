"""Undo a decision for a short time after it: a slip of the finger (``a`` pressed on the wrong
record) or a second thought costs one click, not a withdrawal with a reason.

The decision's own audit event says what it replaced (``before``: status, decider, date, portals;
:func:`ren_index.review.decisions._decide`), so the undo puts exactly that back and writes an
``undo`` event naming the undone one (``after["undoes"]``); the trail keeps both. Publication
follows as after a decision (:func:`ren_index.review.publish.publish`, called by the web action
and the command).

An undo is refused, with its reason in French and English, unless all of these hold:

* the decision is the newest person's decision on the record (and was not undone already);
* the person undoing is its author, or an admin;
* nothing changed since (the record's version is still the one the decision produced, and the
  version the person saw when one is given);
* it is at most :data:`UNDO_WINDOW` old.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from ren_index.config.clock import as_moment
from ren_index.ledger import store
from ren_index.ledger.models import Event, ResourceRow, utcnow
from ren_index.overlays import ReviewError
from ren_index.review.decisions import find_resource
from ren_index.review.versions import (
    Change,
    StaleRecordError,
    changes_since,
    lock_current,
    moment_words,
    raise_version,
)

__all__ = ["DECISION_ACTIONS", "UNDO_WINDOW", "UndoResult", "Undoable", "undo_decision", "undoable"]

UNDO_WINDOW = timedelta(minutes=10)
"""How long after a decision it can be undone (afterwards: withdraw it, with a reason)."""
DECISION_ACTIONS = ("approved", "rejected", "withdrawn")
"""The events of a person's decision (``withdrawn`` by the harvester is the source's, not one)."""
UNDO_ACTION = "undo"
ADMIN = "admin"


@dataclass(frozen=True)
class Undoable:
    """The decision a person may undo now on a record: its event, and the version it produced."""

    record_id: str
    event_id: int
    action: str
    version: int
    until: datetime


@dataclass(frozen=True)
class UndoResult:
    """What an undo did: the record's status now and the decision it undid."""

    record_id: str
    status: str
    undone_action: str
    undone_event: int


def _latest_decision(session: Session, record_id: str) -> tuple[Event | None, set[int]]:
    """The newest person's decision on the record, and the ids of the decisions undone since."""
    undone: set[int] = set()
    events = session.scalars(
        select(Event)
        .where(Event.resource_id == record_id, Event.action.in_([*DECISION_ACTIONS, UNDO_ACTION]))
        .order_by(Event.id.desc())
        .limit(50)
    )
    for event in events:
        after = event.after if isinstance(event.after, dict) else {}
        if event.action == UNDO_ACTION:
            if isinstance(after.get("undoes"), int):
                undone.add(after["undoes"])
            continue
        if event.actor == "harvester":
            continue
        return event, undone
    return None, undone


def _refusal(fr: str, en: str) -> ReviewError:
    return ReviewError(f"Impossible d'annuler : {fr}", f"Cannot undo: {en}")


def _check(
    session: Session,
    row: ResourceRow,
    actor: str,
    role: str | None,
    event_id: int | None,
    now: datetime,
) -> Event:
    """The decision to undo, or a :class:`ReviewError` saying why it cannot be undone."""
    event, undone = _latest_decision(session, row.id)
    if event is None:
        raise _refusal("aucune décision sur cette notice.", "no decision on this record.")
    if event_id is not None and event.id != event_id:
        raise _refusal(
            "ce n'est plus la dernière décision sur cette notice (voir l'historique).",
            "it is no longer the newest decision on this record (see its history).",
        )
    if event.id in undone:
        raise _refusal("cette décision est déjà annulée.", "this decision was undone already.")
    if event.actor != actor and role != ADMIN:
        raise _refusal(
            f"seul son auteur ({event.actor}) ou un administrateur peut annuler cette décision.",
            f"only its author ({event.actor}) or an admin can undo this decision.",
        )
    at = as_moment(event.at) or now
    if now - at > UNDO_WINDOW:
        when_fr, when_en = moment_words(at, now)
        minutes = int(UNDO_WINDOW.total_seconds() // 60)
        raise _refusal(
            f"la décision date de plus de {minutes} minutes (prise {when_fr}) ; remettez la notice en"
            " file avec un motif.",
            f"the decision is more than {minutes} minutes old (taken {when_en}); put the record back"
            " in the queue with a reason.",
        )
    produced = _version_of(event)
    if produced is None or produced != (row.version or 1):
        raise _changed(changes_since(session, row, produced or 0))
    return event


def _changed(changes: list[Change]) -> ReviewError:
    return _refusal(
        "la notice a changé depuis : " + " ; ".join(c.text_fr for c in changes) + ".",
        "the record changed since: " + "; ".join(c.text_en for c in changes) + ".",
    )


def _version_of(event: Event) -> int | None:
    after = event.after if isinstance(event.after, dict) else {}
    version = after.get("version")
    return version if isinstance(version, int) else None


def undoable(
    factory: sessionmaker[Session], record_id: str, *, actor: str, role: str | None = None
) -> Undoable | None:
    """The decision ``actor`` may undo on this record right now, if any (for the banner's button)."""
    now = datetime.now(UTC)
    with factory() as session:
        row = session.get(ResourceRow, record_id)
        if row is None:
            return None
        try:
            event = _check(session, row, actor, role, None, now)
        except ReviewError:
            return None
        at = as_moment(event.at) or now
        return Undoable(row.id, event.id, event.action, row.version or 1, at + UNDO_WINDOW)


def undo_decision(
    factory: sessionmaker[Session],
    record_id: str,
    *,
    actor: str,
    role: str | None = None,
    expected_version: int | None = None,
    event_id: int | None = None,
) -> UndoResult:
    """Put the record back as it was before the newest decision, as ``actor`` (see the module)."""
    with factory.begin() as session:
        row = find_resource(session, record_id)
        try:
            seen = lock_current(session, row, expected_version)
        except StaleRecordError as exc:
            raise _changed(exc.changes) from exc
        event = _check(session, row, actor, role, event_id, datetime.now(UTC))
        before: dict[str, Any] = event.before if isinstance(event.before, dict) else {}
        restored = {
            "status": str(before.get("status") or row.status),
            "decided_by": str(before.get("decided_by") or "rules"),
        }
        replaced = {"status": row.status, "decided_by": row.decided_by}
        row.status = restored["status"]
        row.decided_by = restored["decided_by"]
        decided_at = as_moment(before.get("decided_at"))
        row.decided_at = decided_at or utcnow()
        if isinstance(before.get("portals"), list):
            row.portals = [str(p) for p in before["portals"]]
        row.updated_at = utcnow()
        version = raise_version(row, seen)
        store.record_event(
            session,
            actor=actor,
            action=UNDO_ACTION,
            resource_id=row.id,
            source_id=row.source_id,
            before=replaced,
            after={**restored, "undoes": event.id, "undone_action": event.action, "version": version},
        )
        return UndoResult(row.id, row.status, event.action, event.id)
