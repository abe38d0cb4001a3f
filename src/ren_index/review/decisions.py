"""What documentalists do to records — decide, correct, withdraw — as plain services.

The command line and the web pages call the same functions, so a decision means the same thing
wherever it is taken. Each takes the ledger's session factory and the acting person's name, runs in
one transaction and writes an audit event (who, what, before, after, comment) for every change.

Decisions are written to the ledger only; publication follows at once through
:func:`ren_index.review.publish.publish` — what the web pages and ``ren-index review
approve|reject`` both do after a decision — or, when OpenSearch is down, on the next ``index`` run.

Rules worth knowing (see also docs/validation.md, "Corrections"):

* A **correction** is an overlay (:mod:`ren_index.overlays`) stored with the source's value at
  edit time (``base_value``); correcting a field again records the source's *current* value as
  the new base, because the person corrected what the source says now. The record is rebuilt from
  its raw payload right away, so its issues and status reflect the correction.
* An edit is **not an approval**: a record the rules decided is decided again by the rules
  (it may leave the queue when the correction settles its last issue); a person's decision stands.
  ``approve=True`` ("save and approve") adds the person's approval in the same transaction.
* **Withdrawing** an approved (or rejected) record puts it back in the queue as the person's
  decision (``needs_review``), which removes it from the index on publication.
* **Versions**: every function takes the record's version its author saw (``expected_version``;
  ``None``, a command without ``--version``, skips the check) and raises
  :class:`~ren_index.review.versions.StaleRecordError` — saying what changed since — when the record
  moved on; each action that changes something raises the version by one
  (:mod:`ren_index.review.versions`). A decision's event keeps what it replaced (status, decider,
  portals, date) so it can be undone (:mod:`ren_index.review.undo`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from ren_index.config.rulebook import Rulebook
from ren_index.ledger import store
from ren_index.ledger.models import Overlay, RawRecordRow, ResourceRow, utcnow
from ren_index.overlays import EDITABLE_FIELDS, ReviewError, clean_value, same_value, source_value
from ren_index.review.versions import StaleRecordError, lock_current, raise_version
from ren_index.steps.process import reprocess_resource, source_config, source_resource

__all__ = [
    "BulkOutcome",
    "CorrectionResult",
    "PersonDecision",
    "RecordNotFoundError",
    "ReviewError",
    "StaleRecordError",
    "apply_suggestion",
    "bulk_decide",
    "decide_by_person",
    "find_resource",
    "keep_correction",
    "save_corrections",
    "withdraw",
]

PersonDecision = Literal["approved", "rejected"]


class RecordNotFoundError(ReviewError):
    """No record with that id (or id prefix) in the ledger."""


@dataclass(frozen=True)
class CorrectionResult:
    """What a correction did: the record's status afterwards and the fields that really changed."""

    status: str
    changed_fields: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class BulkOutcome:
    """What a bulk decision did: ``counts`` (decided, skipped, missing, stale), the decided ids and
    the refusals of the records that changed since the person's page (each says what changed)."""

    counts: dict[str, int]
    decided: list[str] = field(default_factory=list)
    stale: list[StaleRecordError] = field(default_factory=list)


def find_resource(session: Session, record_id: str) -> ResourceRow:
    """A resource by id, or by an unambiguous prefix of at least 6 characters."""
    row = session.get(ResourceRow, record_id)
    if row is None and len(record_id) >= 6:
        matches = session.scalars(
            select(ResourceRow).where(ResourceRow.id.startswith(record_id)).limit(2)
        ).all()
        row = matches[0] if len(matches) == 1 else None
    if row is None:
        raise RecordNotFoundError(
            f"aucune notice {record_id!r} dans le registre (voir `ren-index queue`)",
            f"no record {record_id!r} in the ledger (see `ren-index queue`)",
        )
    return row


# Decisions -----------------------------------------------------------------------------------


