"""The API over the demo catalogue as the pipeline indexes it, and a rebuild under live searches.

harvest (demo OAI server, LOM and Dublin Core) → process (the repository's config) →
index_changes, then: the level hierarchy in filters, facets at catalogue scale, the upgrade from
a v1 index, and ``rebuild_index`` while a thread keeps searching.
"""

from __future__ import annotations

import re
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from opensearchpy import OpenSearch
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from ren_index.config.rulebook import Rulebook
from ren_index.config.rules import load_portals
from ren_index.config.sources import SourceConfig
from ren_index.config.vocabularies import Vocabularies
from ren_index.demo.catalogue import demo_records
from ren_index.demo.server import DemoOaiServer
from ren_index.errors import IndexingError
from ren_index.index.client import make_client
from ren_index.index.schema import alias_targets, create_index, index_name, point_aliases
from ren_index.ledger.db import open_ledger
from ren_index.ledger.models import RawRecordRow, ResourceRow
from ren_index.settings import Settings, load_settings
from ren_index.steps.harvest import harvest_source
from ren_index.steps.index import index_changes, rebuild_index
from ren_index.steps.process import process_source
from ren_index.web import routes_api

PORTAL_IDS = list(load_portals(Path(__file__).resolve().parents[2] / "config"))

pytestmark = pytest.mark.integration

CONFIG_DIR = Path(__file__).resolve().parents[2] / "config"

NIV = "https://w3id.org/ren-index/vocab/niveaux/"
SECONDARY = {NIV + f"secondaire-{n}" for n in range(1, 6)} | {
    NIV + "secondaire",
    NIV + "secondaire-cycle-1",
    NIV + "secondaire-cycle-2",
}


@pytest.fixture(scope="module")
def demo(
    opensearch_url: str,
    tmp_path_factory: pytest.TempPathFactory,
    vocabularies: Vocabularies,
    session_ledger_url: Callable[..., str],
) -> Iterator[tuple[Settings, OpenSearch, sessionmaker[Session]]]:
    data = tmp_path_factory.mktemp("demo-api")
    settings = load_settings(
        data_dir=data,
        database_url=session_ledger_url("l", folder=data),
        opensearch_url=opensearch_url,
        index_prefix=f"demoapi{uuid.uuid4().hex[:8]}",
        config_dir=CONFIG_DIR,
    )
    client = make_client(settings)
    ledger = open_ledger(settings.db_url)
    rulebook = Rulebook.load(CONFIG_DIR)
    for fmt, source_id in (("lom", "demo-lom"), ("oai_dc", "demo-dc")):
        records = [r for r in demo_records() if r.metadata_format == fmt]
        with DemoOaiServer(records=records, page_size=100) as server:
            source = SourceConfig(
                id=source_id,
                name=source_id,
                type="oai",
                url=server.url,
                metadata_prefix=fmt,
                defaults={"language": "fr"} if fmt == "oai_dc" else {},
            )
            assert harvest_source(ledger, source, settings)["status"] == "completed"
            process_source(ledger, source, rulebook)
    report = index_changes(
        ledger, client, settings.index_prefix, vocabularies=vocabularies, portals=PORTAL_IDS
    )
    assert report["counts"]["indexed"] > 100 and report["counts"]["errors"] == 0
    yield settings, client, ledger
    client.indices.delete(index=f"{settings.index_prefix}-*", ignore_unavailable=True)


@pytest.fixture(scope="module")
def http(demo: tuple[Settings, OpenSearch, sessionmaker[Session]]) -> Iterator[TestClient]:
    app = FastAPI()
    app.state.settings = demo[0]
    app.include_router(routes_api.router)
    with TestClient(app) as client:
        yield client


