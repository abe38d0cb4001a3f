"""Fixtures for the steps: a migrated ledger in a temp dir and the demo OAI endpoint."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import requests
from sqlalchemy.orm import Session, sessionmaker

from ren_index.config.sources import SourceConfig
from ren_index.demo.catalogue import demo_records
from ren_index.demo.server import DemoOaiServer
from ren_index.ledger.db import open_ledger
from ren_index.settings import Settings, load_settings


@pytest.fixture
def settings(tmp_path: Path, ledger_url: Callable[..., str]) -> Settings:
    return load_settings(
        data_dir=tmp_path,
        database_url=ledger_url(),
        harvest_timeout=5.0,
        harvest_max_retries=2,
    )


@pytest.fixture
def ledger(settings: Settings) -> sessionmaker[Session]:
    return open_ledger(settings.db_url)


@pytest.fixture
def lom_records() -> list:
    return [r for r in demo_records() if r.metadata_format == "lom"]


@pytest.fixture
def demo_server(lom_records: list) -> Iterator[DemoOaiServer]:
    with DemoOaiServer(records=lom_records, page_size=10) as server:
        yield server


def source_for(url: str, **extra: object) -> SourceConfig:
    return SourceConfig.model_validate(
        {
            "id": "demo-lom",
            "name": "Démo",
            "type": "oai",
            "url": url,
            "metadata_prefix": "lom",
            **extra,
        }
    )


class SlowProxy:
    """Forwards every GET to ``target`` after ``delay`` seconds: lets a test kill a harvest mid-run."""

    def __init__(self, target: str, delay: float) -> None:
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                time.sleep(outer.delay)
                query = self.path.split("?", 1)[1] if "?" in self.path else ""
                upstream = requests.get(f"{target}?{query}", timeout=10)
                self.send_response(upstream.status_code)
                self.send_header("Content-Type", upstream.headers.get("Content-Type", "text/xml"))
                self.send_header("Content-Length", str(len(upstream.content)))
                self.end_headers()
                self.wfile.write(upstream.content)

            def log_message(self, *args: object) -> None:
                pass

        self.delay = delay
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/oai"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> SlowProxy:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
