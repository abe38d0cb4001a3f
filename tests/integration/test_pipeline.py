"""The whole conveyor against the real OpenSearch node: harvest → process → index → search.

Covers the index step's contract: approved records in, others out, stable ids, a re-run with
nothing new sends nothing, a rejection or a deletion at the source removes the document.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from opensearchpy import OpenSearch
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from ren_index.config.rulebook import Rulebook
from ren_index.config.rules import load_portals
from ren_index.config.sources import SourceConfig
from ren_index.demo.catalogue import demo_records
from ren_index.demo.server import DemoOaiServer
from ren_index.index.client import make_client
from ren_index.ledger.db import open_ledger
from ren_index.ledger.models import RawRecordRow, ResourceRow
from ren_index.review.decisions import decide_by_person
from ren_index.search.query import search
from ren_index.settings import Settings, load_settings
from ren_index.steps.harvest import harvest_source
from ren_index.steps.index import index_changes
from ren_index.steps.process import process_source

PORTAL_IDS = list(load_portals(Path(__file__).resolve().parents[2] / "config"))

RULEBOOK = Rulebook.load(Path(__file__).resolve().parents[2] / "config")

pytestmark = pytest.mark.integration


@pytest.fixture
def env(
    opensearch_url: str, tmp_path: Path, ledger_url: Callable[..., str]
) -> Iterator[tuple[Settings, OpenSearch, sessionmaker[Session]]]:
    prefix = f"it{uuid.uuid4().hex[:8]}"
    settings = load_settings(
        data_dir=tmp_path,
        database_url=ledger_url("l"),
        opensearch_url=opensearch_url,
        index_prefix=prefix,
    )
    client = make_client(settings)
    yield settings, client, open_ledger(settings.db_url)
    client.indices.delete(index=f"{prefix}-*", ignore_unavailable=True)


def dc_source(url: str) -> SourceConfig:
    return SourceConfig(
        id="demo-dc",
        name="Démo DC",
        type="oai",
        url=url,
        metadata_prefix="oai_dc",
        defaults={"language": "fr"},
    )


def indexed_ids(client: OpenSearch, alias: str) -> set[str]:
    client.indices.refresh(index=alias)
    body = {"query": {"match_all": {}}, "_source": False, "size": 1000}
    return {h["_id"] for h in client.search(index=alias, body=body)["hits"]["hits"]}


def approved_ids(factory: sessionmaker[Session]) -> set[str]:
    with factory() as session:
        return set(session.scalars(select(ResourceRow.id).where(ResourceRow.status == "approved")))


def test_conveyor_end_to_end(env: tuple[Settings, OpenSearch, sessionmaker[Session]]) -> None:
    settings, client, ledger = env
    alias = f"{settings.index_prefix}-resources"
    records = [r for r in demo_records() if r.metadata_format == "oai_dc"]
    with DemoOaiServer(records=records, page_size=40) as server:
        source = dc_source(server.url)
        assert harvest_source(ledger, source, settings)["status"] == "completed"
        process_source(ledger, source, RULEBOOK)
    first = index_changes(ledger, client, settings.index_prefix, portals=PORTAL_IDS)
    approved = approved_ids(ledger)
    assert approved and first["counts"]["indexed"] == len(approved)
    assert first["counts"]["errors"] == 0
    assert indexed_ids(client, alias) == approved  # stable ids = ledger ids, nothing else

    again = index_changes(ledger, client, settings.index_prefix, portals=PORTAL_IDS)
    assert again["counts"]["indexed"] == 0 and again["counts"]["removed"] == 0
    assert again["counts"]["unchanged"] == len(approved)

    some_approved = sorted(approved)[0]
    decide_by_person(ledger, some_approved, "rejected", actor="doc", comment="doublon")
    with ledger() as session:
        raw = session.get(RawRecordRow, session.get_one(ResourceRow, some_approved).raw_id)
        assert raw is not None
    removed = index_changes(ledger, client, settings.index_prefix, portals=PORTAL_IDS)
    assert removed["counts"]["removed"] == 1
    assert some_approved not in indexed_ids(client, alias)

    # a record withdrawn at the source disappears from the index
    with ledger() as session:
        rows = session.execute(
            select(ResourceRow.id, RawRecordRow.identifier)
            .join(RawRecordRow, ResourceRow.raw_id == RawRecordRow.id)
            .where(ResourceRow.status == "approved")
        ).all()
    victim_id, victim_identifier = rows[0]
    withdrawn = [replace(r, deleted=True) if r.identifier == victim_identifier else r for r in records]
    with DemoOaiServer(records=withdrawn, page_size=40) as server:
        source = dc_source(server.url)
        harvest_source(ledger, source, settings, full=True)
        process_source(ledger, source, RULEBOOK)
    gone = index_changes(ledger, client, settings.index_prefix, portals=PORTAL_IDS)
    assert gone["counts"]["removed"] == 1
    assert victim_id not in indexed_ids(client, alias)
    assert indexed_ids(client, alias) == approved_ids(ledger)


def test_french_search_over_the_demo(
    env: tuple[Settings, OpenSearch, sessionmaker[Session]],
) -> None:
    settings, client, ledger = env
    records = [r for r in demo_records() if r.metadata_format == "oai_dc"]
    with DemoOaiServer(records=records, page_size=100) as server:
        source = dc_source(server.url)
        harvest_source(ledger, source, settings)
        process_source(ledger, source, RULEBOOK)
    index_changes(ledger, client, settings.index_prefix, portals=PORTAL_IDS)
    client.indices.refresh(index=f"{settings.index_prefix}-resources")
    alias = f"{settings.index_prefix}-resources"
    accented = search(client, alias, "école", size=50)
    folded = search(client, alias, "ecole", size=50)
    assert accented.total > 0
    assert {h["id"] for h in folded.hits} == {h["id"] for h in accented.hits}
