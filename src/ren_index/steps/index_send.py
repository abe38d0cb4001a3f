"""Sending the index step's batches in the background while the next one is built (issue 17).

Reading and building a batch's documents and sending them were done one after the other, so
OpenSearch waited while Python built and Python waited while OpenSearch indexed: 20,000 records
took twice raw ``helpers.bulk`` of the same documents. Here one background thread sends the batches
(:func:`ren_index.index.bulk.send`), in the order they were built, while the caller builds the next;
the caller then takes the answers back in that order (:meth:`Sender.answers`) and settles each
batch in the ledger once OpenSearch answered it, in its own thread — the ledger is never written
from the sending thread.

Bounds: one batch is sent at a time and at most ``ahead`` more wait their turn, so memory holds a
few batches of documents, not the run. When a send fails — OpenSearch stopped answering
(:class:`~ren_index.index.bulk.BulkInterrupted`, whose acknowledged part is still returned) or
anything else — the thread sends nothing more: the batches queued behind it come back unsent,
so no batch OpenSearch did not acknowledge is ever settled, and the run stops with its usual
one-line message. Leaving the ``with`` block stops the thread and waits for it (a send in flight is
bounded by the client's timeout), so no thread outlives the run.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

from opensearchpy import OpenSearch

from ren_index.index.bulk import BulkInterrupted, BulkResult, send
from ren_index.index.documents import document_hash


@dataclass
class Outgoing:
    """One batch's work for OpenSearch and, once it answered, for the ledger."""

    number: int
    upserts: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    deletes: list[str] = field(default_factory=list)
    hashes: dict[str, str] = field(default_factory=dict)
    """Hash of each upserted document: ``indexed_hash`` once OpenSearch has it."""
    settled: list[str] = field(default_factory=list)
    """Compared and found as the index has them: only stamped."""
    unchanged: int = 0
    """Documents of ``settled`` the index holds and keeps."""
    read_indexed: int = 0
    """Rows read whose document the index held before (not among those the run left unread)."""

    def size(self) -> int:
        """Actions for OpenSearch."""
        return len(self.upserts) + len(self.deletes)


@dataclass
class Answer:
    """What OpenSearch answered for one :class:`Outgoing` batch.

    ``interrupted`` when it stopped answering part-way (``result`` is what it acknowledged
    before); ``sent`` is false for a batch never sent because an earlier one failed.
    """

    batch: Outgoing
    result: BulkResult
    interrupted: BulkInterrupted | None = None
    sent: bool = True


class Sender:
    """A background thread sending :class:`Outgoing` batches to ``index`` in order (a context manager).

    ``ahead`` is how many batches may wait behind the one being sent before :meth:`put`'s caller
    must take answers (:meth:`answers`); the caller keeps that bound by taking them.
    """

    def __init__(self, client: OpenSearch, index: str, *, ahead: int = 1) -> None:
        self.client = client
        self.index = index
        self.ahead = max(0, ahead)
        self._stop = threading.Event()
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ren-index-bulk")
        self._pending: deque[Future[Answer]] = deque()

    def __enter__(self) -> Sender:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        """Send nothing more and wait for the thread (the send in flight, if any, ends first)."""
        self._stop.set()
        self._pool.shutdown(wait=True)

    def stop(self) -> None:
        """Send nothing more: the batches queued come back unsent (the one in flight ends)."""
        self._stop.set()

    def put(self, batch: Outgoing) -> None:
        """Queue ``batch``; the thread sends it after the batches queued before it."""
        self._pending.append(self._pool.submit(self._send, batch))

    def pending(self) -> int:
        """Batches queued or in flight whose answer was not taken."""
        return len(self._pending)

    def answers(self, *, keep: int = 0) -> Iterator[Answer]:
        """The answers, in the order of :meth:`put`, waiting for each, until at most ``keep`` are
        pending (``keep=ahead`` in the loop, ``0`` at the end). A failure other than OpenSearch
        going away is raised here, in the caller's thread."""
        while len(self._pending) > keep:
            yield self._pending.popleft().result()

    def _send(self, batch: Outgoing) -> Answer:
        if self._stop.is_set():
            return Answer(batch, BulkResult(), sent=False)
        try:
            result = send(self.client, self.index, batch.upserts, batch.deletes, refresh=False)
        except BulkInterrupted as exc:  # what OpenSearch acknowledged before still stands
            self._stop.set()
            return Answer(batch, exc.result, interrupted=exc)
        except BaseException:
            self._stop.set()
            raise
        return Answer(batch, result)


def compare(
    number: int,
    placed: dict[str, dict[str, Any] | None],
    known: dict[str, tuple[str, str | None]],
    source_id: str | None,
) -> Outgoing:
    """What batch ``number`` sends, deletes and only stamps, its documents compared by hash with
    what the index holds (the rows' ``indexed_hash``)."""
    out = Outgoing(number)
    for rid, doc in placed.items():
        source, indexed_hash = known[rid]
        if indexed_hash is not None and source_id in (None, source):
            out.read_indexed += 1  # read here: not among the ones left unread
        if doc is not None:
            digest = document_hash(doc)
            if digest == indexed_hash:
                out.unchanged += 1
                out.settled.append(rid)
                continue
            out.upserts.append((rid, doc))
            out.hashes[rid] = digest
        elif indexed_hash is not None:
            out.deletes.append(rid)
        else:
            out.settled.append(rid)
    return out


def refused(answers: Iterator[Answer]) -> int:
    """How many documents of a rebuild's ``answers`` OpenSearch refused; its going away is raised."""
    count = 0
    for answer in answers:
        if answer.interrupted is not None:
            raise answer.interrupted
        count += len(answer.result.failed)
    return count
