"""Two documentalists on one record, in two browsers: the stale rejection is refused (409) with who
approved it, decided again, then undone from the banner — and the real index follows each step.
The ``a`` key approves on a record page only, and that approval is undone the same way."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

from ren_index.ledger.models import ResourceRow
from ren_index.web import accounts

from .conftest import PASSWORD, LiveApp, PageGuard, login

if TYPE_CHECKING:
    from playwright.sync_api import Browser

pytestmark = pytest.mark.integration

ALICE, BRUNO = "alice", "bruno"


def _title(row: ResourceRow) -> str:
    titles = (row.record or {}).get("general", {}).get("title") or {}
    return str(titles.get("fr") or next(iter(titles.values()), ""))


def _waiting_titled(live_app: LiveApp, skip: int = 0) -> ResourceRow:
    """A titled waiting record from the end of the queue (other tests work from its start)."""
    rows = [r for r in reversed(live_app.waiting()) if _title(r) and r.record]
    return rows[skip]


def _in_index(live_app: LiveApp, record_id: str) -> bool:
    return bool(live_app.opensearch.exists(index=live_app.alias, id=record_id))


@pytest.fixture
def two(browser: Browser, live_app: LiveApp) -> Iterator[tuple[PageGuard, PageGuard]]:
    """Alice and Bruno, documentalists, each in a browser context of their own (own cookies)."""
    from .conftest import CSP_INIT_SCRIPT, TIMEOUT_MS

    with live_app.ledger() as session:
        for name in (ALICE, BRUNO):
            accounts.set_user(session, name, "documentalist", PASSWORD, actor="test")
        session.commit()
    contexts, guards = [], []
    for _name in (ALICE, BRUNO):
        ctx = browser.new_context(base_url=live_app.base_url, locale="fr-CA")
        ctx.set_default_timeout(TIMEOUT_MS)
        ctx.add_init_script(CSP_INIT_SCRIPT)
        page = ctx.new_page()
        guard = PageGuard(page)
        page.on("console", guard.on_console)
        page.on("pageerror", lambda exc, g=guard: g.page_errors.append(str(exc)))
        page.on("dialog", guard.on_dialog)
        contexts.append(ctx)
        guards.append(guard)
    try:
        login(guards[0].page, ALICE)
        login(guards[1].page, BRUNO)
        yield guards[0], guards[1]
    finally:
        for ctx in contexts:
            ctx.close()


def test_a_stale_rejection_is_refused_redone_and_undone(
    live_app: LiveApp, two: tuple[PageGuard, PageGuard]
) -> None:
    from playwright.sync_api import expect

    alice, bruno = two
    target = _waiting_titled(live_app)
    record_id, title = target.id, _title(target)
    assert not _in_index(live_app, record_id)
    for guard in two:
        guard.page.goto(f"/review/records/{record_id}")
        expect(guard.page.locator("#record-status")).to_have_text("À réviser")

    # Alice approves: one banner naming the record, with « Annuler »; the record is published.
    alice.page.get_by_role("button", name="Approuver", exact=True).click()
    banner = alice.page.get_by_role("status").filter(has_text="approuvée")
    expect(banner).to_contain_text(f"« {title} » approuvée")
    expect(banner.get_by_role("button", name="Annuler")).to_be_visible()
    assert _in_index(live_app, record_id)
    alice.assert_clean()

    # Bruno, still on the page he opened before, rejects: refused, 409, what changed, his reason kept.
    bruno.page.get_by_label("Motif du rejet").fill("Hors programme")
    with bruno.page.expect_navigation() as answer:
        bruno.page.get_by_role("button", name="Rejeter", exact=True).click()
    response = answer.value
    assert response is not None and response.status == 409
    expect(bruno.page.locator("#conflict-message")).to_contain_text(
        re.compile(r"approuvée par alice à \d{1,2} h \d{2} H[NA]E")
    )
    expect(bruno.page.locator("#record-status")).to_have_text("Approuvée")
    expect(bruno.page.get_by_label("Motif du rejet")).to_have_value("Hors programme")
    bruno.screenshot("team-409.png")
    # Chromium logs the 409 answer itself as a console error: the one expected, the page is clean.
    bruno.console_errors[:] = [e for e in bruno.console_errors if "status of 409 (Conflict)" not in e]
    bruno.assert_clean()
    row = live_app.row(record_id)
    assert (row.status, row.decided_by) == ("approved", ALICE)

    # He reads the current record and decides again: it goes through, and leaves the index.
    bruno.page.get_by_role("button", name="Rejeter", exact=True).click()
    banner = bruno.page.get_by_role("status").filter(has_text="rejetée")
    expect(banner).to_contain_text(f"« {title} » rejetée")
    row = live_app.row(record_id)
    assert (row.status, row.decided_by) == ("rejected", BRUNO)
    assert not _in_index(live_app, record_id)

    # Undo from the banner: back to Alice's approval, and back in the index.
    banner.get_by_role("button", name="Annuler").click()
    expect(bruno.page.locator("#record-status")).to_have_text("Approuvée")
    expect(bruno.page.get_by_role("status").filter(has_text="Décision annulée")).to_contain_text(
        f"« {title} » est de nouveau approuvée"
    )
    row = live_app.row(record_id)
    assert (row.status, row.decided_by) == ("approved", ALICE)
    assert _in_index(live_app, record_id)
    expect(bruno.page.locator("#history-table")).to_contain_text("Annulation d'une décision")
    bruno.screenshot("team-undone.png")
    bruno.assert_clean()


def test_the_a_key_approves_on_a_record_page_only_and_is_undone_the_same_way(
    live_app: LiveApp, two: tuple[PageGuard, PageGuard]
) -> None:
    from playwright.sync_api import expect

    alice, _bruno = two
    page = alice.page
    waiting_before = {r.id for r in live_app.waiting()}
    page.goto("/review/queue")
    page.locator("body").press("a")
    page.wait_for_timeout(500)
    assert {r.id for r in live_app.waiting()} == waiting_before  # nothing approved from the queue

    target = _waiting_titled(live_app, skip=1)
    record_id, title = target.id, _title(target)
    page.goto(f"/review/records/{record_id}")
    page.locator("body").press("a")
    banner = page.get_by_role("status").filter(has_text="approuvée")
    expect(banner).to_contain_text(f"« {title} » approuvée")
    assert live_app.row(record_id).status == "approved" and _in_index(live_app, record_id)

    banner.get_by_role("button", name="Annuler").click()
    expect(page.locator("#record-status")).to_have_text("À réviser")
    row = live_app.row(record_id)
    assert (row.status, row.decided_by) == ("needs_review", "rules")
    assert not _in_index(live_app, record_id)
    alice.assert_clean()
