"""Where the records' links stand, for people: one word per link, counts, history, the rot curve.

The ledger keeps a link's *state* (:class:`~ren_index.links.patience.LinkState`: ``unchecked``,
``ok``, ``redirected``, ``failing``, ``broken``) and its last check's *outcome*. A documentalist
asks another question: what does the link do now? So the pages, the queue filter and the counts
speak of a link's **kind** (:func:`link_kind`), one of :data:`KINDS`:

- ``ok``, ``redirected``: the state (the link answers; through a permanent redirect);
- ``broken``, ``soft_404``, ``unreachable``: a failing or declared-broken link, by what its last
  failure was (404/410/DNS…, a « page introuvable » answering 200, a timeout/5xx…); whether it is
  *declared* broken (``LINK_BROKEN``, off the portals) or only failing is said beside it, and the
  issue filter finds the declared ones;
- ``skipped``: never asked (``robots.txt``, a non-public address); ``unchecked``: not checked yet.

The same rule exists twice, on purpose and tested to agree: :func:`link_kind` in Python (a
record's page) and :func:`kind_column` in SQL (the counts, grouped by the database, whatever the
number of records). The **rot curve** (:func:`rot_curve`) is the share of links found dead
(``broken`` + ``soft_404``) among the checked links of a source's live records, by the records' age
(now − the raw record's ``first_seen``): the older the record, the more of its links are gone.
Every query here is grouped or limited: a page never reads the catalogue row by row.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, String, case, func, literal, select
from sqlalchemy.orm import Session

from ren_index.ledger.link_health import IN_BATCH, KEEP_CHECKS, health_from_json, link_history, link_view
from ren_index.ledger.models import LinkHealthRow, RawRecordRow, ResourceRow
from ren_index.model import Status

KINDS = ("broken", "soft_404", "unreachable", "redirected", "ok", "skipped", "unchecked")
"""What a link does now, worst first: the queue filter's values and the counts' rows."""
DEAD = ("broken", "soft_404")
"""The kinds the rot curve counts as gone."""
CHECKED = ("broken", "soft_404", "unreachable", "redirected", "ok")
"""The kinds of a link that answered something: the rot curve's denominator."""
LIVE = (Status.APPROVED.value, Status.NEEDS_REVIEW.value)
"""The statuses whose links are checked (and so counted)."""
_FAILURES = ("broken", "soft_404", "unreachable")
_FAILING_STATES = ("failing", "broken")

AGE_BUCKETS: tuple[tuple[str, int | None], ...] = (
    ("lt1", 30),
    ("1to3", 91),
    ("3to6", 182),
    ("6to12", 365),
    ("12to24", 730),
    ("gt24", None),
)
"""The rot curve's ages: a key and the bucket's upper bound in days (exclusive; ``None``: no bound).
A month is counted as 30 days up to three, then as a quarter, half and whole year (91, 182, 365,
730 days)."""


def link_kind(state: str | None, last_outcome: str | None) -> str:
    """The link's kind (:data:`KINDS`) from its state and its last check's outcome (both may be ``None``)."""
    if state in _FAILING_STATES:
        if last_outcome in _FAILURES:
            return str(last_outcome)
        return "broken" if state == "broken" else "unreachable"
    if state in ("ok", "redirected"):
        return str(state)
    return "skipped" if last_outcome == "skipped" else "unchecked"


def last_outcome_column() -> ColumnElement[str]:
    """``link_health.health → last_outcome`` as text (``json_extract`` / ``->>``)."""
    column: ColumnElement[str] = LinkHealthRow.health["last_outcome"].as_string()
    return column


def kind_column() -> ColumnElement[str]:
    """:func:`link_kind` in SQL, over ``resources`` outer-joined to ``link_health``."""
    state, last = LinkHealthRow.state, last_outcome_column()
    return case(
        (state.in_(_FAILING_STATES) & last.in_(_FAILURES), last),
        (state == "broken", literal("broken", String)),
        (state == "failing", literal("unreachable", String)),
        (state.in_(("ok", "redirected")), state),
        (last == "skipped", literal("skipped", String)),
        else_=literal("unchecked", String),
    )


def bucket_of(age: timedelta) -> str:
    """The :data:`AGE_BUCKETS` key of a record ``age`` old (a negative age, a clock skew, is the first)."""
    days = age.total_seconds() / 86400
    for key, bound in AGE_BUCKETS:
        if bound is None or days < bound:
            return key
    return AGE_BUCKETS[-1][0]


# -- counts -----------------------------------------------------------------------------------------


