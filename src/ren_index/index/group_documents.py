"""One document per group of duplicates and portal (pure): which record stands for a group where,
and what its document says of the others (docs/duplicates.md, docs/api.md).

A group (:mod:`ren_index.duplicates.groups`, kept in ``dup_members``) holds the records of one
resource — copies (``same``) and editions (``version``); the portals must show it once. The rule:

- **Who stands.** For each portal, the first member in ``rank`` order (0 = the primary, then the
  order the primary's rules give) that would be indexed — approved, with a record, its link not
  broken: :func:`ren_index.steps.index.row_document` gave it a document — and that lists the
  portal. That member's document carries the portal in ``portals``; a member that stands for its
  group on no portal gets no document (the index step deletes one it had). When no member lists
  any portal at all, the first indexable member stands, with no portal, so the group is still
  somewhere. A record in no group is its own group and stands where it stands.
- **What the standing document says**, plain values for the portals to show:
  ``group`` (the group id; a record's own id when it is in no group, so a search can collapse on
  it), ``also_available_from: [{source, id, url, language}]`` (the other copies of the same
  edition that would be indexed: a portal never links to a rejected record, nor to a broken
  link), ``other_versions: [{id, url, language, title}]`` (one entry per other edition of the
  group — the first of its copies that would be indexed —, the newer ones too when the standing
  member is an old edition), ``translations``, ``part_of`` and ``parts`` (same shape: the records
  of confirmed ``translation`` and ``part`` pairs of any member of the group, each pointing to the
  record that stands for the other side's group, on one of this document's portals when it can),
  and ``group_members`` — the records this document stands for, itself first: on the group's first
  standing document, every member that would be indexed but has none of its own (how
  ``/api/resources/{id}`` finds where such a record went).

Only pairs a person or the rules *confirmed* count: a pending pair is a proposal, a rejected one a
« different ». ``same`` links give the copies of one edition within a group (the groups themselves
come from ``dup_members``).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from ren_index.duplicates.groups import UnionFind

Document = dict[str, Any]

GROUP_FIELDS = ("group", "group_members", "also_available_from", "other_versions", "translations",
                "part_of", "parts")  # fmt: skip
"""What :func:`place_documents` adds to a document (index definition v5)."""
LINKED = ("translation", "part")
"""The relations that link records without grouping them (each keeps its own document)."""


@dataclass(frozen=True)
class Place:
    """A record's place in a group (a ``dup_members`` row)."""

    group: str
    relation: str
    """``primary``, ``same`` or ``version``."""
    rank: int


@dataclass(frozen=True)
class Related:
    """A confirmed pair (``same``, ``translation`` or ``part``); ``whole`` says which record of a
    ``part`` pair is the whole, when the matcher or a person knows it."""

    a: str
    b: str
    relation: str
    whole: str | None = None


def card(doc: Mapping[str, Any], *, with_source: bool = False) -> dict[str, Any]:
    """What another document says of a record: ``{id, url, language, title}`` (``{source, id, url,
    language}`` for ``also_available_from``), from the record's own document."""
    languages = doc.get("languages") or []
    out: dict[str, Any] = {}
    if with_source:
        out["source"] = doc.get("source")
    out["id"] = doc["id"]
    out["url"] = doc.get("url")
    out["language"] = languages[0] if languages else None
    if not with_source:
        out["title"] = next((doc[f][0] for f in ("title_fr", "title_en", "title_other") if doc.get(f)), None)
    return out


def standing(order: Iterable[str], docs: Mapping[str, Document | None]) -> dict[str, list[str]]:
    """The members of one group (in rank order) that stand for it, each with the portals it stands
    for (in its own order); members absent from the answer get no document."""
    indexable = [m for m in order if docs.get(m) is not None]
    stander: dict[str, str] = {}
    for member in indexable:
        for portal in (docs[member] or {}).get("portals") or []:
            stander.setdefault(portal, member)
    out: dict[str, list[str]] = {}
    for member in indexable:
        mine = [p for p in (docs[member] or {}).get("portals") or [] if stander[p] == member]
        if mine:
            out[member] = mine
    if not out and indexable:
        out[indexable[0]] = []
    return out


