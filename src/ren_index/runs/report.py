"""The run report: one typed shape for what a harvest, process or index run did.

Every surface shows the same report: the ``--json`` output of ``harvest``, ``process``,
``index`` and ``run``, ``runs`` and the web runs page, the Prefect artifact and the webhook. It is
built here only — :func:`run_report` from a ledger run, :func:`index_report` for an index pass
over every source (which has no run row) — so a key means the same thing everywhere.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, NotRequired, TypedDict

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from ren_index.ledger.models import HarvestRun

PROCESS_KEYS = ("processed", "approved", "needs_review", "rejected")


class RunReport(TypedDict):
    """DESIGN.md's run report. ``counts`` holds the keys that apply to the run's kind."""

    source: str
    """Source id, or ``*`` for an index pass over every source."""
    kind: str
    """``harvest``, ``process`` or ``index``."""
    status: str
    """``running``, ``completed``, ``failed`` (see ``error``) or ``held`` (see ``hold``)."""
    counts: dict[str, int]
    run_id: NotRequired[int | None]
    window: NotRequired[dict[str, str | None]]
    started_at: NotRequired[str | None]
    finished_at: NotRequired[str | None]
    duration_s: NotRequired[float | None]
    throughput: NotRequired[float | None]
    """Records per second (harvested, else processed)."""
    error: NotRequired[dict[str, Any]]
    """A failed run: ``message``, the endpoint's context and ``resume`` (the command to run)."""
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
        "started_at": run.started_at.isoformat() if run.started_at else None,
        "finished_at": finished.isoformat() if finished else None,
        "duration_s": round(duration, 3) if duration is not None else None,
    }
    if run.error:
        report["error"] = dict(run.error)
    harvested = int(counts.get("harvested") or counts.get("processed") or 0)
    report["throughput"] = round(harvested / duration, 1) if duration else None
    hold = (run.checkpoint or {}).get("hold")
    if isinstance(hold, dict):
        report["hold"] = {k: v for k, v in hold.items() if k != "withdrawn"}
        report["withdrawn"] = list(hold.get("withdrawn") or [])
    if run.status == "failed" and run.error:
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


def report_markdown(report: Mapping[str, Any]) -> str:
    """A run report as a markdown table (the Prefect UI artifact), French first."""
    duration = report.get("duration_s")
    lines = [
        f"## {report.get('source')} — run {report.get('run_id')} : **{report.get('status')}**",
        "",
        "| | |",
        "|---|---|",
        f"| début / started | {report.get('started_at') or '—'} |",
        f"| durée / duration | {duration if duration is not None else '—'} s |",
        f"| débit / throughput | {report.get('throughput') or '—'} notices/s (records/s) |",
    ]
    lines += [f"| {key} | {value} |" for key, value in report.get("counts", {}).items()]
    hold = report.get("hold")
    if hold:
        lines += ["", f"**Retenue / held** — {hold.get('message_fr')}", "", f"_{hold.get('message_en')}_"]
        lines += ["", f"Libérer / release: `ren-index runs release {report.get('run_id')}`"]
    error = report.get("error")
    if error:
        lines += [
            "",
            f"**Échec / failed** — {error.get('message')}",
            "",
            f"Reprendre / resume: `{error.get('resume')}`",
        ]
    return "\n".join(lines) + "\n"


def counts_summary(counts: Mapping[str, Any]) -> str:
    """The non-zero counts on one line, for the runs table."""
    return ", ".join(f"{k}={v}" for k, v in counts.items() if v) or "—"
