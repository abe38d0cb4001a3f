"""Read-only questions about the review work: the queue and the dashboard (history and CSV: re-exported
from :mod:`ren_index.review.audit_trail`).

Portable over SQLite and PostgreSQL: the filters on JSON values (issue codes, portals, levels,
languages) are applied in Python after a SQL pre-filter on the status, over a light scan of a few
columns (levels and languages are extracted by the database with SQLAlchemy's JSON path
operators, never the whole record). Full records are loaded only for the page shown. This serves
queues up to some 50,000 waiting records comfortably; past that, the JSON values would move to
indexed columns of their own.

Facet counts follow the usual search-page rule: the count beside a value is the number of records
matching every *other* filter, so choosing it gives that many.

The link filter (:func:`ren_index.review.link_report.link_kind`, decided by the database over an
outer join on ``link_health``) is one more dimension. The claim filter (``mine``, ``unclaimed``:
:mod:`ren_index.review.claims`) and the free-text search ``q`` (:mod:`ren_index.review.queue_text`)
narrow the same scan: the claim is one more dimension (so its counts follow the rule above), the
search a condition every count obeys.

A record's *origin* is ``contributions`` when its source is a contributing platform (a source row
of type ``contributions``: Ma classe) and ``harvested`` otherwise. It is read from the ``sources``
table, not from the ``platforms`` one, so a platform's records are filtered, counted and listed by
the same code as any harvested source's (the source filter lists platforms by their label).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from ren_index.config.clock import utc_iso
from ren_index.config.issue_codes import known_codes
from ren_index.config.vocabularies import Vocabularies
from ren_index.ledger.models import LinkHealthRow, RawRecordRow, ResourceRow, SourceRow
from ren_index.ledger.record_json import record_view
from ren_index.model import Status
from ren_index.review.audit_trail import CSV_BOM as CSV_BOM
from ren_index.review.audit_trail import CSV_COLUMNS as CSV_COLUMNS
from ren_index.review.audit_trail import csv_cell as csv_cell
from ren_index.review.audit_trail import events_csv as events_csv
from ren_index.review.audit_trail import history as history
from ren_index.review.audit_trail import iter_events_csv as iter_events_csv
from ren_index.review.claims import ClaimInfo, live_claims
from ren_index.review.decisions import find_resource
from ren_index.review.link_report import KINDS as LINK_KINDS
from ren_index.review.link_report import kind_column
from ren_index.review.queue_text import folded, haystack, matches, search_term

Sort = Literal["oldest", "newest", "score_low", "score_high", "updated", "source", "issue"]
"""Waiting time, i.e. the date of the last decision (oldest first, newest first); quality score
(lowest first: the records that most need a documentalist; highest first; records not yet scored
come last either way); ``updated``: the record last changed (re-harvest, correction, decision)
first; ``source``: by source name; ``issue``: grouped by issue, in the order of the catalogue
(:mod:`ren_index.config.issue_codes`: title, description, language… the same in both languages),
records without issues last. Ties are broken by waiting time, then id."""
SORTS: tuple[str, ...] = ("oldest", "newest", "score_low", "score_high", "updated", "source", "issue")
DIMENSIONS = ("source", "origin", "portal", "issue", "level", "language", "link", "claim")
CLAIM_FILTERS = ("mine", "unclaimed")
"""The claim filter's values (none = every record); a line's claim value is one of these or ``taken``."""
_ISSUE_ORDER = {code: n for n, code in enumerate(known_codes())}
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
    updated: datetime | None = None
    source_name: str = ""
    text: str = ""
    """The folded searched fields (empty unless the scan was asked for them)."""


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


def _claim_value(holder: ClaimInfo | None, user: str | None) -> str:
    if holder is None:
        return "unclaimed"
    return "mine" if user is not None and holder.user_name == user else "taken"


_TEXT_PATHS = (
    ("general", "title"),
    ("general", "description"),
    ("general", "identifiers"),
    ("technical", "locations"),
    ("controlled", "url"),
    ("provenance", "identifier"),
)
"""The record's searched fields (``q``): titles, descriptions, identifiers and addresses."""


def _scan(
    session: Session,
    status: str,
    *,
    user: str | None = None,
    claims: dict[str, ClaimInfo] | None = None,
    text: bool = False,
    ids: list[str] | None = None,
) -> list[_Line]:
    types = _source_types(session)
    names = {sid: name for sid, name in session.execute(select(SourceRow.id, SourceRow.name))}
    columns: list[Any] = [
        ResourceRow.id,
        ResourceRow.decided_at,
        ResourceRow.source_id,
        ResourceRow.portals,
        ResourceRow.issues,
        ResourceRow.record[("controlled", "levels")],  # JSON path: json_extract / #>, never the record
        ResourceRow.record[("controlled", "languages")],
        ResourceRow.quality_score,
        ResourceRow.updated_at,
        kind_column(),
    ]
    if text:
        columns += [ResourceRow.record[path] for path in _TEXT_PATHS] + [RawRecordRow.identifier]
    query = select(*columns).outerjoin(LinkHealthRow, LinkHealthRow.resource_id == ResourceRow.id)
    if text:
        query = query.outerjoin(RawRecordRow, RawRecordRow.id == ResourceRow.raw_id)
    if status != "all":
        query = query.where(ResourceRow.status == status)
    if ids is not None:
        query = query.where(ResourceRow.id.in_(ids))
    claims = claims if claims is not None else {}
    lines = []
    for rid, since, source, portals, issues, levels, languages, quality, updated, *found in session.execute(
        query
    ):
        link, found = found[0], found[1:]
        values = {
            "source": frozenset([source]),
            "origin": frozenset([origin_of(types.get(source))]),
            "portal": frozenset(portals or ()),
            "issue": frozenset(str(i.get("code")) for i in issues or ()),
            "level": frozenset(levels or ()),
            "language": frozenset(str(t).split("-")[0].lower() for t in languages or ()),
            "link": frozenset([str(link)]),
            "claim": frozenset([_claim_value(claims.get(rid), user)]),
        }
        searched = haystack(rid, *found) if text else ""
        lines.append(_Line(rid, since, values, quality, updated, names.get(source, source), searched))
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


