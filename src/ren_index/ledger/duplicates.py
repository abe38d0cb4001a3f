"""The ledger side of duplicates: signatures and their keys, pairs, groups, primaries chosen.

The pure parts (:mod:`ren_index.duplicates`) match and group values; this module keeps them. The
table of keys (``dup_keys``) is the ledger's index of signatures: a record's candidates are the
records sharing one of its :func:`~ren_index.duplicates.similarity.lookup_keys`, found by one query
per few hundred keys — never by reading every signature. Every ``IN (...)`` list is cut at
:data:`IN_BATCH` values, whatever the number of records asked about.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, delete, func, insert, or_, select, update
from sqlalchemy.orm import Session

from ren_index.duplicates.groups import Group, Link, Member, build_groups
from ren_index.duplicates.matcher import RULES, Pair, Rules
from ren_index.duplicates.records import Signature
from ren_index.duplicates.similarity import BAND_CAP, BUCKET_CAP, cap_of, lookup_keys, stored_keys
from ren_index.ledger.models import (
    DupChoice,
    DupKey,
    DupMember,
    DupPair,
    DupSignature,
    RawRecordRow,
    ResourceRow,
    SourceRow,
    utcnow,
)

IN_BATCH = 500
DUP_SIGNATURES = cast(Table, DupSignature.__table__)
DUP_KEYS = cast(Table, DupKey.__table__)
STATUSES = ("pending", "confirmed", "rejected")
LABELS = ("same", "version", "translation", "part", "different")
"""What a person may say of a pair: a relation, or « different » (the pair is then rejected)."""


DUPLICATES_LOCK = 0x72656E2D647570  # "ren-dup": the advisory lock key of the duplicates' writes


def serialize(session: Session) -> None:
    """Make this transaction the only one writing duplicates (PostgreSQL: a transaction-level
    advisory lock, freed at commit or rollback, or when the process dies). Two ``process`` runs on
    two workers each run the duplicates step: without it both could file the same new signature
    or pair. SQLite's single writer already serializes them."""
    bind = session.get_bind()
    if bind.dialect.name == "postgresql":
        session.execute(select(func.pg_advisory_xact_lock(DUPLICATES_LOCK)))


def digest_of(signature: Signature) -> str:
    """A signature's fingerprint without its id: what changes when matching would see a change."""
    data = signature.to_json()
    data.pop("id", None)
    return hashlib.sha1(json.dumps(data, sort_keys=True).encode(), usedforsecurity=False).hexdigest()


def in_chunks(values: Collection[str]) -> Iterator[list[str]]:
    """``values`` in lists of at most :data:`IN_BATCH`: every ``IN (...)`` of the duplicates' reads."""
    items = list(values)
    for start in range(0, len(items), IN_BATCH):
        yield items[start : start + IN_BATCH]


def ordered(a: str, b: str) -> tuple[str, str]:
    """A pair's ids in the order the ledger keeps them."""
    return (a, b) if a <= b else (b, a)


# --- signatures and keys -----------------------------------------------------------------------


def stored_digests(session: Session, ids: Collection[str]) -> dict[str, str]:
    """The digest of each record's stored signature (records without one are absent)."""
    out: dict[str, str] = {}
    for chunk in in_chunks(ids):
        rows = session.execute(
            select(DupSignature.resource_id, DupSignature.digest).where(DupSignature.resource_id.in_(chunk))
        )
        out.update({rid: digest for rid, digest in rows})
    return out


