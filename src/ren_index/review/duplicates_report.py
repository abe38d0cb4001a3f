"""Duplicates as a report: the pairs, the groups and each source's share of records found elsewhere.

Why: a librarian asks « how much of what this partner sends do we already have from another
source? » and a script wants the pairs and groups to act on (issue 16). One report serves
``ren-index duplicates [--json]`` and the dashboard's figures, so the two always say the same.

The shape (``duplicates --json``, docs/duplicates.md):
``{"pairs": [{"a", "b", "relation", "score", "status", "reasons"}], "groups": [{"id", "primary",
"members": [{"id", "source", "relation"}]}], "sources": {SOURCE: {"records",
"duplicated_elsewhere", "share"}}}`` — record ids as in ``queue --json``, a pair's ``relation`` the
one that stands (the proposal until a person confirms another), a group's members in rank order,
the primary first with relation ``primary``.

A source's ``records`` are its live records (not ``deleted``, with a normalized record);
``duplicated_elsewhere`` how many of them are in a ``same`` or ``version`` pair that stands or
waits (pending or confirmed, not rejected) with a live record of **another** source — a source's
copies of its own records say nothing of overlap between partners; ``share`` the second over the
first, 4 places. Every query is bounded: aggregates grouped by source, pairs read once, titles by
``IN`` lists of :data:`~ren_index.ledger.duplicates.IN_BATCH` ids; never one query per pair.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session, aliased

from ren_index.ledger.duplicates import in_chunks
from ren_index.ledger.models import DupMember, DupPair, ResourceRow, SourceRow
from ren_index.model import pick_lang

SAME_OR_VERSION = ("same", "version")
"""The relations that make two records one resource (a group); translations and parts are links."""

PAIR_STATUS_WORDS = {
    "pending": ("en attente", "pending"),
    "confirmed": ("confirmée", "confirmed"),
    "rejected": ("rejetée (différentes)", "rejected (different)"),
}
"""A pair's status in words (French, English)."""

REASON_WORDS = {
    "same_url": ("même adresse", "same address"),
    "same_identifier": ("même identifiant", "same identifier"),
    "translation_url": ("même adresse à la langue près", "same address but for the language"),
    "title": ("titres semblables", "similar titles"),
    "text": ("textes semblables", "similar texts"),
    "same_url_redirect": ("une adresse mène à l'autre", "one address leads to the other"),
    "edition": ("éditions différentes", "different editions"),
    "part": ("partie de l'ensemble", "part of the whole"),
}
"""Each reason of :class:`ren_index.duplicates.matcher.Pair` in words (French, English)."""


def percent(share: float, lang: str = "fr") -> str:
    """A share for people: « 33,3 % » in French (decimal comma, space before the sign), « 33.3% »
    in English; a whole number loses its decimal (« 40 % »)."""
    value = f"{share * 100:.1f}".removesuffix(".0")
    return f"{value.replace('.', ',')} %" if lang == "fr" else f"{value}%"


def _live() -> tuple[Any, ...]:
    """The conditions of a live record: still at its source and normalized."""
    return (ResourceRow.status != "deleted", ResourceRow.record.is_not(None))


def _ids_of(source: str) -> Select[str]:
    return select(ResourceRow.id).where(ResourceRow.source_id == source)


# --- per-source figures --------------------------------------------------------------------------


@dataclass(frozen=True)
class SourceFigure:
    """One source's overlap with the others (the report's ``sources`` entry, plus what the
    dashboard shows beside it: the pairs touching the source, and those still pending)."""

    source: str
    records: int
    duplicated_elsewhere: int
    pairs: int
    pending: int

    @property
    def share(self) -> float:
        """``duplicated_elsewhere / records``, 4 places (0.0 for a source without live records)."""
        return round(self.duplicated_elsewhere / self.records, 4) if self.records else 0.0

    def to_json(self) -> dict[str, Any]:
        return {
            "records": self.records,
            "duplicated_elsewhere": self.duplicated_elsewhere,
            "share": self.share,
        }


