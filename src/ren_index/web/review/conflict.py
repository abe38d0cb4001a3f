"""A decision or correction posted from a stale page: HTTP 409 with the record page as it is now.

The person who posted decided on a record someone else (or a re-harvest) changed since their page
was drawn. Nothing was done (:class:`~ren_index.review.versions.StaleRecordError`); the answer is
the record page re-rendered over the current record — fresh forms carrying the current version —
with what changed since, and what the person had typed (a reason, a comment, text corrections)
put back in the forms, so deciding again is one look and one click.

The page is :func:`ren_index.web.review.pages.record_page` itself, given the queue filters the
form carried (as the page's query string) and the conflict on ``request.state.review_conflict``,
which ``record.html`` shows above the decision forms.
"""

from __future__ import annotations

from collections.abc import Mapping

from fastapi import Request
from fastapi.responses import HTMLResponse

from ren_index.review.versions import StaleRecordError
from ren_index.web.auth import UserInfo
from ren_index.web.i18n import language_of
from ren_index.web.review.deps import get_portals, get_vocabularies
from ren_index.web.review.forms import encode
from ren_index.web.review.pages import record_page

CONFLICT = 409


def conflict_page(
    request: Request,
    record_id: str,
    user: UserInfo,
    filters: Mapping[str, str],
    error: StaleRecordError,
    kept: Mapping[str, str] | None = None,
) -> HTMLResponse:
    """The record page now, answering 409, with what changed and the person's typed values kept."""
    lang = language_of(request)
    query = encode(filters, lang=lang if "lang" in request.query_params else "").lstrip("?")
    scope = {**request.scope, "query_string": query.encode("latin-1"), "method": "GET"}
    view = Request(scope, receive=request.receive)
    view.state.review_conflict = {
        "message": error.message_en if lang == "en" else error.message_fr,
        "changes": [c.text_en if lang == "en" else c.text_fr for c in error.changes],
        "seen": error.seen,
        "current": error.current,
        "kept": {k: v for k, v in (kept or {}).items() if v},
    }
    response = record_page(view, record_id, user, get_vocabularies(request), get_portals(request))
    response.status_code = CONFLICT
    return response
