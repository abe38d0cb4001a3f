"""Saved views (issue 14): a person's named queue filters, theirs alone, on SQLite or PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from ren_index.ledger.db import open_ledger
from ren_index.ledger.models import Event
from ren_index.review import views

PAVILLON = {"portal": "pavillon", "issue": "LICENCE_NOT_OPEN", "sort": "source"}


@pytest.fixture
def factory(ledger_url: Callable[..., str]) -> sessionmaker[Session]:
    return open_ledger(ledger_url())


def test_views_are_per_person(factory: sessionmaker[Session]) -> None:
    mine = views.save_view(factory, "marie", "Pavillon — licences", PAVILLON)
    views.save_view(factory, "marie", "À moi", {"claim": "mine"})
    theirs = views.save_view(factory, "paul", "Pavillon — licences", {"portal": "pavillon"})
    assert [v.name for v in views.views_of(factory, "marie")] == ["À moi", "Pavillon — licences"]
    assert [(v.name, v.query) for v in views.views_of(factory, "paul")] == [
        ("Pavillon — licences", {"portal": "pavillon"})
    ]
    assert views.get_view(factory, "marie", mine.id) is not None
    assert views.get_view(factory, "marie", theirs.id) is None  # another person's id: nothing
    assert views.get_view(factory, "marie", 999_999) is None
    assert views.views_of(factory, "nobody") == []


def test_saving_a_name_again_replaces_its_filters(factory: sessionmaker[Session]) -> None:
    first = views.save_view(factory, "marie", "  Pavillon   — licences ", PAVILLON)
    assert first.name == "Pavillon — licences"  # spaces tidied
    again = views.save_view(factory, "marie", "Pavillon — licences", {"portal": "pavillon", "q": ""})
    assert again.id == first.id and again.query == {"portal": "pavillon"}  # empty values dropped
    assert len(views.views_of(factory, "marie")) == 1


def test_deleting_only_ones_own(factory: sessionmaker[Session]) -> None:
    mine = views.save_view(factory, "marie", "Pavillon — licences", PAVILLON)
    assert views.delete_view(factory, "paul", mine.id) is None
    assert [v.id for v in views.views_of(factory, "marie")] == [mine.id]
    assert views.delete_view(factory, "marie", mine.id) == "Pavillon — licences"
    assert views.views_of(factory, "marie") == []
    assert views.delete_view(factory, "marie", mine.id) is None
    with factory() as session:
        actions = [(e.actor, e.action) for e in session.scalars(select(Event).order_by(Event.id))]
    assert actions == [("marie", "view_saved"), ("marie", "view_deleted")]


def test_a_view_needs_a_name_and_the_list_is_bounded(
    factory: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(views.SavedViewError) as refused:
        views.save_view(factory, "marie", "   ", PAVILLON)
    assert "nom" in refused.value.message_fr and "name" in refused.value.message_en
    monkeypatch.setattr(views, "MAX_VIEWS", 2)
    views.save_view(factory, "marie", "Un", {})
    views.save_view(factory, "marie", "Deux", {})
    with pytest.raises(views.SavedViewError):
        views.save_view(factory, "marie", "Trois", {})
    views.save_view(factory, "marie", "Deux", {"source": "eo"})  # replacing one is still allowed
    views.save_view(factory, "paul", "Trois", {})  # the bound is per person
