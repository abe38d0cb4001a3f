"""The bundled index definition: readable, and naming what documents.py and search.py rely on."""

from __future__ import annotations

from typing import Any

import pytest

from ren_index.index.documents import to_document
from ren_index.index.group_documents import GROUP_FIELDS, place_documents
from ren_index.index.schema import (
    DEFAULT_VERSION,
    alias_name,
    index_name,
    index_version,
    load_definition,
    portal_alias,
)
from ren_index.model import General, Provenance, Resource
from ren_index.search.query import SEARCH_FIELDS, build_query


@pytest.fixture(scope="module", params=["v1", "v2", "v3", "v4", "v5"])
def definition(request: pytest.FixtureRequest) -> dict[str, Any]:
    """Every version stays loadable: an older index may still serve until it is rebuilt."""
    version: str = request.param
    return load_definition(version)


def test_only_settings_and_mappings_are_sent(definition: dict[str, Any]) -> None:
    assert set(definition) == {"settings", "mappings"}
    assert definition["settings"]["index"]["number_of_replicas"] == 0


def test_analyzers(definition: dict[str, Any]) -> None:
    analysis = definition["settings"]["analysis"]
    french = analysis["analyzer"]["ren_french"]["filter"]
    english = analysis["analyzer"]["ren_english"]["filter"]
    assert {"ren_french", "ren_english", "ren_other"} <= set(analysis["analyzer"])
    assert french[0] == "ren_french_elision" and "asciifolding" in french
    assert {"l", "d", "qu", "jusqu"} <= set(analysis["filter"]["ren_french_elision"]["articles"])
    assert analysis["filter"]["ren_french_stemmer"]["language"] == "light_french"
    assert english[0] == "ren_english_possessive" and "asciifolding" in english


def test_fields(definition: dict[str, Any]) -> None:
    props = definition["mappings"]["properties"]
    assert definition["mappings"]["dynamic"] == "strict"
    for lang, analyzer in (("fr", "ren_french"), ("en", "ren_english"), ("other", "ren_other")):
        for name in ("title", "description", "keywords"):
            assert props[f"{name}_{lang}"] == {**props[f"{name}_{lang}"], "analyzer": analyzer}
        assert props[f"title_{lang}"]["fields"]["exact"]["type"] == "keyword"
    for facet in (
        "languages",
        "levels",
        "licence",
        "resource_types",
        "source",
        "portals",
        "status",
    ):
        assert props[facet]["type"] == "keyword"
    assert props["url"]["type"] == "keyword"
    for date in ("datestamp", "harvested_at", "indexed_at"):
        assert props[date]["type"] == "date"
    assert props["record"] == {"type": "object", "enabled": False}


def test_v2_adds_facets_dates_and_type_ahead() -> None:
    definition = load_definition("v2")
    props = definition["mappings"]["properties"]
    for facet in ("licence_family", "disciplines"):
        assert props[facet]["type"] == "keyword"
    assert props["date_modified"]["type"] == "date"
    assert props["suggest"] == {**props["suggest"], "type": "search_as_you_type", "analyzer": "ren_suggest"}
    analysis = definition["settings"]["analysis"]
    assert analysis["analyzer"]["ren_suggest"]["filter"][-1] == "asciifolding"
    assert {"l", "d", "qu", "j", "s", "n", "c", "m", "t", "lorsqu", "puisqu", "jusqu"} <= set(
        analysis["filter"]["ren_french_elision"]["articles"]
    )
    assert props["description_fr"]["analyzer"] == "ren_french"
    assert props["keywords_en"]["fields"]["exact"]["normalizer"] == "ren_folded"


def test_v3_is_v2_plus_the_quality_score() -> None:
    v2, v3 = load_definition("v2"), load_definition("v3")
    assert v3["settings"] == v2["settings"]
    props = v3["mappings"]["properties"]
    assert props["quality"] == {"type": "integer"}
    assert {k: v for k, v in props.items() if k != "quality"} == v2["mappings"]["properties"]


