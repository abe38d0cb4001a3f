"""Patience before judgement, as tables of checks (pure: the clock is each check's own time)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from ren_index.config.rules import LinkRules
from ren_index.links.outcomes import LinkResult, Outcome
from ren_index.links.patience import (
    Action,
    Candidate,
    Judgement,
    LinkHealth,
    LinkState,
    due,
    for_url,
    judge,
    keep_published,
    link_issues,
    plan,
    priority,
)

RULES = LinkRules()
T0 = datetime(2026, 3, 2, 4, 30, tzinfo=UTC)
URL = "https://ressources.example.org/fractions"
NEW = "https://ressources.example.org/maths/fractions"

OK, RED, BRK, SOFT, UNR, SKIP = (
    Outcome.OK,
    Outcome.REDIRECTED,
    Outcome.BROKEN,
    Outcome.SOFT_404,
    Outcome.UNREACHABLE,
    Outcome.SKIPPED,
)


def check(outcome: Outcome, hours: float, *, url: str = URL, final_url: str | None = None) -> LinkResult:
    return LinkResult(
        record_id="r1",
        url=url,
        host="ressources.example.org",
        outcome=outcome,
        checked_at=T0 + timedelta(hours=hours),
        final_url=final_url if final_url else (NEW if outcome is RED else None),
    )


def replay(checks: Sequence[tuple[Outcome, float]], start: LinkHealth | None = None) -> list[Judgement]:
    health = start or LinkHealth()
    out = []
    for outcome, hours in checks:
        judgement = judge(health, check(outcome, hours), RULES)
        out.append(judgement)
        health = judgement.health
    return out


@pytest.mark.parametrize(
    ("checks", "state", "actions"),
    [
        ([(OK, 0)], LinkState.OK, ["none"]),
        ([(BRK, 0)], LinkState.FAILING, ["none"]),
        # Three failures, but over 71 h: patience holds.
        ([(BRK, 0), (BRK, 35), (BRK, 71)], LinkState.FAILING, ["none"] * 3),
        # Three failures over 72 h: broken, declared once.
        ([(BRK, 0), (UNR, 36), (SOFT, 72)], LinkState.BROKEN, ["none", "none", "declare_broken"]),
        # Over 71 h, then a fourth the next day: broken then.
        ([(BRK, 0), (BRK, 35), (BRK, 71), (BRK, 95)], LinkState.BROKEN, [*["none"] * 3, "declare_broken"]),
        # Two failures over 100 h are not three.
        ([(UNR, 0), (UNR, 100)], LinkState.FAILING, ["none", "none"]),
        # A success in between starts the count again.
        ([(BRK, 0), (BRK, 36), (OK, 48), (BRK, 72)], LinkState.FAILING, ["none"] * 4),
        (
            [(BRK, 0), (BRK, 36), (OK, 48), (BRK, 72), (BRK, 96), (BRK, 144)],
            LinkState.BROKEN,
            [*["none"] * 5, "declare_broken"],
        ),
        # Skipped changes nothing: the count goes on across it.
        (
            [(BRK, 0), (SKIP, 24), (BRK, 36), (BRK, 72)],
            LinkState.BROKEN,
            ["none", "none", "none", "declare_broken"],
        ),
        # Broken stays broken without declaring again; a success is a recovery.
        (
            [(BRK, 0), (BRK, 36), (BRK, 72), (BRK, 96)],
            LinkState.BROKEN,
            ["none", "none", "declare_broken", "none"],
        ),
        (
            [(BRK, 0), (BRK, 36), (BRK, 72), (OK, 96)],
            LinkState.OK,
            ["none", "none", "declare_broken", "recovered"],
        ),
        # A failing link that answers again was never declared: nothing to recover.
        ([(BRK, 0), (OK, 24)], LinkState.OK, ["none", "none"]),
        # Redirected: moved, once per new address.
        ([(RED, 0), (RED, 168)], LinkState.REDIRECTED, ["moved", "none"]),
        ([(OK, 0), (RED, 168)], LinkState.REDIRECTED, ["none", "moved"]),
        # Broken, then answering through a permanent redirect: recovered (and the new URL offered).
        (
            [(BRK, 0), (BRK, 36), (BRK, 72), (RED, 96)],
            LinkState.REDIRECTED,
            ["none", "none", "declare_broken", "recovered"],
        ),
    ],
)
def test_patience(checks: list[tuple[Outcome, float]], state: LinkState, actions: list[str]) -> None:
    judgements = replay(checks)
    assert [j.action.value for j in judgements] == actions
    assert judgements[-1].health.state is state


def test_the_span_is_measured_from_the_first_failure_of_the_run_of_failures() -> None:
    health = replay([(BRK, 0), (OK, 10), (BRK, 20), (BRK, 50)])[-1].health
    assert health.failures == 2 and health.first_failure_at == T0 + timedelta(hours=20)


def test_patience_follows_the_rules() -> None:
    strict = LinkRules(failures_before_broken=1, min_span_hours=0)
    assert judge(LinkHealth(), check(BRK, 0), strict).action is Action.DECLARE_BROKEN


def test_skipped_changes_nothing_of_the_judgement() -> None:
    failing = replay([(BRK, 0), (BRK, 36)])[-1].health
    after = judge(failing, check(SKIP, 40), RULES)
    assert after.action is Action.NONE
    assert (after.health.state, after.health.failures, after.health.first_failure_at) == (
        failing.state,
        failing.failures,
        failing.first_failure_at,
    )
    assert after.health.changed_at == failing.changed_at
    assert after.health.checked_at == T0 + timedelta(hours=40)  # waits its interval, not asked nightly
    assert judge(LinkHealth(), check(SKIP, 0), RULES).health.state is LinkState.UNCHECKED


def test_a_result_applied_twice_counts_once() -> None:
    health = replay([(BRK, 0), (BRK, 36)])[-1].health
    again = judge(health, check(BRK, 36), RULES)
    assert again.health == health and again.action is Action.NONE
    older = judge(health, check(OK, 30), RULES)  # a stale result, older than the last applied
    assert older.health == health


def test_recovery_resets_everything_and_dates_the_change() -> None:
    judgements = replay([(BRK, 0), (BRK, 36), (BRK, 72), (OK, 96)])
    health = judgements[-1].health
    assert (health.failures, health.first_failure_at) == (0, None)
    assert health.changed_at == T0 + timedelta(hours=96)
    assert judgements[2].health.changed_at == T0 + timedelta(hours=72)  # declared broken then
    assert judgements[1].health.changed_at == T0  # failing since the first failure


def test_keep_published_is_respected_until_the_link_changes_state() -> None:
    broken = replay([(BRK, 0), (BRK, 36), (BRK, 72)])[-1].health
    kept = keep_published(broken)
    assert kept.holds_back is False and broken.holds_back is True
    # Still failing: the person's choice holds, nothing is declared again.
    still = judge(kept, check(UNR, 96), RULES)
    assert still.action is Action.NONE and still.health.kept_published and not still.health.holds_back
    assert link_issues(still.health) == []
    # The link recovers: the choice ends with the state it was about…
    back = judge(still.health, check(OK, 120), RULES)
    assert back.action is Action.RECOVERED and back.health.kept_published is False
    # …so when it breaks again, it is declared again and holds the record back.
    again = replay([(BRK, 130), (BRK, 170), (BRK, 210)], start=back.health)
    assert again[-1].action is Action.DECLARE_BROKEN and again[-1].health.holds_back


@pytest.mark.parametrize(
    "state", [LinkState.UNCHECKED, LinkState.OK, LinkState.FAILING, LinkState.REDIRECTED]
)
def test_only_a_broken_link_can_be_kept_published(state: LinkState) -> None:
    with pytest.raises(ValueError, match="broken"):
        keep_published(LinkHealth(state=state))


def test_redirected_offers_the_new_address() -> None:
    judgement = judge(LinkHealth(), check(RED, 0), RULES)
    assert (judgement.action, judgement.new_url) == (Action.MOVED, NEW)
    (issue,) = link_issues(judgement.health)
    assert (issue.code, issue.severity, issue.value, issue.suggestion) == ("URL_MOVED", "info", URL, NEW)
    # Moved again elsewhere: offered again.
    elsewhere = judge(judgement.health, check(RED, 200, final_url=NEW + "-v2"), RULES)
    assert (elsewhere.action, elsewhere.new_url) == (Action.MOVED, NEW + "-v2")
    # Answering directly again: no more suggestion.
    assert link_issues(judge(elsewhere.health, check(OK, 400), RULES).health) == []


def test_the_new_address_is_where_the_permanent_hops_led() -> None:
    """301 to the new home, then a 302 to a session page: the correction is the 301's target."""
    result = replace(check(RED, 0, final_url=NEW + "?session=42"), extra={"moved_to": NEW})
    assert judge(LinkHealth(), result, RULES).new_url == NEW
    only_hops = replace(check(RED, 0), final_url=None, redirects=((301, NEW + "/"),))
    assert judge(LinkHealth(), only_hops, RULES).new_url == NEW + "/"


