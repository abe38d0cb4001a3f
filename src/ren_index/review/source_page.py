"""What a source's page and a run's page show, read from the ledger (no HTTP, no writes).

The librarians' console (``/review/sources/ID``, ``/review/runs/RUN_ID``) answers the questions
they used to answer with the CLI and SQL: how did the last runs go, where did a failed one stop,
what would a held one withdraw, how do the records stand per status and per issue, and which of
the fields documentalists look at first do the live records carry. Everything here is a query,
so the pages are thin and these functions are tested without a server.

The field coverage is measured the same way everywhere (:mod:`ren_index.quality.coverage`): now,
over the live records, and as each process run left it — the ledger keeps each record's current
version only, so every process run stores the coverage it left (``harvest_runs.coverage``) and
:func:`coverage_history` reads those back. Runs from before that column existed have none.

The schedule's words (:func:`cron_in_words`) live here too: a pure function of the cron string,
shared by the page and its tests.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from sqlalchemy import select
from sqlalchemy.orm import Session

from ren_index.config.sources import SourceConfig, load_sources
from ren_index.errors import ConfigError
from ren_index.ledger import store
from ren_index.ledger.coverage import source_coverage
from ren_index.ledger.models import Event, HarvestRun, RawRecordRow, ResourceRow, SourceRow
from ren_index.model import Status
from ren_index.quality.coverage import FIELDS as COVERAGE_FIELDS
from ren_index.runs.lock import holder
from ren_index.runs.report import RunReport, review_link, run_report

RECENT_RUNS = 10
MAX_PREVIEW = 1000
"""At most this many withdrawals are listed before a release (the count is exact)."""


# -- the source's configuration --------------------------------------------------------------------


def find_source(session: Session, config_dir: Path, source_id: str) -> tuple[SourceConfig | None, bool]:
    """The source's configuration and whether ``sources.yaml`` holds it.

    ``sources.yaml`` is the reference; a source harvested once but since removed from it (or a
    contributions platform, which is never in it) is read from the ledger's copy, so its page
    still says what it was.
    """
    try:
        configured = load_sources(config_dir / "sources.yaml")
    except ConfigError:
        configured = None
    if configured is not None and source_id in configured:
        return configured[source_id], True
    row = session.get(SourceRow, source_id)
    if row is None:
        return None, False
    try:
        return SourceConfig.model_validate({**(row.config or {}), "id": row.id}), False
    except ValueError:
        return SourceConfig.model_construct(id=row.id, name=row.name, type=row.type, url=row.url), False


# -- runs ------------------------------------------------------------------------------------------


def source_runs(session: Session, source_id: str, limit: int = RECENT_RUNS) -> list[RunReport]:
    """The source's last harvest runs, newest first, as reports (status, counts, hold, error…)."""
    query = (
        select(HarvestRun)
        .where(HarvestRun.source_id == source_id, HarvestRun.kind == "harvest")
        .order_by(HarvestRun.id.desc())
        .limit(limit)
    )
    return [run_report(run) for run in session.scalars(query)]


def resumable_run(session: Session, source_id: str) -> int | None:
    """The run a new harvest of the source would resume (failed or interrupted, with a checkpoint).

    The same rule as the harvest step's: only the source's last run is continued. A run still
    held by a live process is running, not interrupted: nothing to resume.
    """
    run = store.last_run(session, source_id)
    if run is None or run.status not in ("running", "failed") or not run.checkpoint:
        return None
    if run.status == "running" and holder(run) is not None:
        return None
    return run.id


@dataclass
class RunDetail:
    """A run's page: its report, problem lines, withdrawals and every event it wrote."""

    report: RunReport
    problems: list[dict[str, Any]] = field(default_factory=list)
    withdrawals: list[str] = field(default_factory=list)
    withdrawals_held: bool = False
    events: list[dict[str, Any]] = field(default_factory=list)
    source_name: str = ""
    resumable: bool = False


def _event(event: Event) -> dict[str, Any]:
    return {
        "id": event.id,
        "at": event.at,
        "actor": event.actor,
        "action": event.action,
        "resource_id": event.resource_id,
        "comment": event.comment,
        "before": event.before,
        "after": event.after,
    }


