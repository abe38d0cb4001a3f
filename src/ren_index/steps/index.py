"""Index step: bring OpenSearch in line with the ledger.

Approved records whose document changed since it was last sent are upserted (stable id = the
ledger's resource id); records that are no longer approved but are in the index are removed.
What OpenSearch refused is counted as an error per record, left unmarked in the ledger, and
retried by the next run. A re-run with nothing new sends nothing.

OpenSearch going away in the middle is one line (an :class:`IndexingError`), never a
``ConnectionError`` traceback, and loses nothing: the documents it acknowledged before are recorded
as indexed (``indexed_hash``), so running ``ren-index index`` again sends only the rest. A rebuild
that fails deletes its half-built index (or, when OpenSearch cannot even be asked, the next
rebuild does, before it starts).

A source whose last harvest the anomaly guard held (:func:`ren_index.runs.holds.held_sources`) is left
alone — nothing of it is added, changed or removed — so a broken partner export cannot empty a
portal; its changes go out with the first run after a librarian releases the harvest.

A record whose link is declared broken (:mod:`ren_index.links.patience`) is not indexed, even when
a documentalist kept it approved: the index holds only what a portal may show. Leaving it out here
rather than filtering it out of each query keeps every reader of the index right at once — the
search, its totals and facet counts, the type-ahead, ``/api/resources/{id}``, the portal aliases a
portal might read directly — with no query able to forget the filter, and the API still reads the
index alone (no ledger). Its cost is that a change of link state must reach the index: the links
step sends the records whose published link changed (:func:`ren_index.index.documents.public_link`),
and every other run here reads the state from the ledger anyway.

Records of one resource (a group of duplicates, docs/duplicates.md) get one document per portal:
the first member of the group, in rank order, that would be indexed and lists the portal stands
for it there (:mod:`ren_index.index.group_documents`, which also says what the document tells of
the others). A member that stands nowhere is deleted from the index. So a run limited to some
records also sends their groups' other members and the groups linked to them
(:mod:`ren_index.steps.index_groups`); the document hash covers the group fields, so a change of
group or primary sends the documents again.

A run reads only the records that may have changed since it last settled them, and a run with
nothing new writes nothing to the index (:mod:`ren_index.steps.index_since`); ``compare_all``
compares every record as before.

The run's records are read a page at a time with their groups (:mod:`.index_plan`), and documents
are built, sent and settled :data:`BATCH` records at a time (all at once took 2.3 GiB
for 100,000 records), each batch reading what they depend on (:class:`.index_groups.Around`) as
plain columns (:mod:`.index_rows`); a background thread sends batch N while batch N+1 is built, and
each batch is settled, in order, once OpenSearch answered it (:mod:`.index_send`: a failure on
either side settles exactly what OpenSearch acknowledged). The same documents and hashes, byte for
byte, as the plain pydantic and ``json`` roads they replace (issue 17).
"""

from __future__ import annotations

import time
from collections.abc import Collection
from contextlib import suppress
from datetime import datetime
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

from opensearchpy import OpenSearch
from opensearchpy.exceptions import TransportError
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from ren_index.config.vocabularies import Vocabularies
from ren_index.errors import IndexingError
from ren_index.index.bulk import (
    BulkInterrupted,
    asking,
    interrupted_message,
    transport_warnings_hidden,
    unreachable,
)
from ren_index.index.documents import document_hash, public_link, to_document
from ren_index.index.group_documents import Document, place_documents
from ren_index.index.schema import (
    SINGLE_NODE,
    IndexLayout,
    alias_name,
    alias_targets,
    create_index,
    delete_unaliased,
    ensure_index,
    index_name,
    point_aliases,
)
from ren_index.ledger import store
from ren_index.ledger.db import wait_for_writers
from ren_index.ledger.link_health import health_from_json
from ren_index.ledger.models import HarvestRun, ResourceRow, utcnow
from ren_index.model import Status
from ren_index.runs.holds import held_sources
from ren_index.runs.report import RunReport, index_report
from ren_index.steps.index_groups import IN_BATCH, Around
from ren_index.steps.index_kept import KeptHashes
from ren_index.steps.index_plan import Plan, base_query, named
from ren_index.steps.index_rows import StoredRow, is_null, stored, stored_resource
from ren_index.steps.index_send import Answer, Outgoing, Sender, compare, refused
from ren_index.steps.index_since import changed, in_index, settle, settle_rebuild

INDEX_COUNTS = ("indexed", "removed", "unchanged", "errors")
ALL_SOURCES = "*"
BATCH = 2000
"""Records per batch: memory flat (~22 KiB a record held), bulk requests and statements few."""


