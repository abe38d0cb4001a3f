"""The duplicates review in a real browser: a documentalist opens « Doublons », compares a pending
translation pair side by side (the differing rows marked by a word, not colour alone), presses
« Traduction », reads the banner, and on the group's page makes another copy the primary record.

An app of its own: the hand-written duplicates ledger (``tests/duplicates/ledger_corpus.py``) after
one pass of the duplicates step, indexed into the real OpenSearch under a prefix of its own (a label
publishes the records it touches at once), served by uvicorn. Every page is checked clean (no
console error, no CSP violation); screenshots go to ``tests/browser/artifacts/``.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from sqlalchemy.orm import Session, sessionmaker
from tests.duplicates.ledger_corpus import SAME_GROUP, DupLedger, build

from ren_index.config.rulebook import Rulebook
from ren_index.index.client import make_client
from ren_index.ledger.duplicates import ordered
from ren_index.ledger.models import DupMember, DupPair
from ren_index.settings import Settings, load_settings
from ren_index.steps.duplicates import find_duplicates
from ren_index.steps.index import index_changes
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
    _wait_until_healthy,
    login,
)

if TYPE_CHECKING:
    from playwright.sync_api import Browser


@dataclass
class DupApp:
    base_url: str
    settings: Settings
    ledger: sessionmaker[Session]
    dup: DupLedger


@pytest.fixture(scope="module")
def dup_app(
    opensearch_url: str,
    chromium_path: Path,
    tmp_path_factory: pytest.TempPathFactory,
    session_ledger_url: Callable[..., str],
) -> Iterator[DupApp]:
    import uvicorn

    from ren_index.web.app import create_app

    data_dir = tmp_path_factory.mktemp("duplicates-browser")
    database_url = session_ledger_url("ren-index-dups", folder=data_dir)
    prefix = f"brd{uuid.uuid4().hex[:10]}"
    settings = load_settings(
        data_dir=data_dir,
        database_url=database_url,
        opensearch_url=opensearch_url,
        index_prefix=prefix,
        config_dir=CONFIG,
        login_failure_delay=0,
        cookie_secure=False,
    )
    rulebook = Rulebook.load(CONFIG)
    server: uvicorn.Server | None = None
    thread: threading.Thread | None = None
    client = make_client(settings)
    try:
        dup = build(lambda *_args, **_kw: database_url)
        find_duplicates(dup.factory)
        report = index_changes(
            dup.factory, client, prefix, vocabularies=rulebook.vocabularies, portals=PORTAL_IDS
        )
        assert report["counts"]["errors"] == 0, report
        with dup.factory() as session:
            accounts.set_user(session, DOCUMENTALIST, "documentalist", PASSWORD, actor="test")
            session.commit()
        port = _free_port()
        config = uvicorn.Config(
            create_app(settings), host="127.0.0.1", port=port, log_level="warning", access_log=False
        )
        server = uvicorn.Server(config)
        thread = threading.Thread(target=server.run, name="ren-index-duplicates-browser", daemon=True)
        thread.start()
        base_url = f"http://127.0.0.1:{port}"
        _wait_until_healthy(base_url, thread)
        yield DupApp(base_url, settings, dup.factory, dup)
    finally:
        if server is not None and thread is not None:
            server.should_exit = True
            thread.join(timeout=10)
        client.indices.delete(index=f"{prefix}-*", ignore_unavailable=True)
        client.close()


@pytest.fixture
def dup_guard(browser: Browser, dup_app: DupApp) -> Iterator[PageGuard]:
    ctx = browser.new_context(
        base_url=dup_app.base_url, locale="fr-CA", viewport={"width": 1280, "height": 900}
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


def test_documentalist_compares_a_translation_labels_it_and_chooses_a_primary(
    dup_guard: PageGuard, dup_app: DupApp
) -> None:
    tab = dup_guard.page
    ids = dup_app.dup.ids
    login(tab, DOCUMENTALIST)
    with tab.expect_navigation():
        tab.get_by_role("link", name="Doublons", exact=True).click()
    assert tab.url.endswith("/review/duplicates")
    a, b = ordered(ids["chimie-editeur"], ids["chemistry-en"])
    row = tab.locator(f'tr[data-pair="{a}/{b}"]')
    assert row.get_attribute("data-status") == "pending"
    assert "Une traduction" in row.inner_text()
    dup_guard.assert_clean()
    dup_guard.screenshot("duplicates-list.png")

    with tab.expect_navigation():
        row.get_by_role("link", name="Comparer").click()
    compare = tab.locator("#dup-compare")
    # French edition and English translation, one source: title, description, address and
    # languages differ; the source, status and portals do not.
    for field in ("title", "description", "url", "languages"):
        marked = compare.locator(f'tr[data-field="{field}"]')
        assert marked.get_attribute("data-differs") == "true", field
        marker = marked.locator(".dup-marker")
        assert marker.is_visible() and marker.inner_text().strip() == "diffère"
    for field in ("source", "status", "portals"):
        same = compare.locator(f'tr[data-field="{field}"]')
        assert same.get_attribute("data-differs") == "false", field
        assert same.locator(".dup-marker").count() == 0
    title_bg = compare.locator('tr[data-field="title"]').evaluate("e => getComputedStyle(e).backgroundColor")
    source_bg = compare.locator('tr[data-field="source"]').evaluate(
        "e => getComputedStyle(e).backgroundColor"
    )
    assert title_bg != source_bg  # highlighted too, beside the word
    dup_guard.assert_clean()
    dup_guard.screenshot("duplicates-pair.png")

    with tab.expect_navigation():
        tab.get_by_role("button", name="Traduction", exact=True).click()
    banner = tab.locator(".alert").first
    text = banner.inner_text()
    assert "« Chimie générale, 2e édition »" in text and "« General Chemistry, 2nd edition »" in text
    assert "une traduction" in text
    dup_guard.assert_clean()
    with dup_app.ledger() as session:
        pair = session.get_one(DupPair, (a, b))
        assert (pair.status, pair.relation, pair.decided_by) == ("confirmed", "translation", DOCUMENTALIST)
        gid = session.get_one(DupMember, ids["chimie-editeur"]).group_id

    # The group of the textbook's copies: the network's feed is primary; make the library's copy so.
    tab.goto(f"/review/duplicates/{ids['chimie-editeur']}/{ids['chemistry-en']}")
    with tab.expect_navigation():
        tab.locator("#dup-groups").get_by_role("link", name="Voir le groupe").click()
    assert tab.url.endswith(f"/review/duplicates/group/{gid}")
    heads = tab.locator("#dup-compare thead th.dup-col")
    assert heads.count() == len(SAME_GROUP)
    assert heads.first.get_attribute("data-record") == ids["chimie-reseau"]
    assert heads.first.locator(".dup-primary").text_content() == "Notice principale"
    dup_guard.assert_clean()
    chosen = tab.locator(f'th.dup-col[data-record="{ids["chimie-biblio"]}"]')
    with tab.expect_navigation():
        chosen.get_by_role("button", name="Choisir comme principale").click()
    assert tab.url.endswith(f"/review/duplicates/group/{gid}")
    assert "est maintenant la notice principale de son groupe" in tab.locator(".alert").first.inner_text()
    heads = tab.locator("#dup-compare thead th.dup-col")
    assert heads.first.get_attribute("data-record") == ids["chimie-biblio"]
    assert heads.first.locator(".dup-primary").text_content() == "Notice principale"
    dup_guard.assert_clean()
    dup_guard.screenshot("duplicates-group.png")
    with dup_app.ledger() as session:
        assert session.get_one(DupMember, ids["chimie-biblio"]).relation == "primary"
