"""A record's link in a real browser: a documentalist opens a record whose link is broken, reads its
history, presses « Vérifier maintenant » once the site is back, and sees the link « fonctionne ».

An app of its own (the session's ``live_app`` may not reach loopback addresses): the demo LOM
catalogue harvested, processed and indexed into the real OpenSearch under a prefix of its own,
served by uvicorn with ``links_allow_hosts`` allowing 127.0.0.0/8; one record's address points at
a local :class:`~links.link_server.LinkServer` page that answers 404, checked three times on a
controlled clock by the links step (the patience rules: declared broken, back to the queue). The
page is checked clean (no console error, no CSP violation) before and after the check.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from links.link_server import HTML, LinkServer, Reply, page  # tests/links: the local web sites
from ren_index.config.rulebook import Rulebook
from ren_index.demo.catalogue import demo_records
from ren_index.demo.server import DemoOaiServer
from ren_index.index.client import make_client
from ren_index.ledger.db import open_ledger
from ren_index.ledger.models import ResourceRow
from ren_index.links.checker import CheckerConfig
from ren_index.runs.report import RunReport
from ren_index.settings import Settings, load_settings
from ren_index.steps.harvest import harvest_source
from ren_index.steps.index import index_changes
from ren_index.steps.links import check_links
from ren_index.steps.process import process_source
from ren_index.web import accounts

from .conftest import (
    CONFIG,
    CSP_INIT_SCRIPT,
    DOCUMENTALIST,
    PASSWORD,
    PORTAL_IDS,
    TIMEOUT_MS,
    PageGuard,
    _free_port,
    _source,
    _wait_until_healthy,
    login,
)

if TYPE_CHECKING:
    from playwright.sync_api import Browser

LOOPBACK = ["127.0.0.0/8"]
SOURCE = "demo-lom"


@dataclass
class LinkApp:
    base_url: str
    settings: Settings
    ledger: sessionmaker[Session]
    site: LinkServer
    record: str
    """The approved record whose link is at ``site``'s ``/gone``."""


def _build(settings: Settings, rulebook: Rulebook) -> sessionmaker[Session]:
    ledger = open_ledger(settings.db_url)
    records = [r for r in demo_records() if r.metadata_format == "lom"]
    with DemoOaiServer(records=records, page_size=100) as server:
        source = _source(SOURCE, server.url)
        assert harvest_source(ledger, source, settings)["status"] == "completed"
        process_source(ledger, source, rulebook)
    client = make_client(settings)
    try:
        index_changes(
            ledger, client, settings.index_prefix, vocabularies=rulebook.vocabularies, portals=PORTAL_IDS
        )
    finally:
        client.close()
    with ledger() as session:
        accounts.set_user(session, DOCUMENTALIST, "documentalist", PASSWORD, actor="test")
        session.commit()
    return ledger


def _in_a_thread(call: Callable[..., RunReport], *args: object, **kwargs: object) -> RunReport:
    """``call(*args, **kwargs)`` in a thread of its own: the checker runs its own event loop
    (``asyncio.run``), which Playwright's, running in this thread, would refuse."""
    found: list[RunReport] = []
    worker = threading.Thread(target=lambda: found.append(call(*args, **kwargs)))
    worker.start()
    worker.join(timeout=120)
    assert found, "the links step did not finish"
    return found[0]


def _declare_broken(ledger: sessionmaker[Session], settings: Settings, rulebook: Rulebook, url: str) -> str:
    """Point the first approved record at ``url`` and check it three times over four days."""
    with ledger.begin() as session:
        row = session.scalars(
            select(ResourceRow)
            .where(ResourceRow.status == "approved", ResourceRow.source_id == SOURCE)
            .order_by(ResourceRow.id)
        ).first()
        assert row is not None
        record = dict(row.record)
        record["technical"] = {**(record.get("technical") or {}), "locations": [url]}
        row.record = record
        rid = row.id
    config = CheckerConfig(
        allow_hosts=tuple(LOOPBACK), per_host_delay=0.0, request_timeout=3.0, deadline=30.0
    )
    start = datetime.now(UTC) - timedelta(days=10)
    for day in (0, 2, 4):
        report = _in_a_thread(
            check_links,
            ledger,
            settings,
            rulebook,
            source_ids=[SOURCE],
            record_ids=[rid],
            now=start + timedelta(days=day),
            config=config,
        )
        assert report["status"] == "completed", report
    return rid