def run_detail(session: Session, run_id: int, *, max_events: int = 500) -> RunDetail | None:
    """The run's report, its ``harvest_problem`` lines, its withdrawals and its events (oldest first).

    Withdrawals are the identifiers a held run kept back (its checkpoint), else those its
    ``withdrawn`` events name: what left the portals, or would have, because of this run.
    """
    run = session.get(HarvestRun, run_id)
    if run is None:
        return None
    events = list(
        session.scalars(select(Event).where(Event.run_id == run_id).order_by(Event.id).limit(max_events))
    )
    hold = (run.checkpoint or {}).get("hold")
    held = list(hold.get("withdrawn") or []) if isinstance(hold, dict) else []
    if held:
        withdrawals = held
    else:
        ids = [e.resource_id for e in events if e.action == "withdrawn" and e.resource_id]
        identifiers = dict(
            session.execute(
                select(ResourceRow.id, RawRecordRow.identifier)
                .join(RawRecordRow, RawRecordRow.id == ResourceRow.raw_id)
                .where(ResourceRow.id.in_(ids))
            ).all()
        )
        withdrawals = [identifiers.get(rid, rid) for rid in ids]
    source = session.get(SourceRow, run.source_id)
    return RunDetail(
        report=run_report(run),
        problems=[_event(e) for e in events if e.action == "harvest_problem"],
        withdrawals=withdrawals,
        withdrawals_held=bool(held) and run.status == "held",
        events=[_event(e) for e in events],
        source_name=source.name if source else run.source_id,
        resumable=run.kind == "harvest" and resumable_run(session, run.source_id) == run.id,
    )


def withdrawal_preview(session: Session, run_id: int) -> list[dict[str, str | None]]:
    """What releasing a held run would withdraw: each identifier with the record's title.

    The same rule as :func:`ren_index.runs.holds.release_run`: a record still live, not seen by a
    later run. Listed before the librarian confirms.
    """
    run = session.get(HarvestRun, run_id)
    if run is None:
        return []
    hold = (run.checkpoint or {}).get("hold")
    identifiers = sorted(set(hold.get("withdrawn") or [])) if isinstance(hold, dict) else []
    if not identifiers:
        return []
    rows = session.execute(
        select(RawRecordRow.identifier, RawRecordRow.last_run_id, ResourceRow.record)
        .outerjoin(ResourceRow, ResourceRow.raw_id == RawRecordRow.id)
        .where(
            RawRecordRow.source_id == run.source_id,
            RawRecordRow.deleted.is_(False),
            RawRecordRow.identifier.in_(identifiers),
        )
        .order_by(RawRecordRow.identifier)
    ).all()
    return [
        {"identifier": identifier, "title": _title(record)}
        for identifier, last_run_id, record in rows[:MAX_PREVIEW]
        if last_run_id is None or last_run_id <= run.id
    ]


def _title(record: dict[str, Any] | None) -> str | None:
    titles = ((record or {}).get("general") or {}).get("title") or {}
    if not isinstance(titles, dict):
        return None
    return titles.get("fr") or titles.get("en") or next(iter(titles.values()), None)


# -- records ---------------------------------------------------------------------------------------


def status_counts(session: Session, source_id: str) -> dict[str, int]:
    """Records of the source per status, every status named (zeros included)."""
    found = store.status_counts(session, source_id)
    return {status.value: int(found.get(status.value, 0)) for status in Status}


def issue_counts(session: Session, source_id: str) -> dict[str, int]:
    """Live records of the source per issue code, most frequent first (a record counts once per code)."""
    counts: Counter[str] = Counter()
    query = select(ResourceRow.issues).where(
        ResourceRow.source_id == source_id, ResourceRow.status != Status.DELETED.value
    )
    for (issues,) in session.execute(query):
        counts.update({str(i.get("code")) for i in issues or () if isinstance(i, dict)})
    return dict(counts.most_common())


def field_coverage(session: Session, source_id: str) -> tuple[int, dict[str, float]]:
    """How many live records the source has, and the share carrying each of :data:`COVERAGE_FIELDS`.

    :func:`ren_index.ledger.coverage.source_coverage`: the process step stores the same numbers
    with each run, so the top row of the page's history and the last run's row agree.
    """
    now = source_coverage(session, source_id)
    return now["records"], now["fields"]


@dataclass(frozen=True)
class CoveragePoint:
    """One process run's coverage: when it finished, and ``None`` when the run stored none."""

    run_id: int
    finished_at: datetime | None
    records: int | None
    fields: dict[str, float] | None


