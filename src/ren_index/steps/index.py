"""Index step: bring OpenSearch in line with the ledger.

Approved records whose document changed since it was last sent are upserted (stable id = the
ledger's resource id); records that are no longer approved but are in the index are removed.
What OpenSearch refused is counted as an error per record, left unmarked in the ledger, and
retried by the next run. A re-run with nothing new sends nothing.

A source whose last harvest the anomaly guard held (:func:`ren_index.runs.holds.held_sources`) is left
alone — nothing of it is added, changed or removed — so a broken partner export cannot empty a
portal; its changes go out with the first run after a librarian releases the harvest.
"""

from __future__ import annotations

import time
from collections.abc import Collection
from typing import Any

from opensearchpy import OpenSearch
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from ren_index.config.vocabularies import Vocabularies
from ren_index.errors import IndexingError
from ren_index.index.bulk import send
from ren_index.index.documents import document_hash, to_document
from ren_index.index.schema import (
    alias_name,
    alias_targets,
    create_index,
    ensure_index,
    index_name,
    point_aliases,
)
from ren_index.ledger import store
from ren_index.ledger.models import HarvestRun, ResourceRow, utcnow
from ren_index.model import Resource, Status
from ren_index.runs.holds import held_sources
from ren_index.runs.report import RunReport, index_report

INDEX_COUNTS = ("indexed", "removed", "unchanged", "errors")
ALL_SOURCES = "*"


def index_changes(
    factory: sessionmaker[Session],
    client: OpenSearch,
    prefix: str,
    *,
    portals: Collection[str],
    source_id: str | None = None,
    vocabularies: Vocabularies | None = None,
    resource_ids: Collection[str] | None = None,
) -> RunReport:
    """Send what changed to the index; return the run report (source ``*`` = every source).

    ``resource_ids`` limits the run to those records (publication right after a decision).
    """
    alias = f"{prefix}-resources"
    ensure_index(client, prefix, portals=portals)
    upserts: list[tuple[str, dict[str, Any]]] = []
    hashes: dict[str, str] = {}
    deletes: list[str] = []
    counts = dict.fromkeys(INDEX_COUNTS, 0)
    with factory() as session:
        held = held_sources(session)
        query = select(ResourceRow)
        if source_id:
            query = query.where(ResourceRow.source_id == source_id)
        if resource_ids is not None:
            query = query.where(ResourceRow.id.in_(list(resource_ids)))
        if held:
            query = query.where(ResourceRow.source_id.not_in(sorted(held)))
        for row in session.scalars(query):
            if row.status == Status.APPROVED.value and row.record is not None:
                doc = to_document(
                    Resource.model_validate(row.record),
                    record_id=row.id,
                    status=row.status,
                    portals=list(row.portals),
                    vocabularies=vocabularies,
                )
                digest = document_hash(doc)
                if digest == row.indexed_hash:
                    counts["unchanged"] += 1
                    continue
                upserts.append((row.id, doc))
                hashes[row.id] = digest
            elif row.indexed_hash is not None:
                deletes.append(row.id)
    result = send(client, alias, upserts, deletes)
    with factory.begin() as session:
        for rid in result.indexed:
            row = session.get_one(ResourceRow, rid)
            row.indexed_hash = hashes[rid]
            row.indexed_at = utcnow()
        for rid in result.deleted:
            row = session.get_one(ResourceRow, rid)
            row.indexed_hash = None
            row.indexed_at = utcnow()
        for rid, reason in result.failed.items():
            store.record_event(
                session, actor="indexer", action="index_failed", resource_id=rid, comment=reason
            )
        counts["indexed"] = len(result.indexed)
        counts["removed"] = len(result.deleted)
        counts["errors"] = len(result.failed)
        if source_id:
            session.add(
                HarvestRun(
                    source_id=source_id,
                    kind="index",
                    status="completed",
                    counts=counts,
                    finished_at=utcnow(),
                )
            )
        session.flush()
        return index_report(
            source_id or ALL_SOURCES,
            counts,
            alias=alias,
            held_sources=sorted(held),
            failures=dict(list(result.failed.items())[:20]),
        )


def rebuild_index(
    factory: sessionmaker[Session],
    client: OpenSearch,
    prefix: str,
    *,
    portals: Collection[str],
    vocabularies: Vocabularies | None = None,
    drain_seconds: float = 1.0,
) -> RunReport:
    """Build a fresh physical index from the ledger, check it, swap the aliases, drop the old.

    The new index is ``<prefix>-resources-<current version>-<UTC timestamp>``, so a rebuild is
    also how an index of an older definition (v1) is replaced. Searches keep answering from the
    old index until the swap, which is one atomic alias request for the main and every portal
    alias; the old index is deleted ``drain_seconds`` later, so searches that resolved the alias
    just before the swap still finish on it. If the new index does not hold every approved
    record, nothing is swapped and the new index is deleted: the portals never see a short index.
    """
    new_index = index_name(prefix, suffix=utcnow().strftime("%Y%m%d%H%M%S%f"))
    if not create_index(client, new_index):
        raise IndexingError(f"rebuild aborted: {new_index} already exists")
    upserts: list[tuple[str, dict[str, Any]]] = []
    hashes: dict[str, str] = {}
    with factory() as session:
        for row in session.scalars(select(ResourceRow).where(ResourceRow.status == "approved")):
            if row.record is None:
                continue
            doc = to_document(
                Resource.model_validate(row.record),
                record_id=row.id,
                status=row.status,
                portals=list(row.portals),
                vocabularies=vocabularies,
            )
            upserts.append((row.id, doc))
            hashes[row.id] = document_hash(doc)
    result = send(client, new_index, upserts, [])
    client.indices.refresh(index=new_index)
    found = int(client.count(index=new_index)["count"])
    if found != len(upserts):
        client.indices.delete(index=new_index)
        raise IndexingError(
            f"rebuild aborted: {new_index} holds {found} documents, the ledger {len(upserts)}"
            f" approved records ({len(result.failed)} refused); the aliases were not moved"
        )
    old = alias_targets(client, alias_name(prefix))
    point_aliases(client, prefix, new_index, portals=portals)
    if old and drain_seconds > 0:
        time.sleep(drain_seconds)
    for name in old:
        if name != new_index:
            client.indices.delete(index=name)
    with factory.begin() as session:
        for row in session.scalars(select(ResourceRow)):
            row.indexed_hash = hashes.get(row.id)
            row.indexed_at = utcnow()
    return index_report(
        ALL_SOURCES,
        {"indexed": found, "removed": 0, "unchanged": 0, "errors": 0},
        index=new_index,
        replaced=old,
    )
