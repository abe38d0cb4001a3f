"""The pipeline flow: harvest → process → index, the whole stage order at a glance.

Thin on purpose: every task calls one step of ``ren_index.steps``; retries sit only on the tasks
that do network I/O (harvest, index). A harvest that fails is retried from its saved checkpoint,
so a retry never starts the list over.
"""

from __future__ import annotations

from typing import Any

from prefect import flow, task

from ren_index.config.rules import load_portals
from ren_index.config.sources import get_source, load_sources
from ren_index.config.vocabularies import load_vocabularies
from ren_index.errors import HarvestError
from ren_index.ledger.db import open_ledger
from ren_index.runs.report import RunReport
from ren_index.settings import load_settings


@task(retries=2, retry_delay_seconds=[10, 60], task_run_name="harvest-{source_id}")
def harvest(source_id: str, full: bool = False) -> RunReport:
    """Harvest one source into the ledger; raise on failure so Prefect retries (from the checkpoint)."""
    from ren_index.steps.harvest import harvest_source

    settings = load_settings()
    source = get_source(load_sources(settings.config_dir / "sources.yaml"), source_id)
    report = harvest_source(open_ledger(settings.db_url), source, settings, full=full)
    if report["status"] == "failed":
        raise HarvestError(f"harvest of {source_id} failed: {report.get('error', {}).get('message')}")
    return report


@task(task_run_name="process-{source_id}")
def process(source_id: str) -> RunReport:
    """Normalize, validate and decide what the harvest brought."""
    from ren_index.config.rulebook import Rulebook
    from ren_index.steps.process import process_source

    settings = load_settings()
    source = get_source(load_sources(settings.config_dir / "sources.yaml"), source_id)
    return process_source(open_ledger(settings.db_url), source, Rulebook.load(settings.config_dir))


@task(retries=2, retry_delay_seconds=[10, 60])
def index() -> RunReport:
    """Send what changed to OpenSearch."""
    from ren_index.index.client import make_client, ping_or_raise
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
    )


@task(task_run_name="report-{source_id}")
def report(source_id: str, harvested: RunReport, processed: RunReport) -> RunReport:
    """One report per source: the process step's decisions merged into the harvest run's counts,
    kept in the ledger (``runs``) and published as a markdown artifact for the Prefect UI."""
    from prefect.artifacts import create_markdown_artifact

    from ren_index.runs.report import merge_process_counts, report_markdown

    settings = load_settings()
    run_id = harvested.get("run_id")
    assert run_id is not None, "a harvest report always names its run"
    merged = merge_process_counts(open_ledger(settings.db_url), run_id, processed)
    merged = RunReport(**{**harvested, **merged})  # the harvest's extra keys (withdrawn…) stay
    create_markdown_artifact(
        key=f"run-report-{source_id}",
        markdown=report_markdown(merged),
        description=f"Rapport de moisson / run report: {source_id}",
    )
    return merged


@flow(name="ren-index-pipeline", log_prints=True)
def pipeline(source_ids: list[str], full: bool = False) -> dict[str, Any]:
    """Harvest → process → index for the given sources; one report per source plus the index's.

    A held harvest is not a failure: its source is processed, and the index step leaves it alone
    until a librarian releases the run.
    """
    reports: dict[str, Any] = {}
    for source_id in source_ids:
        harvested = harvest(source_id, full=full)
        processed = process(source_id)
        reports[source_id] = {
            "harvest": harvested,
            "process": processed,
            "report": report(source_id, harvested, processed),
        }
    indexed = index()
    return {"status": "completed", "sources": reports, "index": indexed}
