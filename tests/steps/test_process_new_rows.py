"""A batch's new rows written by three statements (:class:`NewRows`) store exactly what the ORM path stores.

The demo catalogue (LOM, with its deleted records) is harvested once; on one copy every record is
saved through the session (``_save`` without a collector, as a single record outside a pass is),
on the other through :class:`~ren_index.steps.process_one.NewRows`, as a pass does. Then the
source "changes" some records and a documentalist has decided one, and everything is saved again
(rows that exist: the ORM path on both sides, their events collected on one). The tables are
compared as the database keeps them — JSON columns as stored text, ``IS NULL`` where a JSON
``null`` and an SQL ``NULL`` would differ, events in the order of their ids — all but the
timestamps. SQLite, or PostgreSQL with ``REN_TEST_POSTGRES_URL``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session, sessionmaker

from ren_index.config.rulebook import Rulebook
from ren_index.demo.server import DemoOaiServer
from ren_index.ledger import store
from ren_index.ledger.db import open_ledger
from ren_index.ledger.models import RawRecordRow, ResourceRow
from ren_index.settings import Settings
from ren_index.steps.harvest import harvest_source
from ren_index.steps.process_one import NewRows, _save, process_record, source_title_counts

from .conftest import source_for

ROOT = Path(__file__).resolve().parents[2]
RULEBOOK = Rulebook.load(ROOT / "config")


def _save_all(factory: sessionmaker[Session], url: str, collect: bool) -> None:
    """Every raw record computed and saved in one transaction, with or without a collector."""
    source = source_for(url)
    with factory.begin() as session:
        titles = source_title_counts(session, source.id)
        raws = session.scalars(select(RawRecordRow).order_by(RawRecordRow.id)).all()
        ids = [store.resource_id(r.source_id, r.identifier) for r in raws]
        present = set(session.scalars(select(ResourceRow.id).where(ResourceRow.id.in_(ids))))
        absent = frozenset(ids) - present
        new_rows = NewRows() if collect else None
        with session.no_autoflush:
            for raw in raws:
                result = process_record(raw, source, RULEBOOK, same_title_count=titles.__getitem__)
                rules = (RULEBOOK.fingerprint, RULEBOOK.vocabularies)
                _save(session, raw, result, 7, *rules, absent, None, None, new_rows)
        if new_rows is not None:
            new_rows.write(session)


def _stored(factory: sessionmaker[Session]) -> dict[str, list[tuple[Any, ...]]]:
    """The three tables as stored (text of the JSON columns), timestamps and event ids aside."""
    queries = {
        "resources": "SELECT id, raw_id, source_id, CAST(record AS TEXT), record IS NULL,"
        " CAST(issues AS TEXT), status, CAST(portals AS TEXT), url_key, decided_by, indexed_hash,"
        " indexed_at IS NULL,"
        " quality_score, version, decided_at IS NULL, updated_at IS NULL FROM resources ORDER BY id",
        "events": "SELECT resource_id, source_id, run_id, actor, action, CAST(before AS TEXT),"
        " before IS NULL, CAST(after AS TEXT), after IS NULL, comment, at IS NULL FROM events ORDER BY id",
        "raw": "SELECT id, processed_hash, processed_with FROM raw_records ORDER BY id",
    }
    with factory() as session:
        return {name: [tuple(row) for row in session.execute(text(sql))] for name, sql in queries.items()}


def test_new_rows_store_what_the_session_stores(
    settings: Settings, ledger_url: Callable[..., str], demo_server: DemoOaiServer
) -> None:
    template = ledger_url("template")
    factory = open_ledger(template)
    harvest_source(factory, source_for(demo_server.url), settings)
    factory.kw["bind"].dispose()
    orm = open_ledger(ledger_url("orm", copy_of=template))
    bulk = open_ledger(ledger_url("bulk", copy_of=template))

    _save_all(orm, demo_server.url, collect=False)
    _save_all(bulk, demo_server.url, collect=True)
    first = _stored(orm)
    assert first == _stored(bulk)
    statuses = {row[6] for row in first["resources"]}
    assert {"approved", "needs_review", "deleted"} <= statuses  # new live rows and a deleted one
    assert len(first["events"]) == len(first["resources"])  # one "decided" event per new row
    assert all(row[1] is not None for row in first["raw"])  # every raw record marked processed

    # The source changes three records, a documentalist decided a fourth: saved again on both.
    for factory in (orm, bulk):
        with factory.begin() as session:
            raws = session.scalars(
                select(RawRecordRow).where(RawRecordRow.deleted.is_(False)).order_by(RawRecordRow.id)
            ).all()
            for raw in raws[:3]:
                raw.content_hash = f"changed-{raw.id}"
            decided = session.get_one(ResourceRow, store.resource_id(raws[3].source_id, raws[3].identifier))
            decided.status, decided.decided_by = "rejected", "marie"
    _save_all(orm, demo_server.url, collect=False)
    _save_all(bulk, demo_server.url, collect=True)
    again = _stored(orm)
    assert again == _stored(bulk)
    assert again["raw"] != first["raw"]  # the changed records were built again


@pytest.mark.parametrize("collect", [False, True])
def test_a_new_row_starts_at_version_one_with_its_event(
    settings: Settings, ledger_url: Callable[..., str], demo_server: DemoOaiServer, collect: bool
) -> None:
    """What the comparison above could not show if both paths were wrong alike: the values."""
    factory = open_ledger(ledger_url())
    harvest_source(factory, source_for(demo_server.url), settings)
    _save_all(factory, demo_server.url, collect=collect)
    stored = _stored(factory)
    live = [row for row in stored["resources"] if row[6] != "deleted"]
    assert live and all(row[13] == 1 and row[9] == "rules" and not row[4] for row in live)
    assert all(row[11] and not row[14] and not row[15] for row in live)  # not indexed; dated
    by_record = {row[0]: row for row in stored["events"]}
    for row in live:
        event = by_record[row[0]]
        assert event[3:5] == ("rules", "decided") and event[2] == 7
        assert event[5] in (None, "null")  # no "before" for a new row
        after = json.loads(event[7])
        assert (after["status"], after["portals"], after["version"]) == (row[6], json.loads(row[7]), None)
