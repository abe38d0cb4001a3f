"""Two documentalists on one queue, in two real browser contexts (issue 14, points 2, 4 and 5).

Dora opens a record; Marie, in her own browser session, finds it with the queue's search and sees
« pris par dora depuis … » on its line and on its page, with « Prendre la main »; Marie saves the
queue's filters as a view, opens it again from the list, deletes it; she takes the record over,
and Dora's page then shows Marie's claim. The issue filter and column speak in labels. Every page
is checked for console errors, CSP violations and dialogs.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

try:
    from playwright.sync_api import expect
except ImportError:  # the dev dependencies are not installed
    if os.environ.get("REN_REQUIRE_BROWSER") == "1":
        raise
    pytest.skip("Playwright for Python is not installed (`pip install -e '.[dev]'`)", allow_module_level=True)

from ren_index.config.issue_codes import label as issue_label
from ren_index.review import queries as review_queries
from ren_index.web import accounts

from .conftest import CSP_INIT_SCRIPT, DOCUMENTALIST, PASSWORD, TIMEOUT_MS, LiveApp, PageGuard, login

if TYPE_CHECKING:
    from playwright.sync_api import Browser

pytestmark = [pytest.mark.browser, pytest.mark.integration]

SECOND = "marie"


def _watched(browser: Browser, live_app: LiveApp) -> PageGuard:
    context = browser.new_context(
        base_url=live_app.base_url, locale="fr-CA", viewport={"width": 1280, "height": 900}
    )
    context.set_default_timeout(TIMEOUT_MS)
    context.add_init_script(CSP_INIT_SCRIPT)
    page = context.new_page()
    guard = PageGuard(page)
    page.on("console", guard.on_console)
    page.on("pageerror", lambda exc: guard.page_errors.append(f"{page.url}: {exc}"))
    page.on("dialog", guard.on_dialog)
    return guard


@pytest.fixture
def pair(browser: Browser, live_app: LiveApp) -> Iterator[tuple[PageGuard, PageGuard]]:
    """Dora and Marie, each in a browser context of their own (two sessions, two cookies)."""
    with live_app.ledger() as session:
        accounts.set_user(session, SECOND, "documentalist", PASSWORD, actor="test")
        session.commit()
    dora, marie = _watched(browser, live_app), _watched(browser, live_app)
    try:
        yield dora, marie
    finally:
        dora.page.context.close()
        marie.page.context.close()


def test_two_documentalists_see_each_others_claims_and_keep_views(
    live_app: LiveApp, pair: tuple[PageGuard, PageGuard]
) -> None:
    dora, marie = pair
    target = review_queries.queue(live_app.ledger, issue="NO_PORTAL", size=1).items[0]
    rid = target["id"]

    login(dora.page, DOCUMENTALIST)
    dora.page.goto(f"/review/records/{rid}")
    expect(dora.page.locator("#record-claim")).to_contain_text("Vous avez cette notice en main depuis")
    dora.assert_clean()

    # Marie finds the record by the search box (its id, typed in capitals) and sees Dora's claim.
    login(marie.page, SECOND)
    page = marie.page
    page.goto("/review/queue")
    page.get_by_label("Rechercher").fill(rid[:12].upper())
    with page.expect_navigation():
        page.get_by_label("Rechercher").press("Enter")
    expect(page).to_have_url(re.compile(rf"[?&]q={rid[:12].upper()}"))
    row = page.locator(f'tr[data-record-id="{rid}"]')
    expect(row).to_have_count(1)
    expect(page.locator("#queue-table tbody tr")).to_have_count(1)
    claim_line = row.locator(".claim-line")
    expect(claim_line).to_have_text(re.compile(r"^pris par dora depuis \d{1,2} h \d\d H[NA]E$"))
    expect(row.locator(".badge-issue[data-code=NO_PORTAL]")).to_have_text(issue_label("NO_PORTAL", "fr"))
    expect(row.locator(".badge-issue[data-code=NO_PORTAL]")).to_have_attribute("title", "code NO_PORTAL")
    marie.screenshot("queue-team-claimed.png")
    marie.assert_clean()

    page.locator(f'tr[data-record-id="{rid}"] a.record-link').click()
    notice = page.locator("#record-claim")
    expect(notice).to_contain_text("dora travaille sur cette notice depuis")
    expect(notice).to_contain_text("Vous pouvez tout de même décider.")
    expect(page.locator("#approve-button")).to_be_enabled()  # a claim informs, never blocks
    expect(page.get_by_role("button", name="Prendre la main")).to_be_visible()
    marie.screenshot("record-team-claimed.png")
    marie.assert_clean()

    # A saved view: filter the queue by an issue (chosen by its label), save, reopen, delete.
    page.goto("/review/queue")
    label = issue_label("LICENCE_AMBIGUOUS", "fr")
    shown = page.locator("#filter-issue option[value=LICENCE_AMBIGUOUS]").inner_text()
    assert re.fullmatch(rf"{label} \(\d+\)", shown), shown  # the words, not the code
    page.get_by_label("Anomalie", exact=True).select_option(label=shown)
    expect(page).to_have_url(re.compile(r"[?&]issue=LICENCE_AMBIGUOUS"))
    page.get_by_label("Ordre", exact=True).select_option("source")  # by source
    expect(page).to_have_url(re.compile(r"[?&]sort=source"))
    filtered_rows = page.locator("#queue-table tbody tr").count()
    page.get_by_label("Nom de la vue").fill("Pavillon — licences")
    with page.expect_navigation():
        page.get_by_role("button", name="Enregistrer ces filtres").click()
    expect(
        page.get_by_role("status").filter(has_text="Vue « Pavillon — licences » enregistrée.")
    ).to_be_visible()
    page.goto("/review/queue")
    view_link = page.locator("#saved-views-list").get_by_role("link", name="Pavillon — licences")
    expect(view_link).to_be_visible()
    view_link.click()
    expect(page).to_have_url(re.compile(r"[?&]issue=LICENCE_AMBIGUOUS"))
    expect(page).to_have_url(re.compile(r"[?&]sort=source"))
    expect(page.locator("#queue-table tbody tr")).to_have_count(filtered_rows)
    expect(page.locator("#filter-issue")).to_have_value("LICENCE_AMBIGUOUS")
    marie.screenshot("queue-team-saved-view.png")
    marie.assert_clean()

    # Dora does not see Marie's view.
    dora.page.goto("/review/queue")
    expect(dora.page.locator("#saved-views")).not_to_contain_text("Pavillon — licences")
    dora.assert_clean()

    page.get_by_role("button", name="Supprimer la vue « Pavillon — licences »").click()
    expect(
        page.get_by_role("status").filter(has_text="Vue « Pavillon — licences » supprimée.")
    ).to_be_visible()
    expect(page.locator("#saved-views-none")).to_be_visible()
    assert marie.confirms == ["Supprimer cette vue ?"]
    marie.assert_clean()

    # Marie takes the record over; Dora's page then shows Marie's claim.
    page.goto(f"/review/records/{rid}")
    page.get_by_role("button", name="Prendre la main").click()
    expect(
        page.get_by_role("status").filter(has_text="Vous avez pris la main sur cette notice")
    ).to_be_visible()
    expect(page.locator("#record-claim")).to_contain_text("Vous avez cette notice en main depuis")
    marie.assert_clean()
    dora.page.goto(f"/review/records/{rid}")  # opening it again does not take it back
    expect(dora.page.locator("#record-claim")).to_contain_text("marie travaille sur cette notice depuis")
    dora.screenshot("record-team-taken-over.png")
    dora.assert_clean()
