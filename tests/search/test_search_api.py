"""``/api/search``, ``/api/suggest`` and ``/api/resources/{id}`` on hand-made resources.

Each resource is written for one relevance or filtering case, so the expectations are exact;
the demo-scale checks (levels, rebuild) are in ``test_demo_api.py``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from opensearchpy import OpenSearch

from ren_index.config.rules import load_portals
from ren_index.config.vocabularies import Vocabularies
from ren_index.index.bulk import send
from ren_index.index.documents import to_document
from ren_index.index.schema import ensure_index
from ren_index.model import Controlled, General, Provenance, Resource, Technical

PORTAL_IDS = list(load_portals(Path(__file__).resolve().parents[2] / "config"))

pytestmark = pytest.mark.integration

NIV = "https://w3id.org/ren-index/vocab/niveaux/"
TYPES = "https://w3id.org/ren-index/vocab/types/"
CC_BY = "http://creativecommons.org/licenses/by/4.0/"
CC_BY_NC_SA = "http://creativecommons.org/licenses/by-nc-sa/4.0/"


def _resource(
    title: dict[str, str],
    *,
    description: dict[str, str] | None = None,
    keywords: list[dict[str, str]] | None = None,
    level: str,
    licence: str = CC_BY,
    lang: str = "fr",
    date: str = "2024-01-01",
    source: str = "eduq",
) -> Resource:
    return Resource(
        provenance=Provenance(source=source, identifier="x", metadata_format="oai_lom", datestamp=date),
        general=General(title=title, description=description or {}, keywords=keywords or []),
        technical=Technical(locations=["https://ex.org/r"]),
        controlled=Controlled(
            languages=[lang], levels=[NIV + level], licence=licence, resource_types=[TYPES + "exercice"]
        ),
    )


SCHOOL = ["ecole-ouverte"]
HIGHER = ["pavillon"]
CASES: dict[str, tuple[Resource, list[str]]] = {
    "eval": (_resource({"fr": "Évaluation des apprentissages"}, level="secondaire-3"), SCHOOL),
    "evals": (
        _resource(
            {"fr": "Les évaluations formatives"},
            level="secondaire-1",
            licence=CC_BY_NC_SA,
            date="2025-06-01",
        ),
        SCHOOL,
    ),
    "ecole": (_resource({"fr-CA": "L'école à la maison"}, level="primaire-3", date="2023-05-01"), SCHOOL),
    "guide": (
        _resource(
            {"fr": "Guide de classe"},
            description={"fr": "Une évaluation rapide en classe."},
            level="secondaire-5",
            source="cforp",
        ),
        SCHOOL,
    ),
    "en_frac": (
        _resource(
            {"en": "Teaching fractions"},
            description={"en": "Activities for teachers about fractions."},
            level="collegial",
            lang="en",
            date="2026-01-01",
        ),
        HIGHER,
    ),
    "en_climate": (
        _resource(
            {"en": "Climate change basics"},
            description={"en": "A short course on the greenhouse effect."},
            level="universitaire",
            lang="en",
        ),
        HIGHER,
    ),
    "en_reading": (
        _resource(
            {"en": "Reading strategies"},
            description={"en": "Activities to read better."},
            level="collegial",
            lang="en",
        ),
        HIGHER,
    ),
    "fr_frac": (
        _resource(
            {"fr": "Les fractions au primaire"},
            description={"fr": "Activités sur les fractions."},
            keywords=[{"fr": "mathématiques"}],
            level="primaire-4",
        ),
        SCHOOL,
    ),
    "hostile": (
        _resource(
            {"fr": "Sécurité web"},
            description={"fr": "Attention <script>alert('x')</script> aux injections & aux fractions."},
            level="universitaire",
            licence=CC_BY_NC_SA,
        ),
        HIGHER,
    ),
}

PAVILLON = {rid for rid, (_, portals) in CASES.items() if portals == HIGHER}


@pytest.fixture(scope="module", autouse=True)
def indexed(os_api_client: OpenSearch, api_prefix: str, vocabularies: Vocabularies) -> None:
    ensure_index(os_api_client, api_prefix, portals=PORTAL_IDS)
    docs = [
        (rid, to_document(res, record_id=rid, status="approved", portals=portals, vocabularies=vocabularies))
        for rid, (res, portals) in CASES.items()
    ]
    result = send(os_api_client, f"{api_prefix}-resources", docs, [])
    assert not result.failed and len(result.indexed) == len(CASES)


def _search(http: TestClient, **params: Any) -> dict[str, Any]:
    response = http.get("/api/search", params=params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _ids(http: TestClient, **params: Any) -> list[str]:
    return [r["id"] for r in _search(http, size=50, **params)["results"]]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("évaluations", {"eval", "evals", "guide"}),  # plural finds singular
        ("evaluation", {"eval", "evals", "guide"}),  # singular, unaccented
        ("ÉVALUATION apprentissage", {"eval"}),  # every word must match; "des" is a stop word
        ("ecole", {"ecole"}),
        ("l'école", {"ecole"}),
        ("évaluation des apprentissages", {"eval"}),
        ("fractions mathematiques", {"fr_frac"}),  # words across title and keywords
        ('"évaluations formatives"', {"evals"}),
        ("fraction -primaire", {"en_frac", "hostile"}),
    ],
)
def test_french_forms(http: TestClient, query: str, expected: set[str]) -> None:
    assert set(_ids(http, q=query)) == expected


def test_title_match_ranks_above_description_match(http: TestClient) -> None:
    ids = _ids(http, q="évaluation")
    assert ids[-1] == "guide"  # only its description says it


def test_english_query_ranks_english_records_first(http: TestClient) -> None:
    ids = _ids(http, q="teaching fractions")
    assert ids[0] == "en_frac"
    ids = _ids(http, q="fractions activities")
    assert ids[0] == "en_frac"
    assert _ids(http, q="activités fractions")[0] == "fr_frac"


def test_response_shape_labels_and_highlight(http: TestClient) -> None:
    body = _search(http, q="fractions", portal="ecole-ouverte")
    assert body["total"] == 1 and body["page"] == 1 and body["size"] == 10
    result = body["results"][0]
    assert result == {
        "id": "fr_frac",
        "title": {"fr": "Les fractions au primaire", "en": None},
        "description": {"fr": "Activités sur les fractions.", "en": None},
        "highlight": {
            "title": "Les <mark>fractions</mark> au primaire",
            "description": "Activités sur les <mark>fractions</mark>.",
        },
        "url": "https://ex.org/r",
        "link": "unchecked",
        "levels": [{"uri": NIV + "primaire-4", "label_fr": "4e année du primaire", "label_en": "Grade 4"}],
        "licence": {
            "uri": CC_BY,
            "label_fr": "Attribution 4.0 International",
            "label_en": "Attribution 4.0 International",
            "family": "open",
        },
        "languages": [{"code": "fr", "label_fr": "français", "label_en": "French"}],
        "resource_types": [{"uri": TYPES + "exercice", "label_fr": "Exercice", "label_en": "Exercise"}],
        "authors": [],
        "contributors": [],
        "publishers": [],
        "created": None,
        "modified": "2024-01-01T00:00:00+00:00",
        "harvested": None,
        "approved": None,
        "source": "eduq",
        "portals": ["ecole-ouverte"],
        "group": "fr_frac",  # in no group of duplicates: its own
        "also_available_from": [],
        "other_versions": [],
        "translations": [],
        "part_of": [],
        "parts": [],
    }
    assert set(body["facets"]) == {
        "level", "language", "licence", "licence_family", "type", "discipline", "source", "portal",
    }  # fmt: skip


def test_highlight_escapes_markup_from_the_source(http: TestClient) -> None:
    result = _search(http, q="injections")["results"][0]
    snippet = result["highlight"]["description"]
    assert "<script>" not in snippet
    assert "&lt;script&gt;" in snippet and "<mark>injections</mark>" in snippet
    assert "&amp;" in snippet
    assert "title" not in result["highlight"]  # the title does not say it
    # the field itself is the plain text, markup and all (a portal inserts it as text)
    plain = "Attention <script>alert('x')</script> aux injections & aux fractions."
    assert result["description"]["fr"] == plain
    # without a query, no highlight: the plain description alone
    listed = {r["id"]: r for r in _search(http, size=50)["results"]}
    assert listed["hostile"]["highlight"] == {}
    assert listed["hostile"]["description"]["fr"].startswith("Attention <script>")


def test_portal_filter(http: TestClient) -> None:
    assert set(_ids(http, portal="pavillon")) == PAVILLON
    assert set(_ids(http, q="fractions", portal="pavillon")) == {"en_frac", "hostile"}


def test_filtered_alias_sees_only_its_portal(os_api_client: OpenSearch, api_prefix: str) -> None:
    for portal, expected in (("pavillon", PAVILLON), ("ecole-ouverte", set(CASES) - PAVILLON)):
        response = os_api_client.search(index=f"{api_prefix}-{portal}", body={"size": 50, "_source": False})
        assert {h["_id"] for h in response["hits"]["hits"]} == expected


def test_level_filter_on_a_broad_level(http: TestClient) -> None:
    assert set(_ids(http, level=NIV + "secondaire")) == {"eval", "evals", "guide"}
    assert set(_ids(http, level="secondaire")) == {"eval", "evals", "guide"}  # a label works too
    assert set(_ids(http, level=[NIV + "secondaire-1", NIV + "primaire"])) == {"evals", "ecole", "fr_frac"}


def test_licence_filter_by_uri_or_family(http: TestClient) -> None:
    assert set(_ids(http, licence="non-commercial")) == {"evals", "hostile"}
    assert set(_ids(http, licence=CC_BY_NC_SA)) == {"evals", "hostile"}
    assert set(_ids(http, licence=["non-commercial", CC_BY], source="cforp")) == {"guide"}


def _facet(body: dict[str, Any], name: str) -> dict[str, int]:
    return {v["value"]: v["count"] for v in body["facets"][name]}


def test_facets_count_with_the_other_filters(http: TestClient) -> None:
    body = _search(http, q="évaluation", licence="open")
    assert {r["id"] for r in body["results"]} == {"eval", "guide"}
    # the licence facets ignore the licence filter (so the user can switch), the others apply it
    assert _facet(body, "licence_family") == {"open": 2, "non-commercial": 1}
    assert _facet(body, "licence") == {CC_BY: 2, CC_BY_NC_SA: 1}
    assert _facet(body, "source") == {"eduq": 1, "cforp": 1}
    levels = _facet(body, "level")
    assert levels[NIV + "secondaire"] == 2 and levels[NIV + "secondaire-5"] == 1
    assert NIV + "secondaire-1" not in levels
    secondaire = next(v for v in body["facets"]["level"] if v["value"] == NIV + "secondaire")
    assert secondaire["label_fr"] == "Enseignement secondaire"
    family = next(v for v in body["facets"]["licence_family"] if v["value"] == "open")
    assert family["label_fr"] == "Licence ouverte"
    assert _facet(body, "portal") == {"ecole-ouverte": 2}
    # the portal facet ignores the portal filter
    assert _facet(_search(http, portal="pavillon"), "portal") == {"pavillon": 4, "ecole-ouverte": 5}


def test_sort_by_date_and_paging(http: TestClient) -> None:
    ids = _ids(http, sort="date")
    assert ids[:2] == ["en_frac", "evals"] and ids[-1] == "ecole"
    page1 = _search(http, sort="date", size=3)
    page3 = _search(http, sort="date", size=3, page=3)
    assert [r["id"] for r in page1["results"]] == ids[:3]
    assert [r["id"] for r in page3["results"]] == ids[6:] and page3["total"] == len(CASES)


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"size": 51}, "size"),
        ({"size": 0}, "size"),
        ({"page": 0}, "page"),
        ({"page": "deux"}, "page"),
        ({"portal": "campus"}, "portal"),
        ({"sort": "title"}, "sort"),
        ({"page": 300, "size": 50}, "page"),
    ],
)
def test_bad_parameters_get_422(http: TestClient, params: dict[str, Any], field: str) -> None:
    response = http.get("/api/search", params=params)
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert detail[0]["loc"] == ["query", field] and detail[0]["msg"]


def test_unknown_portal_message(http: TestClient) -> None:
    msg = http.get("/api/search", params={"portal": "campus"}).json()["detail"][0]["msg"]
    assert "pavillon" in msg and "ecole-ouverte" in msg


def test_suggest(http: TestClient) -> None:
    body = http.get("/api/suggest", params={"q": "evaluations form"}).json()
    assert body == {"suggestions": [{"id": "evals", "title": "Les évaluations formatives"}]}
    ids = [s["id"] for s in http.get("/api/suggest", params={"q": "Frac"}).json()["suggestions"]]
    assert set(ids) == {"en_frac", "fr_frac"}
    ids = [s["id"] for s in http.get("/api/suggest", params={"q": "l'eco"}).json()["suggestions"]]
    assert ids == ["ecole"]
    assert http.get("/api/suggest", params={"q": "frac", "portal": "pavillon"}).json()["suggestions"] == [
        {"id": "en_frac", "title": "Teaching fractions"}
    ]
    assert http.get("/api/suggest").status_code == 422


def test_resource_by_id(http: TestClient) -> None:
    body = http.get("/api/resources/hostile").json()
    assert body["id"] == "hostile" and body["status"] == "approved"
    assert body["title"] == {"fr": "Sécurité web", "en": None}
    assert body["levels"] == [
        {
            "uri": NIV + "universitaire",
            "label_fr": "Enseignement universitaire",
            "label_en": "University education",
        }
    ]
    assert body["licence"]["uri"] == CC_BY_NC_SA and body["licence"]["family"] == "non-commercial"
    assert body["description"]["fr"].startswith("Attention <script>")  # JSON text, not HTML
    assert "decided_by" not in body and "issues" not in body
    missing = http.get("/api/resources/nope")
    assert missing.status_code == 404 and "nope" in missing.json()["detail"]


def test_openapi_documents_the_endpoints(http: TestClient) -> None:
    paths = http.get("/openapi.json").json()["paths"]
    assert {"/api/search", "/api/suggest", "/api/resources/{resource_id}"} <= set(paths)
    names = {p["name"] for p in paths["/api/search"]["get"]["parameters"]}
    assert names == {
        "q",
        "portal",
        "level",
        "language",
        "licence",
        "type",
        "discipline",
        "source",
        "page",
        "size",
        "sort",
    }
