"""The librarians' console in a real browser: harvest a source now and read the new run's report,
release a held run after reading what it withdraws, and a documentalist's read-only page.

Every page visited is checked clean (no console error, no CSP violation); the confirmations asked
by ``data-confirm`` are accepted as the person would (``PageGuard.confirms``).
"""

from __future__ import annotations

import re
import time
from typing import TYPE_CHECKING

from sqlalchemy import select

from ren_index.ledger.models import Event, HarvestRun

from .conftest import DOCUMENTALIST, LIBRARIAN, ConsoleSources, LiveApp, PageGuard, login

if TYPE_CHECKING:
    from playwright.sync_api import Page


def _harvest_runs(live_app: LiveApp, source_id: str) -> list[HarvestRun]:
    with live_app.ledger() as session:
        query = select(HarvestRun).where(HarvestRun.source_id == source_id, HarvestRun.kind == "harvest")
        return list(session.scalars(query.order_by(HarvestRun.id)))


def _wait_for_run(
    page: Page, live_app: LiveApp, source_id: str, known: int, timeout: float = 60.0
) -> HarvestRun:
    """Reload the source page until a new run of the source has finished; that run."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        runs = _harvest_runs(live_app, source_id)
        if (
            len(runs) > known
            and runs[-1].status != "running"
            and runs[-1].counts.get("processed") is not None
        ):
            page.reload()
            return runs[-1]
        time.sleep(0.3)
    raise AssertionError(f"no new finished run of {source_id} within {timeout:.0f} s")


def test_librarian_runs_a_source_now_and_reads_the_report(
    guard: PageGuard, live_app: LiveApp, console_sources: ConsoleSources
) -> None:
    page = guard.page
    source_id = console_sources.fresh
    known = len(_harvest_runs(live_app, source_id))
    login(page, LIBRARIAN)
    page.goto("/review/")
    # The dashboard links the source to its page; the navigation has the runs.
    assert page.locator('nav.main-nav a[href="/review/runs"]').count() == 1
    page.goto(f"/review/sources/{source_id}")
    guard.assert_clean()
    with page.expect_navigation():
        page.locator("#run-now").click()
    assert guard.confirms and "maintenant" in guard.confirms[-1]
    assert "lancée" in page.locator(".alert-success").inner_text()
    run = _wait_for_run(page, live_app, source_id, known)
    assert run.status == "completed"
    row = page.locator(f'tr[data-run="{run.id}"]')
    assert "terminée" in row.inner_text()
    guard.screenshot("console-source-page.png")
    with page.expect_navigation():
        row.locator(f'a[href="/review/runs/{run.id}"]').click()
    assert page.locator("#run-status").inner_text() == "terminée"
    counts = page.locator("#run-counts").inner_text()
    assert "moissonnées" in counts and "12" in counts and "traitées" in counts
    log = page.locator("#run-event-table").inner_text()
    assert "Moisson demandée" in log and LIBRARIAN in log
    assert re.search(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} H[NA]E", log)
    guard.screenshot("console-run-report.png")
    guard.assert_clean()
    with live_app.ledger() as session:
        event = session.scalars(
            select(Event).where(Event.action == "source_run_requested", Event.source_id == source_id)
        ).one()
        assert event.actor == LIBRARIAN


def test_librarian_releases_a_held_run_after_reading_its_withdrawals(
    guard: PageGuard, live_app: LiveApp, console_sources: ConsoleSources
) -> None:
    page = guard.page
    run_id = console_sources.held_run
    login(page, LIBRARIAN)
    page.goto(f"/review/sources/{console_sources.held}")
    with page.expect_navigation():
        page.locator(f"#release-{run_id}").click()
    preview = page.locator("#release-preview tbody tr")
    assert preview.count() == 20
    assert "R-11" in page.locator("#release-preview").inner_text()
    guard.screenshot("console-release-preview.png")
    guard.assert_clean()
    with page.expect_navigation():
        page.locator("#release-confirm").click()
    assert guard.confirms and "Libérer" in guard.confirms[-1]
    assert "libérée" in page.locator(".alert-success").inner_text()
    assert page.locator("#run-status").inner_text() == "terminée"
    assert "Libérée par lib" in page.locator("#run-released").inner_text()
    guard.assert_clean()
    with live_app.ledger() as session:
        run = session.get_one(HarvestRun, run_id)
        assert run.status == "completed"
        released = session.scalars(
            select(Event).where(Event.action == "run_released", Event.run_id == run_id)
        )
        assert [e.actor for e in released] == [LIBRARIAN]


def test_a_documentalist_reads_the_source_page_without_buttons(
    guard: PageGuard, live_app: LiveApp, console_sources: ConsoleSources
) -> None:
    page = guard.page
    login(page, DOCUMENTALIST)
    page.goto(f"/review/sources/{console_sources.held}")
    assert page.locator("#read-only").is_visible()
    assert page.locator("#run-now").count() == 0
    assert page.locator("#source-buttons").count() == 0
    assert page.locator("form[action$='/run']").count() == 0
    assert page.locator('nav.main-nav a[href="/review/sources/check"]').count() == 0
    page.goto(f"/review/runs/{console_sources.held_run}")
    assert page.locator("#release-link").count() == 0 and page.locator("#resume-run").count() == 0
    guard.screenshot("console-read-only.png")
    guard.assert_clean()
    response = page.goto(f"/review/runs/{console_sources.held_run}/release")
    assert response is not None and response.status == 403
