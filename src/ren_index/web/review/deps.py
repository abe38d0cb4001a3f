"""What the review route modules share: the rules and vocabularies, record look-up, redirects,
flash messages in the page's language, publication after a decision, and telling the contributing
platforms about it.

The rulebook and vocabularies are loaded lazily, once per app, and kept on ``app.state`` (the
search API may have put the vocabularies there already), so no request pays for loading twice.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import Depends, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from starlette.background import BackgroundTask

from ren_index.config.rulebook import Rulebook
from ren_index.config.rules import PortalPolicy, load_portals
from ren_index.config.vocabularies import Vocabularies, load_vocabularies
from ren_index.contributions.callbacks import deliver_pending
from ren_index.ledger.models import SourceRow
from ren_index.review.decisions import RecordNotFoundError, ReviewError, find_resource
from ren_index.review.publish import publish
from ren_index.review.queries import platforms_of
from ren_index.settings import Settings
from ren_index.web.deps import flash, get_ledger
from ren_index.web.i18n import language_of
from ren_index.web.review.forms import encode


def get_rulebook(request: Request) -> Rulebook:
    """The validation rules and vocabularies, loaded once per app on first use (a second or so)."""
    rulebook: Rulebook | None = getattr(request.app.state, "rulebook", None)
    if rulebook is None:
        rulebook = Rulebook.load(request.app.state.settings.config_dir)
        request.app.state.rulebook = rulebook
    return rulebook


def get_vocabularies(request: Request) -> Vocabularies:
    """The SKOS vocabularies (shared with the search API through ``app.state.vocabularies``)."""
    vocabularies: Vocabularies | None = getattr(request.app.state, "vocabularies", None)
    if vocabularies is None:
        rulebook: Rulebook | None = getattr(request.app.state, "rulebook", None)
        vocabularies = (
            rulebook.vocabularies if rulebook else load_vocabularies(request.app.state.settings.config_dir)
        )
        request.app.state.vocabularies = vocabularies
    return vocabularies


def get_portals(request: Request) -> dict[str, PortalPolicy]:
    """The portals of ``config/portals.yaml`` (shared with the search API through ``app.state.portals``)."""
    portals: dict[str, PortalPolicy] | None = getattr(request.app.state, "portals", None)
    if portals is None:
        portals = load_portals(request.app.state.settings.config_dir)
        request.app.state.portals = portals
    return portals


RulebookDep = Annotated[Rulebook, Depends(get_rulebook)]
PortalsDep = Annotated[dict[str, PortalPolicy], Depends(get_portals)]
VocabulariesDep = Annotated[Vocabularies, Depends(get_vocabularies)]


def resolve(factory: sessionmaker[Session], record_id: str) -> str:
    """The full id of a record (404 when there is none)."""
    try:
        with factory() as session:
            return find_resource(session, record_id).id
    except RecordNotFoundError:
        raise HTTPException(status_code=404, detail="error.404.message") from None


def record_url(record_id: str, filters: dict[str, str]) -> str:
    return f"/review/records/{quote(record_id, safe='')}{encode(filters)}"


def redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def flash_error(request: Request, exc: ReviewError) -> None:
    flash(request, exc.message_en if language_of(request) == "en" else exc.message_fr, "error")


def publish_and_flash(
    request: Request, settings: Settings, vocabularies: Vocabularies, ids: list[str]
) -> None:
    """Send the decided records to the index now, and say on the next page what happened."""
    result = publish(get_ledger(request), settings, vocabularies, ids)
    text = result.message_en if language_of(request) == "en" else result.message_fr
    flash(request, text, "success" if result.published else "warning")


def source_names(factory: sessionmaker[Session]) -> dict[str, str]:
    with factory() as session:
        return {sid: name for sid, name in session.execute(select(SourceRow.id, SourceRow.name))}


def tell_platforms(request: Request, response: Response, settings: Settings, ids: list[str]) -> Response:
    """``response``, which will tell the platforms whose contributions were just decided, once sent.

    A person's decision (approve, reject, withdraw, in bulk or with a correction) on a contribution
    is news for the platform that submitted it (:func:`~ren_index.contributions.callbacks.deliver_pending`
    POSTs it to the platform's callback URL). The POST runs as a background task, after the answer
    has gone to the browser: a slow or unreachable platform never slows the next page nor breaks it
    (the function never raises; what it could not deliver waits in the audit trail for the next
    call). The check that any decided record is a contribution is one query; harvested records add
    nothing else.
    """
    factory = get_ledger(request)
    platforms = platforms_of(factory, ids)
    if platforms:
        response.background = BackgroundTask(_deliver, factory, settings, platforms)
    return response


def _deliver(factory: sessionmaker[Session], settings: Settings, platforms: list[str]) -> None:
    for name in platforms:
        deliver_pending(factory, settings, platform=name)
