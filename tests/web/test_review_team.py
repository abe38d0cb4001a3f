"""The queue at team scale over HTTP (issue 14): claims between two people, search, saved views.

Two documentalists (two clients of one app, two sessions): what one opens, the other sees as
theirs in the queue and on the record page, and can take over explicitly (POST + CSRF). The
queue's search and claim filter narrow the rows and the counts alike; saved views are a person's
own. Runs on SQLite, or PostgreSQL when ``REN_TEST_POSTGRES_URL`` is set.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable, Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from ren_index.config.clock import MONTREAL, ZONE_NAMES
from ren_index.ledger.models import Claim, Event, SavedView
from ren_index.review import claims
from ren_index.review.queue_text import folded

from .conftest import login
from .review_support import *  # noqa: F403 - the fixtures
from .review_support import Demo, form_token


def rows_of(html: str) -> list[str]:
    return re.findall(r'<tr data-record-id="([0-9a-f]+)"', html)


@pytest.fixture
def two(app: FastAPI, make_user: Callable[..., str]) -> Iterator[tuple[TestClient, TestClient]]:
    """Marie and Paul, documentalists, each logged in with their own session."""
    with TestClient(app, follow_redirects=False) as marie, TestClient(app, follow_redirects=False) as paul:
        for client, name in ((marie, "marie"), (paul, "paul")):
            make_user(name, "documentalist")
            assert login(client, name).status_code == 303
        yield marie, paul


def holder(demo: Demo, rid: str) -> str | None:
    with demo.app.state.ledger() as session:
        row = session.get(Claim, rid)
        return row.user_name if row is not None else None


def test_what_one_opens_the_other_sees_and_can_take_over(
    two: tuple[TestClient, TestClient], demo: Demo
) -> None:
    marie, paul = two
    rid = demo.first("needs_review").id
    page = marie.get(f"/review/records/{rid}")
    assert (
        page.status_code == 200 and 'id="record-claim"' in page.text and "Vous avez cette notice" in page.text
    )
    claim = claims.current(demo.app.state.ledger, rid)
    assert claim is not None and claim.user_name == "marie"
    local = claim.claimed_at.astimezone(MONTREAL)
    since = f"{local.hour} h {local.minute:02d} {ZONE_NAMES[local.tzname() or '']}"

    queue = paul.get("/review/queue?size=100").text
    row = re.search(rf'<tr data-record-id="{rid}">(.*?)</tr>', queue, re.S)
    assert row and f'data-claimed-by="marie">pris par marie depuis {since}</span>' in row.group(1)
    english = paul.get("/review/queue?size=100&lang=en").text
    assert re.search(r"claimed by marie since \d{1,2}:\d\d [AP]M E[SD]T<", english)

    seen = paul.get(f"/review/records/{rid}?lang=fr").text
    assert f"marie travaille sur cette notice depuis {since}" in seen
    assert 'id="take-over"' in seen and 'id="approve-button"' in seen  # informs, never blocks
    assert holder(demo, rid) == "marie"  # shown, not taken

    assert paul.post(f"/review/records/{rid}/claim", data={"filters": ""}).status_code == 403  # no CSRF
    token = form_token(seen, f"/review/records/{rid}/claim")
    taken = paul.post(
        f"/review/records/{rid}/claim", data={"csrf_token": token, "filters": "source=demo-lom"}
    )
    assert taken.status_code == 303 and taken.headers["location"] == f"/review/records/{rid}?source=demo-lom"
    assert holder(demo, rid) == "paul"
    after = paul.get(taken.headers["location"]).text
    assert "Vous avez pris la main sur cette notice (elle était à marie)." in after
    with demo.app.state.ledger() as session:
        event = session.scalars(
            select(Event).where(Event.resource_id == rid, Event.action == "claim_taken_over")
        ).one()
    assert (event.actor, event.before, event.after) == (
        "paul",
        {"claimed_by": "marie"},
        {"claimed_by": "paul"},
    )
    assert "Prise en main d'une notice" in html.unescape(marie.get(f"/review/records/{rid}").text)  # history


def test_a_reader_sees_claims_but_takes_none(
    two: tuple[TestClient, TestClient], demo: Demo, app: FastAPI, make_user: Callable[..., str]
) -> None:
    marie, _paul = two
    rid = demo.first("needs_review").id
    with TestClient(app, follow_redirects=False) as lib:
        make_user("lib", "librarian")
        login(lib, "lib")
        assert 'id="record-claim"' not in lib.get(f"/review/records/{rid}").text
        assert holder(demo, rid) is None
        marie.get(f"/review/records/{rid}")
        seen = lib.get(f"/review/records/{rid}").text
        assert "marie travaille sur cette notice" in seen and 'id="take-over"' not in seen
    assert holder(demo, rid) == "marie"


def test_the_claim_filter_and_its_counts(two: tuple[TestClient, TestClient], demo: Demo) -> None:
    marie, paul = two
    waiting = rows_of(marie.get("/review/queue?size=100").text)
    first, second = waiting[0], waiting[1]
    marie.get(f"/review/records/{first}")
    paul.get(f"/review/records/{second}")
    mine = marie.get("/review/queue?claim=mine&size=100").text
    assert rows_of(mine) == [first]
    assert '<option value="mine" selected>Les miens (1)</option>' in mine
    unclaimed = marie.get("/review/queue?claim=unclaimed&size=100").text
    assert set(rows_of(unclaimed)) == set(waiting) - {first, second}
    assert f'<option value="unclaimed" selected>Non pris ({len(waiting) - 2})</option>' in unclaimed
    assert f"{len(waiting) - 2} notice(s)" in unclaimed
    assert f'<option value="">Tous ({len(waiting)})</option>' in unclaimed
    # Opening the next record from the "mine" queue keeps the filter in its links.
    record = marie.get(f"/review/records/{first}?claim=mine").text
    assert 'href="/review/queue?claim=mine" id="back-to-queue"' in record


def test_search_narrows_rows_and_counts(two: tuple[TestClient, TestClient], demo: Demo) -> None:
    marie, _paul = two
    row = demo.first("needs_review", source="demo-lom")
    title = next(iter(row.record["general"]["title"].values()))
    words = [w for w in title.split() if len(w) > 4]
    term = folded(max(words, key=len)).upper()  # no accents, capitals: still found
    page = marie.get("/review/queue", params={"q": term, "size": 100}).text
    ids = rows_of(page)
    assert row.id in ids
    for rid in ids:  # every row listed holds the term, accents and case aside
        record = demo.row(rid).record
        assert term.lower() in folded(json.dumps(record, ensure_ascii=False))
    assert f"{len(ids)} notice(s)" in page
    assert f'value="{term}"' in page  # the search box keeps the term
    lom = marie.get("/review/queue", params={"q": term, "source": "demo-lom", "size": 100}).text
    counted = re.search(r'<option value="demo-lom" selected>.*?\((\d+)\)</option>', lom)
    assert counted and int(counted.group(1)) == len(rows_of(lom))
    nothing = marie.get("/review/queue", params={"q": "%_%"}).text
    assert rows_of(nothing) == [] and 'id="queue-empty"' in nothing  # wildcards are plain characters


def test_saved_views_are_saved_opened_and_deleted_per_person(
    two: tuple[TestClient, TestClient], demo: Demo
) -> None:
    marie, paul = two
    page = marie.get("/review/queue?source=demo-lom&issue=LICENCE_AMBIGUOUS&sort=source").text
    assert 'id="saved-views-none"' in page
    token = form_token(page, "/review/views")
    filters = re.search(r'id="save-view-form">.*?name="filters" value="([^"]*)"', page, re.S)
    assert filters
    saved = marie.post(
        "/review/views",
        data={
            "csrf_token": token,
            "name": "Démo LOM — licences",
            "filters": filters.group(1).replace("&amp;", "&"),
        },
    )
    assert saved.status_code == 303
    target = saved.headers["location"]
    assert target == "/review/queue?source=demo-lom&issue=LICENCE_AMBIGUOUS&sort=source"
    opened = marie.get(target).text
    assert "Vue « Démo LOM — licences » enregistrée." in opened
    link = re.search(
        r'<a href="([^"]+)" class="saved-view__link" aria-current="true">Démo LOM — licences</a>', opened
    )
    assert link and link.group(1).replace("&amp;", "&") == target
    assert rows_of(opened) == rows_of(marie.get(target).text)

    others = paul.get("/review/queue").text
    assert "Démo LOM — licences" not in others and 'id="saved-views-none"' in others
    with demo.app.state.ledger() as session:
        view_id = session.scalars(select(SavedView.id).where(SavedView.user_name == "marie")).one()
    refused = paul.post(
        f"/review/views/{view_id}/delete", data={"csrf_token": form_token(others), "filters": ""}
    )
    assert refused.status_code == 303
    assert "Cette vue n'existe pas ou n'est pas la vôtre." in html.unescape(paul.get("/review/queue").text)
    assert "Démo LOM — licences" in marie.get("/review/queue").text

    token = form_token(opened, f"/review/views/{view_id}/delete")
    gone = marie.post(f"/review/views/{view_id}/delete", data={"csrf_token": token, "filters": ""})
    assert gone.status_code == 303
    after = marie.get("/review/queue").text
    assert "Vue « Démo LOM — licences » supprimée." in after and 'id="saved-views-none"' in after
    assert marie.post("/review/views", data={"name": "x", "filters": ""}).status_code == 403  # CSRF