def place_documents(
    docs: Mapping[str, Document | None],
    places: Mapping[str, Place],
    links: Iterable[Related],
    wanted: Collection[str] | None = None,
) -> dict[str, Document | None]:
    """The documents the index must hold for ``docs`` (each record's own document, ``None`` when it
    would not be indexed), given the groups (``places``) and the confirmed pairs (``links``).

    Every id of ``docs`` is in the answer: its document as the portals get it, or ``None`` (no
    document: not indexable, or another member stands for its group everywhere). The members of a
    group missing from ``docs`` count as not indexable; ``docs`` must hold every member of the
    groups of the records whose documents are wanted, and the other sides of their pairs.
    ``wanted`` (all of ``docs`` when ``None``) are the records whose documents are built; the
    others are read for what they tell of them, and answered ``None``.
    """
    orders: dict[str, list[str]] = {}
    for rid, place in sorted(places.items(), key=lambda item: (item[1].rank, item[0])):
        orders.setdefault(place.group, []).append(rid)
    stands: dict[str, dict[str, list[str]]] = {gid: standing(order, docs) for gid, order in orders.items()}
    editions = UnionFind()
    linked: dict[str, list[Related]] = {}
    for link in sorted(links, key=lambda k: (k.a, k.b, k.relation)):
        if link.relation == "same":
            same_group = link.a in places and link.b in places
            if same_group and places[link.a].group == places[link.b].group:
                editions.union(link.a, link.b)
        elif link.relation in LINKED:
            for end in (link.a, link.b):
                linked.setdefault(end, []).append(link)

    def group_of(rid: str) -> str:
        place = places.get(rid)
        return place.group if place else rid

    def standers(rid: str) -> dict[str, list[str]]:
        place = places.get(rid)
        if place is not None:
            return stands.get(place.group, {})
        return {rid: list((docs.get(rid) or {}).get("portals") or [])} if docs.get(rid) is not None else {}

    def target(other: str, portals: list[str]) -> str | None:
        """Who stands for ``other``'s group, on one of ``portals`` when one does."""
        found = standers(other)
        for rid, theirs in found.items():
            if set(theirs) & set(portals):
                return rid
        return next(iter(found), None)

    out: dict[str, Document | None] = dict.fromkeys(docs)
    for rid, own in docs.items():
        if own is None or (wanted is not None and rid not in wanted):
            continue
        gid = group_of(rid)
        mine = standers(rid)
        if rid not in mine:
            continue
        portals = mine[rid]
        members = orders.get(gid, [rid])
        doc = {**own, "portals": portals, "group": gid}
        indexable = [m for m in members if docs.get(m) is not None]
        first = next(iter(mine), None) == rid
        doc["group_members"] = [rid, *(m for m in indexable if m not in mine)] if first else [rid]
        cluster = editions.find(rid)
        doc["also_available_from"] = [
            card(docs[m] or {}, with_source=True)
            for m in indexable
            if m != rid and editions.find(m) == cluster
        ]
        seen_editions = {cluster}
        versions: list[dict[str, Any]] = []
        for member in indexable:
            edition = editions.find(member)
            if edition not in seen_editions:
                seen_editions.add(edition)
                versions.append(card(docs[member] or {}))
        doc["other_versions"] = versions
        related: dict[str, list[dict[str, Any]]] = {"translations": [], "part_of": [], "parts": []}
        shown: dict[str, set[str]] = {key: set() for key in related}
        for member in members:
            for link in linked.get(member, []):
                other = link.b if link.a == member else link.a
                if group_of(other) == gid:
                    continue
                if link.relation == "translation":
                    key = "translations"
                elif link.whole == member:
                    key = "parts"
                elif link.whole == other:
                    key = "part_of"
                else:
                    continue  # a part without its whole known: which way it goes is unknown
                found = target(other, portals)
                if found is not None and found not in shown[key]:
                    shown[key].add(found)
                    related[key].append(card(docs[found] or {}))
        doc.update(related)
        out[rid] = doc
    return out