def test_a_redirect_to_itself_is_no_move() -> None:
    judgement = judge(LinkHealth(), check(RED, 0, final_url=URL), RULES)
    assert judgement.action is Action.NONE and judgement.health.state is LinkState.OK


def test_link_broken_issue_while_the_link_holds_the_record_back() -> None:
    assert link_issues(replay([(BRK, 0), (BRK, 36)])[-1].health) == []  # failing: still published
    broken = replay([(BRK, 0), (BRK, 36), (SOFT, 72)])[-1].health
    (issue,) = link_issues(broken)
    assert (issue.code, issue.severity, issue.field, issue.value) == (
        "LINK_BROKEN",
        "error",
        "technical.location",
        URL,
    )
    assert "3" in issue.message_fr and "soft_404" in issue.message_en


def test_a_corrected_address_starts_afresh() -> None:
    broken = replay([(BRK, 0), (BRK, 36), (BRK, 72)])[-1].health
    fresh = for_url(broken, NEW)
    assert fresh == LinkHealth() and link_issues(fresh) == []
    assert for_url(broken, URL) is broken
    judgement = judge(broken, check(BRK, 96, url=NEW), RULES)
    assert judgement.health.state is LinkState.FAILING and judgement.health.failures == 1


# -- due and order ---------------------------------------------------------------------------------