def source_figures(session: Session) -> list[SourceFigure]:
    """Every source of the ledger with its figures, by id: three grouped queries in all.

    The pairs counted in ``pairs`` / ``pending`` touch at least one record of the source (a pair
    within one source counts once); only cross-source ``same``/``version`` pairs between live
    records are read one by one (their record ids make ``duplicated_elsewhere``).
    """
    records: dict[str, int] = dict.fromkeys(session.scalars(select(SourceRow.id)), 0)
    for sid, n in session.execute(
        select(ResourceRow.source_id, func.count()).where(*_live()).group_by(ResourceRow.source_id)
    ):
        records[sid] = n
    ra, rb = aliased(ResourceRow), aliased(ResourceRow)
    pairs: defaultdict[str, int] = defaultdict(int)
    pending: defaultdict[str, int] = defaultdict(int)
    counted = (
        select(ra.source_id, rb.source_id, DupPair.status, func.count())
        .join(ra, ra.id == DupPair.a)
        .join(rb, rb.id == DupPair.b)
        .group_by(ra.source_id, rb.source_id, DupPair.status)
    )
    for sa, sb, status, n in session.execute(counted):
        for sid in {sa, sb}:
            pairs[sid] += n
            if status == "pending":
                pending[sid] += n
    elsewhere: defaultdict[str, set[str]] = defaultdict(set)
    crossing = (
        select(DupPair.a, ra.source_id, DupPair.b, rb.source_id)
        .join(ra, ra.id == DupPair.a)
        .join(rb, rb.id == DupPair.b)
        .where(
            DupPair.relation.in_(SAME_OR_VERSION),
            DupPair.status != "rejected",
            ra.source_id != rb.source_id,
            ra.status != "deleted",
            ra.record.is_not(None),
            rb.status != "deleted",
            rb.record.is_not(None),
        )
    )
    for a, sa, b, sb in session.execute(crossing):
        elsewhere[sa].add(a)
        elsewhere[sb].add(b)
    return [
        SourceFigure(sid, records[sid], len(elsewhere.get(sid, ())), pairs.get(sid, 0), pending.get(sid, 0))
        for sid in sorted(records)
    ]


# --- pairs and groups ----------------------------------------------------------------------------


def _pairs(session: Session, source: str | None, status: str | None) -> list[dict[str, Any]]:
    query = select(DupPair)
    if status is not None:
        query = query.where(DupPair.status == status)
    if source is not None:
        query = query.where(or_(DupPair.a.in_(_ids_of(source)), DupPair.b.in_(_ids_of(source))))
    rows = session.scalars(query.order_by(DupPair.score.desc(), DupPair.a, DupPair.b)).all()
    return [
        {
            "a": row.a,
            "b": row.b,
            "relation": row.relation,
            "score": row.score,
            "status": row.status,
            "reasons": dict(row.reasons or {}),
        }
        for row in rows
    ]


def _groups(session: Session, source: str | None) -> list[dict[str, Any]]:
    query = select(DupMember.group_id, DupMember.resource_id, ResourceRow.source_id, DupMember.relation).join(
        ResourceRow, ResourceRow.id == DupMember.resource_id
    )
    if source is not None:
        touching = (
            select(DupMember.group_id)
            .join(ResourceRow, ResourceRow.id == DupMember.resource_id)
            .where(ResourceRow.source_id == source)
        )
        query = query.where(DupMember.group_id.in_(touching))
    groups: dict[str, dict[str, Any]] = {}
    for gid, rid, sid, relation in session.execute(
        query.order_by(DupMember.group_id, DupMember.rank, DupMember.resource_id)
    ):
        group = groups.setdefault(gid, {"id": gid, "primary": None, "members": []})
        if relation == "primary":
            group["primary"] = rid
        group["members"].append({"id": rid, "source": sid, "relation": relation})
    return list(groups.values())


def duplicates_report(
    session: Session, *, source: str | None = None, status: str | None = None
) -> dict[str, Any]:
    """The report of ``duplicates --json`` (see the module's docstring for its shape).

    ``source`` narrows the pairs to those touching one of its records, the groups to those with a
    member from it and ``sources`` to it; ``status`` (pending, confirmed, rejected) narrows the pairs
    only — the groups and figures are what stands whatever is asked of the pairs.
    """
    figures = source_figures(session)
    return {
        "pairs": _pairs(session, source, status),
        "groups": _groups(session, source),
        "sources": {f.source: f.to_json() for f in figures if source is None or f.source == source},
    }


def titles_of(
    session: Session, ids: Collection[str], prefer: tuple[str, ...] = ("fr", "en")
) -> dict[str, str]:
    """Each record's title for people (French first) or « — », by ``IN`` lists of bounded length."""
    out: dict[str, str] = {}
    for chunk in in_chunks(ids):
        for rid, record in session.execute(
            select(ResourceRow.id, ResourceRow.record).where(ResourceRow.id.in_(chunk))
        ):
            general = (record or {}).get("general") or {}
            out[rid] = pick_lang(general.get("title") or {}, prefer) or "—"
    return out


def sources_of(session: Session, ids: Collection[str]) -> dict[str, str]:
    """Each record's source id, by ``IN`` lists of bounded length."""
    out: dict[str, str] = {}
    for chunk in in_chunks(ids):
        out.update(
            dict(
                session.execute(
                    select(ResourceRow.id, ResourceRow.source_id).where(ResourceRow.id.in_(chunk))
                ).all()
            )
        )
    return out
