"""The review pages over HTTP: access, the dashboard's numbers, queue filters and counts, the record
page (issues, escaped payload, inert hostile descriptions) and the audit CSV."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from datetime import UTC, timedelta
from zoneinfo import ZoneInfo

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from ren_index.ledger.models import ResourceRow
from ren_index.review.decisions import decide_by_person

from .review_support import *  # noqa: F403 - the fixtures
from .review_support import Demo, form_token

Login = Callable[..., TestClient]


def count(demo: Demo, **where: str) -> int:
    with demo.app.state.ledger() as session:
        query = select(func.count()).select_from(ResourceRow)
        for column, value in where.items():
            query = query.where(getattr(ResourceRow, column) == value)
        return int(session.scalar(query) or 0)


def waiting_one(demo: Demo) -> str:
    """A LOM record waiting for review with a suggestion to apply (an ambiguous licence)."""
    return demo.first("needs_review", "LICENCE_AMBIGUOUS").id


def rows_of(html: str) -> list[str]:
    """The record ids listed in a queue page, in order."""
    return re.findall(r'<tr data-record-id="([0-9a-f]+)"', html)


def test_every_review_page_needs_a_login(client: TestClient, demo: Demo) -> None:
    rid = demo.rid(162)
    for path in ("/review/", "/review/queue", f"/review/records/{rid}", "/review/events.csv"):
        response = client.get(path)
        assert response.status_code == 303, path
        assert response.headers["location"].startswith("/review/login?next=")
    assert client.post(f"/review/records/{rid}/approve").status_code in (401, 403)


def test_dashboard_shows_the_numbers_a_team_lead_asks_for(logged_in: Login, demo: Demo) -> None:
    client = logged_in()
    page = client.get("/review/")
    assert page.status_code == 200
    html = page.text
    waiting = count(demo, status="needs_review")
    assert waiting > 0
    assert re.search(rf'id="stat-needs_review">\s*<span class="stat__value">{waiting}<', html)
    total = count(demo)
    assert re.search(rf'id="stat-total">\s*<span class="stat__value">{total}<', html)
    assert "Démo — dépôt LOM (Normetic)" in html and "Démo — dépôt Dublin Core" in html
    assert 'href="/review/queue?issue=LICENCE_AMBIGUOUS"' in html  # per issue code, linked to the queue
    oldest = re.findall(r'<ol class="oldest-list" id="dashboard-oldest">(.*?)</ol>', html, re.DOTALL)
    assert oldest and oldest[0].count("/review/records/") == min(10, waiting)
    assert "<meter" in html and "style=" not in html  # bars without inline styles (CSP)


def test_queue_lists_needs_review_with_filters_and_counts(logged_in: Login, demo: Demo) -> None:
    client = logged_in()
    page = client.get("/review/queue?size=100")
    waiting = count(demo, status="needs_review")
    assert f"{waiting} notice(s)" in page.text
    assert len(rows_of(page.text)) == min(100, waiting)
    # Facet counts beside each option; choosing one gives that many.
    counted = re.search(r'<option value="demo-dc"[^>]*>[^<(]*\((\d+)\)</option>', page.text)
    assert counted, "the source filter offers demo-dc with its count"
    filtered = client.get("/review/queue?source=demo-dc&size=100")
    assert (
        len(rows_of(filtered.text))
        == int(counted.group(1))
        == count(demo, status="needs_review", source_id="demo-dc")
    )
    assert '<option value="demo-dc" selected>' in filtered.text

    by_issue = client.get("/review/queue?issue=LICENCE_AMBIGUOUS")
    ids = rows_of(by_issue.text)
    assert ids and waiting_one(demo) in ids
    assert all(any(i["code"] == "LICENCE_AMBIGUOUS" for i in demo.row(rid).issues) for rid in ids)
    # The issue in words, its code as the secondary hint (title).
    assert 'title="code LICENCE_AMBIGUOUS" data-code="LICENCE_AMBIGUOUS">Licence ambiguë<' in by_issue.text

    french = client.get("/review/queue?language=fr&size=100")
    assert set(rows_of(french.text)) <= set(rows_of(page.text))


def test_queue_sorts_paginates_and_shows_status_filter(logged_in: Login, demo: Demo) -> None:
    client = logged_in()
    oldest = rows_of(client.get("/review/queue?size=100").text)
    newest = rows_of(client.get("/review/queue?sort=newest&size=100").text)
    assert oldest == list(reversed(newest))
    first = client.get("/review/queue?status=all")
    assert 'aria-label="Pages"' in first.text and 'href="/review/queue?status=all&amp;page=2"' in first.text
    second = rows_of(client.get("/review/queue?status=all&page=2").text)
    assert len(second) == 25 and not set(second) & set(rows_of(first.text))
    approved = client.get("/review/queue?status=approved")
    assert all(demo.row(rid).status == "approved" for rid in rows_of(approved.text))


def test_librarian_reads_but_sees_no_decision_controls_and_cannot_decide(
    logged_in: Login, demo: Demo
) -> None:
    client = logged_in("lea", "librarian")
    queue = client.get("/review/queue")
    assert queue.status_code == 200 and rows_of(queue.text)
    assert 'name="ids"' not in queue.text and "bulk-approve" not in queue.text
    rid = waiting_one(demo)
    page = client.get(f"/review/records/{rid}")
    assert page.status_code == 200
    for control in ("approve-button", "reject-button", "edit-form", "apply-suggestion"):
        assert control not in page.text
    assert "Consultation seulement" in page.text
    token = form_token(page.text)  # the logout form's token: a valid token, the wrong role
    refused = client.post(f"/review/records/{rid}/approve", data={"csrf_token": token})
    assert refused.status_code == 403
    bulk = client.post("/review/bulk", data={"csrf_token": token, "action": "approve", "ids": [rid]})
    assert bulk.status_code == 403
    assert demo.row(rid).status == "needs_review"


def test_a_post_without_csrf_token_is_refused(logged_in: Login, demo: Demo) -> None:
    client = logged_in()
    rid = waiting_one(demo)
    assert client.post(f"/review/records/{rid}/approve", data={}).status_code == 403
    assert client.post(f"/review/records/{rid}/approve", data={"csrf_token": "forged"}).status_code == 403
    assert demo.row(rid).status == "needs_review"


def test_record_page_explains_issues_and_escapes_the_payload(logged_in: Login, demo: Demo) -> None:
    client = logged_in()
    rid = waiting_one(demo)
    html = client.get(f"/review/records/{rid}").text
    assert 'data-issue-code="LICENCE_AMBIGUOUS"' in html
    issue = next(i for i in demo.row(rid).issues if i["code"] == "LICENCE_AMBIGUOUS")
    assert issue["message_fr"].replace("'", "&#39;") in html.replace("&#34;", '"')
    assert "Suggestion :" in html and 'id="apply-suggestion-' in html
    # The raw payload is shown, pretty-printed and escaped.
    payload = re.search(r'<pre class="payload" id="raw-payload"><code>(.*?)</code></pre>', html, re.DOTALL)
    assert payload and "&lt;lom" in payload.group(1) and "<lom" not in payload.group(1)
    assert "\n  &lt;" in payload.group(1)  # indented
    # The edit form and its pickers, French labels.
    assert 'id="edit-form"' in html and 'name="levels"' in html
    assert "3e secondaire" in html and "Enseignement primaire" in html
    assert 'id="edit-licence"' in html and "Attribution 4.0 International" in html
    assert html.index("Les plus courantes") < html.index("Toutes les autres licences")


def test_a_hostile_description_renders_inert(logged_in: Login, demo: Demo) -> None:
    client = logged_in()
    hostile = demo.with_defect("SCRIPT_IN_DESCRIPTION")
    page = client.get(f"/review/records/{demo.rid(hostile.number)}")
    assert page.status_code == 200
    tags = re.findall(r"<script\b[^>]*>", page.text, flags=re.IGNORECASE)
    assert tags and all('src="/static/' in tag for tag in tags)  # no script tag from the record
    found = [m.start() for m in re.finditer(r"alert\(1\)", page.text)]
    assert found, "the payload is shown (escaped) in the raw metadata"
    for at in found:
        assert page.text[max(0, at - 30) : at].endswith(("&lt;script&gt;", "&amp;lt;script&amp;gt;"))
    assert "script-src 'self'" in page.headers["content-security-policy"]


def test_links_are_http_only(logged_in: Login, demo: Demo) -> None:
    client = logged_in()
    bad = demo.rid(21)  # URL_INVALID: "htp://..."
    html = client.get(f"/review/records/{bad}").text
    field = re.search(r'<dd id="field-url">(.*?)</dd>', html, re.DOTALL)
    assert field and "<a " not in field.group(1) and "htp://" in field.group(1)
    good = client.get(f"/review/records/{demo.first('approved').id}").text
    assert 'rel="noopener noreferrer nofollow"' in good


def test_unknown_record_is_404(logged_in: Login) -> None:
    client = logged_in()
    assert client.get("/review/records/doesnotexist").status_code == 404


def test_record_page_links_previous_and_next_with_the_same_filters(logged_in: Login, demo: Demo) -> None:
    client = logged_in()
    ids = rows_of(client.get("/review/queue?source=demo-lom&size=100").text)
    html = client.get(f"/review/records/{ids[1]}?source=demo-lom").text
    assert f'href="/review/records/{ids[0]}?source=demo-lom" id="previous-record"' in html
    assert f'href="/review/records/{ids[2]}?source=demo-lom" id="next-record"' in html
    assert 'data-hotkey="j"' in html and 'data-hotkey="a"' in html


def test_events_csv_exports_the_audit_trail(logged_in: Login, demo: Demo) -> None:
    client = logged_in()
    rid = waiting_one(demo)
    decide_by_person(demo.app.state.ledger, rid, "rejected", actor="dora", comment="=HYPERLINK(x)")
    every = client.get("/review/events.csv")
    assert every.status_code == 200
    assert every.headers["content-type"] == "text/csv; charset=utf-8"
    assert every.headers["content-disposition"].startswith("attachment;")
    rows = list(csv.DictReader(io.StringIO(every.content.decode("utf-8-sig"))))
    mine = [r for r in rows if r["resource_id"] == rid and r["action"] == "rejected"]
    assert mine and mine[0]["actor"] == "dora" and mine[0]["comment"] == "'=HYPERLINK(x)"
    one = client.get(f"/review/records/{rid}/history.csv")
    assert one.status_code == 200 and one.headers["content-disposition"].startswith("attachment;")
    history = list(csv.DictReader(io.StringIO(one.content.decode("utf-8-sig"))))
    assert {r["resource_id"] for r in history} == {rid}
    assert [r["action"] for r in history] == ["decided", "rejected"]
    page = client.get(f"/review/records/{rid}").text
    assert 'id="history-table"' in page and "=HYPERLINK(x)" in page and "Rejetée" in page


def test_pages_speak_english_when_asked(logged_in: Login, demo: Demo) -> None:
    client = logged_in()
    assert "Review queue" in client.get("/review/queue?lang=en").text
    html = client.get(f"/review/records/{waiting_one(demo)}").text  # the cookie keeps the choice
    assert "Apply the suggestion" in html or "Save and approve" in html


def _shortcut_keys(html: str) -> list[str]:
    hint = re.search(r'<p class="muted keys-hint" id="record-shortcuts">(.*?)</p>', html, re.DOTALL)
    assert hint, "the record page lists no shortcuts"
    return re.findall(r"<kbd>(\w)</kbd>", hint.group(1))


def test_record_page_lists_only_the_shortcuts_one_can_use(logged_in: Login, demo: Demo) -> None:
    rid = waiting_one(demo)
    documentalist = logged_in()
    assert "a" in _shortcut_keys(documentalist.get(f"/review/records/{rid}").text)
    approved = demo.first("approved").id
    assert "a" not in _shortcut_keys(documentalist.get(f"/review/records/{approved}").text)
    documentalist.post("/review/logout", data={"csrf_token": form_token(documentalist.get("/review/").text)})
    librarian = logged_in("lib", "librarian")
    html = librarian.get(f"/review/records/{rid}").text
    assert 'data-hotkey="a"' not in html
    assert "a" not in _shortcut_keys(html) and "u" in _shortcut_keys(html)


def test_history_reads_as_words(logged_in: Login, demo: Demo) -> None:
    client = logged_in()
    rid = waiting_one(demo)
    decide_by_person(demo.app.state.ledger, rid, "approved", actor="dora", comment=None)
    html = client.get(f"/review/records/{rid}?lang=fr").text
    history = html.split('id="history-table"')[1]
    assert "Approbation" in history and "Décision des règles" in history
    assert "Statut :" in history and "À réviser" in history and "Approuvée" in history
    assert "Règles automatiques" in history
    for technical in ("needs_review", "decided_by", "(vide / empty)", "portals", "reasons"):
        assert technical not in history, technical
    english = client.get(f"/review/records/{rid}?lang=en").text.split('id="history-table"')[1]
    assert "Approval" in english and "Status:" in english and "Needs review" in english
    assert "Statut" not in english and "Approuvée" not in english


def test_record_page_and_queue_say_dates_in_montreal_time(logged_in: Login, demo: Demo) -> None:
    """The one clock (issue 13): the decision, the history and the queue's « depuis » are Montreal
    wall-clock time with the zone, never the ledger's UTC."""
    client = logged_in()
    rid = waiting_one(demo)
    decide_by_person(demo.app.state.ledger, rid, "approved", actor="dora", comment=None)
    with demo.app.state.ledger() as session:
        row = session.get_one(ResourceRow, rid)
        decided = row.decided_at
    local = decided.astimezone(ZoneInfo("America/Montreal"))
    zone = "HNE" if local.dst() == timedelta(0) else "HAE"
    html = client.get(f"/review/records/{rid}?lang=fr").text
    assert f"{local:%Y-%m-%d %H:%M} {zone}" in html
    history = html.split('id="history-table"')[1]
    assert f"{local:%Y-%m-%d %H:%M} {zone}" in history
    if local.utcoffset() != timedelta(0):  # Montreal is never UTC: the UTC wall clock is absent
        assert f"{decided.astimezone(UTC):%Y-%m-%d %H:%M}<" not in html
        assert f"{decided.astimezone(UTC):%Y-%m-%d %H:%M})" not in html
    queue = client.get("/review/queue?lang=fr").text
    assert re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d (HNE|HAE)", queue)
