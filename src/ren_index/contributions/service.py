"""Contributions as a service: receive one, process it now, and tell its platform what became of it.

A contribution is stored exactly like a harvested record — a raw record of the platform's source
(identifier = the platform's ``external_id``), written by the harvest's own
:func:`~ren_index.ledger.raw_pages.upsert_page` — and processed at once by the process step's own
:func:`~ren_index.steps.process.process_raw`: the same normalize → corrections → validate → decide,
the same events, the same queue. Doing it now rather than at the next run is what lets the platform
show its user the documentary issues in the answer to the very request that submitted them.

What follows from reusing that path, on purpose:

* The platform's source has ``review: always``: no contribution is ever approved by rules alone.
* Posting the same ``external_id`` with the same content changes nothing (same content hash).
  Changed content is a changed source record, so the rules decide again — **even after a person
  approved it** — and it goes back to the queue; documentalists' corrections are overlays and are
  re-applied (``SOURCE_CHANGED_AFTER_EDIT`` when the author changed a field they had corrected).
* A withdrawal by its author is a deletion at the source: the raw record is marked deleted and
  processed, the record becomes ``deleted``, the index step removes it and the OAI-PMH provider
  advertises it as deleted if it was ever published.

A platform only ever sees its own contributions: every query is bound to ``source_id ==
platform.name``. What the platform learns of a decision is the person's *role*, never their name,
and the reason in the words they wrote.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from lxml import etree
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from ren_index.config.rulebook import Rulebook
from ren_index.contributions.platforms import STATUSES, PlatformInfo, as_utc
from ren_index.contributions.schema import ContributionInvalid, FieldError, schema_errors
from ren_index.harvest.base import RawRecord
from ren_index.ledger import store
from ren_index.ledger.models import Event, RawRecordRow, ResourceRow, User
from ren_index.ledger.raw_pages import upsert_page
from ren_index.normalize.mappers.lom_reader import LOM_NS, LomDoc, local_name
from ren_index.steps.process import process_raw
from ren_index.xmlsafe import UnsafeXmlError, parse_xml

__all__ = [
    "PERSON_ACTIONS",
    "ContributionInvalid",
    "Submission",
    "delete_contribution",
    "get_contribution",
    "list_contributions",
    "submit_json",
    "submit_lom",
]

JSON_PREFIX = "contribution"
LOM_PREFIX = "lom"
PERSON_ACTIONS = ("approved", "rejected", "withdrawn", "undo")
"""Audit actions of a person's decision (``review.decisions``, and ``review.undo``'s ``undo``, which
puts the status back): what ``decision`` reports and what a platform's callback tells."""
MAX_PAGE_SIZE = 200
MAX_EXTERNAL_ID = 512
ISSUE_KEYS = ("code", "severity", "field", "message_fr", "message_en")


@dataclass(frozen=True)
class Submission:
    """What became of one submission, at once: the record's id, status and documentary issues."""

    id: str
    external_id: str
    status: str
    issues: list[dict[str, Any]]
    changed: bool
    """False when the same content was posted again: nothing was done."""


def actor_of(platform: PlatformInfo) -> str:
    """How a platform appears in the audit trail."""
    return f"platform:{platform.name}"


# Submitting ------------------------------------------------------------------------------------


def submit_json(
    factory: sessionmaker[Session], rulebook: Rulebook, platform: PlatformInfo, body: dict[str, Any]
) -> Submission:
    """Check ``body`` against the contract (:class:`ContributionInvalid` with every violation),
    then store and process it."""
    errors = schema_errors(body)
    if errors:
        raise ContributionInvalid(errors)
    payload = json.dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return _receive(factory, rulebook, platform, str(body["external_id"]), payload, JSON_PREFIX)


