"""Fixtures of the contributions API tests: an app per test on either ledger, platforms, a callback
receiver, and the app in a real uvicorn (what its logs hold).

Every test runs on SQLite, and again on PostgreSQL when ``REN_TEST_POSTGRES_URL`` is set (the
``backend`` parameter): an empty ledger is migrated once per backend and session, and each test
gets its own copy (SQLite's backup API, or a PostgreSQL template database). OpenSearch is a closed
port unless a test points the app at the real node. Import into a test module with
``from .contributions_support import *``.
"""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy.orm import Session, sessionmaker

from ren_index.config.rulebook import Rulebook
from ren_index.config.rules import load_portals
from ren_index.contributions.platforms import create_platform
from ren_index.ledger.db import open_ledger
from ren_index.settings import Settings, load_settings
from ren_index.web.app import create_app

from .conftest import CLOSED_PORT_URL

CONFIG = Path(__file__).resolve().parents[2] / "config"
RULEBOOK = Rulebook.load(CONFIG)
PORTAL = "ecole-ouverte"
LOM_NS = "http://ltsc.ieee.org/xsd/LOM"

__all__ = [
    "CONFIG",
    "PORTAL",
    "RULEBOOK",
    "Api",
    "CallbackReceiver",
    "api",
    "backend",
    "callback_receiver",
    "contribution",
    "lom_record",
    "make_api",
    "serve",
    "template_ledger",
]


def contribution(external_id: str = "mc-1", **changes: Any) -> dict[str, Any]:
    """A complete, well-described contribution (what a careful teacher shares); ``changes`` override,
    ``None`` removes a field."""
    body: dict[str, Any] = {
        "external_id": external_id,
        "title": "Les fractions dans la cuisine",
        "description": (
            "Une séquence d'apprentissage où les élèves mesurent des ingrédients pour comparer et"
            " additionner des fractions, avec une fiche d'exercices et son corrigé."
        ),
        "url": f"https://ma-classe.example.org/ressources/{external_id}",
        "languages": ["fr"],
        "levels": ["3e secondaire"],
        "licence": "CC BY 4.0",
        "keywords": ["fractions", "mesure"],
        "authors": [{"name": "Marie Tremblay", "organisation": "CSS des Découvreurs"}],
        "contributor": {"id": "u-42", "display_name": "Marie T."},
    }
    for name, value in changes.items():
        if value is None:
            body.pop(name, None)
        else:
            body[name] = value
    return body


def lom_record(entry: str, title: str = "Géométrie au quotidien") -> bytes:
    """One LOM (Normetic) record, as a platform exporting LOM would send it."""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<lom xmlns="{LOM_NS}">
  <general>
    <identifier><catalog>ma-classe</catalog><entry>{entry}</entry></identifier>
    <title><string language="fr">{title}</string></title>
    <language>fr</language>
    <description><string language="fr">Des activités pour reconnaître les solides et les figures
      planes dans l'environnement de l'élève, avec une grille d'observation.</string></description>
  </general>
  <technical><location>https://ma-classe.example.org/lom/{entry}</location></technical>
  <educational>
    <context><source>LOMv1.0</source><value>school</value></context>
    <context><source>Normetic</source><value>3e secondaire</value></context>
  </educational>
  <rights><description><string language="fr">CC BY-SA 4.0</string></description></rights>
