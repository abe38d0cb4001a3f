"""The links step over a real ledger, a real local web site and the real OpenSearch.

A corpus of approved demo records whose landing URLs point at :class:`LinkServer` pages: most
answer, one is gone (404), one says « Page introuvable » (soft 404), one moved for good (301).
Three passes on a controlled clock show the patience rules (broken only at the third, 96 hours
after the first failure), the record leaving the index for the queue with ``LINK_BROKEN``; the
page coming back returns it to its decision and to the index. A host whose every link is refused
is down (nothing judged, the webhook told); a non-public address not allowed is never asked; a
crash leaves the runs ``failed`` with the command that resumes.
"""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from opensearchpy import OpenSearch
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from ren_index.config.rulebook import Rulebook
from ren_index.config.rules import ValidationRules
from ren_index.config.sources import SourceConfig
from ren_index.decide import ReviewPolicy
from ren_index.demo.catalogue import demo_records
from ren_index.demo.server import DemoOaiServer
from ren_index.ledger.db import open_ledger
from ren_index.ledger.link_health import health_from_json, health_json, link_history, link_view
from ren_index.ledger.models import Event, HarvestRun, LinkCheck, LinkHealthRow, RawRecordRow, ResourceRow
from ren_index.ledger.store import resource_id
from ren_index.links.checker import CheckerConfig, CheckRun, run_checks
from ren_index.links.outcomes import LinkTarget, Outcome
from ren_index.links.patience import LinkHealth, LinkState
from ren_index.model import Issue, Status
from ren_index.settings import Settings, load_settings
from ren_index.steps.harvest import harvest_source
from ren_index.steps.index import index_changes
from ren_index.steps.link_apply import weigh
from ren_index.steps.links import LINK_COUNTS, check_links
from ren_index.steps.process import process_source

from .conftest import config
from .link_server import HTML, LinkServer, Reply, free_port, page

CONFIG = Path(__file__).resolve().parents[2] / "config"
RULEBOOK = Rulebook.load(CONFIG)
SOURCE_ID = "demo-lom"
T0 = datetime(2027, 1, 4, 8, 0, tzinfo=UTC)
REPORT_KEYS = {"run_id", "kind", "status", "counts", "hosts_down", "duration_s", "throughput"}


def ok_page(path: str) -> Reply:
    return Reply(200, page(f"Ressource {path}", f"Ressource {path}"), HTML)


@dataclass
class Corpus:
    """The demo records harvested and processed, each landing URL on its own path."""

    ledger: sessionmaker[Session]
    settings: Settings
    urls: dict[str, str]
    """Record id → landing URL."""

    def approved(self) -> list[str]:
        with self.ledger() as session:
            ids = session.scalars(
                select(ResourceRow.id).where(ResourceRow.status == "approved").order_by(ResourceRow.id)
            )
            return [i for i in ids if i in self.urls]

    def row(self, rid: str) -> ResourceRow:
        with self.ledger() as session:
            return session.get_one(ResourceRow, rid)

    def codes(self, rid: str) -> set[str]:
        return {i["code"] for i in self.row(rid).issues}

    def health(self, rid: str) -> Any:
        with self.ledger() as session:
            row = session.get(LinkHealthRow, rid)
            return health_from_json(row.health if row else None)


def build(settings: Settings, url_of: Callable[[int], str]) -> Corpus:
    """Harvest and process the demo LOM records without defects, record ``i`` at ``url_of(i)``."""
    records = [r for r in demo_records() if r.metadata_format == "lom" and not r.defects]
    records = [replace(r, url=url_of(i)) for i, r in enumerate(records)]
    ledger = open_ledger(settings.db_url)
    with DemoOaiServer(records=records, page_size=50) as server:
        source = SourceConfig.model_validate(
            {"id": SOURCE_ID, "name": "Démo", "type": "oai", "url": server.url, "metadata_prefix": "lom"}
        )
        harvest_source(ledger, source, settings, full=True)
        process_source(ledger, source, RULEBOOK)
    urls = {resource_id(SOURCE_ID, r.identifier): str(r.url) for r in records if not r.deleted}
    return Corpus(ledger, settings, urls)


@pytest.fixture
def settings(tmp_path: Path, ledger_url: Callable[..., str]) -> Settings:
    return load_settings(
        data_dir=tmp_path,
        database_url=ledger_url(),
        harvest_timeout=5.0,
        harvest_max_retries=1,
        opensearch_url="http://127.0.0.1:9",
        index_prefix=f"test-links-{uuid.uuid4().hex[:8]}",
    )


@pytest.fixture
def site() -> Iterator[LinkServer]:
    server = LinkServer("127.0.0.1").start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def corpus(settings: Settings, site: LinkServer) -> Corpus:
    built = build(settings, lambda i: site.url(f"/r/{i}"))
    for url in built.urls.values():
        path = url.split(str(site.port), 1)[1]
        site.route(path, ok_page(path))
    return built


