"""Patience before judgement: from a record's link history and one new check, its link's state.

One failed check says little: a site restarts, a certificate is renewed a day late, a school board
takes its server down for the weekend. Removing a resource from a portal for that would punish the
record for its host's bad night, and documentalists would spend their mornings approving again
what the checker took away. So a link is declared broken only after
``links.failures_before_broken`` failed checks in a row (``broken``, ``soft_404`` or
``unreachable``) spanning at least ``links.min_span_hours``; any success in between starts the
count again. Once declared, the record gets ``LINK_BROKEN`` (its effect is set per portal in
``validation.yaml``, back to the queue by default); when the link answers again, the issue goes and
the record returns to its previous decision. A documentalist may keep a broken link published (a
site that refuses robots but opens for people): that choice holds until the link changes state
again, then the rules judge afresh.

Pure on purpose, like :mod:`ren_index.decide` and :mod:`ren_index.runs.guard`: a
:class:`LinkHealth` and a :class:`~ren_index.links.outcomes.LinkResult` in, a :class:`Judgement`
out. The clock is the check's own ``checked_at`` (and ``now`` for :func:`due`), so a run applied
late or replayed judges exactly the same, and the rules are tested with tables of values.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum

from ren_index.config.rules import LinkRules
from ren_index.links.outcomes import FAILURES, LinkResult, Outcome
from ren_index.model import Issue


class LinkState(StrEnum):
    """Where a record's link stands, for people, the queue filter and the portals' API."""

    UNCHECKED = "unchecked"
    """Never checked, or skipped every time (robots.txt, a non-public address)."""
    OK = "ok"
    REDIRECTED = "redirected"
    """It answers, through a permanent redirect: the new address is offered (``URL_MOVED``)."""
    FAILING = "failing"
    """Failed lately, not (yet) judged broken: still published, checked again sooner."""
    BROKEN = "broken"
    """Declared broken (``LINK_BROKEN``): off the portals unless a person kept it published."""


class Action(StrEnum):
    """What the step applying a judgement must do to the record, besides storing the new state."""

    NONE = "none"
    DECLARE_BROKEN = "declare_broken"
    """Raise ``LINK_BROKEN`` and decide the record again (back to the queue by default)."""
    RECOVERED = "recovered"
    """Clear ``LINK_BROKEN``: the record returns to its previous decision."""
    MOVED = "moved"
    """Offer the new address (``URL_MOVED``, :attr:`Judgement.new_url`)."""


@dataclass(frozen=True)
class LinkHealth:
    """What is kept of one record's link between checks (one row per record in the ledger)."""

    state: LinkState = LinkState.UNCHECKED
    failures: int = 0
    """Consecutive failed checks (any failing outcome); a success resets it."""
    first_failure_at: datetime | None = None
    """When the current run of failures began: the span the patience rule measures."""
    last_outcome: Outcome | None = None
    checked_at: datetime | None = None
    """The last check applied (skipped ones included): when the link is due again."""
    changed_at: datetime | None = None
    """When :attr:`state` last changed."""
    kept_published: bool = False
    """A person decided to keep the record published with its link broken, since the last change."""
    url: str | None = None
    """The address these figures are about: a corrected URL starts afresh."""
    moved_to: str | None = None
    """Where a permanent redirect leads (state ``redirected``): the suggestion of ``URL_MOVED``."""

    @property
    def holds_back(self) -> bool:
        """The link keeps the record off the portals: broken, and no person kept it published."""
        return self.state is LinkState.BROKEN and not self.kept_published


@dataclass(frozen=True)
class Judgement:
    """The link's new state and what the record must undergo because of it."""

    health: LinkHealth
    action: Action = Action.NONE
    new_url: str | None = None
    """For :attr:`Action.MOVED`, and for :attr:`Action.RECOVERED` when the link came back through a
    permanent redirect (it recovered *and* moved)."""


def judge(previous: LinkHealth, result: LinkResult, rules: LinkRules) -> Judgement:
    """The link's state after ``result``, and the action it calls for.

    A result no newer than the last one applied changes nothing (a run applied twice counts each
    failure once). A result for another address than the figures (a documentalist corrected the
    URL) starts from a fresh, unchecked state.
    """
    previous = for_url(previous, result.url)
    if previous.checked_at is not None and result.checked_at <= previous.checked_at:
        return Judgement(previous)
    at = result.checked_at
    if result.outcome is Outcome.SKIPPED:
        # Nothing was asked, so nothing is learnt: the judgement stands. The check time moves, so a
        # link robots.txt forbids waits its usual interval instead of being tried every night.
        return Judgement(replace(previous, checked_at=at, last_outcome=result.outcome, url=result.url))
    if result.outcome in FAILURES:
        return _failed(previous, result, rules)
    new_url = _moved_to(result)
    after = LinkHealth(
        state=LinkState.REDIRECTED if new_url else LinkState.OK,
        last_outcome=result.outcome,
        checked_at=at,
        url=result.url,
        moved_to=new_url,
    )
    health = _carry(previous, after)
    if previous.state is LinkState.BROKEN:
        return Judgement(health, Action.RECOVERED, new_url)
    if new_url and (previous.state is not LinkState.REDIRECTED or previous.moved_to != new_url):
        return Judgement(health, Action.MOVED, new_url)
    return Judgement(health)


