"""Storing one harvested page of raw records with a few statements, whatever the page's size.

Asking the database once per record, or letting the ORM flush one ``UPDATE`` per changed row, made
the ledger most of a harvest's time (issue 17: 1.99× plain sickle on SQLite, 5.39× on
PostgreSQL, one round trip per row there). A page now costs:

- one look-up of the page's identifiers (plain columns, no ORM objects), then the comparison in
  memory: on SQLite ``SELECT ... WHERE identifier IN (...)`` per :data:`IN_CHUNK` identifiers; on
  PostgreSQL one join with ``unnest`` of an array, planned afresh each time
  (:func:`raw_pages_pg.known_rows` says why);
- the new rows: on SQLite one ``executemany`` ``INSERT`` (in process: no round trip); on
  PostgreSQL one ``COPY ... FROM STDIN`` (:func:`raw_pages_pg.copy_new`: no 1,100-parameter
  statement for psycopg to rewrite on every page);
- one ``executemany`` ``UPDATE`` by primary key of the changed rows (and of the unchanged rows
  whose header datestamp moved: the datestamp is kept as today, though not part of the hash) —
  psycopg sends it as a pipeline;
- one ``UPDATE`` of ``last_seen`` and ``last_run_id`` for the unchanged rows (what withdrawals
  read: a record this run saw is not absent): ``WHERE id IN (...)`` per :data:`IN_CHUNK` on
  SQLite, ``WHERE id = ANY(:ids)`` on PostgreSQL.

The caller's transaction holds them and the checkpoint after them (:mod:`ren_index.steps.harvest`),
so a run killed anywhere still resumes exactly at a page boundary. An identifier twice in a page
is merged in memory as the per-row writes did: the second occurrence updates what the first
stored, and counts as updated, deleted or unchanged against it. Nothing here keeps ORM objects of
``raw_records``: a caller that reads the row afterwards selects it (the contributions service does).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, bindparam, update
from sqlalchemy.orm import Session

from ren_index.harvest.base import RawRecord
from ren_index.ledger import raw_pages_pg
from ren_index.ledger.models import RawRecordRow, utcnow

IN_CHUNK = 500
"""Identifiers per ``IN`` list (well under every backend's parameter limit)."""

_TABLE = cast(Table, RawRecordRow.__table__)
_SQLITE_INSERT = (
    f"INSERT INTO raw_records ({', '.join(raw_pages_pg.COPY_COLUMNS)})"
    f" VALUES ({', '.join('?' * len(raw_pages_pg.COPY_COLUMNS))})"
)
_SQLITE_KNOWN = (
    "SELECT identifier, id, content_hash, datestamp, deleted, metadata_prefix, set_specs"
    " FROM raw_records WHERE source_id = ?"
)
_UPDATED = (
    "datestamp",
    "deleted",
    "metadata_prefix",
    "set_specs",
    "content_hash",
    "last_seen",
    "last_run_id",
)


def _changed_statement(with_payload: bool) -> Any:
    """``UPDATE raw_records SET ... WHERE id = :row_id``, run once with every changed row's values
    (``executemany``); without the payload for a deletion or a moved datestamp (it stays)."""
    names = (*_UPDATED, "payload") if with_payload else _UPDATED
    values = {name: bindparam(f"v_{name}", type_=_TABLE.c[name].type) for name in names}
    return update(_TABLE).where(_TABLE.c.id == bindparam("row_id")).values(values)


def _insert_sqlite(session: Session, rows: list[dict[str, Any]]) -> None:
    """The new rows with sqlite3's own ``executemany``: one statement prepared once, run in C per row.

    The values are those SQLAlchemy would bind — each column type's own bind processor for this
    dialect (booleans as integers, ``set_specs`` by the JSON serializer, timestamps as UTC text) —
    but applied here: the timestamps once a page (every new row of a page has the same), the JSON
    once per distinct list of sets. Through ``session.execute(insert(...), rows)`` SQLAlchemy
    rebuilt and processed every row's eleven parameters, about a third of the ledger's share of a
    harvest (issue 17, cProfile of ``bench/harvest_scale.py``). The statement still goes through the
    session's connection (``exec_driver_sql``), so it runs in the page's transaction and the
    engine's error handling (a full disk, a broken file) still applies.
    """
    bind = session.connection()
    dialect = bind.dialect
    processors = {name: _bind_processor(name, dialect) for name in raw_pages_pg.COPY_COLUMNS}
    stamps = {name: processors[name](rows[0][name]) for name in ("first_seen", "last_seen")}
    as_json = processors["set_specs"]
    as_flag = processors["deleted"]
    json_texts: dict[tuple[str, ...], Any] = {}
    params = []
    for row in rows:
        specs = tuple(row["set_specs"])
        specs_text = json_texts.get(specs)
        if specs_text is None:
            specs_text = json_texts[specs] = as_json(list(specs))
        params.append(
            (
                row["source_id"],
                row["identifier"],
                row["datestamp"],
                as_flag(row["deleted"]),
                row["metadata_prefix"],
                specs_text,
                row["payload"],
                row["content_hash"],
                stamps["first_seen"],
                stamps["last_seen"],
                row["last_run_id"],
            )
        )
    bind.exec_driver_sql(_SQLITE_INSERT, params)


def _bind_processor(name: str, dialect: Any) -> Callable[[Any], Any]:
    """What SQLAlchemy does to a value of column ``name`` before the driver sees it."""
    processor = _TABLE.c[name].type.dialect_impl(dialect).bind_processor(dialect)
    return processor if processor is not None else _as_is


def _as_is(value: Any) -> Any:
    return value


def _known(session: Session, source_id: str, identifiers: list[str]) -> dict[str, dict[str, Any]]:
    """What the ledger holds of ``identifiers``: each one's id, hash, datestamp and payload state."""
    known: dict[str, dict[str, Any]] = {}
    postgresql = raw_pages_pg.is_postgresql(session)
    step = raw_pages_pg.ARRAY_CHUNK if postgresql else IN_CHUNK
    for start in range(0, len(identifiers), step):
        chunk = identifiers[start : start + step]
        if postgresql:
            found: Iterable[Sequence[Any]] = raw_pages_pg.known_rows(session, source_id, chunk)
        else:
            found = _known_sqlite(session, source_id, chunk)
        for identifier, row_id, digest, datestamp, deleted, prefix, set_specs in found:
            known[identifier] = {
                "row_id": row_id,
                "content_hash": digest,
                "datestamp": datestamp,
                "deleted": deleted,
                "metadata_prefix": prefix,
                "set_specs": set_specs,
                "payload": None,
                "new_payload": False,  # False = the stored payload stays
                "dirty": False,
            }
    return known


def _known_sqlite(session: Session, source_id: str, identifiers: Sequence[str]) -> list[tuple[Any, ...]]:
    """The rows of :func:`_known` on SQLite: the statement written once per page size, the two
    typed columns read back by their types' own result processors (``deleted`` as a boolean,
    ``set_specs`` by the JSON deserializer), as ``session.execute(select(...))`` gave them — at a
    fraction of its cost (compiling and processing an expanding ``IN`` was ~2 ms a page). Nothing
    is flushed first, as before (the ORM's pending objects are not raw records)."""
    connection = session.connection()
    dialect = connection.dialect
    marks = ", ".join("?" * len(identifiers))
    found = connection.exec_driver_sql(
        f"{_SQLITE_KNOWN} AND identifier IN ({marks})", (source_id, *identifiers)
    )
    as_flag = _result_processor("deleted", dialect)
    as_list = _result_processor("set_specs", dialect)
    return [
        (identifier, row_id, digest, datestamp, as_flag(deleted), prefix, as_list(specs))
        for identifier, row_id, digest, datestamp, deleted, prefix, specs in found
    ]


def _result_processor(name: str, dialect: Any) -> Callable[[Any], Any]:
    """What SQLAlchemy does to a value of column ``name`` read from the driver."""
    processor = _TABLE.c[name].type.dialect_impl(dialect).result_processor(dialect, None)
    return processor if processor is not None else _as_is


def _merge(state: dict[str, Any], rec: RawRecord, digest: str) -> str:
    """Apply a record seen again to a row's state, as the per-row update did; its outcome."""
    if rec.datestamp and rec.datestamp != state["datestamp"]:
        state["datestamp"] = rec.datestamp
        state["dirty"] = True
    if state["content_hash"] == digest:
        return "unchanged"
    state.update(
        content_hash=digest,
        deleted=rec.deleted,
        metadata_prefix=rec.metadata_prefix,
        set_specs=list(rec.set_specs),
        dirty=True,
    )
    if not rec.deleted:
        state["payload"] = rec.payload
        state["new_payload"] = True
    # A deletion keeps the last payload: the record can still be shown and advertised as deleted.
    return "deleted" if rec.deleted else "updated"


def upsert_page(
    session: Session, source_id: str, records: Sequence[RawRecord], run_id: int | None
) -> Counter[str]:
    """Store a page's records (those with an identifier); count ``new/updated/unchanged/deleted``.

    ``run_id`` is ``None`` for a record pushed outside any run (a platform's contribution)."""
    identifiers = list(dict.fromkeys(r.identifier for r in records if r.identifier is not None))
    known = _known(session, source_id, identifiers)
    fresh: dict[str, dict[str, Any]] = {}
    outcomes: Counter[str] = Counter()
    now = utcnow()
    for rec in records:
        if rec.identifier is None:
            continue
        digest = rec.content_hash
        state = known.get(rec.identifier) or fresh.get(rec.identifier)
        if state is None:
            fresh[rec.identifier] = {
                "source_id": source_id,
                "identifier": rec.identifier,
                "datestamp": rec.datestamp,
                "deleted": rec.deleted,
                "metadata_prefix": rec.metadata_prefix,
                "set_specs": list(rec.set_specs),
                "payload": rec.payload,
                "content_hash": digest,
            }
            outcomes["deleted" if rec.deleted else "new"] += 1
            continue
        outcomes[_merge(state, rec, digest)] += 1
    for values in fresh.values():  # what merging a repeated identifier added is no column
        values.pop("dirty", None)
        values.pop("new_payload", None)
    _write(session, now, run_id, list(fresh.values()), known)
    return outcomes


def _write(
    session: Session,
    now: datetime,
    run_id: int | None,
    fresh: list[dict[str, Any]],
    known: dict[str, dict[str, Any]],
) -> None:
    """The page's statements: the new rows, the changed ones, the ones only seen again."""
    postgresql = raw_pages_pg.is_postgresql(session)
    if fresh:
        batch = [{**values, "first_seen": now, "last_seen": now, "last_run_id": run_id} for values in fresh]
        if postgresql:
            raw_pages_pg.copy_new(session, batch)
        else:
            _insert_sqlite(session, batch)
    changed = [state for state in known.values() if state["dirty"]]
    for with_payload in (True, False):
        params = [
            {
                "row_id": state["row_id"],
                **{f"v_{name}": state.get(name) for name in _UPDATED},
                "v_last_seen": now,
                "v_last_run_id": run_id,
                **({"v_payload": state["payload"]} if with_payload else {}),
            }
            for state in changed
            if state["new_payload"] is with_payload
        ]
        if params:
            session.execute(_changed_statement(with_payload), params)
    seen = sorted(state["row_id"] for state in known.values() if not state["dirty"])
    step = raw_pages_pg.ARRAY_CHUNK if postgresql else IN_CHUNK
    for start in range(0, len(seen), step):
        chunk = seen[start : start + step]
        among = raw_pages_pg.any_of(_TABLE.c.id, "ids", chunk) if postgresql else _TABLE.c.id.in_(chunk)
        touch = update(_TABLE).where(among).values(last_seen=now, last_run_id=run_id)
        session.execute(touch)
