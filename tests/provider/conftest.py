"""Fixtures: a ledger built from the demo source, and the provider served over real HTTP.

The ledger is built once per session the way production builds it — the demo OAI endpoint
harvested by ``harvest_source`` and processed with the repository's rules — then copied for each
test, so a test may change records without disturbing the others. Two withdrawals are made on
top: one approved record rejected by a documentalist, one deleted at its source; both must be
advertised as deleted.

The provider runs in uvicorn on 127.0.0.1 (a free port) behind the router alone, on a bare
FastAPI app with the two attributes ``create_app`` sets (``state.settings``, ``state.ledger``).
Every response it sends during a test is recorded and checked against the official schemas at
teardown, so the sickle, pyoai and round-trip harvests are schema-checked too.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

import httpx
import pytest
import uvicorn
from fastapi import FastAPI, Request, Response
from lxml import etree
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from ren_index.config.rulebook import Rulebook
from ren_index.config.sources import SourceConfig
from ren_index.demo.catalogue import demo_records
from ren_index.demo.server import DemoOaiServer
from ren_index.ledger.db import open_ledger
from ren_index.ledger.models import RawRecordRow, ResourceRow
from ren_index.review.decisions import decide_by_person
from ren_index.settings import Settings, load_settings
from ren_index.steps.harvest import harvest_source
from ren_index.steps.process import process_source
from ren_index.web.routes_oai import router

from .schemas import Schemas, load_schemas

REPO = Path(__file__).resolve().parents[2]
CONFIG = REPO / "config"
RULEBOOK = Rulebook.load(CONFIG)
REPOSITORY_ID = "ren-index.example"


def demo_source(fmt: str, url: str) -> SourceConfig:
    """The demo sources of config/sources.yaml, pointed at a local demo endpoint."""
    extra = {"defaults": {"language": "fr"}} if fmt == "oai_dc" else {}
    return SourceConfig.model_validate(
        {"id": f"demo-{fmt.replace('oai_', '')}", "name": f"Démo {fmt}", "type": "oai", "url": url,
         "metadata_prefix": fmt, **extra}
    )  # fmt: skip


def ledger_settings(folder: Path, url: str) -> Settings:
    return load_settings(data_dir=folder, database_url=url, config_dir=CONFIG)


@pytest.fixture(scope="session")
def template_ledger(tmp_path_factory: pytest.TempPathFactory, session_ledger_url: Callable[..., str]) -> str:
    """The URL of a ledger holding both demo sources, processed, with two withdrawals."""
    folder = tmp_path_factory.mktemp("template")
    settings = ledger_settings(folder, session_ledger_url(folder=folder))
    ledger = open_ledger(settings.db_url)
    records = demo_records()
    for fmt in ("lom", "oai_dc"):
        with DemoOaiServer(records=[r for r in records if r.metadata_format == fmt], page_size=60) as server:
            source = demo_source(fmt, server.url)
            assert harvest_source(ledger, source, settings)["status"] == "completed"
            process_source(ledger, source, RULEBOOK)
    with ledger() as session:
        approved = session.execute(
            select(ResourceRow.id, ResourceRow.source_id, RawRecordRow.identifier)
            .join(RawRecordRow, ResourceRow.raw_id == RawRecordRow.id)
            .where(ResourceRow.status == "approved")
            .order_by(ResourceRow.id)
        ).all()
    rejected = next(r for r in approved if r.source_id == "demo-lom")
    decide_by_person(ledger, rejected.id, "rejected", actor="doc", comment="doublon")
    gone = next(r for r in approved if r.source_id == "demo-dc")
    dc_records = [
        replace(r, deleted=True) if r.identifier == gone.identifier else r
        for r in records
        if r.metadata_format == "oai_dc"
    ]
    with DemoOaiServer(records=dc_records, page_size=60) as server:
        source = demo_source("oai_dc", server.url)
        harvest_source(ledger, source, settings, full=True)
        process_source(ledger, source, RULEBOOK)
    with ledger() as session:
        assert session.get_one(ResourceRow, gone.id).status == "deleted"
    ledger.kw["bind"].dispose()
    return settings.db_url


@dataclass
class Provider:
    """The provider under test: its URL, its ledger, and every response it sent."""

    url: str
    ledger: sessionmaker[Session]
    settings: Settings
    schemas: Schemas | None
    responses: list[bytes] = field(default_factory=list)

    def get(self, **params: str) -> etree._Element:
        """One GET request; the response must be XML, 200, and valid (when schemas are there)."""
        response = httpx.get(self.url, params=params, timeout=30)
        return self.parse(response)

    def post(self, **params: str) -> etree._Element:
        response = httpx.post(self.url, data=params, timeout=30)
        return self.parse(response)

    def parse(self, response: httpx.Response) -> etree._Element:
        assert response.status_code == 200, response.text[:300]
        assert response.headers["content-type"] == "text/xml; charset=utf-8"
        if self.schemas is not None:
            return self.schemas.check(response.content)
        return etree.fromstring(response.content)


def copy_ledger(template: str, folder: Path, ledger_url: Callable[..., str]) -> Settings:
    """A private copy of the template ledger (SQLite's backup API, or a PostgreSQL template)."""
    return ledger_settings(folder, ledger_url(folder=folder, copy_of=template))


def serve(app: FastAPI) -> Iterator[str]:
    """Run ``app`` in uvicorn on a free loopback port until the generator is closed."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}/oai"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


@pytest.fixture(scope="session")
def schemas() -> Schemas | None:
    return load_schemas()


@pytest.fixture
def provider(
    template_ledger: str, tmp_path: Path, schemas: Schemas | None, ledger_url: Callable[..., str]
) -> Iterator[Provider]:
    """The router on a bare app over a private copy of the ledger, served for real."""
    settings = copy_ledger(template_ledger, tmp_path, ledger_url)
    app = FastAPI()
    app.include_router(router)
    app.state.settings = settings
    app.state.ledger = open_ledger(settings.db_url)
    recorded: list[bytes] = []

    @app.middleware("http")
    async def record(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        response = await call_next(request)
        body = b"".join([chunk async for chunk in response.body_iterator])  # type: ignore[attr-defined]
        if response.status_code == 200:
            recorded.append(body)
        return Response(body, response.status_code, dict(response.headers))

    for url in serve(app):
        provider = Provider(url, app.state.ledger, settings, schemas, recorded)
        yield provider
    if schemas is not None:
        for body in recorded:
            schemas.check(body)
    app.state.ledger.kw["bind"].dispose()
