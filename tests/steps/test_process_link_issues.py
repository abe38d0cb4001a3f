"""The process step keeps what the link's health says (issue 15): processing again, forced or after
a re-harvest, never drops ``LINK_BROKEN`` nor publishes again a record whose broken link took it
off the portals; a person who kept it published is still respected; a corrected address starts
afresh; and a record the *rules* held back for its link is decided again by them when it recovers.

The link's checks are applied as the links step applies them (:func:`judge`, then
:func:`apply_judgement`, then :func:`redecide`), on a controlled clock, to demo records harvested
and processed into a real ledger (SQLite, or PostgreSQL with ``REN_TEST_POSTGRES_URL``).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from ren_index.config.rulebook import Rulebook
from ren_index.config.sources import SourceConfig
from ren_index.demo.server import DemoOaiServer
from ren_index.ledger.link_health import health_from_json
from ren_index.ledger.models import LinkHealthRow, RawRecordRow, ResourceRow
from ren_index.links.outcomes import LinkResult, Outcome
from ren_index.links.patience import LinkHealth, LinkState
from ren_index.model import Resource
from ren_index.review.decisions import decide_by_person
from ren_index.settings import Settings
from ren_index.steps.harvest import harvest_source
from ren_index.steps.index import row_document
from ren_index.steps.link_apply import apply_judgement, redecide
from ren_index.steps.links import landing_url
from ren_index.steps.process import load_link_health, process_record, process_source

from .conftest import source_for

RULEBOOK = Rulebook.load(Path(__file__).resolve().parents[2] / "config")
T0 = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)


def check(ledger: sessionmaker[Session], rid: str, outcome: Outcome, at: datetime) -> LinkHealth:
    """One check of the record's current address applied as the links step applies it."""
    from ren_index.links.patience import judge

    with ledger.begin() as session:
        row = session.get_one(ResourceRow, rid)
        url = landing_url(row.record)
        assert url is not None
        health_row = session.get(LinkHealthRow, rid)
        previous = health_from_json(health_row.health if health_row else None)
        failing = outcome in (Outcome.BROKEN, Outcome.SOFT_404, Outcome.UNREACHABLE)
        result = LinkResult(
            rid,
            url,
            "ex.org",
            outcome,
            at,
            http_status=404 if failing else 200,
            failure="http_404" if failing else None,
        )
        judgement = judge(previous, result, RULEBOOK.policy.rules.links)
        apply_judgement(
            session, row, health_row, judgement, rules=RULEBOOK.policy.rules, review="on-issues", run_id=None
        )
        redecide(session, row, judgement, RULEBOOK)
        return judgement.health


def declare_broken(ledger: sessionmaker[Session], rid: str) -> None:
    for day in (0, 2, 4):  # three failures spanning 96 hours: broken at the third
        health = check(ledger, rid, Outcome.BROKEN, T0 + timedelta(days=day))
    assert health.state is LinkState.BROKEN


def row(ledger: sessionmaker[Session], rid: str) -> ResourceRow:
    with ledger() as session:
        return session.get_one(ResourceRow, rid)


def codes(ledger: sessionmaker[Session], rid: str) -> list[str]:
    return [str(i["code"]) for i in row(ledger, rid).issues]


def indexable(ledger: sessionmaker[Session], rid: str) -> bool:
    with ledger() as session:
        found = session.get_one(ResourceRow, rid)
        health = session.get(LinkHealthRow, rid)
        return row_document(found, RULEBOOK.vocabularies, None, health.health if health else None) is not None


@pytest.fixture
def processed(
    ledger: sessionmaker[Session], settings: Settings, demo_server: DemoOaiServer
) -> tuple[SourceConfig, list[str]]:
    """The demo LOM source harvested and processed; its approved records with an address."""
    source = source_for(demo_server.url)
    harvest_source(ledger, source, settings)
    process_source(ledger, source, RULEBOOK)
    with ledger() as session:
        approved = [
            r.id
            for r in session.scalars(select(ResourceRow).where(ResourceRow.status == "approved"))
            if landing_url(r.record)
        ]
    assert len(approved) >= 3
    return source, sorted(approved)


