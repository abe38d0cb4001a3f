"""A platform's contributions in the review UI: shown like any record with their contributor and
platform, marked and filtered in the queue, named on the dashboard and the runs page, carried by
``review show --json``, and told to their platform after every person's decision.

The contributions go through the real path (``create_platform`` as ``ren-index platforms add``
does, then the contributions service: mapper, validation, decision) into a copy of the processed
demo catalogue, so the queue holds harvested records and contributions side by side.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from ren_index.cli.main import app as cli_app
from ren_index.config.rules import load_portals
from ren_index.contributions.platforms import create_platform
from ren_index.contributions.service import submit_json
from ren_index.ledger.models import Platform, ResourceRow, SourceRow
from ren_index.settings import Settings
from ren_index.web.review import deps as review_deps

from .review_support import *  # noqa: F403 - the fixtures
from .review_support import CONFIG, RULEBOOK, Demo, form_token

Login = Callable[..., TestClient]
PLATFORM = "ma-classe"
LABEL = "Ma classe (École ouverte)"
HOSTILE = '<script>alert("x")</script>'
HOSTILE_ORG = "<img src=x onerror=alert(1)>"


def body(external_id: str, **changes: Any) -> dict[str, Any]:
    """A contribution as Ma classe sends it (``None`` removes a field)."""
    document: dict[str, Any] = {
        "external_id": external_id,
        "title": "Les fractions dans la cuisine",
        "description": "Les élèves mesurent des ingrédients pour comparer et additionner des fractions.",
        "url": f"https://ma-classe.example.org/ressources/{external_id}",
        "languages": ["fr"],
        "levels": ["3e secondaire"],
        "licence": "CC BY 4.0",
        "contributor": {"id": "u-42", "display_name": "Marie T.", "organisation": "CSS des Découvreurs"},
    }
    document.update(changes)
    return {k: v for k, v in document.items() if v is not None}


def add_platform(app: FastAPI, callback_url: str | None = None) -> dict[str, str]:
    """The platform and two contributions waiting: ``fr`` (with its contributor), ``en`` (without)."""
    factory: sessionmaker[Session] = app.state.ledger
    info, _key = create_platform(
        factory,
        PLATFORM,
        portal="ecole-ouverte",
        label=LABEL,
        callback_url=callback_url,
        portals=list(load_portals(CONFIG)),
    )
    french = submit_json(factory, RULEBOOK, info, body("mc-1"))
    english = submit_json(
        factory,
        RULEBOOK,
        info,
        body("mc-2", title="Fractions in the kitchen", languages=["en"], contributor=None),
    )
    assert french.status == english.status == "needs_review"  # review: always
    return {"fr": french.id, "en": english.id}


@pytest.fixture
def contributions(app: FastAPI) -> dict[str, str]:
    return add_platform(app)


def rows_of(html: str) -> list[str]:
    return re.findall(r'<tr data-record-id="([0-9a-f]+)"', html)


def option_count(html: str, name: str, value: str) -> int | None:
    """The count beside ``value`` in the ``name`` filter (``None`` when it is not offered)."""
    select_html = re.search(rf'<select id="filter-{name}".*?</select>', html, re.DOTALL)
    assert select_html, f"no {name} filter"
    found = re.search(
        rf'<option value="{re.escape(value)}"[^>]*>[^<]*\((\d+)\)</option>', select_html.group(0)
    )
    return int(found.group(1)) if found else None


def waiting(demo: Demo, **where: Any) -> list[ResourceRow]:
    with demo.app.state.ledger() as session:
        query = select(ResourceRow).where(ResourceRow.status == "needs_review")
        for column, value in where.items():
            query = query.where(getattr(ResourceRow, column) == value)
        return list(session.scalars(query))


# The record page --------------------------------------------------------------------------------


def test_the_record_page_says_who_contributed_it_and_through_which_platform(
    logged_in: Login, demo: Demo, contributions: dict[str, str]
) -> None:
    client = logged_in()
    html = client.get(f"/review/records/{contributions['fr']}").text
    assert 'id="contribution-badge"' in html
    assert "Contribution de Marie T. (CSS des Découvreurs)" in html
    assert f"Plateforme : {LABEL}" in html
    provenance = html.split('id="field-provenance"')[1].split("</dd>")[0]
    assert "reçue le" in provenance and "<code>mc-1</code>" in provenance
    assert "moissonnée le" not in provenance and "modifiée à la source" not in provenance
    assert "soumis :" in html and "moissonné :" not in html  # the licence as submitted
    assert "Métadonnées soumises (JSON)" in html
    assert "Contribution reçue" in html and "Plateforme ma-classe" in html  # its history, in words

    unknown = client.get(f"/review/records/{contributions['en']}").text
    assert "Contributeur non précisé par la plateforme" in unknown

    harvested = client.get(f"/review/records/{demo.first('needs_review').id}").text
    assert 'id="contribution-badge"' not in harvested and "Plateforme :" not in harvested
    assert "moissonnée le" in harvested and "Métadonnées moissonnées" in harvested

    english = client.get(f"/review/records/{contributions['fr']}?lang=en").text
    assert "Contributed by Marie T. (CSS des Découvreurs)" in english
    assert f"Platform: {LABEL}" in english and "received on" in english
    assert "Submitted metadata (JSON)" in english and "Platform ma-classe" in english


def test_a_hostile_contributor_and_platform_label_are_shown_as_text(
    logged_in: Login, demo: Demo, contributions: dict[str, str]
) -> None:
    with demo.app.state.ledger.begin() as session:
        row = session.get_one(ResourceRow, contributions["fr"])
        record = json.loads(json.dumps(row.record))
        record["provenance"]["contributor"] = {
            "id": "u-1",
            "display_name": HOSTILE,
            "organisation": HOSTILE_ORG,
        }
        row.record = record
        session.get_one(SourceRow, PLATFORM).name = HOSTILE
    client = logged_in()
    for path in (f"/review/records/{contributions['fr']}", "/review/queue", "/review/"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert HOSTILE not in response.text and HOSTILE_ORG not in response.text, path
        assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in response.text, path
        assert "script-src 'self'" in response.headers["content-security-policy"]
    page = client.get(f"/review/records/{contributions['fr']}").text
    assert "&lt;img src=x onerror=alert(1)&gt;" in page


# The queue ----------------------------------------------------------------------------------------


def test_the_queue_marks_contributions_and_filters_them_by_origin(
    logged_in: Login, demo: Demo, contributions: dict[str, str]
) -> None:
    client = logged_in()
    harvested = len(waiting(demo)) - 2
    page = client.get("/review/queue?size=100").text
    assert option_count(page, "origin", "contributions") == 2
    assert option_count(page, "origin", "harvested") == harvested
    assert option_count(page, "source", PLATFORM) == 2  # the platform is a source like any other
    assert f'<option value="{PLATFORM}">{LABEL} (2)</option>' in page

    only = client.get("/review/queue?origin=contributions").text
    assert sorted(rows_of(only)) == sorted(contributions.values())
    assert only.count('class="badge badge-info badge-contribution"') == 2  # the marker, on each row
    assert "2 notice(s)" in only
    assert f"/review/records/{contributions['fr']}?origin=contributions" in only  # kept on the way

    others = client.get("/review/queue?origin=harvested&size=100").text
    assert f"{harvested} notice(s)" in others and "badge-contribution" not in others
    assert not set(rows_of(others)) & set(contributions.values())


def test_the_origin_filter_combines_with_the_other_filters_and_counts_right(
    logged_in: Login, demo: Demo, contributions: dict[str, str]
) -> None:
    client = logged_in()
    english_harvested = [
        r
        for r in waiting(demo)
        if r.source_id != PLATFORM
        and any(tag.split("-")[0] == "en" for tag in r.record["controlled"]["languages"])
    ]
    page = client.get("/review/queue?language=en").text
    assert option_count(page, "origin", "contributions") == 1  # the origins within English records
    assert option_count(page, "origin", "harvested") == (len(english_harvested) or None)
    both = client.get("/review/queue?language=en&origin=contributions").text
    assert rows_of(both) == [contributions["en"]]
    assert option_count(both, "language", "fr") == 1  # the languages within contributions
    nothing = client.get("/review/queue?source=demo-lom&origin=contributions").text
    assert rows_of(nothing) == [] and 'id="queue-empty"' in nothing
    ignored = client.get("/review/queue?origin=everything&size=100").text  # not an origin: no filter
    assert len(rows_of(ignored)) == min(100, len(waiting(demo)))


# Dashboard, runs, the command line ---------------------------------------------------------------


def test_the_dashboard_marks_the_platform_and_the_runs_page_lists_it(
    logged_in: Login, contributions: dict[str, str]
) -> None:
    client = logged_in()
    board = client.get("/review/").text
    row = re.search(rf"<tr>\s*<th scope=\"row\"><a [^>]*source={PLATFORM}\">.*?</tr>", board, re.DOTALL)
    assert row and LABEL in row.group(0) and "plateforme de contributions" in row.group(0)
    assert board.count("plateforme de contributions") == 1  # harvested sources are not marked
    runs = client.get("/review/runs")
    assert runs.status_code == 200 and LABEL in runs.text  # a source without a url


def test_review_show_json_carries_the_contributor_and_the_source_type(
    demo: Demo, contributions: dict[str, str]
) -> None:
    runner = CliRunner()
    shown = runner.invoke(cli_app, ["review", "show", contributions["fr"][:12], "--json"])
    assert shown.exit_code == 0, shown.output
    view = json.loads(shown.stdout)
    assert view["source"] == PLATFORM and view["source_type"] == "contributions"
    assert view["contributor"] == {
        "id": "u-42",
        "display_name": "Marie T.",
        "organisation": "CSS des Découvreurs",
    }
    queued = json.loads(runner.invoke(cli_app, ["queue", "--origin", "contributions", "--json"]).stdout)
    assert sorted(v["id"] for v in queued) == sorted(contributions.values())
    harvested = json.loads(runner.invoke(cli_app, ["queue", "--origin", "harvested", "--json"]).stdout)
    assert harvested and all(v["source_type"] == "oai" and v["contributor"] is None for v in harvested)
    assert runner.invoke(cli_app, ["queue", "--origin", "elsewhere"]).exit_code == 2  # a usage error


# Telling the platform ------------------------------------------------------------------------------


class Calls:
    """Stands for ``deliver_pending``: records each call with the record's status at that moment."""

    def __init__(self, app: FastAPI, watched: dict[str, str]) -> None:
        self.app = app
        self.watched = watched
        self.made: list[dict[str, Any]] = []

    def __call__(
        self, factory: sessionmaker[Session], settings: Settings, *, platform: str | None = None
    ) -> dict[str, int]:
        with factory() as session:
            statuses = {k: session.get_one(ResourceRow, rid).status for k, rid in self.watched.items()}
        self.made.append(
            {
                "platform": platform,
                "statuses": statuses,
                "app": factory is self.app.state.ledger and settings is self.app.state.settings,
            }
        )
        return {"delivered": 1}


