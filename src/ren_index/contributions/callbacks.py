"""Callbacks: tell a platform what became of its contributions, read from the audit trail.

There is no outbox table: the audit trail (``events``) already holds every decision, in order,
written in the same transaction as the decision itself, so nothing can be decided and not told.
Each platform keeps a cursor in it (``platforms.callback_cursor``, the last event delivered) and
:func:`deliver_pending` POSTs, in order, the events after it that concern the platform's
contributions:

* a person's decision — ``approved``, ``rejected``, ``withdrawn`` (back to the queue) — with the
  person's role, never their name, and the reason in their words;
* a rules decision that changes a contribution's status after it was first received: back to the
  queue after the author changed it, or ``deleted`` after the author withdrew it.

Delivery is at least once (two processes delivering at once may both send an event; ``event_id``
lets the receiver ignore a repeat). A failure leaves the cursor where it is and retries later with
exponential backoff; after ``REN_CALLBACK_MAX_ATTEMPTS`` failures the event is given up, with a
``callback_abandoned`` event in the audit trail, so one bad event cannot block the ones after it.

Delivering is never fatal and never long: it is called after review actions and commands, which
must not fail or hang because a platform is down. Every request goes through the harvester's
address policy (loopback and private addresses only when listed in ``REN_CALLBACK_ALLOW_HOSTS``)
with an overall deadline, and a call stops starting new requests after a bounded time.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from ren_index.contributions.platforms import as_utc
from ren_index.contributions.service import PERSON_ACTIONS
from ren_index.harvest.addresses import AddressPolicy
from ren_index.harvest.transport import post_json, watched_session
from ren_index.ledger import store
from ren_index.ledger.models import Event, Platform, RawRecordRow, ResourceRow, User, utcnow
from ren_index.settings import Settings

log = logging.getLogger(__name__)

Poster = Callable[[str, dict[str, Any]], int]
"""Sends one callback body to a URL; the HTTP status (anything else raised is a failure)."""

RULES_ACTION = "decided"
MAX_PER_CALL = 100
"""Events looked at per platform and call; the rest waits for the next call."""
BACKOFF_FIRST = 30.0
BACKOFF_MAX = 3600.0
"""Seconds before the first retry, doubled after each failure, up to this."""
BUDGET_TIMEOUTS = 3
"""A call starts no request after ``BUDGET_TIMEOUTS × REN_CALLBACK_TIMEOUT`` seconds (so it lasts
at most one more request longer)."""


def backoff(attempts: int) -> timedelta:
    """How long to wait after the ``attempts``-th failure in a row."""
    return timedelta(seconds=min(BACKOFF_MAX, BACKOFF_FIRST * 2 ** max(0, attempts - 1)))


def default_poster(settings: Settings) -> Poster:
    """POST through the address policy, bounded by ``REN_CALLBACK_TIMEOUT`` in all."""
    policy = AddressPolicy("", settings.callback_allow_hosts)  # no origin of its own: rules (b), (c)
    session = watched_session()

    def post(url: str, body: dict[str, Any]) -> int:
        timeout = settings.callback_timeout
        return post_json(session, url, body, policy=policy, timeout=timeout, deadline=timeout)

    return post


def deliver_pending(
    factory: sessionmaker[Session],
    settings: Settings,
    *,
    platform: str | None = None,
    post: Poster | None = None,
) -> dict[str, int]:
    """Deliver what is due to every platform with a callback URL (or to one); never raises.

    Returns counts: ``delivered``, ``failed`` (will be retried), ``abandoned``, ``waiting``
    (platforms in backoff) and ``errors`` (our own trouble, logged).
    """
    counts = {"delivered": 0, "failed": 0, "abandoned": 0, "waiting": 0, "errors": 0}
    try:
        poster = post or default_poster(settings)
        stop_at = time.monotonic() + BUDGET_TIMEOUTS * settings.callback_timeout
        with factory() as session:
            query = select(Platform.name).where(Platform.callback_url.is_not(None))
            if platform is not None:
                query = query.where(Platform.name == platform)
            names = list(session.scalars(query.order_by(Platform.name)))
        for name in names:
            if time.monotonic() >= stop_at:
                break
            _deliver_platform(factory, settings, name, poster, stop_at, counts)
    except Exception:  # never fatal: a decision was taken and saved; telling it can wait
        log.exception("rappels non envoyés / callbacks not delivered")
        counts["errors"] += 1
    return counts


def _deliver_platform(
    factory: sessionmaker[Session],
    settings: Settings,
    name: str,
    post: Poster,
    stop_at: float,
    counts: dict[str, int],
) -> None:
    with factory() as session:
        row = session.get(Platform, name)
        if row is None or not row.callback_url or row.revoked_at is not None:
            return
        if row.callback_next_at is not None and row.callback_next_at > utcnow():
            counts["waiting"] += 1
            return
        url, cursor, attempts = row.callback_url, row.callback_cursor, row.callback_attempts
        pending = _pending(session, name, cursor)
    stored = cursor  # the cursor as the ledger has it: every move is conditional on it
    for event_id, body in pending:
        if body is None:  # not for the platform: stepped over, saved with the next move
            cursor = event_id
            continue
        if time.monotonic() >= stop_at:
            break
        try:
            status = post(url, body)
            ok, why = 200 <= status < 300, f"HTTP {status}"
        except Exception as exc:  # refused address, network, deadline, a receiver's oddity: a failure
            ok, why = False, f"{type(exc).__name__}: {' '.join(str(exc).split())[:300]}"
        if not ok:
            log.warning("rappel non livré / callback not delivered (%s, event %s): %s", name, event_id, why)
            _failed(factory, settings, name, stored, event_id, attempts + 1, why, counts)
            return
        counts["delivered"] += 1
        if not _advance(factory, name, stored, event_id):
            return  # another process is delivering to this platform: let it go on
        stored = cursor = event_id
        attempts = 0
    if cursor != stored:
        _advance(factory, name, stored, cursor)


def _advance(factory: sessionmaker[Session], name: str, cursor: int, event_id: int) -> bool:
    """Move the cursor from ``cursor`` to ``event_id`` unless another process moved it meanwhile."""
    with factory.begin() as session:
        moved = session.execute(
            update(Platform)
            .where(Platform.name == name, Platform.callback_cursor == cursor)
            .values(callback_cursor=event_id, callback_attempts=0, callback_next_at=None)
        )
        return bool(getattr(moved, "rowcount", 0))


def _failed(
    factory: sessionmaker[Session],
    settings: Settings,
    name: str,
    cursor: int,
    event_id: int,
    attempts: int,
    why: str,
    counts: dict[str, int],
) -> None:
    """Count a failure: retry later with backoff, or give the event up after the last attempt."""
    with factory.begin() as session:
        row = session.get(Platform, name)
        if row is None or row.callback_cursor != cursor:
            return  # another process moved on meanwhile
        if attempts >= settings.callback_max_attempts:
            row.callback_cursor, row.callback_attempts, row.callback_next_at = event_id, 0, None
            store.record_event(
                session,
                actor="callbacks",
                action="callback_abandoned",
                source_id=name,
                after={"event_id": event_id, "attempts": attempts, "last_error": why},
            )
            counts["abandoned"] += 1
            return
        row.callback_attempts, row.callback_next_at = attempts, utcnow() + backoff(attempts)
        counts["failed"] += 1


def _pending(session: Session, name: str, cursor: int) -> list[tuple[int, dict[str, Any] | None]]:
    """The platform's next events after ``cursor``: each with its callback body, or ``None`` when
    it is not one to tell (a first decision on receipt, another kind of event)."""
    events = list(
        session.scalars(
            select(Event)
            .where(Event.id > cursor, Event.source_id == name)
            .order_by(Event.id)
            .limit(MAX_PER_CALL)
        )
    )
    told = [e for e in events if _is_told(e)]
    ids = {e.resource_id for e in told if e.resource_id}
    found = session.execute(
        select(ResourceRow.id, RawRecordRow.identifier)
        .join(RawRecordRow, ResourceRow.raw_id == RawRecordRow.id)
        .where(ResourceRow.id.in_(ids), ResourceRow.source_id == name)
    )
    identifiers = {rid: identifier for rid, identifier in found}
    actors = {e.actor for e in told}
    roles = {
        name: role
        for name, role in session.execute(select(User.name, User.role).where(User.name.in_(actors)))
    }
    return [(e.id, _body(e, identifiers, roles) if e in told else None) for e in events]


def _is_told(event: Event) -> bool:
    if event.action in PERSON_ACTIONS:
        return True
    return event.action == RULES_ACTION and isinstance(event.before, dict) and bool(event.before)


def _body(event: Event, identifiers: dict[str, str], roles: dict[str, str]) -> dict[str, Any] | None:
    external_id = identifiers.get(event.resource_id or "")
    if external_id is None:
        return None
    after = event.after if isinstance(event.after, dict) else {}
    person = event.action in PERSON_ACTIONS
    return {
        "event_id": event.id,
        "id": event.resource_id,
        "external_id": external_id,
        "status": after.get("status"),
        "decision": {
            "at": as_utc(event.at),
            "by_role": roles.get(event.actor) if person else "rules",
            "reason": event.comment if person else None,
        },
        "at": as_utc(event.at),
    }
