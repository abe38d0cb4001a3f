"""Send upserts and deletes to the index in one streaming bulk, and say what happened to each id.

A refused document is a record-level outcome, not a failed run: it is reported in
:attr:`BulkResult.failed` (id -> reason) while the others are indexed, and the caller (the
ledger side) leaves it unmarked so the next run retries it. Deleting a document that is not
there (HTTP 404) is the wanted end state, so it counts as deleted.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from opensearchpy import OpenSearch
from opensearchpy.helpers import streaming_bulk

from ren_index.errors import IndexingError


@dataclass
class BulkResult:
    """Per-id outcome of one :func:`send`."""

    indexed: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    """Record id -> OpenSearch's reason (``mapper_parsing_exception: ...``)."""


def send(
    client: OpenSearch,
    alias: str,
    upserts: Iterable[tuple[str, dict[str, Any]]],
    deletes: Iterable[str],
    *,
    chunk_size: int = 500,
    refresh: bool = True,
) -> BulkResult:
    """Index ``upserts`` (id, document) and delete ``deletes`` through ``alias``.

    ``indexed_at`` is stamped on each document here, at sending time. The target must exist
    (call :func:`ren_index.index.schema.ensure_index` first): writing to a missing name would
    make OpenSearch create an index with guessed mappings. With ``refresh`` the index is
    refreshed at the end so what was sent is searchable when this returns.
    """
    if not client.indices.exists(index=alias):
        raise IndexingError(f"index or alias {alias} does not exist: create it with ensure_index")
    now = datetime.now(UTC).isoformat()
    result = BulkResult()
    sent = 0
    for ok, item in streaming_bulk(
        client,
        _actions(alias, upserts, deletes, now),
        chunk_size=chunk_size,
        max_retries=3,
        raise_on_error=False,
        raise_on_exception=False,
    ):
        sent += 1
        op, info = next(iter(item.items()))
        doc_id = str(info.get("_id"))
        if op == "delete" and (ok or info.get("status") == 404):
            result.deleted.append(doc_id)
        elif ok:
            result.indexed.append(doc_id)
        else:
            result.failed[doc_id] = _reason(info)
    if refresh and sent:
        client.indices.refresh(index=alias)
    return result


def _actions(
    alias: str,
    upserts: Iterable[tuple[str, dict[str, Any]]],
    deletes: Iterable[str],
    now: str,
) -> Iterator[dict[str, Any]]:
    for doc_id, doc in upserts:
        yield {
            "_op_type": "index",
            "_index": alias,
            "_id": doc_id,
            "_source": {**doc, "indexed_at": now},
        }
    for doc_id in deletes:
        yield {"_op_type": "delete", "_index": alias, "_id": doc_id}


def _reason(info: dict[str, Any]) -> str:
    """One line from a bulk item error (a dict from OpenSearch, or a transport error's text)."""
    error = info.get("error")
    if isinstance(error, dict):
        text = f"{error.get('type', 'error')}: {error.get('reason', '')}"
        caused = error.get("caused_by")
        if isinstance(caused, dict) and caused.get("reason"):
            text += f" ({caused.get('type', '')}: {caused['reason']})"
        return text
    status = info.get("status")
    return f"HTTP {status}: {error}" if status else str(error or "unknown error")
