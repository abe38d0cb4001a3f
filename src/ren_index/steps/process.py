"""Process step: normalize → validate → decide every raw record that changed since it was processed.

A raw record is processed when its ``content_hash`` differs from the ``processed_hash`` it was
last built from, or when the rules changed since (``processed_with``, a fingerprint of the
validation rules, portal policies, vocabularies and code version). A re-run with nothing new does
nothing. A person's decision stands until the *source record* changes: when only the rules
changed, the record's issues are refreshed but its status and portals stay as the person left them.

Documentalists' corrections (:mod:`ren_index.overlays`) are re-applied on every pass: text
corrections before validation, concept corrections after it; a corrected field the source has
changed since raises ``SOURCE_CHANGED_AFTER_EDIT``, whose effect (``review``) brings the record
back to the queue: the source record changed, so the rules decide again, whoever decided before.
(When only a vocabulary changed what the source's value maps to, the issue is shown but a
person's decision stands, like any other rules-only change.)

The link's health (:mod:`ren_index.links.patience`) is not the source's to change: the issues it
gives the record (``LINK_BROKEN``, ``URL_MOVED``, for the record's *current* address — a corrected
URL starts afresh) are added to validation's before ``decide``, so processing again never drops
them, nor publishes again a record whose broken link took it off the portals.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Iterable
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, sessionmaker

from ren_index.config.rulebook import Rulebook
from ren_index.config.sources import SourceConfig
from ren_index.config.vocabularies import Vocabularies
from ren_index.decide import decide
from ren_index.duplicates.matcher import rules_from
from ren_index.ledger import store
from ren_index.ledger.coverage import source_coverage
from ren_index.ledger.link_health import health_from_json, load_rows
from ren_index.ledger.models import HarvestRun, Overlay, RawRecordRow, ResourceRow, SourceRow, utcnow
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
from ren_index.runs.report import RunReport, run_report
from ren_index.steps.duplicates import find_duplicates
from ren_index.steps.same_url import Unflushed, duplicate_finder, url_key
from ren_index.validate import ValidationContext, validate
from ren_index.validate.patterns import title_keys, title_keys_of

log = logging.getLogger(__name__)

PROCESS_COUNTS = ("processed", "approved", "needs_review", "rejected", "deleted", "errors")
BATCH = 200


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


def source_title_counts(session: Session, source_id: str) -> Counter[str]:
    """How many live records of a source carry each title key (TITLE_REPEATED_IN_SOURCE).

    Built once per process pass (a check sees one record). A record whose harvested payload has
    not changed counts with the title it was last built with (read from the ledger: cheap); one
    waiting to be processed is normalized here first, so a first pass already sees its repeats.
    With :func:`ren_index.validate.patterns.repeated_titles` it is also the source-level list
    of repeated titles for a source's report.
    """
    counts: Counter[str] = Counter()
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
    pending = session.scalars(
        select(RawRecordRow).where(
            RawRecordRow.source_id == source_id,
            RawRecordRow.deleted.is_(False),
            or_(
                RawRecordRow.processed_hash.is_(None),
                RawRecordRow.processed_hash != RawRecordRow.content_hash,
            ),
        )
    )
    for raw in pending.yield_per(BATCH):
        counts.update(title_keys(normalized(raw)[0]))
    return counts


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


def source_config(session: Session, source_id: str) -> SourceConfig:
    """A source's configuration as the ledger last saw it (for work on one record outside a run)."""
    return SourceConfig.model_validate(session.get_one(SourceRow, source_id).config)


def reprocess_resource(session: Session, row: ResourceRow, rulebook: Rulebook) -> str:
    """Build one record again from its raw payload and its corrections, right now; the new status.

    Same rules as a run: a person's decision stands while the source record is unchanged,
    a rules decision is taken again.
    """
    return process_raw(session, session.get_one(RawRecordRow, row.raw_id), rulebook)


def process_raw(session: Session, raw: RawRecordRow, rulebook: Rulebook) -> str:
    """Process one raw record now, exactly as a run would (corrections, saving, events); its status.

    For work on one record outside a run: a correction or decision rebuilding it, a contribution
    pushed by a platform that must be validated while the platform waits for the answer.
    """
    rid = store.resource_id(raw.source_id, raw.identifier)
    source = source_config(session, raw.source_id)
    overlays = load_overlays(session, [rid]).get(rid, {})
    same_titles = source_title_counts(session, raw.source_id)
    result = process_record(
        raw,
        source,
        rulebook,
        duplicate_finder(session, raw),
        overlays,
        same_titles.__getitem__,
        load_link_health(session, [rid]).get(rid),
    )
    return _save(session, raw, result, None, rulebook.fingerprint, rulebook.vocabularies)


PAYLOAD_MISSING = Issue(
    code="PAYLOAD_MISSING",
    severity="error",
    field="metadata",
    message_fr="Le moissonnage n'a livré aucune métadonnée pour cet enregistrement.",
    message_en="The harvest delivered no metadata for this record.",
)


