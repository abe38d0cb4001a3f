"""The review queue of suspected duplicates, as the web pages read it: pairs by status and source,
a page of them with their records' titles and sources, the next pair to look at, a group's members.

Reads only (the writes are :mod:`ren_index.review.duplicate_actions`). A pair « touches » a source
when either of its records comes from it: the dashboard's figure per source links to the queue
filtered so. The list is ordered by score (highest first), then by when the pair was found (newest
first), then by ids, so two pages never show the same pair and the order does not move between
requests while nothing changes.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVarTuple

from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.orm import Session, aliased

from ren_index.ledger.duplicates import STATUSES, in_chunks, ordered
from ren_index.ledger.models import DupMember, DupPair, ResourceRow

SORTS = ("score", "newest")
"""``score``: highest score first (the default); ``newest``: the pairs found last first."""

_Ts = TypeVarTuple("_Ts")
_A = aliased(ResourceRow, name="ra")
_B = aliased(ResourceRow, name="rb")


@dataclass(frozen=True)
class PairLine:
    """One pair of the list: the stored pair and what the list shows of its two records."""

    a: str
    b: str
    relation: str
    proposed: str
    score: float
    reasons: dict[str, float]
    status: str
    decided_by: str | None
    decided_at: datetime | None
    found_at: datetime
    whole: str | None
    newer: str | None
    sources: tuple[str, str]
    titles: tuple[dict[str, str], dict[str, str]]


@dataclass(frozen=True)
class PairList:
    """A page of pairs, the counts per status (for the filter bar) and where the page stands."""

    items: list[PairLine]
    total: int
    page: int
    pages: int
    counts: dict[str, int] = field(default_factory=dict)


def _joined(query: Select[*_Ts], source: str | None) -> Select[*_Ts]:
    query = query.select_from(DupPair).join(_A, _A.id == DupPair.a).join(_B, _B.id == DupPair.b)
    if source:
        query = query.where(or_(_A.source_id == source, _B.source_id == source))
    return query


def status_counts(session: Session, source: str | None = None) -> dict[str, int]:
    """How many pairs stand in each status (among those touching ``source`` when given)."""
    counts = dict.fromkeys(STATUSES, 0)
    query = _joined(select(DupPair.status, func.count()), source).group_by(DupPair.status)
    for status, n in session.execute(query):
        counts[status] = n
    return counts


def _order(sort: str) -> tuple[Any, ...]:
    if sort == "newest":
        return (DupPair.found_at.desc(), DupPair.score.desc(), DupPair.a, DupPair.b)
    return (DupPair.score.desc(), DupPair.found_at.desc(), DupPair.a, DupPair.b)


def _titles(session: Session, ids: Collection[str]) -> dict[str, dict[str, str]]:
    """Each record's title (language → text), read for the page's records only."""
    out: dict[str, dict[str, str]] = {}
    for chunk in in_chunks(ids):
        for rid, record in session.execute(
            select(ResourceRow.id, ResourceRow.record).where(ResourceRow.id.in_(chunk))
        ):
            title = ((record or {}).get("general") or {}).get("title") or {}
            out[rid] = {str(k): str(v) for k, v in title.items() if v}
    return out


def pair_list(
    session: Session,
    *,
    status: str | None = "pending",
    source: str | None = None,
    sort: str = "score",
    page: int = 1,
    size: int = 50,
) -> PairList:
    """One page of the pairs in ``status`` (every status when None) touching ``source``."""
    base = _joined(select(DupPair, _A.source_id, _B.source_id), source)
    if status is not None:
        base = base.where(DupPair.status == status)
    counted = _joined(select(func.count()), source)
    if status is not None:
        counted = counted.where(DupPair.status == status)
    total = session.scalar(counted) or 0
    pages = max(1, -(-total // size))
    page = min(max(1, page), pages)
    rows = session.execute(base.order_by(*_order(sort)).offset((page - 1) * size).limit(size)).all()
    titles = _titles(session, {rid for row in rows for rid in (row[0].a, row[0].b)})
    items = [
        PairLine(
            a=pair.a,
            b=pair.b,
            relation=pair.relation,
            proposed=pair.proposed,
            score=pair.score,
            reasons=dict(pair.reasons or {}),
            status=pair.status,
            decided_by=pair.decided_by,
            decided_at=pair.decided_at,
            found_at=pair.found_at,
            whole=pair.whole,
            newer=pair.newer,
            sources=(source_a, source_b),
            titles=(titles.get(pair.a, {}), titles.get(pair.b, {})),
        )
        for pair, source_a, source_b in rows
    ]
    return PairList(items, total, page, pages, status_counts(session, source))


def pending_keys(session: Session, source: str | None = None, sort: str = "score") -> list[tuple[str, str]]:
    """The pending pairs' ids in the list's order (ids only: cheap for thousands of pairs)."""
    query = _joined(select(DupPair.a, DupPair.b), source).where(DupPair.status == "pending")
    return [(a, b) for a, b in session.execute(query.order_by(*_order(sort)))]


def next_pending(keys: list[tuple[str, str]], a: str, b: str) -> tuple[str, str] | None:
    """The pending pair after ``(a, b)`` in ``keys`` (the list as it stood before a label), else the
    first other one: working through the queue, one pair after another, as with records."""
    current = ordered(a, b)
    if current in keys:
        at = keys.index(current)
        following = [k for k in keys[at + 1 :] + keys[:at] if k != current]
    else:
        following = list(keys)
    return following[0] if following else None


def group_id_of(session: Session, resource_id: str) -> str | None:
    """The id of the record's group (None when it is in none)."""
    return session.scalar(select(DupMember.group_id).where(DupMember.resource_id == resource_id))


def group_members(session: Session, group_id: str) -> list[tuple[str, str]]:
    """A group's members as ``(id, relation)``, the primary first, then in the rules' order."""
    rows = session.execute(
        select(DupMember.resource_id, DupMember.relation)
        .where(DupMember.group_id == group_id)
        .order_by(DupMember.rank, DupMember.resource_id)
    )
    return [(rid, relation) for rid, relation in rows]


def linked_pairs(session: Session, ids: Collection[str]) -> Iterator[DupPair]:
    """The pairs from a group's members to records outside it (translations, parts, pending
    proposals), rejected ones left out: what the group page lists below the members."""
    wanted = list(ids)
    query = (
        select(DupPair)
        .where(
            or_(DupPair.a.in_(wanted), DupPair.b.in_(wanted)),
            ~and_(DupPair.a.in_(wanted), DupPair.b.in_(wanted)),
            DupPair.status != "rejected",
        )
        .order_by(DupPair.score.desc(), DupPair.a, DupPair.b)
    )
    yield from session.scalars(query)
