"""The review UI in real Chromium, against the real app, ledger and OpenSearch node (issue 4, point 10).

A documentalist logs in through the form, filters the queue, corrects a record's level with the
picker, saves and approves it, and the record is then found through the index with that level;
hostile harvested text stays inert; a librarian reads but cannot decide; the keyboard moves from
record to record. Every page visited is checked for console errors, CSP violations and dialogs.
"""

from __future__ import annotations

import os
import re

import pytest

try:
    from playwright.sync_api import Page, expect
except ImportError:  # the dev dependencies are not installed
    if os.environ.get("REN_REQUIRE_BROWSER") == "1":
        raise
    pytest.skip("Playwright for Python is not installed (`pip install -e '.[dev]'`)", allow_module_level=True)

from ren_index.config.vocabularies import load_vocabularies
from ren_index.ledger.models import ResourceRow
from ren_index.review import queries as review_queries

from .conftest import CONFIG, DOCUMENTALIST, LIBRARIAN, LiveApp, PageGuard, login

pytestmark = [pytest.mark.browser, pytest.mark.integration]

RECORD_LINKS = 'main a[href^="/review/records/"]'
LEVEL_NEEDS = ("LEVEL_UNMAPPED", "LEVEL_MISSING", "NO_PORTAL")
SEC3_URI = "https://w3id.org/ren-index/vocab/niveaux/secondaire-3"
SEC3_LABEL = "3e secondaire"
STATUS_FR = {
    "needs_review": "À réviser",
    "approved": "Approuvée",
    "rejected": "Rejetée",
    "deleted": "Retirée par la source",
}
VISIBLE_WORDS = {
    "script": "Capsule vidéo de quelques minutes",
    "onerror": "Fiche d'exercices sur les fractions.",
    "javascript": "Cliquez ici",
}
"""Words of each hostile description that must still reach the documentalist."""
PAYLOAD_TEXT = {
    "script": "&lt;script&gt;alert(1)",
    "onerror": "onerror=",
    "javascript": "javascript:alert",
}
"""What the raw payload panel must show, as text (the XML as harvested: its own escapes included)."""


def record_ids_on(page: Page) -> list[str]:
    """The records a queue page lists, in order, from its links to record pages."""
    hrefs = page.locator(RECORD_LINKS).evaluate_all("links => links.map(a => a.getAttribute('href'))")
    ids = [re.sub(r"^/review/records/([^/?#]+).*$", r"\1", h) for h in hrefs]
    return list(dict.fromkeys(ids))


def codes_of(row: ResourceRow) -> set[str]:
    return {str(i["code"]) for i in row.issues or ()}


# 1 -------------------------------------------------------------------------------------------


