"""Held runs: which sources are kept from the portals, the figures the guard judges, releasing.

A held run keeps its explanation and the identifiers it would have withdrawn in
``checkpoint["hold"]`` (no new column: the JSON travels to the CLI, the web app and the webhook as
is). Releasing a held run is a librarian's decision: it marks the run ``completed``, records who
released it, applies the withdrawals the guard kept back — only to records no later run has seen
since — and lets the index send the source's changes.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from ren_index.errors import RenIndexError
from ren_index.harvest.base import content_hash
from ren_index.ledger import store
from ren_index.ledger.models import HarvestRun, RawRecordRow, utcnow
from ren_index.runs.guard import RunFigures
from ren_index.runs.report import RunReport, run_report


class RunError(RenIndexError):
    """A run cannot be found or released."""


def held_sources(session: Session) -> set[str]:
    """Sources whose changes are kept from the portals.

    A source is held while it has a held harvest run newer than its last accepted complete one:
    a later incremental run (a feed's 304) does not lift the hold, a later complete harvest that
    passes the guard does (the source is sound again).
    """
    last_ok = (
        select(HarvestRun.source_id, func.max(HarvestRun.id).label("ok_id"))
        .where(HarvestRun.kind == "harvest", HarvestRun.status == "completed", HarvestRun.full.is_(True))
        .group_by(HarvestRun.source_id)
        .subquery()
    )
    query = (
        select(HarvestRun.source_id)
        .outerjoin(last_ok, last_ok.c.source_id == HarvestRun.source_id)
        .where(
            HarvestRun.kind == "harvest",
            HarvestRun.status == "held",
            (last_ok.c.ok_id.is_(None)) | (HarvestRun.id > last_ok.c.ok_id),
        )
        .distinct()
    )
    return set(session.scalars(query))


def release_run(factory: sessionmaker[Session], run_id: int, *, actor: str) -> RunReport:
    """Release a held run: ``completed``, the held withdrawals applied, an event naming ``actor``.

    A withdrawal is applied only to a record still live whose last sighting is not newer than the
    held run: what a later harvest saw again stays.
    """
    with factory.begin() as session:
        run = session.get(HarvestRun, run_id)
        if run is None:
            raise RunError(f"aucune moisson n° {run_id} / no run {run_id}")
        if run.status != "held":
            raise RunError(
                f"la moisson n° {run_id} n'est pas retenue (statut {run.status}) /"
                f" run {run_id} is not held (status {run.status})"
            )
        checkpoint = dict(run.checkpoint or {})
        hold = dict(checkpoint.get("hold") or {})
        identifiers = set(hold.get("withdrawn") or [])
        applied = 0
        if identifiers:
            rows = session.scalars(
                select(RawRecordRow).where(
                    RawRecordRow.source_id == run.source_id,
                    RawRecordRow.deleted.is_(False),
                    RawRecordRow.identifier.in_(sorted(identifiers)),
                )
            )
            deleted_hash = content_hash(None, True)
            for row in rows:
                if row.last_run_id is not None and row.last_run_id > run.id:
                    continue
                row.deleted = True
                row.content_hash = deleted_hash
                applied += 1
                store.record_event(
                    session,
                    actor="harvester",
                    action="withdrawn",
                    resource_id=store.resource_id(run.source_id, row.identifier),
                    source_id=run.source_id,
                    run_id=run.id,
                    comment=f"held withdrawal released by {actor}",
                )
        released_at = utcnow()
        hold["released"] = {"by": actor, "at": released_at.isoformat(), "withdrawals_applied": applied}
        checkpoint["hold"] = hold
        run.checkpoint = checkpoint
        counts = dict(run.counts or {})
        counts["deleted"] = int(counts.get("deleted", 0)) + applied
        run.counts = counts
        run.status = "completed"
        store.record_event(
            session,
            actor=actor,
            action="run_released",
            source_id=run.source_id,
            run_id=run.id,
            before={"status": "held"},
            after={"status": "completed", "withdrawals_applied": applied},
            comment=hold.get("message_fr"),
        )
        session.flush()
        return run_report(run)


def guard_figures(
    session: Session, run: HarvestRun, counts: dict[str, int], complete: bool, withdrawn: int
) -> RunFigures:
    """The run's numbers and the source's history that the guard compares them with.

    The baseline is the last *accepted* complete harvest (``completed``, never a held one), so a
    source stuck at a third of its records stays held night after night until someone looks.
    """
    previous = session.scalar(
        select(HarvestRun)
        .where(
            HarvestRun.source_id == run.source_id,
            HarvestRun.kind == "harvest",
            HarvestRun.status == "completed",
            HarvestRun.full.is_(True),
            HarvestRun.id != run.id,
        )
        .order_by(HarvestRun.id.desc())
        .limit(1)
    )
    previous_records = None
    if previous is not None:
        previous_records = int(previous.counts.get("harvested", 0)) - int(previous.counts.get("errors", 0))
    recent = session.scalars(
        select(HarvestRun)
        .where(
            HarvestRun.source_id == run.source_id,
            HarvestRun.kind == "harvest",
            HarvestRun.status == "completed",
            HarvestRun.id != run.id,
        )
        .order_by(HarvestRun.id.desc())
        .limit(20)
    )
    previous_rate = None
    for past in recent:
        harvested = int(past.counts.get("harvested", 0))
        if harvested:
            previous_rate = int(past.counts.get("errors", 0)) / harvested
            break
    return RunFigures(
        harvested=int(counts.get("harvested", 0)),
        errors=int(counts.get("errors", 0)),
        complete=complete,
        previous_records=previous_records,
        previous_error_rate=previous_rate,
        withdrawn=withdrawn,
    )