def _get(http: TestClient, **params: Any) -> dict[str, Any]:
    response = http.get("/api/search", params=params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_secondaire_finds_sec_1_to_5(http: TestClient, demo: tuple[Settings, OpenSearch, Any]) -> None:
    _, client, _ = demo
    body = _get(http, level=NIV + "secondaire", size=50)
    assert body["total"] > 10
    for result in body["results"]:
        assert {lvl["uri"] for lvl in result["levels"]} & SECONDARY, result
    # every record whose own level is sec 1..5 is found, and none other
    alias = f"{demo[0].index_prefix}-resources"
    specific = client.count(
        index=alias, body={"query": {"terms": {"levels": sorted(SECONDARY - {NIV + "secondaire"})}}}
    )["count"]
    assert body["total"] >= specific > 0
    found_levels = {lvl["uri"] for r in body["results"] for lvl in r["levels"]}
    assert found_levels & {NIV + f"secondaire-{n}" for n in range(1, 6)}


def test_facets_at_catalogue_scale(http: TestClient) -> None:
    everything = _get(http)
    school = _get(http, portal="ecole-ouverte")
    portal = {v["value"]: v["count"] for v in school["facets"]["portal"]}
    assert portal["ecole-ouverte"] == school["total"]
    assert portal["pavillon"] + portal["ecole-ouverte"] >= everything["total"]
    families = {v["value"]: v["count"] for v in school["facets"]["licence_family"]}
    assert sum(families.values()) == school["total"] and "open" in families
    disciplines = school["facets"]["discipline"]
    assert disciplines, "LOM records carry a classification by discipline"
    one = disciplines[0]
    filtered = _get(http, portal="ecole-ouverte", discipline=one["value"])
    assert filtered["total"] == one["count"]
    languages = {v["value"]: v for v in everything["facets"]["language"]}
    assert languages["fr"]["label_fr"] == "Français" and "en" in languages


def test_french_full_text_over_the_demo(http: TestClient) -> None:
    accented = _get(http, q="école", size=50)
    folded = _get(http, q="ECOLE", size=50)
    assert accented["total"] > 0
    assert [r["id"] for r in accented["results"]] == [r["id"] for r in folded["results"]]


def test_resource_endpoint_matches_search(http: TestClient, demo: tuple[Settings, Any, Any]) -> None:
    first = _get(http, q="évaluation")["results"][0]
    page = http.get(f"/api/resources/{first['id']}").json()
    assert page["title"] == first["title"] and page["url"] == first["url"]
    assert page["licence"]["family"] == first["licence"]["family"]
    _, _, ledger = demo
    with ledger() as session:
        hidden = session.scalars(select(ResourceRow.id).where(ResourceRow.status != "approved")).first()
    assert hidden is not None
    assert http.get(f"/api/resources/{hidden}").status_code == 404


def test_rebuild_keeps_answering(
    http: TestClient, demo: tuple[Settings, OpenSearch, sessionmaker[Session]], vocabularies: Vocabularies
) -> None:
    settings, client, ledger = demo
    prefix = settings.index_prefix
    before = alias_targets(client, f"{prefix}-resources")
    total = _get(http)["total"]
    errors: list[str] = []
    answers: list[int] = []
    done = threading.Event()

    def keep_searching() -> None:
        deadline = time.monotonic() + 60
        while not done.is_set() and time.monotonic() < deadline:
            try:
                for index in (f"{prefix}-resources", f"{prefix}-ecole-ouverte"):
                    hits = client.search(index=index, body={"query": {"match": {"title_fr": "évaluation"}}})
                    answers.append(int(hits["hits"]["total"]["value"]))
                response = http.get("/api/search", params={"q": "évaluation", "portal": "pavillon"})
                if response.status_code != 200:
                    errors.append(response.text)
                else:
                    answers.append(response.json()["total"])
            except Exception as exc:  # any failure is what the test is about
                errors.append(repr(exc))

    searcher = threading.Thread(target=keep_searching)
    searcher.start()
    try:
        reports = [
            rebuild_index(ledger, client, prefix, vocabularies=vocabularies, portals=PORTAL_IDS)
            for _ in range(2)
        ]
    finally:
        done.set()
        searcher.join(70)
    assert errors == []
    assert len(answers) > 10 and min(answers) > 0
    after = alias_targets(client, f"{prefix}-resources")
    assert after == [reports[-1]["index"]] and after != before
    assert after[0].startswith(f"{prefix}-resources-v5-")
    for alias in ("pavillon", "ecole-ouverte"):
        assert alias_targets(client, f"{prefix}-{alias}") == after
    assert not client.indices.exists(index=before[0])
    assert reports[-1]["counts"]["indexed"] == total
    assert _get(http)["total"] == total


@pytest.mark.parametrize("version", ["v1", "v3"])
def test_an_older_index_is_not_moved_silently_and_rebuild_upgrades_it(
    opensearch_url: str,
    demo: tuple[Settings, OpenSearch, sessionmaker[Session]],
    vocabularies: Vocabularies,
    version: str,
) -> None:
    settings, client, ledger = demo
    prefix = f"{settings.index_prefix}up{version}"
    try:
        old = index_name(prefix, version)
        create_index(client, old, version)
        point_aliases(client, prefix, old, portals=PORTAL_IDS)
        with pytest.raises(IndexingError, match=r"--rebuild"):
            index_changes(ledger, client, prefix, vocabularies=vocabularies, portals=PORTAL_IDS)
        assert alias_targets(client, f"{prefix}-resources") == [old]
        report = rebuild_index(
            ledger, client, prefix, vocabularies=vocabularies, drain_seconds=0, portals=PORTAL_IDS
        )
        assert report["replaced"] == [old] and not client.indices.exists(index=old)
        assert alias_targets(client, f"{prefix}-pavillon") == [report["index"]]
        again = index_changes(ledger, client, prefix, vocabularies=vocabularies, portals=PORTAL_IDS)
        assert again["counts"]["errors"] == 0
    finally:
        client.indices.delete(index=f"{prefix}-*", ignore_unavailable=True)


def test_indexed_documents_carry_the_quality_score_and_the_documented_boost_works(
    demo: tuple[Settings, OpenSearch, sessionmaker[Session]],
) -> None:
    settings, client, ledger = demo
    alias = f"{settings.index_prefix}-resources"
    with ledger() as session:
        stored = dict(
            session.execute(
                select(ResourceRow.id, ResourceRow.quality_score).where(ResourceRow.status == "approved")
            ).all()
        )
    hits = client.search(index=alias, body={"size": 500, "_source": ["id", "quality"]})["hits"]["hits"]
    assert hits and all(h["_source"]["quality"] == stored[h["_source"]["id"]] for h in hits)
    # The boost docs/validation.md offers portals: same records, better-documented ones first.
    boosted = client.search(
        index=alias,
        body={
            "size": 500,
            "query": {
                "function_score": {
                    "query": {"match_all": {}},
                    "field_value_factor": {
                        "field": "quality",
                        "factor": 0.01,
                        "modifier": "ln2p",
                        "missing": 0,
                    },
                    "boost_mode": "multiply",
                }
            },
        },
    )["hits"]["hits"]
    scores = [h["_source"]["quality"] for h in boosted]
    assert scores == sorted(scores, reverse=True) and len(boosted) == len(hits)


def test_harvested_records_carry_people_and_dates(
    http: TestClient, demo: tuple[Settings, OpenSearch, sessionmaker[Session]]
) -> None:
    """The real path (LOM and Dublin Core harvested, processed, indexed) fills the v4 fields."""
    ledger = demo[2]
    results = [r for src in ("demo-lom", "demo-dc") for r in _get(http, size=50, source=src)["results"]]
    assert any(r["authors"] for r in results) and any(r["publishers"] for r in results)
    iso_utc = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?\+00:00"
    with ledger() as session:
        rows = {
            row.id: (row.decided_at, first_seen)
            for row, first_seen in session.execute(
                select(ResourceRow, RawRecordRow.first_seen).join(
                    RawRecordRow, RawRecordRow.id == ResourceRow.raw_id
                )
            )
        }
    for result in results:
        for name in ("modified", "harvested", "approved"):
            assert re.fullmatch(iso_utc, result[name]), (name, result[name])
        decided_at, first_seen = rows[result["id"]]
        assert result["approved"] == decided_at.astimezone(UTC).isoformat()
        assert result["harvested"] == first_seen.astimezone(UTC).isoformat()
        assert result["created"] is None or re.fullmatch(iso_utc, result["created"])
        assert all(lang["label_fr"] and lang["label_en"] for lang in result["languages"])
    assert any(r["created"] for r in results)