def test_login_through_the_form_lands_on_the_dashboard(live_app: LiveApp, guard: PageGuard) -> None:
    page = guard.page
    page.goto("/review/")
    expect(page).to_have_url(re.compile(r"/review/login\?next=/review/"))
    guard.assert_clean()

    page.get_by_label("Nom d'utilisateur").fill(DOCUMENTALIST)
    page.get_by_label("Mot de passe").fill("not the password")
    page.get_by_role("button", name="Se connecter").click()
    expect(page.get_by_role("alert")).to_contain_text("Nom d'utilisateur ou mot de passe incorrect")
    expect(page.get_by_label("Nom d'utilisateur")).to_have_value(DOCUMENTALIST)
    guard.screenshot("login-error.png")
    guard.assert_clean()

    page.get_by_label("Mot de passe").fill(live_app.password)
    page.get_by_role("button", name="Se connecter").click()
    expect(page).to_have_url(re.compile(r"/review/$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Tableau de bord")
    expect(page.get_by_text(f"Connecté·e : {DOCUMENTALIST}")).to_be_visible()
    # The team lead's numbers, as the ledger has them: per status, per source, per issue code.
    numbers = review_queries.dashboard(live_app.ledger)
    assert numbers["statuses"]["needs_review"] == len(live_app.waiting()) > 0
    stats = {"Notices au registre": numbers["total"]} | {
        STATUS_FR[status]: n for status, n in numbers["statuses"].items()
    }
    for label, count in stats.items():
        expect(
            page.get_by_role("link", name=re.compile(rf"^\s*{count}\s+{re.escape(label)}\s*$"))
        ).to_have_count(1)
    for source_id, counts in numbers["sources"].items():
        row = page.get_by_role("row").filter(has_text=f"({source_id})")
        expect(row).to_contain_text(str(counts["total"]))
        expect(row).to_contain_text(str(counts["needs_review"]))
    issues = page.get_by_role("table").filter(has_text="Anomalie")
    for code, count in list(numbers["issues"].items())[:3]:
        expect(issues.get_by_role("row").filter(has_text=code)).to_contain_text(str(count))
    guard.screenshot("dashboard.png")
    guard.assert_clean()


# 2 -------------------------------------------------------------------------------------------


def test_filtering_the_queue_narrows_the_rows(live_app: LiveApp, guard: PageGuard) -> None:
    page = guard.page
    login(page, DOCUMENTALIST)
    page.goto("/review/queue")
    heading = page.get_by_role("heading", level=1)
    expect(heading).to_contain_text("File de validation")
    everything = review_queries.queue(live_app.ledger, size=200)
    expect(heading).to_contain_text(f"{everything.total} notice")
    shown = record_ids_on(page)
    assert shown, "the queue page lists no record"
    assert set(shown) <= {item["id"] for item in everything.items}
    guard.assert_clean()

    code = "NO_PORTAL"
    expected = review_queries.queue(live_app.ledger, issue=code, size=200)
    assert 0 < expected.total < everything.total
    page.get_by_label("Anomalie", exact=True).select_option(code)  # submits itself (data-autosubmit)
    expect(page).to_have_url(re.compile(rf"[?&]issue={code}"))
    expect(heading).to_contain_text(f"{expected.total} notice")
    filtered = record_ids_on(page)
    assert set(filtered) == {item["id"] for item in expected.items}
    assert len(filtered) < len(shown)
    for row_codes in page.locator("#queue-table tbody tr").evaluate_all(
        "rows => rows.map(r => [...r.querySelectorAll('[data-code]')].map(b => b.dataset.code))"
    ):
        assert code in row_codes  # the badge shows the label; the code is its data-code and title
    guard.screenshot("queue.png")
    guard.assert_clean()

    both = review_queries.queue(live_app.ledger, issue=code, source="demo-dc", size=200)
    assert 0 < both.total < expected.total
    page.get_by_label("Source", exact=True).select_option("demo-dc")
    expect(page).to_have_url(re.compile(r"[?&]source=demo-dc"))
    expect(page).to_have_url(re.compile(rf"[?&]issue={code}"))  # the first filter is kept
    expect(heading).to_contain_text(f"{both.total} notice")
    assert set(record_ids_on(page)) == {item["id"] for item in both.items}
    guard.screenshot("queue-filtered-source.png")
    guard.assert_clean()


# 3 -------------------------------------------------------------------------------------------


def _title_of(row: ResourceRow) -> str:
    """The record's French title (or its only one); empty when the record has none."""
    titles = (row.record or {}).get("general", {}).get("title") or {}
    return str(titles.get("fr") or next(iter(titles.values()), ""))


def test_correct_a_level_approve_and_find_it_in_the_index(live_app: LiveApp, guard: PageGuard) -> None:
    waiting = live_app.waiting()
    target = next(
        (row for code in LEVEL_NEEDS for row in waiting if code in codes_of(row) and _title_of(row)),
        None,
    )
    assert target is not None and target.record is not None, f"no titled waiting record with {LEVEL_NEEDS}"
    record_id, title = target.id, _title_of(target)
    assert SEC3_URI not in target.record["controlled"]["levels"]
    concept = load_vocabularies(CONFIG).levels.get(SEC3_URI)
    assert concept is not None and concept.label("fr") == SEC3_LABEL  # the label the picker shows

    page = guard.page
    login(page, DOCUMENTALIST)
    page.goto(f"/review/records/{record_id}")
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    expect(page.locator("#record-status")).to_have_text("À réviser")
    guard.assert_clean()

    picker = page.get_by_role("group", name=re.compile(r"^Niveaux"))
    for box in picker.get_by_role("checkbox", checked=True).all():
        box.uncheck()
    picker.get_by_label("Filtrer la liste").fill("3e second")  # the picker narrows as one types
    expect(picker.get_by_role("checkbox", name="Enseignement universitaire", exact=True)).to_be_hidden()
    picker.get_by_role("checkbox", name=SEC3_LABEL, exact=True).check()
    expect(picker).to_contain_text(SEC3_LABEL)
    guard.screenshot("record-level-picked.png")
    page.get_by_role("button", name="Enregistrer et approuver").click()
    # The app goes on to the next record of the queue and says what it did.
    expect(page.get_by_role("status").filter(has_text="approuvée")).to_contain_text(
        f"« {title} » corrigée (niveaux) et approuvée"
    )
    guard.assert_clean()

    page.goto(f"/review/records/{record_id}")
    expect(page.locator("#record-status")).to_have_text("Approuvée")
    expect(page.locator("#field-levels")).to_contain_text(SEC3_LABEL)
    expect(page.locator("#publication-state")).to_contain_text("Publiée dans l'index")
    expect(page.get_by_role("button", name="Enregistrer et approuver")).to_have_count(0)
    guard.screenshot("record.png")
    guard.screenshot("record-top.png", full_page=False)
    guard.assert_clean()

    row = live_app.row(record_id)
    assert row.status == "approved" and row.decided_by == DOCUMENTALIST
    assert row.record is not None and row.record["controlled"]["levels"] == [SEC3_URI]
    assert row.indexed_hash is not None

    # Found through the index: OpenSearch itself, then the portals' search API, by the title.
    live_app.opensearch.indices.refresh(index=live_app.alias)
    body = {"query": {"match_phrase": {"title_fr": title}}, "size": 20}
    hits = live_app.opensearch.search(index=live_app.alias, body=body)["hits"]["hits"]
    doc = next((h["_source"] for h in hits if h["_id"] == record_id), None)
    assert doc is not None, f"{record_id} ({title!r}) is not in {live_app.alias}"
    assert doc["status"] == "approved"
    assert SEC3_URI in doc["levels"]
    assert "ecole-ouverte" in doc["portals"]
    response = page.request.get("/api/search", params={"q": title, "size": 50})
    assert response.ok, response.text()
    found = next((r for r in response.json()["results"] if r["id"] == record_id), None)
    assert found is not None, f"/api/search?q={title} does not find {record_id}"
    assert SEC3_URI in {level["uri"] for level in found["levels"]}


# 4 -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["script", "onerror", "javascript"])
def test_hostile_descriptions_render_inert(live_app: LiveApp, guard: PageGuard, kind: str) -> None:
    record_id = live_app.hostile.all()[kind]
    page = guard.page
    login(page, DOCUMENTALIST)
    page.goto(f"/review/records/{record_id}")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    page.wait_for_load_state("load")
    page.wait_for_timeout(300)  # time for an image error or a timer to fire

    assert guard.dialogs == [], f"a payload opened a dialog: {guard.dialogs}"
    # The app's own scripts have a src; nothing inline and nothing from the description.
    inline = page.locator("script:not([src])").count()
    assert inline == 0, "an inline <script> element is in the DOM"
    assert page.locator('script[src]:not([src^="/static/"])').count() == 0
    assert (
        page.locator('[href^="javascript:" i], [src^="javascript:" i], [action^="javascript:" i]').count()
        == 0
    )
    assert page.locator("img[onerror], svg[onload], [onload], [onerror], [onclick]").count() == 0
    handlers = page.evaluate(
        "Array.from(document.querySelectorAll('*')).flatMap(e => Array.from(e.attributes)"
        ".filter(a => a.name.startsWith('on')).map(a => e.tagName + ' ' + a.name))"
    )
    assert handlers == []
    # The description's words are shown, its markup is not; the payload is shown as text.
    description = page.locator("#field-description")
    expect(description).to_contain_text(VISIBLE_WORDS[kind])
    expect(
        description.locator("script, img, svg, iframe, object, embed, [href*=javascript i]")
    ).to_have_count(0)
    expect(page.get_by_role("heading", level=1).locator("img")).to_have_count(0)
    page.locator("#payload summary").click()
    expect(page.locator("#raw-payload")).to_contain_text(PAYLOAD_TEXT[kind])
    guard.screenshot(f"record-xss-{kind}.png")
    guard.screenshot(f"record-xss-{kind}-details.png", selector="#details")
    guard.assert_clean()


def test_hostile_titles_are_escaped_in_the_queue(live_app: LiveApp, guard: PageGuard) -> None:
    page = guard.page
    login(page, DOCUMENTALIST)
    page.goto("/review/queue?status=all&source=demo-dc&size=100")
    hostile = page.locator(f'#queue-table tr[data-record-id="{live_app.hostile.onerror}"]')
    if hostile.count() == 0:  # on a later page: find it there
        page.goto("/review/queue?status=all&source=demo-dc&size=100&page=2")
    expect(hostile).to_contain_text("onerror")  # the markup is shown as text
    expect(page.locator("main img")).to_have_count(0)
    assert page.evaluate("Array.from(document.querySelectorAll('[onerror]')).length") == 0
    assert guard.dialogs == []
    guard.assert_clean()


# 5 -------------------------------------------------------------------------------------------


def test_librarian_reads_the_queue_but_cannot_decide(live_app: LiveApp, guard: PageGuard) -> None:
    page = guard.page
    login(page, LIBRARIAN)
    page.goto("/review/queue")
    expect(page.get_by_role("heading", level=1)).to_contain_text("File de validation")
    ids = record_ids_on(page)
    assert ids
    expect(page.get_by_role("button", name="Approuver la sélection")).to_have_count(0)
    expect(page.get_by_role("checkbox")).to_have_count(0)
    guard.screenshot("queue-librarian.png")
    guard.assert_clean()

    record_id = ids[0]
    page.goto(f"/review/records/{record_id}")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    expect(page.get_by_text("Consultation seulement")).to_be_visible()
    for name in (
        "Approuver",
        "Rejeter",
        "Enregistrer et approuver",
        "Enregistrer",
        "Appliquer la suggestion",
    ):
        expect(page.get_by_role("button", name=name, exact=True)).to_have_count(0)
    # No deciding form; « Vérifier maintenant » (the link check) is open to librarians too.
    expect(
        page.locator("form[method=post][action^='/review/records/']:not([action$='/check-link'])")
    ).to_have_count(0)
    expect(page.locator("form#check-link-form")).to_have_count(1)
    guard.screenshot("record-librarian.png")
    guard.assert_clean()

    # A forged write with the librarian's session cookie but no CSRF token: refused.
    before = live_app.row(record_id).status
    forged = page.request.post(f"/review/records/{record_id}/approve", form={"comment": "forgé"})
    assert forged.status == 403, forged.status
    # With the session's token (from the page's meta tag), the role check still refuses.
    token = page.locator('meta[name="csrf-token"]').get_attribute("content")
    assert token
    with_token = page.request.post(
        f"/review/records/{record_id}/approve", form={"csrf_token": token, "comment": "forgé"}
    )
    assert with_token.status == 403, with_token.status
    assert live_app.row(record_id).status == before == "needs_review"


def test_documentalist_forged_post_without_csrf_is_refused(live_app: LiveApp, guard: PageGuard) -> None:
    page = guard.page
    login(page, DOCUMENTALIST)
    record_id = live_app.waiting()[-1].id
    forged = page.request.post(f"/review/records/{record_id}/approve", form={"comment": "forgé"})
    assert forged.status == 403, forged.status
    wrong = page.request.post(f"/review/records/{record_id}/approve", form={"csrf_token": "forged-token"})
    assert wrong.status == 403, wrong.status
    assert live_app.row(record_id).status == "needs_review"


# 6 -------------------------------------------------------------------------------------------


def test_keyboard_works_through_the_queue(live_app: LiveApp, guard: PageGuard) -> None:
    page = guard.page
    login(page, DOCUMENTALIST)
    page.goto("/review/queue")
    ids = record_ids_on(page)
    assert len(ids) >= 3
    # Queue: j moves to the first row, Enter opens it.
    page.keyboard.press("j")
    expect(page.locator(RECORD_LINKS).first).to_be_focused()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(rf"/review/records/{ids[0]}$"))
    if page.locator("[data-hotkey=j]").count() == 0:
        pytest.skip("the record page has no next-record shortcut (no [data-hotkey=j])")
    guard.assert_clean()
    # Record page: j / n next, k / p previous.
    page.keyboard.press("j")
    expect(page).to_have_url(re.compile(rf"/review/records/{ids[1]}$"))
    page.keyboard.press("n")
    expect(page).to_have_url(re.compile(rf"/review/records/{ids[2]}$"))
    page.keyboard.press("k")
    expect(page).to_have_url(re.compile(rf"/review/records/{ids[1]}$"))
    page.keyboard.press("p")
    expect(page).to_have_url(re.compile(rf"/review/records/{ids[0]}$"))
    # While typing in a field, letters are letters.
    page.get_by_label("Motif du rejet", exact=True).press_sequentially("jnkp")
    expect(page).to_have_url(re.compile(rf"/review/records/{ids[0]}$"))
    page.keyboard.press("Escape")
    page.keyboard.press("u")
    expect(page).to_have_url(re.compile(r"/review/queue$"))
    guard.assert_clean()
