"""A group of duplicates in the real index (issue 16): one document per group and portal, the
others named in it, a grouped record redirected, a documentalist's choice published (both ledgers).

The hand-written ledger of ``tests/duplicates/ledger_corpus.py``: one textbook from three sources
(grouped by the rules, the network's copy ``chimie-reseau`` the primary, on Pavillon and École
ouverte; the other two on Pavillon), its English translation (confirmed here by a documentalist),
its first edition and a chapter (pending: proposals only). The duplicates step, the index step,
the publication a decision triggers and the ``/api`` router run as in production, on the running
OpenSearch node.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from opensearchpy import OpenSearch
from sqlalchemy import select
from tests.duplicates.ledger_corpus import SAME_GROUP, DupLedger

from ren_index.config.rules import load_portals
from ren_index.config.vocabularies import Vocabularies
from ren_index.errors import IndexingError
from ren_index.index.schema import create_index, ensure_index, point_aliases
from ren_index.ledger.models import ResourceRow
from ren_index.review.duplicate_actions import choose_primary, label
from ren_index.review.publish import publish
from ren_index.search.query import search
from ren_index.settings import Settings, load_settings
from ren_index.steps import index_groups
from ren_index.steps.index import index_changes, rebuild_index
from ren_index.web import routes_api

CONFIG = Path(__file__).resolve().parents[2] / "config"
PORTALS = list(load_portals(CONFIG))

pytestmark = pytest.mark.integration


@pytest.fixture
def settings(tmp_path: Path, dup: DupLedger, opensearch_url: str) -> Iterator[Settings]:
    prefix = f"test-dups-{uuid.uuid4().hex[:8]}"
    yield load_settings(
        data_dir=tmp_path,
        database_url=dup.url,
        opensearch_url=opensearch_url,
        index_prefix=prefix,
        config_dir=CONFIG,
    )
    OpenSearch(hosts=[opensearch_url]).indices.delete(index=f"{prefix}-*", ignore_unavailable=True)


@pytest.fixture
def client(settings: Settings) -> OpenSearch:
    return OpenSearch(hosts=[settings.opensearch_url])


@pytest.fixture
def http(settings: Settings) -> Iterator[TestClient]:
    app = FastAPI()
    app.state.settings = settings
    app.include_router(routes_api.router)
    with TestClient(app) as test_client:
        yield test_client


def _index(
    dup: DupLedger, client: OpenSearch, settings: Settings, vocabularies: Vocabularies
) -> dict[str, Any]:
    report = index_changes(
        dup.factory, client, settings.index_prefix, portals=PORTALS, vocabularies=vocabularies
    )
    return dict(report["counts"])


def _results(http: TestClient, **params: Any) -> list[dict[str, Any]]:
    response = http.get("/api/search", params={"size": 50, **params})
    assert response.status_code == 200, response.text
    return list(response.json()["results"])


def _indexed(client: OpenSearch, settings: Settings) -> dict[str, list[str]]:
    """Every document of the index: id -> its portals."""
    found = client.search(
        index=f"{settings.index_prefix}-resources", body={"size": 100, "_source": ["portals"]}
    )
    return {hit["_id"]: hit["_source"]["portals"] for hit in found["hits"]["hits"]}


def test_the_textbook_is_one_result_naming_its_other_sources_and_its_translation(
    dup: DupLedger, client: OpenSearch, settings: Settings, http: TestClient, vocabularies: Vocabularies
) -> None:
    counts = _index(dup, client, settings, vocabularies)
    ids = dup.ids
    group = {ids[k] for k in SAME_GROUP}
    indexed = _indexed(client, settings)
    # one document for the three copies: the network's (the primary) stands on both portals
    assert group & set(indexed) == {ids["chimie-reseau"]}
    assert indexed[ids["chimie-reseau"]] == ["pavillon", "ecole-ouverte"]
    # the first edition and the chapter are only proposals (pending): each keeps its document
    assert {ids["chimie-1re"], ids["chimie-chapitre"], ids["chemistry-en"]} <= set(indexed)
    assert counts["indexed"] == len(indexed) == 9 and counts["errors"] == 0
    for params in ({"q": "chimie"}, {"q": "chimie", "portal": "pavillon"}, {}):
        found = [r["id"] for r in _results(http, **params)]
        assert len(found) == len(set(found))
        assert set(found) & group == {ids["chimie-reseau"]}, params
    hit = next(r for r in _results(http, q="chimie", portal="pavillon") if r["id"] in group)
    assert hit["group"] == min(group)
    assert sorted(hit["also_available_from"], key=lambda x: x["source"]) == [
        {"source": "biblio", "id": ids["chimie-biblio"], "language": "fr",
         "url": "http://www.editions.example/chimie-generale/?utm_source=biblio"},
        {"source": "editeur", "id": ids["chimie-editeur"], "language": "fr",
         "url": "https://editions.example/chimie-generale"},
    ]  # fmt: skip
    assert hit["translations"] == [
        {
            "id": ids["chemistry-en"],
            "url": "https://editions.example/en/chimie-generale",
            "language": "en",
            "title": "General Chemistry, 2nd edition",
        }
    ]
    assert hit["other_versions"] == [] and hit["parts"] == [] and hit["part_of"] == []
    ecole = [r for r in _results(http, q="chimie", portal="ecole-ouverte") if r["id"] in group]
    assert [r["id"] for r in ecole] == [ids["chimie-reseau"]]
    # the English record names the textbook by the record that stands for its group
    english = http.get(f"/api/resources/{ids['chemistry-en']}").json()
    assert [t["id"] for t in english["translations"]] == [ids["chimie-reseau"]]
    assert english["group"] == ids["chemistry-en"] and english["also_available_from"] == []
    # a grouped copy without a document of its own redirects to the one that stands for it
    moved = http.get(f"/api/resources/{ids['chimie-editeur']}", follow_redirects=False)
    assert moved.status_code == 308
    assert moved.headers["location"] == f"/api/resources/{ids['chimie-reseau']}"
    assert http.get(f"/api/resources/{ids['chimie-editeur']}").json()["id"] == ids["chimie-reseau"]
    assert http.get("/api/resources/0123456789abcdef").status_code == 404
    # nothing changed: nothing is sent again
    again = _index(dup, client, settings, vocabularies)
    assert (again["indexed"], again["removed"], again["unchanged"]) == (0, 0, 9)


def test_a_chosen_primary_is_published_and_the_old_one_leaves_pavillon(
    dup: DupLedger, client: OpenSearch, settings: Settings, http: TestClient, vocabularies: Vocabularies
) -> None:
    _index(dup, client, settings, vocabularies)
    ids = dup.ids
    chosen = choose_primary(dup.factory, ids["chimie-biblio"], "marie")
    result = publish(dup.factory, settings, vocabularies, chosen.affected)
    assert result.published
    indexed = _indexed(client, settings)
    # the library's copy stands on Pavillon; the network's still stands where it alone is listed
    assert indexed[ids["chimie-biblio"]] == ["pavillon"]
    assert indexed[ids["chimie-reseau"]] == ["ecole-ouverte"]
    assert ids["chimie-editeur"] not in indexed
    pavillon = [r["id"] for r in _results(http, q="chimie", portal="pavillon")]
    assert ids["chimie-biblio"] in pavillon and ids["chimie-reseau"] not in pavillon
    ecole = [r["id"] for r in _results(http, q="chimie", portal="ecole-ouverte")]
    assert ids["chimie-reseau"] in ecole and ids["chimie-biblio"] not in ecole
    # across portals the group still comes once (collapsed on `group`), for the API and the CLI
    everywhere = [r["id"] for r in _results(http, q="chimie")]
    group = {ids[k] for k in SAME_GROUP}
    assert len(set(everywhere) & group) == 1
    alias = f"{settings.index_prefix}-resources"
    assert len({h["id"] for h in search(client, alias, "chimie", size=50).hits} & group) == 1
    # the translation, linked to the group, was published with it: it names Pavillon's record
    english = http.get(f"/api/resources/{ids['chemistry-en']}").json()
    assert [t["id"] for t in english["translations"]] == [ids["chimie-biblio"]]
    biblio = http.get(f"/api/resources/{ids['chimie-biblio']}").json()
    assert {x["id"] for x in biblio["also_available_from"]} == {ids["chimie-editeur"], ids["chimie-reseau"]}
    # the records not standing anywhere now go to the group's first document
    moved = http.get(f"/api/resources/{ids['chimie-editeur']}", follow_redirects=False)
    assert moved.headers["location"] == f"/api/resources/{ids['chimie-biblio']}"
    # the publication left the index as a full run would make it
    assert _index(dup, client, settings, vocabularies)["indexed"] == 0


def test_an_edition_joining_the_group_leaves_the_index_and_is_named_as_another_version(
    dup: DupLedger, client: OpenSearch, settings: Settings, http: TestClient, vocabularies: Vocabularies
) -> None:
    _index(dup, client, settings, vocabularies)
    ids = dup.ids
    old = ids["chimie-1re"]
    assert old in _indexed(client, settings)
    labelled = label(dup.factory, old, ids["chimie-editeur"], "version", "marie")
    assert publish(dup.factory, settings, vocabularies, labelled.affected).published
    assert old not in _indexed(client, settings)
    with dup.factory() as session:
        assert session.get_one(ResourceRow, old).indexed_hash is None
    page = http.get(f"/api/resources/{ids['chimie-reseau']}").json()
    assert page["other_versions"] == [
        {
            "id": old,
            "url": "https://editions.example/chimie-generale-1re",
            "language": "fr",
            "title": "Chimie générale, 1re édition",
        }
    ]
    assert http.get(f"/api/resources/{old}", follow_redirects=False).status_code == 308


def test_a_rejected_member_is_never_named_and_the_rebuild_holds_the_same_documents(
    dup: DupLedger, client: OpenSearch, settings: Settings, http: TestClient, vocabularies: Vocabularies
) -> None:
    ids = dup.ids
    with dup.factory.begin() as session:
        session.get_one(ResourceRow, ids["chimie-editeur"]).status = "rejected"
    _index(dup, client, settings, vocabularies)
    before = _indexed(client, settings)
    page = http.get(f"/api/resources/{ids['chimie-reseau']}").json()
    assert [x["id"] for x in page["also_available_from"]] == [ids["chimie-biblio"]]
    assert http.get(f"/api/resources/{ids['chimie-editeur']}").status_code == 404
    report = rebuild_index(
        dup.factory,
        client,
        settings.index_prefix,
        portals=PORTALS,
        vocabularies=vocabularies,
        drain_seconds=0,
    )
    assert report["counts"]["indexed"] == len(before)
    assert _indexed(client, settings) == before
    with dup.factory() as session:
        hashed = set(session.scalars(select(ResourceRow.id).where(ResourceRow.indexed_hash.is_not(None))))
    assert hashed == set(before)
    assert _index(dup, client, settings, vocabularies)["indexed"] == 0


def test_an_index_of_the_previous_definition_is_refused_with_the_remedy(
    client: OpenSearch, settings: Settings
) -> None:
    prefix = settings.index_prefix
    old = f"{prefix}-resources-v4"
    create_index(client, old, "v4")
    point_aliases(client, prefix, old, portals=PORTALS)
    with pytest.raises(IndexingError, match="ren-index index --rebuild"):
        ensure_index(client, prefix, portals=PORTALS)


def test_a_run_over_one_source_sends_the_members_of_its_groups_from_other_sources(
    dup: DupLedger, client: OpenSearch, settings: Settings, vocabularies: Vocabularies
) -> None:
    _index(dup, client, settings, vocabularies)
    ids = dup.ids
    choose_primary(dup.factory, ids["chimie-biblio"], "marie")
    report = index_changes(
        dup.factory,
        client,
        settings.index_prefix,
        portals=PORTALS,
        source_id="biblio",
        vocabularies=vocabularies,
    )
    indexed = _indexed(client, settings)
    # the network's copy (another source) left Pavillon with the same run
    assert indexed[ids["chimie-biblio"]] == ["pavillon"] and indexed[ids["chimie-reseau"]] == [
        "ecole-ouverte"
    ]
    assert report["counts"]["errors"] == 0
    assert _index(dup, client, settings, vocabularies)["indexed"] == 0


def test_the_scope_of_a_record_is_read_a_few_ids_per_query(
    dup: DupLedger, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Its group, the records linked to it and their groups; the same with one id per query."""
    ids = dup.ids
    group = {ids[k] for k in SAME_GROUP}
    for batch in (index_groups.IN_BATCH, 1):
        monkeypatch.setattr(index_groups, "IN_BATCH", batch)
        with dup.factory() as session:
            around = index_groups.scope(session, {ids["chemistry-en"]})
        assert around.send == group | {ids["chemistry-en"]}
        assert around.read == set()
        assert {rid for rid, place in around.places.items() if place.group == min(group)} == group
        assert {(k.relation, frozenset({k.a, k.b})) for k in around.links if k.relation == "translation"} == {
            ("translation", frozenset({ids["chimie-editeur"], ids["chemistry-en"]}))
        }
