"""Fixtures for the review services: a real ledger in a temp dir, fed by the demo OAI endpoint."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from ren_index.config.rulebook import Rulebook
from ren_index.config.sources import SourceConfig
from ren_index.demo.catalogue import DemoRecord, demo_records
from ren_index.demo.server import DemoOaiServer
from ren_index.ledger.db import open_ledger
from ren_index.ledger.models import RawRecordRow, ResourceRow
from ren_index.ledger.store import resource_id
from ren_index.settings import Settings, load_settings
from ren_index.steps.harvest import harvest_source
from ren_index.steps.process import process_source

CONFIG = Path(__file__).resolve().parents[2] / "config"
RULEBOOK = Rulebook.load(CONFIG)
SOURCE_ID = "demo-lom"


def source_for(url: str) -> SourceConfig:
    return SourceConfig.model_validate(
        {"id": SOURCE_ID, "name": "Démo", "type": "oai", "url": url, "metadata_prefix": "lom"}
    )


@pytest.fixture
def settings(tmp_path: Path, ledger_url: Callable[..., str]) -> Settings:
    return load_settings(
        data_dir=tmp_path,
        database_url=ledger_url(),
        harvest_timeout=5.0,
        harvest_max_retries=2,
    )


@dataclass
class Pipeline:
    """Harvest → process of the demo LOM records, as often as a test needs, with changed records."""

    ledger: sessionmaker[Session]
    settings: Settings
    records: list[DemoRecord]

    def run(self, records: Iterable[DemoRecord] | None = None, rulebook: Rulebook = RULEBOOK) -> None:
        if records is not None:
            self.records = list(records)
        with DemoOaiServer(records=self.records, page_size=50) as server:
            source = source_for(server.url)
            harvest_source(self.ledger, source, self.settings, full=True)
            process_source(self.ledger, source, rulebook)

    def change(self, identifier: str, **fields: Any) -> None:
        """The source edits one record; the next :meth:`run` harvests the new version."""
        self.run([replace(r, **fields) if r.identifier == identifier else r for r in self.records])

    def row(self, identifier: str) -> ResourceRow:
        with self.ledger() as session:
            return session.get_one(ResourceRow, resource_id(SOURCE_ID, identifier))

    def identifier(self, record_id: str) -> str:
        with self.ledger() as session:
            row = session.get_one(ResourceRow, record_id)
            return session.get_one(RawRecordRow, row.raw_id).identifier

    def first(self, status: str, code: str | None = None) -> ResourceRow:
        """The first record (in id order) with ``status`` and, if given, an issue ``code``."""
        with self.ledger() as session:
            rows = session.scalars(
                select(ResourceRow).where(ResourceRow.status == status).order_by(ResourceRow.id)
            )
            for row in rows:
                if code is None or any(i["code"] == code for i in row.issues):
                    return row
        raise AssertionError(f"no {status} record with {code}")


@pytest.fixture
def lom_records() -> list[DemoRecord]:
    return [r for r in demo_records() if r.metadata_format == "lom"]


@pytest.fixture
def pipeline(settings: Settings, lom_records: list[DemoRecord]) -> Pipeline:
    """The demo LOM source harvested and processed once into a fresh ledger."""
    flow = Pipeline(open_ledger(settings.db_url), settings, lom_records)
    flow.run()
    return flow


def codes(row: ResourceRow) -> set[str]:
    return {i["code"] for i in row.issues}
