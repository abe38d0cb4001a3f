"""The pipeline flow: harvest → process → index, the whole stage order at a glance; and the links flow.

Thin on purpose: every task calls one step of ``ren_index.steps``; retries sit only on the tasks
that do network I/O (harvest, index). A harvest that fails is retried from its saved checkpoint,
so a retry never starts the list over.

Faults end as reports, not as a crash: a source whose harvest fails (after its retries) keeps its
failed report and the other sources go on; an OpenSearch that does not answer is seen by one quick
ping before the index task, so the run says so at once instead of waiting through retry delays
meant for a bulk that broke off. What was harvested and processed stays in the ledger, and the next
``ren-index index`` (or run) sends it. Whenever something failed the flow ends ``Failed`` — so the
Prefect UI shows it — with every report as the state's data (:func:`running.run_pipeline` reads it).

Link health has a flow of its own, :func:`links_check` (deployment ``links-check``, on the cron of
``validation.yaml``'s ``links.schedule``): a pass over every live record takes minutes to hours of
polite requests, on its own rhythm (nightly for failing links, weekly for the others), so the
pipeline neither runs it nor waits for it — a ``ren-index run`` stays harvest → process → index.
The pass publishes what it changes itself (:func:`ren_index.steps.links.check_links`).
"""

from __future__ import annotations

from typing import Any

from opensearchpy.exceptions import OpenSearchException
from prefect import State, flow, task
from prefect.states import Failed

from ren_index.config.rules import load_portals
from ren_index.config.sources import get_source, load_sources
from ren_index.config.vocabularies import load_vocabularies
from ren_index.errors import HarvestError, IndexingError, RenIndexError
from ren_index.ledger.db import open_ledger
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


def worth_retrying(task: Any, task_run: Any, state: State[Any]) -> bool:
    """Retry a failed harvest from its checkpoint, unless its report says what to fix first.

    A metadata format the repository does not offer, a missing dump folder or a refused address
    would fail the same way 10 and 60 s later (``error.fix``, :mod:`ren_index.steps.harvest_remedies`):
    retrying only delays the report that says what to correct.
    """
    failure = state.data
    return not (isinstance(failure, HarvestFailed) and "fix" in failure.report.get("error", {}))


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


@task(task_run_name="process-{source_id}")
def process(source_id: str) -> RunReport:
    """Normalize, validate and decide what the harvest brought."""
    from ren_index.config.rulebook import Rulebook
    from ren_index.steps.process import process_source

    settings = load_settings()
    source = get_source(load_sources(settings.config_dir / "sources.yaml"), source_id)
    return process_source(open_ledger(settings.db_url), source, Rulebook.load(settings.config_dir))


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

    Ends ``Failed`` (so the Prefect UI shows it) with the pass's report as data when the pass could
    not finish; dead links found are data, not a failure.
    """
    report = check_links_task(source_ids)
    if report.get("status") == "failed":
        return Failed(message=str((report.get("error") or {}).get("message")), data=report)
    return report


@flow(name="ren-index-pipeline", log_prints=True)
def pipeline(source_ids: list[str], full: bool = False) -> dict[str, Any] | State[Any]:
    """Harvest → process → index for the given sources; one report per source plus the index's.

    A held harvest is not a failure: its source is processed, and the index step leaves it alone
    until a librarian releases the run. A failed harvest keeps its report (with where it stopped)
    and is not processed; the other sources go on, and the index step runs for what they brought.
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
        return Failed(message=result["error"], data=result)
    return result
