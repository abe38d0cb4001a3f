"""A fresh app per test: its own data folder, SQLite ledger and secret, no login delay.

OpenSearch points at a closed port, so ``/healthz`` is predictably ``degraded`` and no test
depends on a running node.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from httpx import Response

from ren_index.settings import load_settings
from ren_index.web import accounts
from ren_index.web.app import create_app

PASSWORD = "correct horse battery"
CLOSED_PORT_URL = "http://127.0.0.1:9"

_CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture
def app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, ledger_url: Callable[..., str]) -> FastAPI:
    monkeypatch.setenv("REN_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("REN_OPENSEARCH_URL", CLOSED_PORT_URL)
    monkeypatch.setenv("REN_LOGIN_FAILURE_DELAY", "0")
    monkeypatch.setenv("REN_DATABASE_URL", ledger_url("ren-index", folder=tmp_path / "var"))
    monkeypatch.delenv("REN_SECRET_KEY", raising=False)
    monkeypatch.delenv("REN_COOKIE_SECURE", raising=False)
    return create_app(load_settings())


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, follow_redirects=False) as test_client:
        yield test_client


@pytest.fixture
def make_user(app: FastAPI) -> Callable[..., str]:
    """Create an account through accounts.py (as ``users add`` does); returns its name."""

    def make(name: str = "dora", role: str = "documentalist", password: str = PASSWORD) -> str:
        with app.state.ledger() as session:
            accounts.set_user(session, name, role, password, actor="test")
            session.commit()
        return name

    return make


def csrf_from(html: str) -> str:
    """The CSRF token of the first form in a page."""
    match = _CSRF_RE.search(html)
    assert match, "no csrf_token field in the page"
    return match.group(1)


def page_csrf(client: TestClient, path: str = "/review/login") -> str:
    response = client.get(path)
    assert response.status_code == 200, response.text
    return csrf_from(response.text)


def login(client: TestClient, name: str, password: str = PASSWORD, next_path: str | None = None) -> Response:
    """Log in through the form, as a browser would (GET the form for its token, then POST)."""
    token = page_csrf(client)
    data = {"username": name, "password": password, "csrf_token": token}
    if next_path:
        data["next"] = next_path
    response: Response = client.post("/review/login", data=data)
    return response
