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
import tempfile
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from ren_index.config.rulebook import Rulebook
from ren_index.config.sources import SourceConfig
from ren_index.duplicates.matcher import rules_from
from ren_index.ledger import store
from ren_index.ledger.coverage import source_coverage
from ren_index.ledger.models import HarvestRun, RawRecordRow, ResourceRow, SourceRow, utcnow
from ren_index.model import Status
from ren_index.runs.report import RunReport, run_report
from ren_index.steps.duplicates import find_duplicates
from ren_index.steps.prepared_store import PreparedSignatures
from ren_index.steps.process_one import (
    PAYLOAD_MISSING,
    NewRows,
    _save,
    load_link_health,
    load_overlays,
    normalized,
    process_record,
    record_link_issues,
    source_resource,
    source_title_counts,
)
from ren_index.steps.process_pool import process_pooled
from ren_index.steps.process_runs import (
    PROCESS_COUNTS,
    beat,
    close_failed,
    more_than_a_batch,
    open_run,
    pending_query,
)
from ren_index.steps.same_url import Unflushed, duplicate_finder, url_key
from ren_index.validate.title_counts import TitleCounts

__all__ = [  # the record-level names live in process_one; callers keep importing them from here
    "PAYLOAD_MISSING",
    "PROCESS_COUNTS",
    "_save",
    "load_link_health",
    "load_overlays",
    "normalized",
    "process_raw",
    "process_record",
    "process_source",
    "record_link_issues",
    "reprocess_resource",
    "source_config",
    "source_resource",
    "source_title_counts",
]

log = logging.getLogger(__name__)

BATCH = 200
"""Records read, computed and committed together (one transaction per batch)."""


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


def process_source(
    factory: sessionmaker[Session],
    source: SourceConfig,
    rulebook: Rulebook,
    *,
    on_batch: Callable[[int], None] | None = None,
    force: bool = False,
    workers: int = 1,
) -> RunReport:
    """Process every changed raw record of one source; return the run report (with the coverage after it).

    Then the duplicates step (:func:`ren_index.steps.duplicates.find_duplicates`) compares the
    records that changed — this source's and any other's — with the signatures kept in the ledger.

    ``force`` redoes every record of the source, changed or not (``ren-index process --force``).
    Why: a change that the rules' fingerprint does not cover — a source's ``defaults:``, its
    ``review:`` or ``portals:`` in ``sources.yaml`` — leaves every hash equal, so a plain pass
    finds nothing to do. A person's decision still stands on a record whose source record did not
    change (:func:`_save`'s rule): forcing redoes the rules' work, never a documentalist's.

    ``workers`` above 1 runs the pure stages in a process pool
    (:mod:`ren_index.steps.process_pool`), this process writing the ledger in the same order with
    the same results; 1 keeps everything in this process (a single core pays nothing for a pool).
    Every batch is committed on its own, so a run that dies keeps what it wrote and the next run
    does the rest; the dead run is closed ``failed`` by the next one (:func:`open_run`).
    """
    with tempfile.TemporaryDirectory(prefix="ren-index-process-") as folder:  # removed at the end
        # The workers' signatures, kept for the duplicates step: only a pool makes them.
        prepared = PreparedSignatures(Path(folder)) if workers > 1 else None
        try:
            report = _pass(factory, source, rulebook, on_batch, force, workers, prepared)
            # Duplicates among what changed, across sources (incremental: records whose row did not
            # move since their signature was kept are not read again). The workers signed the
            # records they built: the step reads those signatures instead of signing again.
            rules = rules_from(rulebook.policy.rules.duplicates)
            log.info(find_duplicates(factory, rules=rules, prepared=prepared).line())
        finally:
            if prepared is not None:
                prepared.close()
    return report


def _pass(
    factory: sessionmaker[Session],
    source: SourceConfig,
    rulebook: Rulebook,
    on_batch: Callable[[int], None] | None,
    force: bool,
    workers: int,
    prepared: PreparedSignatures | None,
) -> RunReport:
    """The pass itself, from its run's opening to its closing (:func:`process_source`)."""
    run_id = open_run(factory, source)
    try:
        if workers > 1 and more_than_a_batch(factory, source, rulebook, force, BATCH):
            counts = process_pooled(  # the title counts are computed in the pool too
                factory,
                source,
                rulebook,
                run_id,
                workers=workers,
                batch_size=BATCH,
                force=force,
                on_batch=on_batch,
                prepared=prepared,
            )
        else:
            with factory.begin() as session:
                same_titles = source_title_counts(session, source.id)
            counts = _process_in_line(factory, source, rulebook, run_id, same_titles, force, on_batch)
    except BaseException as exc:
        close_failed(factory, run_id, exc)
        raise
    with factory.begin() as session:
        run = session.get_one(HarvestRun, run_id)
        run.counts = counts
        run.coverage = dict(source_coverage(session, source.id))  # the live records after the run
        run.status = "completed"
        run.finished_at = utcnow()
        run.checkpoint = {}  # the owner lets go
        return run_report(run)


def _process_in_line(
    factory: sessionmaker[Session],
    source: SourceConfig,
    rulebook: Rulebook,
    run_id: int,
    same_titles: TitleCounts,
    force: bool,
    on_batch: Callable[[int], None] | None,
) -> dict[str, int]:
    """One worker: every stage in this process, batch after batch; the run's counts."""
    counts = dict.fromkeys(PROCESS_COUNTS, 0)
    last_id = 0
    while True:
        with factory.begin() as session:
            rows = session.scalars(pending_query(source.id, rulebook, force, last_id, BATCH)).all()
            if not rows:
                break
            ids = [store.resource_id(r.source_id, r.identifier) for r in rows]
            overlays = load_overlays(session, ids)
            links = load_link_health(session, ids)
            unflushed = Unflushed()
            # One query loads the batch's existing records (``_save`` then finds them in the session).
            loaded = session.scalars(select(ResourceRow).where(ResourceRow.id.in_(ids))).all()
            absent = frozenset(ids) - {row.id for row in loaded}
            new_rows = NewRows()
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
                        session,
                        raw,
                        result,
                        run_id,
                        rulebook.fingerprint,
                        rulebook.vocabularies,
                        absent,
                        new_rows=new_rows,
                    )
                resource = result[0]
                key = url_key(resource.controlled.url) if resource is not None else None
                unflushed.add(rid, key, raw.first_seen, raw.id, status != Status.DELETED.value)
                counts["processed"] += 1
                counts[status] += 1
            new_rows.write(session)
            beat(session, run_id, counts)
        if on_batch is not None:
            on_batch(counts["processed"])
    return counts