def row_document(
    row: ResourceRow | StoredRow,
    vocabularies: Vocabularies | None,
    first_seen: datetime | None = None,
    health: dict[str, Any] | None = None,
) -> dict[str, Any] | None:
    """The index document of a ledger row, or ``None`` when the row does not belong in the index:
    not approved, no record, or its link declared broken (whoever kept it approved).

    ``first_seen`` is its raw record's (the document's ``date_harvested``); the row's
    ``decided_at`` is when it was last approved (``date_approved``); ``health`` its link health
    as the ledger keeps it (``link``: :func:`ren_index.index.documents.public_link`).
    """
    record = row.record
    if row.status != Status.APPROVED.value or record is None or is_null(record):
        return None
    resource = stored_resource(record)
    link = public_link(health_from_json(health) if health else None, resource.url)
    if link is None:
        return None
    return to_document(
        resource,
        record_id=row.id,
        status=row.status,
        portals=list(row.portals),
        vocabularies=vocabularies,
        quality=row.quality_score,
        harvested=first_seen,
        approved=row.decided_at,
        link=link,
    )


def _read(
    session: Session, ids: list[str], vocabularies: Vocabularies | None
) -> tuple[dict[str, Document | None], dict[str, tuple[str, str | None]]]:
    """Each row's own document (:func:`row_document`) and its source and ``indexed_hash``."""
    docs: dict[str, Document | None] = {}
    known: dict[str, tuple[str, str | None]] = {}
    for *columns, first_seen, health in session.execute(stored(ids)):
        row = StoredRow(*columns)
        docs[row.id] = row_document(row, vocabularies, first_seen, health)
        known[row.id] = (row.source_id, row.indexed_hash)
    return docs, known


def _read_ids(
    session: Session, ids: Collection[str], vocabularies: Vocabularies | None
) -> tuple[dict[str, Document | None], dict[str, tuple[str, str | None]]]:
    """:func:`_read` for the rows of ``ids``, :data:`IN_BATCH` ids per query."""
    docs: dict[str, Document | None] = {}
    known: dict[str, tuple[str, str | None]] = {}
    items = sorted(ids)
    for start in range(0, len(items), IN_BATCH):
        chunk = items[start : start + IN_BATCH]
        more, seen = _read(session, chunk, vocabularies)
        docs.update(more)
        known.update(seen)
    return docs, known


def _placed(
    factory: sessionmaker[Session],
    vocabularies: Vocabularies | None,
    batch: list[str],
    around: Around,
    held: Collection[str],
) -> tuple[dict[str, Document | None], dict[str, tuple[str, str | None]]]:
    """The documents the index must hold for ``batch``, and its records' source and ``indexed_hash``
    (held sources' left out), from the rows they depend on, read in a session of the batch's own."""
    need, places, links = around.needs(batch)
    with factory() as session:
        docs, known = _read_ids(session, need, vocabularies)
    mine = set(batch)
    sent = {rid: value for rid, value in known.items() if rid in mine and value[0] not in held}
    placed = place_documents(docs, places, links, wanted=sent.keys())
    return {rid: placed[rid] for rid in sent}, sent


def _engine(factory: sessionmaker[Session]) -> Engine:
    bind = factory.kw.get("bind")
    if not isinstance(bind, Engine):
        raise TypeError("the ledger's session factory has no engine")
    return bind


