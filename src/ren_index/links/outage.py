"""Outages are not rot: the hosts that were down during one run, whose records are not punished.

When a school board's server is off for the night, every link to it times out at once. Counting
those failures against each record would declare hundreds of resources broken after one long
weekend, although nothing about them changed. So a host is *down* for a run when at least
``links.outage_min_links`` of its links were checked and more than ``links.outage_share`` of them
failed **the same way** — all timeouts, all refused connections, all TLS failures, all 5xx, all
names that do not resolve: one cause, the host's, not the pages'. The failures of a down host's
links are then set aside (:func:`spare`): no record's failure counter moves, the run report lists
the host, and those links stay due, so the next run tries them again.

Not outages:

- **404, 410 and soft 404s**, however many: each is the host answering, about one page, that it is
  gone. Many of them on one host is what rot looks like (a site reorganized without redirects),
  exactly what the checker is for; sparing them would hide the worst cases.
- **Mixed failures** (some timeouts, some refusals, some 404s): no single cause, so no outage; each
  link is judged on its own, with the patience rules to absorb a bad night.
- **A host down for too long**: a host down in every run for more than ``links.outage_max_days``
  is dead, not down. It is still reported, but its links count again — else a closed site would
  stay published for ever, its links spared night after night.

Pure, like :mod:`ren_index.links.patience`: one run's results (and the hosts down in the previous
run, with since when) in, values out.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from ren_index.config.clock import utc_iso
from ren_index.config.rules import LinkRules
from ren_index.links.outcomes import FAILURES, LinkResult, Outcome

ROT_KINDS = frozenset({"http_404", "http_410", "soft_404"})
"""Failure kinds that are a page's own « gone », never a host's outage."""
ROT_STATUSES = frozenset({404, 410})


@dataclass(frozen=True)
class Outage:
    """One host down during a run."""

    host: str
    failure: str
    """The failure kind most of its checked links shared (``timeout``, ``connect``, ``http_5xx``…)."""
    failing: int
    """How many of its checked links failed that way."""
    checked: int
    """How many of its links were checked in the run (skipped ones aside)."""
    since: datetime
    """The start of the first run of this streak of runs where the host was down."""
    expired: bool = False
    """Down for longer than ``outage_max_days``: reported, but its links are judged again."""

    def as_json(self) -> dict[str, object]:
        """An entry of the run report's ``hosts_down``."""
        return {
            "host": self.host,
            "failure": self.failure,
            "failing": self.failing,
            "checked": self.checked,
            "since": utc_iso(self.since),
            "expired": self.expired,
        }


def outage_kind(result: LinkResult) -> str | None:
    """The failure kind that may show an outage, or ``None`` (a success, or a page's own « gone »)."""
    if result.outcome not in FAILURES or result.outcome is Outcome.SOFT_404:
        return None
    kind = result.failure or result.outcome.value
    if kind in ROT_KINDS or result.http_status in ROT_STATUSES:
        return None
    return kind


def find_outages(
    results: Iterable[LinkResult],
    rules: LinkRules,
    *,
    now: datetime,
    down_since: Mapping[str, datetime] | None = None,
) -> dict[str, Outage]:
    """The hosts down during the run that started at ``now``, by host.

    ``down_since``: the hosts down in the previous links run, each with the ``since`` of its
    :class:`Outage` (from the run report): a streak carries on, a host not in it starts one now.
    """
    by_host: dict[str, list[LinkResult]] = defaultdict(list)
    for result in results:
        if result.outcome is not Outcome.SKIPPED:  # not asked: says nothing about the host
            by_host[result.host].append(result)
    previous = down_since or {}
    found: dict[str, Outage] = {}
    for host, checked in sorted(by_host.items()):
        if len(checked) < rules.outage_min_links:
            continue
        kinds = Counter(kind for kind in map(outage_kind, checked) if kind is not None)
        if not kinds:
            continue
        failing, kind = max((count, kind) for kind, count in kinds.items())
        if failing / len(checked) <= rules.outage_share:
            continue
        since = min(previous.get(host, now), now)
        expired = now - since > timedelta(days=rules.outage_max_days)
        found[host] = Outage(host, kind, failing, len(checked), since, expired)
    return found


def spare(
    results: Iterable[LinkResult], outages: Mapping[str, Outage]
) -> tuple[list[LinkResult], list[LinkResult]]:
    """The results to judge, and the failures set aside because their host was down.

    Every failure on a down host is spared, whatever its kind: the host was not itself that night,
    and no record's failure counter may move for it. Successes on a down host are judged (a link
    that answered did answer: a broken one has recovered). The spared results are still kept in
    the link's history, but not given to :func:`ren_index.links.patience.judge`, so their links
    stay due and are tried again at the next run. An expired outage spares nothing.
    """
    judged: list[LinkResult] = []
    spared: list[LinkResult] = []
    for result in results:
        outage = outages.get(result.host)
        if outage is not None and not outage.expired and result.outcome in FAILURES:
            spared.append(result)
        else:
            judged.append(result)
    return judged, spared
