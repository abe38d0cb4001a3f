"""The review services on PostgreSQL (production's ledger), when one is given.

Set ``REN_TEST_POSTGRES_URL`` (e.g. ``postgresql+psycopg://ren@127.0.0.1:5432/ren_test``) to run
it; otherwise it is skipped (SQLite is covered by every other test of this folder). The test works
in a schema of its own, dropped at the end, so it shares the database with other tests safely.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from ren_index.demo.catalogue import demo_records
from ren_index.ledger.db import open_ledger
from ren_index.review.decisions import decide_by_person, save_corrections
from ren_index.review.queries import dashboard, events_csv, history, queue
from ren_index.settings import load_settings

from .conftest import RULEBOOK, Pipeline, codes

URL = os.environ.get("REN_TEST_POSTGRES_URL")
pytestmark = pytest.mark.postgresql  # reads REN_TEST_POSTGRES_URL itself: runs in the PostgreSQL pass
SEC4 = "https://w3id.org/ren-index/vocab/niveaux/secondaire-4"


@pytest.fixture
def pg_url() -> Iterator[str]:
    if not URL:
        pytest.skip("REN_TEST_POSTGRES_URL not set: no PostgreSQL to test against")
    schema = f"review_{uuid.uuid4().hex[:10]}"
    engine = create_engine(URL)
    with engine.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    joiner = "&" if "?" in URL else "?"
    try:
        yield f"{URL}{joiner}options=-csearch_path%3D{schema}"
    finally:
        with engine.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        engine.dispose()


def test_corrections_and_queue_on_postgresql(pg_url: str, tmp_path: Path) -> None:
    settings = load_settings(data_dir=tmp_path, database_url=pg_url)
    flow = Pipeline(open_ledger(pg_url), settings, [r for r in demo_records() if r.metadata_format == "lom"])
    flow.run()
    target = flow.first("approved")
    ident = flow.identifier(target.id)
    save_corrections(flow.ledger, RULEBOOK, target.id, {"levels": [SEC4]}, actor="marie", approve=True)
    flow.run()
    assert flow.row(ident).record["controlled"]["levels"] == [SEC4]
    flow.change(ident, levels=((None, "Secondaire 2"),))
    row = flow.row(ident)
    assert row.status == "needs_review" and "SOURCE_CHANGED_AFTER_EDIT" in codes(row)

    page = queue(flow.ledger, level=SEC4, size=5, vocabularies=RULEBOOK.vocabularies)
    assert target.id in [i["id"] for i in page.items]
    assert page.counts["issue"]["SOURCE_CHANGED_AFTER_EDIT"] == 1
    assert page.counts["level"][SEC4] >= 1
    waiting = queue(flow.ledger, size=200)
    board = dashboard(flow.ledger)
    assert board["statuses"]["needs_review"] == waiting.total
    assert sum(board["issues"].values()) == sum(waiting.counts["issue"].values())

    decide_by_person(flow.ledger, target.id, "rejected", actor="marie", comment="=1+1")
    assert history(flow.ledger, target.id)[0]["action"] == "rejected"
    assert "'=1+1" in events_csv(flow.ledger, target.id)
