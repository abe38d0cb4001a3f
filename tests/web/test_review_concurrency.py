"""Two documentalists on one queue over HTTP: a post from a stale page answers 409 with the record
as it is now and what changed; bulk decisions refuse stale rows only; a decision's banner names the
record and undoes it; issue messages in the person's language first."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import lxml.html
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from .conftest import login
from .review_support import *  # noqa: F403 - the fixtures
from .review_support import Demo, form_token

Login = Callable[..., TestClient]


@pytest.fixture
def marie(app: FastAPI, make_user: Callable[..., str]) -> Iterator[TestClient]:
    """A second documentalist, in her own browser (her own cookies)."""
    make_user("marie", "documentalist")
    with TestClient(app, follow_redirects=False) as other:
        assert login(other, "marie").status_code == 303
        yield other


def form_data(html: str, form_id: str, **values: Any) -> dict[str, Any]:
    """A form's fields as a browser sends them, with ``values`` typed in."""
    form = lxml.html.fromstring(html).get_element_by_id(form_id)
    data: dict[str, Any] = {}
    for name, value in form.form_values():
        data.setdefault(name, []).append(value)
    data.update(values)
    return data


def approve_data(html: str) -> dict[str, Any]:
    form = lxml.html.fromstring(html).xpath('//form[contains(@class, "decision-approve")]')[0]
    return dict(form.form_values())


def banners(html: str) -> list[Any]:
    return list(lxml.html.fromstring(html).xpath('//main/div[contains(@class, "alert")]'))


def test_a_rejection_from_a_stale_page_is_refused_with_409_and_can_be_redone(
    logged_in: Login, marie: TestClient, demo: Demo
) -> None:
    dora = logged_in("dora")
    rid = demo.first("needs_review", "LICENCE_AMBIGUOUS").id
    stale_page = dora.get(f"/review/records/{rid}").text
    version = demo.row(rid).version
    assert f'name="version" value="{version}"' in stale_page

    marie_page = marie.get(f"/review/records/{rid}").text
    assert marie.post(f"/review/records/{rid}/approve", data=approve_data(marie_page)).status_code == 303
    assert demo.row(rid).version == version + 1

    data = form_data(stale_page, "reject-form", reason="Hors programme")
    answer = dora.post(f"/review/records/{rid}/reject", data=data)
    assert answer.status_code == 409
    tree = lxml.html.fromstring(answer.text)
    message = tree.get_element_by_id("conflict-message").text_content()
    assert "approuvée par marie à " in message and "décidez de nouveau" in message
    assert tree.get_element_by_id("record-status").text_content().strip() == "Approuvée"
    assert tree.get_element_by_id("reject-reason").get("value") == "Hors programme"  # kept
    assert f'name="version" value="{version + 1}"' in answer.text  # fresh forms
    row = demo.row(rid)
    assert (row.status, row.decided_by) == ("approved", "marie")

    again = dora.post(f"/review/records/{rid}/reject", data=form_data(answer.text, "reject-form"))
    assert again.status_code == 303
    row = demo.row(rid)
    assert (row.status, row.decided_by, row.version) == ("rejected", "dora", version + 2)


def test_the_409_page_speaks_english_to_an_english_reader(
    logged_in: Login, marie: TestClient, demo: Demo
) -> None:
    dora = logged_in("dora")
    rid = demo.first("needs_review").id
    stale_page = dora.get(f"/review/records/{rid}?lang=en").text
    marie.post(f"/review/records/{rid}/approve", data=approve_data(marie.get(f"/review/records/{rid}").text))
    answer = dora.post(f"/review/records/{rid}/reject", data=form_data(stale_page, "reject-form", reason="x"))
    assert answer.status_code == 409
    message = lxml.html.fromstring(answer.text).get_element_by_id("conflict-message").text_content()
    assert "approved by marie at " in message and "decide again" in message


def test_a_stale_correction_keeps_what_was_typed(logged_in: Login, marie: TestClient, demo: Demo) -> None:
    dora = logged_in("dora")
    rid = demo.first("needs_review", "LICENCE_AMBIGUOUS").id
    stale_page = dora.get(f"/review/records/{rid}").text
    theirs = form_data(marie.get(f"/review/records/{rid}").text, "edit-form", url="https://exemple.org/marie")
    assert marie.post(f"/review/records/{rid}/edit", data={**theirs, "action": "save"}).status_code == 303

    mine = form_data(stale_page, "edit-form", title_fr="Titre de Dora", comment="coquille")
    answer = dora.post(f"/review/records/{rid}/edit", data={**mine, "action": "save"})
    assert answer.status_code == 409
    tree = lxml.html.fromstring(answer.text)
    assert "corrigée par marie (adresse (URL))" in tree.get_element_by_id("conflict-message").text_content()
    assert tree.get_element_by_id("edit-title-fr").get("value") == "Titre de Dora"
    assert tree.get_element_by_id("edit-comment").get("value") == "coquille"
    assert "Titre de Dora" not in str(demo.row(rid).record)

    suggestion = form_token(stale_page, f"/review/records/{rid}/suggestion")
    index = next(i for i, issue in enumerate(demo.row(rid).issues) if issue["code"] == "LICENCE_AMBIGUOUS")
    stale_post = {"csrf_token": suggestion, "issue": index, "version": demo.row(rid).version - 1}
    assert dora.post(f"/review/records/{rid}/suggestion", data=stale_post).status_code == 409