def post(client: TestClient, rid: str, action: str, **data: Any) -> None:
    html = client.get(f"/review/records/{rid}").text
    path = f"/review/records/{rid}/{action}"
    response = client.post(path, data={"csrf_token": form_token(html, path), "filters": "", **data})
    assert response.status_code == 303, response.text


def test_every_decision_on_a_contribution_tells_its_platform_after_it_is_saved(
    logged_in: Login, demo: Demo, contributions: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = Calls(demo.app, contributions)
    monkeypatch.setattr(review_deps, "deliver_pending", calls)
    client = logged_in()
    harvested = [r.id for r in waiting(demo, source_id="demo-lom")[:2]]

    post(client, harvested[0], "approve")
    assert calls.made == []  # a harvested record: nobody to tell

    post(client, contributions["fr"], "approve")
    assert calls.made[-1] == {
        "platform": PLATFORM,
        "statuses": {"fr": "approved", "en": "needs_review"},
        "app": True,
    }
    post(client, contributions["fr"], "withdraw", reason="À revoir")
    assert calls.made[-1]["statuses"]["fr"] == "needs_review"
    post(client, contributions["en"], "reject", reason="Hors sujet")
    assert calls.made[-1]["statuses"]["en"] == "rejected"
    assert len(calls.made) == 3

    queue = client.get("/review/queue").text
    ids = [harvested[1], contributions["fr"]]
    response = client.post(
        "/review/bulk",
        data={"csrf_token": form_token(queue, "/review/bulk"), "action": "approve", "ids": ids},
    )
    assert response.status_code == 303
    assert len(calls.made) == 4 and calls.made[-1]["statuses"]["fr"] == "approved"

    edit = client.get(f"/review/records/{contributions['en']}").text
    form = {
        "csrf_token": form_token(edit, f"/review/records/{contributions['en']}/edit"),
        "title_fr": "Corrigé",
    }
    assert (
        client.post(
            f"/review/records/{contributions['en']}/edit", data={**form, "action": "save"}
        ).status_code
        == 303
    )
    assert len(calls.made) == 4  # a correction alone is no decision
    saved = client.post(
        f"/review/records/{contributions['en']}/edit", data={**form, "action": "save_approve"}
    )
    assert saved.status_code == 303
    assert len(calls.made) == 5 and calls.made[-1]["statuses"]["en"] == "approved"
    assert {c["platform"] for c in calls.made} == {PLATFORM}


def test_a_cli_decision_on_a_contribution_tells_its_platform(
    demo: Demo, contributions: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from ren_index.cli import review as cli_review

    calls = Calls(demo.app, contributions)
    monkeypatch.setattr(cli_review, "deliver_pending", calls)
    runner = CliRunner()
    harvested = waiting(demo, source_id="demo-lom")[0].id
    assert runner.invoke(cli_app, ["review", "approve", harvested, "--as", "marie"]).exit_code == 0
    assert calls.made == []
    approved = runner.invoke(cli_app, ["review", "approve", contributions["fr"], "--as", "marie"])
    assert approved.exit_code == 0, approved.output
    assert [c["platform"] for c in calls.made] == [PLATFORM]
    assert calls.made[0]["statuses"]["fr"] == "approved"
    assert f"{PLATFORM}: 1 avis envoyé(s) / notice(s) sent" in approved.stderr


class Receiver:
    """The platform's callback endpoint: a real HTTP server on 127.0.0.1 keeping what it is POSTed."""

    def __init__(self) -> None:
        self.bodies: list[Any] = []
        bodies = self.bodies

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                bodies.append(json.loads(self.rfile.read(length)))
                self.send_response(204)
                self.end_headers()

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        host, port = self.server.server_address[:2]
        self.host = f"{host!s}:{port}"
        self.url = f"http://{self.host}/callbacks"
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    yield server
    server.close()


def test_a_web_decision_reaches_the_platforms_callback_url(
    logged_in: Login, demo: Demo, receiver: Receiver
) -> None:
    demo.app.state.settings.callback_allow_hosts = [receiver.host]  # a local receiver, for the test
    contributions = add_platform(demo.app, callback_url=receiver.url)
    client = logged_in()
    post(client, contributions["en"], "reject", reason="Hors sujet")
    assert len(receiver.bodies) == 1
    notice = receiver.bodies[0]
    assert notice["external_id"] == "mc-2" and notice["id"] == contributions["en"]
    assert notice["status"] == "rejected" and notice["decision"]["reason"] == "Hors sujet"
    assert notice["decision"]["by_role"] == "documentalist"  # the role, never the person's name
    post(client, demo.first("needs_review").id, "approve")  # harvested: nothing more is sent
    assert len(receiver.bodies) == 1


def test_a_platform_that_is_down_neither_breaks_nor_undoes_the_decision(logged_in: Login, demo: Demo) -> None:
    down = "127.0.0.1:9"  # nobody listens there
    demo.app.state.settings.callback_allow_hosts = [down]
    contributions = add_platform(demo.app, callback_url=f"http://{down}/callbacks")
    client = logged_in()
    post(client, contributions["fr"], "approve")
    assert demo.row(contributions["fr"]).status == "approved"
    with demo.app.state.ledger() as session:
        platform = session.get_one(Platform, PLATFORM)
        assert platform.callback_attempts == 1 and platform.callback_next_at is not None  # retried later
    assert client.get(f"/review/records/{contributions['fr']}").status_code == 200
