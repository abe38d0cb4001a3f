"""Record versions: a decision or correction is taken on the record its author saw, or refused.

Two documentalists on one queue open the same record; one approves, the other — still looking at
the old page — rejects. Without a check the second silently overwrites the first. Every change a
person could have missed raises ``resources.version`` by one (a person's decision, correction or
undo here; a processing step that changes the record's content, issues or status in
:mod:`ren_index.steps.process`). A form or a command carries the version its author saw; when the
record's version differs, :func:`lock_current` raises :class:`StaleRecordError`, which says what
changed since (the audit trail's events tagged with a newer version: who, what, when in Montreal
time), so the person can read the current record and decide again.

Events written by a person's action carry the version they produced in ``after["version"]``; that
is how "since your version" is found. A change without an event (a re-harvest that changed the
text but not the status) is said in general words.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ren_index.config.clock import MONTREAL, as_moment, french_hour
from ren_index.ledger.models import Event, ResourceRow
from ren_index.overlays import FIELD_LABELS, ReviewError

__all__ = ["Change", "StaleRecordError", "changes_since", "lock_current", "moment_words", "raise_version"]

STATUS_WORDS = {
    "approved": ("approuvée", "approved"),
    "needs_review": ("à réviser", "to review"),
    "rejected": ("rejetée", "rejected"),
    "deleted": ("retirée par sa source", "withdrawn at its source"),
}
MAX_CHANGES = 8
"""Events listed in a stale message (the newest; the record's history has the rest)."""


@dataclass(frozen=True)
class Change:
    """One thing that happened to a record since a person's version, in both languages."""

    text_fr: str
    text_en: str


class StaleRecordError(ReviewError):
    """The record changed since the version its author saw: nothing was done; say what changed."""

    def __init__(self, record_id: str, seen: int, current: int, changes: list[Change]) -> None:
        self.record_id = record_id
        self.seen = seen
        self.current = current
        self.changes = changes
        listed_fr = " ; ".join(c.text_fr for c in changes)
        listed_en = "; ".join(c.text_en for c in changes)
        super().__init__(
            f"La notice a changé depuis que vous l'avez ouverte : {listed_fr}. Rien n'a été fait :"
            " relisez la notice à jour et décidez de nouveau.",
            f"The record changed since you opened it: {listed_en}. Nothing was done: read the"
            " current record and decide again.",
        )


def moment_words(value: datetime | str | None, now: datetime | None = None) -> tuple[str, str]:
    """« à 14 h 05 HNE » / "at 14:05 EST", with the date when it is not today in Montreal."""
    moment = as_moment(value)
    if moment is None:
        return "", ""
    local = moment.astimezone(MONTREAL)
    zone = local.tzname() or ""
    clock_fr = french_hour(local)
    clock_en = f"{local:%H:%M} {zone}"
    today = (now or datetime.now(UTC)).astimezone(MONTREAL).date()
    if local.date() == today:
        return f"à {clock_fr}", f"at {clock_en}"
    return f"le {local:%Y-%m-%d} à {clock_fr}", f"on {local:%Y-%m-%d} at {clock_en}"


def _fields(value: Any) -> tuple[str, str]:
    names = [n for n in (value or {}) if n in FIELD_LABELS]
    return ", ".join(FIELD_LABELS[n][0] for n in names), ", ".join(FIELD_LABELS[n][1] for n in names)


def describe(event: Event) -> Change:
    """One event in words, both languages: « approuvée par marie à 14 h 05 HNE »."""
    who = event.actor
    when_fr, when_en = moment_words(event.at)
    after = event.after if isinstance(event.after, dict) else {}
    action = event.action
    if action == "approved":
        fr, en = f"approuvée par {who}", f"approved by {who}"
    elif action == "rejected":
        fr, en = f"rejetée par {who}", f"rejected by {who}"
    elif action == "withdrawn" and who == "harvester":
        fr, en = "retirée par sa source", "withdrawn at its source"
    elif action == "withdrawn":
        fr, en = f"remise en file par {who}", f"put back in the queue by {who}"
    elif action == "corrected":
        fields_fr, fields_en = _fields(after)
        fr, en = f"corrigée par {who} ({fields_fr})", f"corrected by {who} ({fields_en})"
    elif action == "correction_kept":
        fr, en = f"correction maintenue par {who}", f"correction kept by {who}"
    elif action == "undo":
        fr, en = f"décision annulée par {who}", f"decision undone by {who}"
    elif action == "decided":
        status = str(after.get("status"))
        status_fr, status_en = STATUS_WORDS.get(status, (status, status))
        fr = f"décidée de nouveau par les règles : {status_fr}"
        en = f"decided again by the rules: {status_en}"
    else:
        fr, en = f"{action} ({who})", f"{action} ({who})"
    if event.comment and action in ("rejected", "withdrawn", "undo") and who != "harvester":
        fr, en = f"{fr} (« {event.comment} »)", f"{en} (“{event.comment}”)"
    return Change(f"{fr} {when_fr}", f"{en} {when_en}")


def changes_since(session: Session, row: ResourceRow, seen: int) -> list[Change]:
    """What happened to the record after version ``seen``, oldest first (never empty)."""
    events = session.scalars(
        select(Event).where(Event.resource_id == row.id).order_by(Event.id.desc()).limit(200)
    ).all()
    newer = [e for e in events if _version_of(e) is not None and (_version_of(e) or 0) > seen]
    changes = [describe(e) for e in reversed(newer[:MAX_CHANGES])]
    if not changes:
        when_fr, when_en = moment_words(row.updated_at)
        changes.append(
            Change(
                f"mise à jour par une nouvelle moisson ou un nouveau traitement {when_fr}",
                f"updated by a new harvest or processing {when_en}",
            )
        )
    return changes


def _version_of(event: Event) -> int | None:
    after = event.after if isinstance(event.after, dict) else {}
    version = after.get("version")
    return version if isinstance(version, int) else None


def lock_current(session: Session, row: ResourceRow, expected: int | None) -> int:
    """Lock the record for this transaction and check it is still at ``expected``; its version.

    ``expected`` ``None`` (a command run without ``--version``) skips the check. The row lock
    (``SELECT … FOR UPDATE`` on PostgreSQL; SQLite's single writer does the same) makes a second
    decision on the same record wait for the first and then find it stale.
    """
    session.refresh(row, with_for_update=True)
    current = row.version or 1
    if expected is not None and expected != current:
        raise StaleRecordError(row.id, expected, current, changes_since(session, row, expected))
    return current


def raise_version(row: ResourceRow, seen: int) -> int:
    """The version one person's action produces (one step, whatever processing did inside it)."""
    row.version = seen + 1
    return row.version
