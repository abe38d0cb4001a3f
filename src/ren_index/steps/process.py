"""Process step: normalize → validate → decide every raw record that changed since it was processed.

A raw record is processed when its ``content_hash`` differs from the ``processed_hash`` it was
last built from, so a re-run with nothing new does nothing, and a record rejected by a person
stays rejected until its source record changes.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, sessionmaker

from ren_index.config import SourceConfig
from ren_index.decide import decide
from ren_index.ledger import store
from ren_index.ledger.models import HarvestRun, RawRecordRow, ResourceRow, utcnow
from ren_index.model import Decision, Issue, Provenance, Resource, Status
from ren_index.normalize.registry import normalize
from ren_index.validate import validate

log = logging.getLogger(__name__)

PROCESS_COUNTS = ("processed", "approved", "needs_review", "rejected", "deleted", "errors")
BATCH = 200


def apply_defaults(resource: Resource, source: SourceConfig) -> tuple[Resource, list[Issue]]:
    """Fill what the record is silent on from the source's ``defaults`` (pure).

    Each filled value is an ``info`` issue, so a documentalist can see it was assumed.
    """
    issues: list[Issue] = []
    language = source.defaults.get("language")
    if language and not resource.general.languages:
        general = resource.general.model_copy(update={"languages": [language]})
        resource = resource.model_copy(update={"general": general})
        issues.append(
            Issue(
                code="LANGUAGE_FROM_SOURCE_DEFAULT",
                severity="info",
                field="general.language",
                message_fr=f"Langue absente : valeur par défaut de la source ({language}).",
                message_en=f"Language missing: the source's default was used ({language}).",
                value=language,
            )
        )
    return resource, issues


def process_record(raw: RawRecordRow, source: SourceConfig) -> tuple[Resource | None, list[Issue], Decision]:
    """The pure core of the step for one raw record: normalize, fill defaults, validate, decide."""
    if raw.deleted:
        return None, [], Decision(status=Status.DELETED, reasons=["deleted at source"])
    provenance = Provenance(
        source=raw.source_id,
        identifier=raw.identifier,
        metadata_format=raw.metadata_prefix,
        datestamp=raw.datestamp,
        harvested_at=raw.last_seen,
    )
    if raw.payload is None:
        issue = Issue(
            code="PAYLOAD_MISSING",
            severity="error",
            field="metadata",
            message_fr="Le moissonnage n'a livré aucune métadonnée pour cet enregistrement.",
            message_en="The harvest delivered no metadata for this record.",
        )
        resource = Resource(provenance=provenance)
        return resource, [issue], decide(resource, [issue], review=source.review)
    resource, issues = normalize(raw.payload, provenance)
    resource, default_issues = apply_defaults(resource, source)
    issues = [*issues, *default_issues, *validate(resource)]
    decision = decide(resource, issues, review=source.review, source_portals=source.portals)
    return resource, issues, decision


def _save(
    session: Session,
    raw: RawRecordRow,
    result: tuple[Resource | None, list[Issue], Decision],
    run_id: int,
) -> str:
    resource, issues, decision = result
    rid = store.resource_id(raw.source_id, raw.identifier)
    row = session.get(ResourceRow, rid)
    before = {"status": row.status, "portals": row.portals} if row else None
    record_json: dict[str, Any] | None = resource.model_dump(mode="json") if resource else None
    if row is None:
        row = ResourceRow(id=rid, raw_id=raw.id, source_id=raw.source_id, status=decision.status.value)
        session.add(row)
    if record_json is not None or row.record is None:
        row.record = record_json if record_json is not None else row.record
    row.issues = [i.model_dump(mode="json") for i in issues]
    row.status = decision.status.value
    row.portals = decision.portals or row.portals or []
    row.decided_by = "rules"
    row.decided_at = utcnow()
    row.updated_at = utcnow()
    raw.processed_hash = raw.content_hash
    after = {"status": row.status, "portals": row.portals, "reasons": decision.reasons}
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
    *,
    on_batch: Callable[[int], None] | None = None,
) -> dict[str, Any]:
    """Process every changed raw record of one source; return the run report."""
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
    while True:
        with factory.begin() as session:
            rows = session.scalars(
                select(RawRecordRow)
                .where(
                    RawRecordRow.source_id == source.id,
                    RawRecordRow.id > last_id,
                    or_(
                        RawRecordRow.processed_hash.is_(None),
                        RawRecordRow.processed_hash != RawRecordRow.content_hash,
                    ),
                )
                .order_by(RawRecordRow.id)
                .limit(BATCH)
            ).all()
            if not rows:
                break
            for raw in rows:
                last_id = raw.id
                status = _save(session, raw, process_record(raw, source), run_id)
                counts["processed"] += 1
                counts[status] += 1
        if on_batch is not None:
            on_batch(counts["processed"])
    with factory.begin() as session:
        run = session.get_one(HarvestRun, run_id)
        run.counts = counts
        run.status = "completed"
        run.finished_at = utcnow()
        return store.run_report(run)
