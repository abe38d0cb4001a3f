"""Claims (issue 14): opening a record marks it as someone's for a few minutes, never blocking anyone.

On the hand-written ledger of :mod:`.queue_records`, SQLite or PostgreSQL; time is passed in
(``now``) so expiry is tested without waiting.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from ren_index.ledger.models import Claim, Event, ResourceRow
from ren_index.review import claims
from ren_index.review.decisions import decide_by_person
from ren_index.review.queries import queue

from .queue_records import T0, WAITING, QueueLedger, build

ROOT = Path(__file__).resolve().parents[2]
LATER = T0 + timedelta(minutes=5)
EXPIRED = T0 + claims.CLAIM_DURATION + timedelta(seconds=1)


@pytest.fixture
def ql(ledger_url: Callable[..., str]) -> QueueLedger:
    return build(ledger_url)


def test_opening_claims_a_free_record_and_renewing_keeps_since(ql: QueueLedger) -> None:
    rid = ql.ids["ecole"]
    held = claims.claim(ql.factory, rid, "marie", now=T0)
    assert (held.user_name, held.claimed_at, held.expires_at) == ("marie", T0, T0 + claims.CLAIM_DURATION)
    again = claims.claim(ql.factory, rid, "marie", now=LATER)
    assert again.claimed_at == T0  # "since 14 h 02": when she started
    assert again.expires_at == LATER + claims.CLAIM_DURATION
    assert claims.current(ql.factory, rid, now=LATER) == again


def test_another_persons_claim_is_shown_not_taken(ql: QueueLedger) -> None:
    rid = ql.ids["ecole"]
    claims.claim(ql.factory, rid, "marie", now=T0)
    seen_by_paul = claims.claim(ql.factory, rid, "paul", now=LATER)
    assert seen_by_paul.user_name == "marie" and seen_by_paul.claimed_at == T0
    with ql.factory() as session:
        assert session.get_one(Claim, rid).user_name == "marie"
        assert session.scalars(select(Event).where(Event.resource_id == rid)).all() == []


def test_a_claim_expires_on_its_own(ql: QueueLedger) -> None:
    rid = ql.ids["ecole"]
    claims.claim(ql.factory, rid, "marie", now=T0)
    assert claims.current(ql.factory, rid, now=EXPIRED) is None
    with ql.factory() as session:
        assert claims.live_claims(session, now=EXPIRED) == {}
        assert set(claims.live_claims(session, now=LATER)) == {rid}
    taken = claims.claim(ql.factory, rid, "paul", now=EXPIRED)
    assert (taken.user_name, taken.claimed_at) == ("paul", EXPIRED)  # a new claim, a new "since"
    # Marie coming back after expiry starts anew too.
    assert claims.claim(ql.factory, rid, "marie", now=EXPIRED + timedelta(minutes=1)).user_name == "paul"


def test_taking_over_is_explicit_and_audited(ql: QueueLedger) -> None:
    rid = ql.ids["ecole"]
    claims.claim(ql.factory, rid, "marie", now=T0)
    taken = claims.take_over(ql.factory, rid, "paul", now=LATER)
    assert (taken.user_name, taken.claimed_at) == ("paul", LATER)
    with ql.factory() as session:
        events = session.scalars(select(Event).where(Event.resource_id == rid)).all()
    assert [(e.actor, e.action, e.before, e.after) for e in events] == [
        ("paul", claims.TAKE_OVER_ACTION, {"claimed_by": "marie"}, {"claimed_by": "paul"})
    ]
    # Taking over a free (or expired) record is just a claim: nothing to audit.
    other = ql.ids["numerique"]
    claims.take_over(ql.factory, other, "paul", now=LATER)
    with ql.factory() as session:
        assert session.scalars(select(Event).where(Event.resource_id == other)).all() == []
    assert claims.release(ql.factory, other, "marie") is False
    assert claims.release(ql.factory, other, "paul") is True
    assert claims.current(ql.factory, other, now=LATER) is None


def test_a_claim_never_blocks_a_decision(ql: QueueLedger) -> None:
    rid = ql.ids["ecole"]
    claims.claim(ql.factory, rid, "marie", now=T0)
    decide_by_person(ql.factory, rid, "approved", actor="paul")
    with ql.factory() as session:
        row = session.get_one(ResourceRow, rid)
        assert (row.status, row.decided_by) == ("approved", "paul")


def test_the_queue_filters_and_counts_by_claim(ql: QueueLedger) -> None:
    claims.claim(ql.factory, ql.ids["ecole"], "marie", now=T0)
    claims.claim(ql.factory, ql.ids["fractions"], "paul", now=T0)
    others = len(WAITING) - 2

    def keys(**kwargs: object) -> list[str]:
        return ql.keys(queue(ql.factory, size=200, now=LATER, **kwargs).items)

    assert keys(user="marie", claim="mine") == ["ecole"]
    assert keys(user="paul", claim="mine") == ["fractions"]
    assert keys(user="marie", claim="unclaimed") == [k for k in WAITING if k not in ("ecole", "fractions")]
    page = queue(ql.factory, user="marie", now=LATER, size=200)
    assert page.counts["claim"] == {"mine": 1, "taken": 1, "unclaimed": others}
    assert page.total == len(WAITING)
    item = next(i for i in page.items if i["id"] == ql.ids["fractions"])
    assert item["claim"]["user"] == "paul" and item["claim"]["since"] == T0.isoformat()
    assert next(i for i in page.items if i["id"] == ql.ids["chimie"])["claim"] is None
    # Combined with a source filter and a search, the counts follow.
    eo = queue(ql.factory, user="marie", now=LATER, source="eo", claim="unclaimed", size=200)
    assert ql.keys(eo.items) == ["avancees"]
    assert eo.counts["claim"] == {"taken": 1, "unclaimed": 1}
    assert eo.counts["source"] == {"eo": 1, "pav": 2}  # unclaimed ones, every source
    searched = queue(ql.factory, user="paul", now=LATER, q="fraction", claim="mine", size=200)
    assert ql.keys(searched.items) == ["fractions"] and searched.counts["claim"] == {
        "mine": 1,
        "unclaimed": 1,
    }
    # Expired: nobody's any more.
    late = queue(ql.factory, user="marie", now=EXPIRED, claim="unclaimed", size=200)
    assert late.total == len(WAITING)


def test_the_cli_queue_filters_on_live_claims(tmp_path: Path, ql: QueueLedger) -> None:
    """``ren-index queue --claimed mine|unclaimed|all [--as NAME]``: the UI's claims from the shell."""
    url = ql.factory.kw["bind"].url.render_as_string(hide_password=False)
    claims.claim(ql.factory, ql.ids["ecole"], "marie")  # now: live while the command runs
    claims.claim(ql.factory, ql.ids["fractions"], "paul")
    env = {
        **os.environ,
        "REN_DATA_DIR": str(tmp_path / "var"),
        "REN_DATABASE_URL": url,
        "REN_CONFIG_DIR": str(ROOT / "config"),
        "REN_OPENSEARCH_URL": "http://127.0.0.1:9",
    }

    def ids(*args: str) -> set[str]:
        done = subprocess.run(
            [sys.executable, "-m", "ren_index", "queue", "--json", *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
        return {item["id"] for item in json.loads(done.stdout)}

    assert ids("--claimed", "mine", "--as", "marie") == {ql.ids["ecole"]}
    assert ids("--claimed", "unclaimed") == {ql.ids[k] for k in WAITING} - {
        ql.ids["ecole"],
        ql.ids["fractions"],
    }
    assert ids() == ids("--claimed", "all") == {ql.ids[k] for k in WAITING}
    refused = subprocess.run(
        [sys.executable, "-m", "ren_index", "queue", "--claimed", "nobody"],
        env=env,
        capture_output=True,
        text=True,
    )
    assert refused.returncode == 2 and "mine, unclaimed, all" in refused.stderr
