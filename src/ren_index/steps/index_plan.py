"""Which records an index run sends, and in which batches, read a page at a time.

A run is about some records — those that may have changed (:func:`.index_since.changed`), a
source's, the ids a publication names, or every record — and must also send the other members of
their groups and the groups linked to them (:func:`.index_groups.scope`). It used to read every id
of the run, their places and pairs, before the first batch: at a million records that was ~100 MiB
kept and ~250 MiB at its peak, growing with the ledger (issue 17, point 4). Here the run's ids are
read :data:`PAGE` at a time in id order (keyset: ``id > last``), each page widened to its scope and
cut into batches in group order; memory holds one page's places and pairs.

A record sent that is in a group or linked to another is remembered: a later page — its own, or
another member's — could pull it in again, and must not send it twice (a record alone is only ever
sent by its own page). That set grows with the records of groups the run touches, a fraction of
the records, never with the records themselves.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session, sessionmaker

from ren_index.ledger.models import ResourceRow
from ren_index.steps.index_groups import IN_BATCH, Around, scope

PAGE = 5_000
"""The run's own ids read at once (a few hundred KiB with their places and pairs)."""


def base_query(source_id: str | None) -> Select[Any]:
    """Every record's id, or a source's: the ids of a run that compares everything."""
    query = select(ResourceRow.id)
    return query if source_id is None else query.where(ResourceRow.source_id == source_id)


def named(session: Session, source_id: str | None, resource_ids: Collection[str]) -> list[str]:
    """The ids a run is limited to (a publication's), those of ``source_id`` only when given."""
    ids = sorted(set(resource_ids))
    if source_id is None:
        return ids
    found: list[str] = []
    for start in range(0, len(ids), IN_BATCH):
        chunk = ids[start : start + IN_BATCH]
        query = select(ResourceRow.id).where(ResourceRow.source_id == source_id, ResourceRow.id.in_(chunk))
        found.extend(session.scalars(query))
    return sorted(found)


@dataclass
class Plan:
    """The batches of one run: ``base`` — a query of ids (read a page at a time) or a list of ids
    — widened page by page to what sending them involves.

    :meth:`unread_after` says how many records the batches after a given one hold (the count of
    an interrupted run's message, asked only then): exact for records alone, an estimate when
    groups pull records of later pages forward."""

    base: Select[Any] | list[str]
    batch_size: int
    related: set[str] = field(default_factory=set)
    """Records sent so far that are in a group or linked: a later page could pull them in again."""
    _read: int = 0
    _after: list[tuple[int, str]] = field(default_factory=list)
    """For each batch yielded: the records of its page still to come, and the page's last id."""

    def _page(self, session: Session, after: str | None) -> list[str]:
        if isinstance(self.base, list):
            return self.base[self._read : self._read + PAGE]
        query = self.base if after is None else self.base.where(ResourceRow.id > after)
        return list(session.scalars(query.order_by(ResourceRow.id).limit(PAGE)))

    def batches(self, factory: sessionmaker[Session]) -> Iterator[tuple[list[str], Around]]:
        """Each batch with what its documents depend on (:class:`Around` of its page's scope)."""
        after: str | None = None
        while True:
            with factory() as session:
                page = self._page(session, after)
                if not page:
                    return
                reach = scope(session, page)
            after = page[-1]
            self._read += len(page)
            send = reach.send - self.related
            linked = {end for link in reach.links for end in (link.a, link.b)}
            self.related |= {rid for rid in send if rid in reach.places or rid in linked}
            around = Around(reach.places, reach.links)
            ordered = around.order(send)
            pending = len(ordered)
            for batch in Around.batches(ordered, self.batch_size):
                pending -= len(batch)
                self._after.append((pending, after))
                yield batch, around

    def unread_after(self, session: Session, number: int) -> int:
        """Records of the batches after batch ``number`` (counted from 0): the rest of its page and
        the ids after that page (counted now: a run pays that count only when it is interrupted)."""
        if number >= len(self._after):
            return 0
        pending, last = self._after[number]
        if isinstance(self.base, list):
            return pending + sum(1 for rid in self.base if rid > last)
        rest = self.base.where(ResourceRow.id > last).subquery()
        return pending + int(session.scalar(select(func.count()).select_from(rest)) or 0)