def test_process_force_keeps_link_broken_and_the_record_off_the_portals(
    ledger: sessionmaker[Session], processed: tuple[SourceConfig, list[str]]
) -> None:
    source, approved = processed
    gone, other = approved[0], approved[1]
    declare_broken(ledger, gone)
    before = row(ledger, gone)
    assert (before.status, before.decided_by) == ("needs_review", "links")
    assert "LINK_BROKEN" in codes(ledger, gone)

    report = process_source(ledger, source, RULEBOOK, force=True)
    assert report["counts"]["processed"] > 0
    after = row(ledger, gone)
    assert (after.status, after.decided_by) == ("needs_review", "links")  # still in the queue
    broken = [i for i in after.issues if i["code"] == "LINK_BROKEN"]
    assert len(broken) == 1 and broken[0]["value"] == landing_url(after.record)
    assert not indexable(ledger, gone)
    assert row(ledger, other).status == "approved" and "LINK_BROKEN" not in codes(ledger, other)


def test_a_changed_source_record_is_decided_with_its_broken_link_then_again_on_recovery(
    ledger: sessionmaker[Session], processed: tuple[SourceConfig, list[str]]
) -> None:
    source, approved = processed
    gone = approved[0]
    declare_broken(ledger, gone)
    with ledger.begin() as session:  # the partner changed the record: the rules decide afresh
        raw = session.get_one(RawRecordRow, session.get_one(ResourceRow, gone).raw_id)
        raw.content_hash = "changed-at-the-source"
    process_source(ledger, source, RULEBOOK)
    decided = row(ledger, gone)
    assert (decided.status, decided.decided_by) == ("needs_review", "rules")  # not published again
    assert "LINK_BROKEN" in codes(ledger, gone)

    health = check(ledger, gone, Outcome.OK, T0 + timedelta(days=5))  # the page is back
    assert health.state is LinkState.OK
    back = row(ledger, gone)
    assert (back.status, back.decided_by) == ("approved", "rules")
    assert "LINK_BROKEN" not in codes(ledger, gone) and indexable(ledger, gone)


def test_a_person_keeping_it_published_is_respected_by_processing_but_not_by_the_index(
    ledger: sessionmaker[Session], processed: tuple[SourceConfig, list[str]]
) -> None:
    source, approved = processed
    gone = approved[0]
    declare_broken(ledger, gone)
    decide_by_person(ledger, gone, "approved", actor="marie")
    check(ledger, gone, Outcome.BROKEN, T0 + timedelta(days=5))  # read as « keep it published »
    process_source(ledger, source, RULEBOOK, force=True)
    kept = row(ledger, gone)
    assert (kept.status, kept.decided_by) == ("approved", "marie")
    assert "LINK_BROKEN" not in codes(ledger, gone)  # the person's choice: no issue sends it back
    assert not indexable(ledger, gone)  # …but a portal never shows a result that does not open


def test_a_corrected_address_starts_afresh(
    ledger: sessionmaker[Session], processed: tuple[SourceConfig, list[str]]
) -> None:
    source, approved = processed
    gone = approved[0]
    declare_broken(ledger, gone)
    with ledger() as session:
        raw = session.get_one(RawRecordRow, session.get_one(ResourceRow, gone).raw_id)
        health = load_link_health(session, [gone, approved[1]])
        assert set(health) == {gone}  # one query for many; a record never checked has none
        resource, issues, _decision = process_record(raw, source, RULEBOOK, link=health[gone])
        assert "LINK_BROKEN" in [i.code for i in issues]
        assert resource is not None
        moved = Resource.model_validate(
            {**resource.model_dump(), "technical": {"locations": ["https://ailleurs.example.org/r"]}}
        )
        from ren_index.steps.process import record_link_issues

        assert record_link_issues(moved, health[gone]) == []  # the old address's failures do not count
        assert [i.code for i in record_link_issues(resource, health[gone])] == ["LINK_BROKEN"]
