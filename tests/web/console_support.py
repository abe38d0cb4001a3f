"""Fixtures of the librarians' console tests: a partner CSV export served locally, three accounts.

The ``console`` fixture is the app of ``conftest.py`` (its own SQLite ledger, or PostgreSQL with
``REN_TEST_POSTGRES_URL``; OpenSearch on a closed port) with the repository's ``config/``, a
librarian ``lea``, a documentalist ``dora`` and an admin ``ada``, and a CSV partner whose rows a
test can cut between two harvests — the way ``tests/runs`` builds a held run.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from ren_index.config.rulebook import Rulebook
from ren_index.config.sources import SourceConfig
from ren_index.ledger.models import Event, HarvestRun
from ren_index.orchestration.launch import Launch
from ren_index.runs.report import RunReport
from ren_index.settings import Settings, load_settings
from ren_index.steps.harvest import harvest_source
from ren_index.steps.process import process_source
from ren_index.web.app import create_app

from .conftest import CLOSED_PORT_URL, csrf_from, login

__all__ = ["SOURCE_ID", "Console", "console", "console_app"]

CONFIG = Path(__file__).resolve().parents[2] / "config"
RULEBOOK = Rulebook.load(CONFIG)
SOURCE_ID = "partenaire"


def csv_rows(count: int, start: int = 1) -> list[str]:
    return [
        f"R-{n};Ressource de mathématiques n° {n};Activités guidées sur les fractions et les"
        f" proportions pour la classe, fiche {n};https://partenaire.example/r{n};fr;Primaire;CC BY 4.0"
        for n in range(start, start + count)
    ]


def csv_body(rows: list[str]) -> bytes:
    header = "identifiant;titre;description;lien;langue;niveau;licence"
    return ("\n".join([header, *rows]) + "\n").encode("utf-8")


class CsvServer:
    """Serves ``body`` at ``/export.csv`` (``status`` 500 makes every request fail)."""

    def __init__(self, body: bytes) -> None:
        self.body = body
        self.status = 200
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                body = outer.body if outer.status == 200 else b"broken"
                self.send_response(outer.status)
                self.send_header("Content-Type", "text/csv; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/export.csv"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> CsvServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def csv_source(url: str, schedule: str | None = None) -> SourceConfig:
    return SourceConfig.model_validate(
        {
            "id": SOURCE_ID,
            "name": "Partenaire <b>CSV</b>",
            "type": "csv",
            "url": url,
            "schedule": schedule,
            "columns": {
                "id": "identifiant",
                "title": "titre",
                "description": "description",
                "url": "lien",
                "language": "langue",
                "level": "niveau",
                "licence": "licence",
            },
            "portals": ["pavillon"],
            "defaults": {"language": "fr"},
        }
    )


@dataclass
class Console:
    """The app, its client, the partner's server and what tests do with them."""

    app: FastAPI
    client: TestClient
    server: CsvServer
    source: SourceConfig

    @property
    def ledger(self) -> sessionmaker[Session]:
        factory: sessionmaker[Session] = self.app.state.ledger
        return factory

    @property
    def settings(self) -> Settings:
        settings: Settings = self.app.state.settings
        return settings

    def harvest(self, rows: int = 30) -> RunReport:
        """Serve ``rows`` rows, harvest and process them (a held run when far fewer than before)."""
        self.server.body = csv_body(csv_rows(rows))
        report = harvest_source(self.ledger, self.source, self.settings)
        process_source(self.ledger, self.source, RULEBOOK)
        return report

    def login(self, name: str) -> None:
        self.client.cookies.clear()
        assert login(self.client, name).status_code == 303

    def token(self, path: str = "/review/") -> str:
        response = self.client.get(path)
        assert response.status_code == 200, response.text
        return csrf_from(response.text)

    def post(self, path: str, data: dict[str, str] | None = None, *, csrf: bool = True) -> Response:
        form = dict(data or {})
        if csrf:
            form["csrf_token"] = self.token()
        response: Response = self.client.post(path, data=form)
        return response

    def wait(self) -> list[Launch]:
        """Wait for every pipeline the app started (they run in background threads)."""
        launches: list[Launch] = list(getattr(self.app.state, "launches", []))
        for started in launches:
            assert started.wait(60), f"{started.action} of {started.source_id} still running"
        return launches

    def events(self, action: str) -> list[Event]:
        with self.ledger() as session:
            return list(session.scalars(select(Event).where(Event.action == action).order_by(Event.id)))

    def runs(self) -> list[HarvestRun]:
        with self.ledger() as session:
            query = select(HarvestRun).where(HarvestRun.kind == "harvest").order_by(HarvestRun.id)
            return list(session.scalars(query))


@pytest.fixture
def console_app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, ledger_url: Callable[..., str]) -> FastAPI:
    """The console's app: the repository's config, a fresh ledger, fast failing harvests."""
    from ren_index.web import accounts

    monkeypatch.setenv("REN_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("REN_CONFIG_DIR", str(CONFIG))
    monkeypatch.setenv("REN_OPENSEARCH_URL", CLOSED_PORT_URL)
    monkeypatch.setenv("REN_LOGIN_FAILURE_DELAY", "0")
    monkeypatch.setenv("REN_HARVEST_MAX_RETRIES", "0")
    monkeypatch.setenv("REN_DATABASE_URL", ledger_url("ren-index", folder=tmp_path / "var"))
    monkeypatch.delenv("REN_SECRET_KEY", raising=False)
    monkeypatch.delenv("REN_COOKIE_SECURE", raising=False)
    app = create_app(load_settings())
    app.state.rulebook = RULEBOOK
    with app.state.ledger() as session:
        for name, role in (("lea", "librarian"), ("dora", "documentalist"), ("ada", "admin")):
            accounts.set_user(session, name, role, "correct horse battery", actor="test")
        session.commit()
    return app


@pytest.fixture
def console(console_app: FastAPI) -> Iterator[Console]:
    """The app with its client and the partner's CSV server (30 rows; nothing harvested yet)."""
    with (
        CsvServer(csv_body(csv_rows(30))) as server,
        TestClient(console_app, follow_redirects=False) as client,
    ):
        yield Console(console_app, client, server, csv_source(server.url, schedule="30 2 * * 1"))
        Console(console_app, client, server, csv_source(server.url)).wait()
