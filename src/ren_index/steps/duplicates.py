"""Duplicates step: sign new and changed records, find their candidates in the ledger, keep the
pairs, rebuild the groups (docs/duplicates.md).

Runs after ``process`` (``ren-index process`` calls it) and on demand over every record
(``ren-index duplicates --find``). Incremental: a record is signed again only when its row was
rewritten since its signature was kept, and compared again only when its signature changed — a
re-run with nothing new reads the rows' dates and stops. A record is compared with the records that
share one of its keys in the ledger (:func:`ren_index.ledger.duplicates.candidates`), never with
every record; memory holds one batch of :data:`BATCH` records and their candidates.

High-confidence ``same`` pairs are confirmed by the rules (``decided_by`` = ``rules``) and grouped
at once; the others wait for a documentalist (``pending``). A person's label is never
overwritten: a confirmed pair keeps its relation, a rejected one (« different ») comes back only
when one of its records' signature changes. A record whose URL the link checker found permanently
redirected is also filed under the address it leads to (a record at the old address meets one at
the new).
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, sessionmaker

from ren_index.duplicates.matcher import RULES, Pair, Rules, compare
from ren_index.duplicates.records import Signature, signature_of
from ren_index.ledger import duplicates as ledger
from ren_index.ledger.link_health import health_from_json, load_rows
from ren_index.ledger.models import DupSignature, LinkHealthRow, ResourceRow, utcnow
from ren_index.links.patience import LinkState, for_url
from ren_index.model import Resource

BATCH = 500
KNOWN_MAX = 20_000
"""Stored signatures a pass keeps decoded (a few KiB each: tens of MiB at most)."""
DUPLICATE_COUNTS = ("signed", "compared", "new", "auto", "updated", "dropped", "forgotten", "groups", "moved")


@dataclass
class DuplicateRun:
    """What a pass did: ``signed`` records whose signature changed, ``compared`` candidate
    comparisons, pairs ``new`` / ``auto`` (grouped by the rules) / ``updated`` / ``dropped`` (no
    longer found), ``forgotten`` records gone from the catalogue, ``groups`` now, ``moved`` records
    whose group or rank changed (the index sends them again)."""

    counts: Counter[str] = field(default_factory=Counter)
    moved: set[str] = field(default_factory=set)

    def line(self) -> str:
        """One line for people, French then English."""
        c = self.counts
        return (
            f"doublons : {c['signed']} notices signées, {c['new'] + c['updated']} paires proposées,"
            f" {c['auto']} regroupées d'office, {c['groups']} groupes"
            f" / duplicates: {c['signed']} records signed, {c['new'] + c['updated']} pairs proposed,"
            f" {c['auto']} grouped by the rules, {c['groups']} groups"
        )


class Prepared(Protocol):
    """Signatures computed beside the records (``process --workers N``'s workers, in parallel): record
    id → (:func:`record_fingerprint` of the record signed, ``Signature.to_json()`` without a
    redirect). A ``dict``, or the pass's file (:class:`ren_index.steps.prepared_store.PreparedSignatures`)."""

    def get(self, rid: str, /) -> tuple[str, dict[str, Any]] | None: ...


def record_fingerprint(record: Mapping[str, Any]) -> str:
    """A stored record's fingerprint: a prepared signature is used only for the very record it was
    computed from (the row may have been rewritten since, by a person or another run)."""
    text = json.dumps(record, sort_keys=True, separators=(",", ":"))
    return hashlib.sha1(text.encode(), usedforsecurity=False).hexdigest()


def prepare(resource: Resource, record_id: str, record: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
    """What a worker computes for this step (pure): the record's fingerprint and its signature,
    ``record`` being the JSON the ledger keeps of ``resource``."""
    return record_fingerprint(record), signature_of(resource, record_id).to_json()


def _signature(
    rid: str, record: dict[str, object], link: LinkHealthRow | None, prepared: Prepared | None
) -> Signature:
    """The record's signature: the prepared one when it was computed from this very record and
    the link checker knows nothing of the record (no redirect to add), else computed here."""
    held = prepared.get(rid) if prepared is not None else None
    if held is not None and link is None and held[0] == record_fingerprint(record):
        return Signature.from_json(held[1])
    resource = Resource.model_validate(record)
    return signature_of(resource, rid, _moved_to(resource, link))


def _moved_to(resource: Resource, row: LinkHealthRow | None) -> str | None:
    """Where the record's current URL permanently redirects, when the link checker learned it."""
    if row is None or not resource.url:
        return None
    health = for_url(health_from_json(row.health), resource.url)
    return health.moved_to if health.state is LinkState.REDIRECTED else None


def _forget_gone(session: Session, run: DuplicateRun) -> None:
    gone = session.scalars(
        select(DupSignature.resource_id)
        .join(ResourceRow, ResourceRow.id == DupSignature.resource_id)
        .where(or_(ResourceRow.status == "deleted", ResourceRow.record.is_(None)))
    ).all()
    for rid in gone:
        ledger.forget_record(session, rid)
        run.counts["forgotten"] += 1


def _batch(session: Session, after: str, everything: bool) -> list[tuple[str, str, dict[str, object]]]:
    query = (
        select(ResourceRow.id, ResourceRow.source_id, ResourceRow.record)
        .outerjoin(DupSignature, DupSignature.resource_id == ResourceRow.id)
        .where(ResourceRow.id > after, ResourceRow.status != "deleted", ResourceRow.record.is_not(None))
    )
    if not everything:
        query = query.where(
            or_(DupSignature.resource_id.is_(None), ResourceRow.updated_at > DupSignature.updated_at)
        )
    return [(rid, src, rec) for rid, src, rec in session.execute(query.order_by(ResourceRow.id).limit(BATCH))]


class _Known:
    """Signatures read from the ledger during one pass, by id with their digest: a candidate met
    again by a later batch (a popular title, a shared band) is not decoded again while its stored
    digest is the one it was read with. Bounded: past :data:`KNOWN_MAX` the oldest are dropped."""

    def __init__(self, limit: int = KNOWN_MAX) -> None:
        self.limit = limit
        self._by_id: dict[str, tuple[str, Signature]] = {}

    def put(self, digest: str, signature: Signature) -> None:
        self._by_id.pop(signature.id, None)
        self._by_id[signature.id] = (digest, signature)
        while len(self._by_id) > self.limit:
            del self._by_id[next(iter(self._by_id))]

    def read(self, session: Session, digests: Mapping[str, str]) -> dict[str, Signature]:
        """The stored signatures of ``digests``' ids (id → the digest stored now)."""
        out: dict[str, Signature] = {}
        missing: list[str] = []
        for rid, digest in digests.items():
            held = self._by_id.get(rid)
            if held is not None and held[0] == digest:
                out[rid] = held[1]
            else:
                missing.append(rid)
        for rid, signature in ledger.load_signatures(session, missing).items():
            out[rid] = signature
            self.put(digests[rid], signature)
        return out


def _compare_batch(
    session: Session,
    changed: list[Signature],
    digests: dict[str, str],
    rules: Rules,
    run: DuplicateRun,
    cache: _Known,
) -> None:
    found_for = ledger.candidates(session, changed, rules)
    others = {o for ids in found_for.values() for o in ids}
    own = {s.id for s in changed}
    stored_now = ledger.stored_digests(session, others - own)
    known = cache.read(session, stored_now)
    known.update({s.id: s for s in changed})
    digests.update({k: v for k, v in stored_now.items() if k not in digests})
    existing = ledger.load_pairs(session, [s.id for s in changed])
    seen: dict[tuple[str, str], Pair] = {}
    for signature in changed:
        for other in sorted(found_for[signature.id]):
            if other not in known:
                continue
            run.counts["compared"] += 1
            pair = compare(signature, known[other], rules)
            if pair is not None and pair.key not in seen:
                seen[pair.key] = pair
    for _key, pair in sorted(seen.items()):
        what = ledger.record_pair(session, pair, digests, existing, rules)
        if what in ("new", "auto", "updated"):
            run.counts[what] += 1
    session.flush()
    run.counts["dropped"] += ledger.drop_stale_loaded(session, existing, seen.keys())
    for signature in changed:  # filed in this batch: a later batch meets them as stored ones
        cache.put(digests[signature.id], signature)


def find_duplicates(
    factory: sessionmaker[Session],
    priorities: Mapping[str, int] | None = None,
    *,
    everything: bool = False,
    rules: Rules = RULES,
    on_batch: Callable[[int], None] | None = None,
    prepared: Prepared | None = None,
) -> DuplicateRun:
    """Sign, compare and group; ``everything`` signs and compares every live record again.

    Each batch commits on its own (a crash loses at most one batch; the next run redoes the records
    whose signature is older than their row). ``priorities``: each source's ``priority:`` (the
    ledger's copy of ``sources.yaml`` when not given). ``prepared``: signatures computed
    beforehand (:func:`prepare`), used for the records they were computed from.
    """
    run = DuplicateRun()
    cache = _Known()
    with factory.begin() as session:
        ledger.serialize(session)
        _forget_gone(session, run)
    after = ""
    read_any = False
    while True:
        with factory.begin() as session:
            ledger.serialize(session)  # read what is stale and write it, one pass at a time
            rows = _batch(session, after, everything)
            if not rows:
                break
            read_any = True
            after = rows[-1][0]
            ids = [rid for rid, _, _ in rows]
            stored = ledger.stored_digests(session, ids)
            links = load_rows(session, ids)
            changed: list[Signature] = []
            same: list[str] = []
            digests: dict[str, str] = {}
            for rid, _source, record in rows:
                signature = _signature(rid, record, links.get(rid), prepared)
                digest = ledger.digest_of(signature)
                digests[rid] = digest
                if stored.get(rid) == digest and not everything:
                    same.append(rid)
                else:
                    changed.append(signature)
            ledger.touch_signatures(session, same)
            ledger.save_signatures(session, [(s, digests[s.id]) for s in changed], stored.keys(), rules)
            run.counts["signed"] += len(changed)
            if changed:
                _compare_batch(session, changed, digests, rules, run, cache)
        if on_batch is not None:
            on_batch(run.counts["signed"])
    with factory.begin() as session:
        if not (read_any or run.counts["forgotten"]):
            # Nothing was rewritten or deleted since the last pass: the groups stand as they are
            # (a change of ``priority:`` alone waits for a change or ``duplicates --find``).
            run.counts["groups"] = ledger.group_count(session)
            return run
        ledger.serialize(session)
        regrouped = ledger.regroup(session, priorities)
        run.counts["groups"] = len(regrouped.groups)
        run.counts["moved"] = len(regrouped.moved)
        run.moved = regrouped.moved
        stamp = utcnow()
        for chunk_start in range(0, len(regrouped.moved), ledger.IN_BATCH):
            chunk = sorted(regrouped.moved)[chunk_start : chunk_start + ledger.IN_BATCH]
            for row in session.scalars(select(ResourceRow).where(ResourceRow.id.in_(chunk))):
                row.updated_at = stamp  # the index step sends the record's document again
    return run