def run(corpus: Corpus, at: datetime, **kwargs: Any) -> dict[str, Any]:
    kwargs.setdefault("config", config())
    report = check_links(corpus.ledger, corpus.settings, RULEBOOK, source_ids=[SOURCE_ID], now=at, **kwargs)
    return dict(report)


def path_of(corpus: Corpus, site: LinkServer, rid: str) -> str:
    return corpus.urls[rid].split(str(site.port), 1)[1]


@pytest.mark.integration
def test_patience_then_broken_off_the_index_then_recovered_back(
    corpus: Corpus, site: LinkServer, opensearch_url: str
) -> None:
    client = OpenSearch(hosts=[opensearch_url])
    live = corpus.settings.model_copy(update={"opensearch_url": opensearch_url})
    corpus.settings = live
    alias = f"{live.index_prefix}-resources"
    approved = corpus.approved()
    assert len(approved) >= 10
    gone, soft, moved = approved[0], approved[1], approved[2]
    site.route(path_of(corpus, site, gone), Reply(404, page("404"), HTML))
    site.route(path_of(corpus, site, soft), Reply(200, page("Oups ! Page introuvable", "Erreur"), HTML))
    site.route(path_of(corpus, site, moved), Reply(301, headers={"Location": "/new-home-of-the-resource"}))
    try:
        index_changes(
            corpus.ledger,
            client,
            live.index_prefix,
            portals=list(RULEBOOK.policy.portals),
            vocabularies=RULEBOOK.vocabularies,
        )
        client.indices.refresh(index=alias)
        assert client.exists(index=alias, id=gone)

        first = run(corpus, T0, client=client)
        assert set(first) >= REPORT_KEYS and first["kind"] == "links" and first["status"] == "completed"
        assert set(first["counts"]) == set(LINK_COUNTS)
        live_count = len(corpus.urls) - sum(
            1 for r in corpus.urls if corpus.row(r).status not in ("approved", "needs_review")
        )
        assert first["counts"]["checked"] == live_count
        assert (first["counts"]["broken"], first["counts"]["soft_404"], first["counts"]["redirected"]) == (
            1,
            1,
            1,
        )
        assert first["hosts_down"] == []
        # Moved: the new address offered as a suggestion, the record still published.
        moved_issue = next(i for i in corpus.row(moved).issues if i["code"] == "URL_MOVED")
        assert moved_issue["suggestion"] == site.url("/new-home-of-the-resource")
        assert moved_issue["severity"] == "info" and corpus.row(moved).status == "approved"
        # One failure says little: still published, failing.
        assert corpus.row(gone).status == "approved" and corpus.health(gone).failures == 1
        version = corpus.row(gone).version

        second = run(corpus, T0 + timedelta(days=2), client=client)
        assert second["counts"]["checked"] == 2  # only the failing links were due again
        assert corpus.row(gone).status == "approved" and corpus.health(gone).failures == 2
        assert "LINK_BROKEN" not in corpus.codes(gone)

        third = run(corpus, T0 + timedelta(days=4), client=client)
        assert third["applied"]["declared_broken"] == 2 and third["applied"]["removed"] == 2
        for rid in (gone, soft):
            row = corpus.row(rid)
            assert (row.status, row.decided_by) == ("needs_review", "links")
            assert "LINK_BROKEN" in corpus.codes(rid)
            assert row.version == version + 1 if rid == gone else True
        client.indices.refresh(index=alias)
        assert not client.exists(index=alias, id=gone) and not client.exists(index=alias, id=soft)
        assert client.exists(index=alias, id=approved[3])
        with corpus.ledger() as session:
            events = session.scalars(
                select(Event).where(Event.resource_id == gone, Event.actor == "links")
            ).all()
            assert [e.action for e in events] == ["link_broken"]
            assert events[0].before["status"] == "approved" and events[0].after["status"] == "needs_review"
            assert link_view(session, gone) == {
                "state": "broken",
                "http_status": 404,
                "final_url": None,
                "checked_at": (T0 + timedelta(days=4)).isoformat(),
                "failures": 3,
            }
            assert len(link_history(session, gone)) == 3

        # The page comes back: the issue goes, the record returns to its decision and to the index.
        site.route(path_of(corpus, site, gone), ok_page("back"))
        fourth = run(corpus, T0 + timedelta(days=5), client=client)
        assert fourth["applied"]["recovered"] == 1 and fourth["applied"]["restored"] == 1
        row = corpus.row(gone)
        assert (row.status, row.decided_by) == ("approved", "rules")
        assert "LINK_BROKEN" not in corpus.codes(gone)
        client.indices.refresh(index=alias)
        assert client.exists(index=alias, id=gone)
        assert corpus.row(soft).status == "needs_review"  # still broken
        with corpus.ledger() as session:
            runs = session.scalars(select(HarvestRun).where(HarvestRun.kind == "links")).all()
            assert len(runs) == 4 and {r.status for r in runs} == {"completed"}
    finally:
        client.indices.delete(index=f"{live.index_prefix}-*", ignore_unavailable=True)


