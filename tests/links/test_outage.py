"""Outages are not rot: which hosts were down in a run, as tables of results (pure)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import pytest

from ren_index.config.rules import LinkRules
from ren_index.links.outage import find_outages, outage_kind, spare
from ren_index.links.outcomes import LinkResult, Outcome

RULES = LinkRules()
NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)

# (outcome, failure kind, http status) shorthands
OK = (Outcome.OK, None, 200)
SKIP = (Outcome.SKIPPED, None, None)
TIMEOUT = (Outcome.UNREACHABLE, "timeout", None)
CONNECT = (Outcome.UNREACHABLE, "connect", None)
E503 = (Outcome.UNREACHABLE, "http_5xx", 503)
DNS = (Outcome.BROKEN, "dns", None)
E404 = (Outcome.BROKEN, "http_404", 404)
E410 = (Outcome.BROKEN, "http_410", 410)
SOFT = (Outcome.SOFT_404, "soft_404", 200)

Spec = tuple[Outcome, str | None, int | None]


def results(host: str, specs: Sequence[Spec]) -> list[LinkResult]:
    return [
        LinkResult(
            record_id=f"{host}-{i}",
            url=f"https://{host}/r/{i}",
            host=host,
            outcome=outcome,
            checked_at=NOW,
            http_status=status,
            failure=failure,
        )
        for i, (outcome, failure, status) in enumerate(specs)
    ]


@pytest.mark.parametrize(
    ("specs", "down"),
    [
        ([TIMEOUT] * 5 + [OK] * 3, "timeout"),  # 5 of 8 time out: down
        ([TIMEOUT] * 4, None),  # 4 of 4: too few links to judge a host
        ([TIMEOUT] * 4 + [SKIP] * 3, None),  # skipped links were not checked: still 4
        ([TIMEOUT] * 3 + [CONNECT] * 3 + [OK] * 4, None),  # 6 of 10 failing, mixed: no single cause
        ([TIMEOUT] * 4 + [CONNECT] * 2 + [OK] * 4, None),  # 4 of 10 the same way
        ([CONNECT] * 6 + [TIMEOUT] * 2 + [OK] * 2, "connect"),
        ([E503] * 5, "http_5xx"),
        ([DNS] * 5, "dns"),  # the name does not resolve today: maybe the DNS host, wait
        ([TIMEOUT] * 4 + [OK] * 4, None),  # exactly half is not more than half
        ([E404] * 8, None),  # 404s spread over a host are rot, not an outage
        ([E410] * 4 + [E404] * 4, None),
        ([SOFT] * 6, None),
        ([E404] * 6 + [TIMEOUT] * 4, None),  # the timeouts are the minority
    ],
)
def test_a_host_is_down_when_most_of_its_links_fail_the_same_way(specs: list[Spec], down: str | None) -> None:
    found = find_outages(results("h.example.org", specs), RULES, now=NOW)
    assert (found["h.example.org"].failure if found else None) == down


def test_hosts_are_judged_each_on_its_own() -> None:
    run = results("down.example.org", [TIMEOUT] * 5) + results("fine.example.org", [OK] * 5 + [TIMEOUT] * 1)
    found = find_outages(run, RULES, now=NOW)
    assert list(found) == ["down.example.org"]
    outage = found["down.example.org"]
    assert (outage.failing, outage.checked, outage.since, outage.expired) == (5, 5, NOW, False)
    assert outage.as_json() == {
        "host": "down.example.org",
        "failure": "timeout",
        "failing": 5,
        "checked": 5,
        "since": "2026-03-02T09:30:00+00:00",
        "expired": False,
    }


def test_the_thresholds_come_from_the_rules() -> None:
    run = results("h.example.org", [TIMEOUT] * 3 + [OK] * 1)
    assert find_outages(run, RULES, now=NOW) == {}
    assert list(find_outages(run, LinkRules(outage_min_links=3), now=NOW)) == ["h.example.org"]
    assert find_outages(run, LinkRules(outage_min_links=3, outage_share=0.8), now=NOW) == {}


def test_no_failure_on_a_down_host_moves_a_counter() -> None:
    run = results("down.example.org", [TIMEOUT] * 5 + [E404, OK, OK]) + results("h.example.org", [E404, OK])
    outages = find_outages(run, RULES, now=NOW)
    judged, spared = spare(run, outages)
    assert [r.record_id for r in spared] == [f"down.example.org-{i}" for i in range(6)]  # its 404 too
    assert {r.record_id for r in judged} == {
        "down.example.org-6",  # a link that answered did answer
        "down.example.org-7",
        "h.example.org-0",  # another host's 404 is judged
        "h.example.org-1",
    }


def test_a_streak_of_outages_carries_its_start_and_expires() -> None:
    run = results("h.example.org", [CONNECT] * 5)
    carried = find_outages(run, RULES, now=NOW, down_since={"h.example.org": NOW - timedelta(days=3)})
    assert carried["h.example.org"].since == NOW - timedelta(days=3)
    assert not carried["h.example.org"].expired
    dead = find_outages(run, RULES, now=NOW, down_since={"h.example.org": NOW - timedelta(days=8)})
    assert dead["h.example.org"].expired  # down every run for over a week: dead, not down
    judged, spared = spare(run, dead)
    assert spared == [] and len(judged) == 5  # its links count again
    # A host that was down before but not in this run's previous report starts a new streak.
    assert (
        find_outages(run, RULES, now=NOW, down_since={"other.example.org": NOW})["h.example.org"].since == NOW
    )


@pytest.mark.parametrize(
    ("spec", "kind"),
    [(OK, None), (SKIP, None), (E404, None), (E410, None), (SOFT, None), (TIMEOUT, "timeout"), (DNS, "dns")],
)
def test_outage_kind(spec: Spec, kind: str | None) -> None:
    (result,) = results("h.example.org", [spec])
    assert outage_kind(result) == kind


def test_a_404_is_rot_whatever_the_checker_calls_it() -> None:
    (result,) = results("h.example.org", [(Outcome.BROKEN, "gone", 404)])
    assert outage_kind(result) is None
    (unnamed,) = results("h.example.org", [(Outcome.UNREACHABLE, None, None)])
    assert outage_kind(unnamed) == "unreachable"  # no kind given: the outcome is the kind
