"""The runs page: a librarian reads each source's runs and chart; hostile names stay text."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from ren_index.config.sources import SourceConfig
from ren_index.ledger import store
from ren_index.ledger.models import HarvestRun
from ren_index.settings import load_settings
from ren_index.web import accounts
from ren_index.web.app import create_app

HOSTILE = '<script>alert("x")</script>'


PASSWORD = "correct horse battery"


def login(client: TestClient, name: str) -> int:
    """Log in through the form, as a browser would (the form's CSRF token, then POST)."""
    form = client.get("/review/login").text
    match = re.search(r'name="csrf_token" value="([^"]+)"', form)
    assert match
    data = {"username": name, "password": PASSWORD, "csrf_token": match.group(1)}
    return client.post("/review/login", data=data).status_code


@pytest.fixture
def app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, ledger_url: Callable[..., str]) -> FastAPI:
    monkeypatch.setenv("REN_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("REN_OPENSEARCH_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("REN_LOGIN_FAILURE_DELAY", "0")
    monkeypatch.setenv("REN_DATABASE_URL", ledger_url("ren-index", folder=tmp_path / "var"))
    monkeypatch.delenv("REN_SECRET_KEY", raising=False)
    monkeypatch.delenv("REN_COOKIE_SECURE", raising=False)
    app = create_app(load_settings())
    start = datetime(2025, 6, 1, 7, tzinfo=UTC)
    with app.state.ledger.begin() as session:
        accounts.set_user(session, "lea", "librarian", PASSWORD, actor="test")
        store.sync_source(session, SourceConfig(id="eduq", name=HOSTILE, type="oai", url="https://e.org/oai"))
        store.sync_source(
            session, SourceConfig(id="vide", name="Source vide", type="csv", url="https://e.org/x")
        )
        for day in range(35):
            failed = day == 34
            session.add(
                HarvestRun(
                    source_id="eduq",
                    kind="harvest",
                    status="failed" if failed else "completed",
                    counts={
                        "harvested": 100 + day,
                        "new": day,
                        "updated": 3,
                        "deleted": 1,
                        "errors": int(failed),
                    },
                    started_at=start + timedelta(days=day),
                    finished_at=start + timedelta(days=day, seconds=75),
                )
            )
    return app


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, follow_redirects=False) as test_client:
        yield test_client


def test_anonymous_is_sent_to_login(client: TestClient) -> None:
    response = client.get("/review/runs")
    assert response.status_code == 303
    assert "/review/login" in response.headers["location"]


def test_librarian_reads_runs_with_a_chart(client: TestClient) -> None:
    assert login(client, "lea") == 303
    response = client.get("/review/runs")
    assert response.status_code == 200, response.text
    page = response.text
    assert "<svg" in page and page.count('class="runs-line runs-line--') == 5
    assert "runs-line--errors" in page
    # The hostile source name is text, never markup — in the heading and in the chart's title.
    assert HOSTILE not in page
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in page
    assert 'style="' not in page and "<script>" not in page
    # Last 10 runs in the table, newest first, in Montreal time (07:00 UTC = 03:00 EDT).
    assert page.count('class="runs-row runs-row--') == 10
    assert "2025-07-05 03:00" in page and "échouée" in page and "1 min 15 s" in page
    assert "Source vide" in page and "Aucune moisson." in page


def test_english_words(client: TestClient) -> None:
    login(client, "lea")
    page = client.get("/review/runs?lang=en").text
    assert "Harvest runs" in page and "failed" in page