def coverage_history(session: Session, source_id: str, limit: int = RECENT_RUNS) -> list[CoveragePoint]:
    """The source's last ``limit`` finished process runs, newest first, with the coverage each left.

    A run from before migration 0008 (or one that failed) has ``records`` and ``fields`` ``None``:
    the page says « — », it never guesses.
    """
    query = (
        select(HarvestRun.id, HarvestRun.finished_at, HarvestRun.started_at, HarvestRun.coverage)
        .where(
            HarvestRun.source_id == source_id,
            HarvestRun.kind == "process",
            HarvestRun.status != "running",
        )
        .order_by(HarvestRun.id.desc())
        .limit(limit)
    )
    points = []
    for run_id, finished, started, stored in session.execute(query):
        fields = stored.get("fields") if isinstance(stored, dict) else None
        if not isinstance(stored, dict) or not isinstance(fields, dict):
            points.append(CoveragePoint(run_id, finished or started, None, None))
            continue
        shares = {f: float(fields.get(f) or 0.0) for f in COVERAGE_FIELDS}
        points.append(CoveragePoint(run_id, finished or started, int(stored.get("records") or 0), shares))
    return points


def source_links(source_id: str, public_url: str | None, *, checkable: bool = True) -> dict[str, str | None]:
    """Where to see a source: its page and its check page (pre-filled), absolute under
    ``REN_PUBLIC_URL``, else their paths; ``check`` is ``None`` for a source nothing harvests."""
    ident = quote(source_id, safe="")
    return {
        "page": review_link(f"/review/sources/{ident}", public_url),
        "check": review_link(f"/review/sources/check?source={ident}", public_url) if checkable else None,
    }


# -- the schedule in words --------------------------------------------------------------------------

_DAYS = {
    "fr": ("dimanche", "lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi"),
    "en": ("Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"),
}
_DAY_NAMES = {name: n for n, name in enumerate(("sun", "mon", "tue", "wed", "thu", "fri", "sat"))}
_NUMBER = re.compile(r"\d{1,2}")


def _day(value: str) -> int | None:
    if _NUMBER.fullmatch(value):
        number = int(value)
        return number % 7 if 0 <= number <= 7 else None
    return _DAY_NAMES.get(value.lower())


def _days(field_: str) -> list[int] | tuple[int, int] | None:
    """A weekday field: a list of days (``1``, ``1,3,5``), a range ``(first, last)``, or None."""
    if "-" in field_ and "," not in field_:
        first, _, last = field_.partition("-")
        a, b = _day(first), _day(last)
        return (a, b) if a is not None and b is not None else None
    days = [_day(part) for part in field_.split(",")]
    return None if any(d is None for d in days) else [d for d in days if d is not None]


def _join(words: list[str], lang: str) -> str:
    last = " et " if lang == "fr" else " and "
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + last + words[-1]


def cron_in_words(cron: str, lang: str = "fr") -> str:
    """A common cron said as a person would (Montreal time); any other cron is given as is.

    ``0 3 * * *`` → « tous les jours à 3 h 00 »; ``30 2 * * 1`` → « le lundi à 2 h 30 »;
    ``0 4 * * 1-5`` → « du lundi au vendredi à 4 h 00 »; ``15 1 1 * *`` → « le 1er de chaque
    mois à 1 h 15 »; ``5 * * * *`` → « toutes les heures, à la minute 5 ». English with ``lang="en"``.
    """
    fields = cron.split()
    if len(fields) != 5:
        return cron
    minute, hour, day, month, weekday = fields
    fr = lang != "en"
    if not _NUMBER.fullmatch(minute) or int(minute) > 59 or month != "*":
        return cron
    m = int(minute)
    if hour == "*" and day == "*" and weekday == "*":
        return f"toutes les heures, à la minute {m}" if fr else f"every hour, at minute {m}"
    if not _NUMBER.fullmatch(hour) or int(hour) > 23:
        return cron
    h = int(hour)
    at = f"à {h} h {m:02d}" if fr else f"at {h}:{m:02d}"
    if day == "*" and weekday == "*":
        return f"tous les jours {at}" if fr else f"every day {at}"
    if weekday == "*" and _NUMBER.fullmatch(day) and 1 <= int(day) <= 31:
        d = int(day)
        if fr:
            return f"le {'1er' if d == 1 else d} de chaque mois {at}"
        return f"on day {d} of every month {at}"
    if day != "*":
        return cron
    days = _days(weekday)
    names = _DAYS["fr" if fr else "en"]
    if isinstance(days, tuple):
        first, last = names[days[0]], names[days[1]]
        return f"du {first} au {last} {at}" if fr else f"{first} to {last} {at}"
    if not days:
        return cron
    if fr:
        return f"{_join([f'le {names[d]}' for d in days], 'fr')} {at}"
    return f"on {_join([names[d] + 's' for d in days], 'en')} {at}"
