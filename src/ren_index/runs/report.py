"""The run report: one typed shape for what a harvest, process or index run did.

Every surface shows the same report: the ``--json`` output of ``harvest``, ``process``,
``index`` and ``run``, ``runs`` and the web runs page, the Prefect artifact and the webhook. It is
built here only — :func:`run_report` from a ledger run, :func:`index_report` for an index pass
over every source (which has no run row) — so a key means the same thing everywhere. Its times are
ISO 8601 in UTC with their offset (``config.clock.utc_iso``); the markdown for people says them in
Montreal time with the zone (``config.clock.local_time``).

``errors=N`` never comes alone: :func:`run_problems` reads the run's problem lines (the audit
events ``harvest_problem``) that ``ren-index runs RUN_ID`` lists, so a librarian sees why.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, NotRequired, TypedDict

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from ren_index.config.clock import local_time, utc_iso
from ren_index.errors import ConfigError
from ren_index.ledger.models import Event, HarvestRun

PROCESS_KEYS = ("processed", "approved", "needs_review", "rejected")


class RunReport(TypedDict):
    """DESIGN.md's run report. ``counts`` holds the keys that apply to the run's kind."""

    source: str
    """Source id, or ``*`` for an index pass over every source."""
    kind: str
    """``harvest``, ``process``, ``index`` or ``links``."""
    status: str
    """``running``, ``completed``, ``failed`` (see ``error``) or ``held`` (see ``hold``)."""
    counts: dict[str, int]
    run_id: NotRequired[int | None]
    window: NotRequired[dict[str, str | None]]
    started_at: NotRequired[str | None]
    finished_at: NotRequired[str | None]
    duration_s: NotRequired[float | None]
    throughput: NotRequired[float | None]
    """Records per second (harvested, else processed, else links checked)."""
    error: NotRequired[dict[str, Any]]
    """A failed run: ``message``, the endpoint's context and either ``resume`` (the command to run:
    resuming can help) or ``fix`` (what to correct first: resuming would fail the same way)."""
    stopped_at: NotRequired[dict[str, Any]]
    hold: NotRequired[dict[str, Any]]
    """A held run: why (``message_fr``, ``message_en``) and, once released, by whom."""
    withdrawn: NotRequired[list[str]]
    withdrawals_held: NotRequired[bool]
    process: NotRequired[RunReport]
    """``runs release``: the process pass that followed the release."""
    alias: NotRequired[str]
    held_sources: NotRequired[list[str]]
    failures: NotRequired[dict[str, str]]
    index: NotRequired[str]
    replaced: NotRequired[list[str]]
    coverage: NotRequired[dict[str, Any] | None]
    """A process run: the share of the source's live records carrying each field once it finished,
    ``{"records": n, "fields": {"title": 0.98, …}}`` (:mod:`ren_index.quality.coverage`); ``null``
    for a run that did not finish or ran before the ledger kept it (migration 0008)."""
    hosts_down: NotRequired[list[dict[str, Any]]]
    """A links run: the hosts down during it (``ren_index.links.outage.Outage.as_json``)."""
    applied: NotRequired[dict[str, int]]
    """A links pass: what its judgements did to records (declared broken, recovered, published…)."""
    runs: NotRequired[dict[str, int]]
    """A links pass over several sources: the run of each source."""


def run_report(run: HarvestRun) -> RunReport:
    """The report of a ledger run, with throughput and, for a held (or released) run, its hold."""
    finished: datetime | None = run.finished_at
    duration = (finished - run.started_at).total_seconds() if finished and run.started_at else None
    counts = {key: int(value) for key, value in (run.counts or {}).items()}
    report: RunReport = {
        "run_id": run.id,
        "source": run.source_id,
        "kind": run.kind,
        "status": run.status,
        "counts": counts,
        "window": {"from": run.window_from, "until": run.window_until},
        "started_at": utc_iso(run.started_at),
        "finished_at": utc_iso(finished),
        "duration_s": round(duration, 3) if duration is not None else None,
    }
    if run.error:
        report["error"] = dict(run.error)
    if run.kind == "process":
        report["coverage"] = dict(run.coverage) if isinstance(run.coverage, dict) else None
    harvested = int(counts.get("harvested") or counts.get("processed") or counts.get("checked") or 0)
    report["throughput"] = round(harvested / duration, 1) if duration else None
    hold = (run.checkpoint or {}).get("hold")
    if isinstance(hold, dict):
        report["hold"] = {k: v for k, v in hold.items() if k != "withdrawn"}
        report["withdrawn"] = list(hold.get("withdrawn") or [])
    if run.kind == "links":
        report["hosts_down"] = list((run.checkpoint or {}).get("hosts_down") or [])
    elif run.status == "failed" and run.error:
        report["stopped_at"] = {
            "set_index": (run.checkpoint or {}).get("set_index"),
            "token": (run.checkpoint or {}).get("token"),
            "records_so_far": counts.get("harvested", 0),
        }
    return report


def index_report(
    source: str,
    counts: dict[str, int],
    *,
    alias: str | None = None,
    index: str | None = None,
    replaced: list[str] | None = None,
    held_sources: list[str] | None = None,
    failures: dict[str, str] | None = None,
) -> RunReport:
    """The report of an index pass (``source`` ``*`` when it covered every source)."""
    report: RunReport = {"source": source, "kind": "index", "status": "completed", "counts": counts}
    if alias is not None:
        report["alias"] = alias
    if index is not None:
        report["index"] = index
    if replaced is not None:
        report["replaced"] = replaced
    if held_sources:
        report["held_sources"] = held_sources
    if failures:
        report["failures"] = failures
    return report


def list_runs(
    factory: sessionmaker[Session], source_id: str | None = None, *, limit: int = 50
) -> list[RunReport]:
    """Run reports, newest first, for one source or all."""
    query = select(HarvestRun).order_by(HarvestRun.id.desc()).limit(limit)
    if source_id:
        query = query.where(HarvestRun.source_id == source_id)
    with factory() as session:
        return [run_report(run) for run in session.scalars(query)]


MAX_PROBLEMS = 50
"""Problem lines ``runs RUN_ID`` lists (the count is exact)."""


def get_run(factory: sessionmaker[Session], run_id: int) -> RunReport:
    """One run's report, or one line naming the unknown run."""
    with factory() as session:
        run = session.get(HarvestRun, run_id)
        if run is None:
            raise ConfigError(f"run {run_id} inconnu / unknown run {run_id} — ren-index runs")
        return run_report(run)


