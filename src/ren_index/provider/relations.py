"""LOM 7 Relation (and ``dc:relation``) between records a person or the rules said related.

The provider keeps exposing every record of a group of duplicates — harvesters downstream decide
what to merge — and tells them what it knows: each record lists the records it has a *confirmed*
pair with (``dup_pairs.status == "confirmed"``, by a documentalist or by the rules for a
high-confidence ``same``). Pending pairs are guesses and rejected ones were said « different »:
neither ever appears. Only records the provider exposes with their metadata (``approved``) are
named, so a relation never leads a harvester to a record still in the review queue.

Kinds (LOM 1484.12.1 7.1, vocabulary ``LOMv1.0``, taken from Dublin Core's relation refinements):

* ``part`` — the part ``ispartof`` the whole, the whole ``haspart`` the part
  (``dup_pairs.whole`` names the whole).
* ``version`` — the newer edition ``isversionof`` the older one, the older ``hasversion`` the
  newer (``dup_pairs.newer``). Dublin Core: *isVersionOf* « a related resource of which the
  described resource is a version, edition, or adaptation »; Normetic 1.1 asks for 7.1 precisely
  when « the resource is developed from an earlier version » (LomPad's Normetic profile,
  ``NORMETIC_1p1_ToolTipText_*.properties``, element 7.1): the later edition carries the relation
  towards the earlier one. When the records do not say which is newer, both say ``isversionof``
  (each is a version of the other — true of two editions of one work, and never mistaken for a
  copy).
* ``same`` — two descriptions of one resource: ``hasformat`` / ``isformatof`` (Dublin Core
  *hasFormat*: « substantially the same as the pre-existing described resource »), the group's
  primary — the description the portals show — ``hasformat`` the other copies, and between two
  other copies the one ranked first by the group's rules ``hasformat`` the next
  (``dup_members.rank``; record ids decide when the ranks are unknown).
* ``translation`` — LOMv1.0 has no such kind. ``hasformat`` would tell a harvester the two are
  one resource (it would fold the English document into the French one, which issue 16 forbids:
  each language keeps its document) and ``isbasedon`` / ``isbasisfor`` need to know which text is
  the original, which the ledger does not. LOMFR (NF Z 76-040, the French LOM profile) extends 7.1
  with exactly this relation: ``est la traduction de`` / ``fait l'objet d'une traduction``, source
  ``LOMFRv1.0`` (``LICEF__comete/xsd/lomfrv1.0/std/lomfr/lomfrVocabValues.xsd``; ScoLOMFR's
  vocabulary 009 keeps it). The original being unknown, both records say ``est la traduction
  de`` — what parallel French and English editions are to each other. A Normetic reader that does
  not know the LOMFR source still sees a related resource, its address and its titled language.
* a ``part`` whose whole is unknown (a person labelled a pair the matcher proposed as something
  else): LOMFR's ``est associée à`` — related, direction unstated — rather than a guessed
  direction.

Each relation names the other record by its landing URL (catalog ``URI``, as Normetic records do)
and by its identifier in this provider (catalog ``oai``, the same pair as its 3.1 metaMetadata
identifier, so a harvester can match the two), with its title as 7.2.2 description. At most
:data:`MAX_RELATIONS` per record, in a stable order (same, version, part, translation, then
record id).

Reading is bounded: for a page of records, one query for their confirmed pairs, one for the
ranks of the ``same`` records, one for the other records — every ``IN`` list cut at
:data:`~ren_index.ledger.duplicates.IN_BATCH` ids —, never a query per record.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from ren_index.ledger.duplicates import in_chunks
from ren_index.ledger.models import DupMember, DupPair, ResourceRow
from ren_index.model import LangString, Resource
from ren_index.provider.values import locations

LOM_SOURCE = "LOMv1.0"
LOMFR_SOURCE = "LOMFRv1.0"
MAX_RELATIONS = 50
"""Relations written per record: a group of copies is a handful, this only bounds the absurd."""
URI_CATALOG = "URI"
OAI_CATALOG = "oai"
_ORDER = {"same": 0, "version": 1, "part": 2, "translation": 3}


@dataclass(frozen=True)
class Relation:
    """One LOM 7 Relation of a record: its kind and the other record."""

    source: str
    """The kind's vocabulary: ``LOMv1.0``, or ``LOMFRv1.0`` where LOM has no word."""
    kind: str
    other: str
    """The other record's resource id."""
    identifier: str
    """The other record's OAI identifier in this provider."""
    url: str | None
    """The other record's landing URL (``None`` when it has none)."""
    title: LangString


