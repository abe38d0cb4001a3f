"""The duplicates review pages (issue 16) over the hand-written duplicates ledger, on both ledgers.

The ledger is ``tests/duplicates/ledger_corpus.py`` after one pass of the duplicates step: the
textbook's three copies grouped by the rules, its translation, first edition and chapter waiting
for a person. What each page must show is read from that file (which record says what) or from the
ledger's tables directly, never from the code that draws the pages. OpenSearch is a closed port:
publication after a label is deferred, which the banner says.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from tests.duplicates.ledger_corpus import RECORDS, SAME_GROUP, SOURCES, DupLedger, build

from ren_index.ledger.duplicates import group_of, ordered
from ren_index.ledger.models import DupMember, DupPair, Event
from ren_index.settings import load_settings
from ren_index.steps.duplicates import find_duplicates
from ren_index.web import accounts
from ren_index.web.app import create_app

from .conftest import CLOSED_PORT_URL, PASSWORD, csrf_from, login

CONFIG = Path(__file__).resolve().parents[2] / "config"
HOSTILE = "General Chemistry, 2nd edition <script>alert('titre')</script>"
_ROW = re.compile(r'<tr class="dup-row[^"]*" data-field="(\w+)" data-differs="(true|false)">(.*?)</tr>', re.S)
_PAIR_ROW = re.compile(r'<tr data-pair="(\w+)/(\w+)" data-status="(\w+)" data-relation="(\w+)">')


@dataclass
class Pages:
    dup: DupLedger
    client: TestClient

    def id(self, key: str) -> str:
        return self.dup.ids[key]

    def pair(self, a: str, b: str) -> DupPair:
        with self.dup.factory() as session:
            return session.get_one(DupPair, ordered(self.id(a), self.id(b)))

    def pair_path(self, a: str, b: str) -> str:
        return f"/review/duplicates/{self.id(a)}/{self.id(b)}"

    def listed(self, query: str = "") -> list[tuple[str, str, str, str]]:
        """The list's rows as (key a, key b, status, relation)."""
        response = self.client.get(f"/review/duplicates{query}")
        assert response.status_code == 200, response.text
        return [(self.dup.key(a), self.dup.key(b), s, r) for a, b, s, r in _PAIR_ROW.findall(response.text)]

    def as_user(self, name: str) -> None:
        self.client.cookies.clear()
        assert login(self.client, name).status_code == 303


