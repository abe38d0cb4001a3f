"""The process step for one record: the pure core (normalize → corrections → validate → decide)
and the writing of its outcome, with the ledger reads a batch needs (corrections, link health,
the source's title counts).

Apart from :mod:`ren_index.steps.process` (which runs a pass over a source and re-exports these
names) so that the pool of :mod:`ren_index.steps.process_pool` can use them without importing
the pass that starts it. The rules these functions follow are told in
:mod:`ren_index.steps.process`'s docstring.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, cast

from sqlalchemy import Select, Table, bindparam, insert, or_, select, update
from sqlalchemy.orm import Session

from ren_index.config.rulebook import Rulebook
from ren_index.config.sources import SourceConfig
from ren_index.config.vocabularies import Vocabularies
from ren_index.decide import decide
from ren_index.ledger import store
from ren_index.ledger.link_health import health_from_json, load_rows
from ren_index.ledger.models import Event, Overlay, RawRecordRow, ResourceRow, utcnow
from ren_index.links.patience import LinkHealth, for_url, link_issues
from ren_index.model import Decision, Issue, Provenance, Resource, Status
from ren_index.normalize.registry import normalize
from ren_index.overlays import (
    CONTROLLED_FIELDS,
    EDITABLE_FIELDS,
    TEXT_FIELDS,
    Overlays,
    apply_controlled_overlays,
    apply_text_overlays,
    source_changes,
)
from ren_index.quality.score import score
from ren_index.steps.same_url import url_key
from ren_index.validate import ValidationContext, validate
from ren_index.validate.patterns import title_keys, title_keys_of
from ren_index.validate.title_counts import TitleCounts


def process_record(
    raw: RawRecordRow,
    source: SourceConfig,
    rulebook: Rulebook,
    duplicate_of: Callable[[str], str | None] = lambda _url: None,
    overlays: Overlays | None = None,
    same_title_count: Callable[[str], int] = lambda _key: 0,
    link: LinkHealth | None = None,
) -> tuple[Resource | None, list[Issue], Decision]:
    """The pure core of the step for one raw record: normalize, correct, validate, decide.

    Order: normalize → text corrections → validate → concept corrections →
    ``SOURCE_CHANGED_AFTER_EDIT`` checks → link issues → decide. ``overlays`` maps a field to
    (corrected value, source value when corrected); ``link`` is the record's link health in the
    ledger (none for a record never checked).
    """
    if raw.deleted:
        return None, [], Decision(status=Status.DELETED, reasons=["deleted at source"])
    resource, issues = normalized(raw)
    ctx = _context(source, rulebook, duplicate_of, same_title_count)
    overlays = overlays or {}
    text = {f: v for f, v in overlays.items() if f in TEXT_FIELDS}
    validated, found = validate(apply_text_overlays(resource, text), ctx)
    issues = [*issues, *found]
    if overlays:
        if not text:
            source_view = validated  # nothing corrected before validation: it is the source's view
        elif any(f in CONTROLLED_FIELDS for f in overlays):
            source_view = validate(resource, ctx)[0]  # a corrected title may change detected language
        else:
            source_view = resource
        validated, issues = apply_controlled_overlays(validated, issues, overlays)
        issues = [*issues, *source_changes(source_view, overlays)]
    issues = [*issues, *record_link_issues(validated, link)]
    decision = decide(
        validated,
        issues,
        vocabularies=rulebook.vocabularies,
        policy=rulebook.policy,
        review=source.review,
        source_portals=source.portals,
    )
    return validated, [*issues, *decision.issues], decision


def record_link_issues(resource: Resource, link: LinkHealth | None) -> list[Issue]:
    """The issues the record's link health gives it, for its address as corrected now: health
    about another address (the URL was corrected since) is a fresh, unchecked link — no issue."""
    url = resource.url
    return link_issues(for_url(link, url)) if link is not None and url else []


def load_link_health(session: Session, resource_ids: Iterable[str]) -> dict[str, LinkHealth]:
    """The link health of many records in one query (those never checked have none)."""
    return {rid: health_from_json(row.health) for rid, row in load_rows(session, list(resource_ids)).items()}


def normalized(raw: RawRecordRow) -> tuple[Resource, list[Issue]]:
    """The raw payload as a canonical record, with the mapping issues (no validation, no overlays)."""
    provenance = Provenance(
        source=raw.source_id,
        identifier=raw.identifier,
        metadata_format=raw.metadata_prefix,
        datestamp=raw.datestamp,
        harvested_at=raw.last_seen,
    )
    if raw.payload is None:
        return Resource(provenance=provenance), [PAYLOAD_MISSING]
    return normalize(raw.payload, provenance)


def source_resource(
    raw: RawRecordRow,
    source: SourceConfig,
    rulebook: Rulebook,
    duplicate_of: Callable[[str], str | None] = lambda _url: None,
) -> Resource:
    """The record as the source alone makes it (normalized and validated, no corrections).

    What a correction's ``base_value`` is read from, so later source changes can be told apart.
    """
    resource, _issues = normalized(raw)
    return validate(resource, _context(source, rulebook, duplicate_of))[0]


def _context(
    source: SourceConfig,
    rulebook: Rulebook,
    duplicate_of: Callable[[str], str | None],
    same_title_count: Callable[[str], int] = lambda _key: 0,
) -> ValidationContext:
    return ValidationContext(
        vocabularies=rulebook.vocabularies,
        rules=rulebook.policy.rules,
        defaults=dict(source.defaults),
        duplicate_of=duplicate_of,
        same_title_count=same_title_count,
    )


def source_title_counts(session: Session, source_id: str) -> TitleCounts:
    """How many live records of a source carry each title key (TITLE_REPEATED_IN_SOURCE).

    Built once per process pass (a check sees one record), in eight bytes a record
    (:class:`~ren_index.validate.title_counts.TitleCounts`). A record whose harvested payload has
    not changed counts with the title it was last built with (read from the ledger: cheap); one
    waiting to be processed is normalized here first, so a first pass already sees its repeats.
    """
    counts = stored_title_counts(session, source_id)
    for raw in session.scalars(titles_pending_query(source_id)).yield_per(200):  # rows in memory at once
        counts.update(title_keys(normalized(raw)[0]))
    return counts.freeze()


def stored_title_counts(session: Session, source_id: str) -> TitleCounts:
    """:func:`source_title_counts`' first half: the title keys of the records already built from
    their current payload, read from the ledger (no normalization); still counting (not frozen)."""
    counts = TitleCounts()
    stored = session.execute(
        select(ResourceRow.record["general"]["title"])
        .join(RawRecordRow, ResourceRow.raw_id == RawRecordRow.id)
        .where(
            RawRecordRow.source_id == source_id,
            RawRecordRow.deleted.is_(False),
            RawRecordRow.processed_hash == RawRecordRow.content_hash,
            ResourceRow.status != Status.DELETED.value,
        )
    ).scalars()
    for titles in stored:
        if isinstance(titles, dict):
            counts.update(title_keys_of(str(t) for t in titles.values()))
    return counts


def titles_pending_query(source_id: str, after: int = 0) -> Select[RawRecordRow]:
    """:func:`source_title_counts`' second half: the live raw records waiting to be built (each is
    normalized for its title keys: by this process, or by a pool's workers), in id order."""
    return (
        select(RawRecordRow)
        .where(
            RawRecordRow.source_id == source_id,
            RawRecordRow.id > after,
            RawRecordRow.deleted.is_(False),
            or_(
                RawRecordRow.processed_hash.is_(None),
                RawRecordRow.processed_hash != RawRecordRow.content_hash,
            ),
        )
        .order_by(RawRecordRow.id)
    )


