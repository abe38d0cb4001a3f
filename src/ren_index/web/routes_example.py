"""``/api/example``: a portal's search page in plain HTML and JavaScript, calling this API.

What docs/portal.md explains, working: a search box, facets, pagination, hits with their
highlights and a resource page, from ``/api/search`` and ``/api/resources/{id}`` alone. Three
static files in ``web/static`` (``portal-example.html``, ``.js``, ``.css``), no framework, no CDN,
no inline script or style, so the app's Content-Security-Policy applies unchanged; a portal
developer can copy them and change ``data-api`` to this service's address. Not in the OpenAPI
schema: it is a page, not part of the API.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse

router = APIRouter(prefix="/api")

PAGE = Path(__file__).parent / "static" / "portal-example.html"


@router.get("/example", include_in_schema=False)
def example() -> FileResponse:
    """The example page; its state (query, filters, page, resource) lives in its own query string."""
    return FileResponse(PAGE, media_type="text/html; charset=utf-8")
