"""The pipeline flow: harvest → process → index, the whole stage order at a glance; and the links flow.

Thin on purpose: every task calls one step of ``ren_index.steps``; retries sit only on the tasks
that do network I/O (harvest, index). A harvest that fails is retried from its saved checkpoint,
so a retry never starts the list over.

Faults end as reports, not as a crash: a source whose harvest fails (after its retries) keeps its
failed report and the other sources go on; an OpenSearch that does not answer is seen by one quick
ping before the index task, so the run says so at once instead of waiting through retry delays
meant for a bulk that broke off. What was harvested and processed stays in the ledger, and the next
``ren-index index`` (or run) sends it. Whenever something failed the flow ends ``Failed`` — so the
Prefect UI shows it — with every report as the state's data, carried by a :class:`FlowFailed`
(:func:`running.run_pipeline` reads it): a worker running a deployment needs an exception there.

Link health has a flow of its own, :func:`links_check` (deployment ``links-check``, on the cron of
``validation.yaml``'s ``links.schedule``): a pass over every live record takes minutes to hours of
polite requests, on its own rhythm (nightly for failing links, weekly for the others), so the
pipeline neither runs it nor waits for it — a ``ren-index run`` stays harvest → process → index.
The pass publishes what it changes itself (:func:`ren_index.steps.links.check_links`).
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from opensearchpy.exceptions import OpenSearchException
from prefect import State, flow, task
from prefect.states import Failed

from ren_index.config.rules import load_portals
from ren_index.config.sources import get_source, load_sources
from ren_index.config.vocabularies import load_vocabularies
from ren_index.errors import HarvestError, IndexingError, RenIndexError
from ren_index.ledger.db import open_ledger
from ren_index.runs.lock import HarvestInProgressError
from ren_index.runs.report import RunReport, index_report
from ren_index.settings import Settings, load_settings

PING_TIMEOUT = 5.0
"""Seconds the reachability check waits for OpenSearch (once, no retry: a down node is refused at
once, a blackholed one answers nothing in 5 s either)."""

CATCH_UP = (
    "le prochain « ren-index index » (ou « ren-index run ») rattrapera le retard"
    " / the next `ren-index index` (or `run`) will catch up"
)


class HarvestFailed(HarvestError):
    """A harvest whose report says ``failed``: raised so Prefect retries, carrying the report."""

    def __init__(self, report: RunReport) -> None:
        self.report = report
        error = report.get("error", {})
        super().__init__(f"harvest of {report['source']} failed: {error.get('message')}")


class FlowFailed(RenIndexError):
    """The data of a flow that ends ``Failed``: its reports, carried by an exception.

    Why not the reports themselves: a deployment's flow run (a worker) resolves a failed state's
    data into an exception to raise, and a plain dict made it crash with ``TypeError: Unexpected
    result for failed state`` after the work was done. ``result`` is what the flow would have
    returned (:func:`running.run_pipeline` gives it back to the command line).
    """

    def __init__(self, result: dict[str, Any]) -> None:
        self.result = result
        error = result.get("error")
        message = error.get("message") if isinstance(error, dict) else error
        super().__init__(str(message or result.get("status") or "failed"))

    def __reduce__(self) -> tuple[type[FlowFailed], tuple[dict[str, Any]]]:
        return (FlowFailed, (self.result,))  # pickled results keep the reports


def worth_retrying(task: Any, task_run: Any, state: State[Any]) -> bool:
    """Retry a failed harvest from its checkpoint, unless its report says what to fix first, or
    another process holds the source.

    A metadata format the repository does not offer, a missing dump folder or a refused address
    would fail the same way 10 and 60 s later (``error.fix``, :mod:`ren_index.steps.harvest_remedies`):
    retrying only delays the report that says what to correct. A harvest refused because another
    worker is harvesting the source must not be retried either: a retry that comes after that
    harvest ended would harvest the source a second time (two workers, one trigger too many).
    Prefect keeps the exception in a result record when results are persisted, as it does for a
    task with retries: both shapes are read.
    """
    failure = state.data
    failure = getattr(failure, "result", failure)  # a ResultRecord holds the exception in .result
    if isinstance(failure, HarvestInProgressError):
        return False
    return not (isinstance(failure, HarvestFailed) and "fix" in failure.report.get("error", {}))


def refused_report(source_id: str, exc: HarvestInProgressError) -> RunReport:
    """The report of a harvest refused because another process is harvesting the source.

    No run row is opened for it (the running one is the source's run); ``error.running`` tells it
    apart from a harvest that broke off, and there is nothing to resume: the running harvest
    does the work.
    """
    return RunReport(
        source=source_id,
        kind="harvest",
        status="failed",
        counts={},
        error={"message": str(exc), "running": True},
    )


@task(
    retries=2,
    retry_delay_seconds=[10, 60],
    retry_condition_fn=worth_retrying,
    task_run_name="harvest-{source_id}",
)
def harvest(source_id: str, full: bool = False) -> RunReport:
    """Harvest one source into the ledger; raise on failure so Prefect retries (from the checkpoint)."""
    from ren_index.steps.harvest import harvest_source

    settings = load_settings()
    source = get_source(load_sources(settings.config_dir / "sources.yaml"), source_id)
    report = harvest_source(open_ledger(settings.db_url), source, settings, full=full)
    if report["status"] == "failed":
        raise HarvestFailed(report)
    return report


PROCESS_WAIT = 3 * 3600.0
"""Seconds a process step waits for another worker's to end (then fails, saying so)."""


@contextmanager
def one_process_at_a_time(db_url: str, wait: float = PROCESS_WAIT) -> Iterator[None]:
    """Hold the ledger-wide process lock: one ``process`` step at a time across workers.

    Why: the process step ends with the duplicates pass (:func:`ren_index.steps.duplicates.
    find_duplicates`), which reads and files the signatures of every source, not only its own;
    two workers processing two sources at once both filed the same new signatures and one died on
    ``dup_signatures_pkey`` (the two-worker test, ``tests/scale/test_two_workers.py``). Harvests
    still run side by side; only the steps that write across sources take turns. On PostgreSQL the
    lock is a session advisory lock on a connection of its own, freed by the server when the
    process dies (SIGKILL included); polled, so the wait is bounded. A SQLite ledger is one
    machine's file, run by one worker: nothing to take.
    """
    from sqlalchemy import create_engine, func, select
    from sqlalchemy.engine import make_url
    from sqlalchemy.pool import NullPool

    if not make_url(db_url).get_backend_name().startswith("postgresql"):
        yield
        return
    key = int.from_bytes(hashlib.sha256(b"ren-index:process").digest()[:8], "big", signed=True)
    engine = create_engine(db_url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            deadline = time.monotonic() + wait
            while not conn.execute(select(func.pg_try_advisory_lock(key))).scalar():
                conn.rollback()
                if time.monotonic() > deadline:
                    raise RenIndexError(
                        f"un autre traitement occupe le registre depuis {wait:.0f} s / another process"
                        f" step has held the ledger for {wait:.0f} s"
                    )
                time.sleep(1.0)
            conn.commit()
            try:
                yield
            finally:
                conn.execute(select(func.pg_advisory_unlock(key)))
                conn.commit()
    finally:
        engine.dispose()


@task(task_run_name="process-{source_id}")
def process(source_id: str) -> RunReport:
    """Normalize, validate and decide what the harvest brought (one flow at a time, on every core
    of this worker: ``REN_PROCESS_WORKERS``)."""
    from ren_index.config.rulebook import Rulebook
    from ren_index.steps.process import process_source

    settings = load_settings()
    source = get_source(load_sources(settings.config_dir / "sources.yaml"), source_id)
    with one_process_at_a_time(settings.db_url):
        rulebook = Rulebook.load(settings.config_dir)
        factory = open_ledger(settings.db_url)
        return process_source(factory, source, rulebook, workers=settings.process_worker_count)


@task(retries=2, retry_delay_seconds=[2, 5])
def index() -> RunReport:
    """Send what changed to OpenSearch (retried within seconds when a bulk breaks off)."""
    from ren_index.index.client import make_client, ping_or_raise
    from ren_index.index.schema import IndexLayout
    from ren_index.steps.index import index_changes

    settings = load_settings()
    client = make_client(settings)
    ping_or_raise(client, settings.opensearch_url)
    vocabularies = load_vocabularies(settings.config_dir)
    return index_changes(
        open_ledger(settings.db_url),
        client,
        settings.index_prefix,
        portals=list(load_portals(settings.config_dir)),
        vocabularies=vocabularies,
        layout=IndexLayout.from_settings(settings),
    )


@task(task_run_name="report-{source_id}")
def report(source_id: str, harvested: RunReport, processed: RunReport) -> RunReport:
    """One report per source: the process step's decisions merged into the harvest run's counts,
    kept in the ledger (``runs``) and published as a markdown artifact for the Prefect UI, which
    links to the run's page of the review UI (``REN_PUBLIC_URL``/review/runs/RUN_ID)."""
    from prefect.artifacts import create_markdown_artifact

    from ren_index.runs.report import merge_process_counts, report_markdown

    settings = load_settings()
    run_id = harvested.get("run_id")
    assert run_id is not None, "a harvest report always names its run"
    merged = merge_process_counts(open_ledger(settings.db_url), run_id, processed)
    merged = RunReport(**{**harvested, **merged})  # the harvest's extra keys (withdrawn…) stay
    create_markdown_artifact(
        key=f"run-report-{source_id}",
        markdown=report_markdown(merged, public_url=settings.public_url),
        description=f"Rapport de moisson / run report: {source_id}",
    )
    return merged


def unreachable(settings: Settings) -> str | None:
    """Why OpenSearch cannot be reached (one line), or None when it answers.

    One attempt with a short timeout: the index task's retries are for a bulk that breaks off, not
    for a node that is down, which would otherwise cost a minute of silence before saying so.
    """
    from ren_index.index.client import make_client, ping_or_raise

    quick = settings.model_copy(update={"opensearch_timeout": min(settings.opensearch_timeout, PING_TIMEOUT)})
    client = make_client(quick)
    client.transport.max_retries = 0
    try:
        ping_or_raise(client, settings.opensearch_url)
    except IndexingError as exc:
        return str(exc)
    finally:
        client.close()
    return None


def failed_index(reason: str) -> RunReport:
    """The index step's report when it could not run or broke off: why, and what catches up."""
    failed = index_report("*", {})
    failed["status"] = "failed"
    failed["error"] = {
        "message": f"indexation impossible / indexing failed: {reason} — {CATCH_UP}",
        "resume": "ren-index index",
    }
    return failed


def index_or_report() -> RunReport:
    """The index step, or its failed report when OpenSearch is down or breaks off for good."""
    reason = unreachable(load_settings())
    if reason is not None:
        return failed_index(reason)
    try:
        return index()
    except (RenIndexError, OpenSearchException, OSError) as exc:
        return failed_index(" ".join(str(exc).split()) or exc.__class__.__name__)


LINKS_FLOW_NAME = "ren-index-links"


@task(task_run_name="links-check")
def check_links_task(source_ids: list[str] | None = None) -> RunReport:
    """One links pass (every source with live records when ``source_ids`` is empty). No retries: a
    pass stopped half-way keeps what it applied, and the next one checks what is still due."""
    from ren_index.config.rulebook import Rulebook
    from ren_index.steps.links import check_links

    settings = load_settings()
    return check_links(
        open_ledger(settings.db_url),
        settings,
        Rulebook.load(settings.config_dir),
        sources=load_sources(settings.config_dir / "sources.yaml"),
        source_ids=source_ids or None,
    )


@flow(name=LINKS_FLOW_NAME, log_prints=True)
def links_check(source_ids: list[str] | None = None) -> RunReport | State[Any]:
    """Check the links that are due and apply what was found (``ren-index links check --all``).

    Ends ``Failed`` (so the Prefect UI shows it) with the pass's report as data (:class:`FlowFailed`)
    when the pass could not finish; dead links found are data, not a failure.
    """
    report = check_links_task(source_ids)
    if report.get("status") == "failed":
        failure = FlowFailed(dict(report))
        return Failed(message=str(failure), data=failure)
    return report


@flow(name="ren-index-pipeline", log_prints=True)
def pipeline(source_ids: list[str], full: bool = False) -> dict[str, Any] | State[Any]:
    """Harvest → process → index for the given sources; one report per source plus the index's.

    A held harvest is not a failure: its source is processed, and the index step leaves it alone
    until a librarian releases the run. A failed harvest keeps its report (with where it stopped)
    and is not processed; the other sources go on, and the index step runs for what they brought.
    A harvest refused because another process (another worker) is harvesting the source is
    reported the same way, at once and without retries (:func:`worth_retrying`): the source is
    neither harvested twice nor processed twice.
    """
    reports: dict[str, Any] = {}
    failed: list[str] = []
    for source_id in source_ids:
        try:
            harvested = harvest(source_id, full=full)
        except HarvestFailed as exc:
            reports[source_id] = {"harvest": exc.report}
            failed.append(str(exc))
            continue
        except HarvestInProgressError as exc:
            reports[source_id] = {"harvest": refused_report(source_id, exc)}
            failed.append(str(exc))
            continue
        processed = process(source_id)
        reports[source_id] = {
            "harvest": harvested,
            "process": processed,
            "report": report(source_id, harvested, processed),
        }
    indexed = index_or_report()
    if indexed["status"] == "failed":
        failed.append(str(indexed.get("error", {}).get("message")))
    result: dict[str, Any] = {"status": "completed", "sources": reports, "index": indexed}
    if failed:
        result.update(status="failed", error="; ".join(failed))
        return Failed(message=result["error"], data=FlowFailed(result))
    return result