@dataclass(frozen=True)
class PairFacts:
    """What a confirmed pair says, as the kind of each side needs it."""

    a: str
    b: str
    relation: str
    whole: str | None = None
    newer: str | None = None


def kind_of(pair: PairFacts, this: str, ranks: dict[str, tuple[str, int]]) -> tuple[str, str]:
    """(vocabulary source, kind) of ``this`` record's relation to the other one of ``pair``.

    ``ranks``: group id and rank of records in a group (``dup_members``), for ``same`` pairs.
    """
    other = pair.b if this == pair.a else pair.a
    if pair.relation == "part":
        if pair.whole not in (pair.a, pair.b):
            return LOMFR_SOURCE, "est associée à"
        return LOM_SOURCE, "haspart" if pair.whole == this else "ispartof"
    if pair.relation == "version":
        if pair.newer not in (pair.a, pair.b):
            return LOM_SOURCE, "isversionof"
        return LOM_SOURCE, "isversionof" if pair.newer == this else "hasversion"
    if pair.relation == "translation":
        return LOMFR_SOURCE, "est la traduction de"
    mine, theirs = ranks.get(this), ranks.get(other)
    if mine is not None and theirs is not None and mine[0] == theirs[0] and mine[1] != theirs[1]:
        first = mine[1] < theirs[1]
    else:
        first = this < other
    return LOM_SOURCE, "hasformat" if first else "isformatof"


def _confirmed_pairs(session: Session, ids: Collection[str]) -> list[PairFacts]:
    found: dict[tuple[str, str], PairFacts] = {}
    columns = (DupPair.a, DupPair.b, DupPair.relation, DupPair.whole, DupPair.newer)
    for chunk in in_chunks(ids):
        query = select(*columns).where(
            DupPair.status == "confirmed",
            DupPair.relation.in_(tuple(_ORDER)),
            or_(DupPair.a.in_(chunk), DupPair.b.in_(chunk)),
        )
        for a, b, relation, whole, newer in session.execute(query):
            found[(a, b)] = PairFacts(a, b, relation, whole, newer)
    return list(found.values())


def _ranks(session: Session, ids: Collection[str]) -> dict[str, tuple[str, int]]:
    out: dict[str, tuple[str, int]] = {}
    for chunk in in_chunks(ids):
        query = select(DupMember.resource_id, DupMember.group_id, DupMember.rank).where(
            DupMember.resource_id.in_(chunk)
        )
        out.update({rid: (gid, rank) for rid, gid, rank in session.execute(query)})
    return out


def _described(session: Session, ids: Collection[str]) -> dict[str, tuple[str | None, LangString]]:
    """Landing URL and title of the records among ``ids`` the provider exposes with metadata."""
    out: dict[str, tuple[str | None, LangString]] = {}
    for chunk in in_chunks(ids):
        query = select(ResourceRow.id, ResourceRow.record).where(
            ResourceRow.id.in_(chunk), ResourceRow.status == "approved"
        )
        for rid, record in session.execute(query):
            out[rid] = _landing_and_title(record)
    return out


def _landing_and_title(record: dict[str, Any] | None) -> tuple[str | None, LangString]:
    try:
        resource = Resource.model_validate(record or {})
    except ValidationError:
        return None, {}
    where = locations(resource)
    return (where[0] if where else None), dict(resource.general.title)


def related(
    session: Session, ids: Collection[str], oai_identifier: Callable[[str], str]
) -> dict[str, list[Relation]]:
    """The relations of each record of ``ids`` that has any (records without are absent)."""
    pairs = _confirmed_pairs(session, ids)
    if not pairs:
        return {}
    wanted = set(ids)
    others = {rid for p in pairs for rid in (p.a, p.b)}
    same = {rid for p in pairs if p.relation == "same" for rid in (p.a, p.b)}
    ranks = _ranks(session, same) if same else {}
    described = _described(session, others)
    found: defaultdict[str, list[tuple[tuple[int, str], Relation]]] = defaultdict(list)
    for pair in pairs:
        for this, other in ((pair.a, pair.b), (pair.b, pair.a)):
            if this not in wanted or other not in described:
                continue
            source, kind = kind_of(pair, this, ranks)
            url, title = described[other]
            relation = Relation(source, kind, other, oai_identifier(other), url, title)
            found[this].append(((_ORDER[pair.relation], other), relation))
    return {
        rid: [relation for _, relation in sorted(items, key=lambda item: item[0])][:MAX_RELATIONS]
        for rid, items in found.items()
    }
