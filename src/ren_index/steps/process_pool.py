"""The process step on several cores: pure stages in a process pool, one writer in this process.

Why this shape: normalize → corrections → validate → decide → quality score is pure CPU work on
one record; the ledger is one database that must see a pass's batches in order (the
``DUPLICATE_URL`` look-up asks what earlier records of the pass already wrote). So this process
reads the raw records in batches (:data:`ren_index.steps.process.BATCH`, with their
corrections and link health), sends each batch to a worker (``spawn``: no inherited database
connection; at most two batches per worker in flight, so memory stays bounded), and writes the
results batch after batch, in id order, committing each one — exactly what
:func:`ren_index.steps.process.process_source` does with one worker.

The only input a worker cannot have is the ledger's answer to ``DUPLICATE_URL`` (it depends on
the batches written before). A worker answers "no earlier record" and notes the addresses it
asked about; the writer asks the ledger the same questions, in order, and when one answer is not
"none" (a rare, duplicated address) it runs that record again in this process with the real
answers (from the payload the batch already read: no query per record).

The source's title counts (``TITLE_REPEATED_IN_SOURCE``) must be complete before the first record
is validated, and every waiting record must be normalized to count its titles: that first pass
also runs in the pool (:func:`_titles`, batch by batch, the keys' digests gathered here: the order
does not change a count), then the repeated keys' counts reach the workers once, through a file
each worker reads at its first batch (a pool cannot send one value to every worker; sending them
with every batch would cost as much as the batch for a large source). The outcome is therefore
the same as one worker's, record for record.
"""

from __future__ import annotations

import gc
import multiprocessing
import pickle
import tempfile
from array import array
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, defer, sessionmaker
from sqlalchemy.orm.attributes import set_committed_value

from ren_index.config.rulebook import Rulebook
from ren_index.config.sources import SourceConfig
from ren_index.ledger import store
from ren_index.ledger.models import RawRecordRow, ResourceRow
from ren_index.links.patience import LinkHealth
from ren_index.model import Decision, Issue, Resource, Status
from ren_index.quality.score import score
from ren_index.steps.duplicates import prepare
from ren_index.steps.prepared_store import PreparedSignatures
from ren_index.steps.process_one import (
    NewRows,
    _save,
    load_link_health,
    load_overlays,
    normalized,
    process_record,
    stored_title_counts,
    titles_pending_query,
)
from ren_index.steps.process_runs import PROCESS_COUNTS, beat, pending_query
from ren_index.steps.same_url import Unflushed, url_key
from ren_index.steps.same_url_batch import SameUrls
from ren_index.validate.patterns import title_keys
from ren_index.validate.title_counts import DIGEST_TYPE, TitleCounts, digests_of

IN_FLIGHT_PER_WORKER = 2
"""Batches sent ahead per worker: one being computed, one waiting, so no worker idles while this
process writes; more would only hold more records in memory."""

RAW_FIELDS = (
    "id",
    "source_id",
    "identifier",
    "datestamp",
    "deleted",
    "metadata_prefix",
    "payload",
    "content_hash",
    "first_seen",
    "last_seen",
)
"""What the pure stages read of a raw record (sent to a worker as plain values, not a row)."""

Outcome = tuple[
    tuple[Resource | None, list[Issue], Decision],
    int | None,
    list[str],
    dict[str, Any] | None,
    tuple[str, dict[str, Any]] | None,
]
"""A worker's answer for one record: the result, its quality score, the addresses it asked about,
the record's JSON as the ledger keeps it and its duplicates signature
(:func:`ren_index.steps.duplicates.prepare`) — the writer neither dumps nor signs it again."""


@dataclass
class _Batch:
    """A batch sent to a worker, with what the writer needs again if it must redo a record."""

    raw_ids: list[int]
    hashes: dict[int, tuple[str, bool]]
    overlays: dict[str, dict[str, tuple[Any, Any]]]
    links: dict[str, LinkHealth]
    payloads: dict[int, str | None]
    future: Future[list[Outcome]]


_state: dict[str, Any] = {}
"""The worker's own copy of the pass's constants (set once per worker by :func:`_start_worker`)."""


def _start_worker(source: SourceConfig, rulebook_path: str) -> None:
    """Keep what every batch reads; then put it out of the garbage collector's reach.

    The rulebook comes through a file the writer wrote (its own, this pass), not as an argument:
    an argument travels in the pipe that starts the worker, and the writer then waits on that pipe
    while the worker imports the package (about a second), one worker after the other.

    The rulebook (vocabularies, rules, language data) is some 190,000 objects that live as long as
    the worker: left in the collector's generations, every full collection walks them again —
    about a seventh of the pure stages' CPU time (issue 17, ``bench/validate_pipeline.py
    --gc-freeze``). A worker is a process of its own, so freezing there touches nothing else."""
    rulebook: Rulebook = pickle.loads(Path(rulebook_path).read_bytes())  # the writer's own file
    _state.update(source=source, rulebook=rulebook)
    gc.collect()
    gc.freeze()


