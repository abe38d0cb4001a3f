"""What PostgreSQL's ``COPY`` and array statements write equals what the ORM types would write
(payloads with tabs, new lines, backslashes and non-Latin text; ``set_specs`` JSON), and a page
longer than a chunk is stored whole (both ledgers; chunks made small here, the statements real)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import text

from ren_index.harvest.base import RawRecord, content_hash
from ren_index.ledger import raw_pages, raw_pages_pg
from ren_index.ledger.db import open_ledger
from ren_index.ledger.raw_pages import upsert_page

from .test_raw_pages import SOURCE, new_run, rows

AWKWARD = 'tab\there\nnew line\r\\back\\slash \\N "quoted" {braces} , é ü 漢字 🙂 <x a="1"/>'


def test_awkward_payloads_and_set_specs_land_as_given(ledger_url: Callable[..., str]) -> None:
    ledger = open_ledger(ledger_url())
    run = new_run(ledger)
    records = [
        RawRecord("a", "2026-01-01", False, "oai_dc", AWKWARD, ("set:a", 'set "b"', "é")),
        RawRecord("b", None, False, "lom", "", ()),
        RawRecord("c", "2026-01-02", True, "oai_dc", None, ("x",)),
    ]
    with ledger.begin() as session:
        assert upsert_page(session, SOURCE.id, records, run) == {"new": 2, "deleted": 1}
    stored = rows(ledger)
    assert stored["a"].payload == AWKWARD and stored["a"].content_hash == content_hash(AWKWARD, False)
    assert stored["a"].set_specs == ["set:a", 'set "b"', "é"]
    assert (stored["b"].payload, stored["b"].datestamp, stored["b"].set_specs) == ("", None, [])
    assert stored["c"].deleted and stored["c"].payload is None and stored["c"].set_specs == ["x"]
    with ledger() as session:  # the JSON text itself: what SQLAlchemy's serializer writes
        texts: dict[str, str] = dict(
            session.execute(text("SELECT identifier, CAST(set_specs AS TEXT) FROM raw_records")).all()
        )
    assert texts["a"] == '["set:a", "set \\"b\\"", "\\u00e9"]'
    assert texts["b"] == "[]"


def test_a_page_longer_than_a_chunk(ledger_url: Callable[..., str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(raw_pages, "IN_CHUNK", 3)
    monkeypatch.setattr(raw_pages_pg, "ARRAY_CHUNK", 3)
    ledger = open_ledger(ledger_url())
    first = new_run(ledger)
    page = [RawRecord(f"r{n}", "2026-01-01", False, "oai_dc", f"<r{n}/>", ()) for n in range(10)]
    with ledger.begin() as session:
        assert upsert_page(session, SOURCE.id, page, first) == {"new": 10}
    second = new_run(ledger)
    again = [
        *page[:4],
        *(RawRecord(r.identifier, r.datestamp, False, "oai_dc", "<new/>", ()) for r in page[4:7]),
    ]
    again.append(RawRecord("r11", "2026-01-01", False, "oai_dc", "<r11/>", ()))
    with ledger.begin() as session:
        assert upsert_page(session, SOURCE.id, again, second) == {"unchanged": 4, "updated": 3, "new": 1}
    stored = rows(ledger)
    assert len(stored) == 11
    assert [stored[f"r{n}"].last_run_id for n in range(10)] == [second] * 7 + [first] * 3
    assert [stored[f"r{n}"].payload for n in range(4, 8)] == ["<new/>"] * 3 + ["<r7/>"]
    ids = [stored[f"r{n}"].id for n in range(10)]
    assert ids == sorted(ids)  # the rows take their ids in page order