def _decide(
    session: Session,
    row: ResourceRow,
    status: str,
    actor: str,
    comment: str | None,
    action: str,
    version: int,
) -> None:
    """Set a person's status on one record, with its event (the caller checked it is allowed).

    The event's ``before`` keeps everything the decision replaced, for an undo; ``after`` the
    record's new ``version`` (the caller raises it to that).
    """
    before = {
        "status": row.status,
        "decided_by": row.decided_by,
        "decided_at": row.decided_at.isoformat() if row.decided_at else None,
        "portals": list(row.portals or []),
    }
    row.status = status
    row.decided_by = actor
    row.decided_at = utcnow()
    row.updated_at = utcnow()
    store.record_event(
        session,
        actor=actor,
        action=action,
        resource_id=row.id,
        source_id=row.source_id,
        before=before,
        after={"status": status, "decided_by": actor, "version": version},
        comment=comment,
    )


def _check_decision(row: ResourceRow, decision: PersonDecision) -> None:
    if row.status == "deleted":
        raise ReviewError(
            f"La notice {row.id} a été retirée par sa source : rien à décider.",
            f"Record {row.id} was withdrawn at its source; nothing to decide.",
        )
    if decision == "approved" and row.record is None:
        raise ReviewError(
            f"La notice {row.id} n'a pas de métadonnées normalisées à publier.",
            f"Record {row.id} has no normalized metadata to publish.",
        )


def _need_reason(comment: str | None, what_fr: str, what_en: str) -> None:
    if not (comment and comment.strip()):
        raise ReviewError(f"{what_fr} demande un motif.", f"{what_en} needs a reason (--reason).")


def decide_by_person(
    factory: sessionmaker[Session],
    record_id: str,
    decision: PersonDecision,
    *,
    actor: str,
    comment: str | None = None,
    expected_version: int | None = None,
) -> str:
    """Approve or reject one record as ``actor``; returns the new status."""
    if decision == "rejected":
        _need_reason(comment, "Un rejet", "A rejection")
    with factory.begin() as session:
        row = find_resource(session, record_id)
        seen = lock_current(session, row, expected_version)
        _check_decision(row, decision)
        _decide(session, row, decision, actor, comment, decision, raise_version(row, seen))
        return row.status


def bulk_decide(
    factory: sessionmaker[Session],
    ids: Iterable[str],
    decision: PersonDecision,
    *,
    actor: str,
    comment: str | None = None,
    versions: Mapping[str, int] | None = None,
) -> BulkOutcome:
    """The same decision on many records, in one transaction.

    A record that cannot take the decision (deleted at source, nothing to publish) or that no
    longer exists is counted and skipped, so one stale line of a queue page does not void the rest.
    A record whose version is not the one in ``versions`` (the queue page's) changed since the page
    was read: it is refused (counted ``stale``, with what changed) and the others go through. A
    record absent from ``versions`` is decided without a check.
    """
    if decision == "rejected":
        _need_reason(comment, "Un rejet", "A rejection")
    counts = {"decided": 0, "skipped": 0, "missing": 0, "stale": 0}
    decided: list[str] = []
    stale: list[StaleRecordError] = []
    with factory.begin() as session:
        for record_id in dict.fromkeys(ids):
            row = session.get(ResourceRow, record_id)
            if row is None:
                counts["missing"] += 1
                continue
            try:
                seen = lock_current(session, row, (versions or {}).get(record_id))
            except StaleRecordError as exc:
                counts["stale"] += 1
                stale.append(exc)
                continue
            try:
                _check_decision(row, decision)
            except ReviewError:
                counts["skipped"] += 1
                continue
            _decide(session, row, decision, actor, comment, decision, raise_version(row, seen))
            counts["decided"] += 1
            decided.append(row.id)
    return BulkOutcome(counts, decided, stale)


