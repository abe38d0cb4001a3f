"""Who is on what: a documentalist's short claim on the record they opened (issue 14).

Two people working one queue must see each other: opening a record's page as someone who can
decide *claims* it for :data:`CLAIM_DURATION`, and the queue and the record page show the claim
to the others (« pris par marie depuis 14 h 02 HNE »). A claim informs, it never locks:

- it is **shown, not taken** when someone else holds an unexpired one (:func:`claim` returns
  theirs); taking it over is an explicit act (:func:`take_over`, the record page's « Prendre la
  main » button), written to the audit trail so the first person can see who took the record;
- it **expires on its own**: every read compares ``expires_at`` with *now* (passed in by tests),
  so no background job sweeps the table, and an expired row is simply overwritten by the next
  person to open the record;
- it **never blocks a decision**: nothing in :mod:`ren_index.review.decisions` reads this table.
  A stale page is caught by the record's ``version``, not by a claim.

Pure ledger functions over a ``sessionmaker`` (or a ``Session`` for the queue's batch read): no
web, no clock of their own beyond ``datetime.now(UTC)`` when *now* is not given. The renewal of
one's own claim keeps its ``claimed_at``: "since 14 h 02" is when the person started, not the
last reload.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from ren_index.ledger.models import Claim
from ren_index.ledger.store import record_event

CLAIM_DURATION = timedelta(minutes=15)
"""How long opening a record keeps it marked as someone's: long enough to read and correct one
record, short enough that a person who walked away frees it before the team wonders."""
TAKE_OVER_ACTION = "claim_taken_over"
"""The audit trail's action when a person takes a record someone else was on."""


@dataclass(frozen=True)
class ClaimInfo:
    """A live claim: who, since when, until when (aware UTC datetimes)."""

    resource_id: str
    user_name: str
    claimed_at: datetime
    expires_at: datetime


def _now(now: datetime | None) -> datetime:
    return now if now is not None else datetime.now(UTC)


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _info(row: Claim) -> ClaimInfo:
    return ClaimInfo(row.resource_id, row.user_name, _aware(row.claimed_at), _aware(row.expires_at))


def _live(row: Claim | None, now: datetime) -> bool:
    return row is not None and _aware(row.expires_at) > now


def current(
    factory: sessionmaker[Session], resource_id: str, *, now: datetime | None = None
) -> ClaimInfo | None:
    """The unexpired claim on a record, if any."""
    with factory() as session:
        row = session.get(Claim, resource_id)
        return _info(row) if row is not None and _live(row, _now(now)) else None


def live_claims(
    session: Session, *, now: datetime | None = None, ids: Iterable[str] | None = None
) -> dict[str, ClaimInfo]:
    """Every unexpired claim (of these records, when ``ids`` is given), by record id.

    The table holds one row per record opened in the last minutes, so the queue reads it whole
    rather than per line.
    """
    query = select(Claim).where(Claim.expires_at > _now(now))
    if ids is not None:
        query = query.where(Claim.resource_id.in_(list(ids)))
    return {row.resource_id: _info(row) for row in session.scalars(query)}


def _write(session: Session, row: Claim | None, resource_id: str, user: str, now: datetime) -> Claim:
    """Set the claim to ``user`` from ``now`` (keeping ``claimed_at`` when renewing one's own)."""
    if row is None:
        row = Claim(resource_id=resource_id, user_name=user, claimed_at=now, expires_at=now + CLAIM_DURATION)
        session.add(row)
        return row
    if not (row.user_name == user and _live(row, now)):
        row.claimed_at = now
    row.user_name = user
    row.expires_at = now + CLAIM_DURATION
    return row


def claim(
    factory: sessionmaker[Session], resource_id: str, user: str, *, now: datetime | None = None
) -> ClaimInfo:
    """Claim a record for ``user`` unless someone else holds it; the claim that stands, either way.

    Free or expired → ``user``'s new claim; ``user``'s own → renewed (same ``claimed_at``);
    another person's unexpired claim → returned untouched (shown, not taken). Two people opening
    the same free record at the same instant: the second insert fails on the primary key and the
    first person's claim is returned.
    """
    moment = _now(now)
    with factory() as session:
        row = session.get(Claim, resource_id)
        if row is not None and row.user_name != user and _live(row, moment):
            return _info(row)
        try:
            written = _write(session, row, resource_id, user, moment)
            session.commit()
            return _info(written)
        except IntegrityError:
            session.rollback()
    with factory() as session:
        return _info(session.get_one(Claim, resource_id))


def take_over(
    factory: sessionmaker[Session], resource_id: str, user: str, *, now: datetime | None = None
) -> ClaimInfo:
    """Take a record over from whoever holds it, explicitly; audited when it was someone else's."""
    moment = _now(now)
    with factory() as session:
        row = session.get(Claim, resource_id)
        previous = row.user_name if row is not None and _live(row, moment) else None
        written = _write(session, row, resource_id, user, moment)
        if previous is not None and previous != user:
            written.claimed_at = moment
            record_event(
                session,
                actor=user,
                action=TAKE_OVER_ACTION,
                resource_id=resource_id,
                before={"claimed_by": previous},
                after={"claimed_by": user},
            )
        session.commit()
        return _info(written)


def release(factory: sessionmaker[Session], resource_id: str, user: str) -> bool:
    """Drop ``user``'s claim on a record (another person's is left alone); True when one was dropped."""
    with factory() as session:
        row = session.get(Claim, resource_id)
        if row is None or row.user_name != user:
            return False
        session.delete(row)
        session.commit()
        return True
