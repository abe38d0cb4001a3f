"""Where the records' links stand: one word per link, counts per state, the queue filter, the rot curve.

A ledger written by hand (:func:`build`): every record's status, age (the raw record's
``first_seen``) and link state are in :data:`RECORDS`, so every expected count below can be read
off that table. Runs on SQLite and PostgreSQL (the ``ledger_url`` fixture): the link kind and the
age buckets are decided by the database, and must agree with the Python rule.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from ren_index.cli.main import app
from ren_index.ledger.db import open_ledger
from ren_index.ledger.link_health import health_json
from ren_index.ledger.models import LinkCheck, LinkHealthRow, RawRecordRow, ResourceRow, SourceRow
from ren_index.ledger.store import resource_id
from ren_index.links.outcomes import Outcome
from ren_index.links.patience import LinkHealth, LinkState
from ren_index.model import Provenance, Resource
from ren_index.review import queries
from ren_index.review.link_report import (
    AGE_BUCKETS,
    KINDS,
    RotBucket,
    bucket_of,
    kind_column,
    kinds_of,
    link_counts,
    link_kind,
    record_link,
    rot_curve,
)

NOW = datetime(2027, 3, 1, 12, 0, tzinfo=UTC)
A, R = "approved", "needs_review"


@dataclass(frozen=True)
class Rec:
    key: str
    source: str
    status: str
    days: float
    """Age: ``first_seen`` is ``NOW - days``."""
    state: str | None
    """``link_health.state`` (``None``: no row, never checked)."""
    last: str | None = None
    """The last check's outcome."""


RECORDS = (
    # source « a », under a month: 2 checked, 1 dead (50 %)
    Rec("a-ok-young", "a", A, 10, "ok", "ok"),
    Rec("a-404-young", "a", R, 12, "failing", "broken"),
    Rec("a-new", "a", R, 3, None),
    # 1 to 3 months: 3 checked, 1 dead (33 %); exactly 30 days old is « 1 to 3 months »
    Rec("a-soft", "a", R, 60, "broken", "soft_404"),
    Rec("a-timeout", "a", A, 45, "failing", "unreachable"),
    Rec("a-moved", "a", A, 30, "redirected", "redirected"),
    # 3 to 6 months: nothing; 6 to 12 months: skipped only (not checked)
    Rec("a-robots", "a", A, 200, "unchecked", "skipped"),
    # 12 to 24 months: 4 checked, 2 dead (50 %): a declared-broken link skipped since is still dead
    Rec("a-gone", "a", R, 400, "broken", "broken"),
    Rec("a-gone-skipped", "a", R, 500, "broken", "skipped"),
    Rec("a-ok-old", "a", A, 450, "ok", "ok"),
    Rec("a-ok-older", "a", A, 700, "ok", "ok"),
    # over 24 months: 1 of 1 (100 %); the rejected and the deleted do not count
    Rec("a-ancient", "a", A, 800, "failing", "broken"),
    Rec("a-rejected", "a", "rejected", 800, "broken", "broken"),
    Rec("a-deleted", "a", "deleted", 900, "broken", "broken"),
    # source « b »
    Rec("b-gone", "b", R, 20, "broken", "broken"),
    Rec("b-ok", "b", A, 20, "ok", "ok"),
    Rec("b-new", "b", R, 20, None),
)


@dataclass
class LinkLedger:
    factory: sessionmaker[Session]
    ids: dict[str, str]

    def keys(self, items: list[dict[str, object]]) -> set[str]:
        by_id = {rid: key for key, rid in self.ids.items()}
        return {by_id[str(item["id"])] for item in items}


def _record(rec: Rec) -> dict[str, object]:
    resource = Resource(provenance=Provenance(source=rec.source, identifier=rec.key, metadata_format="lom"))
    resource.general.title = {"fr": f"Notice {rec.key}"}
    resource.technical.locations = [f"https://{rec.source}.example/{rec.key}"]
    return resource.model_dump(mode="json")


def build(ledger_url: Callable[..., str]) -> LinkLedger:
    factory = open_ledger(ledger_url())
    ids: dict[str, str] = {}
    with factory.begin() as session:
        for sid in ("a", "b"):
            session.add(
                SourceRow(id=sid, name=f"Source {sid}", type="oai", url=f"https://{sid}.example", config={})
            )
        session.flush()
        for n, rec in enumerate(RECORDS):
            raw = RawRecordRow(
                source_id=rec.source,
                identifier=rec.key,
                metadata_prefix="lom",
                payload="<x/>",
                content_hash=rec.key,
                first_seen=NOW - timedelta(days=rec.days),
            )
            session.add(raw)
            session.flush()
            rid = resource_id(rec.source, rec.key)
            ids[rec.key] = rid
            session.add(
                ResourceRow(
                    id=rid,
                    raw_id=raw.id,
                    source_id=rec.source,
                    record=_record(rec),
                    issues=[],
                    status=rec.status,
                    portals=[],
                    decided_at=NOW - timedelta(hours=n),
                    updated_at=NOW,
                )
            )
            session.flush()
            if rec.state is not None:
                health = LinkHealth(
                    state=LinkState(rec.state),
                    failures=3 if rec.state == "broken" else 0,
                    last_outcome=Outcome(rec.last) if rec.last else None,
                    checked_at=NOW - timedelta(days=1),
                    url=f"https://{rec.source}.example/{rec.key}",
                )
                session.add(LinkHealthRow(resource_id=rid, state=rec.state, health=health_json(health)))
    return LinkLedger(factory, ids)


