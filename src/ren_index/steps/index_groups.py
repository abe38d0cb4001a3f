"""What the index step reads of duplicates: the groups and confirmed pairs around the records it
sends, so that each group has one document per portal (:mod:`ren_index.index.group_documents`).

A record's document depends on the other members of its group (who stands where) and on the
records it is linked to (translations, parts: their standing member is named). So sending some
records (a decision, a label, a source's run) means sending their groups' other members too — a
member that stopped standing for its group is deleted from the index — and the groups of the
records linked to them (their documents name those records); and reading, without sending, the
groups on the far side of *those* links. :func:`scope` works that out with bounded queries: every
``IN (...)`` list holds at most :data:`IN_BATCH` ids, and nothing is read per row. A run reads its
records a page at a time and works out each page's scope (:mod:`ren_index.steps.index_plan`).

The index step then builds and sends its documents a batch at a time, so that its memory stays
flat with the number of records (issue 17: every document of 100,000 records held at once took
2.3 GiB). A page's places and pairs are small and read once; :class:`Around` says, for one batch, the
rows its documents depend on — the other members of their groups, the far sides of their
translation and part links and those records' groups — with the places and pairs among them.
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


class Around:
    """The places and pairs of a run, looked up by record and by group, to find what the documents of
    one batch of records depend on (:meth:`needs`) without reading anything again."""

    def __init__(self, places: dict[str, Place], links: list[Related]) -> None:
        self.places = places
        self.members: dict[str, list[str]] = {}
        for rid, place in places.items():
            self.members.setdefault(place.group, []).append(rid)
        self.touching: dict[str, list[Related]] = {}
        for link in links:
            for end in {link.a, link.b}:
                self.touching.setdefault(end, []).append(link)

    def order(self, ids: Collection[str]) -> list[str]:
        """``ids`` sorted so that a group's members follow each other: cut into batches, a group
        mostly falls in one, and its members are read and built once."""
        places = self.places
        return sorted(ids, key=lambda rid: (places[rid].group if rid in places else rid, rid))

    @staticmethod
    def batches(ordered: list[str], size: int) -> Iterator[list[str]]:
        """``ordered`` (:meth:`order`) cut into batches of ``size``."""
        for start in range(0, len(ordered), size):
            yield ordered[start : start + size]

    def _with_groups(self, ids: Collection[str]) -> set[str]:
        out = set(ids)
        for rid in ids:
            place = self.places.get(rid)
            if place is not None:
                out.update(self.members[place.group])
        return out

    def needs(self, batch: Collection[str]) -> tuple[set[str], dict[str, Place], list[Related]]:
        """The records whose rows the documents of ``batch`` are built from (``batch``, their
        groups, the far sides of those groups' translation and part links, and their groups), with
        their places and the pairs touching the batch's groups: what
        :func:`ren_index.index.group_documents.place_documents` needs to give ``batch`` the
        documents it gives them with every record at hand."""
        near = self._with_groups(batch)
        found: dict[int, Related] = {}
        for rid in near:
            for link in self.touching.get(rid, ()):
                found[id(link)] = link
        links = sorted(found.values(), key=lambda k: (k.a, k.b, k.relation))
        far = _far_sides(links, near)
        need = near | self._with_groups(far)
        return need, {rid: self.places[rid] for rid in need if rid in self.places}, links
