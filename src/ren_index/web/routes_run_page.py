"""A page per run (``/review/runs/RUN_ID``): its report, problem lines, withdrawals and log.

What ``ren-index runs --json`` and the database used to tell a librarian, on one page: status,
counts, duration and throughput; a failure's one-line message, where it stopped (set, token) and
how to resume; a hold's reasons; the ``harvest_problem`` lines; the withdrawals (held or applied);
and the run's events — its log lines, from the audit trail. Librarians and admins also get the
run's actions: resume a failed run from its checkpoint, and release a held one after reading
the list of what it would withdraw (``GET …/release`` shows it, ``POST`` confirms). The data is
:func:`ren_index.review.source_page.run_detail`; the work, :mod:`ren_index.orchestration.launch`.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from ren_index.config.clock import local_time
from ren_index.orchestration import launch
from ren_index.review import source_page
from ren_index.runs.holds import RunError
from ren_index.runs.lock import HarvestInProgressError
from ren_index.web.auth import CurrentUser, Operator
from ren_index.web.console_view import label, one_line, present_run
from ren_index.web.deps import SettingsDep, flash, get_ledger, render
from ren_index.web.i18n import language_of, t
from ren_index.web.review.deps import RulebookDep
from ren_index.web.routes_sources import remember, source_url

router = APIRouter(prefix="/review", tags=["review: runs"])


def run_url(run_id: int) -> str:
    return f"/review/runs/{run_id}"


def _event(event: dict[str, Any], lang: str) -> dict[str, Any]:
    action = str(event["action"])
    return {
        **event,
        "when": local_time(event["at"], seconds=True),
        "label": label(lang, f"action.{action}", action),
        "comment": one_line(event.get("comment"), 1000) if event.get("comment") else "",
    }


@router.get("/runs/{run_id}", response_class=HTMLResponse, summary="Une moisson / one run")
def run_page(request: Request, run_id: int, user: CurrentUser) -> HTMLResponse:
    """The run's report, problems, withdrawals and events (any logged-in role reads it)."""
    lang = language_of(request)
    with get_ledger(request)() as session:
        detail = source_page.run_detail(session, run_id)
    if detail is None:
        raise HTTPException(status_code=404, detail="error.404.message")
    run = present_run(detail.report, lang)
    context = {
        "page_title": t(request, "run.title", run=run_id, source=detail.source_name),
        "run": run,
        "detail": detail,
        "problems": [_event(e, lang) for e in detail.problems],
        "events": [_event(e, lang) for e in detail.events],
        "can_operate": user.can_operate,
        "source_link": source_url(str(detail.report["source"])),
    }
    return render(request, "run.html", context)


@router.post("/runs/{run_id}/resume", summary="Reprendre une moisson / resume a run")
def resume_run(
    request: Request, run_id: int, user: Operator, settings: SettingsDep, rulebook: RulebookDep
) -> Response:
    """Resume a failed or interrupted harvest from its checkpoint, in the background."""
    try:
        started = launch.resume(get_ledger(request), settings, rulebook, run_id, actor=user.name)
    except launch.UnknownSourceError:
        raise HTTPException(status_code=404, detail="error.404.message") from None
    except (launch.LaunchRefused, HarvestInProgressError) as exc:
        flash(request, t(request, "source.run_refused", reason=one_line(exc, 500)), "error")
        return RedirectResponse(run_url(run_id), status_code=303)
    remember(request, started)
    flash(request, t(request, "source.run_started", source=started.source_id), "success")
    return RedirectResponse(source_url(started.source_id), status_code=303)


@router.get("/runs/{run_id}/release", response_class=HTMLResponse, summary="Avant de libérer / before")
def release_form(request: Request, run_id: int, user: Operator) -> HTMLResponse:
    """What releasing the held run would withdraw, and the form that confirms it."""
    with get_ledger(request)() as session:
        detail = source_page.run_detail(session, run_id)
        if detail is None:
            raise HTTPException(status_code=404, detail="error.404.message")
        preview = source_page.withdrawal_preview(session, run_id)
    run = present_run(detail.report, language_of(request))
    context = {
        "page_title": t(request, "release.title", run=run_id, source=detail.source_name),
        "run": run,
        "preview": preview,
        "held": detail.report["status"] == "held",
        "run_link": run_url(run_id),
    }
    return render(request, "release.html", context)


@router.post("/runs/{run_id}/release", summary="Libérer une moisson retenue / release a held run")
def release_run(
    request: Request, run_id: int, user: Operator, settings: SettingsDep, rulebook: RulebookDep
) -> Response:
    """Release the held run (``run_released`` names the person), then process and index its source."""
    try:
        report, started = launch.release(get_ledger(request), settings, rulebook, run_id, actor=user.name)
    except RunError as exc:
        flash(request, t(request, "release.refused", reason=one_line(exc, 500)), "error")
        return RedirectResponse(run_url(run_id), status_code=303)
    remember(request, started)
    applied = (report.get("hold") or {}).get("released", {}).get("withdrawals_applied", 0)
    flash(request, t(request, "release.done", run=run_id, applied=applied), "success")
    return RedirectResponse(run_url(run_id), status_code=303)
