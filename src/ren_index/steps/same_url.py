"""Same-URL look-ups of the process step: which earlier record already has this resource's address.

Apart from :mod:`ren_index.steps.process` because it is a concern of its own (the ledger key of a
URL, the batch not yet written, the one prepared statement) and so the step's module stays short.
:func:`duplicate_finder` answers ``DUPLICATE_URL``'s question — an *earlier* record (first seen
before this one) with the same normalized URL, in any spelling of its scheme — for the validation
context, within a batch that is written in one flush at its end.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import datetime

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from ren_index.ledger.models import RawRecordRow, ResourceRow
from ren_index.model import Status
from ren_index.validate.urls import scheme_variants


def url_key(url: str | None) -> str | None:
    """The ledger key of a normalized URL (a hash: URLs can be longer than an index allows)."""
    return hashlib.sha1(url.encode("utf-8")).hexdigest() if url else None


class Unflushed:
    """The records saved in the current batch and not yet written: their URL key and age.

    A run writes a batch in one flush at its end (one statement per table, not one flush per
    record: that per-record flush, triggered by the duplicate look-up's query, cost more than the
    whole validation of the record). Until then the ledger does not know these records' new
    URLs, so the duplicate look-up asks this too, and ignores what the ledger still says of them.
    """

    def __init__(self) -> None:
        self.by_key: dict[str, list[tuple[datetime, int, str]]] = {}
        self.ids: set[str] = set()
        self._key_of: dict[str, str] = {}
        """The key each record is filed under: a record saved again leaves only its own key's
        list (scanning every key's list for each record made a batch quadratic)."""

    def add(self, rid: str, key: str | None, first_seen: datetime, raw_id: int, live: bool) -> None:
        self.ids.add(rid)
        before = self._key_of.pop(rid, None)
        if before is not None:
            entries = self.by_key[before]
            entries[:] = [e for e in entries if e[2] != rid]
        if key is not None and live:
            self.by_key.setdefault(key, []).append((first_seen, raw_id, rid))
            self._key_of[rid] = key


LOOKUP_ROWS = 20
"""Records of one URL read from the ledger per look-up (the earliest first; a URL shared by more
records than this is a source problem reported long before)."""


_SAME_URL = (
    select(ResourceRow.url_key, ResourceRow.id, RawRecordRow.first_seen, RawRecordRow.id)
    .join(RawRecordRow, ResourceRow.raw_id == RawRecordRow.id)
    .where(
        ResourceRow.url_key.in_(bindparam("keys", expanding=True)),
        ResourceRow.raw_id != bindparam("raw_id"),
        ResourceRow.status != Status.DELETED.value,
    )
    .order_by(RawRecordRow.first_seen, RawRecordRow.id)
    .limit(bindparam("limit"))
)
"""The live records at some URL keys but the one being processed, earliest first. Built once: building
the statement for each record cost more than running it."""


def duplicate_finder(
    session: Session, raw: RawRecordRow, unflushed: Unflushed | None = None
) -> Callable[[str], str | None]:
    """Look up an *earlier* record (first seen before this one) with the same normalized URL."""
    pending = unflushed or Unflushed()
    known: dict[str, list[tuple[datetime, int, str]]] = {}

    def look_up(url: str) -> None:
        """One query for the URL and its other scheme spellings (asked for next by the check)."""
        keys = {k for k in map(url_key, {url, *scheme_variants(url)}) if k is not None}
        with session.no_autoflush:
            rows = session.execute(
                _SAME_URL, {"keys": sorted(keys), "raw_id": raw.id, "limit": LOOKUP_ROWS * len(keys)}
            ).all()
        for key in keys:
            known[key] = [(seen, raw_id, str(rid)) for k, rid, seen, raw_id in rows if k == key]

    def find(url: str) -> str | None:
        key = url_key(url)
        if key is None:
            return None
        if key not in known:
            look_up(url)
        candidates = [c for c in known.get(key, []) if c[2] not in pending.ids]
        candidates += [e for e in pending.by_key.get(key, []) if e[1] != raw.id]
        if not candidates:
            return None
        other_seen, other_raw, other_id = min(candidates)
        return other_id if (other_seen, other_raw) < (raw.first_seen, raw.id) else None

    return find
