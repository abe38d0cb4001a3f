"""A documentalist's work over HTTP: correct, apply a suggestion, approve, reject, bulk decide, and
what happens to corrections on the next harvests; publication with and without OpenSearch."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import lxml.html
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from opensearchpy import OpenSearch
from sqlalchemy import select

from ren_index.ledger.models import Event, Overlay
from ren_index.review.publish import UNREACHABLE_FR

from .review_support import *  # noqa: F403 - the fixtures
from .review_support import Demo, form_token

Login = Callable[..., TestClient]
NIVEAUX = "https://w3id.org/ren-index/vocab/niveaux/"
SEC4 = NIVEAUX + "secondaire-4"
ESCAPED_UNREACHABLE = UNREACHABLE_FR.replace("'", "&#39;")


def edit_form(html: str) -> dict[str, Any]:
    """The edit form's fields as a browser would send them (checked boxes, chosen options...)."""
    form = lxml.html.fromstring(html).get_element_by_id("edit-form")
    data: dict[str, Any] = {}
    for name, value in form.form_values():
        data.setdefault(name, []).append(value)
    return data


def follow(client: TestClient, response: Any) -> str:
    assert response.status_code == 303, response.text
    page = client.get(response.headers["location"])
    assert page.status_code == 200
    return page.text


def overlays(app: FastAPI, rid: str) -> dict[str, Any]:
    with app.state.ledger() as session:
        return {o.field: o.value for o in session.scalars(select(Overlay).where(Overlay.resource_id == rid))}


def save(client: TestClient, rid: str, action: str = "save", **changes: Any) -> Any:
    page = client.get(f"/review/records/{rid}").text
    data = edit_form(page)
    data.update({k: v for k, v in changes.items()})
    data["action"] = action
    return client.post(f"/review/records/{rid}/edit", data=data)


def test_a_correction_survives_reharvests_and_a_source_change_brings_it_back(
    logged_in: Login, demo: Demo
) -> None:
    client = logged_in()
    rid = demo.first("needs_review", "LICENCE_AMBIGUOUS").id
    number = demo.number_of(rid)
    html = follow(client, save(client, rid, title_fr="Titre corrigé par Dora", levels=[SEC4]))
    assert "« Titre corrigé par Dora » corrigée : titre, niveaux." in html  # one banner, by title
    stored = overlays(demo.app, rid)
    assert set(stored) == {"title", "levels"} and stored["levels"] == [SEC4]
    assert "Titre corrigé par Dora" in html and "4e secondaire" in html
    assert 'class="badge badge-corrected"' in html

    demo.reharvest()  # the unchanged source, harvested and processed again
    html = client.get(f"/review/records/{rid}").text
    assert "Titre corrigé par Dora" in html and "4e secondaire" in html
    assert "SOURCE_CHANGED_AFTER_EDIT" not in html
    assert overlays(demo.app, rid) == stored

    demo.reharvest(**{f"n{number}": {"title": "Nouveau titre de la source"}})
    row = demo.row(rid)
    assert row.status == "needs_review"
    assert "SOURCE_CHANGED_AFTER_EDIT" in {i["code"] for i in row.issues}
    html = client.get(f"/review/records/{rid}").text
    assert 'data-issue-code="SOURCE_CHANGED_AFTER_EDIT"' in html
    assert '<dd class="source-value">Nouveau titre de la source</dd>' in html
    assert '<dd class="corrected-value">Titre corrigé par Dora</dd>' in html
    assert "Garder ma correction" in html and "Prendre la valeur de la source" in html
    rid_queue = client.get("/review/queue?issue=SOURCE_CHANGED_AFTER_EDIT").text
    assert rid in rid_queue

    token = form_token(html, f"/review/records/{rid}/keep-correction")
    kept = follow(
        client,
        client.post(f"/review/records/{rid}/keep-correction", data={"csrf_token": token, "field": "title"}),
    )
    assert "« Titre corrigé par Dora » : correction maintenue." in kept
    assert "SOURCE_CHANGED_AFTER_EDIT" not in {i["code"] for i in demo.row(rid).issues}
    assert "Titre corrigé par Dora" in kept