def save_signatures(
    session: Session,
    signatures: Iterable[tuple[Signature, str]],
    stored: Collection[str],
    rules: Rules = RULES,
) -> None:
    """Keep records' signatures (with their digests) and file each under its keys, its old keys
    gone; ``stored``: the ids that already have a signature row. A few statements per batch, not
    per record."""
    items = list(signatures)
    now = utcnow()
    ids = [s.id for s, _ in items]
    for chunk in in_chunks(ids):
        session.execute(delete(DupKey).where(DupKey.resource_id.in_(chunk)))
    rows = [
        {"resource_id": s.id, "source_id": s.source, "signature": s.to_json(), "digest": d, "updated_at": now}
        for s, d in items
    ]
    fresh = [r for r in rows if r["resource_id"] not in stored]
    known = [r for r in rows if r["resource_id"] in stored]
    # Core inserts (one ``executemany``): the ORM's bulk path builds an object state per row,
    # which cost more than the database did for the ~30 keys of each record.
    if fresh:
        session.execute(insert(DUP_SIGNATURES), fresh)
    if known:
        session.execute(update(DupSignature), known)
    keys = [{"key": k, "resource_id": s.id} for s, _ in items for k in stored_keys(s, rules.lsh_threshold)]
    if keys:
        session.execute(insert(DUP_KEYS), keys)


def touch_signatures(session: Session, ids: Collection[str]) -> None:
    """Mark stored signatures as seen now (their records were rewritten, the signatures did not move)."""
    now = utcnow()
    for chunk in in_chunks(ids):
        session.execute(
            update(DupSignature).where(DupSignature.resource_id.in_(chunk)).values(updated_at=now)
        )


def forget_record(session: Session, resource_id: str) -> None:
    """A deleted record: no signature, no keys, no pair that only the rules proposed. What a person
    said of its pairs stays (the record may come back); groups skip records that are gone."""
    session.execute(delete(DupKey).where(DupKey.resource_id == resource_id))
    session.execute(delete(DupSignature).where(DupSignature.resource_id == resource_id))
    drop_stale_pairs(session, [resource_id], ())


def load_signatures(session: Session, ids: Collection[str]) -> dict[str, Signature]:
    """Stored signatures by record id."""
    out: dict[str, Signature] = {}
    for chunk in in_chunks(ids):
        for row in session.scalars(select(DupSignature).where(DupSignature.resource_id.in_(chunk))):
            out[row.resource_id] = Signature.from_json(row.signature)
    return out


def candidates(
    session: Session, signatures: Iterable[Signature], rules: Rules = RULES
) -> dict[str, set[str]]:
    """Each signature's candidates among the stored ones (keys past their cap are ignored)."""
    wanted: dict[str, list[str]] = {s.id: lookup_keys(s, rules.lsh_threshold) for s in signatures}
    all_keys = sorted({k for keys in wanted.values() for k in keys})
    holders: defaultdict[str, set[str]] = defaultdict(set)
    for chunk in in_chunks(all_keys):
        # One query a chunk: the holders of the chunk's keys that hold at most the larger cap (a
        # generic key's thousands of holders never leave the database), each key's own cap
        # applied below on what came back.
        small = (
            select(DupKey.key)
            .where(DupKey.key.in_(chunk))
            .group_by(DupKey.key)
            .having(func.count() <= max(BAND_CAP, BUCKET_CAP))
        )
        for k, rid in session.execute(select(DupKey.key, DupKey.resource_id).where(DupKey.key.in_(small))):
            holders[k].add(rid)
    for k in [k for k, held in holders.items() if len(held) > cap_of(k)]:
        del holders[k]
    out: dict[str, set[str]] = {}
    for id, keys in wanted.items():
        found: set[str] = set()
        for k in keys:
            found |= holders.get(k, set())
        found.discard(id)
        out[id] = found
    return out


# --- pairs --------------------------------------------------------------------------------------


def load_pairs(session: Session, ids: Collection[str]) -> dict[tuple[str, str], DupPair]:
    """The stored pairs touching any of ``ids``, by (a, b)."""
    out: dict[tuple[str, str], DupPair] = {}
    for chunk in in_chunks(ids):
        for row in session.scalars(select(DupPair).where(or_(DupPair.a.in_(chunk), DupPair.b.in_(chunk)))):
            out[(row.a, row.b)] = row
    return out


