"""Which records an index run reads: those that may have changed since it last settled them.

A run reads only the records that may have changed since it last looked at them (issue 17: a run
with nothing new built every approved record's document to compare hashes, 5 s for 20,000).
``indexed_at`` is when the index step last settled a row — sent, removed, or found the same — and
every input of a document moves a timestamp past it: the record, its status or portals
(``updated_at``, which :func:`ren_index.ledger.store.mark_updated`, the decisions, undo, the links
step and the duplicates step — a group or pair that changed — all stamp), a decision
(``decided_at``), its link health (``link_health.updated_at``); a changed vocabulary makes the
process step rewrite every record. Those rows, with their groups and linked records
(:func:`ren_index.steps.index_groups.scope`), are compared by document hash as before; nothing
else is read, and a run with nothing new writes nothing to the index. ``indexed_at`` is the moment
the run began reading (a change stamped after it is seen by the next run); a row OpenSearch
refused keeps its old one and comes back. A writer's transaction open across the start of the
run (stamped before it, committed after the read began) would be missed: the run waits for the
writers open at its start before reading (:func:`ren_index.ledger.db.wait_for_writers`), and
compares everything when one outlives the wait. What this cannot see is a change of the document
code itself (a new definition version asks for ``--rebuild``). ``compare_all`` (``ren-index index --rebuild``
too) compares every record, as before.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Select, Table, bindparam, func, or_, select, update
from sqlalchemy.orm import Session

from ren_index.ledger.models import LinkHealthRow, ResourceRow
from ren_index.steps.index_groups import IN_BATCH

_TABLE = cast(Table, ResourceRow.__table__)
_SETTLED = (
    update(_TABLE)
    .where(_TABLE.c.id == bindparam("row_id"))
    .values(indexed_hash=bindparam("v_hash"), indexed_at=bindparam("v_at", type_=_TABLE.c.indexed_at.type))
)
"""What was sent or removed, one statement run with every row's values (``executemany``)."""


def changed(source_id: str | None) -> Select[Any]:
    """The ids of the records (of ``source_id``, or all) whose document may have changed since the
    index step last settled them: never settled, or their record, decision or link health moved
    since. A query, read a page at a time (:mod:`ren_index.steps.index_plan`)."""
    since = ResourceRow.indexed_at
    query = (
        select(ResourceRow.id)
        .outerjoin(LinkHealthRow, LinkHealthRow.resource_id == ResourceRow.id)
        .where(
            or_(
                since.is_(None),
                ResourceRow.updated_at >= since,
                ResourceRow.decided_at >= since,
                LinkHealthRow.updated_at >= since,
            )
        )
    )
    return query if source_id is None else query.where(ResourceRow.source_id == source_id)


def in_index(session: Session, source_id: str | None, held: set[str]) -> int:
    """How many records (of ``source_id``, or all; held sources left out) the index holds a
    document of: those a run does not read are ``unchanged`` (a count, not the ids: a million of
    them would not stay flat)."""
    query = select(func.count()).select_from(ResourceRow).where(ResourceRow.indexed_hash.is_not(None))
    if source_id is not None:
        query = query.where(ResourceRow.source_id == source_id)
    if held:
        query = query.where(ResourceRow.source_id.not_in(sorted(held)))
    return int(session.scalar(query) or 0)


def settle(
    session: Session,
    began: datetime,
    indexed: Collection[str],
    hashes: dict[str, str],
    deleted: Collection[str],
    settled: Collection[str],
) -> None:
    """Record what the run settled, stamped with the moment it began reading: the documents sent
    (their hash), removed (none), and compared and found the same. A few statements, not one a row."""
    params = [{"row_id": rid, "v_hash": hashes[rid], "v_at": began} for rid in indexed]
    params += [{"row_id": rid, "v_hash": None, "v_at": began} for rid in deleted]
    if params:
        session.execute(_SETTLED, params)
    same = sorted(settled)
    for start in range(0, len(same), IN_BATCH):
        chunk = same[start : start + IN_BATCH]
        session.execute(update(_TABLE).where(_TABLE.c.id.in_(chunk)).values(indexed_at=began))


def settle_rebuild(session: Session, hashes: Iterable[list[tuple[str, str]]], at: datetime) -> None:
    """After a rebuild's swap: every row stamped ``at``, with the hash of the document the new
    index holds of it (none for the others); ``hashes``: (id, hash) in chunks of at most
    :data:`IN_BATCH` (:meth:`ren_index.steps.index_kept.KeptHashes.chunks`). Two statements and one
    ``executemany`` per chunk — not every row loaded into the session, which a million would not fit."""
    session.execute(update(_TABLE).values(indexed_hash=None, indexed_at=at))
    for chunk in hashes:
        params = [{"row_id": rid, "v_hash": digest, "v_at": at} for rid, digest in chunk]
        session.execute(_SETTLED, params)
