"""Unbounded text (issue 10, point 7): a 1 MB title or description is an issue, and nothing public
carries more of it than the limits of ``validation.yaml``.

The record goes the way a real one does: served by the demo OAI endpoint, harvested, processed
with the repository's rules (it must land in the review queue with TITLE_TOO_LONG and
DESCRIPTION_TOO_LONG), shown in the queue, approved by a person, indexed on the real node, then
read through ``/api/search``, ``/api/suggest`` and ``/api/resources/{id}``, whose sizes are
asserted. Before this change the record was approved as is and each of those answers was over
1 MB; an empty search failed for every portal (highlighting refuses a field over 1 M characters).
"""

from __future__ import annotations

import html
import json
import re
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import pytest
import rdflib
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from ren_index.config.rulebook import Rulebook
from ren_index.config.rules import TextRules, ValidationRules, clip, load_rules
from ren_index.config.sources import SourceConfig
from ren_index.config.vocabularies import Vocabularies, build_vocabulary
from ren_index.demo.catalogue import demo_records
from ren_index.demo.server import DemoOaiServer
from ren_index.index.client import make_client
from ren_index.index.documents import MAX_INDEXED_CHARS
from ren_index.ledger.db import open_ledger
from ren_index.ledger.models import RawRecordRow, ResourceRow
from ren_index.model import Provenance, Resource
from ren_index.review.decisions import decide_by_person
from ren_index.search.results import clip_snippet
from ren_index.settings import Settings, load_settings
from ren_index.steps.harvest import harvest_source
from ren_index.steps.index import index_changes
from ren_index.steps.process import process_source
from ren_index.validate import ValidationContext
from ren_index.validate.descriptions import check_description
from ren_index.validate.titles import check_title
from ren_index.web import accounts, routes_api
from ren_index.web.app import create_app

CONFIG = Path(__file__).resolve().parents[2] / "config"
RULEBOOK = Rulebook.load(CONFIG)
MEGABYTE = 1_000_000
MARK = "Zythologie"
"""A word of the long title alone: the searches find the record by it."""
TITLE = MARK + " des fractions : " + "une activité sur les fractions équivalentes pour la classe. " * 17_000
DESCRIPTION = "Cette activité propose des exercices de fractions en classe. " * 17_000
LONG_ID = "oai:demo:long-text"


# -- validation: the issues themselves ---------------------------------------------------------


def _ctx(rules: ValidationRules | None = None) -> ValidationContext:
    empty = build_vocabulary(rdflib.Graph(), "empty")
    vocabularies = Vocabularies(levels=empty, licences=empty, resource_types=empty)
    return ValidationContext(vocabularies=vocabularies, rules=rules or load_rules(CONFIG))


def _resource(title: str, description: str) -> Resource:
    resource = Resource(provenance=Provenance(source="t", identifier="oai:t:1", metadata_format="oai_dc"))
    resource.general.title = {"fr": title}
    resource.general.description = {"fr": description}
    return resource


def test_the_limits_are_configured_and_send_records_to_review() -> None:
    rules = load_rules(CONFIG)
    assert (rules.text.title_max_chars, rules.text.description_max_chars) == (300, 10_000)
    assert rules.effect("TITLE_TOO_LONG", "warning") == "review"
    assert rules.effect("DESCRIPTION_TOO_LONG", "warning") == "review"


def test_a_megabyte_title_and_description_are_issues_that_quote_only_their_beginning() -> None:
    assert len(TITLE) > MEGABYTE and len(DESCRIPTION) > MEGABYTE
    resource = _resource(TITLE.upper(), DESCRIPTION)  # capitals too: still one finding, no 1 MB suggestion
    _, title_issues = check_title(resource, _ctx())
    _, description_issues = check_description(resource, _ctx())
    assert [i.code for i in title_issues] == ["TITLE_TOO_LONG"]
    assert [i.code for i in description_issues] == ["DESCRIPTION_TOO_LONG"]
    title_issue, description_issue = title_issues[0], description_issues[0]
    assert title_issue.severity == description_issue.severity == "warning"
    assert title_issue.value is not None and len(title_issue.value) == 300
    assert title_issue.value.endswith("…") and title_issue.suggestion is None
    assert description_issue.value is not None and len(description_issue.value) == 10_000
    assert "300" in title_issue.message_fr and "300" in title_issue.message_en
    assert f"{len(TITLE.strip())} caractères" in title_issue.message_fr
    assert "10000" in description_issue.message_fr and "characters" in description_issue.message_en
    assert len(json.dumps([i.model_dump() for i in title_issues + description_issues])) < 25_000