def run_problems(
    factory: sessionmaker[Session], run_id: int, *, limit: int = MAX_PROBLEMS
) -> tuple[list[str], int]:
    """The first ``limit`` problem lines of a run, in the order they were met, and how many in all.

    Why: a report's ``errors=3`` alone leaves a librarian guessing; each problem line (a record
    without identifier, a file that could not be read) was written to the audit trail by the
    harvest step with the run's id, in words a librarian can act on.
    """
    where = (Event.run_id == run_id, Event.action == "harvest_problem")
    with factory() as session:
        total = int(session.scalar(select(func.count()).select_from(Event).where(*where)) or 0)
        lines = session.scalars(select(Event.comment).where(*where).order_by(Event.id).limit(limit))
        return [line or "" for line in lines], total


def problems_hint(report: Mapping[str, Any]) -> str | None:
    """« 3 problèmes : ren-index runs 7 » under a harvest report with errors, else ``None``."""
    errors = int((report.get("counts") or {}).get("errors") or 0)
    run_id = report.get("run_id")
    if errors <= 0 or run_id is None or report.get("kind") != "harvest":
        return None
    return f"{errors} problème(s) : ren-index runs {run_id} / {errors} problem(s): ren-index runs {run_id}"


def merge_process_counts(
    factory: sessionmaker[Session], run_id: int, process_report: Mapping[str, Any]
) -> RunReport:
    """Add the process step's decisions to a harvest run's report (``run`` = one report per source).

    The harvest's own ``deleted`` and ``errors`` stay; the process step's errors are kept apart as
    ``process_errors`` so a librarian can tell a broken source from a broken mapping.
    """
    process_counts = process_report.get("counts", {})
    with factory.begin() as session:
        run = session.get_one(HarvestRun, run_id)
        counts = dict(run.counts or {})
        for key in PROCESS_KEYS:
            counts[key] = int(process_counts.get(key, 0))
        counts["process_errors"] = int(process_counts.get("errors", 0))
        run.counts = counts
        return run_report(run)


def review_link(path: str, public_url: str | None) -> str:
    """A page of the review UI: absolute under ``REN_PUBLIC_URL``, else its path alone.

    Said where the UI is not (the Prefect UI, a terminal), so a bare path would mislead only when
    nobody told us the address: then the path is still what to append to it.
    """
    return f"{public_url.rstrip('/')}{path}" if public_url else path


def run_page(run_id: Any, public_url: str | None) -> str:
    """The run's page of the review UI: absolute under ``REN_PUBLIC_URL``, else its path."""
    return review_link(f"/review/runs/{run_id}", public_url)


def report_markdown(report: Mapping[str, Any], *, public_url: str | None = None) -> str:
    """A run report as a markdown table (the Prefect UI artifact), French first.

    Times in Montreal time with the zone, like every date a person reads. The run's page in the
    review UI is a link when ``public_url`` (``REN_PUBLIC_URL``) says where the UI is: the Prefect
    UI runs elsewhere, so a bare path would resolve against Prefect's own address.
    """
    duration = report.get("duration_s")
    lines = [
        f"## {report.get('source')} — run {report.get('run_id')} : **{report.get('status')}**",
        "",
    ]
    if report.get("run_id") is not None:
        page = run_page(report["run_id"], public_url)
        lines += [
            f"Page de la moisson / run page: [{page}]({page})"
            if public_url
            else f"Page de la moisson / run page: `{page}` (REN_PUBLIC_URL non défini / not set)",
            "",
        ]
    lines += [
        "| | |",
        "|---|---|",
        f"| début / started | {local_time(report.get('started_at'))} |",
        f"| durée / duration | {duration if duration is not None else '—'} s |",
        f"| débit / throughput | {report.get('throughput') or '—'} notices/s (records/s) |",
    ]
    lines += [f"| {key} | {value} |" for key, value in report.get("counts", {}).items()]
    hold = report.get("hold")
    if hold:
        lines += ["", f"**Retenue / held** — {hold.get('message_fr')}", "", f"_{hold.get('message_en')}_"]
        lines += ["", f"Libérer / release: `ren-index runs release {report.get('run_id')}`"]
    hint = problems_hint(report)
    if hint:
        lines += ["", hint]
    error = report.get("error")
    if error:
        lines += ["", f"**Échec / failed** — {error.get('message')}", ""]
        if error.get("fix"):
            lines.append(f"Corriger / fix: {error['fix']}")
        elif error.get("resume"):
            lines.append(f"Reprendre / resume: `{error['resume']}`")
    return "\n".join(lines) + "\n"


def counts_summary(counts: Mapping[str, Any]) -> str:
    """The non-zero counts on one line, for the runs table."""
    return ", ".join(f"{k}={v}" for k, v in counts.items() if v) or "—"