def test_take_the_source_value_removes_the_correction(logged_in: Login, demo: Demo) -> None:
    client = logged_in()
    rid = demo.first("needs_review", "LICENCE_AMBIGUOUS").id
    follow(client, save(client, rid, title_fr="Ma correction"))
    demo.reharvest(**{f"n{demo.number_of(rid)}": {"title": "La source a changé"}})
    html = client.get(f"/review/records/{rid}").text
    index = next(
        i for i, issue in enumerate(demo.row(rid).issues) if issue["code"] == "SOURCE_CHANGED_AFTER_EDIT"
    )
    token = form_token(html, f"/review/records/{rid}/suggestion")
    html = follow(
        client, client.post(f"/review/records/{rid}/suggestion", data={"csrf_token": token, "issue": index})
    )
    assert "La source a changé" in html and "Ma correction" not in html.split('id="history"')[0]
    assert "title" not in overlays(demo.app, rid)


def test_apply_a_suggestion_in_one_click(logged_in: Login, demo: Demo) -> None:
    client = logged_in()
    row = demo.first("needs_review", "LICENCE_AMBIGUOUS")
    index = next(i for i, issue in enumerate(row.issues) if issue["code"] == "LICENCE_AMBIGUOUS")
    suggested = row.issues[index]["suggestion"]
    html = client.get(f"/review/records/{row.id}").text
    assert f'id="apply-suggestion-{index}"' in html and "Appliquer la suggestion" in html
    token = form_token(html, f"/review/records/{row.id}/suggestion")
    page = follow(
        client,
        client.post(f"/review/records/{row.id}/suggestion", data={"csrf_token": token, "issue": index}),
    )
    assert ": suggestion appliquée." in page
    assert overlays(demo.app, row.id)["licence"] == suggested
    assert "LICENCE_AMBIGUOUS" not in {i["code"] for i in demo.row(row.id).issues}


def test_approve_keeps_the_decision_when_opensearch_is_unreachable(logged_in: Login, demo: Demo) -> None:
    client = logged_in()
    ids = [demo.first("needs_review", "LICENCE_AMBIGUOUS").id]
    html = client.get(f"/review/records/{ids[0]}").text
    token = form_token(html, f"/review/records/{ids[0]}/approve")
    response = client.post(f"/review/records/{ids[0]}/approve", data={"csrf_token": token, "filters": ""})
    assert response.status_code == 303
    assert response.headers["location"] != f"/review/records/{ids[0]}"  # on to the next record
    page = follow(client, response)
    banners = lxml.html.fromstring(page).xpath('//main/div[contains(@class, "alert")]')
    assert len(banners) == 1  # one banner per action, not one per step
    title = demo.row(ids[0]).record["general"]["title"]
    assert f"« {title.get('fr') or title.get('en')} » approuvée." in banners[0].text_content()
    assert ids[0][:8] not in banners[0].text_content()  # named by its title, not its hash
    assert ESCAPED_UNREACHABLE in page and 'id="undo-button"' in page
    row = demo.row(ids[0])
    assert (row.status, row.decided_by, row.indexed_hash) == ("approved", "dora", None)
    record = client.get(f"/review/records/{ids[0]}").text
    assert "sera publiée au prochain « ren-index index »" in record


def test_reject_needs_a_reason(logged_in: Login, demo: Demo) -> None:
    client = logged_in()
    rid = demo.first("needs_review").id
    html = client.get(f"/review/records/{rid}").text
    token = form_token(html, f"/review/records/{rid}/reject")
    page = follow(
        client, client.post(f"/review/records/{rid}/reject", data={"csrf_token": token, "reason": " "})
    )
    assert "demande un motif" in page and demo.row(rid).status == "needs_review"
    follow(
        client,
        client.post(f"/review/records/{rid}/reject", data={"csrf_token": token, "reason": "hors sujet"}),
    )
    row = demo.row(rid)
    assert (row.status, row.decided_by) == ("rejected", "dora")
    record = client.get(f"/review/records/{rid}").text
    assert "hors sujet" in record and 'id="withdraw-button"' in record


