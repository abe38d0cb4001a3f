"""The queue at team scale (issue 14): claims shown in words, « Prendre la main », saved views.

The reads live in the pages (:mod:`ren_index.web.review.pages` claims a record when a person who
can decide opens it, and lists claims and views); this module holds how a claim reads
(« pris par marie depuis 14 h 02 HNE » / "claimed by marie since 2:02 PM EST") and the three
writes, each a POST with the session's CSRF token (checked app-wide) answered by a 303:

- ``POST /review/records/{id}/claim``: take the record over from whoever holds it (deciders
  only; audited as ``claim_taken_over`` when it was someone else's, see
  :func:`ren_index.review.claims.take_over`);
- ``POST /review/views``: save the queue's current filters under a name, for this person;
- ``POST /review/views/{id}/delete``: delete one of this person's views (another's id: refused).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from ren_index.config.clock import MONTREAL, as_moment, french_hour
from ren_index.review import claims, views
from ren_index.web.auth import CurrentUser, Decider
from ren_index.web.deps import flash, get_ledger
from ren_index.web.i18n import language_of, translate
from ren_index.web.review.deps import record_url, redirect, resolve
from ren_index.web.review.forms import encode, filters_from_query, queue_filters

router = APIRouter(prefix="/review", tags=["review"])

FiltersField = Annotated[str, Form()]
NameField = Annotated[str, Form()]


def clock_time(value: datetime | str | None, lang: str) -> str:
    """A time of today as people say it in Montreal: ``14 h 02 HNE`` / ``2:02 PM EST``.

    Claims last minutes, so the hour is enough (the date would only be noise).
    """
    moment = as_moment(value)
    if moment is None:
        return "—"
    local = moment.astimezone(MONTREAL)
    zone = local.tzname() or ""
    if lang == "en":
        return f"{local.hour % 12 or 12}:{local.minute:02d} {'AM' if local.hour < 12 else 'PM'} {zone}"
    return french_hour(local)


def claim_line(claim: dict[str, Any] | None, user_name: str, lang: str) -> dict[str, Any] | None:
    """What the queue shows of a record's claim: text, whose it is (``mine`` or not)."""
    if claim is None:
        return None
    mine = claim["user"] == user_name
    since = clock_time(claim["since"], lang)
    key = "queue.claim.by_you" if mine else "queue.claim.by"
    return {
        "text": translate(lang, key, name=claim["user"], since=since),
        "mine": mine,
        "user": claim["user"],
    }


def record_claim(
    request: Request, rid: str, user_name: str, can_decide: bool, lang: str
) -> dict[str, Any] | None:
    """Open a record: claim it when this person can decide; what the record page says of the claim.

    Someone else's unexpired claim is shown, not taken; a reader (librarian) sees the claim and
    takes nothing.
    """
    factory = get_ledger(request)
    held = claims.claim(factory, rid, user_name) if can_decide else claims.current(factory, rid)
    if held is None:
        return None
    return {
        "user": held.user_name,
        "mine": held.user_name == user_name,
        "since": clock_time(held.claimed_at, lang),
        "until": clock_time(held.expires_at, lang),
        "since_iso": held.claimed_at.isoformat(),
    }


@router.post("/records/{record_id}/claim", summary="Take a record over / prendre la main")
def take_over(request: Request, record_id: str, user: Decider, filters: FiltersField = "") -> Response:
    factory = get_ledger(request)
    rid = resolve(factory, record_id)
    before = claims.current(factory, rid)
    claims.take_over(factory, rid, user.name)
    if before is not None and before.user_name != user.name:
        flash(request, "record.claim.taken", "success", name=before.user_name)
    else:
        flash(request, "record.claim.already_yours", "info")
    return redirect(record_url(rid, filters_from_query(filters)))


@router.post("/views", summary="Save the queue's filters / enregistrer une vue")
def save_view(
    request: Request, user: CurrentUser, name: NameField = "", filters: FiltersField = ""
) -> Response:
    chosen = filters_from_query(filters)
    try:
        view = views.save_view(get_ledger(request), user.name, name, chosen)
    except views.SavedViewError as exc:
        flash(request, exc.message_en if language_of(request) == "en" else exc.message_fr, "error")
        return redirect("/review/queue" + encode(chosen))
    flash(request, "queue.views.saved", "success", name=view.name)
    return redirect("/review/queue" + encode(queue_filters(view.query)))


@router.post("/views/{view_id}/delete", summary="Delete a saved view / supprimer une vue")
def delete_view(request: Request, view_id: int, user: CurrentUser, filters: FiltersField = "") -> Response:
    name = views.delete_view(get_ledger(request), user.name, view_id)
    if name is None:
        flash(request, "queue.views.not_found", "error")
    else:
        flash(request, "queue.views.deleted", "success", name=name)
    return redirect("/review/queue" + encode(filters_from_query(filters)))


def view_links(request: Request, user_name: str, current: dict[str, str]) -> list[dict[str, Any]]:
    """This person's saved views as the queue lists them: name, link, and whether it is the one shown."""
    found = []
    for view in views.views_of(get_ledger(request), user_name):
        filters = queue_filters(view.query)
        found.append(
            {
                "id": view.id,
                "name": view.name,
                "link": "/review/queue" + encode(filters),
                "current": filters == current,
            }
        )
    return found
