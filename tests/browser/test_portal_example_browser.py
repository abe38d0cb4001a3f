"""The portal example (``/api/example``) in real Chromium, over the session's live app (issue 14).

The page is what docs/portal.md tells a portal developer to build: it calls ``/api/search`` and
``/api/resources/{id}`` of the live app (demo catalogue with hostile records, real OpenSearch).
A person types a query, ticks a facet, goes to page 2 and opens a resource; the page must stay
clean under the app's Content-Security-Policy, and harvested text must never become markup — only
the ``<mark>`` of the API's ``highlight`` object does.
"""

from __future__ import annotations

import os
import re

import httpx
import pytest

try:
    from playwright.sync_api import Page, expect
except ImportError:  # the dev dependencies are not installed
    if os.environ.get("REN_REQUIRE_BROWSER") == "1":
        raise
    pytest.skip("Playwright for Python is not installed (`pip install -e '.[dev]'`)", allow_module_level=True)

from .conftest import LiveApp, PageGuard

pytestmark = [pytest.mark.browser, pytest.mark.integration]

QUERY = "situation"
"""A word of ~30 demo titles ("Situation d'apprentissage et d'évaluation"): more than one page."""

ELEMENTS_IN_HITS = """() => Array.from(
  document.querySelectorAll('#px-hits .px-hit-title *, #px-hits .px-description *'),
  (node) => node.tagName
)"""


def _total(page: Page) -> int:
    return int(page.locator("#px-total").inner_text())


def _search(page: Page, query: str) -> int:
    page.get_by_label(re.compile("^Rechercher")).fill(query)
    page.get_by_role("button", name="Rechercher").click()
    expect(page).to_have_url(re.compile(rf"\?q={query}$"))
    expect(page.locator(".px-hit").first).to_be_visible()
    return _total(page)


def _hit_ids(page: Page) -> list[str]:
    hrefs = page.locator(".px-hit-title a").evaluate_all(
        "(links) => links.map((a) => a.getAttribute('href'))"
    )
    return [str(h) for h in hrefs]


def test_search_facet_pages_and_resource_page(live_app: LiveApp, guard: PageGuard) -> None:
    page = guard.page
    page.goto("/api/example")
    expect(page.locator(".px-hit").first).to_be_visible()  # without a query: newest first
    guard.assert_clean()

    total = _search(page, QUERY)
    api_total = httpx.get(f"{live_app.base_url}/api/search", params={"q": QUERY}, timeout=30).json()["total"]
    assert total == api_total and total > 10, f"{QUERY!r}: {total} hits, need more than a page"
    assert page.locator(".px-hit").count() == 10
    guard.screenshot("portal-example-search.png")

    # page 2: other hits, and the page says so
    first_page = _hit_ids(page)
    page.get_by_role("link", name=re.compile("^Suivante")).click()
    expect(page.locator("#px-page-current")).to_have_text(re.compile(r"^Page 2 / \d+$"))
    expect(page).to_have_url(re.compile(r"page=2"))
    expect(page.locator(".px-hit").first).to_be_visible()
    assert not set(_hit_ids(page)) & set(first_page)
    page.get_by_role("link", name=re.compile("^← Précédente")).click()
    expect(page.locator("#px-page-current")).to_have_text(re.compile(r"^Page 1 / "))

    # a facet value with fewer hits than the whole: ticked, the total becomes its count
    facet = page.locator("fieldset[data-facet='level'] label").filter(has_not_text=str(total)).first
    count = int(facet.locator(".px-count").inner_text())
    assert 0 < count < total
    facet.locator("input[type=checkbox]").check()
    expect(page.locator("#px-total")).to_have_text(str(count))
    expect(page).to_have_url(re.compile(r"level="))
    expect(page.locator("fieldset[data-facet='level'] input:checked")).to_have_count(1)
    guard.screenshot("portal-example-facet.png")

    # the resource page: the hit's title, then its fields; back returns to the same results
    hit = page.locator(".px-hit-title a").first
    title = hit.inner_text()
    hit.click()
    expect(page).to_have_url(re.compile(r"\?resource="))
    expect(page.locator("#px-resource-title")).to_have_text(title)
    expect(page.locator("#px-resource-fields dt").first).to_be_visible()
    expect(page.locator("#px-resource-fields")).to_contain_text("Licence")
    expect(page.locator("#px-search-view")).to_be_hidden()
    link = page.locator("#px-resource-link")
    if link.is_visible():
        assert re.match(r"^https?://", link.get_attribute("href") or "")
    guard.screenshot("portal-example-resource.png")
    page.get_by_role("link", name=re.compile("^← Retour")).click()
    expect(page.locator("#px-total")).to_have_text(str(count))
    page.go_back()  # the browser's own back button: the resource page again
    expect(page.locator("#px-resource-title")).to_have_text(title)
    guard.assert_clean()


def test_hostile_text_stays_text(live_app: LiveApp, guard: PageGuard) -> None:
    """Whatever the harvested titles hold, the hits contain no element but links and <mark>."""
    page = guard.page
    page.goto("/api/example?q=alert")  # the hostile records' payloads all call alert()
    expect(page.locator("#px-total")).to_be_visible()
    page.goto("/api/example?q=fractions")
    expect(page.locator(".px-hit").first).to_be_visible()
    tags = set(page.evaluate(ELEMENTS_IN_HITS))
    assert tags <= {"A", "MARK"}, tags
    assert page.locator("#px-hits img, #px-hits script, #px-hits svg").count() == 0
    guard.assert_clean()


def test_highlights_are_marks_in_titles_and_descriptions(live_app: LiveApp, guard: PageGuard) -> None:
    """The API's ``highlight`` object (issue 14, point 7) rendered as <mark> elements, never as text.

    Needs /api/search to return ``highlight`` (helper "api-fields"): fails until it does.
    """
    page = guard.page
    page.goto(f"/api/example?q={QUERY}")
    expect(page.locator(".px-hit").first).to_be_visible()
    marks = page.locator(".px-hit-title mark")
    expect(marks.first).to_be_visible()
    assert marks.first.inner_text().lower().startswith(QUERY)
    assert "<mark>" not in page.locator("#px-hits").inner_text()
    assert set(page.evaluate(ELEMENTS_IN_HITS)) <= {"A", "MARK"}
    guard.screenshot("portal-example-highlights.png")
    guard.assert_clean()