def _issue_rank(line: _Line) -> tuple[int, ...]:
    ranks = sorted(_ISSUE_ORDER.get(code, len(_ISSUE_ORDER)) for code in line.values["issue"])
    return (0, *ranks) if ranks else (1,)


def _key(sort: Sort, line: _Line) -> tuple[Any, ...]:
    """The order of the queue (``newest`` is ``oldest`` reversed); ties are broken by age, then id."""
    tie = (line.waiting_since, line.id)
    if sort in ("score_low", "score_high"):
        value = line.quality or 0
        return (line.quality is None, value if sort == "score_low" else -value, *tie)
    if sort == "updated":
        updated = line.updated or line.waiting_since
        return (-updated.timestamp(), *tie)
    if sort == "source":
        return (folded(line.source_name), min(line.values["source"]), *tie)
    if sort == "issue":
        return (_issue_rank(line), *tie)
    return tie


def _sorted(lines: list[_Line], sort: Sort) -> list[_Line]:
    return sorted(lines, key=lambda line: _key(sort, line), reverse=sort == "newest")


def _lines(
    session: Session,
    status: str,
    filters: dict[str, str | None],
    *,
    q: str | None,
    user: str | None,
    now: datetime | None,
    vocabularies: Vocabularies | None,
) -> tuple[list[_Line], dict[str, dict[str, int]], dict[str, ClaimInfo]]:
    """The lines matching every filter and the search, the facet counts, the live claims."""
    term = search_term(q)
    claims = live_claims(session, now=now)
    lines = _scan(session, status, user=user, claims=claims, text=term is not None)
    if term is not None:
        lines = [line for line in lines if matches(term, line.text)]
    kept, counts = _filtered(lines, filters, vocabularies)
    return kept, counts, claims


def _dimensions(claim: str | None, link: str | None, **values: str | None) -> dict[str, str | None]:
    """The filters by dimension: an unknown claim or link value filters nothing."""
    kept = {"claim": claim if claim in CLAIM_FILTERS else None, "link": link if link in LINK_KINDS else None}
    return {**values, **kept}


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
    claim: str | None = None,
    link: str | None = None,
    q: str | None = None,
    user: str | None = None,
    sort: Sort = "oldest",
    page: int = 1,
    size: int = 25,
    vocabularies: Vocabularies | None = None,
    now: datetime | None = None,
) -> QueuePage:
    """One page of the records in ``status`` (``all`` = every status), filtered, searched, sorted.

    ``origin`` keeps the ``contributions`` of platforms or the ``harvested`` records (both when
    ``None``); ``link`` those whose link is of that kind (:data:`~ren_index.review.link_report.KINDS`);
    ``claim`` those ``user`` holds (``mine``) or nobody holds (``unclaimed``) at ``now``; ``q`` is
    the free-text search; all combine like any filter, and every count obeys them all.
    """
    filters = _dimensions(
        claim, link, source=source, origin=origin, portal=portal, issue=issue, level=level, language=language
    )
    size = max(1, min(size, MAX_PAGE_SIZE))
    with factory() as session:
        lines, counts, claims = _lines(
            session, status, filters, q=q, user=user, now=now, vocabularies=vocabularies
        )
        ordered = _sorted(lines, sort)
        pages = max(1, -(-len(ordered) // size))
        page = max(1, min(page, pages))
        chosen = ordered[(page - 1) * size : page * size]
        items = _views(session, chosen, vocabularies, claims)
    return QueuePage(items=items, total=len(ordered), page=page, pages=pages, counts=counts)


def _views(
    session: Session, lines: list[_Line], vocabularies: Vocabularies | None, claims: dict[str, ClaimInfo]
) -> list[dict[str, Any]]:
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
        view["version"] = row.version or 1  # the bulk form posts ID:VERSION (a stale row is refused)
        view["issue_codes"] = sorted({str(i.get("code")) for i in row.issues or ()})
        view["link_kind"] = min(line.values["link"])
        holder = claims.get(row.id)
        view["claim"] = (
            {
                "user": holder.user_name,
                "since": utc_iso(holder.claimed_at),
                "until": utc_iso(holder.expires_at),
            }
            if holder is not None
            else None
        )
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
    claim: str | None = None,
    link: str | None = None,
    q: str | None = None,
    user: str | None = None,
    sort: Sort = "oldest",
    vocabularies: Vocabularies | None = None,
    now: datetime | None = None,
) -> tuple[str | None, str | None]:
    """The records before and after ``record_id`` in the same filtered, sorted queue.

    Found by the record's sort key, so it answers even when the record itself has just left the
    queue; ask before deciding, though: a decision changes the record's own date.
    """
    filters = _dimensions(
        claim, link, source=source, origin=origin, portal=portal, issue=issue, level=level, language=language
    )
    with factory() as session:
        rid = find_resource(session, record_id).id
        key = _key(sort, _scan(session, "all", ids=[rid])[0])
        lines, _counts, _claims = _lines(
            session, status, filters, q=q, user=user, now=now, vocabularies=vocabularies
        )

    def line_key(line: _Line) -> tuple[Any, ...]:
        return _key(sort, line)

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
