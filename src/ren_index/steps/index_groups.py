"""What the index step reads of duplicates: the groups and confirmed pairs around the records it
sends, so that each group has one document per portal (:mod:`ren_index.index.group_documents`).

A record's document depends on the other members of its group (who stands where) and on the
records it is linked to (translations, parts: their standing member is named). So sending some
records (a decision, a label, a source's run) means sending their groups' other members too — a
member that stopped standing for its group is deleted from the index — and the groups of the
records linked to them (their documents name those records); and reading, without sending, the
groups on the far side of *those* links. :func:`scope` works that out with bounded queries: every
``IN (...)`` list holds at most :data:`IN_BATCH` ids, and nothing is read per row. A run over every
record reads the two tables whole instead (:func:`whole_ledger`).
"""

from __future__ import annotations

from collections.abc import Collection, Iterator
from dataclasses import dataclass, field

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from ren_index.index.group_documents import LINKED, Place, Related
from ren_index.ledger.models import DupMember, DupPair

IN_BATCH = 500
PAIR_RELATIONS = ("same", *LINKED)
"""Confirmed pairs the documents need: ``same`` (copies of one edition), translations, parts."""


@dataclass
class Scope:
    """The records to send (``send``), the records to read besides (``read``: far sides of links,
    and their groups), their places in groups and the confirmed pairs among them."""

    send: set[str]
    read: set[str]
    places: dict[str, Place] = field(default_factory=dict)
    links: list[Related] = field(default_factory=list)


def _chunks(values: Collection[str]) -> Iterator[list[str]]:
    items = sorted(values)
    for start in range(0, len(items), IN_BATCH):
        yield items[start : start + IN_BATCH]


def _place(row: DupMember) -> Place:
    return Place(row.group_id, row.relation, row.rank)


def places_of(session: Session, ids: Collection[str]) -> dict[str, Place]:
    """The places of ``ids`` and of every other member of their groups."""
    out: dict[str, Place] = {}
    for chunk in _chunks(ids):
        for row in session.scalars(select(DupMember).where(DupMember.resource_id.in_(chunk))):
            out[row.resource_id] = _place(row)
    groups = {place.group for place in out.values()}
    for chunk in _chunks(groups):
        for row in session.scalars(select(DupMember).where(DupMember.group_id.in_(chunk))):
            out[row.resource_id] = _place(row)
    return out


def _related(row: DupPair) -> Related:
    return Related(row.a, row.b, row.relation, row.whole)


def links_of(session: Session, ids: Collection[str]) -> list[Related]:
    """The confirmed ``same``, ``translation`` and ``part`` pairs touching any of ``ids``."""
    found: dict[tuple[str, str], Related] = {}
    for chunk in _chunks(ids):
        rows = session.scalars(
            select(DupPair).where(
                or_(DupPair.a.in_(chunk), DupPair.b.in_(chunk)),
                DupPair.status == "confirmed",
                DupPair.relation.in_(PAIR_RELATIONS),
            )
        )
        found.update({(row.a, row.b): _related(row) for row in rows})
    return sorted(found.values(), key=lambda k: (k.a, k.b))


def _far_sides(links: list[Related], ids: Collection[str]) -> set[str]:
    """The other records of the translation and part links touching ``ids``, not among them."""
    inside = set(ids)
    out: set[str] = set()
    for link in links:
        if link.relation in LINKED:
            out |= {link.a, link.b}
    return out - inside


def scope(session: Session, ids: Collection[str]) -> Scope:
    """What sending ``ids`` involves: the records to send — ``ids``, their groups, the records
    linked to those and the linked records' groups — and those to read besides (the far sides of
    the sent records' links and their groups), with their places and confirmed pairs."""
    places = places_of(session, ids)
    near = set(ids) | set(places)
    linked = _far_sides(links_of(session, near), near)
    places.update(places_of(session, linked))
    send = near | linked | set(places)
    links = links_of(session, send)
    far = _far_sides(links, send)
    places.update(places_of(session, far))
    read = (far | set(places)) - send
    return Scope(send, read, places, links)


def whole_ledger(session: Session) -> tuple[dict[str, Place], list[Related]]:
    """Every place in a group and every confirmed pair the documents need (a run over everything)."""
    places = {row.resource_id: _place(row) for row in session.scalars(select(DupMember))}
    rows = session.scalars(
        select(DupPair).where(DupPair.status == "confirmed", DupPair.relation.in_(PAIR_RELATIONS))
    )
    return places, sorted((_related(row) for row in rows), key=lambda k: (k.a, k.b))
