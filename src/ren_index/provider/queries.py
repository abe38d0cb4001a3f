"""What the OAI-PMH provider reads from the ledger: exposed records, their datestamps and sets.

The ledger is the system of record, so the provider reads it and not OpenSearch. Everything is
plain SQLAlchemy Core that runs the same on SQLite and PostgreSQL; pagination is done in SQL
(``ORDER BY datestamp, id`` with a keyset condition and ``LIMIT``), never in Python.

What is exposed, and why:

* ``approved`` records are served with their metadata;
* a record that is not approved (deleted at the source, rejected or sent back to review) but
  *was approved at some point* is advertised as deleted: a harvester may hold a copy of it and must
  be told to drop it. "Was approved" is read from the audit trail: an ``Event`` ``decided`` (rules)
  or ``approved`` (a person) whose ``after.status`` is ``approved``. A record never approved was
  never exposed and stays invisible (``idDoesNotExist``), so the review queue does not leak.

The datestamp of a record is the later of ``updated_at`` (its content changed) and ``decided_at``
(its status changed): the two things that change what the provider shows for it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    String,
    and_,
    case,
    cast,
    exists,
    false,
    func,
    literal,
    or_,
    select,
    true,
    type_coerce,
)
from sqlalchemy.orm import Session

from ren_index.ledger.models import Event, ResourceRow, SourceRow, UtcDateTime

APPROVED = "approved"
PORTAL_SET = "portal"
SOURCE_SET = "source"


def datestamp() -> ColumnElement[datetime]:
    """The later of ``updated_at`` and ``decided_at``, as a portable SQL expression."""
    later = case(
        (ResourceRow.updated_at > ResourceRow.decided_at, ResourceRow.updated_at),
        else_=ResourceRow.decided_at,
    )
    return type_coerce(later, UtcDateTime())


def was_approved() -> ColumnElement[bool]:
    """True when the audit trail shows the record approved at least once."""
    return exists().where(
        Event.resource_id == ResourceRow.id,
        Event.action.in_(("decided", "approved")),
        Event.after["status"].as_string() == APPROVED,
    )


def exposed() -> ColumnElement[bool]:
    """Records the provider shows: approved ones, and once-approved ones as deleted."""
    return or_(ResourceRow.status == APPROVED, was_approved())


def _portals_text() -> ColumnElement[str]:
    """The portal list as JSON text; SQL NULL (never decided) reads as an empty list."""
    return func.coalesce(cast(ResourceRow.portals, String), "[]")


def _has_portal(portal: str) -> ColumnElement[bool]:
    """JSON list membership as text matching: portable, and portal ids are ``[a-z0-9-]+``."""
    escaped = portal.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return _portals_text().like(f'%"{escaped}"%', escape="\\")


def _no_portal() -> ColumnElement[bool]:
    return _portals_text().notlike('%"%')


def set_condition(set_spec: str | None) -> ColumnElement[bool]:
    """Membership in a set: ``portal:<id>``, ``source:<id>`` or their parents ``portal``, ``source``.

    A deleted record whose portal list was emptied (rules rejected it after a change) belongs to
    every portal set: the harvester of any portal may hold it, and a deletion notice for a record
    it never had is harmless.
    """
    if set_spec is None or set_spec == SOURCE_SET:
        return true()
    deleted = ResourceRow.status != APPROVED
    if set_spec == PORTAL_SET:
        return or_(deleted, _portals_text().like('%"%'))
    kind, _, value = set_spec.partition(":")
    if kind == PORTAL_SET and value:
        return or_(_has_portal(value), and_(deleted, _no_portal()))
    if kind == SOURCE_SET and value:
        return ResourceRow.source_id == value
    return false()


@dataclass(frozen=True)
class Row:
    """One exposed record as the provider needs it."""

    id: str
    source_id: str
    deleted: bool
    portals: list[str]
    datestamp: datetime
    record: dict[str, Any] | None

    def set_specs(self) -> list[str]:
        """The leaf sets of the record (portals, then its source)."""
        return [f"{PORTAL_SET}:{p}" for p in self.portals] + [f"{SOURCE_SET}:{self.source_id}"]


def _select(with_record: bool) -> Select[Any]:
    columns: list[Any] = [
        ResourceRow.id,
        ResourceRow.source_id,
        ResourceRow.status,
        ResourceRow.portals,
        datestamp().label("ds"),
    ]
    if with_record:
        columns.append(ResourceRow.record)
    return select(*columns).where(exposed())


def _row(values: Any, with_record: bool) -> Row:
    return Row(
        id=values.id,
        source_id=values.source_id,
        deleted=values.status != APPROVED,
        portals=list(values.portals or []),
        datestamp=values.ds,
        record=values.record if with_record else None,
    )


def find(session: Session, resource_id: str, *, with_record: bool = True) -> Row | None:
    """One exposed record by resource id, or ``None`` (unknown or never exposed)."""
    found = session.execute(_select(with_record).where(ResourceRow.id == resource_id)).first()
    return _row(found, with_record) if found is not None else None


def _window(
    set_spec: str | None, lower: datetime | None, upper: datetime | None
) -> list[ColumnElement[bool]]:
    ds = datestamp()
    conditions = [set_condition(set_spec)]
    if lower is not None:
        conditions.append(ds >= literal(lower, UtcDateTime()))
    if upper is not None:
        conditions.append(ds < literal(upper, UtcDateTime()))
    return conditions


def page(
    session: Session,
    *,
    set_spec: str | None,
    lower: datetime | None,
    upper: datetime | None,
    after: tuple[datetime, str] | None,
    limit: int,
    with_record: bool,
) -> list[Row]:
    """Up to ``limit`` exposed records in the window, after the key ``after``, in list order."""
    ds = datestamp()
    query = _select(with_record).where(*_window(set_spec, lower, upper))
    if after is not None:
        last = literal(after[0], UtcDateTime())
        query = query.where(or_(ds > last, and_(ds == last, ResourceRow.id > after[1])))
    query = query.order_by(ds, ResourceRow.id).limit(limit)
    return [_row(values, with_record) for values in session.execute(query)]


def count(session: Session, *, set_spec: str | None, lower: datetime | None, upper: datetime | None) -> int:
    """How many exposed records the window holds (``completeListSize``)."""
    query = select(func.count()).select_from(ResourceRow).where(exposed(), *_window(set_spec, lower, upper))
    return int(session.scalar(query) or 0)


def earliest(session: Session) -> datetime | None:
    """The smallest datestamp of an exposed record (``earliestDatestamp``)."""
    found: datetime | None = session.scalar(select(func.min(datestamp())).where(exposed()))
    return found


def sources(session: Session) -> list[tuple[str, str]]:
    """(id, name) of the sources with at least one exposed record, for ``ListSets``.

    A source whose records were never approved (all in the queue, or rejected) and a platform
    whose contributions await review have nothing to harvest: advertising their ``source:`` set
    would send harvesters to an empty list (``noRecordsMatch``) and tell the world a partner's
    name before anything of it is published. A source with a once-approved record keeps its set,
    so its deletions still reach the harvesters that hold its records.
    """
    has_exposed = exists().where(ResourceRow.source_id == SourceRow.id, exposed()).correlate(SourceRow)
    query = select(SourceRow.id, SourceRow.name).where(has_exposed).order_by(SourceRow.id)
    return [(row.id, row.name) for row in session.execute(query)]
