"""A page per source (``/review/sources/ID``) and the librarians' actions on it.

Any logged-in person reads the page: configuration, schedule (in words, next run, paused or not),
last runs, records per status and per issue, field coverage now and as each of the last process
runs left it (each row a link to its run's page), its records per link state and its link-rot
curve (:mod:`ren_index.web.review.links`). The buttons — harvest now, resume a
failed run, pause or resume the schedule, review a held run — are shown to librarians and admins
only, and every action route requires that role (:data:`~ren_index.web.auth.Operator`; others
get 403) and the session's CSRF token (checked app-wide). The work is done by
:mod:`ren_index.orchestration.launch` (which writes the audit event naming the person) and the
data comes from :mod:`ren_index.review.source_page`; here are only the HTTP shells. Every action
answers 303 with a flash message, so a reload never starts a second harvest.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from ren_index.config.clock import local_time
from ren_index.config.issue_codes import label as issue_label
from ren_index.errors import ConfigError
from ren_index.orchestration import launch
from ren_index.review import source_page
from ren_index.review.link_report import link_counts, rot_curve
from ren_index.runs.lock import HarvestInProgressError
from ren_index.web.auth import CurrentUser, Operator
from ren_index.web.console_view import count_headers, one_line, present_run
from ren_index.web.deps import SettingsDep, flash, get_ledger, render
from ren_index.web.i18n import language_of, t
from ren_index.web.review.deps import PortalsDep, RulebookDep
from ren_index.web.review.links import count_rows, rot_chart, rot_rows
from ren_index.web.review.view import portal_name

router = APIRouter(prefix="/review", tags=["review: sources"])


def source_url(source_id: str) -> str:
    return f"/review/sources/{quote(source_id, safe='')}"


def remember(request: Request, started: launch.Launch) -> None:
    """Keep the launch on the app (tests wait for it; nothing else reads it)."""
    launches: list[launch.Launch] = getattr(request.app.state, "launches", [])
    request.app.state.launches = [*[x for x in launches if x.thread and x.thread.is_alive()], started]


@router.get("/sources/{source_id}", response_class=HTMLResponse, summary="Une source / one source")
def source_page_view(
    request: Request, source_id: str, user: CurrentUser, settings: SettingsDep, portals: PortalsDep
) -> HTMLResponse:
    """A source's configuration, schedule, runs, records and coverage; buttons for librarians."""
    lang = language_of(request)
    factory = get_ledger(request)
    with factory() as session:
        source, configured = source_page.find_source(session, settings.config_dir, source_id)
        if source is None:
            raise HTTPException(status_code=404, detail="error.404.message")
        runs = [present_run(r, lang) for r in source_page.source_runs(session, source_id)]
        statuses = source_page.status_counts(session, source_id)
        issues = source_page.issue_counts(session, source_id)
        live, coverage = source_page.field_coverage(session, source_id)
        history = source_page.coverage_history(session, source_id)
        resumable = source_page.resumable_run(session, source_id)
        links = count_rows(link_counts(session, source_id), source_id)
        rot = rot_curve(session, source_id, datetime.now(UTC))
    harvestable = source.type in launch.HARVESTED_TYPES
    schedule = launch.schedule_view(settings, source, datetime.now(UTC)) if harvestable else None
    held = [r["id"] for r in runs if r["status"] == "held"]
    context: dict[str, Any] = {
        "page_title": t(request, "source.title", name=source.name),
        "source": source,
        "configured": configured,
        "harvestable": harvestable,
        "portal_names": [portal_name(portals, p, lang) for p in source.portals],
        "schedule": schedule,
        "schedule_words": source_page.cron_in_words(schedule.cron, lang)
        if schedule and schedule.cron
        else None,
        "next_run": local_time(schedule.next_run) if schedule and schedule.next_run else None,
        "runs": runs,
        "count_headers": count_headers(lang),
        "statuses": statuses,
        "issues": [
            {"code": code, "label": issue_label(code, lang), "count": n} for code, n in issues.items()
        ],
        "live": live,
        "coverage": {f: _percent(v) for f, v in coverage.items()},
        "coverage_history": [_coverage_row(point) for point in history],
        "resumable": resumable,
        "held": held,
        "can_operate": user.can_operate,
        "source_link": source_url(source.id),
        "link_rows": links,
        "rot_chart": rot_chart(rot),
        "rot_rows": rot_rows(rot),
    }
    return render(request, "source.html", context)


def _percent(share: float) -> int:
    return round(share * 100)


def _coverage_row(point: source_page.CoveragePoint) -> dict[str, Any]:
    """A past process run's coverage as a table row: Montreal time, percentages, « — » when unknown."""
    return {
        "run_id": point.run_id,
        "when": local_time(point.finished_at),
        "records": point.records,
        "shares": {f: _percent(v) for f, v in point.fields.items()} if point.fields is not None else None,
    }


def _refused(request: Request, exc: Exception) -> None:
    flash(request, t(request, "source.run_refused", reason=one_line(exc, 500)), "error")


@router.post("/sources/{source_id}/run", summary="Moissonner maintenant / harvest now")
def run_now(
    request: Request, source_id: str, user: Operator, settings: SettingsDep, rulebook: RulebookDep
) -> Response:
    """Harvest → process → index of the source in the background; a running harvest is refused."""
    try:
        started = launch.run_now(get_ledger(request), settings, rulebook, source_id, actor=user.name)
    except launch.UnknownSourceError:
        raise HTTPException(status_code=404, detail="error.404.message") from None
    except (launch.LaunchRefused, HarvestInProgressError) as exc:
        _refused(request, exc)
    else:
        remember(request, started)
        flash(request, t(request, "source.run_started", source=source_id), "success")
    return RedirectResponse(source_url(source_id), status_code=303)


def _pause(request: Request, source_id: str, user: Operator, paused: bool) -> Response:
    settings = request.app.state.settings
    try:
        launch.set_schedule_paused(get_ledger(request), settings, source_id, paused, actor=user.name)
    except ConfigError as exc:
        _refused(request, exc)
    else:
        key = "source.paused_done" if paused else "source.resumed_done"
        flash(request, t(request, key, source=source_id), "success")
    return RedirectResponse(source_url(source_id), status_code=303)


@router.post("/sources/{source_id}/schedule/pause", summary="Suspendre la planification / pause")
def pause_schedule(request: Request, source_id: str, user: Operator) -> Response:
    return _pause(request, source_id, user, True)


@router.post("/sources/{source_id}/schedule/resume", summary="Reprendre la planification / resume")
def resume_schedule(request: Request, source_id: str, user: Operator) -> Response:
    return _pause(request, source_id, user, False)