</lom>""".encode()


# -- the ledger: both backends ----------------------------------------------------------------


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest) -> str:
    """Which ledger the test runs on; PostgreSQL only when ``REN_TEST_POSTGRES_URL`` names a server
    (then the shared ``ledger_url`` fixtures make PostgreSQL databases; SQLite is made here)."""
    if request.param == "postgresql" and not os.environ.get("REN_TEST_POSTGRES_URL"):
        pytest.skip("REN_TEST_POSTGRES_URL not set: no PostgreSQL to test against")
    return str(request.param)


@pytest.fixture(scope="session")
def template_ledger(
    backend: str, tmp_path_factory: pytest.TempPathFactory, session_ledger_url: Callable[..., str]
) -> str:
    """An empty ledger, migrated once per backend: every test starts from a copy."""
    folder = tmp_path_factory.mktemp(f"contributions-{backend}")
    url = (
        f"sqlite:///{folder / 'template.db'}"
        if backend == "sqlite"
        else session_ledger_url("template", folder=folder)
    )
    open_ledger(url).kw["bind"].dispose()
    return url


def _copy(backend: str, template: str, folder: Path, ledger_url: Callable[..., str]) -> str:
    if backend != "sqlite":
        return ledger_url(folder=folder, copy_of=template)
    folder.mkdir(parents=True, exist_ok=True)
    target_path = folder / "ren-index.db"
    source, target = sqlite3.connect(template.removeprefix("sqlite:///")), sqlite3.connect(target_path)
    with target:
        source.backup(target)
    source.close()
    target.close()
    return f"sqlite:///{target_path}"


# -- the app ----------------------------------------------------------------------------------


@dataclass
class Api:
    """The app under test, its client and ledger, and the platforms made for the test."""

    app: FastAPI
    client: TestClient
    keys: dict[str, str] = field(default_factory=dict)

    @property
    def ledger(self) -> sessionmaker[Session]:
        factory: sessionmaker[Session] = self.app.state.ledger
        return factory

    @property
    def settings(self) -> Settings:
        settings: Settings = self.app.state.settings
        return settings

    def platform(self, name: str = "ma-classe", callback_url: str | None = None) -> str:
        """Create a platform (as ``ren-index platforms add`` does); returns its key."""
        portals = list(load_portals(CONFIG))
        _info, key = create_platform(
            self.ledger,
            name,
            portal=PORTAL,
            label=f"{name} (tests)",
            callback_url=callback_url,
            portals=portals,
        )
        self.keys[name] = key
        return key

    def headers(self, platform: str = "ma-classe") -> dict[str, str]:
        return {"Authorization": f"Bearer {self.keys[platform]}"}

    def post(self, body: dict[str, Any], platform: str = "ma-classe") -> Response:
        return self.client.post("/api/contributions", json=body, headers=self.headers(platform))

    def post_xml(
        self, xml: bytes, platform: str = "ma-classe", media_type: str = "application/xml"
    ) -> Response:
        headers = {**self.headers(platform), "Content-Type": media_type}
        return self.client.post("/api/contributions", content=xml, headers=headers)

    def get(self, path: str = "", platform: str = "ma-classe", **params: Any) -> Response:
        return self.client.get(f"/api/contributions{path}", params=params, headers=self.headers(platform))

    def delete(self, external_id: str, platform: str = "ma-classe") -> Response:
        return self.client.delete(f"/api/contributions/{external_id}", headers=self.headers(platform))


MakeApi = Callable[..., Api]


@pytest.fixture
def make_api(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    backend: str,
    template_ledger: str,
    ledger_url: Callable[..., str],
) -> Iterator[MakeApi]:
    """``make_api(**settings)``: an app over a fresh copy of the empty ledger, with those settings."""
    monkeypatch.delenv("REN_SECRET_KEY", raising=False)
    monkeypatch.delenv("REN_COOKIE_SECURE", raising=False)
    monkeypatch.delenv("REN_CORS_ORIGINS", raising=False)
    made: list[Api] = []

    def make(**overrides: Any) -> Api:
        data = tmp_path / f"var{len(made)}"
        settings = load_settings(
            **{
                "data_dir": data,
                "database_url": _copy(backend, template_ledger, data, ledger_url),
                "config_dir": CONFIG,
                "opensearch_url": CLOSED_PORT_URL,
                "login_failure_delay": 0,
                **overrides,
            }
        )
        app = create_app(settings)
        client = TestClient(app, follow_redirects=False)
        client.__enter__()
        made.append(Api(app, client))
        return made[-1]

    yield make
    for api in made:
        api.client.__exit__(None, None, None)


@pytest.fixture
def api(make_api: MakeApi) -> Api:
    """The app with default settings and one platform, ``ma-classe``, whose key is ``api.keys``."""
    made = make_api()
    made.platform()
    return made


# -- a platform's callback endpoint -----------------------------------------------------------


@dataclass
class Delivery:
    path: str
    headers: dict[str, str]
    body: Any


class CallbackReceiver:
    """A real HTTP server on 127.0.0.1 standing for the platform: records every POST it gets."""

    def __init__(self) -> None:
        self.received: list[Delivery] = []
        self.status = 200
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(min(length, 1_000_000))
                try:
                    body: Any = json.loads(raw)
                except ValueError:
                    body = raw.decode("utf-8", "replace")
                with receiver._lock:
                    receiver.received.append(Delivery(self.path, dict(self.headers.items()), body))
                    status = receiver.status
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: object) -> None:
                pass

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        host, port = self._httpd.server_address[:2]
        self.host = f"{host!s}:{port}"
        self.url = f"http://{self.host}/ren-index/callbacks"
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.02,), daemon=True)
        self._thread.start()

    def bodies(self) -> list[Any]:
        with self._lock:
            return [d.body for d in self.received]

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()


@pytest.fixture
def callback_receiver() -> Iterator[CallbackReceiver]:
    receiver = CallbackReceiver()
    try:
        yield receiver
    finally:
        receiver.stop()


@contextmanager
def serve(app: FastAPI) -> Iterator[str]:
    """``app`` in uvicorn on a free loopback port, configured as ``ren-index serve`` runs it (access
    log on, proxy headers), its log records going to the root logger (where caplog is)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(
        app, log_level="info", access_log=True, proxy_headers=True, log_config=None, lifespan="off"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        for _ in range(200):
            if server.started:
                break
            threading.Event().wait(0.02)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
