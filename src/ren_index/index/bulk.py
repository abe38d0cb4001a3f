"""Send upserts and deletes to the index in one streaming bulk, and say what happened to each id.

A refused document is a record-level outcome, not a failed run: it is reported in
:attr:`BulkResult.failed` (id -> reason) while the others are indexed, and the caller (the
ledger side) leaves it unmarked so the next run retries it. Deleting a document that is not
there (HTTP 404) is the wanted end state, so it counts as deleted.

OpenSearch going away in the middle (connection refused or cut, a timeout, a 5xx for a whole
request) is not the records' fault and must not be counted against them: sending stops at once
and :class:`BulkInterrupted` carries what OpenSearch had acknowledged until then, so the caller
records those documents as indexed and the next run sends only the rest. The client's own
warnings for each failed attempt (each with a traceback) are kept off the terminal unless logging
is verbose: the caller reports the failure in one line.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson
from opensearchpy import OpenSearch
from opensearchpy.exceptions import ConnectionError as OpenSearchConnectionError
from opensearchpy.exceptions import TransportError
from opensearchpy.helpers import streaming_bulk

from ren_index.errors import IndexingError


@dataclass
class BulkResult:
    """Per-id outcome of one :func:`send`."""

    indexed: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    """Record id -> OpenSearch's reason (``mapper_parsing_exception: ...``)."""

    def answered(self) -> int:
        """How many actions OpenSearch answered (indexed, deleted or refused)."""
        return len(self.indexed) + len(self.deleted) + len(self.failed)


class BulkInterrupted(IndexingError):
    """OpenSearch stopped answering during :func:`send`; ``result`` is what it answered before.

    Those answers stand (an acknowledged document is in the index), so the caller records them
    before reporting the failure; ``reason`` says in a few words what happened.
    """

    def __init__(self, reason: str, result: BulkResult) -> None:
        super().__init__(f"OpenSearch ne répond plus / OpenSearch stopped answering: {reason}")
        self.reason = reason
        self.result = result


def unreachable(exc: BaseException) -> str | None:
    """A few words when ``exc`` means the cluster is gone (not a refusal of a request), else None."""
    if isinstance(exc, OpenSearchConnectionError):
        return exc.__class__.__name__  # ConnectionError, ConnectionTimeout: refused, cut or too slow
    if isinstance(exc, TransportError) and isinstance(exc.status_code, int) and exc.status_code >= 500:
        return f"HTTP {exc.status_code} {exc.error}"
    if isinstance(exc, OSError):
        return f"{exc.__class__.__name__}: {exc}"
    return None


class _QuietHere(logging.Filter):
    """Drops the client's records logged by a thread inside :func:`transport_warnings_hidden`.

    Per thread, not by changing the logger's level: the web app publishes decisions from several
    threads at once, and a level saved and restored by two of them could stay silenced for good.
    """

    def __init__(self) -> None:
        super().__init__()
        self.local = threading.local()

    def filter(self, record: logging.LogRecord) -> bool:
        return not getattr(self.local, "quiet", False)


_QUIET = _QuietHere()


@contextmanager
def transport_warnings_hidden() -> Iterator[None]:
    """Hide the OpenSearch client's per-attempt warnings (with tracebacks) unless logging is verbose.

    The failure they describe is reported by the caller, once; with ``-v`` they still show.
    """
    logger = logging.getLogger("opensearch")
    if logger.isEnabledFor(logging.INFO):
        yield
        return
    if _QUIET not in logger.filters:
        logger.addFilter(_QUIET)
    previous = getattr(_QUIET.local, "quiet", False)
    _QUIET.local.quiet = True
    try:
        yield
    finally:
        _QUIET.local.quiet = previous


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

    :class:`BulkInterrupted` when OpenSearch stops answering part-way (see the module's docstring).
    """
    result = BulkResult()
    with transport_warnings_hidden():
        try:
            exists = client.indices.exists(index=alias)
        except (TransportError, OSError) as exc:
            reason = unreachable(exc)
            if reason is None:
                raise IndexingError(f"OpenSearch a refusé / refused HEAD {alias}: {exc}") from exc
            raise BulkInterrupted(reason, result) from exc
        if not exists:
            raise IndexingError(f"index or alias {alias} does not exist: create it with ensure_index")
        now = datetime.now(UTC).isoformat()
        for ok, item in streaming_bulk(
            client,
            _actions(alias, upserts, deletes, now),
            chunk_size=chunk_size,
            max_retries=3,
            raise_on_error=False,
            raise_on_exception=False,
        ):
            op, info = next(iter(item.items()))
            gone = unreachable(info["exception"]) if not ok and "exception" in info else None
            if gone is not None:
                # The whole request failed, not this record: it and the rest were not indexed.
                raise BulkInterrupted(gone, result) from info["exception"]
            doc_id = str(info.get("_id"))
            if op == "delete" and (ok or info.get("status") == 404):
                result.deleted.append(doc_id)
            elif ok:
                result.indexed.append(doc_id)
            else:
                result.failed[doc_id] = _reason(info)
        if refresh and result.answered():
            try:
                client.indices.refresh(index=alias)
            except (TransportError, OSError) as exc:
                raise BulkInterrupted(unreachable(exc) or str(exc), result) from exc
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
            "_source": _source({**doc, "indexed_at": now}),
        }
    for doc_id in deletes:
        yield {"_op_type": "delete", "_index": alias, "_id": doc_id}


def _source(doc: dict[str, Any]) -> str | dict[str, Any]:
    """``doc`` as the JSON text of its bulk line, written by orjson (issue 17: the client's
    :func:`json.dumps` was a third of the sending thread's work); the helper sends text as it is.

    The same document for OpenSearch: the same values (a float may be written otherwise, ``0.00001``
    for ``1e-05``, the same number). A value orjson would write otherwise than the client — a date,
    a subclass, a dataclass — or cannot write, stays a ``dict`` for the client's serializer.
    """
    try:
        return orjson.dumps(doc, default=_refuse, option=_AS_CLIENT).decode("utf-8")
    except orjson.JSONEncodeError:
        return doc


_AS_CLIENT = (
    orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_SUBCLASS | orjson.OPT_PASSTHROUGH_DATACLASS
)
"""What orjson writes its own way is handed to :func:`_refuse`, hence to the client's serializer."""


def _refuse(value: Any) -> Any:
    raise TypeError(type(value).__name__)


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


@contextmanager
def asking(what: str) -> Iterator[None]:
    """OpenSearch failing a call about ``what`` (an index or alias) is one :class:`IndexingError` line."""
    try:
        with transport_warnings_hidden():
            yield
    except (TransportError, OSError) as exc:
        reason = unreachable(exc)
        if reason is not None:
            raise IndexingError(
                f"OpenSearch ne répond plus ({what} : {reason}) ; relancez la commande quand il répondra"
                f" / OpenSearch stopped answering ({what}): run the command again when it answers"
            ) from exc
        raise IndexingError(f"OpenSearch a refusé / OpenSearch refused: {what}: {exc}") from exc


def interrupted_message(reason: str, done: int, left: int) -> str:
    """The line of a run OpenSearch stopped answering: ``done`` documents recorded, ``left`` to
    send (the rest of the batch, and the records of the batches not yet compared)."""
    return (
        f"indexation interrompue, OpenSearch ne répond plus ({reason}) : les {done}"
        f" documents traités avant sont enregistrés, {left} restent ; relancez `ren-index index`"
        " quand il répondra / indexing interrupted, OpenSearch stopped answering: the"
        f" {done} documents it answered are recorded, {left} are left; run `ren-index index`"
        " again when it answers"
    )
