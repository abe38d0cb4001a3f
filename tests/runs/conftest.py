"""Fixtures for harvest operations: a migrated ledger, a partner CSV export served over HTTP whose
rows a test can cut, and an OAI endpoint behind a slow proxy (to catch a harvest mid-run)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from ren_index.config.sources import SourceConfig
from ren_index.ledger.db import open_ledger
from ren_index.settings import Settings, load_settings

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / "config"
COLUMNS = {
    "id": "identifiant",
    "title": "titre",
    "description": "description",
    "url": "lien",
    "language": "langue",
    "level": "niveau",
    "licence": "licence",
}


def csv_rows(count: int, start: int = 1) -> list[str]:
    """Rows a documentalist would approve: French, a mapped level, an open licence."""
    return [
        f"R-{n};Ressource de mathématiques n° {n};Activités guidées sur les fractions et les"
        f" proportions pour la classe, fiche {n};https://partenaire.example/r{n};fr;Primaire;CC BY 4.0"
        for n in range(start, start + count)
    ]


def csv_body(rows: list[str]) -> bytes:
    header = "identifiant;titre;description;lien;langue;niveau;licence"
    return ("\n".join([header, *rows]) + "\n").encode("utf-8")


class CsvServer:
    """Serves ``body`` at ``/export.csv``; a test replaces it between two harvests."""

    def __init__(self, body: bytes) -> None:
        self.body = body
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "text/csv; charset=utf-8")
                self.send_header("Content-Length", str(len(outer.body)))
                self.end_headers()
                self.wfile.write(outer.body)

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


@pytest.fixture
def csv_server() -> Iterator[CsvServer]:
    with CsvServer(csv_body(csv_rows(30))) as server:
        yield server


def csv_source(url: str, **extra: object) -> SourceConfig:
    return SourceConfig.model_validate(
        {"id": "partenaire", "name": "Partenaire", "type": "csv", "url": url, "columns": COLUMNS, **extra}
    )


@pytest.fixture
def settings(tmp_path: Path, ledger_url: Callable[..., str]) -> Settings:
    return load_settings(
        data_dir=tmp_path,
        database_url=ledger_url(),
        config_dir=CONFIG,
        harvest_timeout=5.0,
        harvest_max_retries=0,
    )


@pytest.fixture
def ledger(settings: Settings) -> sessionmaker[Session]:
    return open_ledger(settings.db_url)
