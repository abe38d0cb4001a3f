"""How the review pages put the ledger's technical values into words: language tags, the history's
actions, fields and values (statuses, concepts, portals, empty values), in French and in English;
and issues by their labels in the queue and the dashboard (issue 14)."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from ren_index.config.issue_codes import label as issue_label
from ren_index.config.languages import language_name
from ren_index.config.rules import load_portals
from ren_index.config.vocabularies import load_vocabularies
from ren_index.web.review.history import action_label, actor_name, change_lines, present_event

from .review_support import *  # noqa: F403 - the fixtures
from .review_support import CONFIG, Demo

Login = Callable[..., TestClient]

VOCABULARIES = load_vocabularies(CONFIG)
PORTALS = load_portals(CONFIG)
SEC3 = "https://w3id.org/ren-index/vocab/niveaux/secondaire-3"
BY_NC_SA = "http://creativecommons.org/licenses/by-nc-sa/4.0/"


@pytest.mark.parametrize(
    ("tag", "fr", "en"),
    [
        ("fr", "français", "French"),
        ("en", "anglais", "English"),
        ("fr-CA", "français (Canada)", "French (Canada)"),
        ("iu", "inuktitut", "Inuktitut"),
        ("und", "langue non précisée", "unspecified language"),
        ("de", "allemand", "German"),  # not in the table: langcodes names it
        ("en-GB", "anglais (Royaume-Uni)", "English (United Kingdom)"),
        ("xyz", "xyz", "xyz"),  # not a language: the tag as it is
        ("!!", "!!", "!!"),
    ],
)
def test_language_tags_are_named(tag: str, fr: str, en: str) -> None:
    assert language_name(tag, "fr") == fr
    assert language_name(tag, "en") == en


def test_actions_and_actors_are_in_words() -> None:
    assert action_label("approved", "dora", "fr") == "Approbation"
    assert action_label("rejected", "dora", "en") == "Rejection"
    assert action_label("withdrawn", "dora", "fr") == "Retrait (remise en file)"
    assert action_label("withdrawn", "harvester", "fr") == "Retrait par la source"
    assert action_label("login", "dora", "fr") == "Connexion"
    assert action_label("something_new", "dora", "fr") == "something_new"
    assert actor_name("rules", "fr") == "règles automatiques"
    assert actor_name("dora", "fr") == "dora"


def test_a_rules_decision_reads_as_french() -> None:
    before = None
    after = {"status": "approved", "portals": ["ecole-ouverte", "pavillon"], "reasons": []}
    lines = change_lines(before, after, VOCABULARIES, PORTALS, "fr")
    assert lines == [
        {"field": "Statut :", "before": "—", "after": "Approuvée"},
        {"field": "Portails :", "before": "—", "after": "École ouverte, Pavillon"},
    ]
    person = change_lines(
        {"status": "needs_review", "decided_by": "rules"},
        {"status": "rejected", "decided_by": "dora"},
        VOCABULARIES,
        PORTALS,
        "en",
    )
    assert person == [
        {"field": "Status:", "before": "Needs review", "after": "Rejected"},
        {"field": "Decided by:", "before": "automatic rules", "after": "dora"},
    ]


def test_a_correction_shows_concepts_by_their_labels() -> None:
    event = {
        "actor": "dora",
        "action": "corrected",
        "before": {"levels": [], "licence": None, "languages": ["und"], "title": {"fr": "ANCIEN"}},
        "after": {
            "levels": [SEC3],
            "licence": BY_NC_SA,
            "languages": ["fr", "iu"],
            "title": {"fr": "Ancien"},
        },
    }
    shown = present_event(event, VOCABULARIES, PORTALS, "fr")
    assert shown["label"] == "Correction" and shown["who"] == "dora"
    lines = {line["field"]: (line["before"], line["after"]) for line in shown["lines"]}
    assert lines["Niveaux :"] == ("—", "3e secondaire")
    assert lines["Licence :"][0] == "—" and "4.0" in lines["Licence :"][1]
    assert "http" not in lines["Licence :"][1]
    assert lines["Langues :"] == ("langue non précisée", "français, inuktitut")
    assert lines["Titre :"] == ("ANCIEN", "Ancien")
    english = present_event(event, VOCABULARIES, PORTALS, "en")
    assert {line["field"] for line in english["lines"]} == {"Levels:", "Licence:", "Languages:", "Title:"}
    assert "Secondary" in next(line["after"] for line in english["lines"] if line["field"] == "Levels:")


def test_kept_correction_shows_the_source_value_in_words() -> None:
    lines = change_lines(
        {"levels": [SEC3], "base_value": []},
        {"levels": [SEC3], "base_value": [SEC3]},
        VOCABULARIES,
        PORTALS,
        "fr",
    )
    assert lines == [{"field": "Valeur de la source :", "before": "—", "after": "3e secondaire"}]


def test_catalogues_refuse_half_translations_and_clashes() -> None:
    """Each part of the catalogue must hold the same keys in both languages and never redefine one."""
    from ren_index.web.i18n import MESSAGES, merge_catalogues

    assert set(MESSAGES["fr"]) == set(MESSAGES["en"])
    assert MESSAGES["fr"]["status.needs_review"] == "À réviser"  # the review words are in
    with pytest.raises(RuntimeError, match="differ between fr and en"):
        merge_catalogues({"fr": {"a": "x"}, "en": {}})
    with pytest.raises(RuntimeError, match="redefine"):
        merge_catalogues({"fr": {"a": "x"}, "en": {"a": "x"}}, {"fr": {"a": "y"}, "en": {"a": "x"}})
    assert merge_catalogues({"fr": {"a": "x"}, "en": {"a": "y"}})["en"] == {"a": "y"}


# Issue 14, point 4: issue labels, not codes, in the dashboard, the queue's column and its filter -----

_OPTION_RE = r'<option value="([A-Z][A-Z_]+)"( title="[^"]*")?[^>]*>([^<]*) \((\d+)\)</option>'


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_the_queue_and_dashboard_name_issues_in_words(logged_in: Login, demo: Demo, lang: str) -> None:
    client = logged_in()
    queue = client.get(f"/review/queue?lang={lang}&size=100").text
    options = re.findall(_OPTION_RE, queue)
    assert len(options) >= 5, "the issue filter lists the waiting records' issues"
    for code, title, text, _count in options:
        assert text == issue_label(code, lang) != code  # the words, in the page's language
        assert title == f' title="code {code}"'  # the code: a secondary hint
    ambiguous = "Ambiguous licence" if lang == "en" else "Licence ambiguë"
    assert f'data-code="LICENCE_AMBIGUOUS">{ambiguous}</span>' in queue  # the column
    assert ">LICENCE_AMBIGUOUS<" not in queue  # never a bare code as visible text

    dashboard = client.get(f"/review/?lang={lang}").text
    table = re.search(
        r'<table class="table table-compact" id="dashboard-issues">(.*?)</table>', dashboard, re.S
    )
    assert table
    links = re.findall(
        r'<a href="/review/queue\?issue=([A-Z_]+)" class="issue-link">([^<]*)</a>', table.group(1)
    )
    assert links and all(text == issue_label(code, lang) for code, text in links)
    assert all(
        f'<small class="muted issue-code"><code>{code}</code></small>' in table.group(1) for code, _ in links
    )


def test_the_chosen_issue_filter_keeps_its_label(logged_in: Login) -> None:
    page = logged_in().get("/review/queue?issue=NO_PORTAL").text
    assert re.search(
        r'<option value="NO_PORTAL" title="code NO_PORTAL" selected>Aucun portail \(\d+\)</option>', page
    )