def test_bulk_refuses_the_stale_rows_and_decides_the_others(
    logged_in: Login, marie: TestClient, demo: Demo
) -> None:
    dora = logged_in("dora")
    queue = dora.get("/review/queue?source=demo-lom").text
    boxes = lxml.html.fromstring(queue).xpath('//input[@name="ids"]')
    values = [box.get("value") for box in boxes[:3]]
    ids = [value.split(":")[0] for value in values]
    assert all(value == f"{rid}:{demo.row(rid).version}" for value, rid in zip(values, ids, strict=True))
    marie.post(
        f"/review/records/{ids[1]}/approve", data=approve_data(marie.get(f"/review/records/{ids[1]}").text)
    )
    data = {"csrf_token": form_token(queue, "/review/bulk"), "action": "approve", "ids": values}
    page = dora.get(dora.post("/review/bulk", data=data).headers["location"]).text
    (banner,) = banners(page)
    text = banner.text_content()
    assert "2 notice(s) approuvée(s)." in text and "1 notice(s) modifiée(s)" in text
    assert "approuvée par marie" in text
    assert [demo.row(rid).decided_by for rid in ids] == ["dora", "marie", "dora"]


def test_undo_from_the_banner_returns_the_record_to_the_queue(
    logged_in: Login, marie: TestClient, demo: Demo
) -> None:
    dora = logged_in("dora")
    rid = demo.first("needs_review", "LICENCE_AMBIGUOUS").id
    title = demo.row(rid).record["general"]["title"]
    named = title.get("fr") or title.get("en")
    page = dora.get(f"/review/records/{rid}").text
    after = dora.get(dora.post(f"/review/records/{rid}/approve", data=approve_data(page)).headers["location"])
    (banner,) = banners(after.text)
    assert f"« {named} » approuvée." in banner.text_content()
    undo_form = lxml.html.fromstring(after.text).get_element_by_id("undo-form")
    assert undo_form.get("method") == "post" and undo_form.get("action") == f"/review/records/{rid}/undo"
    undo = dict(undo_form.form_values())
    assert undo["csrf_token"] and undo["version"] == str(demo.row(rid).version)

    refused = marie.post(
        f"/review/records/{rid}/undo",
        data={**undo, "csrf_token": form_token(marie.get("/review/queue").text)},
    )
    assert "seul son auteur (dora)" in marie.get(refused.headers["location"]).text
    assert demo.row(rid).status == "approved"

    done = dora.post(f"/review/records/{rid}/undo", data=undo)
    assert done.headers["location"].startswith(f"/review/records/{rid}")
    record = dora.get(done.headers["location"]).text
    (banner,) = banners(record)
    assert f"Décision annulée : « {named} » est de nouveau à réviser." in banner.text_content()
    row = demo.row(rid)
    assert (row.status, row.decided_by) == ("needs_review", "rules")
    history = lxml.html.fromstring(record).get_element_by_id("history-table").text_content()
    assert "Annulation d'une décision" in history and "Approbation" in history

    again = dora.post(f"/review/records/{rid}/undo", data=undo)
    refusal = dora.get(again.headers["location"]).text
    assert "Impossible d&#39;annuler : la notice a changé depuis : décision annulée par dora" in refusal


def test_issue_messages_in_the_readers_language_first(logged_in: Login, demo: Demo) -> None:
    client = logged_in("dora")
    row = demo.first("needs_review", "LICENCE_AMBIGUOUS")
    issue = next(i for i in row.issues if i["code"] == "LICENCE_AMBIGUOUS")
    for lang, first, other, summary in (
        ("fr", issue["message_fr"], issue["message_en"], "English"),
        ("en", issue["message_en"], issue["message_fr"], "Français"),
    ):
        tree = lxml.html.fromstring(client.get(f"/review/records/{row.id}?lang={lang}").text)
        item = tree.xpath('//li[@data-issue-code="LICENCE_AMBIGUOUS"]')[0]
        shown = item.xpath('./p[contains(@class, "issue__message")]')
        assert [p.text_content() for p in shown] == [first]
        hidden = item.xpath("./details")[0]
        assert hidden.xpath("./summary")[0].text_content() == summary
        assert hidden.xpath("./p")[0].text_content() == other
