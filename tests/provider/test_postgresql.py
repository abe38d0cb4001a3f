"""The provider's queries on PostgreSQL (production's ledger), when one is given.

Set ``REN_TEST_POSTGRES_URL`` (e.g. ``postgresql+psycopg://ren@127.0.0.1:5432/ren_test``; the test
creates a database of its own on that server) to run it; otherwise it is skipped. SQLite is covered by every
other test of this folder.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest
from lxml import etree
from sqlalchemy import select

from ren_index.demo.catalogue import demo_records
from ren_index.demo.server import DemoOaiServer
from ren_index.ledger.db import open_ledger
from ren_index.ledger.models import ResourceRow
from ren_index.provider.repository import OaiRepository, ProviderConfig
from ren_index.provider.vocabulary import load_provider_vocabularies
from ren_index.review.decisions import decide_by_person
from ren_index.settings import load_settings
from ren_index.steps.harvest import harvest_source
from ren_index.steps.process import process_source

from .conftest import CONFIG, RULEBOOK, demo_source
from .schemas import NS

URL = os.environ.get("REN_TEST_POSTGRES_URL")


@pytest.mark.skipif(not URL, reason="REN_TEST_POSTGRES_URL not set: no PostgreSQL to test against")
def test_paging_sets_and_deletions_on_postgresql(tmp_path: Path, ledger_url: Callable[..., str]) -> None:
    url = ledger_url()  # a fresh database of its own on that server
    settings = load_settings(data_dir=tmp_path, database_url=url, config_dir=CONFIG, oai_page_size=9)
    ledger = open_ledger(url)
    with DemoOaiServer(records=[r for r in demo_records() if r.metadata_format == "lom"]) as server:
        source = demo_source("lom", server.url)
        harvest_source(ledger, source, settings)
        process_source(ledger, source, RULEBOOK)
    with ledger() as session:
        approved = list(session.scalars(select(ResourceRow.id).where(ResourceRow.status == "approved")))
    decide_by_person(ledger, approved[0], "rejected", actor="doc", comment="test")
    config = ProviderConfig.from_settings(settings)
    repository = OaiRepository(ledger, config, load_provider_vocabularies(CONFIG), {})

    def ask(**params: str) -> etree._Element:
        return etree.fromstring(repository.respond({k: [v] for k, v in params.items()}, "http://test/oai"))

    seen: list[str] = []
    root = ask(verb="ListRecords", metadataPrefix="lom", set="source:demo-lom")
    while True:
        seen += [h.findtext("o:identifier", namespaces=NS) or "" for h in root.iterfind(".//o:header", NS)]
        token = root.findtext(".//o:resumptionToken", namespaces=NS)
        if not token:
            break
        root = ask(verb="ListRecords", resumptionToken=token)
    assert len(seen) == len(set(seen)) == len(approved)
    header = ask(verb="GetRecord", identifier=config.oai_identifier(approved[0]), metadataPrefix="oai_dc")
    assert header.find(".//o:header", NS).get("status") == "deleted"  # type: ignore[union-attr]
    assert (
        ask(verb="ListIdentifiers", metadataPrefix="oai_dc", until="2000-01-01").find("o:error", NS)
        is not None
    )