@pytest.fixture
def ledger(ledger_url: Callable[..., str]) -> LinkLedger:
    return build(ledger_url)


# -- the rule, in Python ----------------------------------------------------------------------------

STATES = (None, "unchecked", "ok", "redirected", "failing", "broken")
OUTCOMES = (None, *(o.value for o in Outcome))


@pytest.mark.parametrize(
    ("state", "last", "kind"),
    [
        (None, None, "unchecked"),
        ("unchecked", None, "unchecked"),
        ("unchecked", "skipped", "skipped"),
        ("ok", "ok", "ok"),
        ("ok", "skipped", "ok"),  # a skip changes nothing: the link still answered last time
        ("redirected", "redirected", "redirected"),
        ("failing", "broken", "broken"),
        ("failing", "soft_404", "soft_404"),
        ("failing", "unreachable", "unreachable"),
        ("failing", "skipped", "unreachable"),
        ("broken", "soft_404", "soft_404"),
        ("broken", "unreachable", "unreachable"),
        ("broken", "skipped", "broken"),
        ("broken", None, "broken"),
    ],
)
def test_link_kind(state: str | None, last: str | None, kind: str) -> None:
    assert link_kind(state, last) == kind


@pytest.mark.parametrize(
    ("days", "bucket"),
    [
        (-1, "lt1"),
        (0, "lt1"),
        (29.99, "lt1"),
        (30, "1to3"),
        (90.5, "1to3"),
        (91, "3to6"),
        (181, "3to6"),
        (182, "6to12"),
        (364, "6to12"),
        (365, "12to24"),
        (729, "12to24"),
        (730, "gt24"),
        (5000, "gt24"),
    ],
)
def test_bucket_of(days: float, bucket: str) -> None:
    assert bucket_of(timedelta(days=days)) == bucket


def test_the_database_decides_the_kind_as_python_does(ledger_url: Callable[..., str]) -> None:
    """Every state × outcome pair, written as rows, read back through :func:`kind_column`."""
    built = build(ledger_url)
    pairs = [(s, o) for s in STATES[1:] for o in OUTCOMES]
    with built.factory.begin() as session:
        template = session.get_one(ResourceRow, built.ids["b-new"])
        raw_template = session.get_one(RawRecordRow, template.raw_id)
        expected: dict[str, str] = {}
        for n, (state, last) in enumerate(pairs):
            raw = RawRecordRow(
                source_id="b",
                identifier=f"pair-{n}",
                metadata_prefix="lom",
                payload="<x/>",
                content_hash=f"pair-{n}",
                first_seen=raw_template.first_seen,
            )
            session.add(raw)
            session.flush()
            rid = resource_id("b", f"pair-{n}")
            session.add(
                ResourceRow(id=rid, raw_id=raw.id, source_id="b", record=template.record, issues=[], status=R)
            )
            session.flush()
            health = {"state": state, "last_outcome": last, "failures": 0}
            session.add(LinkHealthRow(resource_id=rid, state=state, health=health))
            expected[rid] = link_kind(state, last)
    with built.factory() as session:
        found = dict(
            session.execute(
                select(ResourceRow.id, kind_column())
                .outerjoin(LinkHealthRow, LinkHealthRow.resource_id == ResourceRow.id)
                .where(ResourceRow.id.in_(list(expected)))
            ).all()
        )
        assert found == expected
        assert kinds_of(session, list(expected)) == expected


# -- counts, the curve, the queue ------------------------------------------------------------------


def test_counts_per_kind_and_status(ledger: LinkLedger) -> None:
    with ledger.factory() as session:
        everything = link_counts(session)
        only_a = link_counts(session, "a")
    assert list(everything) == list(KINDS)
    assert only_a["broken"] == {A: 1, R: 3, "total": 4}  # a-404-young, a-gone, a-gone-skipped, a-ancient
    assert only_a["soft_404"] == {A: 0, R: 1, "total": 1}
    assert only_a["unreachable"] == {A: 1, R: 0, "total": 1}
    assert only_a["redirected"] == {A: 1, R: 0, "total": 1}
    assert only_a["ok"] == {A: 3, R: 0, "total": 3}
    assert only_a["skipped"] == {A: 1, R: 0, "total": 1}
    assert only_a["unchecked"] == {A: 0, R: 1, "total": 1}
    assert sum(row["total"] for row in only_a.values()) == 12  # the live records of « a »
    assert everything["broken"] == {A: 1, R: 4, "total": 5}
    assert everything["ok"]["total"] == 4 and everything["unchecked"]["total"] == 2
    assert sum(row["total"] for row in everything.values()) == 15


