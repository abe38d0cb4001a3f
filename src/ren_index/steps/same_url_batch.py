"""``DUPLICATE_URL``'s look-ups for a whole batch in one query, when the addresses are known ahead.

With a pool (:mod:`ren_index.steps.process_pool`) the writer knows every address a batch's records
asked about before it writes the first one, so instead of one query per record
(:func:`ren_index.steps.same_url.duplicate_finder`) it reads them all at once, and answers each
record's questions from that read exactly as the per-record query would have: the ledger is not
written until the batch commits, so both see the same rows. Per address key only the earliest
``LOOKUP_ROWS × keys + 1`` live records are read (a window function): what any one look-up could
use, the record itself included, so a URL shared by thousands of records costs no more.
An address not read ahead (asked only when a record is redone with real answers) is looked up
the per-record way.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ren_index.ledger.models import RawRecordRow, ResourceRow
from ren_index.model import Status
from ren_index.steps.same_url import LOOKUP_ROWS, Unflushed, duplicate_finder, url_key
from ren_index.validate.urls import scheme_variants

IN_LIST = 500
"""Keys per query (bounded ``IN`` lists, whatever the batch)."""

Row = tuple[datetime, int, str]
"""A live record at an address: first seen, raw id, resource id (the order of "earlier")."""


def keys_of(url: str) -> set[str]:
    """The ledger keys of an address and of its other scheme spellings (one look-up's keys)."""
    return {k for k in map(url_key, {url, *scheme_variants(url)}) if k is not None}


class SameUrls:
    """The live records at the addresses of one batch, read in one query (per 500 keys)."""

    def __init__(self, rows: dict[str, list[Row]], keys: set[str]) -> None:
        self.rows = rows
        self.keys = keys

    @classmethod
    def read(cls, session: Session, urls: Iterable[str]) -> SameUrls:
        wanted: set[str] = set()
        widest = 1
        for url in set(urls):
            keys = keys_of(url)
            wanted |= keys
            widest = max(widest, len(keys))
        cap = LOOKUP_ROWS * widest + 1
        found: dict[str, list[Row]] = {}
        ordered = sorted(wanted)
        for start in range(0, len(ordered), IN_LIST):
            rank = (
                func.row_number()
                .over(partition_by=ResourceRow.url_key, order_by=(RawRecordRow.first_seen, RawRecordRow.id))
                .label("rank")
            )
            ranked = (
                select(
                    ResourceRow.url_key,
                    ResourceRow.id,
                    RawRecordRow.first_seen,
                    RawRecordRow.id.label("raw"),
                    rank,
                )
                .join(RawRecordRow, ResourceRow.raw_id == RawRecordRow.id)
                .where(
                    ResourceRow.url_key.in_(ordered[start : start + IN_LIST]),
                    ResourceRow.status != Status.DELETED.value,
                )
                .subquery()
            )
            query = select(ranked.c.url_key, ranked.c.id, ranked.c.first_seen, ranked.c.raw).where(
                ranked.c.rank <= cap
            )
            with session.no_autoflush:
                for key, rid, seen, raw_id in session.execute(query):
                    found.setdefault(str(key), []).append((seen, int(raw_id), str(rid)))
        return cls(found, wanted)

    def finder(
        self, session: Session, raw: RawRecordRow, unflushed: Unflushed
    ) -> Callable[[str], str | None]:
        """:func:`~ren_index.steps.same_url.duplicate_finder`'s answers, from what was read."""
        known: dict[str, list[Row]] = {}
        fallback = duplicate_finder(session, raw, unflushed)

        def find(url: str) -> str | None:
            key = url_key(url)
            if key is None:
                return None
            keys = keys_of(url)
            if not keys <= self.keys:
                return fallback(url)
            if key not in known:
                # The per-record query: these keys, not this record, earliest first, LOOKUP_ROWS per key.
                rows = sorted(r for k in keys for r in self.rows.get(k, []) if r[1] != raw.id)
                picked = set(rows[: LOOKUP_ROWS * len(keys)])
                for k in keys:
                    known[k] = [r for r in self.rows.get(k, []) if r in picked]
            candidates = [c for c in known.get(key, []) if c[2] not in unflushed.ids]
            candidates += [e for e in unflushed.by_key.get(key, []) if e[1] != raw.id]
            if not candidates:
                return None
            other_seen, other_raw, other_id = min(candidates)
            return other_id if (other_seen, other_raw) < (raw.first_seen, raw.id) else None

        return find