def link_counts(session: Session, source_id: str | None = None) -> dict[str, dict[str, int]]:
    """Live records per link kind and status: ``{kind: {"approved": n, "needs_review": n, "total": n}}``.

    Every kind of :data:`KINDS` is named (zeros included), in that order; ``source_id`` narrows to
    one source. One grouped query.
    """
    inner = (
        select(kind_column().label("kind"), ResourceRow.status.label("status"))
        .select_from(ResourceRow)
        .outerjoin(LinkHealthRow, LinkHealthRow.resource_id == ResourceRow.id)
        .where(ResourceRow.status.in_(LIVE))
    )
    if source_id is not None:
        inner = inner.where(ResourceRow.source_id == source_id)
    sub = inner.subquery()
    counts = {kind: {**dict.fromkeys(LIVE, 0), "total": 0} for kind in KINDS}
    grouped = select(sub.c.kind, sub.c.status, func.count()).group_by(sub.c.kind, sub.c.status)
    for kind, status, n in session.execute(grouped):
        row = counts.setdefault(str(kind), {**dict.fromkeys(LIVE, 0), "total": 0})
        row[str(status)] = int(n)
        row["total"] += int(n)
    return counts


@dataclass(frozen=True)
class RotBucket:
    """One age bucket of the rot curve."""

    key: str
    """An :data:`AGE_BUCKETS` key (``lt1``, ``1to3``…)."""
    checked: int
    """Live records of that age whose link answered something (:data:`CHECKED`)."""
    dead: int
    """Of those, the links found gone (:data:`DEAD`)."""

    @property
    def share(self) -> float | None:
        """``dead / checked``, ``None`` when nothing of that age was checked (no point drawn)."""
        return self.dead / self.checked if self.checked else None


def rot_curve(session: Session, source_id: str, now: datetime) -> list[RotBucket]:
    """The source's rot curve at ``now``: every :data:`AGE_BUCKETS` bucket, youngest first.

    The age buckets are computed by the database against fixed cut-off dates (``first_seen >=
    now − 30 days``…), so the query is portable and grouped: at most 6 × 7 rows come back.
    """
    first_seen = RawRecordRow.first_seen
    cuts = [(key, now - timedelta(days=bound)) for key, bound in AGE_BUCKETS if bound is not None]
    bucket = case(
        *((first_seen > cut, literal(key, String)) for key, cut in cuts),
        else_=literal(AGE_BUCKETS[-1][0], String),
    )
    sub = (
        select(bucket.label("bucket"), kind_column().label("kind"))
        .select_from(ResourceRow)
        .join(RawRecordRow, RawRecordRow.id == ResourceRow.raw_id)
        .outerjoin(LinkHealthRow, LinkHealthRow.resource_id == ResourceRow.id)
        .where(ResourceRow.status.in_(LIVE), ResourceRow.source_id == source_id)
        .subquery()
    )
    checked = dict.fromkeys((key for key, _ in AGE_BUCKETS), 0)
    dead = dict(checked)
    grouped = select(sub.c.bucket, sub.c.kind, func.count()).group_by(sub.c.bucket, sub.c.kind)
    for key, kind, n in session.execute(grouped):
        if kind in CHECKED:
            checked[str(key)] += int(n)
        if kind in DEAD:
            dead[str(key)] += int(n)
    return [RotBucket(key, checked[key], dead[key]) for key, _ in AGE_BUCKETS]


def kinds_of(session: Session, resource_ids: Collection[str]) -> dict[str, str]:
    """The link kind of each of these records (``unchecked`` for one without a row), by batches."""
    ids = list(dict.fromkeys(resource_ids))
    found = dict.fromkeys(ids, "unchecked")
    for start in range(0, len(ids), IN_BATCH):
        chunk = ids[start : start + IN_BATCH]
        query = select(LinkHealthRow.resource_id, LinkHealthRow.state, last_outcome_column()).where(
            LinkHealthRow.resource_id.in_(chunk)
        )
        for rid, state, last in session.execute(query):
            found[rid] = link_kind(state, last)
    return found


# -- one record ------------------------------------------------------------------------------------


def record_link(session: Session, resource_id: str, *, limit: int = KEEP_CHECKS) -> dict[str, Any]:
    """What a record's page shows of its link: its kind, state, last check and history (newest first).

    ``link_view``'s fields (``state``, ``http_status``, ``final_url``, ``checked_at``, ``failures``)
    plus ``kind``, ``declared`` (declared broken: ``LINK_BROKEN``), ``kept_published`` (a person
    kept it published), ``moved_to`` (a permanent redirect's new address), ``url`` (the address
    the figures are about) and ``history`` (``link_history``: at most ``limit`` checks).
    """
    row = session.get(LinkHealthRow, resource_id)
    health = health_from_json(row.health if row else None)
    view = link_view(session, resource_id)
    last = health.last_outcome.value if health.last_outcome else None
    return {
        **view,
        "kind": link_kind(view["state"], last),
        "last_outcome": last,
        "declared": health.state.value == "broken",
        "kept_published": health.kept_published,
        "moved_to": health.moved_to,
        "url": health.url,
        "history": link_history(session, resource_id, limit=max(1, min(limit, KEEP_CHECKS))),
    }
