"""The portals' API contract (issue 14, points 7 and 8), field by field, on the real services.

Records go into a real ledger by hand (a source, a raw record with known ``first_seen`` /
``last_seen``, an approved resource row with a known ``decided_at``), the index step itself sends
them to the real OpenSearch, and ``/api/search``, ``/api/resources/{id}`` and ``/api/suggest`` are
read back. Titles, descriptions and names hold ``<b>``, ``&``, quotes and apostrophes: every field
must give them back verbatim (plain text), and only ``highlight`` may hold HTML — escaped, with
``<mark>`` as its only tags. Every expected value below is written by hand.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from opensearchpy import OpenSearch
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from ren_index.config.rules import load_portals
from ren_index.config.vocabularies import Vocabularies
from ren_index.ledger.db import open_ledger
from ren_index.ledger.models import RawRecordRow, ResourceRow, SourceRow
from ren_index.ledger.store import resource_id
from ren_index.model import (
    Contribution,
    Controlled,
    Educational,
    General,
    Lifecycle,
    Provenance,
    Resource,
    Technical,
    Term,
)
from ren_index.settings import Settings
from ren_index.steps.index import index_changes

pytestmark = pytest.mark.integration

CONFIG_DIR = Path(__file__).resolve().parents[2] / "config"
PORTAL_IDS = list(load_portals(CONFIG_DIR))
NIV = "https://w3id.org/ren-index/vocab/niveaux/"
TYPES = "https://w3id.org/ren-index/vocab/types/"
CC_BY = "http://creativecommons.org/licenses/by/4.0/"
SOURCE = "contrat"

TITLE = 'Les <b>zèbres</b> & "rayures" d\'Afrique'
DESCRIPTION = 'Pourquoi les <b>zèbres</b> ont-ils des "rayures" ? Activité & corrigé pour l\'élève.'
AUTHOR = 'Marie "Mimi" <i>Tremblay</i>'
PUBLISHER = "Éditions <Nord> & Sud"
LONG_DESCRIPTION = "Practice sheets about sharing things fairly between friends. " * 20  # 1,220 chars

ZEBRA = resource_id(SOURCE, "oai:contrat:zebres")
QUOTIENT = resource_id(SOURCE, "oai:contrat:quotients")


def _zebra() -> Resource:
    return Resource(
        provenance=Provenance(
            source=SOURCE,
            identifier="oai:contrat:zebres",
            metadata_format="lom",
            datestamp="2024-03-01T07:30:00-05:00",
            harvested_at=datetime(2024, 3, 1, 20, 0, tzinfo=UTC),
        ),
        general=General(title={"fr": TITLE}, description={"fr": DESCRIPTION}, languages=["fr"]),
        lifecycle=Lifecycle(
            contributions=[
                Contribution(
                    role=Term(source="LOMv1.0", value="author"), entities=[AUTHOR], date="2018-09-01"
                ),
                Contribution(role=Term(source="LOMv1.0", value="publisher"), entities=[PUBLISHER]),
                Contribution(
                    role=Term(value="http://data.education.fr/voc/scolomfr/concept/publisher"),
                    entities=["Cégep de Limoilou", PUBLISHER],
                ),
                Contribution(role=Term(source="LOMv1.0", value="content provider"), entities=["Jean Roy"]),
                Contribution(role=None, entities=["Atelier « Trois »"]),
            ],
            date="2019-05",
        ),
        technical=Technical(locations=["https://ex.org/zebres?a=1&b=2"]),
        controlled=Controlled(
            languages=["fr-CA"],
            levels=[NIV + "secondaire-1"],
            licence=CC_BY,
            resource_types=[TYPES + "exercice", TYPES + "guide"],
        ),
    )


def _quotient() -> Resource:
    return Resource(
        provenance=Provenance(
            source=SOURCE,
            identifier="oai:contrat:quotients",
            metadata_format="oai_dc",
            harvested_at=datetime(2024, 5, 5, 10, 0, tzinfo=UTC),
        ),
        general=General(title={"en": "Sharing & quotients"}, description={"en": LONG_DESCRIPTION}),
        lifecycle=Lifecycle(date="2021"),
        educational=Educational(learning_resource_types=[Term(value="Carte mentale")]),
        controlled=Controlled(languages=["en", "iu"], levels=[NIV + "collegial"], licence=CC_BY),
    )


FIRST_SEEN = datetime(2024, 2, 1, 13, 0, tzinfo=UTC)
LAST_SEEN = datetime(2024, 6, 1, 4, 0, tzinfo=UTC)
APPROVED_AT = datetime(2024, 3, 2, 15, 45, 30, tzinfo=UTC)


@pytest.fixture(scope="module")
def ledger(api_settings: Settings) -> sessionmaker[Session]:
    factory = open_ledger(api_settings.db_url)
    with factory.begin() as session:
        session.add(SourceRow(id=SOURCE, name="Contrat", type="oai", url="https://ex.org/oai"))
        session.flush()
        for rid, resource, portals in (
            (ZEBRA, _zebra(), ["ecole-ouverte"]),
            (QUOTIENT, _quotient(), ["pavillon"]),
        ):
            raw = RawRecordRow(
                source_id=SOURCE,
                identifier=resource.provenance.identifier,
                metadata_prefix=resource.provenance.metadata_format,
                payload="<record/>",
                content_hash=rid,
                first_seen=FIRST_SEEN,
                last_seen=LAST_SEEN,
            )
            session.add(raw)
            session.flush()
            session.add(
                ResourceRow(
                    id=rid,
                    raw_id=raw.id,
                    source_id=SOURCE,
                    record=resource.model_dump(mode="json"),
                    status="approved",
                    portals=portals,
                    decided_by="dora",
                    decided_at=APPROVED_AT,
                )
            )
    return factory


@pytest.fixture(scope="module", autouse=True)
def indexed(
    ledger: sessionmaker[Session], os_api_client: OpenSearch, api_prefix: str, vocabularies: Vocabularies
) -> Iterator[None]:
    report = index_changes(ledger, os_api_client, api_prefix, portals=PORTAL_IDS, vocabularies=vocabularies)
    assert report["counts"] == {"indexed": 2, "removed": 0, "unchanged": 0, "errors": 0}
    os_api_client.indices.refresh(index=f"{api_prefix}-resources")
    yield


def _search(http: TestClient, **params: Any) -> dict[str, Any]:
    response = http.get("/api/search", params=params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _hit(http: TestClient, rid: str, **params: Any) -> dict[str, Any]:
    results = _search(http, size=50, **params)["results"]
    found: dict[str, Any] = next(r for r in results if r["id"] == rid)
    return found


def _plain_of(highlighted: str) -> str:
    """The text of a highlight: it holds no tag but ``<mark>``, and unescapes to plain text."""
    without_marks = re.sub(r"</?mark>", "", highlighted)
    assert "<" not in without_marks and ">" not in without_marks, highlighted
    assert '"' not in without_marks and "'" not in without_marks, highlighted
    assert re.fullmatch(r"(?:[^&]|&(?:amp|lt|gt|quot|#x27|#39|#x2F);)*", without_marks), highlighted
    return html.unescape(without_marks)


ZEBRA_FIELDS: dict[str, Any] = {
    "id": ZEBRA,
    "title": {"fr": TITLE, "en": None},
    "description": {"fr": DESCRIPTION, "en": None},
    "url": "https://ex.org/zebres?a=1&b=2",
    "link": "unchecked",  # never checked (tests/links/test_links_portal.py: ok, redirected, broken)
    "levels": [{"uri": NIV + "secondaire-1", "label_fr": "1re secondaire", "label_en": "Secondary I"}],
    "licence": {
        "uri": CC_BY,
        "label_fr": "Attribution 4.0 International",
        "label_en": "Attribution 4.0 International",
        "family": "open",
    },
    "languages": [{"code": "fr", "label_fr": "français", "label_en": "French"}],
    "resource_types": [
        {"uri": TYPES + "exercice", "label_fr": "Exercice", "label_en": "Exercise"},
        {"uri": TYPES + "guide", "label_fr": "Guide", "label_en": "Guide"},
    ],
    "authors": [AUTHOR],
    "contributors": ["Jean Roy", "Atelier « Trois »"],
    "publishers": [PUBLISHER, "Cégep de Limoilou"],
    "created": "2018-09-01T00:00:00+00:00",  # the author's date, before lifecycle.date (2019-05)
    "modified": "2024-03-01T12:30:00+00:00",  # the datestamp, -05:00 moved to UTC
    "harvested": "2024-02-01T13:00:00+00:00",  # first_seen, not last_seen
    "approved": "2024-03-02T15:45:30+00:00",
    "source": SOURCE,
    "portals": ["ecole-ouverte"],
    "group": ZEBRA,  # in no group of duplicates: its own (issue 16)
    "also_available_from": [],
    "other_versions": [],
    "translations": [],
    "part_of": [],
    "parts": [],
}


def test_every_field_of_a_hit_is_plain_text_and_the_highlight_is_apart(http: TestClient) -> None:
    hit = _hit(http, ZEBRA, q="zèbres")
    marked = hit.pop("highlight")
    assert hit == ZEBRA_FIELDS
    assert set(marked) == {"title", "description"}
    assert "<mark>zèbres</mark>" in marked["title"] and "<mark>zèbres</mark>" in marked["description"]
    assert _plain_of(marked["title"]) == TITLE
    assert _plain_of(marked["description"]) in DESCRIPTION  # a fragment (here: a sentence)
    assert "&lt;b&gt;" in marked["title"] and "&amp;" in marked["title"] and "&quot;" in marked["title"]


@pytest.mark.parametrize(
    ("query", "fields"),
    [
        ("afrique", {"title"}),  # only the title says it
        ("corrigé", {"description"}),  # only the description says it
        ("zebres rayures", {"title", "description"}),
    ],
)
def test_only_the_fields_that_matched_are_highlighted(http: TestClient, query: str, fields: set[str]) -> None:
    marked = _hit(http, ZEBRA, q=query)["highlight"]
    assert set(marked) == fields
    for text in marked.values():
        assert "<mark>" in text
        assert _plain_of(text) in TITLE or _plain_of(text) in DESCRIPTION


def test_without_words_nothing_is_highlighted(http: TestClient) -> None:
    results = _search(http, size=50)["results"]
    assert {r["id"] for r in results} == {ZEBRA, QUOTIENT}
    assert all(r["highlight"] == {} for r in results)
    zebra = next(r for r in results if r["id"] == ZEBRA)
    assert zebra["description"]["fr"] == DESCRIPTION  # plain, as without a query


def test_labels_of_languages_and_types_in_both_languages(http: TestClient) -> None:
    hit = _hit(http, QUOTIENT, q="quotients")
    assert hit["languages"] == [
        {"code": "en", "label_fr": "anglais", "label_en": "English"},
        {"code": "iu", "label_fr": "inuktitut", "label_en": "Inuktitut"},
    ]
    # a type no vocabulary knows keeps its words and says it has no label
    assert hit["resource_types"] == [{"uri": "Carte mentale", "label_fr": None, "label_en": None}]
    assert hit["highlight"] == {"title": "Sharing &amp; <mark>quotients</mark>"}
    assert (hit["authors"], hit["contributors"], hit["publishers"]) == ([], [], [])
    assert hit["created"] == "2021-01-01T00:00:00+00:00"  # a year: midnight UTC of its first day
    assert hit["modified"] == "2024-05-05T10:00:00+00:00"  # no datestamp: the harvest of this version
    assert hit["title"] == {"fr": None, "en": "Sharing & quotients"}


def test_type_facet_carries_labels(http: TestClient) -> None:
    facet = {v["value"]: v for v in _search(http)["facets"]["type"]}
    assert facet[TYPES + "exercice"] == {
        "value": TYPES + "exercice", "label_fr": "Exercice", "label_en": "Exercise", "count": 1,
    }  # fmt: skip
    assert facet["Carte mentale"]["label_fr"] is None


def test_dates_are_utc_iso_with_offset(http: TestClient) -> None:
    for rid in (ZEBRA, QUOTIENT):
        hit = _hit(http, rid)
        for name in ("created", "modified", "harvested", "approved"):
            assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00", hit[name]), (name, hit[name])


def test_a_hit_carries_the_beginning_of_a_long_description(http: TestClient) -> None:
    hit = _hit(http, QUOTIENT)
    summary = hit["description"]["en"]
    assert len(summary) == 300 and summary.endswith("…")
    assert LONG_DESCRIPTION.startswith(summary[:-1])
    page = http.get(f"/api/resources/{QUOTIENT}").json()
    assert page["description"]["en"] == LONG_DESCRIPTION.strip()


def test_the_resource_page_has_every_field_of_a_hit_but_the_highlight(http: TestClient) -> None:
    for rid in (ZEBRA, QUOTIENT):
        hit = _hit(http, rid, q="zèbres" if rid == ZEBRA else "quotients")
        page = http.get(f"/api/resources/{rid}").json()
        assert "highlight" not in page
        shared = set(hit) - {"highlight", "description", "licence"}
        assert {k: page[k] for k in shared} == {k: hit[k] for k in shared}
        assert {k: v for k, v in page["licence"].items() if k != "raw"} == hit["licence"]
        assert set(page) - set(hit) == {"keywords", "disciplines", "source_identifier", "status"}
    page = http.get(f"/api/resources/{ZEBRA}").json()
    assert {k: page[k] for k in ZEBRA_FIELDS if k != "licence"} == {
        k: v for k, v in ZEBRA_FIELDS.items() if k != "licence"
    }
    assert page["status"] == "approved" and page["source_identifier"] == "oai:contrat:zebres"


def test_suggest_titles_are_plain_text(http: TestClient) -> None:
    body = http.get("/api/suggest", params={"q": "les zeb"}).json()
    assert body == {"suggestions": [{"id": ZEBRA, "title": TITLE}]}


def test_the_index_document_holds_people_and_dates(os_api_client: OpenSearch, api_prefix: str) -> None:
    doc = os_api_client.get(index=f"{api_prefix}-resources", id=ZEBRA)["_source"]
    assert doc["authors"] == [AUTHOR] and doc["publishers"] == [PUBLISHER, "Cégep de Limoilou"]
    assert doc["contributors"] == ["Jean Roy", "Atelier « Trois »"]
    assert (doc["date_created"], doc["date_modified"], doc["date_harvested"], doc["date_approved"]) == (
        "2018-09-01T00:00:00+00:00",
        "2024-03-01T12:30:00+00:00",
        "2024-02-01T13:00:00+00:00",
        "2024-03-02T15:45:30+00:00",
    )


def test_a_new_harvest_changes_nothing_a_new_approval_does(
    ledger: sessionmaker[Session],
    os_api_client: OpenSearch,
    api_prefix: str,
    http: TestClient,
    vocabularies: Vocabularies,
) -> None:
    """``harvested`` is first_seen: a harvest that only sees the record again re-sends nothing."""
    with ledger.begin() as session:
        for raw in session.scalars(select(RawRecordRow)):
            raw.last_seen = datetime(2024, 7, 1, tzinfo=UTC)
    again = index_changes(ledger, os_api_client, api_prefix, portals=PORTAL_IDS, vocabularies=vocabularies)
    assert again["counts"]["unchanged"] == 2 and again["counts"]["indexed"] == 0
    with ledger.begin() as session:  # a decision stamps the row as changed now (review.decisions)
        row = session.get_one(ResourceRow, ZEBRA)
        row.decided_at = datetime(2024, 8, 9, 10, 11, 12, tzinfo=UTC)
        row.updated_at = datetime.now(UTC)
    changed = index_changes(ledger, os_api_client, api_prefix, portals=PORTAL_IDS, vocabularies=vocabularies)
    assert changed["counts"]["indexed"] == 1
    os_api_client.indices.refresh(index=f"{api_prefix}-resources")
    assert http.get(f"/api/resources/{ZEBRA}").json()["approved"] == "2024-08-09T10:11:12+00:00"
    with ledger.begin() as session:  # as it was, for whichever test runs next
        row = session.get_one(ResourceRow, ZEBRA)
        row.decided_at = APPROVED_AT
        row.updated_at = datetime.now(UTC)
    index_changes(ledger, os_api_client, api_prefix, portals=PORTAL_IDS, vocabularies=vocabularies)
    os_api_client.indices.refresh(index=f"{api_prefix}-resources")


def test_openapi_states_text_and_html(http: TestClient) -> None:
    schemas = http.get("/openapi.json").json()["components"]["schemas"]
    result = schemas["Result"]["properties"]
    for name in ("title", "description", "authors", "contributors", "publishers"):
        assert "Plain text" in result[name]["description"], name
    for name in ("created", "modified", "harvested", "approved"):
        assert "ISO 8601 UTC with offset" in result[name]["description"], name
    marked = schemas["Highlight"]["properties"]
    for name in ("title", "description"):
        assert "<mark>" in marked[name]["description"]
    assert "only tags are <mark> and </mark>" in marked["title"]["description"]
    assert "Plain text" in schemas["Language"]["properties"]["label_fr"]["description"]
    assert "Plain text" in schemas["Labelled"]["properties"]["label_en"]["description"]
    page = schemas["ResourcePage"]["properties"]
    assert set(result) - {"highlight"} <= set(page)
    for link in (result["link"], page["link"]):  # a plain text enum, documented
        assert link["enum"] == ["ok", "redirected", "unchecked"] and link["type"] == "string"
    assert "never returned" in result["link"]["description"]
    assert "Plain text" in result["link"]["description"]
    assert "/api/resources/{resource_id}" in http.get("/openapi.json").json()["paths"]
