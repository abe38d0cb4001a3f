"""What the portals see of link health (issue 15): the API's ``link`` field, a broken link never in
an answer, the index following the links step, and the one-click correction of a moved resource.

Demo records harvested and processed into a real ledger, their landing URLs on a :class:`LinkServer`
(loopback allowed), the links step on a controlled clock, the real OpenSearch and the real
``/api`` router. One record's address is under the site's ``/private/`` (its robots.txt forbids
it: never checked, ``unchecked``), one answers (``ok``), one moved for good (``redirected``), one is
gone (404) — declared broken at the third failure, then kept published by a documentalist: still
approved in the ledger, yet absent from ``/api/search`` and a 404 on ``/api/resources/{id}``.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from opensearchpy import OpenSearch
from sqlalchemy import select

from ren_index.config.rulebook import Rulebook
from ren_index.config.sources import SourceConfig
from ren_index.index.documents import public_link
from ren_index.ledger.link_health import link_history
from ren_index.ledger.models import HarvestRun
from ren_index.links.outcomes import Outcome
from ren_index.links.patience import LinkHealth, LinkState
from ren_index.review.decisions import apply_suggestion, decide_by_person
from ren_index.runs.report import list_runs
from ren_index.settings import Settings, load_settings
from ren_index.steps.index import index_changes
from ren_index.steps.links import landing_url
from ren_index.steps.process import process_source
from ren_index.web import routes_api

from .link_server import HTML, LinkServer, Reply, page
from .test_links_step import SOURCE_ID, Corpus, build, ok_page, path_of, run

CONFIG = Path(__file__).resolve().parents[2] / "config"
RULEBOOK = Rulebook.load(CONFIG)
T0 = datetime(2027, 2, 1, 8, 0, tzinfo=UTC)
NEW_HOME = "/new-home-of-the-resource"


@pytest.mark.parametrize(
    ("health", "url", "expected"),
    [
        (None, "https://ex.org/r", "unchecked"),
        (LinkHealth(), "https://ex.org/r", "unchecked"),
        (LinkHealth(state=LinkState.OK, url="https://ex.org/r"), "https://ex.org/r", "ok"),
        (LinkHealth(state=LinkState.REDIRECTED, url="https://ex.org/r"), "https://ex.org/r", "redirected"),
        # failing, not judged: still published, and the portals are not told of one bad night
        (LinkHealth(state=LinkState.FAILING, failures=2, url="https://ex.org/r"), "https://ex.org/r", "ok"),
        (LinkHealth(state=LinkState.BROKEN, url="https://ex.org/r"), "https://ex.org/r", None),
        (
            LinkHealth(state=LinkState.BROKEN, kept_published=True, url="https://ex.org/r"),
            "https://ex.org/r",
            None,
        ),
        # the address was corrected since: the old one's state says nothing of the new one
        (LinkHealth(state=LinkState.BROKEN, url="https://ex.org/old"), "https://ex.org/r", "unchecked"),
        (LinkHealth(state=LinkState.OK, url="https://ex.org/r"), None, "unchecked"),
    ],
)
def test_public_link(health: LinkHealth | None, url: str | None, expected: str | None) -> None:
    assert public_link(health, url) == expected


@pytest.fixture
def settings(tmp_path: Path, ledger_url: Callable[..., str], opensearch_url: str) -> Iterator[Settings]:
    prefix = f"test-portal-{uuid.uuid4().hex[:8]}"
    settings = load_settings(
        data_dir=tmp_path,
        database_url=ledger_url(),
        harvest_timeout=5.0,
        harvest_max_retries=1,
        opensearch_url=opensearch_url,
        index_prefix=prefix,
        config_dir=CONFIG,
    )
    yield settings
    OpenSearch(hosts=[opensearch_url]).indices.delete(index=f"{prefix}-*", ignore_unavailable=True)


@pytest.fixture
def corpus(settings: Settings, site: LinkServer) -> Corpus:
    """Every fourth record under ``/private/`` (robots.txt: never asked), the others answering."""
    built = build(settings, lambda i: site.url(f"/private/r/{i}" if i % 4 == 3 else f"/r/{i}"))
    for url in built.urls.values():
        path = url.split(str(site.port), 1)[1]
        site.route(path, ok_page(path))
    site.route(NEW_HOME, ok_page(NEW_HOME))
    return built


@pytest.fixture
def http(settings: Settings) -> Iterator[TestClient]:
    app = FastAPI()
    app.state.settings = settings
    app.include_router(routes_api.router)
    with TestClient(app) as client:
        yield client


def hits(http: TestClient) -> dict[str, dict[str, Any]]:
    """Every hit of an empty search, page by page; the total agrees with them."""
    found: dict[str, dict[str, Any]] = {}
    for number in range(1, 20):
        body = http.get("/api/search", params={"size": 50, "page": number}).json()
        found.update((hit["id"], hit) for hit in body["results"])
        if len(body["results"]) < 50:
            break
    assert body["total"] == len(found)
    return found


@pytest.mark.integration
def test_the_api_tells_the_link_and_never_returns_a_broken_one(
    corpus: Corpus, site: LinkServer, http: TestClient
) -> None:
    client = OpenSearch(hosts=[corpus.settings.opensearch_url])
    alias = f"{corpus.settings.index_prefix}-resources"

    def refresh() -> None:
        client.indices.refresh(index=alias)

    approved = corpus.approved()
    private = next(rid for rid in approved if "/private/" in corpus.urls[rid])
    answering = [rid for rid in approved if "/private/" not in corpus.urls[rid]]
    fine, moved, gone = answering[0], answering[1], answering[2]
    site.route(path_of(corpus, site, moved), Reply(301, headers={"Location": NEW_HOME}))
    site.route(path_of(corpus, site, gone), Reply(404, page("404"), HTML))
    index_changes(
        corpus.ledger,
        client,
        corpus.settings.index_prefix,
        portals=list(RULEBOOK.policy.portals),
        vocabularies=RULEBOOK.vocabularies,
    )
    refresh()
    assert {hits(http)[rid]["link"] for rid in approved} == {"unchecked"}  # nothing checked yet

    first = run(corpus, T0, client=client)  # publishes what it changed: no `index` command after it
    assert first["counts"]["skipped"] >= 1 and first["applied"]["indexed"] >= len(answering)
    refresh()
    found = hits(http)
    assert (found[fine]["link"], found[moved]["link"], found[private]["link"]) == (
        "ok",
        "redirected",
        "unchecked",
    )
    assert found[gone]["link"] == "ok"  # one failure is not news: failing, still published
    assert http.get(f"/api/resources/{moved}").json()["link"] == "redirected"
    assert http.get(f"/api/resources/{private}").json()["link"] == "unchecked"

    run(corpus, T0 + timedelta(days=2), client=client)
    third = run(corpus, T0 + timedelta(days=4), client=client)
    assert third["applied"]["declared_broken"] == 1
    assert corpus.row(gone).status == "needs_review" and "LINK_BROKEN" in corpus.codes(gone)

    # Processing again, forced, keeps the record in the queue with its issue, out of the index.
    source = SourceConfig.model_validate(
        {
            "id": SOURCE_ID,
            "name": "Démo",
            "type": "oai",
            "url": "http://127.0.0.1:9/oai",
            "metadata_prefix": "lom",
        }
    )
    process_source(corpus.ledger, source, RULEBOOK, force=True)
    assert corpus.row(gone).status == "needs_review" and "LINK_BROKEN" in corpus.codes(gone)
    index_changes(
        corpus.ledger,
        client,
        corpus.settings.index_prefix,
        portals=list(RULEBOOK.policy.portals),
        vocabularies=RULEBOOK.vocabularies,
    )
    refresh()
    assert gone not in hits(http)

    # A documentalist keeps it published: approved in the ledger, never in an answer.
    decide_by_person(corpus.ledger, gone, "approved", actor="marie")
    kept = run(corpus, T0 + timedelta(days=5), client=client)
    assert kept["applied"]["kept_published"] == 1
    assert (corpus.row(gone).status, corpus.row(gone).decided_by) == ("approved", "marie")
    index_changes(
        corpus.ledger,
        client,
        corpus.settings.index_prefix,
        portals=list(RULEBOOK.policy.portals),
        vocabularies=RULEBOOK.vocabularies,
    )
    refresh()
    assert gone not in hits(http) and not client.exists(index=alias, id=gone)
    missing = http.get(f"/api/resources/{gone}")
    assert missing.status_code == 404
    for facet in http.get("/api/search").json()["facets"]["source"]:  # facet counts agree too
        assert facet["count"] == len(hits(http))

    # The page comes back: the documentalist's record returns to the portals by itself.
    site.route(path_of(corpus, site, gone), ok_page("back"))
    back = run(corpus, T0 + timedelta(days=6), client=client)
    assert back["applied"]["recovered"] == 1
    refresh()
    assert hits(http)[gone]["link"] == "ok"


@pytest.mark.integration
def test_url_moved_is_one_click_and_the_new_address_is_checked_next(
    corpus: Corpus, site: LinkServer, http: TestClient
) -> None:
    client = OpenSearch(hosts=[corpus.settings.opensearch_url])
    alias = f"{corpus.settings.index_prefix}-resources"
    moved = next(rid for rid in corpus.approved() if "/private/" not in corpus.urls[rid])
    old_url = corpus.urls[moved]
    site.route(path_of(corpus, site, moved), Reply(301, headers={"Location": NEW_HOME}))
    run(corpus, T0, client=client)
    issue = next(i for i in corpus.row(moved).issues if i["code"] == "URL_MOVED")
    assert issue["suggestion"] == site.url(NEW_HOME)

    result = apply_suggestion(corpus.ledger, RULEBOOK, moved, "URL_MOVED", actor="marie")
    assert result.status == "approved"
    row = corpus.row(moved)
    assert landing_url(row.record) == site.url(NEW_HOME)
    assert "URL_MOVED" not in corpus.codes(moved)  # the new address: nothing known of it yet

    second = run(corpus, T0 + timedelta(hours=1), client=client)  # a fresh address is due at once
    assert second["counts"]["checked"] == 1
    health = corpus.health(moved)
    assert (health.url, health.state, health.failures) == (site.url(NEW_HOME), LinkState.OK, 0)
    with corpus.ledger() as session:
        newest = link_history(session, moved)[0]
        assert (newest["url"], newest["outcome"]) == (site.url(NEW_HOME), Outcome.OK.value)
        assert link_history(session, moved)[1]["url"] == old_url
    client.indices.refresh(index=alias)
    page_of = http.get(f"/api/resources/{moved}").json()
    assert (page_of["url"], page_of["link"]) == (site.url(NEW_HOME), "ok")


def test_runs_json_lists_links_runs_with_outcomes_throughput_and_hosts_down(
    corpus: Corpus, site: LinkServer
) -> None:
    gone = next(rid for rid in corpus.approved() if "/private/" not in corpus.urls[rid])
    site.route(path_of(corpus, site, gone), Reply(410, page("Gone"), HTML))
    run(corpus, T0)
    reports = [r for r in list_runs(corpus.ledger, SOURCE_ID, limit=10) if r["kind"] == "links"]
    assert len(reports) == 1
    report = reports[0]
    assert report["status"] == "completed" and report["source"] == SOURCE_ID
    assert set(report["counts"]) == {
        "checked",
        "ok",
        "redirected",
        "broken",
        "soft_404",
        "unreachable",
        "skipped",
    }
    assert report["counts"]["broken"] == 1 and report["counts"]["skipped"] >= 1
    assert report["counts"]["checked"] == report["counts"]["ok"] + 1
    assert report["hosts_down"] == [] and isinstance(report["throughput"], float)
    with corpus.ledger() as session:
        assert (
            session.scalars(select(HarvestRun).where(HarvestRun.kind == "links")).one().id == report["run_id"]
        )