@pytest.mark.parametrize(
    ("title_length", "codes"),
    [(50, []), (51, ["TITLE_TOO_LONG"])],
)
def test_the_title_limit_is_the_configured_one(title_length: int, codes: list[str]) -> None:
    rules = ValidationRules(text=TextRules(title_max_chars=50, description_max_chars=100))
    resource = _resource("Fractions " + "x" * (title_length - 10), "Une description " * 7)
    assert [i.code for i in check_title(resource, _ctx(rules))[1]] == codes
    assert [i.code for i in check_description(resource, _ctx(rules))[1]] == ["DESCRIPTION_TOO_LONG"]


def test_clipping_counts_the_ellipsis_and_keeps_snippets_well_formed() -> None:
    assert clip("abc", 3) == "abc"
    assert clip("abcdef", 4) == "abc…"
    snippet = "a &amp; b &lt;script&gt; &quot;q&quot; <mark>fraction</mark> " * 500
    cut = clip_snippet(snippet, 100)
    assert len(cut) <= 100 and cut.endswith("…")
    assert re.fullmatch(r"(?:[^&<>]|&(?:amp|lt|gt|quot|#x27);)*…", cut), cut
    assert html.unescape(cut[:-1]).startswith("a & b <script>")
    assert clip_snippet("<mark>short</mark> &amp; fine", 100) == "<mark>short</mark> &amp; fine"


# -- the real path: harvest, process, queue, approve, index, API --------------------------------


@dataclass
class Pipeline:
    settings: Settings
    ledger: sessionmaker[Session]
    base_id: str
    long_id: str


def _source(url: str) -> SourceConfig:
    return SourceConfig.model_validate(
        {"id": "demo-dc", "name": "Démo Dublin Core", "type": "oai", "url": url, "metadata_prefix": "oai_dc",
         "defaults": {"language": "fr"}, "review": "on-issues"}
    )  # fmt: skip


def _row_id(ledger: sessionmaker[Session], identifier: str) -> str:
    with ledger() as session:
        return session.scalars(
            select(ResourceRow.id)
            .join(RawRecordRow, ResourceRow.raw_id == RawRecordRow.id)
            .where(RawRecordRow.identifier == identifier)
        ).one()


@pytest.fixture(scope="module")
def pipeline(
    tmp_path_factory: pytest.TempPathFactory, session_ledger_url: Callable[..., str]
) -> Iterator[Pipeline]:
    """Twenty demo Dublin Core records processed; then one of the approved ones again, under
    another identifier and address, with a 1 MB title and a 1 MB description."""
    folder = tmp_path_factory.mktemp("limits")
    url = session_ledger_url("limits", folder=folder)
    settings = load_settings(data_dir=folder, database_url=url, config_dir=CONFIG)
    ledger = open_ledger(url)
    records = [r for r in demo_records() if r.metadata_format == "oai_dc" and not r.deleted][:20]
    with DemoOaiServer(records=records, page_size=50) as server:
        harvest_source(ledger, _source(server.url), settings, full=True)
        process_source(ledger, _source(server.url), RULEBOOK)
    with ledger() as session:
        approved = session.execute(
            select(ResourceRow.id, RawRecordRow.identifier)
            .join(RawRecordRow, ResourceRow.raw_id == RawRecordRow.id)
            .where(ResourceRow.status == "approved")
            .order_by(ResourceRow.id)
        ).first()
    assert approved is not None, "no demo record was approved: pick other demo records"
    base = next(r for r in records if r.identifier == approved.identifier)
    long = replace(
        base, identifier=LONG_ID, title=TITLE, description=DESCRIPTION, url="https://example.org/long-text"
    )
    with DemoOaiServer(records=[*records, long], page_size=50) as server:
        harvest_source(ledger, _source(server.url), settings, full=True)
        process_source(ledger, _source(server.url), RULEBOOK)
    yield Pipeline(settings, ledger, approved.id, _row_id(ledger, LONG_ID))
    bind = ledger.kw.get("bind")
    if bind is not None:
        bind.dispose()


def test_the_long_record_waits_in_the_queue_with_both_issues(pipeline: Pipeline) -> None:
    with pipeline.ledger() as session:
        base = session.get_one(ResourceRow, pipeline.base_id)
        row = session.get_one(ResourceRow, pipeline.long_id)
        assert base.status == "approved"
        assert row.status == "needs_review"
        codes = {i["code"] for i in row.issues}
        assert {"TITLE_TOO_LONG", "DESCRIPTION_TOO_LONG"} <= codes
        assert codes - {"TITLE_TOO_LONG", "DESCRIPTION_TOO_LONG"} <= {i["code"] for i in base.issues}
        assert len(json.dumps(row.issues)) < 30_000  # the issues quote the beginning only