def withdraw(
    factory: sessionmaker[Session],
    record_id: str,
    *,
    actor: str,
    comment: str | None,
    expected_version: int | None = None,
) -> str:
    """Put a decided record back in the queue as ``actor``'s decision; returns ``needs_review``.

    As a person's decision it stands across unchanged re-harvests (the rules will not approve it
    again behind the person's back); publication then removes it from the index.
    """
    _need_reason(comment, "Un retrait", "A withdrawal")
    with factory.begin() as session:
        row = find_resource(session, record_id)
        seen = lock_current(session, row, expected_version)
        if row.status not in ("approved", "rejected"):
            raise ReviewError(
                f"Seule une notice approuvée ou rejetée peut être remise en file (statut : {row.status}).",
                f"Only an approved or rejected record can be put back in the queue (status: {row.status}).",
            )
        _decide(session, row, "needs_review", actor, comment, "withdrawn", raise_version(row, seen))
        return row.status


# Corrections ---------------------------------------------------------------------------------


def save_corrections(
    factory: sessionmaker[Session],
    rulebook: Rulebook,
    record_id: str,
    changes: dict[str, Any],
    *,
    actor: str,
    comment: str | None = None,
    approve: bool = False,
    expected_version: int | None = None,
) -> CorrectionResult:
    """Store corrections of one record, rebuild it at once, and optionally approve it.

    ``changes`` maps editable fields to values (see :func:`ren_index.overlays.clean_value`);
    ``None``, or the source's own value, removes the correction. A value equal to the current
    correction changes nothing (a form may post every field), and in particular does not
    acknowledge a ``SOURCE_CHANGED_AFTER_EDIT``: that takes :func:`keep_correction`.
    """
    unknown = [f for f in changes if f not in EDITABLE_FIELDS]
    if unknown:
        clean_value(unknown[0], None, rulebook.vocabularies)  # raises the bilingual error
    with factory.begin() as session:
        row = find_resource(session, record_id)
        seen = lock_current(session, row, expected_version)
        _check_decision(row, "approved" if approve else "rejected")  # deleted records take no edit
        raw = session.get_one(RawRecordRow, row.raw_id)
        source = source_resource(raw, source_config(session, raw.source_id), rulebook)
        existing = {o.field: o for o in session.scalars(select(Overlay).where(Overlay.resource_id == row.id))}
        before: dict[str, Any] = {}
        after: dict[str, Any] = {}
        for name, value in changes.items():
            current = source_value(source, name)
            overlay = existing.get(name)
            old = overlay.value if overlay is not None else current
            new = (
                current
                if value is None
                else clean_value(
                    name, value, rulebook.vocabularies, current if isinstance(current, dict) else None
                )
            )
            if same_value(name, new, current):
                if overlay is None:
                    continue  # no correction, and none asked for
                session.delete(overlay)
            elif overlay is not None and same_value(name, new, overlay.value):
                continue
            else:
                if overlay is None:
                    overlay = Overlay(resource_id=row.id, field=name)
                    session.add(overlay)
                overlay.value, overlay.base_value = new, current
                overlay.actor, overlay.at = actor, utcnow()
            before[name] = old
            after[name] = new
        if before:
            store.record_event(
                session,
                actor=actor,
                action="corrected",
                resource_id=row.id,
                source_id=row.source_id,
                before=before,
                after={**after, "version": seen + 1},
                comment=comment,
            )
            session.flush()
            reprocess_resource(session, row, rulebook)
        if before or approve:
            raise_version(row, seen)
        if approve:
            _decide(session, row, "approved", actor, comment, "approved", seen + 1)
        return CorrectionResult(status=row.status, changed_fields=list(before))