def load_overlays(session: Session, resource_ids: Iterable[str]) -> dict[str, dict[str, tuple[Any, Any]]]:
    """Corrections of many records in one query: resource id → field → (value, base_value)."""
    ids = list(resource_ids)
    found: dict[str, dict[str, tuple[Any, Any]]] = {}
    for start in range(0, len(ids), 500):  # bounded IN lists, whatever the batch size
        rows = session.scalars(select(Overlay).where(Overlay.resource_id.in_(ids[start : start + 500])))
        for overlay in rows:
            if overlay.field in EDITABLE_FIELDS:
                found.setdefault(overlay.resource_id, {})[overlay.field] = (overlay.value, overlay.base_value)
    return found


PAYLOAD_MISSING = Issue(
    code="PAYLOAD_MISSING",
    severity="error",
    field="metadata",
    message_fr="Le moissonnage n'a livré aucune métadonnée pour cet enregistrement.",
    message_en="The harvest delivered no metadata for this record.",
)


@dataclass
class NewRows:
    """A batch's first outcomes of records never built before, written by three statements when the
    batch ends (:meth:`write`) instead of an ORM object each — the single writer of a pass spent
    more time building and flushing objects than the database took to store them (issue 17).

    Only a *new* row of a live record goes here (:func:`_save` decides): nothing to compare with,
    no person's decision to keep, version 1. Every event of the batch goes here too, so the trail
    keeps the records' order whichever way their rows were written. Written before the batch's
    commit, like the ORM's flush: look-ups within the batch see them no sooner than unflushed objects
    (:class:`ren_index.steps.same_url.Unflushed` answers for both)."""

    resources: list[dict[str, Any]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    marks: list[dict[str, Any]] = field(default_factory=list)

    def write(self, session: Session) -> None:
        """The batch's new rows, their raw records marked processed, then every event, in order."""
        if self.resources:
            session.execute(insert(RESOURCES), self.resources)
        if self.marks:
            session.execute(
                update(RAW_RECORDS)
                .where(RAW_RECORDS.c.id == bindparam("raw"))
                .values(processed_hash=bindparam("hash"), processed_with=bindparam("rules")),
                self.marks,
            )
        if self.events:
            session.execute(insert(EVENTS), self.events)
        self.resources, self.events, self.marks = [], [], []


RESOURCES = cast(Table, ResourceRow.__table__)
RAW_RECORDS = cast(Table, RawRecordRow.__table__)
EVENTS = cast(Table, Event.__table__)


def _save(
    session: Session,
    raw: RawRecordRow,
    result: tuple[Resource | None, list[Issue], Decision],
    run_id: int | None,
    fingerprint: str,
    vocabularies: Vocabularies | None = None,
    absent: frozenset[str] = frozenset(),
    scored: tuple[int | None] | None = None,
    dumped: dict[str, Any] | None = None,
    new_rows: NewRows | None = None,
) -> str:
    """Write one record's outcome and its event; ``absent``: ids known to have no row yet;
    ``scored``: the quality score when a pool's worker computed it already; ``dumped``: the
    record's JSON when the worker made it already (``resource.model_dump(mode="json")``);
    ``new_rows``: a batch's collector — a new live record and every event are then written with
    the batch (:meth:`NewRows.write`), the other rows through the session as before."""
    resource, issues, decision = result
    if scored is not None:
        quality = scored[0]
    else:
        quality = score(resource, issues, vocabularies).score if resource is not None else None
    rid = store.resource_id(raw.source_id, raw.identifier)
    row = None if rid in absent else session.get(ResourceRow, rid)
    live = resource is not None and not raw.deleted and decision.status is not Status.DELETED
    if row is None and new_rows is not None and live and resource is not None:
        return _save_new(raw, rid, resource, issues, decision, quality, run_id, fingerprint, dumped, new_rows)
    before = {"status": row.status, "portals": row.portals} if row else None
    seen = store.content_of(row)  # what a person reads: a change raises the version (mark_updated)
    source_unchanged = raw.processed_hash == raw.content_hash
    if row is not None and row.decided_by != "rules" and source_unchanged and not raw.deleted:
        # Only the rules changed: refresh what validation found, keep the person's decision.
        if resource is not None:
            row.record = dumped if dumped is not None else resource.model_dump(mode="json")
            row.url_key = url_key(resource.controlled.url)
        row.issues = [i.model_dump(mode="json") for i in issues]
        row.quality_score = quality
        store.mark_updated(row, seen)
        raw.processed_with = fingerprint
        return row.status
    if row is None:
        row = ResourceRow(id=rid, raw_id=raw.id, source_id=raw.source_id, status=decision.status.value)
        session.add(row)
    if resource is not None:
        row.record = dumped if dumped is not None else resource.model_dump(mode="json")
        row.url_key = url_key(resource.controlled.url)
    row.issues = [i.model_dump(mode="json") for i in issues]
    row.quality_score = quality
    if row.status != decision.status.value or row.decided_by != "rules":
        row.decided_at = utcnow()  # unchanged outcome: keep the date, so "waiting since" stays true
    row.status = decision.status.value
    row.portals = decision.portals or (row.portals if decision.status is Status.DELETED else [])
    row.decided_by = "rules"
    v = store.mark_updated(row, seen)
    raw.processed_hash = raw.content_hash
    raw.processed_with = fingerprint
    after = {"status": row.status, "portals": row.portals, "reasons": decision.reasons, "version": v}
    if before is None or before["status"] != row.status:
        event = _decided(raw, rid, run_id, before, after)
        if new_rows is not None:
            new_rows.events.append(event)
        else:
            session.add(Event(**event))
    return row.status


def _save_new(
    raw: RawRecordRow,
    rid: str,
    resource: Resource,
    issues: list[Issue],
    decision: Decision,
    quality: int | None,
    run_id: int | None,
    fingerprint: str,
    dumped: dict[str, Any] | None,
    new_rows: NewRows,
) -> str:
    """:func:`_save` for a live record that has no row yet, as plain values for :class:`NewRows`:
    the same columns and event the ORM path writes (version 1, its event's ``version`` unknown
    yet — ``None`` — as the ORM path's is before its flush)."""
    now = utcnow()
    status = decision.status.value
    portals = list(decision.portals)
    new_rows.resources.append(
        {
            "id": rid,
            "raw_id": raw.id,
            "source_id": raw.source_id,
            "record": dumped if dumped is not None else resource.model_dump(mode="json"),
            "issues": [i.model_dump(mode="json") for i in issues],
            "status": status,
            "portals": portals,
            "url_key": url_key(resource.controlled.url),
            "decided_by": "rules",
            "decided_at": now,
            "indexed_hash": None,
            "indexed_at": None,
            "updated_at": now,
            "quality_score": quality,
            "version": 1,
        }
    )
    new_rows.marks.append({"raw": raw.id, "hash": raw.content_hash, "rules": fingerprint})
    after = {"status": status, "portals": portals, "reasons": decision.reasons, "version": None}
    new_rows.events.append(_decided(raw, rid, run_id, None, after))
    return status


def _decided(
    raw: RawRecordRow, rid: str, run_id: int | None, before: dict[str, Any] | None, after: dict[str, Any]
) -> dict[str, Any]:
    """The rules' "decided" event of one record (both ways :func:`_save` writes a record)."""
    return store.event_values(
        actor="rules",
        action="decided",
        resource_id=rid,
        source_id=raw.source_id,
        run_id=run_id,
        before=before,
        after=after,
    )
