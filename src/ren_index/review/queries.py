"""Read-only questions about the review work: the queue, the dashboard, a record's history, CSV.

Portable over SQLite and PostgreSQL: the filters on JSON values (issue codes, portals, levels,
languages) are applied in Python after a SQL pre-filter on the status, over a light scan of a few
columns (levels and languages are extracted by the database with SQLAlchemy's JSON path
operators, never the whole record). Full records are loaded only for the page shown. This serves
queues up to some 50,000 waiting records comfortably; past that, the JSON values would move to
indexed columns of their own.

Facet counts follow the usual search-page rule: the count beside a value is the number of records
matching every *other* filter, so choosing it gives that many.

A record's *origin* is ``contributions`` when its source is a contributing platform (a source row
of type ``contributions``: Ma classe) and ``harvested`` otherwise. It is read from the ``sources``
table, not from the ``platforms`` one, so a platform's records are filtered, counted and listed by
the same code as any harvested source's (the source filter lists platforms by their label).
"""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from ren_index.config.clock import local_time, utc_iso
from ren_index.config.vocabularies import Vocabularies
from ren_index.ledger.models import Event, RawRecordRow, ResourceRow, SourceRow
from ren_index.ledger.record_json import record_view
from ren_index.model import Status
from ren_index.review.decisions import find_resource

Sort = Literal["oldest", "newest", "score_low", "score_high"]
"""Waiting time (oldest first, newest first) or quality score (lowest first: the records that most
need a documentalist; highest first). Records not yet scored (``None``) come last either way."""
DIMENSIONS = ("source", "origin", "portal", "issue", "level", "language")
MAX_PAGE_SIZE = 200
CONTRIBUTIONS = "contributions"
"""The ``type`` of a contributing platform's source row, and the origin of its records."""
HARVESTED = "harvested"
ORIGINS = (CONTRIBUTIONS, HARVESTED)


@dataclass(frozen=True)
class QueuePage:
    """One page of the queue, with what the filter controls show."""

    items: list[dict[str, Any]]
    total: int
    page: int
    pages: int
    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    """Dimension (``source``, ``origin``, ``portal``, ``issue``, ``level``, ``language``) → value →
    records."""


@dataclass(frozen=True)
class _Line:
    """The few values of one record the queue filters, sorts and counts on."""

    id: str
    waiting_since: datetime
    values: dict[str, frozenset[str]]
    quality: int | None = None


def _source_types(session: Session) -> dict[str, str]:
    return {sid: kind for sid, kind in session.execute(select(SourceRow.id, SourceRow.type))}


def source_types(factory: sessionmaker[Session]) -> dict[str, str]:
    """Every source's ``type`` by id (``contributions`` for a platform)."""
    with factory() as session:
        return _source_types(session)


def origin_of(source_type: str | None) -> str:
    """``contributions`` for a platform's source type, ``harvested`` for any other."""
    return CONTRIBUTIONS if source_type == CONTRIBUTIONS else HARVESTED


def platforms_of(factory: sessionmaker[Session], ids: list[str]) -> list[str]:
    """The platforms (source ids of type ``contributions``) some of these records come from.

    Asked after a decision, to tell those platforms only: one indexed query, nothing when every
    record was harvested (the common case pays no more than that query).
    """
    if not ids:
        return []
    query = (
        select(ResourceRow.source_id)
        .join(SourceRow, SourceRow.id == ResourceRow.source_id)
        .where(ResourceRow.id.in_(ids), SourceRow.type == CONTRIBUTIONS)
        .distinct()
    )
    with factory() as session:
        return sorted(session.scalars(query))


def _scan(session: Session, status: str) -> list[_Line]:
    types = _source_types(session)
    query = select(
        ResourceRow.id,
        ResourceRow.decided_at,
        ResourceRow.source_id,
        ResourceRow.portals,
        ResourceRow.issues,
        ResourceRow.record[("controlled", "levels")],  # JSON path: json_extract / #>, never the record
        ResourceRow.record[("controlled", "languages")],
        ResourceRow.quality_score,
    )
    if status != "all":
        query = query.where(ResourceRow.status == status)
    lines = []
    for rid, since, source, portals, issues, levels, languages, quality in session.execute(query):
        values = {
            "source": frozenset([source]),
            "origin": frozenset([origin_of(types.get(source))]),
            "portal": frozenset(portals or ()),
            "issue": frozenset(str(i.get("code")) for i in issues or ()),
            "level": frozenset(levels or ()),
            "language": frozenset(str(t).split("-")[0].lower() for t in languages or ()),
        }
        lines.append(_Line(rid, since, values, quality))
    return lines


def _matches(dim: str, wanted: str, values: frozenset[str], vocabularies: Vocabularies | None) -> bool:
    """One filter on one record; a level filter also takes the narrower levels (``secondaire``
    finds ``secondaire-4``), a language filter the regional tags (``fr`` finds ``fr-CA``)."""
    if dim == "level" and vocabularies is not None:
        return any(v == wanted or wanted in vocabularies.levels.ancestors(v) for v in values)
    if dim == "language":
        return wanted.split("-")[0].lower() in values
    return wanted in values


