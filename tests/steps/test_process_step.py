"""The process step: normalize → validate → decide over the ledger, idempotent, respectful of people."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from ren_index.config.rulebook import Rulebook
from ren_index.demo.server import DemoOaiServer
from ren_index.ledger.models import Event, RawRecordRow, ResourceRow
from ren_index.review.decisions import decide_by_person
from ren_index.settings import Settings
from ren_index.steps.harvest import harvest_source
from ren_index.steps.process import process_source

from .conftest import source_for

RULEBOOK = Rulebook.load(Path(__file__).resolve().parents[2] / "config")


def statuses(factory: sessionmaker[Session]) -> dict[str, str]:
    with factory() as session:
        return {
            raw.identifier: res.status
            for res, raw in session.execute(
                select(ResourceRow, RawRecordRow).join(RawRecordRow, ResourceRow.raw_id == RawRecordRow.id)
            )
        }


def test_statuses_follow_the_records(
    ledger: sessionmaker[Session], settings: Settings, demo_server: DemoOaiServer, lom_records: list
) -> None:
    source = source_for(demo_server.url)
    harvest_source(ledger, source, settings)
    report = process_source(ledger, source, RULEBOOK)
    assert report["status"] == "completed"
    counts = report["counts"]
    assert counts["processed"] == len(lom_records)
    assert counts["approved"] > 0 and counts["needs_review"] > 0
    assert counts["deleted"] == sum(r.deleted for r in lom_records)
    by_id = statuses(ledger)
    for rec in lom_records:
        if rec.deleted:
            assert by_id[rec.identifier] == "deleted"
    with ledger() as session:
        for row in session.scalars(select(ResourceRow).where(ResourceRow.status == "needs_review")):
            assert row.issues, "a record sent to review says why"
            assert all(i["message_fr"] for i in row.issues)
        approved = session.scalars(select(ResourceRow).where(ResourceRow.status == "approved")).first()
        assert approved is not None and approved.record["general"]["title"]
        assert approved.decided_by == "rules"
        assert session.scalars(select(Event).where(Event.action == "decided")).first() is not None
    again = process_source(ledger, source, RULEBOOK)
    assert again["counts"]["processed"] == 0  # nothing new, nothing done


def test_person_decisions_survive_unchanged_reharvests_not_source_changes(
    ledger: sessionmaker[Session], settings: Settings, lom_records: list
) -> None:
    with DemoOaiServer(records=lom_records, page_size=50) as server:
        source = source_for(server.url)
        harvest_source(ledger, source, settings)
        process_source(ledger, source, RULEBOOK)
    with ledger() as session:
        target = session.scalars(select(ResourceRow).where(ResourceRow.status == "approved")).first()
        assert target is not None
        raw = session.get(RawRecordRow, target.raw_id)
        assert raw is not None
        identifier = raw.identifier
    decide_by_person(ledger, target.id, "rejected", actor="marie", comment="hors sujet")
    with DemoOaiServer(records=lom_records, page_size=50) as server:
        source = source_for(server.url)
        harvest_source(ledger, source, settings, full=True)
        process_source(ledger, source, RULEBOOK)
    assert statuses(ledger)[identifier] == "rejected"  # unchanged at source: stays rejected
    changed = [
        replace(r, description="Nouvelle description fournie par la source.")
        if r.identifier == identifier
        else r
        for r in lom_records
    ]
    with DemoOaiServer(records=changed, page_size=50) as server:
        source = source_for(server.url)
        harvest_source(ledger, source, settings, full=True)
        process_source(ledger, source, RULEBOOK)
    assert statuses(ledger)[identifier] == "approved"  # the source changed: decided again
    with ledger() as session:
        actions = [e.action for e in session.scalars(select(Event).where(Event.resource_id == target.id))]
    assert "rejected" in actions and actions.count("decided") >= 2


def test_rule_changes_reprocess_everything_but_keep_person_decisions(
    ledger: sessionmaker[Session], settings: Settings, demo_server: DemoOaiServer, tmp_path: Path
) -> None:
    import shutil

    config = tmp_path / "config"
    shutil.copytree(Path(__file__).resolve().parents[2] / "config", config)
    source = source_for(demo_server.url)
    harvest_source(ledger, source, settings)
    first = process_source(ledger, source, Rulebook.load(config))
    assert process_source(ledger, source, Rulebook.load(config))["counts"]["processed"] == 0
    with ledger() as session:
        approved = session.scalars(select(ResourceRow).where(ResourceRow.status == "approved")).all()
    person_rejected = approved[0].id
    decide_by_person(ledger, person_rejected, "rejected", actor="marie", comment="hors programme")

    # A stricter rule: HTML in a description now means rejection.
    rules = (config / "validation.yaml").read_text(encoding="utf-8")
    (config / "validation.yaml").write_text(
        rules.replace("effects:\n", "effects:\n  HTML_IN_DESCRIPTION: reject\n", 1),
        encoding="utf-8",
    )
    changed = Rulebook.load(config)
    assert changed.fingerprint != Rulebook.load(Path(__file__).resolve().parents[2] / "config").fingerprint
    again = process_source(ledger, source, changed)
    assert again["counts"]["processed"] == first["counts"]["processed"]  # everything redone
    with ledger() as session:
        kept = session.get_one(ResourceRow, person_rejected)
        assert (kept.status, kept.decided_by) == ("rejected", "marie")
        html = [
            r
            for r in session.scalars(select(ResourceRow))
            if any(i["code"] == "HTML_IN_DESCRIPTION" for i in r.issues) and r.decided_by == "rules"
        ]
    assert html and all(r.status == "rejected" for r in html)  # the new rule applied


def test_the_quality_score_is_stored_and_agrees_with_the_json_contract(
    ledger: sessionmaker[Session], settings: Settings, demo_server: DemoOaiServer, lom_records: list
) -> None:
    from ren_index.ledger.record_json import record_view

    source = source_for(demo_server.url)
    harvest_source(ledger, source, settings)
    process_source(ledger, source, RULEBOOK)
    with ledger() as session:
        rows = session.scalars(select(ResourceRow).where(ResourceRow.status != "deleted")).all()
        assert rows
        for row in rows:
            assert row.quality_score is not None and 0 <= row.quality_score <= 100
            view = record_view(row, vocabularies=RULEBOOK.vocabularies)
            assert view["quality"]["score"] == row.quality_score  # stored and shown: one number
            assert all(
                {"code", "points", "label_fr", "label_en"} == set(m) for m in view["quality"]["missing"]
            )
        assert len({row.quality_score for row in rows}) > 1  # the demo's records differ in quality
        deleted = session.scalars(select(ResourceRow).where(ResourceRow.status == "deleted")).all()
        assert all(row.quality_score is None for row in deleted)
