"""Saved views: a person's named queue filters (« Pavillon — licences »), theirs alone.

A view is the queue's query string as a JSON object (``{"portal": "pavillon", "issue":
"LICENCE_NOT_OPEN", "sort": "source"}``), kept in ``saved_views`` under ``(user_name, name)``.
Views are per person: every function takes the owner's name and never reads or deletes another
person's view, whatever id the browser sends. Saving under a name one already uses replaces that
view's filters (the name is how the person knows it).

What the filters *mean* is the web layer's business (it parses them again when a view is opened,
so a view saved by an older version cannot smuggle a value the queue would refuse); this module
only bounds what it stores. Saving and deleting are written to the audit trail (``view_saved``,
``view_deleted``, no record), like every change a person makes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from ren_index.errors import RenIndexError
from ren_index.ledger.models import SavedView, utcnow
from ren_index.ledger.store import record_event
from ren_index.review.queue_text import folded

MAX_NAME = 120
"""Characters of a view's name (the column's size)."""
MAX_VIEWS = 50
"""Views one person may keep: a menu, not an archive."""
MAX_VALUE = 300


class SavedViewError(RenIndexError):
    """A view that cannot be saved: no name, or too many views. Messages in French and English."""

    def __init__(self, message_fr: str, message_en: str) -> None:
        super().__init__(f"{message_fr} / {message_en}")
        self.message_fr = message_fr
        self.message_en = message_en


@dataclass(frozen=True)
class View:
    """One saved view as the queue lists it."""

    id: int
    name: str
    query: dict[str, str]
    created_at: datetime


def _view(row: SavedView) -> View:
    return View(row.id, row.name, {str(k): str(v) for k, v in (row.query or {}).items()}, row.created_at)


def _clean_name(name: str) -> str:
    return " ".join(name.split())[:MAX_NAME]


def views_of(factory: sessionmaker[Session], user: str) -> list[View]:
    """``user``'s views, by name (accents aside: « À moi » before « Pavillon »)."""
    with factory() as session:
        rows = session.scalars(select(SavedView).where(SavedView.user_name == user))
        return sorted((_view(r) for r in rows), key=lambda v: folded(v.name))


def save_view(factory: sessionmaker[Session], user: str, name: str, query: dict[str, Any]) -> View:
    """Save ``query`` under ``name`` for ``user`` (replacing the filters of their view of that name)."""
    name = _clean_name(name)
    if not name:
        raise SavedViewError("Donnez un nom à la vue.", "Give the view a name.")
    stored = {str(k)[:40]: str(v)[:MAX_VALUE] for k, v in query.items() if v not in (None, "")}
    with factory() as session:
        row = session.scalar(select(SavedView).where(SavedView.user_name == user, SavedView.name == name))
        if row is None:
            owned = session.scalars(select(SavedView.id).where(SavedView.user_name == user)).all()
            if len(owned) >= MAX_VIEWS:
                raise SavedViewError(
                    f"Vous avez déjà {MAX_VIEWS} vues : supprimez-en une d'abord.",
                    f"You already have {MAX_VIEWS} views: delete one first.",
                )
            row = SavedView(user_name=user, name=name, query=stored, created_at=utcnow())
            session.add(row)
        else:
            row.query = stored
        record_event(session, actor=user, action="view_saved", after={"name": name, "query": stored})
        session.commit()
        return _view(row)


def get_view(factory: sessionmaker[Session], user: str, view_id: int) -> View | None:
    """``user``'s view ``view_id``; ``None`` when there is none or it is someone else's."""
    with factory() as session:
        row = session.get(SavedView, view_id)
        return _view(row) if row is not None and row.user_name == user else None


def delete_view(factory: sessionmaker[Session], user: str, view_id: int) -> str | None:
    """Delete ``user``'s view ``view_id``; its name, or ``None`` when it was not theirs (nothing done)."""
    with factory() as session:
        row = session.get(SavedView, view_id)
        if row is None or row.user_name != user:
            return None
        name = row.name
        record_event(session, actor=user, action="view_deleted", before={"name": name, "query": row.query})
        session.delete(row)
        session.commit()
        return name