def _filtered(
    lines: list[_Line], filters: dict[str, str | None], vocabularies: Vocabularies | None
) -> tuple[list[_Line], dict[str, dict[str, int]]]:
    active = {dim: wanted for dim, wanted in filters.items() if wanted}
    counts: dict[str, Counter[str]] = {dim: Counter() for dim in DIMENSIONS}
    kept: list[_Line] = []
    for line in lines:
        failed = [d for d, w in active.items() if not _matches(d, w, line.values[d], vocabularies)]
        if not failed:
            kept.append(line)
        for dim in DIMENSIONS:
            if not failed or failed == [dim]:  # matches every filter but (perhaps) this one
                counts[dim].update(line.values[dim])
    return kept, {dim: dict(c.most_common()) for dim, c in counts.items()}


def _key(sort: Sort, waiting_since: datetime, quality: int | None, rid: str) -> tuple[Any, ...]:
    """The order of the queue (``newest`` is ``oldest`` reversed); ties are broken by age, then id."""
    if sort in ("score_low", "score_high"):
        value = quality or 0
        return (quality is None, value if sort == "score_low" else -value, waiting_since, rid)
    return (waiting_since, rid)


def _sorted(lines: list[_Line], sort: Sort) -> list[_Line]:
    return sorted(
        lines,
        key=lambda line: _key(sort, line.waiting_since, line.quality, line.id),
        reverse=sort == "newest",
    )


