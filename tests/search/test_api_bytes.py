"""The search API's answers, byte for byte, after issue 17's speed work (orjson in and out,
cached labels and query language).

Each answer is checked twice: its *bytes* are exactly what Starlette's ``JSONResponse`` writes for
the same content (UTF-8, compact, keys in order: ``json.dumps`` of the parsed answer), and its
*structure* is what the fixture documents written here say it must be (ids, totals, facet counts
counted from the fixture, labels of config/vocabularies) — never a recording of the code's own
output. Representative requests: facets with no filter, filters, paging, an empty result, one
portal, the type-ahead and a resource page, on texts that JSON must escape.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from opensearchpy import OpenSearch

from ren_index.config.rules import load_portals
from ren_index.config.vocabularies import Vocabularies
from ren_index.index.bulk import send
from ren_index.index.documents import to_document
from ren_index.index.schema import ensure_index
from ren_index.model import Controlled, General, Provenance, Resource, Technical

pytestmark = pytest.mark.integration

PORTALS = load_portals(Path(__file__).resolve().parents[2] / "config")
NIV = "https://w3id.org/ren-index/vocab/niveaux/"
TYPES = "https://w3id.org/ren-index/vocab/types/"
CC_BY = "http://creativecommons.org/licenses/by/4.0/"
CC_BY_NC = "http://creativecommons.org/licenses/by-nc/4.0/"
NASTY = 'Guillemets " barre \\ tab\t ligne\u2028 emoji 😀 <script>&amp; fin'

SCHOOL, HIGHER = "ecole-ouverte", "pavillon"
FACET_NAMES = ["level", "language", "licence", "licence_family", "type", "discipline", "source", "portal"]
# id: (title, language, level, licence, family, date, portal)
FIXTURE: dict[str, tuple[dict[str, str], str, str, str, str, str, str]] = {
    "b-a": ({"fr": "Fractions au primaire"}, "fr", "primaire-4", CC_BY, "open", "2024-01-05", SCHOOL),
    "b-b": ({"fr": NASTY}, "fr", "secondaire-3", CC_BY_NC, "non-commercial", "2024-02-05", SCHOOL),
    "b-c": ({"en": "Teaching fractions"}, "en", "collegial", CC_BY, "open", "2024-03-05", HIGHER),
    "b-d": ({"fr": "Évaluation formative"}, "fr", "secondaire-1", CC_BY, "open", "2024-04-05", SCHOOL),
    "b-e": (
        {"en": "Climate basics"},
        "en",
        "universitaire",
        CC_BY_NC,
        "non-commercial",
        "2024-05-05",
        HIGHER,
    ),
}
NEWEST_FIRST = sorted(FIXTURE, key=lambda rid: FIXTURE[rid][5], reverse=True)


def _resource(rid: str) -> Resource:
    title, lang, level, licence, _, date, _ = FIXTURE[rid]
    return Resource(
        provenance=Provenance(source="bytes", identifier=rid, metadata_format="oai_lom", datestamp=date),
        general=General(title=title, description={lang: f"Description de {rid}."}),
        technical=Technical(locations=[f"https://ex.org/{rid}"]),
        controlled=Controlled(
            languages=[lang], levels=[NIV + level], licence=licence, resource_types=[TYPES + "exercice"]
        ),
    )


@pytest.fixture(scope="module", autouse=True)
def indexed(os_api_client: OpenSearch, api_prefix: str, vocabularies: Vocabularies) -> None:
    ensure_index(os_api_client, api_prefix, portals=list(PORTALS))
    docs = [
        (
            rid,
            to_document(
                _resource(rid), record_id=rid, status="approved", portals=[spec[6]], vocabularies=vocabularies
            ),
        )
        for rid, spec in FIXTURE.items()
    ]
    result = send(os_api_client, f"{api_prefix}-resources", docs, [])
    assert not result.failed and len(result.indexed) == len(FIXTURE)


def _answer(http: TestClient, path: str, **params: Any) -> Any:
    """The parsed answer, once its bytes are checked to be ``JSONResponse``'s for that content."""
    response: Response = http.get(path, params=params)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    content = response.json()
    starlette = json.dumps(content, ensure_ascii=False, allow_nan=False, indent=None, separators=(",", ":"))
    assert response.content == starlette.encode("utf-8")
    assert int(response.headers["content-length"]) == len(response.content)
    return content


def _buckets(values: list[str]) -> list[tuple[str, int]]:
    """OpenSearch's terms order: count descending, then value."""
    return sorted(Counter(values).items(), key=lambda item: (-item[1], item[0]))