@pytest.fixture
def pages(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, ledger_url: Callable[..., str]) -> Iterator[Pages]:
    records = tuple(replace(r, title={"en": HOSTILE}) if r.key == "chemistry-en" else r for r in RECORDS)
    dup = build(ledger_url, records)
    find_duplicates(dup.factory)
    monkeypatch.setenv("REN_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("REN_CONFIG_DIR", str(CONFIG))
    monkeypatch.setenv("REN_OPENSEARCH_URL", CLOSED_PORT_URL)
    monkeypatch.setenv("REN_LOGIN_FAILURE_DELAY", "0")
    monkeypatch.setenv("REN_DATABASE_URL", dup.url)
    monkeypatch.delenv("REN_SECRET_KEY", raising=False)
    monkeypatch.delenv("REN_COOKIE_SECURE", raising=False)
    app = create_app(load_settings())
    with app.state.ledger() as session:
        accounts.set_user(session, "dora", "documentalist", PASSWORD, actor="test")
        accounts.set_user(session, "lea", "librarian", PASSWORD, actor="test")
        session.commit()
    with TestClient(app, follow_redirects=False) as client:
        yield Pages(dup, client)
    bind = dup.factory.kw.get("bind")
    if bind is not None:
        bind.dispose()


def _statuses(pages: Pages) -> dict[str, int]:
    with pages.dup.factory() as session:
        return dict(session.execute(select(DupPair.status, func.count()).group_by(DupPair.status)).all())


def test_the_list_shows_the_pending_pairs_with_words_and_the_counts_per_status(pages: Pages) -> None:
    pages.as_user("dora")
    rows = pages.listed()
    counts = _statuses(pages)
    assert len(rows) == counts["pending"] and {s for _a, _b, s, _r in rows} == {"pending"}
    keyed = {frozenset((a, b)): r for a, b, _s, r in rows}
    assert keyed[frozenset({"chimie-editeur", "chemistry-en"})] == "translation"
    assert keyed[frozenset({"chimie-editeur", "chimie-1re"})] == "version"
    assert not any(frozenset({a, b}) <= SAME_GROUP for a, b, _s, _r in rows)  # grouped by the rules
    html = pages.client.get("/review/duplicates").text
    for status, words in (("pending", "En attente"), ("confirmed", "Confirmée")):
        assert f'<option value="{status}"' in html
        assert re.search(rf'data-count="{counts.get(status, 0)}">{words} \({counts.get(status, 0)}\)', html)
    assert 'data-count="0">Rejetée : ressources différentes (0)' in html
    assert f"Tous les statuts ({sum(counts.values())})" in html
    row = html[html.index(pages.id("chemistry-en")) :]
    row = row[: row.index("</tr>")]
    assert "Une traduction" in row and "même adresse dans une autre langue" in row
    assert "Éditions du Cégep" in row  # the sources by name
    # The pair of the first edition: its score as a percentage, the text similarity in words.
    pair = pages.pair("chimie-editeur", "chimie-1re")
    version = html[
        html.index(f'data-pair="{"/".join(ordered(pages.id("chimie-editeur"), pages.id("chimie-1re")))}"') :
    ]
    version = version[: version.index("</tr>")]
    assert f"{round(pair.score * 100)} %" in version
    assert f"textes semblables à {round(pair.reasons['text'] * 100)} %" in version


def test_the_list_speaks_english_when_asked(pages: Pages) -> None:
    pages.as_user("dora")
    html = pages.client.get("/review/duplicates?lang=en").text
    assert "Suspected duplicates" in html and "A translation" in html
    assert "same URL in another language" in html
    assert "Another version" in html and "Pending" in html and "Une traduction" not in html


def test_the_list_filters_by_status_and_by_source(pages: Pages) -> None:
    pages.as_user("dora")
    confirmed = pages.listed("?status=confirmed")
    assert {frozenset((a, b)) for a, b, _s, _r in confirmed} == {
        frozenset(p)
        for p in (
            ("chimie-editeur", "chimie-biblio"),
            ("chimie-editeur", "chimie-reseau"),
            ("chimie-biblio", "chimie-reseau"),
        )
    }
    assert len(pages.listed("?status=all")) == sum(_statuses(pages).values())
    source_of = {r.key: r.source for r in RECORDS}
    reseau = pages.listed("?source=reseau&status=all")
    assert reseau and all("reseau" in (source_of[a], source_of[b]) for a, b, _s, _r in reseau)
    every = pages.listed("?status=all")
    assert len(reseau) == sum(1 for a, b, _s, _r in every if "reseau" in (source_of[a], source_of[b]))
    assert pages.listed("?source=nowhere") == []


def test_the_pair_page_marks_exactly_the_fields_that_differ(pages: Pages) -> None:
    pages.as_user("dora")
    html = pages.client.get(pages.pair_path("chimie-editeur", "chimie-1re")).text
    rows = {field: (differs == "true", body) for field, differs, body in _ROW.findall(html)}
    # chimie-editeur: « …, 2e édition », editions.example/chimie-generale, an ISBN, source editeur,
    # quality 90. chimie-1re: « …, 1re édition », …-1re, no identifier, source biblio, quality 80.
    # Same description, language, status and portals.
    assert {f for f, (differs, _b) in rows.items() if differs} == {
        "title",
        "url",
        "identifiers",
        "source",
        "quality",
    }
    for field in ("title", "url", "identifiers", "source", "quality"):
        assert "diffère" in rows[field][1]  # a word, not colour alone
    for field in ("languages", "description", "status", "portals", "licence"):
        assert "diffère" not in rows[field][1]
    assert (
        "Chimie générale, 2e édition" in rows["title"][1]
        and "Chimie générale, 1re édition" in rows["title"][1]
    )
    assert '<a href="https://editions.example/chimie-generale" rel="noopener noreferrer"' in rows["url"][1]
    assert SOURCES["editeur"][0] in rows["source"][1] and SOURCES["biblio"][0] in rows["source"][1]
    assert html.count("dup-row--differs") == 5
    # The pair: proposed relation, score, reasons; the group the edition's copy is in.
    pair = pages.pair("chimie-editeur", "chimie-1re")
    assert f'<dd id="dup-score">{round(pair.score * 100)} %</dd>' in html and "Une autre version" in html
    assert "éditions ou années différentes" in html
    groups = html[html.index('id="dup-groups"') :]
    assert all(pages.id(k) in groups for k in SAME_GROUP) and pages.id("chimie-1re") not in groups
    assert (
        "Dans aucun groupe" in html and html.count("Choisir comme principale") == 1
    )  # editeur is not primary
    for relation in ("Même ressource", "Autre version", "Traduction", "Partie", "Différentes"):
        assert f">{relation}</button>" in html


def test_labelling_a_version_confirms_it_groups_the_edition_and_moves_on(pages: Pages) -> None:
    pages.as_user("dora")
    page = pages.client.get(pages.pair_path("chimie-editeur", "chimie-1re")).text
    response = pages.client.post(
        pages.pair_path("chimie-editeur", "chimie-1re") + "/label",
        data={"relation": "version", "csrf_token": csrf_from(page), "filters": ""},
    )
    assert response.status_code == 303
    pair = pages.pair("chimie-editeur", "chimie-1re")
    assert (pair.status, pair.relation, pair.decided_by) == ("confirmed", "version", "dora")
    with pages.dup.factory() as session:
        members = group_of(session, pages.id("chimie-1re"))
        assert members[pages.id("chimie-1re")] == "version" and set(members) > {
            pages.id(k) for k in SAME_GROUP
        }
        actions = session.scalars(select(Event.action).where(Event.actor == "dora")).all()
        assert actions.count("duplicate_labelled") == 2
    target = response.headers["location"]
    a, b = target.removeprefix("/review/duplicates/").split("/")
    with pages.dup.factory() as session:
        assert session.get_one(DupPair, ordered(a, b)).status == "pending"  # the next pair to look at
    following = pages.client.get(target).text
    assert (
        "« Chimie générale, 2e édition » et « Chimie générale, 1re édition » : une autre version."
        in following
    )


def test_different_rejects_the_pair_and_the_list_shows_it_rejected(pages: Pages) -> None:
    pages.as_user("dora")
    path = pages.pair_path("chimie-biblio", "chemistry-en")
    token = csrf_from(pages.client.get(path).text)
    response = pages.client.post(path + "/label", data={"relation": "different", "csrf_token": token})
    assert response.status_code == 303
    assert (pages.pair("chimie-biblio", "chemistry-en").status) == "rejected"
    rejected = pages.listed("?status=rejected")
    assert [(frozenset((a, b)), s) for a, b, s, _r in rejected] == [
        (frozenset({"chimie-biblio", "chemistry-en"}), "rejected")
    ]


def test_a_wrong_relation_is_the_page_again_with_the_message(pages: Pages) -> None:
    pages.as_user("dora")
    path = pages.pair_path("chimie-biblio", "chemistry-en")
    token = csrf_from(pages.client.get(path).text)
    response = pages.client.post(path + "/label", data={"relation": "cousin", "csrf_token": token})
    assert response.status_code == 400
    assert "relation inconnue" in response.text and 'id="dup-compare"' in response.text
    assert pages.pair("chimie-biblio", "chemistry-en").status == "pending"
    unknown = pages.client.post(
        f"/review/duplicates/{'f' * 40}/{pages.id('seul')}/label",
        data={"relation": "same", "csrf_token": token},
    )
    assert unknown.status_code == 404


def test_librarians_read_but_cannot_post_and_anonymous_posts_go_nowhere(pages: Pages) -> None:
    pages.as_user("lea")
    path = pages.pair_path("chimie-biblio", "chemistry-en")
    page = pages.client.get(path)
    assert page.status_code == 200 and 'id="dup-label-form"' not in page.text
    assert "Choisir comme principale" not in page.text
    token = csrf_from(page.text)
    assert (
        pages.client.post(path + "/label", data={"relation": "same", "csrf_token": token}).status_code == 403
    )
    primary = {"record": pages.id("chimie-biblio"), "csrf_token": token}
    assert pages.client.post("/review/duplicates/primary", data=primary).status_code == 403
    pages.client.cookies.clear()
    token = csrf_from(pages.client.get("/review/login").text)
    anonymous = pages.client.post(path + "/label", data={"relation": "same", "csrf_token": token})
    assert anonymous.status_code == 401
    assert pages.pair("chimie-biblio", "chemistry-en").status == "pending"
    with pages.dup.factory() as session:
        assert session.get_one(DupMember, pages.id("chimie-reseau")).relation == "primary"


def test_a_post_without_the_csrf_token_is_refused(pages: Pages) -> None:
    pages.as_user("dora")
    path = pages.pair_path("chimie-biblio", "chemistry-en")
    assert pages.client.post(path + "/label", data={"relation": "same"}).status_code == 403
    assert (
        pages.client.post(path + "/label", data={"relation": "same", "csrf_token": "forged"}).status_code
        == 403
    )
    assert pages.pair("chimie-biblio", "chemistry-en").status == "pending"


def test_harvested_markup_is_shown_as_text(pages: Pages) -> None:
    pages.as_user("dora")
    for path in ("/review/duplicates", pages.pair_path("chimie-editeur", "chemistry-en")):
        response = pages.client.get(path)
        assert "<script>alert" not in response.text
        assert "&lt;script&gt;alert(&#39;titre&#39;)&lt;/script&gt;" in response.text
        csp = response.headers["content-security-policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp.split("style-src")[0]


def test_choosing_a_primary_on_the_group_page_puts_it_first(pages: Pages) -> None:
    pages.as_user("dora")
    with pages.dup.factory() as session:
        gid = session.get_one(DupMember, pages.id("chimie-reseau")).group_id
    path = f"/review/duplicates/group/{gid}"
    html = pages.client.get(path).text
    heads = re.findall(r'<th scope="col" class="dup-col" data-record="(\w+)" data-relation="(\w*)">', html)
    assert heads[0] == (pages.id("chimie-reseau"), "primary")  # the network's feed: priority 5
    assert {pages.dup.key(rid) for rid, _rel in heads} == SAME_GROUP
    data = {"record": pages.id("chimie-biblio"), "back": path, "csrf_token": csrf_from(html)}
    response = pages.client.post("/review/duplicates/primary", data=data)
    assert response.status_code == 303 and response.headers["location"] == path
    after = pages.client.get(path).text
    heads = re.findall(r'<th scope="col" class="dup-col" data-record="(\w+)" data-relation="(\w*)">', after)
    assert heads[0] == (pages.id("chimie-biblio"), "primary")
    assert "« Chimie générale, 2e édition » est maintenant la notice principale de son groupe." in after
    with pages.dup.factory() as session:
        assert session.get_one(DupMember, pages.id("chimie-biblio")).relation == "primary"
        assert session.scalars(
            select(Event.actor).where(Event.action == "duplicate_primary_chosen")
        ).all() == ["dora"]


def test_a_primary_for_a_record_in_no_group_is_refused_on_the_page(pages: Pages) -> None:
    pages.as_user("dora")
    path = pages.pair_path("chimie-editeur", "chimie-1re")
    token = csrf_from(pages.client.get(path).text)
    data = {"record": pages.id("chimie-1re"), "back": path, "csrf_token": token}
    response = pages.client.post("/review/duplicates/primary", data=data)
    assert response.status_code == 400
    assert "aucun groupe de doublons" in response.text and 'id="dup-compare"' in response.text
    assert pages.client.get("/review/duplicates/group/ffffffffffff").status_code == 404
