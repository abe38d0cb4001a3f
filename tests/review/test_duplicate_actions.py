"""Labels and primary choices as services (both ledgers): audited, regrouped, what to publish."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import select
from tests.duplicates.ledger_corpus import SAME_GROUP, build

from ren_index.ledger.models import DupMember, Event
from ren_index.overlays import ReviewError
from ren_index.review.decisions import RecordNotFoundError
from ren_index.review.duplicate_actions import choose_primary, label, pair_row
from ren_index.steps.duplicates import find_duplicates


def test_labelling_a_version_audits_both_records_regroups_and_names_what_to_publish(
    ledger_url: Callable[..., str],
) -> None:
    dup = build(ledger_url)
    find_duplicates(dup.factory)
    old, new = dup.ids["chimie-1re"], dup.ids["chimie-editeur"]
    result = label(dup.factory, old[:8], new, "version", "marie")  # a prefix is enough
    assert (result.status, result.relation) == ("confirmed", "version")
    assert result.affected == {old} | {dup.ids[k] for k in SAME_GROUP}
    with dup.factory() as session:
        events = session.scalars(select(Event).where(Event.action == "duplicate_labelled")).all()
        assert {(e.resource_id, e.actor) for e in events} == {(old, "marie"), (new, "marie")}
        mine = next(e for e in events if e.resource_id == old)
        assert mine.before == {"relation": "version", "status": "pending", "decided_by": None, "other": new}
        assert mine.after == {"relation": "version", "status": "confirmed", "label": "version", "other": new}
        assert session.get_one(DupMember, old).relation == "version"


def test_different_rejects_even_a_pair_the_matcher_never_proposed(ledger_url: Callable[..., str]) -> None:
    dup = build(ledger_url)
    find_duplicates(dup.factory)
    a, b = dup.ids["histoire-t1"], dup.ids["seul"]
    result = label(dup.factory, a, b, "different", "marie")
    assert result.status == "rejected"
    with dup.factory() as session:
        row = pair_row(session, b, a)
        assert row is not None and (row.status, row.decided_by) == ("rejected", "marie")


def test_choosing_a_primary_is_audited_and_moves_the_group(ledger_url: Callable[..., str]) -> None:
    dup = build(ledger_url)
    find_duplicates(dup.factory)
    chosen = dup.ids["chimie-biblio"]
    result = choose_primary(dup.factory, chosen, "marie")
    assert result.affected == {dup.ids[k] for k in SAME_GROUP}
    with dup.factory() as session:
        assert session.get_one(DupMember, chosen).relation == "primary"
        event = session.scalars(select(Event).where(Event.action == "duplicate_primary_chosen")).one()
        assert event.before == {"primary": dup.ids["chimie-reseau"]} and event.after == {"primary": chosen}


@pytest.mark.parametrize(
    ("call", "words"),
    [
        (lambda f, ids: label(f, ids["seul"], ids["seul"], "same", "m"), "propre doublon"),
        (lambda f, ids: label(f, ids["seul"], ids["notes-bio"], "cousin", "m"), "relation inconnue"),
        (lambda f, ids: choose_primary(f, ids["seul"], "m"), "aucun groupe"),
    ],
)
def test_refusals_say_why_in_both_languages(
    ledger_url: Callable[..., str], call: Callable[..., object], words: str
) -> None:
    dup = build(ledger_url)
    find_duplicates(dup.factory)
    with pytest.raises(ReviewError) as caught:
        call(dup.factory, dup.ids)
    assert words in caught.value.message_fr and caught.value.message_en


def test_an_unknown_record_is_named(ledger_url: Callable[..., str]) -> None:
    dup = build(ledger_url)
    with pytest.raises(RecordNotFoundError):
        label(dup.factory, "ffffffffff", dup.ids["seul"], "same", "m")


def test_a_label_moves_the_oai_datestamp_of_the_records_it_touches(ledger_url: Callable[..., str]) -> None:
    from ren_index.ledger.models import ResourceRow

    dup = build(ledger_url)
    find_duplicates(dup.factory)
    with dup.factory() as session:
        before = {k: session.get_one(ResourceRow, rid).updated_at for k, rid in dup.ids.items()}
    label(dup.factory, dup.ids["chemistry-en"], dup.ids["chimie-editeur"], "translation", "marie")
    with dup.factory() as session:
        after = {k: session.get_one(ResourceRow, rid).updated_at for k, rid in dup.ids.items()}
    moved = {k for k in dup.ids if after[k] != before[k]}
    assert moved == {"chemistry-en"} | SAME_GROUP  # the pair and the group whose primary lists it