def _titles(items: list[dict[str, Any]]) -> array[int]:
    """In a worker: the title key digests of a batch of waiting raw records (normalized for nothing
    else), eight bytes a key (:func:`~ren_index.validate.title_counts.digests_of`)."""
    digests: array[int] = array(DIGEST_TYPE)
    for fields in items:
        digests.extend(digests_of(title_keys(normalized(RawRecordRow(**fields))[0])))
    return digests


def _same_titles(path: str) -> TitleCounts:
    """The pass's title counts (the repeated ones), read from the writer's file once per worker."""
    if _state.get("titles_path") != path:
        counts: TitleCounts = pickle.loads(Path(path).read_bytes())  # the writer's own file, this pass
        _state.update(titles_path=path, same_titles=counts)
    held: TitleCounts = _state["same_titles"]
    return held


def _work(
    items: list[tuple[dict[str, Any], dict[str, tuple[Any, Any]] | None, LinkHealth | None]],
    titles_path: str,
) -> list[Outcome]:
    """In a worker: the pure stages on one batch, asking no ledger (see the module's docstring)."""
    source: SourceConfig = _state["source"]
    rulebook: Rulebook = _state["rulebook"]
    same_titles = _same_titles(titles_path)
    outcomes: list[Outcome] = []
    for fields, overlays, link in items:
        asked: list[str] = []

        def no_earlier(url: str, asked: list[str] = asked) -> str | None:
            asked.append(url)
            return None

        raw = RawRecordRow(**fields)
        result = process_record(raw, source, rulebook, no_earlier, overlays, same_titles.__getitem__, link)
        resource, issues, _decision = result
        quality = score(resource, issues, rulebook.vocabularies).score if resource is not None else None
        dumped = resource.model_dump(mode="json") if resource is not None else None
        rid = store.resource_id(raw.source_id, raw.identifier)
        signed = prepare(resource, rid, dumped) if resource is not None and dumped is not None else None
        outcomes.append((result, quality, asked, dumped, signed))
    return outcomes


def process_pooled(
    factory: sessionmaker[Session],
    source: SourceConfig,
    rulebook: Rulebook,
    run_id: int,
    *,
    workers: int,
    batch_size: int,
    force: bool = False,
    on_batch: Callable[[int], None] | None = None,
    prepared: PreparedSignatures | None = None,
) -> dict[str, int]:
    """Process the source's pending records with ``workers`` processes; the run's counts.

    The source's title counts are computed first, their normalizing in the pool (see the
    module's docstring). ``prepared`` receives the duplicates signatures the workers computed
    (:mod:`ren_index.steps.prepared_store`), which the duplicates step then reads instead of
    signing the records again."""
    counts = dict.fromkeys(PROCESS_COUNTS, 0)
    folder = tempfile.TemporaryDirectory(prefix="ren-index-pass-")  # removed when the pass ends
    rulebook_path = Path(folder.name) / "rulebook.pickle"
    rulebook_path.write_bytes(pickle.dumps(rulebook, protocol=pickle.HIGHEST_PROTOCOL))
    titles_path = str(Path(folder.name) / "titles.pickle")
    context = multiprocessing.get_context("spawn")
    pool = ProcessPoolExecutor(
        max_workers=workers,
        mp_context=context,
        initializer=_start_worker,
        initargs=(source, str(rulebook_path)),
    )
    in_flight: deque[_Batch] = deque()
    last_id = 0
    exhausted = False
    try:
        same_titles = _pending_titles(factory, pool, source.id, workers, batch_size)
        Path(titles_path).write_bytes(pickle.dumps(same_titles, protocol=pickle.HIGHEST_PROTOCOL))
        while True:
            while not exhausted and len(in_flight) < workers * IN_FLIGHT_PER_WORKER:
                batch = _send(factory, pool, source, rulebook, force, last_id, batch_size, titles_path)
                if batch is None:
                    exhausted = True
                else:
                    in_flight.append(batch)
                    last_id = batch.raw_ids[-1]
            if not in_flight:
                break
            batch = in_flight.popleft()
            outcomes = batch.future.result()
            _write(factory, source, rulebook, run_id, same_titles, batch, outcomes, counts, prepared)
            if on_batch is not None:
                on_batch(counts["processed"])
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
        folder.cleanup()
    return counts