def queue(
    factory: sessionmaker[Session],
    *,
    status: str = Status.NEEDS_REVIEW.value,
    source: str | None = None,
    portal: str | None = None,
    issue: str | None = None,
    level: str | None = None,
    language: str | None = None,
    origin: str | None = None,
    sort: Sort = "oldest",
    page: int = 1,
    size: int = 25,
    vocabularies: Vocabularies | None = None,
) -> QueuePage:
    """One page of the records in ``status`` (``all`` = every status), filtered, sorted by age or score.

    ``origin`` keeps the ``contributions`` of platforms or the ``harvested`` records (both when
    ``None``), combined with the other filters like any of them.
    """
    filters = {
        "source": source,
        "origin": origin,
        "portal": portal,
        "issue": issue,
        "level": level,
        "language": language,
    }
    size = max(1, min(size, MAX_PAGE_SIZE))
    with factory() as session:
        lines, counts = _filtered(_scan(session, status), filters, vocabularies)
        ordered = _sorted(lines, sort)
        pages = max(1, -(-len(ordered) // size))
        page = max(1, min(page, pages))
        chosen = ordered[(page - 1) * size : page * size]
        items = _views(session, chosen, vocabularies)
    return QueuePage(items=items, total=len(ordered), page=page, pages=pages, counts=counts)


def _views(session: Session, lines: list[_Line], vocabularies: Vocabularies | None) -> list[dict[str, Any]]:
    if not lines:
        return []
    ids = [line.id for line in lines]
    rows = {r.id: r for r in session.scalars(select(ResourceRow).where(ResourceRow.id.in_(ids)))}
    types = _source_types(session)
    raws = {
        r.id: r
        for r in session.scalars(
            select(RawRecordRow).where(RawRecordRow.id.in_([r.raw_id for r in rows.values()]))
        )
    }
    items = []
    for line in lines:
        row = rows[line.id]
        view = record_view(
            row, raws.get(row.raw_id), vocabularies=vocabularies, source_type=types.get(row.source_id)
        )
        view["waiting_since"] = utc_iso(row.decided_at)
        view["issue_codes"] = sorted({str(i.get("code")) for i in row.issues or ()})
        items.append(view)
    return items


def neighbours(
    factory: sessionmaker[Session],
    record_id: str,
    *,
    status: str = Status.NEEDS_REVIEW.value,
    source: str | None = None,
    portal: str | None = None,
    issue: str | None = None,
    level: str | None = None,
    language: str | None = None,
    origin: str | None = None,
    sort: Sort = "oldest",
    vocabularies: Vocabularies | None = None,
) -> tuple[str | None, str | None]:
    """The records before and after ``record_id`` in the same filtered, sorted queue.

    Found by the record's sort key, so it answers even when the record itself has just left the
    queue; ask before deciding, though: a decision changes the record's own date.
    """
    filters = {
        "source": source,
        "origin": origin,
        "portal": portal,
        "issue": issue,
        "level": level,
        "language": language,
    }
    with factory() as session:
        row = find_resource(session, record_id)
        key = _key(sort, row.decided_at, row.quality_score, row.id)
        lines, _counts = _filtered(_scan(session, status), filters, vocabularies)

    def line_key(line: _Line) -> tuple[Any, ...]:
        return _key(sort, line.waiting_since, line.quality, line.id)

    before = [line for line in lines if line_key(line) < key]
    after = [line for line in lines if line_key(line) > key]
    earlier = max(before, key=line_key, default=None)
    later = min(after, key=line_key, default=None)
    if sort == "newest":
        earlier, later = later, earlier
    return (earlier.id if earlier else None, later.id if later else None)


def dashboard(factory: sessionmaker[Session], *, oldest: int = 10) -> dict[str, Any]:
    """The team lead's numbers: per status, per source and status, per issue code, oldest waiting.

    ``platforms`` lists the sources that are contributing platforms, which the page marks: their
    counts are in ``sources`` like any other source's.
    """
    waiting = Status.NEEDS_REVIEW.value
    with factory() as session:
        by_status = Counter(dict.fromkeys((s.value for s in Status), 0))
        by_source: dict[str, Counter[str]] = {}
        grouped = select(ResourceRow.source_id, ResourceRow.status, func.count()).group_by(
            ResourceRow.source_id, ResourceRow.status
        )
        for source, status, n in session.execute(grouped):
            by_status[status] += n
            by_source.setdefault(source, Counter(dict.fromkeys((s.value for s in Status), 0)))[status] += n
        issues: Counter[str] = Counter()
        for (found,) in session.execute(select(ResourceRow.issues).where(ResourceRow.status == waiting)):
            issues.update({str(i.get("code")) for i in found or ()})
        rows = session.scalars(
            select(ResourceRow)
            .where(ResourceRow.status == waiting)
            .order_by(ResourceRow.decided_at, ResourceRow.id)
            .limit(oldest)
        ).all()
        platforms = sorted(sid for sid, kind in _source_types(session).items() if kind == CONTRIBUTIONS)
        oldest_rows = [
            {
                "id": r.id,
                "title": record_view(r, with_issues=False)["title"],
                "source": r.source_id,
                "waiting_since": utc_iso(r.decided_at),
            }
            for r in rows
        ]
    return {
        "total": sum(by_status.values()),
        "statuses": dict(by_status),
        "sources": {s: {**c, "total": sum(c.values())} for s, c in sorted(by_source.items())},
        "issues": dict(issues.most_common()),
        "oldest": oldest_rows,
        "platforms": platforms,
    }


def _event(event: Event) -> dict[str, Any]:
    return {
        "id": event.id,
        "at": utc_iso(event.at),
        "actor": event.actor,
        "action": event.action,
        "resource_id": event.resource_id,
        "source_id": event.source_id,
        "run_id": event.run_id,
        "before": event.before,
        "after": event.after,
        "comment": event.comment,
    }


def history(factory: sessionmaker[Session], record_id: str) -> list[dict[str, Any]]:
    """Every event of one record, newest first."""
    with factory() as session:
        rid = find_resource(session, record_id).id
        events = session.scalars(
            select(Event).where(Event.resource_id == rid).order_by(Event.at.desc(), Event.id.desc())
        )
        return [_event(e) for e in events]


CSV_COLUMNS = (
    "id",
    "at",
    "actor",
    "action",
    "resource_id",
    "source_id",
    "run_id",
    "before",
    "after",
    "comment",
)
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
CSV_BOM = "\ufeff"
"""Written first in every CSV file we hand out, so spreadsheets (Excel) read UTF-8 accents right."""


def csv_cell(value: Any) -> str:
    """One CSV cell: JSON for structures, and never a formula a spreadsheet would run.

    The one cell writer of every CSV export (audit trail, a source's report): a title or an issue
    value starting with ``=``, ``+``, ``-`` or ``@`` comes from a partner and must stay text.
    """
    if value is None:
        text = ""
    elif isinstance(value, (dict, list)):
        text = json.dumps(value, ensure_ascii=False, sort_keys=True)
    else:
        text = str(value)
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def iter_events_csv(factory: sessionmaker[Session], record_id: str | None = None) -> Iterator[str]:
    """The audit trail as CSV, a chunk at a time (for streaming responses), oldest first.

    ``at`` is Montreal time to the second with its zone (``2026-12-05 20:19:07 HNE``): the file is
    read by people in a spreadsheet, beside the review UI's dates, which say the same.
    """
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    with factory() as session:
        query = select(Event).order_by(Event.at, Event.id)
        if record_id is not None:
            query = query.where(Event.resource_id == find_resource(session, record_id).id)
        for n, event in enumerate(session.scalars(query.execution_options(yield_per=500)), 1):
            row = {**_event(event), "at": local_time(event.at, seconds=True)}
            writer.writerow([csv_cell(row[c]) for c in CSV_COLUMNS])
            if n % 500 == 0:
                yield out.getvalue()
                out.seek(0)
                out.truncate()
    yield out.getvalue()


def events_csv(factory: sessionmaker[Session], record_id: str | None = None) -> str:
    """The audit trail (of one record, or all) as one CSV document with a header."""
    return "".join(iter_events_csv(factory, record_id))