def _save(
    session: Session,
    raw: RawRecordRow,
    result: tuple[Resource | None, list[Issue], Decision],
    run_id: int | None,
    fingerprint: str,
    vocabularies: Vocabularies | None = None,
    absent: frozenset[str] = frozenset(),
) -> str:
    """Write one record's outcome and its event; ``absent``: ids known to have no row yet."""
    resource, issues, decision = result
    quality = score(resource, issues, vocabularies).score if resource is not None else None
    rid = store.resource_id(raw.source_id, raw.identifier)
    row = None if rid in absent else session.get(ResourceRow, rid)
    before = {"status": row.status, "portals": row.portals} if row else None
    seen = store.content_of(row)  # what a person reads: a change raises the version (mark_updated)
    source_unchanged = raw.processed_hash == raw.content_hash
    if row is not None and row.decided_by != "rules" and source_unchanged and not raw.deleted:
        # Only the rules changed: refresh what validation found, keep the person's decision.
        if resource is not None:
            row.record = resource.model_dump(mode="json")
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
        row.record = resource.model_dump(mode="json")
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
        store.record_event(
            session,
            actor="rules",
            action="decided",
            resource_id=rid,
            source_id=raw.source_id,
            run_id=run_id,
            before=before,
            after=after,
        )
    return row.status


def process_source(
    factory: sessionmaker[Session],
    source: SourceConfig,
    rulebook: Rulebook,
    *,
    on_batch: Callable[[int], None] | None = None,
    force: bool = False,
) -> RunReport:
    """Process every changed raw record of one source; return the run report (with the coverage after it).

    Then the duplicates step (:func:`ren_index.steps.duplicates.find_duplicates`) compares the
    records that changed — this source's and any other's — with the signatures kept in the ledger.

    ``force`` redoes every record of the source, changed or not (``ren-index process --force``).
    Why: a change that the rules' fingerprint does not cover — a source's ``defaults:``, its
    ``review:`` or ``portals:`` in ``sources.yaml`` — leaves every hash equal, so a plain pass
    finds nothing to do. A person's decision still stands on a record whose source record did not
    change (:func:`_save`'s rule): forcing redoes the rules' work, never a documentalist's.
    """
    with factory.begin() as session:
        store.sync_source(session, source)
        run = HarvestRun(
            source_id=source.id,
            kind="process",
            status="running",
            counts=dict.fromkeys(PROCESS_COUNTS, 0),
        )
        session.add(run)
        session.flush()
        run_id = run.id
    counts = dict.fromkeys(PROCESS_COUNTS, 0)
    last_id = 0
    with factory.begin() as session:
        same_titles = source_title_counts(session, source.id)
    while True:
        with factory.begin() as session:
            query = select(RawRecordRow).where(RawRecordRow.source_id == source.id, RawRecordRow.id > last_id)
            if not force:
                query = query.where(
                    or_(
                        RawRecordRow.processed_hash.is_(None),
                        RawRecordRow.processed_hash != RawRecordRow.content_hash,
                        RawRecordRow.processed_with.is_(None),
                        RawRecordRow.processed_with != rulebook.fingerprint,
                    )
                )
            rows = session.scalars(query.order_by(RawRecordRow.id).limit(BATCH)).all()
            if not rows:
                break
            ids = [store.resource_id(r.source_id, r.identifier) for r in rows]
            overlays = load_overlays(session, ids)
            links = load_link_health(session, ids)
            unflushed = Unflushed()
            # One query loads the batch's existing records (``_save`` then finds them in the session).
            loaded = session.scalars(select(ResourceRow).where(ResourceRow.id.in_(ids))).all()
            absent = frozenset(ids) - {row.id for row in loaded}
            for raw in rows:
                last_id = raw.id
                rid = store.resource_id(raw.source_id, raw.identifier)
                with session.no_autoflush:  # the batch is written once, when it commits
                    result = process_record(
                        raw,
                        source,
                        rulebook,
                        duplicate_finder(session, raw, unflushed),
                        overlays.get(rid),
                        same_titles.__getitem__,
                        links.get(rid),
                    )
                    status = _save(
                        session, raw, result, run_id, rulebook.fingerprint, rulebook.vocabularies, absent
                    )
                resource = result[0]
                key = url_key(resource.controlled.url) if resource is not None else None
                unflushed.add(rid, key, raw.first_seen, raw.id, status != Status.DELETED.value)
                counts["processed"] += 1
                counts[status] += 1
        if on_batch is not None:
            on_batch(counts["processed"])
    with factory.begin() as session:
        run = session.get_one(HarvestRun, run_id)
        run.counts = counts
        run.coverage = dict(source_coverage(session, source.id))  # the live records after the run
        run.status = "completed"
        run.finished_at = utcnow()
        report = run_report(run)
    # Duplicates among what changed, across sources (incremental: records whose row did not move
    # since their signature was kept are not read again).
    log.info(find_duplicates(factory, rules=rules_from(rulebook.policy.rules.duplicates)).line())
    return report