def index_changes(
    factory: sessionmaker[Session],
    client: OpenSearch,
    prefix: str,
    *,
    portals: Collection[str],
    source_id: str | None = None,
    vocabularies: Vocabularies | None = None,
    resource_ids: Collection[str] | None = None,
    layout: IndexLayout = SINGLE_NODE,
    compare_all: bool = False,
    batch_size: int | None = None,
) -> RunReport:
    """Send what changed to the index; return the run report (source ``*`` = every source).

    ``resource_ids`` limits the run to those records (publication right after a decision) and
    the members of their groups of duplicates, with the groups linked to them (a member that no
    longer stands for its group is deleted from the index): see :mod:`.index_groups`. Without
    it, only the records that may have changed since they were last settled are read (see the
    module), unless ``compare_all``. ``unchanged`` counts the documents the index holds and keeps.
    ``layout`` (shards, replicas) applies when the run creates the index. Documents are built,
    sent and settled ``batch_size`` records at a time (:data:`BATCH` by default), so memory stays
    flat with the number of records; a batch settled stays settled if a later one is interrupted.
    """
    batch_size = max(1, batch_size or BATCH)
    alias = f"{prefix}-resources"
    with asking(alias):
        ensure_index(client, prefix, portals=portals, layout=layout)
    counts = dict.fromkeys(INDEX_COUNTS, 0)
    began = utcnow()  # before reading: a change stamped later is the next run's
    if resource_ids is None and not compare_all and not wait_for_writers(_engine(factory)):
        compare_all = True  # a writer open at ``began`` outlived the wait: read everything
    with factory() as session:
        held = held_sources(session)
        indexed_before = 0  # documents the index holds of records the run does not read
        if resource_ids is not None:
            plan = Plan(named(session, source_id, resource_ids), batch_size)
        elif compare_all:
            plan = Plan(base_query(source_id), batch_size)
        else:
            indexed_before = in_index(session, source_id, held)
            plan = Plan(changed(source_id), batch_size)
    failures: dict[str, str] = {}
    answered = 0
    message = None
    cause: BaseException | None = None

    def take(answer: Answer) -> bool:
        """Settle what OpenSearch answered for one batch; whether the run must stop."""
        nonlocal answered, message, cause, indexed_before
        batch, result = answer.batch, answer.result
        if not answer.sent:
            return True  # after a failed batch: never sent, nothing to settle
        with factory.begin() as session:
            settle(session, began, result.indexed, batch.hashes, result.deleted, batch.settled)
            for rid, reason in result.failed.items():
                store.record_event(
                    session, actor="indexer", action="index_failed", resource_id=rid, comment=reason
                )
        counts["unchanged"] += batch.unchanged
        indexed_before -= batch.read_indexed
        counts["indexed"] += len(result.indexed)
        counts["removed"] += len(result.deleted)
        counts["errors"] += len(result.failed)
        failures.update(list(result.failed.items())[: 20 - len(failures)])
        answered += result.answered()
        if answer.interrupted is None:
            return False
        with factory() as session:
            left = batch.size() - result.answered() + plan.unread_after(session, batch.number)
        message = interrupted_message(answer.interrupted.reason, answered, left)
        cause = answer.interrupted
        return True

    with Sender(client, alias) as sender:
        try:
            for number, (batch, around) in enumerate(plan.batches(factory)):
                placed, known = _placed(factory, vocabularies, batch, around, held)
                sender.put(compare(number, placed, known, source_id))
                if any(take(answer) for answer in sender.answers(keep=sender.ahead)):
                    break
            else:
                any(take(answer) for answer in sender.answers())
        except BaseException:
            sender.stop()  # a failure here: what OpenSearch acknowledged is still settled
            with suppress(Exception):
                any(take(answer) for answer in sender.answers())
            raise
    if message is None and answered:
        try:
            with transport_warnings_hidden():
                client.indices.refresh(index=alias)  # what was sent is searchable on return
        except (TransportError, OSError) as exc:
            message, cause = interrupted_message(unreachable(exc) or str(exc), answered, 0), exc
    counts["unchanged"] += max(0, indexed_before)
    with factory.begin() as session:
        if source_id:
            session.add(
                HarvestRun(
                    source_id=source_id,
                    kind="index",
                    status="completed" if message is None else "failed",
                    counts=counts,
                    error=None if message is None else {"message": message},
                    finished_at=utcnow(),
                )
            )
    report = index_report(
        source_id or ALL_SOURCES,
        counts,
        alias=alias,
        held_sources=sorted(held),
        failures=failures,
    )
    if message is not None:
        raise IndexingError(message) from cause
    return report


def rebuild_index(
    factory: sessionmaker[Session],
    client: OpenSearch,
    prefix: str,
    *,
    portals: Collection[str],
    vocabularies: Vocabularies | None = None,
    drain_seconds: float = 1.0,
    layout: IndexLayout = SINGLE_NODE,
    batch_size: int | None = None,
) -> RunReport:
    """Build a fresh physical index from the ledger, check it, swap the aliases, drop the old.

    The new index is ``<prefix>-resources-<current version>-<UTC timestamp>``, so a rebuild is
    also how an index of an older definition (v1) is replaced. Searches keep answering from the
    old index until the swap, which is one atomic alias request for the main and every portal
    alias; the old index is deleted ``drain_seconds`` later, so searches that resolved the alias
    just before the swap still finish on it. If the new index does not hold every approved
    record, or OpenSearch fails before the swap, nothing is swapped and the new index is deleted:
    the portals never see a short index, and no half-built one is left behind. Leftovers of
    earlier rebuilds that could not be cleaned (OpenSearch was gone) are deleted first.
    Documents are built and sent ``batch_size`` records at a time, as :func:`index_changes` does.
    """
    with asking(alias_name(prefix)):
        delete_unaliased(client, prefix)
        new_index = index_name(prefix, suffix=utcnow().strftime("%Y%m%d%H%M%S%f"))
        if not create_index(client, new_index, layout=layout):
            raise IndexingError(f"rebuild aborted: {new_index} already exists")
    with TemporaryDirectory(prefix="ren-rebuild-") as folder:
        hashes = KeptHashes(Path(folder))  # what the new index holds, for the ledger once it is live
        try:
            return _rebuild(
                factory, client, prefix, new_index, portals, vocabularies, drain_seconds, hashes, batch_size
            )
        finally:
            hashes.close()