@pytest.fixture(scope="module")
def link_app(
    opensearch_url: str,
    chromium_path: Path,
    tmp_path_factory: pytest.TempPathFactory,
    session_ledger_url: Callable[..., str],
) -> Iterator[LinkApp]:
    import uvicorn

    from ren_index.web.app import create_app

    data_dir = tmp_path_factory.mktemp("links-browser")
    database_url = session_ledger_url("ren-index-links", folder=data_dir)
    prefix = f"brl{uuid.uuid4().hex[:10]}"
    settings = load_settings(
        data_dir=data_dir,
        database_url=database_url,
        opensearch_url=opensearch_url,
        index_prefix=prefix,
        config_dir=CONFIG,
        login_failure_delay=0,
        links_allow_hosts=LOOPBACK,
        cookie_secure=False,
    )
    rulebook = Rulebook.load(CONFIG)
    site = LinkServer("127.0.0.1").start()
    site.route("/gone", Reply(404, page("404"), HTML))
    server: uvicorn.Server | None = None
    thread: threading.Thread | None = None
    try:
        ledger = _build(settings, rulebook)
        rid = _declare_broken(ledger, settings, rulebook, site.url("/gone"))
        port = _free_port()
        config = uvicorn.Config(
            create_app(settings), host="127.0.0.1", port=port, log_level="warning", access_log=False
        )
        server = uvicorn.Server(config)
        thread = threading.Thread(target=server.run, name="ren-index-links-browser", daemon=True)
        thread.start()
        base_url = f"http://127.0.0.1:{port}"
        _wait_until_healthy(base_url, thread)
        yield LinkApp(base_url, settings, ledger, site, rid)
    finally:
        if server is not None and thread is not None:
            server.should_exit = True
            thread.join(timeout=10)
        site.stop()
        client = make_client(settings)
        client.indices.delete(index=f"{prefix}-*", ignore_unavailable=True)
        client.close()


@pytest.fixture
def link_guard(browser: Browser, link_app: LinkApp) -> Iterator[PageGuard]:
    ctx = browser.new_context(
        base_url=link_app.base_url, locale="fr-CA", viewport={"width": 1280, "height": 900}
    )
    ctx.set_default_timeout(TIMEOUT_MS)
    ctx.add_init_script(CSP_INIT_SCRIPT)
    try:
        tab = ctx.new_page()
        watched = PageGuard(tab)
        tab.on("console", watched.on_console)
        tab.on("pageerror", lambda exc: watched.page_errors.append(f"{tab.url}: {exc}"))
        tab.on("dialog", watched.on_dialog)
        yield watched
    finally:
        ctx.close()


def test_documentalist_checks_a_broken_link_now_and_sees_it_work(
    link_guard: PageGuard, link_app: LinkApp
) -> None:
    tab = link_guard.page
    login(tab, DOCUMENTALIST)
    tab.goto(f"/review/records/{link_app.record}")
    section = tab.locator("#link")
    assert section.locator("#link-kind").inner_text().strip() == "brisé"
    assert "Déclaré brisé après 3 échecs de suite" in section.inner_text()
    history = section.locator("#link-history tbody tr")
    assert history.count() == 3
    assert [history.nth(i).get_attribute("data-outcome") for i in range(3)] == ["broken"] * 3
    assert "404" in history.first.inner_text()
    link_guard.assert_clean()
    link_guard.screenshot("links-record-broken.png", selector="#link")

    link_app.site.route("/gone", Reply(200, page("Ressource rétablie", "Ressource rétablie"), HTML))
    with tab.expect_navigation():
        section.get_by_role("button", name="Vérifier maintenant").click()
    banner = tab.locator(".alert-success").first
    assert "État du lien : fonctionne" in banner.inner_text()
    assert tab.locator("#link-kind").inner_text().strip() == "fonctionne"
    assert tab.locator("#link-history tbody tr").first.get_attribute("data-outcome") == "ok"
    assert tab.locator("#link-history tbody tr").count() == 4
    assert tab.locator("#record-status").inner_text().strip() == "Approuvée"
    link_guard.assert_clean()
    link_guard.screenshot("links-record-recovered.png")
    with link_app.ledger() as session:
        assert session.get_one(ResourceRow, link_app.record).status == "approved"

    # The source's page: its records per link state and the link-rot chart (SVG, CSP-clean).
    tab.goto(f"/review/sources/{SOURCE}")
    assert tab.locator('#link-counts tr[data-kind="ok"] td[data-status="total"]').inner_text() == "1"
    assert tab.locator("#link-rot-chart rect.link-rot__bar").count() == 6
    assert tab.locator('#link-rot-table tr[data-bucket="lt1"] td[data-col="share"]').inner_text() == "0 %"
    link_guard.assert_clean()
    link_guard.screenshot("links-source-page.png", selector="#source-links-section")