def test_rot_curve_by_age(ledger: LinkLedger) -> None:
    with ledger.factory() as session:
        curve = rot_curve(session, "a", NOW)
        empty = rot_curve(session, "nobody", NOW)
    assert [b.key for b in curve] == [key for key, _ in AGE_BUCKETS]
    assert [(b.checked, b.dead) for b in curve] == [(2, 1), (3, 1), (0, 0), (0, 0), (4, 2), (1, 1)]
    assert [None if b.share is None else round(b.share, 3) for b in curve] == [
        0.5,
        0.333,
        None,
        None,
        0.5,
        1.0,
    ]
    assert all(b == RotBucket(b.key, 0, 0) for b in empty)


def test_queue_filters_and_counts_by_link_with_the_other_filters(ledger: LinkLedger) -> None:
    broken = queries.queue(ledger.factory, status=R, link="broken")
    assert ledger.keys(broken.items) == {"a-404-young", "a-gone", "a-gone-skipped", "b-gone"}
    assert broken.total == 4
    # The link counts obey every other filter (source « a »), not the link filter itself.
    in_a = queries.queue(ledger.factory, status=R, source="a", link="broken")
    assert ledger.keys(in_a.items) == {"a-404-young", "a-gone", "a-gone-skipped"}
    assert in_a.counts["link"] == {"broken": 3, "soft_404": 1, "unchecked": 1}
    assert in_a.counts["source"] == {"a": 3, "b": 1}  # the sources' counts obey the link filter
    # With the free-text search too.
    searched = queries.queue(ledger.factory, status=R, source="a", link="broken", q="gone")
    assert ledger.keys(searched.items) == {"a-gone", "a-gone-skipped"}
    assert searched.counts["link"] == {"broken": 2}
    # Every status, and the kind carried by each line of the page.
    ok = queries.queue(ledger.factory, status="all", link="ok")
    assert ledger.keys(ok.items) == {"a-ok-young", "a-ok-old", "a-ok-older", "b-ok"}
    assert {item["link_kind"] for item in ok.items} == {"ok"}
    # An unknown value filters nothing (as an unknown claim).
    assert queries.queue(ledger.factory, status=R, link="nonsense").total == 7


def test_record_link_with_its_history(ledger: LinkLedger) -> None:
    rid = ledger.ids["a-gone"]
    with ledger.factory.begin() as session:
        for day in range(25):
            session.add(
                LinkCheck(
                    resource_id=rid,
                    url="https://a.example/a-gone",
                    host="a.example",
                    outcome="broken" if day % 2 else "unreachable",
                    http_status=404 if day % 2 else None,
                    final_url=None,
                    redirects=[],
                    attempts=1,
                    elapsed_ms=10,
                    reason="404",
                    failure="http_404",
                    spared=day == 24,
                    checked_at=NOW - timedelta(days=30 - day),
                )
            )
    with ledger.factory() as session:
        link = record_link(session, rid)
        unchecked = record_link(session, ledger.ids["a-new"])
    assert (link["kind"], link["state"], link["declared"], link["failures"]) == ("broken", "broken", True, 3)
    assert len(link["history"]) == 20  # bounded
    assert link["history"][0]["spared"] is True and link["history"][0]["outcome"] == "unreachable"
    assert link["http_status"] is None  # the newest check's
    assert (unchecked["kind"], unchecked["history"], unchecked["declared"]) == ("unchecked", [], False)


def test_cli_queue_by_link_state(
    ledger: LinkLedger, ledger_url: Callable[..., str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """``ren-index queue --link broken``: the web queue's filter from the shell; an unknown state refused."""
    bind = ledger.factory.kw["bind"]
    monkeypatch.setenv("REN_DATABASE_URL", bind.url.render_as_string(hide_password=False))
    monkeypatch.setenv("REN_CONFIG_DIR", str(Path(__file__).resolve().parents[2] / "config"))
    runner = CliRunner()
    found = runner.invoke(app, ["queue", "--link", "broken", "--source", "a", "--json"])
    assert found.exit_code == 0, found.output
    assert {item["id"] for item in json.loads(found.stdout)} == {
        ledger.ids[k] for k in ("a-404-young", "a-gone", "a-gone-skipped")
    }
    refused = runner.invoke(app, ["queue", "--link", "dead"])
    assert refused.exit_code == 2 and "soft_404" in refused.output