def test_v4_is_v3_plus_people_dates_and_link() -> None:
    v3, v4 = load_definition("v3"), load_definition("v4")
    assert v4["settings"] == v3["settings"]
    props = v4["mappings"]["properties"]
    added = {
        "authors",
        "contributors",
        "publishers",
        "date_created",
        "date_harvested",
        "date_approved",
        "link",
    }
    # link (ok, redirected, unchecked): added to v4 in place, v4 never having shipped (issue 15)
    assert props["link"] == {"type": "keyword"}
    assert set(props) - set(v3["mappings"]["properties"]) == added
    for name in ("authors", "contributors", "publishers"):
        # a name longer than 512 characters is kept in _source, not indexed (no immense term)
        assert props[name] == {"type": "keyword", "ignore_above": 512}
    for name in ("date_created", "date_harvested", "date_approved"):
        assert props[name] == {"type": "date"}
    assert {k: v for k, v in props.items() if k not in added} == v3["mappings"]["properties"]
    assert v4["mappings"]["_meta"] == {"definition": "resources-v4"}


def test_v5_is_v4_plus_the_groups_of_duplicates() -> None:
    v4, v5 = load_definition("v4"), load_definition("v5")
    assert v5["settings"] == v4["settings"]
    props = v5["mappings"]["properties"]
    lists = {"also_available_from", "other_versions", "translations", "part_of", "parts"}
    assert set(props) - set(v4["mappings"]["properties"]) == {"group", "group_members"} | lists
    # group: what a search across portals collapses on; group_members: where a grouped record went
    assert props["group"] == props["group_members"] == {"type": "keyword"}
    for name in lists:  # shown, never searched: another record's title must not find this one
        assert props[name] == {"type": "object", "enabled": False}
    assert {k: v for k, v in props.items() if k in v4["mappings"]["properties"]} == v4["mappings"][
        "properties"
    ]
    assert v5["mappings"]["_meta"] == {"definition": "resources-v5"}
    assert DEFAULT_VERSION == "v5"


def test_every_document_field_is_mapped() -> None:
    """``dynamic: strict`` refuses unknown fields, so documents.py may emit only mapped ones."""
    props = load_definition(DEFAULT_VERSION)["mappings"]["properties"]
    resource = Resource(
        provenance=Provenance(source="s", identifier="i", metadata_format="x", datestamp="2024"),
        general=General(title={"fr": "a", "en": "b", "und": "c"}, description={"fr": "d"}),
    )
    doc = to_document(resource, record_id="x", status="approved", portals=["pavillon"], quality=57)
    assert doc["quality"] == 57
    placed = place_documents({"x": doc}, {}, [])["x"]
    assert placed is not None and set(GROUP_FIELDS) <= set(placed)
    assert set(placed) | {"indexed_at"} <= set(props)
    for spec in SEARCH_FIELDS:
        assert spec.split("^")[0] in props


def test_names() -> None:
    assert index_name("ren") == "ren-resources-v5"
    assert index_version("ren-resources-v1") == "v1"
    assert index_version("ren-resources-v2-20260101120000123456") == "v2"
    assert index_version("ren-pavillon") is None
    assert index_name("ren", "v2", "20240301") == "ren-resources-v2-20240301"
    assert alias_name("ren") == "ren-resources"
    assert portal_alias("ren", "ecole-ouverte") == "ren-ecole-ouverte"


def test_user_text_never_reaches_query_string() -> None:
    query = build_query('title_fr:* OR /.*/ AND "', portal="pavillon")
    assert "'query_string'" not in repr(query) and "simple_query_string" in repr(query)
    assert query["bool"]["filter"] == [{"term": {"portals": "pavillon"}}]
    assert build_query("  ")["bool"]["must"] == [{"match_all": {}}]
