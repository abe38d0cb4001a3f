"""One harvest per source at a time: a lock kept in the ledger itself.

Schedules, a librarian's manual ``harvest`` and a Prefect retry can all start the same source;
two harvests writing the same records and checkpoint would corrupt the resume logic. The lock is
the ``running`` :class:`HarvestRun` row: its ``checkpoint`` carries an ``owner`` (pid, host, a
token) and a ``heartbeat`` refreshed with every page. No extra table, and it works the same on
SQLite and PostgreSQL because claims are serialized by an ``UPDATE`` of the source's row
(SQLite's write lock, PostgreSQL's row lock) before the running run is looked at.

A lock is *stale*, and taken over, when its owner process is gone from this host, when it has no
owner (the run was interrupted in-process and let go), or when its heartbeat is older than
:data:`STALE_AFTER` (an owner on another machine that died). Taking over a run keeps its
checkpoint: the resume-from-checkpoint behaviour is unchanged.
"""

from __future__ import annotations

import os
import socket
import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ren_index.config.clock import local_time
from ren_index.errors import RenIndexError
from ren_index.ledger.models import HarvestRun, SourceRow, utcnow

STALE_AFTER = timedelta(minutes=30)
"""A heartbeat this old means the owner is dead (a page never takes this long, retries included)."""


class HarvestInProgressError(RenIndexError):
    """Another live process is harvesting this source: starting a second one would corrupt it."""


def new_owner() -> dict[str, Any]:
    """This process's identity as a lock owner (the token tells two calls of one process apart)."""
    return {"pid": os.getpid(), "host": socket.gethostname(), "token": uuid.uuid4().hex}


def serialize_claims(session: Session, source_id: str) -> None:
    """Take the source row's write lock so concurrent claims of one source run one after the other."""
    session.execute(
        update(SourceRow).where(SourceRow.id == source_id).values(updated_at=SourceRow.updated_at)
    )


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def holder(run: HarvestRun, now: datetime | None = None) -> dict[str, Any] | None:
    """The live owner of a running run, or ``None`` when its lock is free or stale."""
    checkpoint = run.checkpoint or {}
    owner = checkpoint.get("owner")
    if run.status != "running" or not isinstance(owner, dict):
        return None
    beat = checkpoint.get("heartbeat")
    if isinstance(beat, str):
        try:
            if (now or utcnow()) - datetime.fromisoformat(beat) > STALE_AFTER:
                return None
        except ValueError:
            return None
    if owner.get("host") == socket.gethostname() and not _pid_alive(int(owner.get("pid") or 0)):
        return None
    return owner


def running_runs(session: Session, source_id: str) -> list[HarvestRun]:
    """The source's harvest runs still marked ``running``, newest first."""
    query = (
        select(HarvestRun)
        .where(
            HarvestRun.source_id == source_id,
            HarvestRun.kind == "harvest",
            HarvestRun.status == "running",
        )
        .order_by(HarvestRun.id.desc())
    )
    return list(session.scalars(query))


def refuse_if_running(session: Session, source_id: str) -> None:
    """Raise :class:`HarvestInProgressError` when a live process holds the source's lock."""
    for run in running_runs(session, source_id):
        owner = holder(run)
        if owner is None:
            continue
        since = local_time(run.started_at, empty="?")
        raise HarvestInProgressError(
            f"une moisson de {source_id} est déjà en cours (run {run.id}, pid {owner.get('pid')}"
            f" sur {owner.get('host')}, depuis {since}) / a harvest of {source_id} is already"
            f" running (run {run.id}, pid {owner.get('pid')} on {owner.get('host')}, since {since})"
        )


def stamp(checkpoint: dict[str, Any], owner: dict[str, Any] | None) -> dict[str, Any]:
    """``checkpoint`` with the owner and a fresh heartbeat (or without them when ``owner`` is None)."""
    stamped = {k: v for k, v in checkpoint.items() if k not in ("owner", "heartbeat")}
    if owner is not None:
        stamped["owner"] = owner
        stamped["heartbeat"] = utcnow().isoformat()
    return stamped
