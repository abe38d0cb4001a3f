"""The ledger side of link health: checks kept, each record's link state, the view people read.

The pure rules (:mod:`ren_index.links.patience`) work on :class:`LinkHealth` values; this module
turns them into rows and back (``link_health``: one per checked record) and keeps the checks
themselves (``link_checks``), bounded to the last :data:`KEEP_CHECKS` per record so a nightly run
over a large catalogue does not grow the ledger for ever. A record never checked has no row: its
state is ``unchecked``.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import asdict, fields
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from ren_index.config.clock import utc_iso
from ren_index.ledger.models import LinkCheck, LinkHealthRow, utcnow
from ren_index.links.outcomes import LinkResult, Outcome
from ren_index.links.patience import LinkHealth, LinkState

KEEP_CHECKS = 20
"""Checks kept per record (the newest): the history a record page shows."""
IN_BATCH = 500
"""Ids per ``IN (...)`` list, whatever the number of records asked about."""
_DATES = ("first_failure_at", "checked_at", "changed_at")


def health_json(health: LinkHealth) -> dict[str, Any]:
    """A :class:`LinkHealth` as JSON (dates ISO 8601 UTC, enums by value)."""
    values = asdict(health)
    for name in _DATES:
        values[name] = utc_iso(values[name]) if values[name] is not None else None
    values["state"] = health.state.value
    values["last_outcome"] = health.last_outcome.value if health.last_outcome else None
    return values


def health_from_json(values: dict[str, Any] | None) -> LinkHealth:
    """The :class:`LinkHealth` stored as JSON; unknown keys (a newer writer) are ignored."""
    if not values:
        return LinkHealth()
    known = {f.name for f in fields(LinkHealth)}
    kept = {k: v for k, v in values.items() if k in known}
    for name in _DATES:
        if kept.get(name):
            kept[name] = datetime.fromisoformat(str(kept[name]))
    if "state" in kept:
        kept["state"] = LinkState(kept["state"])
    if kept.get("last_outcome"):
        kept["last_outcome"] = Outcome(kept["last_outcome"])
    return LinkHealth(**kept)


def load_rows(session: Session, resource_ids: Collection[str]) -> dict[str, LinkHealthRow]:
    """The ``link_health`` rows of these records (those that have one), by record id."""
    ids = list(resource_ids)
    found: dict[str, LinkHealthRow] = {}
    for start in range(0, len(ids), IN_BATCH):
        chunk = ids[start : start + IN_BATCH]
        for row in session.scalars(select(LinkHealthRow).where(LinkHealthRow.resource_id.in_(chunk))):
            found[row.resource_id] = row
    return found


def save_health(
    session: Session, row: LinkHealthRow | None, resource_id: str, health: LinkHealth
) -> LinkHealthRow:
    """Write ``health`` into the record's row (created when it has none); the row."""
    if row is None:
        row = LinkHealthRow(resource_id=resource_id, state=health.state.value, health={}, held=None)
        session.add(row)
    row.state = health.state.value
    row.health = health_json(health)
    row.updated_at = utcnow()
    return row


def add_checks(
    session: Session, results: Iterable[LinkResult], *, run_id: int | None, spared: Collection[str] = ()
) -> None:
    """Keep one ``link_checks`` row per result; ``spared``: records whose failure an outage spared."""
    for result in results:
        session.add(
            LinkCheck(
                resource_id=result.record_id,
                run_id=run_id,
                url=result.url,
                host=result.host[:255],
                outcome=result.outcome.value,
                http_status=result.http_status,
                final_url=result.final_url,
                redirects=[[status, location] for status, location in result.redirects],
                attempts=result.attempts,
                elapsed_ms=round(result.elapsed_s * 1000),
                reason=result.reason,
                failure=result.failure[:32] if result.failure else None,
                spared=result.record_id in spared,
                checked_at=result.checked_at,
            )
        )


def prune_checks(session: Session, resource_ids: Iterable[str], *, keep: int = KEEP_CHECKS) -> int:
    """Delete all but the newest ``keep`` checks of each record; how many were deleted."""
    deleted = 0
    for rid in dict.fromkeys(resource_ids):
        old = session.scalars(
            select(LinkCheck.id)
            .where(LinkCheck.resource_id == rid)
            .order_by(LinkCheck.checked_at.desc(), LinkCheck.id.desc())
            .offset(keep)
        ).all()
        if old:
            session.execute(delete(LinkCheck).where(LinkCheck.id.in_(old)))
            deleted += len(old)
    return deleted


def link_history(session: Session, resource_id: str, *, limit: int = KEEP_CHECKS) -> list[dict[str, Any]]:
    """A record's checks, newest first, as JSON (the record page's link history)."""
    checks = session.scalars(
        select(LinkCheck)
        .where(LinkCheck.resource_id == resource_id)
        .order_by(LinkCheck.checked_at.desc(), LinkCheck.id.desc())
        .limit(limit)
    )
    return [
        {
            "checked_at": utc_iso(c.checked_at),
            "url": c.url,
            "outcome": c.outcome,
            "http_status": c.http_status,
            "final_url": c.final_url,
            "redirects": c.redirects,
            "attempts": c.attempts,
            "elapsed_ms": c.elapsed_ms,
            "reason": c.reason,
            "failure": c.failure,
            "spared": c.spared,
            "run_id": c.run_id,
        }
        for c in checks
    ]


def link_view(session: Session, resource_id: str) -> dict[str, Any]:
    """``{"state", "http_status", "final_url", "checked_at", "failures"}`` of ``review show --json``.

    ``state`` from the record's link health (``unchecked`` without a row); the HTTP status and the
    final URL of its newest check, spared or not (what the link answered last).
    """
    row = session.get(LinkHealthRow, resource_id)
    health = health_from_json(row.health if row else None)
    last = session.scalars(
        select(LinkCheck)
        .where(LinkCheck.resource_id == resource_id)
        .order_by(LinkCheck.checked_at.desc(), LinkCheck.id.desc())
        .limit(1)
    ).first()
    return {
        "state": health.state.value,
        "http_status": last.http_status if last else None,
        "final_url": last.final_url if last else None,
        "checked_at": utc_iso(health.checked_at) if health.checked_at else None,
        "failures": health.failures,
    }