def for_url(health: LinkHealth, url: str) -> LinkHealth:
    """``health`` when it is about ``url``, else a fresh, unchecked state.

    A documentalist who corrects a broken address must not see the record held back by the old
    one's failures: the new address starts unchecked (and so is checked first at the next run).
    """
    return health if health.url is None or health.url == url else LinkHealth()


def _failed(previous: LinkHealth, result: LinkResult, rules: LinkRules) -> Judgement:
    at = result.checked_at
    failures = previous.failures + 1
    first = previous.first_failure_at or at
    judged = failures >= rules.failures_before_broken and at - first >= timedelta(hours=rules.min_span_hours)
    broken = previous.state is LinkState.BROKEN or judged
    after = LinkHealth(
        state=LinkState.BROKEN if broken else LinkState.FAILING,
        failures=failures,
        first_failure_at=first,
        last_outcome=result.outcome,
        checked_at=at,
        url=result.url,
    )
    declared = broken and previous.state is not LinkState.BROKEN
    return Judgement(_carry(previous, after), Action.DECLARE_BROKEN if declared else Action.NONE)


def _carry(previous: LinkHealth, after: LinkHealth) -> LinkHealth:
    """``after``, dated: a change of state is dated by the check and ends a person's keep-published;
    without one, the date of the last change and the person's choice carry over."""
    if after.state is previous.state:
        return replace(after, changed_at=previous.changed_at, kept_published=previous.kept_published)
    return replace(after, changed_at=after.checked_at, kept_published=False)


def _moved_to(result: LinkResult) -> str | None:
    """Where a permanent redirect leads: where the checker says its permanent hops led
    (``extra["moved_to"]``: not a temporary hop after them), else the final URL, else the last
    ``Location`` followed."""
    if result.outcome is not Outcome.REDIRECTED:
        return None
    last = result.redirects[-1][1] if result.redirects else None
    target = result.extra.get("moved_to") or result.final_url or last
    return target if target and target != result.url else None


def keep_published(health: LinkHealth) -> LinkHealth:
    """A documentalist keeps the record published with its broken link, until the link changes state.

    Only a broken link can be kept: before, there is nothing to overrule; after a change, the
    rules judge the new state afresh.
    """
    if health.state is not LinkState.BROKEN:
        raise ValueError(f"only a broken link can be kept published, not one in state {health.state}")
    return replace(health, kept_published=True)


def link_issues(health: LinkHealth) -> list[Issue]:
    """The issues the link's state gives its record now (recomputed whenever the state changes).

    ``LINK_BROKEN`` while the link holds the record back (not when a person kept it published: the
    record would go back to the queue at its next processing, against their decision);
    ``URL_MOVED`` while it answers through a permanent redirect.
    """
    address = health.url
    if health.holds_back:
        outcome = health.last_outcome.value if health.last_outcome else "?"
        return [
            Issue(
                code="LINK_BROKEN",
                severity="error",
                field="technical.location",
                message_fr=f"Le lien ne mène plus à la ressource : {health.failures} vérifications"
                f" échouées de suite (dernière : {outcome}).",
                message_en=f"The link no longer leads to the resource: {health.failures} failed checks"
                f" in a row (last: {outcome}).",
                value=address,
            )
        ]
    if health.state is LinkState.REDIRECTED and health.moved_to:
        return [
            Issue(
                code="URL_MOVED",
                severity="info",
                field="technical.location",
                message_fr="La ressource a déménagé (redirection permanente) : sa nouvelle adresse est"
                " proposée.",
                message_en="The resource has moved (permanent redirect): its new address is offered.",
                value=address,
                suggestion=health.moved_to,
            )
        ]
    return []


# -- which links a run checks, in which order ------------------------------------------------------


def due(health: LinkHealth, now: datetime, rules: LinkRules) -> bool:
    """Whether the link should be checked in the run starting at ``now``.

    Never checked: yes. Otherwise once ``recheck_days`` have passed since the last check
    (``recheck_broken_days`` for a failing or broken link), less the length of a run
    (``deadline_minutes``, at most half the interval): a link checked near the end of yesterday's
    run is due again at the start of today's, instead of slipping a whole day.
    """
    if health.checked_at is None:
        return True
    failing = health.state in (LinkState.FAILING, LinkState.BROKEN)
    interval = timedelta(days=rules.recheck_broken_days if failing else rules.recheck_days)
    slack = min(timedelta(minutes=rules.deadline_minutes), interval / 2)
    return now - health.checked_at >= interval - slack


STATUS_ORDER = {"approved": 0, "needs_review": 1}
"""Published records first: a dead link there is what a portal's user meets."""


@dataclass(frozen=True)
class Candidate:
    """A live record whose link a run may check."""

    record_id: str
    status: str
    health: LinkHealth


def priority(candidate: Candidate) -> tuple[int, int, float, str]:
    """Sort key: approved records, then the queue; within each, never-checked links first, then the
    longest unchecked; the record id last, so the order is the same from one run to the next."""
    checked = candidate.health.checked_at
    return (
        STATUS_ORDER.get(candidate.status, len(STATUS_ORDER)),
        checked is not None,
        checked.timestamp() if checked else 0.0,
        candidate.record_id,
    )


def plan(candidates: Iterable[Candidate], now: datetime, rules: LinkRules) -> list[Candidate]:
    """The candidates due at ``now``, in the order a run checks them (:func:`priority`).

    The run's deadline may stop it before the end: what matters most is checked first, and what
    was left is still due, first among its peers, next time.
    """
    return sorted((c for c in candidates if due(c.health, now, rules)), key=priority)
