"""A harvested page stored with a few statements lands exactly as the per-row writes left it:
counts, hashes, payloads, first_seen kept, last_seen and last_run_id moved (both ledgers)."""

from __future__ import annotations

import time
from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from ren_index.config.sources import SourceConfig
from ren_index.harvest.base import RawRecord, content_hash
from ren_index.ledger import store
from ren_index.ledger.db import open_ledger
from ren_index.ledger.models import HarvestRun, RawRecordRow
from ren_index.ledger.raw_pages import upsert_page

SOURCE = SourceConfig(id="pages", name="Pages", type="oai", url="https://example.org/oai")


def rec(identifier: str | None, payload: str | None, *, day: str = "01", deleted: bool = False) -> RawRecord:
    return RawRecord(identifier, f"2026-01-{day}", deleted, "oai_dc", payload, ("set-a",))


def new_run(ledger: sessionmaker[Session]) -> int:
    with ledger.begin() as session:
        store.sync_source(session, SOURCE)
        run = HarvestRun(source_id=SOURCE.id, kind="harvest", status="running", counts={})
        session.add(run)
        session.flush()
        return run.id


def rows(ledger: sessionmaker[Session]) -> dict[str, RawRecordRow]:
    with ledger() as session:
        found = session.scalars(select(RawRecordRow).where(RawRecordRow.source_id == SOURCE.id))
        return {row.identifier: row for row in found}


def test_a_page_of_new_changed_unchanged_and_deleted_records(ledger_url: Callable[..., str]) -> None:
    ledger = open_ledger(ledger_url())
    first = new_run(ledger)
    with ledger.begin() as session:
        counts = upsert_page(
            session,
            SOURCE.id,
            [
                rec("a", "<a/>"),
                rec("b", "<b/>"),
                rec("c", "<c/>"),
                rec("d", None, deleted=True),
                rec("untouched", "<u/>"),
                rec(None, None, deleted=True),  # no identifier: skipped
            ],
            first,
        )
    assert counts == {"new": 4, "deleted": 1}
    before = rows(ledger)
    assert set(before) == {"a", "b", "c", "d", "untouched"}
    assert before["d"].deleted and before["d"].payload is None
    assert before["a"].set_specs == ["set-a"] and before["a"].last_run_id == first

    time.sleep(0.01)  # last_seen must be seen to move
    second = new_run(ledger)
    with ledger.begin() as session:
        counts = upsert_page(
            session,
            SOURCE.id,
            [
                rec("a", "<a/>", day="09"),  # unchanged, its header datestamp moved
                rec("b", "<b2/>"),  # changed
                rec("c", None, deleted=True),  # deleted: the last payload is kept
                rec("d", None, deleted=True),  # still deleted: unchanged
                rec("e", "<e/>"),  # new ...
                rec("e", "<e2/>"),  # ... and changed later in the same page
                rec("f", "<f/>"),  # new ...
                rec("f", "<f/>"),  # ... and seen again unchanged
                rec("b", "<b2/>", day="05"),  # seen again: unchanged, datestamp moved
            ],
            second,
        )
    assert counts == {"unchanged": 4, "updated": 2, "deleted": 1, "new": 2}
    after = rows(ledger)
    for identifier in ("a", "b", "c", "d"):
        assert after[identifier].id == before[identifier].id
        assert after[identifier].first_seen == before[identifier].first_seen
        assert after[identifier].last_seen > before[identifier].last_seen
        assert after[identifier].last_run_id == second
    assert (after["a"].datestamp, after["a"].content_hash, after["a"].payload) == (
        "2026-01-09",
        content_hash("<a/>", False),
        "<a/>",
    )
    assert (after["b"].payload, after["b"].content_hash, after["b"].datestamp) == (
        "<b2/>",
        content_hash("<b2/>", False),
        "2026-01-05",
    )
    assert after["c"].deleted and after["c"].payload == "<c/>"
    assert after["c"].content_hash == content_hash(None, True)
    assert after["e"].payload == "<e2/>" and after["e"].content_hash == content_hash("<e2/>", False)
    assert after["e"].first_seen == after["e"].last_seen and after["e"].last_run_id == second
    assert after["f"].payload == "<f/>" and not after["f"].deleted
    untouched = after["untouched"]
    assert (untouched.last_seen, untouched.last_run_id) == (before["untouched"].last_seen, first)
    assert len(after) == 7

    # A deleted record that comes back takes its new payload; a contribution has no run.
    with ledger.begin() as session:
        counts = upsert_page(session, SOURCE.id, [rec("c", "<c3/>")], None)
    assert counts == {"updated": 1}
    back = rows(ledger)["c"]
    assert not back.deleted and back.payload == "<c3/>" and back.last_run_id is None