DAY = timedelta(days=1)


@pytest.mark.parametrize(
    ("state", "checked_ago", "expected"),
    [
        (LinkState.UNCHECKED, None, True),  # never checked: due
        (LinkState.OK, 6 * DAY, False),
        (LinkState.OK, 7 * DAY, True),
        (LinkState.OK, 7 * DAY - timedelta(minutes=90), True),  # checked late in last week's run
        (LinkState.OK, 7 * DAY - timedelta(hours=3), False),
        (LinkState.REDIRECTED, 3 * DAY, False),
        (LinkState.FAILING, 1 * DAY, True),
        (LinkState.FAILING, 1 * DAY - timedelta(minutes=5), True),  # yesterday's run started earlier
        (LinkState.FAILING, timedelta(hours=6), False),
        (LinkState.BROKEN, 1 * DAY, True),
        (LinkState.BROKEN, timedelta(hours=21), False),
        (LinkState.OK, -DAY, False),  # a check dated in the future (clock skew): not due
    ],
)
def test_due(state: LinkState, checked_ago: timedelta | None, expected: bool) -> None:
    now = T0 + 30 * DAY
    health = LinkHealth(state=state, checked_at=None if checked_ago is None else now - checked_ago)
    assert due(health, now, RULES) is expected


def test_due_follows_the_rules() -> None:
    now = T0 + 30 * DAY
    health = LinkHealth(state=LinkState.OK, checked_at=now - 2 * DAY)
    assert due(health, now, LinkRules(recheck_days=2)) and not due(health, now, RULES)
    # A run allowed a whole day forgives at most half the interval: a daily recheck stays daily.
    long_runs = LinkRules(deadline_minutes=24 * 60)
    broken = LinkHealth(state=LinkState.BROKEN)
    assert due(replace(broken, checked_at=now - timedelta(hours=13)), now, long_runs)
    assert not due(replace(broken, checked_at=now - timedelta(hours=11)), now, long_runs)


def test_plan_checks_approved_records_first_then_the_queue_never_checked_first() -> None:
    now = T0 + 30 * DAY

    def at(days: float | None, state: LinkState = LinkState.OK) -> LinkHealth:
        return LinkHealth(state=state, checked_at=None if days is None else now - days * DAY)

    candidates = [
        Candidate("q-old", "needs_review", at(20)),
        Candidate("a-recent", "approved", at(1)),  # not due
        Candidate("a-old", "approved", at(10)),
        Candidate("q-new", "needs_review", at(None)),
        Candidate("a-older", "approved", at(15)),
        Candidate("a-new", "approved", at(None)),
        Candidate("a-failing", "approved", at(1, LinkState.FAILING)),
        Candidate("a-new-b", "approved", at(None)),
    ]
    order = [c.record_id for c in plan(candidates, now, RULES)]
    assert order == ["a-new", "a-new-b", "a-older", "a-old", "a-failing", "q-new", "q-old"]
    assert priority(candidates[0]) < priority(Candidate("z", "rejected", at(None)))