def _logged_in(app: FastAPI) -> TestClient:
    with app.state.ledger() as session:
        accounts.set_user(session, "dora", "documentalist", "correct horse battery", actor="test")
        session.commit()
    client = TestClient(app, follow_redirects=False)
    form = client.get("/review/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    assert token is not None
    answer = client.post(
        "/review/login",
        data={"username": "dora", "password": "correct horse battery", "csrf_token": token.group(1)},
    )
    assert answer.status_code == 303, answer.text[:500]
    return client


def test_the_queue_and_the_dashboard_stay_small(pipeline: Pipeline) -> None:
    settings = pipeline.settings.model_copy(
        update={"opensearch_url": "http://127.0.0.1:9", "login_failure_delay": 0.0}
    )
    with _logged_in(create_app(settings)) as client:
        queue = client.get("/review/queue", params={"status": "all", "size": 100})
        assert queue.status_code == 200
        assert pipeline.long_id in queue.text
        assert len(queue.content) < 150_000, len(queue.content)  # was 2.1 MB
        assert clip(TITLE, 300) in html.unescape(queue.text)
        dashboard = client.get("/review/")
        assert dashboard.status_code == 200 and pipeline.long_id in dashboard.text
        assert len(dashboard.content) < 100_000, len(dashboard.content)


@dataclass
class Api:
    client: TestClient
    settings: Settings


@pytest.fixture(scope="module")
def api(pipeline: Pipeline, opensearch_url: str) -> Iterator[Api]:
    """The long record approved by a person (the title not corrected yet), indexed, behind the API."""
    prefix = f"lim{secrets.token_hex(4)}"
    settings = pipeline.settings.model_copy(update={"opensearch_url": opensearch_url, "index_prefix": prefix})
    decide_by_person(pipeline.ledger, pipeline.long_id, "approved", actor="dora")
    opensearch = make_client(settings)
    try:
        report = index_changes(
            pipeline.ledger,
            opensearch,
            prefix,
            portals=list(RULEBOOK.policy.portals),
            vocabularies=RULEBOOK.vocabularies,
        )
        assert report["counts"]["errors"] == 0 and report["counts"]["indexed"] >= 2
        app = FastAPI()
        app.state.settings = settings
        app.include_router(routes_api.router)
        with TestClient(app) as client:
            yield Api(client, settings)
    finally:
        opensearch.indices.delete(index=f"{prefix}-*", ignore_unavailable=True)


@pytest.mark.integration
def test_the_index_holds_a_bounded_copy(api: Api, pipeline: Pipeline) -> None:
    alias = f"{api.settings.index_prefix}-resources"
    found = make_client(api.settings).get(index=alias, id=pipeline.long_id)["_source"]
    for text in (found["title_fr"][0], found["description_fr"][0], *found["suggest"]):
        assert MAX_INDEXED_CHARS - 2 <= len(text) <= MAX_INDEXED_CHARS  # the ledger keeps it whole


@pytest.mark.integration
@pytest.mark.parametrize("query", [MARK, ""])
def test_search_answers_stay_small(api: Api, pipeline: Pipeline, query: str) -> None:
    answer = api.client.get("/api/search", params={"q": query, "size": 50})
    assert answer.status_code == 200, answer.text[:300]  # an empty search used to fail for everyone
    assert len(answer.content) < 80_000, len(answer.content)  # was 1.05 MB
    hit = next(r for r in answer.json()["results"] if r["id"] == pipeline.long_id)
    assert hit["title"]["fr"] == clip(TITLE, 300)
    assert len(hit["title"]["fr"]) == 300 and hit["title"]["fr"].endswith("…")
    assert len(json.dumps(hit)) < 5_000
    assert "<mark>" not in hit["description"]["fr"]  # plain text; highlights are apart
    if query:
        assert set(hit["highlight"]) == {"title"}  # the word is in the title only
        assert len(hit["highlight"]["title"]) <= 300


@pytest.mark.integration
def test_suggest_answers_stay_small(api: Api, pipeline: Pipeline) -> None:
    answer = api.client.get("/api/suggest", params={"q": MARK[:6]})
    assert answer.status_code == 200
    assert len(answer.content) < 5_000, len(answer.content)
    assert {"id": pipeline.long_id, "title": clip(TITLE, 300)} in answer.json()["suggestions"]


@pytest.mark.integration
def test_the_resource_answer_stays_small(api: Api, pipeline: Pipeline) -> None:
    answer = api.client.get(f"/api/resources/{pipeline.long_id}")
    assert answer.status_code == 200
    assert len(answer.content) < 30_000, len(answer.content)  # 10,000 of description, 300 of title
    view = answer.json()
    assert view["title"]["fr"] == clip(TITLE, 300)
    assert view["description"]["fr"] == clip(DESCRIPTION.strip(), 10_000)
    base = api.client.get(f"/api/resources/{pipeline.base_id}").json()
    assert not base["title"]["fr"].endswith("…")  # a normal record is shown whole