def _rebuild(
    factory: sessionmaker[Session],
    client: OpenSearch,
    prefix: str,
    new_index: str,
    portals: Collection[str],
    vocabularies: Vocabularies | None,
    drain_seconds: float,
    hashes: KeptHashes,
    batch_size: int | None,
) -> RunReport:
    """:func:`rebuild_index` once its new index exists."""
    failed = 0
    try:
        plan = Plan(base_query(None).where(ResourceRow.status == "approved"), max(1, batch_size or BATCH))
        with Sender(client, new_index) as sender:
            for number, (batch, around) in enumerate(plan.batches(factory)):
                placed, _ = _placed(factory, vocabularies, batch, around, ())
                upserts = [(rid, doc) for rid, doc in placed.items() if doc is not None]
                hashes.add((rid, document_hash(doc)) for rid, doc in upserts)
                sender.put(Outgoing(number, upserts))
                failed += refused(sender.answers(keep=sender.ahead))
            failed += refused(sender.answers())
        with transport_warnings_hidden():
            client.indices.refresh(index=new_index)
            found = int(client.count(index=new_index)["count"])
            old = alias_targets(client, alias_name(prefix))
    except (IndexingError, TransportError, OSError) as exc:
        raise _abandon(client, new_index, exc) from exc
    except BaseException:  # interrupted by hand, or a bug: no half-built index either
        _delete(client, new_index)
        raise
    if found != (sent := len(hashes)):
        raise _abandon(
            client,
            new_index,
            IndexingError(f"{new_index} holds {found} documents, the ledger gives {sent} ({failed} refused)"),
        )
    try:
        with transport_warnings_hidden():
            point_aliases(client, prefix, new_index, portals=portals)
    except (TransportError, OSError) as exc:
        raise _abandon(client, new_index, exc, swap_unknown=True) from exc
    with factory.begin() as session:
        settle_rebuild(session, hashes.chunks(IN_BATCH), utcnow())
    if old and drain_seconds > 0:
        time.sleep(drain_seconds)
    with asking(", ".join(old)):  # the swap is done; a replaced index left is the next rebuild's
        for name in old:
            if name != new_index:
                client.indices.delete(index=name)
    return index_report(
        ALL_SOURCES,
        {"indexed": found, "removed": 0, "unchanged": 0, "errors": 0},
        index=new_index,
        replaced=old,
    )


def _delete(client: OpenSearch, index: str) -> bool:
    """Delete ``index`` if OpenSearch lets us; whether it is gone."""
    try:
        with transport_warnings_hidden():
            client.indices.delete(index=index, ignore_unavailable=True)
    except (TransportError, OSError):
        return False
    return True


def _abandon(
    client: OpenSearch, new_index: str, exc: BaseException, *, swap_unknown: bool = False
) -> IndexingError:
    """Delete the half-built ``new_index`` after ``exc``; the error to raise (one line).

    When the alias swap itself failed, the index is deleted only if OpenSearch confirms that no
    alias points at it: deleting the index the portals now read would empty them. When OpenSearch
    cannot be asked, the index is left, and the next rebuild deletes it (it has no alias then).
    """
    reason = exc.reason if isinstance(exc, BulkInterrupted) else unreachable(exc) or str(exc)
    if swap_unknown:
        try:
            with transport_warnings_hidden():
                live = client.indices.get_alias(index=new_index).get(new_index, {}).get("aliases")
        except (TransportError, OSError):
            live = True  # cannot tell: leave it; without an alias, the next rebuild deletes it
        if live:
            return IndexingError(
                f"reconstruction : la bascule des alias a échoué ({reason}), {new_index} est peut-être"
                " en service ; relancez `ren-index index --rebuild` / rebuild: the alias swap failed,"
                f" {new_index} may be live; run `ren-index index --rebuild` again"
            )
    if _delete(client, new_index):
        fate = f"{new_index} est supprimé", f"{new_index} was deleted"
    else:
        fate = (
            f"{new_index} n'a pas pu être supprimé : la prochaine reconstruction le supprimera",
            f"{new_index} could not be deleted: the next rebuild deletes it",
        )
    return IndexingError(
        f"reconstruction abandonnée ({reason}) : les alias n'ont pas bougé, {fate[0]} / rebuild"
        f" aborted: the aliases were not moved, {fate[1]}"
    )
