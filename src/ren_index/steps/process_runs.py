"""The process step's bookkeeping: which raw records a pass takes, batch by batch, and its run row.

Apart from :mod:`ren_index.steps.process` so that module stays about the records. The run row
is opened owned by this process, gets a heartbeat per batch and is always closed. A pass commits
batch by batch, so a pass that dies keeps what it wrote; what must not stay is its run row marked
``running`` for ever. The row carries an owner and a heartbeat as a harvest's does
(:mod:`ren_index.runs.lock`), and the next pass of the source closes a row whose owner is gone.
"""

from __future__ import annotations

import logging

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session, sessionmaker

from ren_index.config.rulebook import Rulebook
from ren_index.config.sources import SourceConfig
from ren_index.ledger import store
from ren_index.ledger.models import HarvestRun, RawRecordRow, utcnow
from ren_index.runs import lock as run_lock

log = logging.getLogger(__name__)

PROCESS_COUNTS = ("processed", "approved", "needs_review", "rejected", "deleted", "errors")


def pending_query(
    source_id: str, rulebook: Rulebook, force: bool, last_id: int, batch: int
) -> Select[RawRecordRow]:
    """The next batch of raw records to process after ``last_id``, in id order."""
    query = select(RawRecordRow).where(RawRecordRow.source_id == source_id, RawRecordRow.id > last_id)
    if not force:
        query = query.where(
            or_(
                RawRecordRow.processed_hash.is_(None),
                RawRecordRow.processed_hash != RawRecordRow.content_hash,
                RawRecordRow.processed_with.is_(None),
                RawRecordRow.processed_with != rulebook.fingerprint,
            )
        )
    return query.order_by(RawRecordRow.id).limit(batch)


def more_than_a_batch(
    factory: sessionmaker[Session], source: SourceConfig, rulebook: Rulebook, force: bool, batch: int
) -> bool:
    """Whether a pool is worth starting: a pass of one batch or less (a daily re-run, one
    contribution) is done before the workers would have started (about a second each)."""
    with factory() as session:
        query = (
            pending_query(source.id, rulebook, force, 0, batch)
            .with_only_columns(RawRecordRow.id)
            .offset(batch)
        )
        return session.execute(query.limit(1)).first() is not None


def open_run(factory: sessionmaker[Session], source: SourceConfig) -> int:
    """Open this pass's run row (owned by this process), closing first the source's dead passes.

    A pass killed outright (SIGKILL, a machine that stopped) cannot close its own row: the next
    pass finds it ``running`` with an owner that is gone (:func:`ren_index.runs.lock.holder`, as
    for harvests) and closes it ``failed``. What it committed stays: the next pass does the rest.
    """
    with factory.begin() as session:
        store.sync_source(session, source)
        source_id = source.id
        for stale in session.scalars(
            select(HarvestRun).where(
                HarvestRun.source_id == source_id,
                HarvestRun.kind == "process",
                HarvestRun.status == "running",
            )
        ):
            if run_lock.holder(stale) is None:
                stale.status = "failed"
                stale.finished_at = utcnow()
                stale.checkpoint = run_lock.stamp(stale.checkpoint or {}, None)
                stale.error = {
                    "message": "interrompue : son processus a disparu / interrupted: its process is gone",
                    "resume": f"ren-index process {source_id}",
                }
        run = HarvestRun(
            source_id=source_id,
            kind="process",
            status="running",
            counts=dict.fromkeys(PROCESS_COUNTS, 0),
            checkpoint=run_lock.stamp({}, run_lock.new_owner()),
        )
        session.add(run)
        session.flush()
        return run.id


def beat(session: Session, run_id: int, counts: dict[str, int]) -> None:
    """With a batch's commit: the counts so far and a fresh heartbeat (the run is alive)."""
    run = session.get_one(HarvestRun, run_id)
    run.counts = dict(counts)
    run.checkpoint = run_lock.stamp(run.checkpoint or {}, (run.checkpoint or {}).get("owner"))


def close_failed(factory: sessionmaker[Session], run_id: int, exc: BaseException) -> None:
    """A pass that stopped on an error (or an interruption) ends ``failed``, never ``running``."""
    try:
        with factory.begin() as session:
            run = session.get_one(HarvestRun, run_id)
            run.status = "failed"
            run.finished_at = utcnow()
            run.checkpoint = run_lock.stamp(run.checkpoint or {}, None)
            run.error = {
                "message": str(exc) or type(exc).__name__,
                "resume": f"ren-index process {run.source_id}",
            }
    except Exception:  # the ledger itself may be what failed: the next pass closes the row
        log.warning("run %s: not closed; the next pass will close it", run_id, exc_info=True)
