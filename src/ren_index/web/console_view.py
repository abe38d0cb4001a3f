"""How the librarians' console shows a run report: words, Montreal times, one-line reasons.

A :class:`~ren_index.runs.report.RunReport` is JSON (UTC ISO dates, codes); a person reads labels
in their language and Montreal time (:func:`ren_index.config.clock.local_time`). The source page,
the run page and the release page show runs the same way because they all go through here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ren_index.config.clock import local_time
from ren_index.web.i18n import has_message, translate

RUN_COUNTS = ("harvested", "new", "updated", "unchanged", "deleted", "withdrawn", "errors")
PROCESS_COUNTS = ("processed", "approved", "needs_review", "rejected", "process_errors")
MAX_LINE = 300
"""A failure's message is cut here in tables (the run page shows it whole)."""


def one_line(text: object, limit: int = MAX_LINE) -> str:
    """``text`` on one line, cut at ``limit`` characters."""
    flat = " ".join(str(text or "").split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def duration(seconds: float | None) -> str:
    """``1 min 15 s``, ``1 h 02 min``, ``42 s`` or ``—``."""
    if seconds is None:
        return "—"
    total = round(seconds)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours} h {minutes:02d} min"
    return f"{minutes} min {secs:02d} s" if minutes else f"{secs} s"


def label(lang: str, key: str, fallback: str) -> str:
    """The message ``key`` when the catalogue has it, else ``fallback`` (a code stays readable)."""
    return translate(lang, key) if has_message(key) else fallback


def hold_reasons(hold: Mapping[str, Any], lang: str) -> list[str]:
    """A hold's reasons as words (the code when it has none)."""
    return [label(lang, f"run.reason.{code}", str(code)) for code in hold.get("reasons") or []]


def present_run(report: Mapping[str, Any], lang: str) -> dict[str, Any]:
    """One run as a row or a page: labels, local times, duration, throughput, its one-line note."""
    status = str(report.get("status"))
    counts = {k: int(v) for k, v in (report.get("counts") or {}).items()}
    error = report.get("error") or {}
    hold = report.get("hold") or {}
    stopped = report.get("stopped_at") or {}
    notes: list[str] = []
    if error:
        notes.append(one_line(error.get("message")))
    if stopped:
        notes.append(
            translate(
                lang,
                "run.stopped_at",
                set=stopped.get("set_index"),
                token=stopped.get("token") or "—",
                records=stopped.get("records_so_far", 0),
            )
        )
    if hold:
        notes.append(", ".join(hold_reasons(hold, lang)))
    throughput = report.get("throughput")
    released = hold.get("released") if isinstance(hold.get("released"), dict) else None
    return {
        "id": report.get("run_id"),
        "source": report.get("source"),
        "kind": report.get("kind"),
        "status": status,
        "status_label": label(lang, f"run.status.{status}", status),
        "started": local_time(report.get("started_at")),
        "finished": local_time(report.get("finished_at")),
        "duration": duration(report.get("duration_s")),
        "throughput": translate(lang, "run.per_second", rate=throughput) if throughput else "—",
        "counts": [
            {"key": key, "label": label(lang, f"run.count.{key}", key), "value": counts[key]}
            for key in (*RUN_COUNTS, *PROCESS_COUNTS)
            if key in counts
        ],
        "row_counts": [counts.get(key, 0) for key in RUN_COUNTS],
        "note": " · ".join(n for n in notes if n),
        "error": error,
        "stopped": stopped,
        "hold": hold,
        "hold_message": hold.get("message_en" if lang == "en" else "message_fr"),
        "hold_reasons": hold_reasons(hold, lang),
        "released": (
            {
                "by": released.get("by"),
                "at": local_time(released.get("at")),
                "applied": released.get("withdrawals_applied", 0),
            }
            if released
            else None
        ),
        "window": {k: _datestamp(v) for k, v in (report.get("window") or {}).items()},
    }


def _datestamp(value: object) -> str | None:
    """A window bound: a moment (``…T07:32:49Z``) in Montreal time; a plain day stays as it is."""
    if not isinstance(value, str) or not value:
        return None
    return local_time(value) if "T" in value else value


def count_headers(lang: str) -> list[str]:
    """The count columns of a runs table, in :data:`RUN_COUNTS` order."""
    return [label(lang, f"run.count.{key}", key) for key in RUN_COUNTS]