def _counts(facet: list[dict[str, Any]]) -> list[tuple[str, int]]:
    return [(b["value"], b["count"]) for b in facet]


def test_facets_of_everything(http: TestClient) -> None:
    body = _answer(http, "/api/search")
    assert (body["total"], body["page"], body["size"]) == (len(FIXTURE), 1, 10)
    assert [r["id"] for r in body["results"]] == NEWEST_FIRST  # no q: newest first
    facets = body["facets"]
    assert list(facets) == FACET_NAMES
    assert _counts(facets["licence_family"]) == _buckets([s[4] for s in FIXTURE.values()])
    assert _counts(facets["licence"]) == _buckets([s[3] for s in FIXTURE.values()])
    assert _counts(facets["language"]) == _buckets([s[1] for s in FIXTURE.values()])
    assert _counts(facets["portal"]) == _buckets([s[6] for s in FIXTURE.values()])
    assert facets["source"] == [{"value": "bytes", "label_fr": None, "label_en": None, "count": 5}]
    assert facets["discipline"] == []
    assert facets["licence_family"][0] == {
        "value": "open",
        "label_fr": "Licence ouverte",
        "label_en": "Open licence",
        "count": 3,
    }
    assert {b["value"]: (b["label_fr"], b["label_en"]) for b in facets["language"]} == {
        "fr": ("Français", "French"),
        "en": ("Anglais", "English"),
    }
    pavillon = next(b for b in facets["portal"] if b["value"] == "pavillon")
    assert (pavillon["label_fr"], pavillon["label_en"]) == (
        PORTALS["pavillon"].label("fr"),
        PORTALS["pavillon"].label("en"),
    )
    level = next(b for b in facets["level"] if b["value"] == NIV + "primaire-4")
    assert (level["label_fr"], level["label_en"], level["count"]) == ("4e année du primaire", "Grade 4", 1)


def test_nasty_text_is_escaped_as_json_escapes_it(http: TestClient) -> None:
    body = _answer(http, "/api/search", licence="non-commercial", language="fr")
    assert [r["id"] for r in body["results"]] == ["b-b"]
    assert body["results"][0]["title"] == {"fr": NASTY, "en": None}
    assert body["results"][0]["languages"] == [{"code": "fr", "label_fr": "français", "label_en": "French"}]


def test_filters_and_other_facets(http: TestClient) -> None:
    body = _answer(http, "/api/search", licence="open", portal="ecole-ouverte")
    expected = [r for r in NEWEST_FIRST if FIXTURE[r][4] == "open" and FIXTURE[r][6] == "ecole-ouverte"]
    assert [r["id"] for r in body["results"]] == expected and body["total"] == len(expected)
    # each facet counts with the *other* filters: licence_family without the licence filter
    on_portal = [s for s in FIXTURE.values() if s[6] == "ecole-ouverte"]
    assert _counts(body["facets"]["licence_family"]) == _buckets([s[4] for s in on_portal])
    open_ones = [s for s in FIXTURE.values() if s[4] == "open"]
    assert _counts(body["facets"]["portal"]) == _buckets([s[6] for s in open_ones])


def test_paging(http: TestClient) -> None:
    body = _answer(http, "/api/search", size=2, page=2, sort="date")
    assert (body["total"], body["page"], body["size"]) == (5, 2, 2)
    assert [r["id"] for r in body["results"]] == NEWEST_FIRST[2:4]


def test_empty_result(http: TestClient) -> None:
    body = _answer(http, "/api/search", q="zzzqqqxxx")
    assert body == {
        "total": 0,
        "page": 1,
        "size": 10,
        "results": [],
        "facets": {name: [] for name in FACET_NAMES},
    }


def test_words_highlight_and_query_language(http: TestClient) -> None:
    body = _answer(http, "/api/search", q="fractions", portal="pavillon")
    assert [r["id"] for r in body["results"]] == ["b-c"]
    assert body["results"][0]["highlight"] == {"title": "Teaching <mark>fractions</mark>"}
    again = _answer(http, "/api/search", q="fractions", portal="pavillon")  # the cached language
    assert again == body


def test_suggest_and_resource_page(http: TestClient) -> None:
    assert _answer(http, "/api/suggest", q="Guillemets") == {"suggestions": [{"id": "b-b", "title": NASTY}]}
    page = _answer(http, "/api/resources/b-b")
    assert (page["id"], page["title"], page["status"]) == ("b-b", {"fr": NASTY, "en": None}, "approved")
    assert page["description"] == {"fr": "Description de b-b.", "en": None}