def keep_correction(
    factory: sessionmaker[Session],
    rulebook: Rulebook,
    record_id: str,
    field_name: str,
    *,
    actor: str,
    comment: str | None = None,
    expected_version: int | None = None,
) -> CorrectionResult:
    """Answer ``SOURCE_CHANGED_AFTER_EDIT`` with "my correction stays": the source's new value
    becomes the correction's base, the issue goes away and the rules decide again."""
    with factory.begin() as session:
        row = find_resource(session, record_id)
        seen = lock_current(session, row, expected_version)
        overlay = session.scalar(
            select(Overlay).where(Overlay.resource_id == row.id, Overlay.field == field_name)
        )
        if overlay is None:
            raise ReviewError(
                f"Aucune correction du champ « {field_name} » sur cette notice.",
                f"No correction of field '{field_name}' on this record.",
            )
        raw = session.get_one(RawRecordRow, row.raw_id)
        current = source_value(
            source_resource(raw, source_config(session, raw.source_id), rulebook), field_name
        )
        if same_value(field_name, overlay.base_value, current):
            return CorrectionResult(status=row.status, changed_fields=[])
        store.record_event(
            session,
            actor=actor,
            action="correction_kept",
            resource_id=row.id,
            source_id=row.source_id,
            before={field_name: overlay.value, "base_value": overlay.base_value},
            after={field_name: overlay.value, "base_value": current, "version": seen + 1},
            comment=comment,
        )
        overlay.base_value, overlay.actor, overlay.at = current, actor, utcnow()
        session.flush()
        status = reprocess_resource(session, row, rulebook)
        raise_version(row, seen)
        return CorrectionResult(status=status, changed_fields=[field_name])


_LANGUAGE_CODES = ("LANGUAGE_MISMATCH", "LANGUAGE_INVALID", "LANGUAGE_DETECTED")


def apply_suggestion(
    factory: sessionmaker[Session],
    rulebook: Rulebook,
    record_id: str,
    issue: int | str,
    *,
    actor: str,
    comment: str | None = None,
    expected_version: int | None = None,
) -> CorrectionResult:
    """Turn one issue's suggestion into a correction (``issue`` = its index on the record, or its code).

    ``SOURCE_CHANGED_AFTER_EDIT`` is answered by taking the source's value (the correction is
    removed); to keep the correction instead, call :func:`keep_correction`.
    """
    with factory() as session:
        row = find_resource(session, record_id)
        lock_current(session, row, expected_version)  # an issue's index means the issues the person saw
        record_id, issues, record = row.id, list(row.issues or []), dict(row.record or {})
    found = _pick_issue(issues, issue)
    code, suggestion = found["code"], found.get("suggestion")
    note = comment or f"Suggestion appliquée / suggestion applied: {code}"
    if code == "SOURCE_CHANGED_AFTER_EDIT":
        changes: dict[str, Any] = {found["field"]: None}
    elif not suggestion:
        raise _no_suggestion(code)
    elif code in _LANGUAGE_CODES:
        changes = {"languages": [suggestion]}
    elif code in ("LEVEL_UNMAPPED", "LEVEL_MISSING"):
        if rulebook.vocabularies.levels.get(suggestion) is None:
            raise _no_suggestion(code)
        levels = list(record.get("controlled", {}).get("levels", []))
        changes = {"levels": [*levels, suggestion] if suggestion not in levels else levels}
    elif code == "LICENCE_AMBIGUOUS":
        if rulebook.vocabularies.licences.get(suggestion) is None:
            raise _no_suggestion(code)
        changes = {"licence": suggestion}
    elif code in ("URL_INVALID", "URL_MOVED"):
        changes = {"url": suggestion}
    elif code == "TITLE_ALL_CAPS":
        title: dict[str, str] = dict(record.get("general", {}).get("title", {}))
        changes = {
            "title": {k: suggestion if v.strip() == found.get("value") else v for k, v in title.items()}
        }
    else:
        raise _no_suggestion(code)
    return save_corrections(
        factory, rulebook, record_id, changes, actor=actor, comment=note, expected_version=expected_version
    )


def _pick_issue(issues: list[dict[str, Any]], issue: int | str) -> dict[str, Any]:
    if isinstance(issue, int):
        if 0 <= issue < len(issues):
            return issues[issue]
    else:
        for candidate in issues:
            if candidate.get("code") == issue:
                return candidate
    raise ReviewError(
        f"Anomalie {issue!r} absente de cette notice.", f"Issue {issue!r} is not on this record."
    )


def _no_suggestion(code: str) -> ReviewError:
    return ReviewError(f"Aucune suggestion applicable pour {code}.", f"No applicable suggestion for {code}.")