def test_save_and_approve_then_withdraw(logged_in: Login, demo: Demo) -> None:
    client = logged_in()
    rid = demo.first("needs_review", "LICENCE_AMBIGUOUS").id
    follow(client, save(client, rid, "save_approve", title_en="An English title"))
    row = demo.row(rid)
    assert row.status == "approved" and overlays(demo.app, rid)["title"].get("en") == "An English title"
    html = client.get(f"/review/records/{rid}").text
    token = form_token(html, f"/review/records/{rid}/withdraw")
    page = follow(
        client,
        client.post(f"/review/records/{rid}/withdraw", data={"csrf_token": token, "reason": "à revoir"}),
    )
    assert "remise en file" in page
    assert (demo.row(rid).status, demo.row(rid).decided_by) == ("needs_review", "dora")


def test_bulk_approve_and_reject_from_the_queue(logged_in: Login, demo: Demo) -> None:
    client = logged_in()
    queue = client.get("/review/queue?source=demo-lom").text
    assert 'id="bulk-approve"' in queue and 'data-select-all="ids"' in queue
    token = form_token(queue, "/review/bulk")
    ids = [demo.first("needs_review", "LICENCE_AMBIGUOUS").id, demo.first("needs_review", "URL_INVALID").id]
    refused = follow(
        client, client.post("/review/bulk", data={"csrf_token": token, "action": "reject", "ids": ids})
    )
    assert "demande un motif" in refused
    data = {"csrf_token": token, "action": "approve", "ids": ids, "filters": "source=demo-lom"}
    response = client.post("/review/bulk", data=data)
    assert response.headers["location"] == "/review/queue?source=demo-lom"
    page = follow(client, response)
    assert "2 notice(s) approuvée(s)" in page and ESCAPED_UNREACHABLE in page
    assert all(demo.row(rid).status == "approved" for rid in ids)
    with demo.app.state.ledger() as session:
        actions = session.scalars(
            select(Event.action).where(Event.resource_id.in_(ids), Event.actor == "dora")
        )
        assert sorted(actions) == ["approved", "approved"]


def test_onerror_and_javascript_links_in_a_description_render_inert(logged_in: Login, demo: Demo) -> None:
    client = logged_in()
    rid = demo.first("approved").id
    hostile = (
        '<p>Texte <img src="x" onerror="alert(2)"> et <a href="javascript:alert(3)">un lien</a>'
        '<svg onload="alert(4)"></svg></p><script>alert(5)</script>'
    )
    demo.reharvest(**{f"n{demo.number_of(rid)}": {"description": hostile}})
    html = client.get(f"/review/records/{rid}").text
    tree = lxml.html.fromstring(html)
    for element in tree.iter():
        if not isinstance(element.tag, str):
            continue
        assert not [a for a in element.attrib if a.lower().startswith("on")], lxml.html.tostring(element)[
            :200
        ]
        assert not element.get("href", "").strip().lower().startswith("javascript:")
        assert element.tag not in ("img", "svg", "iframe", "object")
        if element.tag == "script":
            assert (element.get("src") or "").startswith("/static/") and not (element.text or "").strip()
    description = tree.get_element_by_id("field-description").text_content()
    assert "un lien" in description and "alert" not in description


@pytest.mark.integration
def test_approve_publishes_and_reject_removes(
    logged_in: Login, demo: Demo, opensearch_url: str, app: FastAPI
) -> None:
    prefix = f"test-review-web-{uuid.uuid4().hex[:8]}"
    app.state.settings = app.state.settings.model_copy(
        update={"opensearch_url": opensearch_url, "index_prefix": prefix}
    )
    search = OpenSearch(hosts=[opensearch_url])
    alias = f"{prefix}-resources"
    client = logged_in()
    rid = demo.first("needs_review", "LICENCE_AMBIGUOUS").id
    try:
        html = client.get(f"/review/records/{rid}").text
        token = form_token(html, f"/review/records/{rid}/approve")
        page = follow(client, client.post(f"/review/records/{rid}/approve", data={"csrf_token": token}))
        assert "publiée" in page and ESCAPED_UNREACHABLE not in page
        assert search.get(index=alias, id=rid)["found"]
        assert "Publiée dans l" in client.get(f"/review/records/{rid}").text

        follow(
            client,
            client.post(f"/review/records/{rid}/reject", data={"csrf_token": token, "reason": "doublon"}),
        )
        assert not search.exists(index=alias, id=rid)
        assert demo.row(rid).indexed_hash is None
    finally:
        search.indices.delete(index=f"{prefix}-*", ignore_unavailable=True)