def _pending_titles(
    factory: sessionmaker[Session], pool: ProcessPoolExecutor, source_id: str, workers: int, batch_size: int
) -> TitleCounts:
    """The source's title counts (:func:`~ren_index.steps.process_one.source_title_counts`): its
    waiting records normalized in the pool batch by batch (their keys' digests come back), the
    stored titles read here while the workers start (a worker's first batch waits for its start,
    about a second); frozen, so only the repeated keys go on to the workers."""
    in_flight: deque[Future[array[int]]] = deque()
    columns = [getattr(RawRecordRow, f) for f in RAW_FIELDS]  # plain values: no ORM object per row
    after = 0
    total: TitleCounts | None = None
    while True:
        while len(in_flight) < workers * IN_FLIGHT_PER_WORKER:
            with factory() as session:
                query = titles_pending_query(source_id, after).with_only_columns(*columns).limit(batch_size)
                items = [dict(zip(RAW_FIELDS, row, strict=True)) for row in session.execute(query)]
            if not items:
                break
            after = items[-1]["id"]
            in_flight.append(pool.submit(_titles, items))
        if total is None:
            with factory() as session:
                total = stored_title_counts(session, source_id)
        if not in_flight:
            return total.freeze()
        total.add(in_flight.popleft().result())


def _send(
    factory: sessionmaker[Session],
    pool: ProcessPoolExecutor,
    source: SourceConfig,
    rulebook: Rulebook,
    force: bool,
    last_id: int,
    batch_size: int,
    titles_path: str,
) -> _Batch | None:
    """Read the next batch (raw records, corrections, link health) and hand it to the pool."""
    with factory() as session:
        rows = session.scalars(pending_query(source.id, rulebook, force, last_id, batch_size)).all()
        if not rows:
            return None
        ids = [store.resource_id(r.source_id, r.identifier) for r in rows]
        overlays = load_overlays(session, ids)
        links = load_link_health(session, ids)
        items = [
            ({f: getattr(raw, f) for f in RAW_FIELDS}, overlays.get(rid), links.get(rid))
            for raw, rid in zip(rows, ids, strict=True)
        ]
        hashes = {raw.id: (raw.content_hash, raw.deleted) for raw in rows}
        payloads = {raw.id: raw.payload for raw in rows}
        raw_ids = [raw.id for raw in rows]
    return _Batch(raw_ids, hashes, overlays, links, payloads, pool.submit(_work, items, titles_path))


def _write(
    factory: sessionmaker[Session],
    source: SourceConfig,
    rulebook: Rulebook,
    run_id: int,
    same_titles: TitleCounts,
    batch: _Batch,
    outcomes: list[Outcome],
    counts: dict[str, int],
    prepared: PreparedSignatures | None = None,
) -> None:
    """Write one batch's outcomes in id order and commit, as one worker would have."""
    with factory.begin() as session:
        rows = session.scalars(
            select(RawRecordRow)
            .where(RawRecordRow.id.in_(batch.raw_ids))
            .options(defer(RawRecordRow.payload))  # read again only for a record redone here
            .order_by(RawRecordRow.id)
        ).all()
        ids = [store.resource_id(r.source_id, r.identifier) for r in rows]
        loaded = session.scalars(select(ResourceRow).where(ResourceRow.id.in_(ids))).all()
        absent = frozenset(ids) - {row.id for row in loaded}
        by_id = dict(zip(batch.raw_ids, outcomes, strict=True))
        prefetched = SameUrls.read(session, [url for _r, _q, asked, _d, _s in outcomes for url in asked])
        unflushed = Unflushed()
        new_rows = NewRows()
        for raw, rid in zip(rows, ids, strict=True):
            result, quality, asked, dumped, signed = by_id[raw.id]
            scored: tuple[int | None] | None = (quality,)
            with session.no_autoflush:  # the batch is written once, when it commits
                find = prefetched.finder(session, raw, unflushed)
                changed = batch.hashes.get(raw.id) != (raw.content_hash, raw.deleted)  # harvested since
                if changed or any(find(url) is not None for url in asked):
                    if not changed:  # the payload the batch read: no query for this record
                        set_committed_value(raw, "payload", batch.payloads[raw.id])
                    result = process_record(
                        raw,
                        source,
                        rulebook,
                        find,
                        batch.overlays.get(rid),
                        same_titles.__getitem__,
                        batch.links.get(rid),
                    )
                    scored, dumped, signed = None, None, None
                status = _save(
                    session,
                    raw,
                    result,
                    run_id,
                    rulebook.fingerprint,
                    rulebook.vocabularies,
                    absent,
                    scored,
                    dumped,
                    new_rows,
                )
            if signed is not None and prepared is not None:
                prepared[rid] = signed
            resource = result[0]
            key = url_key(resource.controlled.url) if resource is not None else None
            unflushed.add(rid, key, raw.first_seen, raw.id, status != Status.DELETED.value)
            counts["processed"] += 1
            counts[status] += 1
        new_rows.write(session)
        beat(session, run_id, counts)
