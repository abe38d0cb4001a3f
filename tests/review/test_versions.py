"""Record versions: every decision and correction is taken on the version its author saw, or refused
with what changed since; processing raises the version only when the record really changed."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from sqlalchemy import func, select

from ren_index.ledger.models import Event, ResourceRow
from ren_index.review.decisions import (
    ReviewError,
    StaleRecordError,
    apply_suggestion,
    bulk_decide,
    decide_by_person,
    keep_correction,
    save_corrections,
    withdraw,
)
from ren_index.review.undo import undo_decision
from ren_index.review.versions import moment_words

from .conftest import RULEBOOK, Pipeline


def state(pipeline: Pipeline, rid: str) -> tuple[int, str, str, int]:
    """(version, status, decided_by, number of events) of a record."""
    with pipeline.ledger() as session:
        row = session.get_one(ResourceRow, rid)
        events = session.scalar(select(func.count()).select_from(Event).where(Event.resource_id == rid))
        return row.version, row.status, row.decided_by, int(events or 0)


def marie_edits(pipeline: Pipeline, rid: str) -> None:
    """Another documentalist corrects the description while the first one still has the old page."""
    save_corrections(
        pipeline.ledger, RULEBOOK, rid, {"description": {"fr": "Description revue par Marie"}}, actor="marie"
    )


@dataclass(frozen=True)
class Kind:
    """One kind of action: the record it needs, and the action as ``dora`` at a given version."""

    name: str
    pick: Callable[[Pipeline], str]
    act: Callable[[Pipeline, str, int | None], object]


def waiting_with_suggestion(pipeline: Pipeline) -> str:
    return pipeline.first("needs_review", "LICENCE_AMBIGUOUS").id


def approved(pipeline: Pipeline) -> str:
    return pipeline.first("approved").id


def source_changed_after_edit(pipeline: Pipeline) -> str:
    """A corrected title the source then changed: ``keep_correction`` has something to keep."""
    rid = pipeline.first("approved").id
    save_corrections(pipeline.ledger, RULEBOOK, rid, {"title": {"fr": "Titre de Dora"}}, actor="dora")
    pipeline.change(pipeline.identifier(rid), title="La source a changé son titre")
    return rid


KINDS = [
    Kind(
        "approve",
        waiting_with_suggestion,
        lambda p, rid, v: decide_by_person(p.ledger, rid, "approved", actor="dora", expected_version=v),
    ),
    Kind(
        "reject",
        waiting_with_suggestion,
        lambda p, rid, v: decide_by_person(
            p.ledger, rid, "rejected", actor="dora", comment="hors sujet", expected_version=v
        ),
    ),
    Kind(
        "withdraw",
        approved,
        lambda p, rid, v: withdraw(p.ledger, rid, actor="dora", comment="à revoir", expected_version=v),
    ),
    Kind(
        "save_corrections",
        waiting_with_suggestion,
        lambda p, rid, v: save_corrections(
            p.ledger, RULEBOOK, rid, {"title": {"fr": "Titre de Dora"}}, actor="dora", expected_version=v
        ),
    ),
    Kind(
        "save_and_approve",
        waiting_with_suggestion,
        lambda p, rid, v: save_corrections(
            p.ledger,
            RULEBOOK,
            rid,
            {"title": {"fr": "Titre de Dora"}},
            actor="dora",
            approve=True,
            expected_version=v,
        ),
    ),
    Kind(
        "apply_suggestion",
        waiting_with_suggestion,
        lambda p, rid, v: apply_suggestion(
            p.ledger, RULEBOOK, rid, "LICENCE_AMBIGUOUS", actor="dora", expected_version=v
        ),
    ),
    Kind(
        "keep_correction",
        source_changed_after_edit,
        lambda p, rid, v: keep_correction(p.ledger, RULEBOOK, rid, "title", actor="dora", expected_version=v),
    ),
]


@pytest.mark.parametrize("kind", KINDS, ids=[k.name for k in KINDS])
def test_an_action_on_the_version_seen_goes_through_and_raises_it_by_one(
    pipeline: Pipeline, kind: Kind
) -> None:
    rid = kind.pick(pipeline)
    seen, *_rest, events = state(pipeline, rid)
    kind.act(pipeline, rid, seen)
    version, _status, _by, after = state(pipeline, rid)
    assert version == seen + 1 and after > events


@pytest.mark.parametrize("kind", KINDS, ids=[k.name for k in KINDS])
def test_an_action_on_a_stale_version_is_refused_saying_what_changed(pipeline: Pipeline, kind: Kind) -> None:
    rid = kind.pick(pipeline)
    seen = state(pipeline, rid)[0]
    marie_edits(pipeline, rid)
    before = state(pipeline, rid)
    assert before[0] == seen + 1
    with pytest.raises(StaleRecordError) as refused:
        kind.act(pipeline, rid, seen)
    assert state(pipeline, rid) == before  # nothing done: no change, no event
    error = refused.value
    assert (error.seen, error.current) == (seen, seen + 1)
    assert "corrigée par marie (description) à " in error.message_fr
    assert "corrected by marie (description) at " in error.message_en
    assert "décidez de nouveau" in error.message_fr and "decide again" in error.message_en
    kind.act(pipeline, rid, None)  # the command line without --version: no check


def test_a_stale_rejection_names_the_approval_in_montreal_time(pipeline: Pipeline) -> None:
    rid = waiting_with_suggestion(pipeline)
    seen = state(pipeline, rid)[0]
    decide_by_person(pipeline.ledger, rid, "approved", actor="marie", expected_version=seen)
    with pipeline.ledger() as session:
        at = session.scalars(
            select(Event.at).where(Event.resource_id == rid, Event.action == "approved")
        ).one()
    when_fr, when_en = moment_words(at)
    with pytest.raises(StaleRecordError) as refused:
        decide_by_person(pipeline.ledger, rid, "rejected", actor="dora", comment="non", expected_version=seen)
    assert f"approuvée par marie {when_fr}" in refused.value.message_fr
    assert f"approved by marie {when_en}" in refused.value.message_en
    assert when_fr.startswith("à ") and (" HNE" in when_fr or " HAE" in when_fr)
    assert " h " in when_fr and (" EST" in when_en or " EDT" in when_en)
    assert state(pipeline, rid)[1:3] == ("approved", "marie")


def test_bulk_refuses_the_stale_rows_and_decides_the_others(pipeline: Pipeline) -> None:
    with pipeline.ledger() as session:
        waiting = list(
            session.scalars(
                select(ResourceRow.id).where(ResourceRow.status == "needs_review").order_by(ResourceRow.id)
            )
        )[:3]
    versions = {rid: state(pipeline, rid)[0] for rid in waiting}
    marie_edits(pipeline, waiting[1])
    outcome = bulk_decide(pipeline.ledger, waiting, "approved", actor="dora", versions=versions)
    assert outcome.counts == {"decided": 2, "skipped": 0, "missing": 0, "stale": 1}
    assert outcome.decided == [waiting[0], waiting[2]]
    assert [e.record_id for e in outcome.stale] == [waiting[1]]
    assert "corrigée par marie" in outcome.stale[0].message_fr
    assert state(pipeline, waiting[1])[1] == "needs_review"
    assert all(state(pipeline, rid)[0] == versions[rid] + 1 for rid in (waiting[0], waiting[2]))


def test_processing_raises_the_version_only_when_the_record_changes(pipeline: Pipeline) -> None:
    target = pipeline.first("approved")
    ident = pipeline.identifier(target.id)
    pipeline.run()  # the same source again: nothing changed for anyone
    assert pipeline.row(ident).version == target.version
    pipeline.change(ident, title="Un titre changé à la source")
    changed = pipeline.row(ident)
    assert changed.version == target.version + 1
    with pytest.raises(StaleRecordError) as refused:
        decide_by_person(
            pipeline.ledger, target.id, "rejected", actor="dora", comment="x", expected_version=target.version
        )
    assert "nouvelle moisson" in refused.value.message_fr or "règles" in refused.value.message_fr


def test_an_undo_is_itself_versioned(pipeline: Pipeline) -> None:
    rid = waiting_with_suggestion(pipeline)
    seen = state(pipeline, rid)[0]
    decide_by_person(pipeline.ledger, rid, "approved", actor="dora", expected_version=seen)
    with pytest.raises(ReviewError) as refused:
        undo_decision(pipeline.ledger, rid, actor="dora", expected_version=seen)  # the page before it
    assert "a changé depuis : approuvée par dora" in refused.value.message_fr
    undo_decision(pipeline.ledger, rid, actor="dora", expected_version=seen + 1)
    assert state(pipeline, rid)[:3] == (seen + 2, "needs_review", "rules")