def submit_lom(
    factory: sessionmaker[Session], rulebook: Rulebook, platform: PlatformInfo, xml: bytes
) -> Submission:
    """One LOM / Normetic record: parsed safely, identified by ``general/identifier/entry``.

    Stored as the parser re-serializes it (no DTD, no processing of anything the sender declared),
    so that byte-level noise (an XML declaration, an encoding) does not count as a change.
    """
    try:
        root = parse_xml(xml)
    except (etree.XMLSyntaxError, UnsafeXmlError, ValueError) as exc:
        detail = " ".join(str(exc).split())[:200]
        raise ContributionInvalid(
            [FieldError("/", f"XML illisible ou refusé : {detail}", f"unreadable or refused XML: {detail}")]
        ) from None
    namespace = etree.QName(root).namespace or ""
    if local_name(root) != "lom" or namespace not in (LOM_NS, ""):
        raise ContributionInvalid(
            [
                FieldError(
                    "/",
                    f'une notice LOM (<lom xmlns="{LOM_NS}">) est attendue',
                    f'a LOM record (<lom xmlns="{LOM_NS}">) is expected',
                )
            ]
        )
    entries = LomDoc.of(root).texts("general", "identifier", "entry")
    external_id = entries[0] if entries else ""
    problem = _bad_external_id(external_id)
    if problem is not None:
        raise ContributionInvalid([FieldError("/general/identifier", *problem)])
    payload = etree.tostring(root, encoding="unicode")
    return _receive(factory, rulebook, platform, external_id, payload, LOM_PREFIX)


def _bad_external_id(external_id: str) -> tuple[str, str] | None:
    """What is wrong with a LOM record's identifier, in both languages (the schema checks JSON's)."""
    if not external_id:
        return (
            "identifiant absent : general/identifier/entry est l'identifiant de la contribution",
            "identifier missing: general/identifier/entry is the contribution's identifier",
        )
    if len(external_id) > MAX_EXTERNAL_ID or any(ord(c) < 32 or ord(c) == 127 for c in external_id):
        return (
            f"identifiant invalide : {MAX_EXTERNAL_ID} caractères au plus, sans caractère de contrôle",
            f"invalid identifier: at most {MAX_EXTERNAL_ID} characters, no control character",
        )
    return None


def _receive(
    factory: sessionmaker[Session],
    rulebook: Rulebook,
    platform: PlatformInfo,
    external_id: str,
    payload: str | None,
    prefix: str,
    *,
    deleted: bool = False,
) -> Submission:
    """Store one raw record of the platform's source and process it now, in one transaction.

    Two requests creating the same contribution at once: the loser's insert breaks the unique
    (source, identifier) constraint; it is tried once more and then finds the winner's row.
    """
    record = RawRecord(
        identifier=external_id, datestamp=None, deleted=deleted, metadata_prefix=prefix, payload=payload
    )
    for attempt in range(2):
        try:
            with factory.begin() as session:
                return _store_and_process(session, rulebook, platform, record)
        except IntegrityError:
            if attempt:
                raise
    raise AssertionError("unreachable")  # pragma: no cover


def _store_and_process(
    session: Session, rulebook: Rulebook, platform: PlatformInfo, record: RawRecord
) -> Submission:
    assert record.identifier is not None
    rid = store.resource_id(platform.name, record.identifier)
    before = session.get(ResourceRow, rid)
    before_status = before.status if before is not None else None
    outcome = upsert_page(session, platform.name, [record], None)
    session.flush()
    raw = session.scalars(
        select(RawRecordRow).where(
            RawRecordRow.source_id == platform.name, RawRecordRow.identifier == record.identifier
        )
    ).one()
    changed = not outcome.get("unchanged")
    if changed or raw.processed_hash != raw.content_hash:
        status = process_raw(session, raw, rulebook)
        store.record_event(
            session,
            actor=actor_of(platform),
            action="contribution_deleted" if record.deleted else "contribution_received",
            resource_id=rid,
            source_id=platform.name,
            before={"status": before_status} if before_status else None,
            after={"status": status, "format": record.metadata_prefix},
        )
    row = session.get_one(ResourceRow, rid)
    return Submission(
        id=rid, external_id=record.identifier, status=row.status, issues=_issues(row), changed=changed
    )


def _issues(row: ResourceRow) -> list[dict[str, Any]]:
    return [{k: issue.get(k) for k in ISSUE_KEYS} for issue in row.issues or [] if isinstance(issue, dict)]


