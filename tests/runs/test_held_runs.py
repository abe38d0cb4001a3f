"""A source that suddenly lists a third of its records is held: nothing withdrawn, nothing sent to
the portals, until a librarian releases the run; then the withdrawals go through."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from opensearchpy import OpenSearch
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from ren_index.config.rulebook import Rulebook
from ren_index.config.rules import load_portals
from ren_index.demo.catalogue import demo_records
from ren_index.demo.server import DemoOaiServer
from ren_index.harvest.base import Page, RawRecord
from ren_index.harvest.oai import OaiHarvester
from ren_index.index.client import make_client
from ren_index.ledger.models import Event, HarvestRun, RawRecordRow
from ren_index.runs.holds import held_sources, release_run
from ren_index.runs.report import list_runs
from ren_index.settings import Settings
from ren_index.steps.harvest import harvest_source
from ren_index.steps.index import index_changes
from ren_index.steps.process import process_source

from .conftest import CONFIG, CsvServer, csv_body, csv_rows, csv_source

PORTAL_IDS = list(load_portals(Path(__file__).resolve().parents[2] / "config"))


def live_identifiers(factory: sessionmaker[Session]) -> set[str]:
    with factory() as session:
        return set(session.scalars(select(RawRecordRow.identifier).where(RawRecordRow.deleted.is_(False))))


def cut_to_a_third(server: CsvServer) -> None:
    server.body = csv_body(csv_rows(10))


def test_a_third_of_the_records_is_held_and_withdraws_nothing(
    ledger: sessionmaker[Session], settings: Settings, csv_server: CsvServer
) -> None:
    source = csv_source(csv_server.url)
    first = harvest_source(ledger, source, settings)
    assert first["status"] == "completed" and first["counts"]["new"] == 30
    cut_to_a_third(csv_server)
    report = harvest_source(ledger, source, settings)
    assert report["status"] == "held"
    assert report["withdrawals_held"] is True and report["counts"]["deleted"] == 0
    assert report["counts"]["withdrawn"] == 20 and len(report["withdrawn"]) == 20
    assert report["hold"]["reasons"] == ["RECORD_COUNT_DROP"]
    assert report["hold"]["records"] == 10 and report["hold"]["previous_records"] == 30
    assert "retenue" in report["hold"]["message_fr"] and "held" in report["hold"]["message_en"]
    assert len(live_identifiers(ledger)) == 30  # nothing withdrawn
    with ledger() as session:
        assert held_sources(session) == {"partenaire"}
    # Still short the next night: held again, against the last *accepted* complete harvest.
    again = harvest_source(ledger, source, settings)
    assert again["status"] == "held" and again["hold"]["previous_records"] == 30


def test_release_applies_the_held_withdrawals_with_the_librarian_named(
    ledger: sessionmaker[Session], settings: Settings, csv_server: CsvServer
) -> None:
    source = csv_source(csv_server.url)
    harvest_source(ledger, source, settings)
    cut_to_a_third(csv_server)
    held = harvest_source(ledger, source, settings)
    released = release_run(ledger, held["run_id"], actor="louise")
    assert released["status"] == "completed"
    assert released["hold"]["released"]["by"] == "louise"
    assert released["hold"]["released"]["withdrawals_applied"] == 20
    assert released["counts"]["deleted"] == 20
    assert live_identifiers(ledger) == {f"R-{n}" for n in range(1, 11)}
    with ledger() as session:
        assert held_sources(session) == set()
        event = session.scalars(select(Event).where(Event.action == "run_released")).one()
        assert event.actor == "louise" and event.run_id == held["run_id"]
    from ren_index.runs.holds import RunError

    with pytest.raises(RunError):
        release_run(ledger, held["run_id"], actor="louise")  # released once


def test_a_record_seen_again_after_the_hold_is_not_withdrawn_on_release(
    ledger: sessionmaker[Session], settings: Settings, csv_server: CsvServer
) -> None:
    source = csv_source(csv_server.url)
    harvest_source(ledger, source, settings)
    cut_to_a_third(csv_server)
    held = harvest_source(ledger, source, settings)
    csv_server.body = csv_body(csv_rows(10) + csv_rows(1, start=25))  # R-25 is back
    harvest_source(ledger, source, settings)  # held too (11 of 30)
    release_run(ledger, held["run_id"], actor="louise")
    assert "R-25" in live_identifiers(ledger)


def test_runs_are_listed_newest_first_with_duration_and_throughput(
    ledger: sessionmaker[Session], settings: Settings, csv_server: CsvServer
) -> None:
    source = csv_source(csv_server.url)
    harvest_source(ledger, source, settings)
    cut_to_a_third(csv_server)
    harvest_source(ledger, source, settings)
    reports = list_runs(ledger, "partenaire")
    assert [r["status"] for r in reports] == ["held", "completed"]
    assert reports[0]["run_id"] > reports[1]["run_id"]
    assert reports[1]["duration_s"] is not None and reports[1]["throughput"] is not None
    assert reports[0]["hold"]["reasons"] == ["RECORD_COUNT_DROP"] and len(reports[0]["withdrawn"]) == 20


class LosingIdentifiers(OaiHarvester):
    """The demo repository, except that ``lost`` of every ten records come without identifier."""

    def __init__(self, url: str, lost: int) -> None:
        super().__init__(url, "lom")
        self.lost = lost

    def pages(self, **kwargs: Any) -> Iterator[Page]:
        for page in super().pages(**kwargs):
            records = [
                RawRecord(None, r.datestamp, r.deleted, r.metadata_prefix, r.payload)
                if i % 10 < self.lost
                else r
                for i, r in enumerate(page.records)
            ]
            yield Page(records, page.request_token, page.next_token, page.cursor, page.complete_list_size)


def test_an_error_rate_jump_is_held(ledger: sessionmaker[Session], settings: Settings) -> None:
    records = [r for r in demo_records() if r.metadata_format == "lom"]
    with DemoOaiServer(records=records, page_size=20) as server:
        source = csv_source(server.url).model_copy(update={"type": "oai", "metadata_prefix": "lom"})
        first = harvest_source(ledger, source, settings, harvester=LosingIdentifiers(server.url, 0))
        assert first["status"] == "completed"
        report = harvest_source(
            ledger, source, settings, full=True, harvester=LosingIdentifiers(server.url, 4)
        )
    assert report["status"] == "held", report
    assert "ERROR_RATE_JUMP" in report["hold"]["reasons"]
    assert report["hold"]["error_rate"] > 0.2


@pytest.mark.integration
def test_a_held_source_is_not_emptied_from_the_portal_until_released(
    ledger: sessionmaker[Session], settings: Settings, csv_server: CsvServer, opensearch_url: str
) -> None:
    client: OpenSearch = make_client(Settings(opensearch_url=opensearch_url))
    prefix = f"ops{secrets.token_hex(4)}"
    rulebook = Rulebook.load(CONFIG)
    source = csv_source(csv_server.url)

    def in_portal() -> int:
        client.indices.refresh(index=f"{prefix}-resources")
        query = {"query": {"term": {"source": "partenaire"}}}
        return int(client.count(index=f"{prefix}-resources", body=query)["count"])

    try:
        harvest_source(ledger, source, settings)
        process_source(ledger, source, rulebook)
        first = index_changes(ledger, client, prefix, portals=PORTAL_IDS)
        published = first["counts"]["indexed"]
        assert published >= 20, first  # most rows are approved by the rules
        assert in_portal() == published
        cut_to_a_third(csv_server)
        held = harvest_source(ledger, source, settings)
        assert held["status"] == "held"
        process_source(ledger, source, rulebook)
        during = index_changes(ledger, client, prefix, portals=PORTAL_IDS)
        assert during["held_sources"] == ["partenaire"]
        assert during["counts"]["removed"] == 0 and in_portal() == published  # the portal keeps them
        release_run(ledger, held["run_id"], actor="louise")
        process_source(ledger, source, rulebook)
        after = index_changes(ledger, client, prefix, portals=PORTAL_IDS)
        assert after["counts"]["removed"] == published - in_portal() > 0
        assert in_portal() <= 10
    finally:
        client.indices.delete(index=f"{prefix}-*", ignore_unavailable=True)


def test_held_run_status_is_kept_in_the_ledger(
    ledger: sessionmaker[Session], settings: Settings, csv_server: CsvServer
) -> None:
    source = csv_source(csv_server.url)
    harvest_source(ledger, source, settings)
    cut_to_a_third(csv_server)
    harvest_source(ledger, source, settings)
    with ledger() as session:
        runs = list(session.scalars(select(HarvestRun).order_by(HarvestRun.id)))
    assert [r.status for r in runs] == ["completed", "held"]
    assert runs[1].checkpoint["hold"]["withdrawn"][:2] == ["R-11", "R-12"]


def test_run_report_merges_process_counts_and_renders_as_markdown(
    ledger: sessionmaker[Session], settings: Settings, csv_server: CsvServer
) -> None:
    from ren_index.runs.report import merge_process_counts, report_markdown

    source = csv_source(csv_server.url)
    harvested = harvest_source(ledger, source, settings)
    processed = process_source(ledger, source, Rulebook.load(CONFIG))
    merged = merge_process_counts(ledger, harvested["run_id"], processed)
    counts = merged["counts"]
    assert counts["harvested"] == 30 and counts["new"] == 30
    assert counts["approved"] + counts["needs_review"] + counts["rejected"] == 30
    assert list_runs(ledger, "partenaire", limit=5)[-1]["counts"] == counts  # kept in the ledger
    markdown = report_markdown(merged)
    assert markdown.startswith("## partenaire") and "| approved |" in markdown
