"""PostgreSQL's side of :mod:`ren_index.ledger.raw_pages`: a page's new rows by ``COPY``, its
identifiers and ids as one array parameter each.

Why (issue 17, cProfile of ``bench/harvest_scale.py`` on PostgreSQL): with the batched
``INSERT ... VALUES (...), (...)`` more than half of the ledger's share of a harvest was not the
server but psycopg turning SQLAlchemy's ``%(name)s`` placeholders into ``$n``: a 1,100-parameter
statement is too long for psycopg's query cache (4 KiB), so it was split by a regular expression
on every page (~6 ms a page). ``COPY ... FROM STDIN`` streams the rows with no statement to
rewrite (measured: 3 ms a page of 100 records where an ``INSERT ... SELECT FROM unnest(...)`` of
the same rows took 13 ms — psycopg escapes every payload of an array literal in Python); an array
parameter makes the look-up and the touch of unchanged rows one short statement whatever the
number of identifiers, where ``IN (...)`` is one parameter each.

Everything runs on the session's own connection, inside the caller's transaction: the page's rows
and its checkpoint still commit together (exact resume). The values written are those the ORM
types would write: ``set_specs`` as ``json.dumps`` of the list (SQLAlchemy's default serializer,
and a ``json`` column keeps the text as given), timestamps as aware UTC datetimes.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import ARRAY, ColumnElement, Integer, any_, bindparam
from sqlalchemy.orm import Session
from sqlalchemy.sql.schema import Column

_KNOWN = (
    "SELECT r.identifier, r.id, r.content_hash, r.datestamp, r.deleted, r.metadata_prefix, r.set_specs"
    " FROM unnest(%s::varchar[]) AS page(identifier)"
    " JOIN raw_records AS r ON r.source_id = %s AND r.identifier = page.identifier"
)

COPY_COLUMNS = (
    "source_id",
    "identifier",
    "datestamp",
    "deleted",
    "metadata_prefix",
    "set_specs",
    "payload",
    "content_hash",
    "first_seen",
    "last_seen",
    "last_run_id",
)
"""The columns a new row is given; the others (``id``, ``processed_*``) take their defaults."""

ARRAY_CHUNK = 10_000
"""Identifiers or ids per array parameter: one statement for any page a repository sends (OAI
pages are tens to hundreds of records), bounded statements for a larger file page."""


def is_postgresql(session: Session) -> bool:
    """Whether the session writes to PostgreSQL (else the portable statements are used)."""
    return session.get_bind().dialect.name == "postgresql"


def any_of(column: Column[Any], name: str, values: Sequence[int]) -> ColumnElement[bool]:
    """``column = ANY(:name)`` with ``values`` as one array parameter (ids: cheap to send as an
    array literal, unlike payloads)."""
    return column == any_(bindparam(name, list(values), type_=ARRAY(Integer())))


def known_rows(session: Session, source_id: str, identifiers: Sequence[str]) -> list[tuple[Any, ...]]:
    """``(identifier, id, content_hash, datestamp, deleted, metadata_prefix, set_specs)`` of the
    rows the ledger holds among ``identifiers``, planned afresh on every call.

    Why not a prepared statement: psycopg prepares a query run five times, and PostgreSQL then
    keeps a generic plan made while the table was small — measured on a first harvest, it chose
    the index on ``source_id`` alone and read every row of the source for each page (812,800
    tuples for 20,000 records, a page's look-up 2 ms → 35 ms) until an ``ANALYZE`` replanned it.
    A custom plan sees the unique ``(source_id, identifier)`` index fits; planning it is ~0.3 ms.
    """
    driver: Any = session.connection().connection.driver_connection
    with driver.cursor() as cursor:
        cursor.execute(_KNOWN, (list(identifiers), source_id), prepare=False)
        return list(cursor.fetchall())


def copy_new(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """``COPY raw_records`` the new rows (dicts keyed by :data:`COPY_COLUMNS`), in page order, on
    the session's connection and in its transaction."""
    driver: Any = session.connection().connection.driver_connection
    statement = f"COPY raw_records ({', '.join(COPY_COLUMNS)}) FROM STDIN"
    with driver.cursor() as cursor, cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row(
                [json.dumps(row[name]) if name == "set_specs" else row[name] for name in COPY_COLUMNS]
            )
