"""What documentalists do to suspected duplicates — label a pair, choose a group's primary — as
plain services shared by ``ren-index duplicates label|primary`` and the web queue.

Each runs in one transaction, writes an audit event on both records (who, what, before, after),
rebuilds the groups (:func:`ren_index.ledger.duplicates.regroup`) and returns the records whose
index documents may change — the two records, their groups' members (a primary lists the others
in ``also_available_from``) — for the caller to publish at once
(:func:`ren_index.review.publish.publish`), as decisions are.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from ren_index.ledger import duplicates as ledger
from ren_index.ledger import store
from ren_index.ledger.models import DupPair, ResourceRow, utcnow
from ren_index.overlays import ReviewError
from ren_index.review.decisions import find_resource

RELATION_WORDS = {
    "same": ("la même ressource", "the same resource"),
    "version": ("une autre version", "another version"),
    "translation": ("une traduction", "a translation"),
    "part": ("une partie", "a part"),
    "different": ("des ressources différentes", "different resources"),
}
"""What each label means, in the words of the confirmation banner (French, English)."""


@dataclass(frozen=True)
class DuplicateActionResult:
    """What a label or a choice did: the pair's state (for a label) and the records to publish."""

    a: str
    b: str | None
    status: str
    relation: str
    affected: set[str] = field(default_factory=set)


def _affected(session: Session, ids: set[str], moved: set[str]) -> set[str]:
    """The records whose documents or relations may change; their ``updated_at`` moves, which is
    the OAI-PMH datestamp: a harvester sees the new relation (LOM 7, ``dc:relation``)."""
    out = set(ids) | moved
    for rid in ids:
        out |= set(ledger.group_of(session, rid))
    now = utcnow()
    for chunk in ledger.in_chunks(sorted(out)):
        for row in session.scalars(select(ResourceRow).where(ResourceRow.id.in_(chunk))):
            row.updated_at = now
    return out


def label(factory: sessionmaker[Session], a: str, b: str, relation: str, actor: str) -> DuplicateActionResult:
    """Say what two records are to each other: ``same``, ``version``, ``translation``, ``part``
    (the pair is confirmed) or ``different`` (rejected: not proposed again unless one changes).
    Ids may be given by an unambiguous prefix of at least 6 characters."""
    if relation not in ledger.LABELS:
        raise ReviewError(
            f"relation inconnue {relation!r} : {', '.join(ledger.LABELS)}",
            f"unknown relation {relation!r}: {', '.join(ledger.LABELS)}",
        )
    with factory.begin() as session:
        ra, rb = find_resource(session, a), find_resource(session, b)
        if ra.id == rb.id:
            raise ReviewError("une notice n'est pas son propre doublon", "a record is not its own duplicate")
        ledger.serialize(session)
        row, before = ledger.label_pair(session, ra.id, rb.id, relation, actor)
        after = {"relation": row.relation, "status": row.status, "label": relation}
        for this, other in ((ra.id, rb.id), (rb.id, ra.id)):
            store.record_event(
                session,
                actor=actor,
                action="duplicate_labelled",
                resource_id=this,
                source_id=(ra if this == ra.id else rb).source_id,
                before=None if before is None else {**before, "other": other},
                after={**after, "other": other},
            )
        session.flush()
        regrouped = ledger.regroup(session)
        return DuplicateActionResult(
            row.a, row.b, row.status, row.relation, _affected(session, {ra.id, rb.id}, regrouped.moved)
        )


def choose_primary(factory: sessionmaker[Session], record_id: str, actor: str) -> DuplicateActionResult:
    """Make a record the primary of its group (the record portals show); kept across regrouping."""
    with factory.begin() as session:
        row = find_resource(session, record_id)
        members = ledger.group_of(session, row.id)
        if not members:
            raise ReviewError(
                "cette notice n'est dans aucun groupe de doublons (voir `ren-index duplicates`)",
                "this record is in no group of duplicates (see `ren-index duplicates`)",
            )
        ledger.serialize(session)
        before = next((rid for rid, rel in members.items() if rel == "primary"), None)
        ledger.choose(session, row.id, actor)
        store.record_event(
            session,
            actor=actor,
            action="duplicate_primary_chosen",
            resource_id=row.id,
            source_id=row.source_id,
            before={"primary": before},
            after={"primary": row.id},
        )
        session.flush()
        regrouped = ledger.regroup(session)
        return DuplicateActionResult(
            row.id, None, "confirmed", "primary", _affected(session, {row.id}, regrouped.moved)
        )


def pair_row(session: Session, a: str, b: str) -> DupPair | None:
    """The stored pair of two records, whichever order they are given in."""
    return session.get(DupPair, ledger.ordered(a, b))
