"""Feed harvests through the harvest step: state between runs, withdrawals, and process end to end."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from ren_index.config.rulebook import Rulebook
from ren_index.demo.server import DemoOaiServer
from ren_index.ledger.models import Event, HarvestRun, RawRecordRow, ResourceRow
from ren_index.settings import Settings
from ren_index.steps.harvest import harvest_source
from ren_index.steps.process import process_source

from .conftest import FIXTURES, FeedServer, source

CONFIG = Path(__file__).resolve().parents[3] / "config"
RSS = "application/rss+xml"


def live(factory: sessionmaker[Session]) -> dict[str, bool]:
    with factory() as session:
        return {r.identifier: r.deleted for r in session.scalars(select(RawRecordRow))}


def test_rss_second_run_is_a_304_with_nothing_withdrawn(
    ledger: sessionmaker[Session], settings: Settings, feed_server: FeedServer
) -> None:
    feed_server.serve("/feed/?paged=2", "wordpress-2.xml", RSS)
    src = source("rss", feed_server.serve("/feed/", "wordpress-1.xml", RSS))
    first = harvest_source(ledger, src, settings)
    assert first["status"] == "completed" and first["counts"]["new"] == 3
    with ledger() as session:
        run = session.scalars(select(HarvestRun)).one()
        assert run.checkpoint["feed_state"]["etag"]
    second = harvest_source(ledger, src, settings)
    assert second["counts"]["harvested"] == 0 and second["counts"]["withdrawn"] == 0
    assert feed_server.requests[-1][1] is not None  # If-None-Match was sent
    assert not any(live(ledger).values())


def test_item_gone_from_the_feed_is_withdrawn_then_comes_back(
    ledger: sessionmaker[Session], settings: Settings, feed_server: FeedServer
) -> None:
    src = source("rss", feed_server.serve("/feed/", "wordpress-1.xml", RSS))
    harvest_source(ledger, src, settings)
    full = (FIXTURES / "wordpress-1.xml").read_bytes()
    start = full.index(b"<item>", full.index(b"</item>"))
    shorter = full[:start] + full[full.index(b"</item>", start) + len(b"</item>") :]
    feed_server.routes["/feed/"] = (shorter, RSS)
    report = harvest_source(ledger, src, settings)
    gone = "https://www.profweb.example/?p=102"
    assert report["withdrawn"] == [gone] and report["counts"]["withdrawn"] == 1
    assert report["counts"]["deleted"] == 1
    assert live(ledger)[gone] is True
    process = process_source(ledger, src, Rulebook.load(CONFIG))
    assert process["counts"]["deleted"] == 1
    feed_server.routes["/feed/"] = (full, RSS)
    back = harvest_source(ledger, src, settings)
    assert back["counts"]["updated"] == 1 and live(ledger)[gone] is False


def test_held_withdrawals_are_listed_and_change_nothing(
    ledger: sessionmaker[Session], settings: Settings, feed_server: FeedServer
) -> None:
    src = source("rss", feed_server.serve("/feed/", "wordpress-1.xml", RSS))
    harvest_source(ledger, src, settings)
    feed_server.routes["/feed/"] = ((FIXTURES / "wordpress-2.xml").read_bytes(), RSS)
    report = harvest_source(ledger, src, settings, apply_withdrawals=False)
    assert report["withdrawals_held"] is True
    assert report["counts"]["withdrawn"] == 2 and report["counts"]["deleted"] == 0
    assert len(report["withdrawn"]) == 2 and not any(live(ledger).values())


def test_oai_absence_withdraws_only_when_the_repository_says_deleted_record_no(
    ledger: sessionmaker[Session], settings: Settings
) -> None:
    from ren_index.demo.catalogue import demo_records

    records = [r for r in demo_records() if r.metadata_format == "lom" and not r.deleted][:6]
    oai = {"metadata_prefix": "lom"}
    with DemoOaiServer(records=records, page_size=10) as server:
        src = source("oai", server.url, **oai)
        harvest_source(ledger, src, settings)
    with DemoOaiServer(records=records[:4], page_size=10) as server:  # announces persistent
        report = harvest_source(ledger, source("oai", server.url, **oai), settings, full=True)
    assert report["counts"]["withdrawn"] == 0 and not any(live(ledger).values())


def test_oai_deleted_record_no_withdraws_after_a_full_run(
    ledger: sessionmaker[Session], settings: Settings, monkeypatch: object
) -> None:
    import dataclasses

    from ren_index.demo.catalogue import demo_records
    from ren_index.harvest.oai import OaiHarvester

    records = [r for r in demo_records() if r.metadata_format == "lom" and not r.deleted][:6]
    with DemoOaiServer(records=records, page_size=10) as server:
        harvest_source(ledger, source("oai", server.url, metadata_prefix="lom"), settings)
    with DemoOaiServer(records=records[:4], page_size=10) as server:
        harvester = OaiHarvester(server.url, "lom")
        info = dataclasses.replace(harvester.identify(), deleted_record="no")
        harvester.identify = lambda: info  # type: ignore[method-assign]
        src = source("oai", server.url, metadata_prefix="lom")
        incremental = harvest_source(ledger, src, settings, harvester=harvester)
        assert incremental["counts"]["withdrawn"] == 0  # a windowed run sees only what changed
        full = harvest_source(ledger, src, settings, harvester=harvester, full=True)
    assert full["counts"]["withdrawn"] == 2
    assert sorted(i for i, d in live(ledger).items() if d) == sorted(r.identifier for r in records[4:])


def test_csv_source_end_to_end(
    ledger: sessionmaker[Session], settings: Settings, feed_server: FeedServer
) -> None:
    url = feed_server.serve("/export.csv", "partenaire-1252.csv", "text/csv; charset=windows-1252")
    src = source(
        "csv",
        url,
        columns={
            "id": "identifiant",
            "title": "titre",
            "description": "description",
            "url": "lien",
            "level": "niveau",
            "licence": "licence",
        },
        defaults={"language": "fr"},
    )
    harvest = harvest_source(ledger, src, settings)
    assert harvest["status"] == "completed"
    assert harvest["counts"]["new"] == 3 and harvest["withdrawn"] == []
    report = process_source(ledger, src, Rulebook.load(CONFIG))
    assert report["counts"]["processed"] == 3 and report["counts"]["errors"] == 0
    with ledger() as session:
        statuses = {
            r.record["provenance"]["identifier"]: r.status for r in session.scalars(select(ResourceRow))
        }
        problems = [
            e.comment for e in session.scalars(select(Event).where(Event.action == "harvest_problem"))
        ]
    assert set(statuses) == {"R-1", "R-2", "R-4"}
    assert set(statuses.values()) <= {"approved", "needs_review"}
    assert "approved" in statuses.values(), statuses
    assert problems == ["row 4: 9 cells where the header has 7"]  # the bad row, as data
