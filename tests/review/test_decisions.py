"""Decisions by people: bulk, withdrawal, and the audit trail with its CSV export."""

from __future__ import annotations

import csv
import io
import json

import pytest
from sqlalchemy import select

from ren_index.ledger.models import ResourceRow
from ren_index.review.decisions import ReviewError, bulk_decide, decide_by_person, save_corrections, withdraw
from ren_index.review.queries import events_csv, history

from .conftest import RULEBOOK, Pipeline


def ids_with(pipeline: Pipeline, status: str) -> list[str]:
    with pipeline.ledger() as session:
        return list(session.scalars(select(ResourceRow.id).where(ResourceRow.status == status)))


def test_bulk_decide_counts_what_it_did(pipeline: Pipeline) -> None:
    waiting = ids_with(pipeline, "needs_review")[:5]
    deleted = ids_with(pipeline, "deleted")[:1]
    with pytest.raises(ReviewError):
        bulk_decide(pipeline.ledger, waiting, "rejected", actor="marie")  # a rejection needs a reason
    outcome = bulk_decide(pipeline.ledger, [*waiting, *deleted, "nope"], "approved", actor="marie")
    assert outcome.counts == {"decided": 5, "skipped": 1, "missing": 1, "stale": 0}
    assert sorted(outcome.decided) == sorted(waiting) and outcome.stale == []
    with pipeline.ledger() as session:
        rows = [session.get_one(ResourceRow, i) for i in waiting]
    assert {(r.status, r.decided_by) for r in rows} == {("approved", "marie")}


def test_withdraw_puts_an_approved_record_back_in_the_queue(pipeline: Pipeline) -> None:
    target = ids_with(pipeline, "approved")[0]
    with pytest.raises(ReviewError):
        withdraw(pipeline.ledger, target, actor="marie", comment=" ")
    assert withdraw(pipeline.ledger, target, actor="marie", comment="à revoir") == "needs_review"
    with pytest.raises(ReviewError):
        withdraw(pipeline.ledger, target, actor="marie", comment="encore")
    pipeline.run()
    row = pipeline.row(pipeline.identifier(target))
    assert (row.status, row.decided_by) == ("needs_review", "marie")


def test_history_has_every_change_newest_first(pipeline: Pipeline) -> None:
    target = ids_with(pipeline, "approved")[0]
    save_corrections(
        pipeline.ledger, RULEBOOK, target, {"title": "Titre revu"}, actor="marie", comment="typo"
    )
    decide_by_person(pipeline.ledger, target, "rejected", actor="paul", comment="doublon")
    events = history(pipeline.ledger, target)
    assert [e["action"] for e in events[:2]] == ["rejected", "corrected"]
    rejected, corrected = events[0], events[1]
    assert rejected["before"]["status"] == "approved" and rejected["after"]["status"] == "rejected"
    assert rejected["actor"] == "paul" and rejected["comment"] == "doublon"
    assert list(corrected["after"]["title"].values()) == ["Titre revu"]
    assert corrected["before"]["title"] != corrected["after"]["title"]
    assert events[-1]["action"] == "decided" and events[-1]["actor"] == "rules"


def test_events_csv_is_spreadsheet_safe(pipeline: Pipeline) -> None:
    target = ids_with(pipeline, "approved")[0]
    decide_by_person(
        pipeline.ledger, target, "rejected", actor="=cmd|' /C calc'!A0", comment='=HYPERLINK("x")'
    )
    decide_by_person(pipeline.ledger, target, "approved", actor="marie", comment="@SUM(1)")
    text = events_csv(pipeline.ledger, target)
    rows = list(csv.DictReader(io.StringIO(text)))
    assert list(rows[0]) == [
        "id",
        "at",
        "actor",
        "action",
        "resource_id",
        "source_id",
        "run_id",
        "before",
        "after",
        "comment",
    ]
    by_action = {r["action"]: r for r in rows}
    assert by_action["rejected"]["comment"] == '\'=HYPERLINK("x")'
    assert by_action["rejected"]["actor"].startswith("'=")
    assert by_action["approved"]["comment"] == "'@SUM(1)"
    assert json.loads(by_action["approved"]["after"]) == {
        "decided_by": "marie",
        "status": "approved",
        "version": 3,  # the record's version this approval made (the rejection made 2)
    }
    for row in rows:
        assert not any(cell.startswith(("=", "+", "-", "@")) for cell in row.values())
    everything = list(csv.DictReader(io.StringIO(events_csv(pipeline.ledger))))
    assert len(everything) > len(rows)