def record_pair(
    session: Session,
    pair: Pair,
    digests: Mapping[str, str],
    existing: Mapping[tuple[str, str], DupPair],
    rules: Rules = RULES,
) -> str | None:
    """Keep a pair the matcher found; what became of it (``new``, ``auto``, ``updated``,
    ``kept`` — a person's word stands) or None (a pair said « different » of these very records).

    A rejected pair comes back as a proposal only when one record's signature changed since; a
    confirmed one keeps its relation and status, its score and reasons refreshed.
    """
    a, b = pair.key
    row = existing.get((a, b))
    reasons = dict(pair.reasons)
    if row is not None and row.status == "rejected":
        if (row.a_digest, row.b_digest) == (digests[a], digests[b]):
            return None
        row.status, row.decided_by, row.decided_at = "pending", None, None
        row.relation = pair.relation
    fresh = row is None
    if row is None:
        row = DupPair(a=a, b=b, status="pending", relation=pair.relation, found_at=utcnow())
        session.add(row)
    person = row.status == "confirmed" and row.decided_by not in (None, "rules")
    row.proposed = pair.relation
    row.score = pair.score
    row.reasons = reasons
    row.whole = pair.whole
    row.newer = pair.newer
    row.a_digest, row.b_digest = digests[a], digests[b]
    if person:
        return "kept"
    row.relation = pair.relation
    if pair.auto(rules):
        row.status, row.decided_by, row.decided_at = "confirmed", "rules", utcnow()
        return "auto"
    if row.status == "confirmed":  # the rules had grouped it; no longer high-confidence: a proposal
        row.status, row.decided_by, row.decided_at = "pending", None, None
    return "new" if fresh else "updated"


def drop_stale_loaded(
    session: Session, existing: Mapping[tuple[str, str], DupPair], found: Collection[tuple[str, str]]
) -> int:
    """:func:`drop_stale_pairs` over pairs already loaded (:func:`load_pairs` of the same records,
    in this transaction, before :func:`record_pair`): the same rows, without reading them again —
    a pair the matcher created since is among ``found``."""
    keep = set(found)
    gone = 0
    for (a, b), row in sorted(existing.items()):
        if (a, b) not in keep and (row.status == "pending" or row.decided_by == "rules"):
            session.delete(row)
            gone += 1
    return gone


def drop_stale_pairs(session: Session, ids: Collection[str], found: Collection[tuple[str, str]]) -> int:
    """After records were compared afresh: their rule-made pairs not found again are gone (a
    person's label stays). How many went."""
    keep = set(found)
    gone = 0
    for chunk in in_chunks(ids):
        rows = session.scalars(
            select(DupPair).where(
                or_(DupPair.a.in_(chunk), DupPair.b.in_(chunk)),
                or_(DupPair.status == "pending", DupPair.decided_by == "rules"),
            )
        ).all()
        for row in rows:
            if (row.a, row.b) not in keep:
                session.delete(row)
                gone += 1
    return gone


def label_pair(
    session: Session, a: str, b: str, label: str, actor: str
) -> tuple[DupPair, dict[str, Any] | None]:
    """A person's word on two records: a relation (the pair is confirmed) or ``different``
    (rejected: never proposed again unless one record changes). Creates the pair when the matcher
    never proposed it. Returns the row and what it was before (None if new)."""
    if label not in LABELS:
        raise ValueError(label)
    a, b = ordered(a, b)
    row = session.get(DupPair, (a, b))
    digests = stored_digests(session, (a, b))
    before = None
    if row is None:
        proposed = label if label != "different" else "same"  # what « different » denies
        row = DupPair(a=a, b=b, proposed=proposed, relation=proposed, score=0.0, reasons={})
        row.found_at = utcnow()
        session.add(row)
    else:
        before = {"relation": row.relation, "status": row.status, "decided_by": row.decided_by}
    row.a_digest, row.b_digest = digests.get(a, ""), digests.get(b, "")
    if label == "different":
        row.status = "rejected"
    else:
        row.status, row.relation = "confirmed", label
    row.decided_by, row.decided_at = actor, utcnow()
    return row, before


def choose(session: Session, resource_id: str, actor: str) -> None:
    """A documentalist makes this record its group's primary (kept across regrouping)."""
    row = session.get(DupChoice, resource_id)
    if row is None:
        session.add(DupChoice(resource_id=resource_id, chosen_by=actor, chosen_at=utcnow()))
    else:
        row.chosen_by, row.chosen_at = actor, utcnow()