def test_a_person_keeping_a_broken_link_published_is_respected(corpus: Corpus, site: LinkServer) -> None:
    """Approving a record that carries ``LINK_BROKEN`` keeps it published until the link changes."""
    from ren_index.review.decisions import decide_by_person

    gone = corpus.approved()[0]
    site.route(path_of(corpus, site, gone), Reply(410, page("Gone"), HTML))
    for day in (0, 2, 4):
        run(corpus, T0 + timedelta(days=day))
    assert corpus.row(gone).status == "needs_review"
    decide_by_person(corpus.ledger, gone, "approved", actor="marie")
    report = run(corpus, T0 + timedelta(days=5))
    assert report["applied"]["kept_published"] == 1
    row = corpus.row(gone)
    assert (row.status, row.decided_by) == ("approved", "marie") and "LINK_BROKEN" not in corpus.codes(gone)
    assert corpus.health(gone).kept_published
    run(corpus, T0 + timedelta(days=6))  # still broken: the person's choice holds
    assert corpus.row(gone).status == "approved"


class Receiver:
    """A webhook receiver keeping every JSON body it is sent."""

    def __init__(self) -> None:
        self.messages: list[dict[str, Any]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                outer.messages.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
                self.send_response(204)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/hook"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def test_a_host_down_moves_no_counter_and_is_reported(settings: Settings, site: LinkServer) -> None:
    dead = f"http://127.0.0.2:{free_port('127.0.0.2')}"
    corpus = build(settings, lambda i: f"{dead}/r/{i}" if i < 8 else site.url(f"/r/{i}"))
    for url in corpus.urls.values():
        if url.startswith(site.url("")):
            path = url.split(str(site.port), 1)[1]
            site.route(path, ok_page(path))
    on_dead = [rid for rid, url in corpus.urls.items() if url.startswith(dead)]
    receiver = Receiver()
    try:
        corpus.settings = settings.model_copy(update={"webhook_url": receiver.url})
        report = run(corpus, T0)
    finally:
        receiver.close()
    assert [h["host"] for h in report["hosts_down"]] == ["127.0.0.2"]
    assert report["hosts_down"][0]["failure"] == "connect"
    assert report["counts"]["unreachable"] >= 5
    assert report["applied"]["spared"] == report["counts"]["unreachable"]
    for rid in on_dead:
        health = corpus.health(rid)
        assert health.failures == 0 and health.checked_at is None  # no counter moved: still due
    with corpus.ledger() as session:
        spared = session.scalars(select(LinkCheck).where(LinkCheck.spared.is_(True))).all()
        assert {c.resource_id for c in spared} <= set(on_dead) and spared
        run_row = session.scalars(select(HarvestRun).where(HarvestRun.kind == "links")).one()
        assert run_row.checkpoint["hosts_down"][0]["host"] == "127.0.0.2"
    assert [m["event"] for m in receiver.messages] == ["hosts_down"]
    assert "127.0.0.2" in receiver.messages[0]["message_fr"]


def test_a_non_public_address_not_allowed_is_skipped_unasked(corpus: Corpus, site: LinkServer) -> None:
    report = run(corpus, T0, config=config(allow_hosts=()))
    assert report["counts"]["checked"] == 0 and report["counts"]["skipped"] > 0
    assert site.total() == 0  # not even robots.txt
    rid = corpus.approved()[0]
    assert corpus.row(rid).status == "approved" and corpus.health(rid).state.value == "unchecked"


def test_a_crash_leaves_the_runs_failed_with_how_to_resume(corpus: Corpus) -> None:
    def crashing(targets: Iterable[LinkTarget], cfg: CheckerConfig, **kwargs: Any) -> CheckRun:
        run_checks(list(targets)[:3], cfg)
        raise RuntimeError("disque plein / disk full")

    report = run(corpus, T0, checker=crashing)
    assert report["status"] == "failed"
    assert "disk full" in report["error"]["message"]
    assert report["error"]["resume"] == f"ren-index links check {SOURCE_ID}"
    with corpus.ledger() as session:
        runs = session.scalars(select(HarvestRun).where(HarvestRun.kind == "links")).all()
        assert [r.status for r in runs] == ["failed"]
        assert session.scalars(select(LinkHealthRow)).first() is None
    again = run(corpus, T0)  # resuming checks everything that is due
    assert again["status"] == "completed" and again["counts"]["checked"] > 0


def test_unknown_source_is_one_line(corpus: Corpus) -> None:
    from ren_index.errors import ConfigError

    with pytest.raises(ConfigError, match="nope"):
        check_links(corpus.ledger, corpus.settings, RULEBOOK, source_ids=["nope"], now=T0, config=config())
    with corpus.ledger() as session:
        assert session.scalars(select(RawRecordRow)).first() is not None


BROKEN = Issue(code="LINK_BROKEN", severity="error", field="technical.location", message_fr="", message_en="")


@pytest.mark.parametrize(
    ("effects", "portal_effects", "review", "portals", "expected"),
    [
        ({}, {}, "on-issues", ["pavillon"], (Status.NEEDS_REVIEW, ["pavillon"])),  # error → review
        ({"LINK_BROKEN": "approve"}, {}, "on-issues", ["pavillon"], (Status.APPROVED, ["pavillon"])),
        ({"LINK_BROKEN": "reject"}, {}, "on-issues", ["pavillon"], (Status.REJECTED, ["pavillon"])),
        (
            {"LINK_BROKEN": "reject"},
            {"ecole-ouverte": {"LINK_BROKEN": "approve"}},
            "on-issues",
            ["pavillon", "ecole-ouverte"],
            (Status.APPROVED, ["ecole-ouverte"]),  # the rejecting portal is dropped
        ),
        (
            {"LINK_BROKEN": "approve"},
            {"pavillon": {"LINK_BROKEN": "review"}},
            "on-issues",
            ["pavillon", "ecole-ouverte"],
            (Status.NEEDS_REVIEW, ["ecole-ouverte", "pavillon"]),
        ),
        ({}, {}, "never", ["pavillon"], (Status.REJECTED, ["pavillon"])),  # never: an error rejects
        ({}, {}, "on-issues", [], (Status.NEEDS_REVIEW, [])),
    ],
)
def test_weigh_reads_the_effect_of_link_broken_per_portal(
    effects: dict[str, str],
    portal_effects: dict[str, dict[str, str]],
    review: ReviewPolicy,
    portals: list[str],
    expected: tuple[Status, list[str]],
) -> None:
    rules = ValidationRules.model_validate({"effects": effects, "portal_effects": portal_effects})
    assert weigh(portals, BROKEN, rules, review) == expected


def test_health_survives_the_ledger_unchanged() -> None:
    health = LinkHealth(
        state=LinkState.BROKEN,
        failures=3,
        first_failure_at=T0,
        last_outcome=Outcome.SOFT_404,
        checked_at=T0 + timedelta(days=3),
        changed_at=T0 + timedelta(days=3),
        kept_published=True,
        url="https://example.org/r",
    )
    assert health_from_json(json.loads(json.dumps(health_json(health)))) == health
    assert health_from_json(None) == LinkHealth()


def test_a_record_rejected_for_its_broken_link_comes_back_when_the_link_answers(
    corpus: Corpus, site: LinkServer
) -> None:
    """A ``review: never`` source rejects on an error: its record must still be checked and return."""
    never = {
        SOURCE_ID: SourceConfig.model_validate(
            {"id": SOURCE_ID, "name": "Démo", "type": "oai", "url": site.url("/oai"), "review": "never"}
        )
    }
    gone = corpus.approved()[0]
    site.route(path_of(corpus, site, gone), Reply(404, page("404"), HTML))
    for day in (0, 2, 4):
        run(corpus, T0 + timedelta(days=day), sources=never)
    row = corpus.row(gone)
    assert (row.status, row.decided_by) == ("rejected", "links") and "LINK_BROKEN" in corpus.codes(gone)
    site.route(path_of(corpus, site, gone), ok_page("back"))
    report = run(corpus, T0 + timedelta(days=5), sources=never)
    assert report["counts"]["checked"] == 1 and report["applied"]["recovered"] == 1
    row = corpus.row(gone)
    assert row.status == "approved" and "LINK_BROKEN" not in corpus.codes(gone)


def test_a_check_now_does_not_stand_for_the_last_passs_outages(corpus: Corpus) -> None:
    """The outage a nightly pass saw is still known after a « check now » of one record."""
    from ren_index.steps.links import previous_hosts_down

    since = T0.isoformat()
    with corpus.ledger.begin() as session:
        for scope, hosts in (
            (None, [{"host": "old.example", "since": since}]),  # a pass before scopes were kept
            ("sources", [{"host": "down.example", "since": since}]),
            ("records", []),
        ):
            checkpoint: dict[str, Any] = {"hosts_down": hosts}
            if scope:
                checkpoint["scope"] = scope
            session.add(
                HarvestRun(source_id=SOURCE_ID, kind="links", status="completed", checkpoint=checkpoint)
            )
    with corpus.ledger() as session:
        assert previous_hosts_down(session) == {"down.example": T0}
