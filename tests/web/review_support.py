"""Fixtures of the review pages' tests: an app whose ledger holds the processed demo catalogue.

The two demo sources (LOM and Dublin Core, as in ``config/sources.yaml``) are harvested from the
real demo OAI endpoint and processed with the repository's rules once per test session into a
SQLite file; every test starts from its own copy, so a test may decide, correct and re-harvest
freely. Import the fixtures into a test module: ``from .review_support import *``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

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
from ren_index.web.app import create_app

from .conftest import CLOSED_PORT_URL, csrf_from, login

CONFIG = Path(__file__).resolve().parents[2] / "config"
RULEBOOK = Rulebook.load(CONFIG)
SOURCES = {
    "demo-lom": ("lom", "Démo — dépôt LOM (Normetic)"),
    "demo-dc": ("oai_dc", "Démo — dépôt Dublin Core"),
}
DB_NAME = "ren-index.db"

__all__ = [
    "CONFIG",
    "RULEBOOK",
    "Demo",
    "app",
    "demo",
    "form_token",
    "logged_in",
    "seeded_ledger",
]


def source_config(source_id: str, url: str) -> SourceConfig:
    fmt, name = SOURCES[source_id]
    extra: dict[str, Any] = {"defaults": {"language": "fr"}} if fmt == "oai_dc" else {}
    return SourceConfig.model_validate(
        {
            "id": source_id,
            "name": name,
            "type": "oai",
            "url": url,
            "metadata_prefix": fmt,
            "review": "on-issues",
            **extra,
        }
    )


def run_pipeline(settings: Settings, records: Iterable[DemoRecord]) -> None:
    """Harvest and process both demo sources, each from its own endpoint serving ``records``."""
    factory = open_ledger(settings.db_url)
    records = list(records)
    for source_id, (fmt, _name) in SOURCES.items():
        with DemoOaiServer(records=[r for r in records if r.metadata_format == fmt], page_size=100) as server:
            source = source_config(source_id, server.url)
            harvest_source(factory, source, settings, full=True)
            process_source(factory, source, RULEBOOK)
    bind = factory.kw.get("bind")
    if bind is not None:
        bind.dispose()


@pytest.fixture(scope="session")
def seeded_ledger(tmp_path_factory: pytest.TempPathFactory, session_ledger_url: Callable[..., str]) -> str:
    """The URL of the processed demo catalogue (a SQLite file or a PostgreSQL database), built once."""
    folder = tmp_path_factory.mktemp("seeded")
    url = session_ledger_url(DB_NAME.removesuffix(".db"), folder=folder)
    settings = load_settings(data_dir=folder, database_url=url)
    run_pipeline(settings, demo_records())
    return url


@pytest.fixture
def app(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, seeded_ledger: str, ledger_url: Callable[..., str]
) -> FastAPI:
    """The web app over a copy of the seeded ledger; OpenSearch unreachable (a closed port)."""
    data = tmp_path / "var"
    data.mkdir()
    copy = ledger_url(DB_NAME.removesuffix(".db"), folder=data, copy_of=seeded_ledger)
    monkeypatch.setenv("REN_DATA_DIR", str(data))
    monkeypatch.setenv("REN_CONFIG_DIR", str(CONFIG))
    monkeypatch.setenv("REN_OPENSEARCH_URL", CLOSED_PORT_URL)
    monkeypatch.setenv("REN_LOGIN_FAILURE_DELAY", "0")
    monkeypatch.setenv("REN_DATABASE_URL", copy)
    monkeypatch.delenv("REN_SECRET_KEY", raising=False)
    monkeypatch.delenv("REN_COOKIE_SECURE", raising=False)
    monkeypatch.delenv("REN_INDEX_PREFIX", raising=False)
    return create_app(load_settings())


class Demo:
    """The demo catalogue behind an app: find records, change the source, harvest again."""

    def __init__(self, app: FastAPI) -> None:
        self.app = app
        self.records = demo_records()

    def rid(self, number: int) -> str:
        rec = self.record(number)
        source = next(s for s, (fmt, _n) in SOURCES.items() if fmt == rec.metadata_format)
        return resource_id(source, rec.identifier)

    def record(self, number: int) -> DemoRecord:
        return next(r for r in self.records if r.number == number)

    def with_defect(self, defect: str) -> DemoRecord:
        return next(r for r in self.records if defect in r.defects)

    def row(self, rid: str) -> ResourceRow:
        with self.app.state.ledger() as session:
            return session.get_one(ResourceRow, rid)

    def first(self, status: str, code: str | None = None, source: str = "demo-lom") -> ResourceRow:
        with self.app.state.ledger() as session:
            rows = session.scalars(
                select(ResourceRow)
                .where(ResourceRow.status == status, ResourceRow.source_id == source)
                .order_by(ResourceRow.id)
            )
            for row in rows:
                if code is None or any(i["code"] == code for i in row.issues):
                    return row
        raise AssertionError(f"no {status} record with {code}")

    def number_of(self, rid: str) -> int:
        with self.app.state.ledger() as session:
            row = session.get_one(ResourceRow, rid)
            ident = session.get_one(RawRecordRow, row.raw_id).identifier
        return int(ident.rsplit(":", 1)[1])

    def reharvest(self, **changes_by_number: dict[str, Any]) -> None:
        """The sources serve the catalogue again (``n=dict(field=value)`` changes record n)."""
        changed = {int(k.lstrip("n")): v for k, v in changes_by_number.items()}
        self.records = [replace(r, **changed[r.number]) if r.number in changed else r for r in self.records]
        run_pipeline(self.app.state.settings, self.records)


@pytest.fixture
def demo(app: FastAPI) -> Demo:
    return Demo(app)


_FORM_RE = r'<form[^>]*action="{action}"[^>]*>.*?name="csrf_token" value="([^"]+)"'


def form_token(html: str, action: str | None = None) -> str:
    """The CSRF token of a page (of the form posting to ``action`` when given)."""
    if action is None:
        return csrf_from(html)
    match = re.search(_FORM_RE.format(action=re.escape(action)), html, flags=re.DOTALL)
    assert match, f"no form posting to {action}"
    return match.group(1)


@pytest.fixture
def logged_in(client: TestClient, make_user: Callable[..., str]) -> Callable[[str, str], TestClient]:
    """Log the client in as a new user with ``role``."""

    def log(name: str = "dora", role: str = "documentalist") -> TestClient:
        make_user(name, role)
        response = login(client, name)
        assert response.status_code == 303, response.text
        return client

    return log