# --- groups -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Regrouped:
    """What a regrouping changed: the groups now, and the records whose place moved (to re-index)."""

    groups: list[Group]
    moved: set[str]


def source_priorities(session: Session) -> dict[str, int]:
    """Each source's ``priority:`` as the ledger keeps its configuration (0 when unset)."""
    out: dict[str, int] = {}
    for sid, config in session.execute(select(SourceRow.id, SourceRow.config)):
        value = (config or {}).get("priority", 0)
        out[sid] = value if isinstance(value, int) else 0
    return out


def regroup(session: Session, priorities: Mapping[str, int] | None = None) -> Regrouped:
    """Rebuild the groups from the pairs that stand, among live records; write the difference.

    ``priorities``: each source's ``priority:`` (read from the ledger's copy of ``sources.yaml``
    when not given).

    Cheap by design: only ``same``/``version`` pairs that stand are read (a fraction of the pairs,
    themselves a fraction of the records), with the few fields the primary's rules need.
    """
    if priorities is None:
        priorities = source_priorities(session)
    links = [
        Link(a, b, relation, newer)
        for a, b, relation, newer in session.execute(
            select(DupPair.a, DupPair.b, DupPair.relation, DupPair.newer).where(
                DupPair.status == "confirmed", DupPair.relation.in_(("same", "version"))
            )
        )
    ]
    ids = {i for link in links for i in (link.a, link.b)}
    members: dict[str, Member] = {}
    for chunk in in_chunks(ids):
        rows = session.execute(
            select(ResourceRow.id, ResourceRow.source_id, ResourceRow.quality_score, RawRecordRow.first_seen)
            .join(RawRecordRow, RawRecordRow.id == ResourceRow.raw_id)
            .where(
                ResourceRow.id.in_(chunk), ResourceRow.status != "deleted", ResourceRow.record.is_not(None)
            )
        )
        for rid, source, quality, first_seen in rows:
            members[rid] = Member(rid, source, priorities.get(source, 0), quality or 0, first_seen)
    choices: dict[str, datetime] = {}
    for chunk in in_chunks(ids):
        choices.update(
            dict(
                session.execute(
                    select(DupChoice.resource_id, DupChoice.chosen_at).where(DupChoice.resource_id.in_(chunk))
                ).all()
            )
        )
    groups = build_groups(links, members, choices)
    now = {rid: (g.id, g.members[rid], g.order.index(rid)) for g in groups for rid in g.members}
    before = {
        rid: (gid, rel, rank)
        for rid, gid, rel, rank in session.execute(
            select(DupMember.resource_id, DupMember.group_id, DupMember.relation, DupMember.rank)
        )
    }
    moved = {rid for rid in now.keys() | before.keys() if now.get(rid) != before.get(rid)}
    for rid in sorted(moved):
        if rid in now:
            gid, rel, rank = now[rid]
            session.merge(DupMember(resource_id=rid, group_id=gid, relation=rel, rank=rank))
        else:
            session.execute(delete(DupMember).where(DupMember.resource_id == rid))
    return Regrouped(groups, moved)


def group_count(session: Session) -> int:
    """How many groups the ledger holds."""
    return int(session.scalar(select(func.count(func.distinct(DupMember.group_id)))) or 0)


def group_of(session: Session, resource_id: str) -> dict[str, str]:
    """The members of a record's group (id → relation), empty when it is in none."""
    gid = session.scalar(select(DupMember.group_id).where(DupMember.resource_id == resource_id))
    if gid is None:
        return {}
    return dict(
        session.execute(
            select(DupMember.resource_id, DupMember.relation).where(DupMember.group_id == gid)
        ).all()
    )


def pairs_between(session: Session, ids: Collection[str]) -> list[DupPair]:
    """The stored pairs with both records among ``ids``."""
    wanted = set(ids)
    return [row for row in load_pairs(session, wanted).values() if row.a in wanted and row.b in wanted]