def delete_contribution(
    factory: sessionmaker[Session], rulebook: Rulebook, platform: PlatformInfo, external_id: str
) -> dict[str, Any] | None:
    """Its author withdrew it: mark the raw record deleted and process it; the view, or ``None``
    when the platform has no such contribution."""
    with factory() as session:
        raw = _raw(session, platform, external_id)
        if raw is None:
            return None
        prefix = raw.metadata_prefix
    _receive(factory, rulebook, platform, external_id, None, prefix, deleted=True)
    return get_contribution(factory, platform, external_id)


# Reading --------------------------------------------------------------------------------------


def _raw(session: Session, platform: PlatformInfo, external_id: str) -> RawRecordRow | None:
    if not isinstance(external_id, str) or not external_id or len(external_id) > MAX_EXTERNAL_ID:
        return None
    return session.scalars(
        select(RawRecordRow).where(
            RawRecordRow.source_id == platform.name, RawRecordRow.identifier == external_id
        )
    ).one_or_none()


def get_contribution(
    factory: sessionmaker[Session], platform: PlatformInfo, external_id: str
) -> dict[str, Any] | None:
    """One of the platform's contributions as the platform sees it, or ``None`` (not its own, or none)."""
    with factory() as session:
        raw = _raw(session, platform, external_id)
        if raw is None:
            return None
        row = session.get(ResourceRow, store.resource_id(platform.name, raw.identifier))
        if row is None or row.source_id != platform.name:
            return None
        return _views(session, [(row, raw.identifier)])[0]


def list_contributions(
    factory: sessionmaker[Session],
    platform: PlatformInfo,
    *,
    status: str | None = None,
    since: datetime | None = None,
    page: int = 1,
    page_size: int = 50,
) -> dict[str, Any]:
    """The platform's contributions, most recently changed first (``since``: changed at or after then), a
    page at a time: ``{"items", "page", "page_size", "total"}``."""
    if status is not None and status not in STATUSES:
        raise ContributionInvalid(
            [
                FieldError(
                    "/status",
                    f"statut inconnu ; permis : {', '.join(STATUSES)}",
                    f"unknown status; allowed: {', '.join(STATUSES)}",
                )
            ]
        )
    page = max(1, int(page))
    page_size = min(MAX_PAGE_SIZE, max(1, int(page_size)))
    query = (
        select(ResourceRow, RawRecordRow.identifier)
        .join(RawRecordRow, ResourceRow.raw_id == RawRecordRow.id)
        .where(ResourceRow.source_id == platform.name)
    )
    if status is not None:
        query = query.where(ResourceRow.status == status)
    if since is not None:
        query = query.where(ResourceRow.updated_at >= since)
    with factory() as session:
        total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
        rows = session.execute(
            query.order_by(ResourceRow.updated_at.desc(), ResourceRow.id)
            .offset((page - 1) * page_size)
            .limit(page_size)
        ).all()
        items = _views(session, [(row, identifier) for row, identifier in rows])
    return {"items": items, "page": page, "page_size": page_size, "total": total}


def _views(session: Session, rows: list[tuple[ResourceRow, str]]) -> list[dict[str, Any]]:
    """The platform's view of records, with their last person's decision (two queries in all)."""
    ids = [row.id for row, _ in rows]
    last: dict[str, Event] = {}
    if ids:
        events = session.scalars(
            select(Event)
            .where(Event.resource_id.in_(ids), Event.action.in_(PERSON_ACTIONS))
            .order_by(Event.id)
        )
        last = {event.resource_id: event for event in events if event.resource_id}
    actors = {event.actor for event in last.values()}
    roles = {
        name: role
        for name, role in session.execute(select(User.name, User.role).where(User.name.in_(actors)))
    }
    return [
        {
            "id": row.id,
            "external_id": external_id,
            "status": row.status,
            "portals": list(row.portals or []),
            "issues": _issues(row),
            "decision": _decision(last.get(row.id), roles),
            "resource": f"/api/resources/{row.id}" if row.status == "approved" else None,
            "updated_at": as_utc(row.updated_at),
        }
        for row, external_id in rows
    ]


def _decision(event: Event | None, roles: dict[str, str]) -> dict[str, Any] | None:
    """A person's decision as the platform may see it: when, the person's role, their reason."""
    if event is None:
        return None
    return {"at": as_utc(event.at), "by_role": roles.get(event.actor), "reason": event.comment}
