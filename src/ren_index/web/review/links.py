"""Link health on the review pages: a record's link section, « Vérifier maintenant », the counts and
the link-rot chart of the dashboard and of a source's page.

The data comes from :mod:`ren_index.review.link_report`; here it is put in the page's words and
Montreal time. « Check now » (``POST /review/records/{id}/check-link``) checks the record's link at
once with the links step itself (:func:`ren_index.steps.link_one.check_now`): the same address
policy, ``robots.txt``, politeness and patience rules as the nightly pass, the same issues, status
changes, audit events (actor ``links``) and publication. Any logged-in role may ask (the check
decides nothing a person could not undo; what it finds, the rules apply); the session's CSRF token
is checked app-wide. A plain ``def``: FastAPI runs it in its thread pool, and the event loop never
waits on the network. At most :data:`MAX_CONCURRENT_CHECKS` run at once in a process; one more is
refused with a message rather than queued behind the others. The answer is a 303 back to the
record with one banner saying what the check found.

The chart (:func:`rot_chart`) is an SVG drawn on the server — coordinates computed here, markup in
``source.html`` with autoescaping, colours in ``links.css`` — so it needs no script and no inline
style (the CSP forbids both). The numbers are in a table beside it for those who cannot see it.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response

from ren_index.config.clock import local_time
from ren_index.config.sources import Sources, load_sources
from ren_index.errors import ConfigError
from ren_index.review.link_report import AGE_BUCKETS, KINDS, LIVE, RotBucket, record_link
from ren_index.settings import Settings
from ren_index.steps.link_one import CheckNow, check_now
from ren_index.web import accounts
from ren_index.web.auth import UserInfo, require_role
from ren_index.web.deps import SettingsDep, flash, get_ledger
from ren_index.web.i18n import t, translate
from ren_index.web.review.banner import announce, titles
from ren_index.web.review.deps import RulebookDep, record_url, redirect, resolve
from ren_index.web.review.forms import filters_from_query

router = APIRouter(prefix="/review", tags=["review"])

MAX_CONCURRENT_CHECKS = 4
"""« Check now » requests checking at once in one process (each holds a worker thread up to the
check's deadline, :data:`ren_index.steps.link_one.DEADLINE_S`)."""
_checks = threading.BoundedSemaphore(MAX_CONCURRENT_CHECKS)

Checker = Annotated[UserInfo, Depends(require_role(*accounts.ROLES))]
"""Documentalists, librarians and admins (every role today; a future read-only role would not be)."""

_LANGS = ((0, "fr"), (1, "en"))
"""The banner's languages, by their place in :func:`~ren_index.web.review.banner.titles`' pair."""
CHART_WIDTH, CHART_HEIGHT, CHART_PAD, CHART_LEFT, CHART_BOTTOM = 480, 220, 24, 48, 48
"""The rot chart's size, its top and right padding, the room left of it for the percentages and
under it for the ages."""


# -- a record's link ------------------------------------------------------------------------------


def present_link(link: dict[str, Any]) -> dict[str, Any]:
    """:func:`ren_index.review.link_report.record_link` with Montreal times (``when``) for the page."""
    history = [{**check, "when": local_time(check["checked_at"])} for check in link["history"]]
    return {
        **link,
        "when": local_time(link["checked_at"]) if link["checked_at"] else None,
        "history": history,
    }


def _sources(settings: Settings) -> Sources | None:
    """``sources.yaml`` (a source's own soft-404 phrases), else ``None``: the ledger's copy serves."""
    try:
        return load_sources(settings.config_dir / "sources.yaml")
    except ConfigError:
        return None


def _banner(request: Request, done: CheckNow) -> None:
    """One banner in both languages: what the check found and where the link stands now."""
    factory = get_ledger(request)
    title = titles(factory, done.record_id)
    result = done.result
    if result is None or result.extra.get("skip") in ("deadline", "max_targets"):
        reason = (result.reason if result else "") or (done.report["status"] if done.report else "")
        fr, en = (translate(lang, "link.not_checked", title=title[i], reason=reason) for i, lang in _LANGS)
        announce(request, fr, en, kind="warning")
        return
    with factory() as session:
        kind = record_link(session, done.record_id, limit=1)["kind"]
    texts = []
    for i, lang in _LANGS:
        status = (
            translate(lang, "link.checked_status", status=result.http_status) if result.http_status else ""
        )
        outcome = translate(lang, f"link.kind.{result.outcome.value}")
        now = translate(lang, f"link.kind.{kind}")
        texts.append(
            translate(lang, "link.checked", title=title[i], outcome=outcome, status=status, kind=now)
        )
    announce(request, texts[0], texts[1], kind="success" if kind in ("ok", "redirected") else "warning")


@router.post("/records/{record_id}/check-link", summary="Vérifier le lien maintenant / check the link now")
def check_link_now(
    request: Request,
    record_id: str,
    user: Checker,
    settings: SettingsDep,
    rulebook: RulebookDep,
    filters: Annotated[str, Form()] = "",
) -> Response:
    factory = get_ledger(request)
    rid = resolve(factory, record_id)
    back = record_url(rid, filters_from_query(filters))
    if not _checks.acquire(blocking=False):
        flash(request, t(request, "link.busy"), "warning")
        return redirect(back)
    try:
        done = check_now(factory, settings, rulebook, rid, sources=_sources(settings))
    finally:
        _checks.release()
    if done.refused is not None:
        flash(request, t(request, f"link.refused.{done.refused}"), "error")
    else:
        _banner(request, done)
    return redirect(back + "#link")


# -- counts and the rot chart ---------------------------------------------------------------------


def count_rows(counts: dict[str, dict[str, int]], source_id: str | None = None) -> list[dict[str, Any]]:
    """The counts table's rows, worst kind first, each count with the queue link that lists it."""
    scope = f"&source={quote(source_id, safe='')}" if source_id else ""
    rows = []
    for kind in KINDS:
        row = counts.get(kind, {})
        rows.append(
            {
                "kind": kind,
                "counts": {status: int(row.get(status, 0)) for status in LIVE},
                "total": int(row.get("total", 0)),
                "links": {status: f"/review/queue?status={status}&link={kind}{scope}" for status in LIVE},
            }
        )
    return rows


def rot_chart(buckets: Sequence[RotBucket]) -> dict[str, Any]:
    """The rot chart's geometry: one bar per age bucket (height = share of dead links, 0–100 %), a
    line through the bars that have a share, and the 0 / 50 / 100 % ticks."""
    plot_w = CHART_WIDTH - CHART_LEFT - CHART_PAD
    plot_h = CHART_HEIGHT - CHART_PAD - CHART_BOTTOM
    base = CHART_PAD + plot_h
    slot = plot_w / max(len(buckets), 1)
    bars, points = [], []
    for n, bucket in enumerate(buckets):
        share = bucket.share
        height = round((share or 0.0) * plot_h, 1)
        x = round(CHART_LEFT + n * slot + slot * 0.15, 1)
        width = round(slot * 0.7, 1)
        centre = round(x + width / 2, 1)
        bars.append(
            {
                "key": bucket.key,
                "x": x,
                "y": round(base - height, 1),
                "width": width,
                "height": height,
                "centre": centre,
                "percent": None if share is None else round(share * 100),
                "checked": bucket.checked,
                "dead": bucket.dead,
            }
        )
        if share is not None:
            points.append(f"{centre},{round(base - height, 1)}")
    ticks = [{"y": round(base - f * plot_h, 1), "label": f"{round(f * 100)} %"} for f in (0.0, 0.5, 1.0)]
    return {
        "width": CHART_WIDTH,
        "height": CHART_HEIGHT,
        "left": CHART_LEFT,
        "right": CHART_WIDTH - CHART_PAD,
        "middle": CHART_LEFT + plot_w / 2,
        "base": base,
        "label_y": base + 18,
        "title_y": base + 38,
        "bars": bars,
        "points": " ".join(points),
        "ticks": ticks,
        "any": any(b.checked for b in buckets),
    }


def rot_rows(buckets: Sequence[RotBucket]) -> list[dict[str, Any]]:
    """The table beside the chart: each age with the links checked, the dead ones and the share."""
    keys = [key for key, _ in AGE_BUCKETS]
    return [
        {
            "key": b.key,
            "order": keys.index(b.key),
            "checked": b.checked,
            "dead": b.dead,
            "percent": None if b.share is None else round(b.share * 100),
        }
        for b in buckets
    ]
