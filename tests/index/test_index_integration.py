"""Against the real OpenSearch node: index creation, analysis, bulk outcomes, search."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from opensearchpy import OpenSearch

from ren_index.config.rules import load_portals
from ren_index.errors import IndexingError
from ren_index.index.bulk import send
from ren_index.index.client import make_client, ping_or_raise
from ren_index.index.documents import to_document
from ren_index.index.schema import SINGLE_NODE, alias_targets, create_index, ensure_index, point_aliases
from ren_index.model import General, Provenance, Resource
from ren_index.search.query import search
from ren_index.settings import Settings

PORTAL_IDS = list(load_portals(Path(__file__).resolve().parents[2] / "config"))

pytestmark = pytest.mark.integration


def _doc(
    title: dict[str, str],
    *,
    portals: tuple[str, ...] = ("pavillon",),
    description: dict[str, str] | None = None,
    keywords: list[dict[str, str]] | None = None,
) -> dict[str, Any]:
    resource = Resource(
        provenance=Provenance(source="demo", identifier="x", metadata_format="oai_dc"),
        general=General(title=title, description=description or {}, keywords=keywords or []),
    )
    return to_document(resource, record_id="x", status="approved", portals=list(portals))


DOCS: dict[str, dict[str, Any]] = {
    "eval": _doc({"fr": "Évaluation des apprentissages"}, keywords=[{"fr": "rétroaction"}]),
    "ecole": _doc({"fr-CA": "L'école à la maison"}, portals=("ecole-ouverte",)),
    "teach": _doc({"en": "Teaching fractions"}, description={"en": "Activities for teachers"}),
    "both": _doc(
        {"fr": "Les fractions au primaire"},
        portals=("ecole-ouverte", "pavillon"),
        keywords=[{"fr": "mathématiques"}],
    ),
}
for _key, _value in DOCS.items():  # ids as sent; each record its own group (searches collapse on it)
    _value["id"] = _value["group"] = _key


@pytest.fixture
def alias(os_client: OpenSearch, prefix: str) -> str:
    ensure_index(os_client, prefix, portals=PORTAL_IDS)
    result = send(os_client, f"{prefix}-resources", DOCS.items(), [])
    assert sorted(result.indexed) == sorted(DOCS) and not result.failed
    return f"{prefix}-resources"


def _ids(os_client: OpenSearch, alias: str, query: str, **kw: Any) -> set[str]:
    return {hit["id"] for hit in search(os_client, alias, query, **kw).hits}


def test_ensure_index_is_idempotent_and_sets_aliases(os_client: OpenSearch, prefix: str) -> None:
    first = ensure_index(os_client, prefix, portals=PORTAL_IDS)
    assert first == f"{prefix}-resources-v5"
    assert ensure_index(os_client, prefix, portals=PORTAL_IDS) == first
    for alias in ("resources", "pavillon", "ecole-ouverte"):
        assert alias_targets(os_client, f"{prefix}-{alias}") == [first]
    settings = os_client.indices.get_settings(index=first)[first]["settings"]["index"]
    assert settings["number_of_replicas"] == "0"


def test_alias_swap_is_respected_by_ensure_index(os_client: OpenSearch, prefix: str) -> None:
    ensure_index(os_client, prefix, portals=PORTAL_IDS)
    rebuilt = f"{prefix}-resources-v5-rebuild"
    assert create_index(os_client, rebuilt, layout=SINGLE_NODE) is True
    assert create_index(os_client, rebuilt) is False
    point_aliases(os_client, prefix, rebuilt, portals=PORTAL_IDS)
    assert alias_targets(os_client, f"{prefix}-resources") == [rebuilt]
    assert alias_targets(os_client, f"{prefix}-pavillon") == [rebuilt]
    assert ensure_index(os_client, prefix, portals=PORTAL_IDS) == rebuilt


def test_french_analysis(os_client: OpenSearch, alias: str) -> None:
    assert _ids(os_client, alias, "évaluations") == {"eval"}
    assert _ids(os_client, alias, "EVALUATION apprentissage") == {"eval"}
    assert _ids(os_client, alias, "ecole") == {"ecole"}
    assert _ids(os_client, alias, "l'école") == {"ecole"}
    assert _ids(os_client, alias, "retroaction") == {"eval"}


def test_english_stemming_and_cross_field_match(os_client: OpenSearch, alias: str) -> None:
    assert _ids(os_client, alias, "teacher's activity") == {"teach"}
    assert _ids(os_client, alias, "fraction teaching") == {"teach"}
    assert _ids(os_client, alias, "fractions mathematiques") == {"both"}


def test_hit_shape_and_title_ranking(os_client: OpenSearch, alias: str) -> None:
    result = search(os_client, alias, "fractions")
    assert result.total == 2
    hit = result.hits[0]
    assert set(hit) == {
        "id", "score", "title", "url", "source", "portals", "languages", "levels", "licence",
        "record",
    }  # fmt: skip
    assert hit["source"] == "demo" and hit["score"] > 0
    assert {h["title"] for h in result.hits} == {"Teaching fractions", "Les fractions au primaire"}
    assert result.hits[0]["record"]["general"]["title"]


def test_portal_filter_and_filtered_alias(os_client: OpenSearch, alias: str, prefix: str) -> None:
    assert _ids(os_client, alias, "", portal="ecole-ouverte") == {"ecole", "both"}
    assert _ids(os_client, alias, "fractions", portal="pavillon") == {"teach", "both"}
    assert _ids(os_client, f"{prefix}-ecole-ouverte", "") == {"ecole", "both"}
    assert search(os_client, alias, "", size=50).total == len(DOCS)


def test_deletes_remove_docs_and_missing_ids_count_as_deleted(os_client: OpenSearch, alias: str) -> None:
    result = send(os_client, alias, [], ["eval", "never-indexed"])
    assert sorted(result.deleted) == ["eval", "never-indexed"]
    assert result.failed == {} and result.indexed == []
    assert _ids(os_client, alias, "évaluation") == set()


def test_one_bad_document_fails_alone(os_client: OpenSearch, alias: str) -> None:
    bad = {**DOCS["eval"], "datestamp": "pas une date"}
    unknown_field = {**DOCS["eval"], "surprise": 1}
    good = _doc({"fr": "Géométrie"})
    result = send(os_client, alias, [("bad", bad), ("good", good), ("strict", unknown_field)], ["teach"])
    assert result.indexed == ["good"]
    assert result.deleted == ["teach"]
    assert set(result.failed) == {"bad", "strict"}
    assert "mapper_parsing_exception" in result.failed["bad"]
    assert "strict" in result.failed["strict"]
    assert _ids(os_client, alias, "géométrie") == {"good"}
    stored = os_client.get(index=alias, id="good")["_source"]
    assert stored["indexed_at"]


def test_send_refuses_a_missing_alias(os_client: OpenSearch, prefix: str) -> None:
    with pytest.raises(IndexingError, match="does not exist"):
        send(os_client, f"{prefix}-resources", [("a", DOCS["eval"])], [])
    assert not os_client.indices.exists(index=f"{prefix}-resources")


def test_search_on_missing_index_says_what_to_do(os_client: OpenSearch, prefix: str) -> None:
    with pytest.raises(IndexingError, match="ren-index index"):
        search(os_client, f"{prefix}-resources", "x")


def test_ping(os_client: OpenSearch, opensearch_url: str) -> None:
    ping_or_raise(os_client, opensearch_url)
    dead = make_client(Settings(opensearch_url="http://127.0.0.1:9", opensearch_timeout=2))
    with pytest.raises(IndexingError, match="ren-index opensearch start") as caught:
        ping_or_raise(dead, "http://127.0.0.1:9")
    assert "\n" not in str(caught.value)
