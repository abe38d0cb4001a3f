"""Undo: the newest decision, by its author or an admin, within ten minutes, if nothing changed since."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from ren_index.ledger.models import Event, ResourceRow
from ren_index.review.decisions import ReviewError, decide_by_person, save_corrections, withdraw
from ren_index.review.undo import UNDO_WINDOW, undo_decision, undoable

from .conftest import RULEBOOK, Pipeline


def row_of(pipeline: Pipeline, rid: str) -> ResourceRow:
    with pipeline.ledger() as session:
        return session.get_one(ResourceRow, rid)


def events(pipeline: Pipeline, rid: str) -> list[Event]:
    with pipeline.ledger() as session:
        return list(session.scalars(select(Event).where(Event.resource_id == rid).order_by(Event.id)))


def test_undo_puts_back_status_decider_and_date_and_keeps_both_events(pipeline: Pipeline) -> None:
    rid = pipeline.first("needs_review").id
    before = row_of(pipeline, rid)
    decide_by_person(pipeline.ledger, rid, "approved", actor="dora")
    chance = undoable(pipeline.ledger, rid, actor="dora")
    assert chance is not None and chance.action == "approved"
    assert undoable(pipeline.ledger, rid, actor="marie") is None  # not hers to undo

    done = undo_decision(pipeline.ledger, rid, actor="dora", event_id=chance.event_id)
    after = row_of(pipeline, rid)
    assert (done.status, done.undone_action) == ("needs_review", "approved")
    assert (after.status, after.decided_by, after.decided_at, after.portals) == (
        before.status,
        before.decided_by,
        before.decided_at,
        before.portals,
    )
    approval, undo = events(pipeline, rid)[-2:]
    assert (approval.action, undo.action, undo.actor) == ("approved", "undo", "dora")
    assert undo.after is not None and undo.after["undoes"] == approval.id
    assert undo.before == {"status": "approved", "decided_by": "dora"}
    assert undoable(pipeline.ledger, rid, actor="dora") is None


def test_undo_of_a_withdrawal_publishes_again(pipeline: Pipeline) -> None:
    rid = pipeline.first("approved").id
    withdraw(pipeline.ledger, rid, actor="dora", comment="à revoir")
    assert undo_decision(pipeline.ledger, rid, actor="dora").status == "approved"
    assert row_of(pipeline, rid).decided_by == "rules"


def _too_late(pipeline: Pipeline, rid: str) -> None:
    with pipeline.ledger.begin() as session:
        newest = session.scalars(
            select(Event).where(Event.resource_id == rid).order_by(Event.id.desc()).limit(1)
        ).one()
        session.execute(
            update(Event)
            .where(Event.id == newest.id)
            .values(at=newest.at - UNDO_WINDOW - timedelta(minutes=1))
        )


def _changed_since(pipeline: Pipeline, rid: str) -> None:
    save_corrections(
        pipeline.ledger, RULEBOOK, rid, {"description": {"fr": "Revue par Marie"}}, actor="marie"
    )


def _undone_already(pipeline: Pipeline, rid: str) -> None:
    undo_decision(pipeline.ledger, rid, actor="dora")


REFUSALS = [
    ("too_late", _too_late, "dora", "plus de 10 minutes", "more than 10 minutes old"),
    ("not_the_author", lambda p, rid: None, "marie", "seul son auteur (dora)", "only its author (dora)"),
    ("changed_since", _changed_since, "dora", "corrigée par marie (description)", "corrected by marie"),
    ("undone_already", _undone_already, "dora", "déjà annulée", "undone already"),
]


@pytest.mark.parametrize(
    ("setup", "who", "fr", "en"), [r[1:] for r in REFUSALS], ids=[r[0] for r in REFUSALS]
)
def test_undo_is_refused_with_its_reason(
    pipeline: Pipeline, setup: Callable[[Pipeline, str], None], who: str, fr: str, en: str
) -> None:
    rid = pipeline.first("needs_review").id
    decide_by_person(pipeline.ledger, rid, "approved", actor="dora")
    setup(pipeline, rid)
    status, count = row_of(pipeline, rid).status, len(events(pipeline, rid))
    with pytest.raises(ReviewError) as refused:
        undo_decision(pipeline.ledger, rid, actor=who)
    assert refused.value.message_fr.startswith("Impossible d'annuler") and fr in refused.value.message_fr
    assert en in refused.value.message_en
    assert (row_of(pipeline, rid).status, len(events(pipeline, rid))) == (status, count)


def test_only_the_newest_decision_can_be_undone(pipeline: Pipeline) -> None:
    rid = pipeline.first("needs_review").id
    decide_by_person(pipeline.ledger, rid, "approved", actor="dora")
    first = undoable(pipeline.ledger, rid, actor="dora")
    assert first is not None
    withdraw(pipeline.ledger, rid, actor="dora", comment="finalement non")
    with pytest.raises(ReviewError) as refused:
        undo_decision(pipeline.ledger, rid, actor="dora", event_id=first.event_id)
    assert "dernière décision" in refused.value.message_fr and "newest decision" in refused.value.message_en
    assert row_of(pipeline, rid).status == "needs_review"
    assert undo_decision(pipeline.ledger, rid, actor="dora").status == "approved"  # the withdrawal


def test_an_admin_may_undo_someone_elses_decision(pipeline: Pipeline) -> None:
    rid = pipeline.first("needs_review").id
    decide_by_person(pipeline.ledger, rid, "rejected", actor="dora", comment="hors sujet")
    assert undo_decision(pipeline.ledger, rid, actor="ada", role="admin").status == "needs_review"
