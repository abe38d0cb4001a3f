"""``/api/contributions``: platforms (Ma classe of École ouverte) push resources and read what became of them.

A thin HTTP shell over :mod:`ren_index.contributions`: it authenticates the platform, bounds and
parses the body, and turns the service's answers into status codes; the contract, the validation,
the review queue and the callbacks are the domain's (see ``docs/contributions.md``).

Why it is built the way it is:

* **Bearer keys only, no cookies.** The review UI's session cookie is never looked at here, so a
  documentalist's browser cannot be made to contribute, and no CSRF token is needed
  (``security.csrf_protect`` guards ``/review`` only; a browser never adds this header by itself).
  The CORS of ``/api`` allows ``GET`` without credentials nor ``Authorization``, so another site's
  script cannot send a key either.
* **The key reaches no log and no message.** ``HTTPBearer`` reads it (never a validated
  ``Header``: FastAPI's 422 would echo it), it is hashed at once and only the hash names the rate
  limit's window; uvicorn's access log has the request line only.
* **The body is hostile.** Read as a stream and abandoned past ``REN_CONTRIBUTIONS_MAX_BYTES`` (a
  larger ``Content-Length`` is refused unread, a smaller one is not believed); JSON without
  ``NaN``/``Infinity``, its depth failures caught; XML goes to the service's hardened parser.
* **One platform sees only its own.** Every service call takes the authenticated platform; another
  platform's external id is a 404 in the same words as an unknown one.
* **A rate limit per key** (``REN_CONTRIBUTIONS_RATE_LIMIT`` a minute, :mod:`.ratelimit`): a client
  over its limit is refused before its key is looked up; only keys that authenticate get a window.

After a submission or a deletion a background task brings the index in line for that record
(:func:`ren_index.review.publish.publish`) and delivers the platform's pending callbacks; neither
can fail the request. A deletion is published before answering: the resource is gone from École
ouverte when the platform gets its answer.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, BackgroundTasks, Depends, HTTPException, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from ren_index.config.vocabularies import Vocabularies
from ren_index.contributions import callbacks, service
from ren_index.contributions.platforms import STATUSES, PlatformInfo, authenticate, hash_key
from ren_index.contributions.schema import FieldError, load_schema
from ren_index.ledger.models import ResourceRow
from ren_index.review.publish import publish
from ren_index.settings import Settings
from ren_index.web.contributions_body import parse_json, read_body
from ren_index.web.deps import get_ledger, get_settings
from ren_index.web.ratelimit import SlidingWindowLimiter
from ren_index.web.review.deps import RulebookDep, VocabulariesDep

router = APIRouter(prefix="/api/contributions", tags=["contributions"])
log = logging.getLogger(__name__)

JSON_TYPES = frozenset({"application/json"})
XML_TYPES = frozenset({"application/xml", "text/xml"})
SCHEMA_MEDIA_TYPE = "application/schema+json"
MAX_PAGE_SIZE = service.MAX_PAGE_SIZE
MAX_PAGE = 100_000
"""Beyond this a page number is a mistake, not a position (and would make the ledger skip that many rows)."""
NO_STORE = {"Cache-Control": "no-store"}
"""A platform's contributions are its own: no shared cache keeps them."""
REALM = 'Bearer realm="ren-index"'

_bearer = HTTPBearer(
    auto_error=False,
    scheme_name="platform-key",
    description="La clé de la plateforme (ren-index platforms add) / the platform's key.",
)
_limiter_lock = threading.Lock()


# -- errors: one JSON shape, French then English ----------------------------------------------


def _error(
    status: int,
    fr: str,
    en: str,
    *,
    errors: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    """``{"detail": "français / English"}`` like the rest of ``/api``, plus ``errors`` when each
    problem has a place (a JSON pointer in the body, or a query parameter)."""
    body: dict[str, Any] = {"detail": f"{fr} / {en}"}
    if errors is not None:
        body["errors"] = errors
    return JSONResponse(body, status_code=status, headers={**NO_STORE, **(headers or {})})


def _http_error(status: int, fr: str, en: str, headers: dict[str, str] | None = None) -> HTTPException:
    """For dependencies, which can only raise: the app's handler gives the same ``{"detail"}``."""
    return HTTPException(status, f"{fr} / {en}", headers={**NO_STORE, **(headers or {})})


def _not_found() -> JSONResponse:
    # The same words whether nobody has this id or another platform has: never tell which.
    return _error(404, "contribution introuvable", "no such contribution")


def _invalid_body(errors: list[FieldError]) -> JSONResponse:
    return _error(
        422,
        "contribution refusée : elle ne respecte pas le contrat",
        "contribution refused: it does not follow the contract",
        errors=[e.as_dict() for e in errors],
    )


def _invalid_parameter(name: str, fr: str, en: str) -> JSONResponse:
    return _error(
        422,
        "paramètre invalide",
        "invalid parameter",
        errors=[{"parameter": name, "message_fr": fr, "message_en": en}],
    )


# -- the platform: key, rate limit ------------------------------------------------------------


def _limiter(request: Request) -> SlidingWindowLimiter:
    """The app's limiter, made on first use from its settings (one per app: tests never share)."""
    state = request.app.state
    limiter: SlidingWindowLimiter | None = getattr(state, "contributions_limiter", None)
    if limiter is None:
        with _limiter_lock:
            limiter = getattr(state, "contributions_limiter", None)
            if limiter is None:
                limiter = SlidingWindowLimiter(get_settings(request).contributions_rate_limit)
                state.contributions_limiter = limiter
    return limiter


def _too_many(wait: int) -> HTTPException:
    return _http_error(
        429,
        f"trop de requêtes pour cette clé : réessayez dans {wait} s",
        f"too many requests for this key: retry in {wait} s",
        {"Retry-After": str(wait)},
    )


def authenticated_platform(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> PlatformInfo:
    """The platform whose key is in ``Authorization: Bearer …``, within its rate limit; else 401/429.

    A plain ``def``: FastAPI runs it in the thread pool (the look-up is a ledger query).
    """
    key = credentials.credentials.strip() if credentials is not None else ""
    if not key:
        raise _http_error(
            401,
            "clé de plateforme requise (Authorization: Bearer …)",
            "a platform key is required (Authorization: Bearer …)",
            {"WWW-Authenticate": REALM},
        )
    digest = hash_key(key)
    limiter = _limiter(request)
    wait = limiter.blocked(digest)
    if wait:
        raise _too_many(wait)
    platform = authenticate(get_ledger(request), key)
    if platform is None:
        raise _http_error(
            401,
            "clé de plateforme inconnue ou révoquée",
            "unknown or revoked platform key",
            {"WWW-Authenticate": f'{REALM}, error="invalid_token"'},
        )
    wait = limiter.hit(digest)
    if wait:
        raise _too_many(wait)
    return platform


PlatformDep = Annotated[PlatformInfo, Depends(authenticated_platform)]
Ledger = Annotated[sessionmaker[Session], Depends(get_ledger)]
SettingsDep = Annotated[Settings, Depends(get_settings)]


# -- the body ---------------------------------------------------------------------------------


def _location(external_id: str) -> str:
    return f"{router.prefix}/{quote(external_id, safe='')}"


# -- after a change: index and callbacks, never fatal -----------------------------------------


def _after_change(
    factory: sessionmaker[Session],
    settings: Settings,
    vocabularies: Vocabularies,
    platform: str,
    publish_ids: list[str],
) -> None:
    """Runs after the answer is sent: the index follows the ledger, the platform hears of it.

    Only a record the index holds needs publishing after a submission (an approved contribution its
    author changed goes back to the queue, so it leaves the index); a new one waits for a person,
    and asking OpenSearch about it would be a request for nothing.
    """
    try:
        in_index = [rid for rid in publish_ids if _indexed(factory, rid)]
        if in_index:
            publish(factory, settings, vocabularies, in_index)
    except Exception:  # publish reports, it should not raise; a background task must not either
        log.exception("contributions: publication of %s failed", publish_ids)
    try:
        callbacks.deliver_pending(factory, settings, platform=platform)
    except Exception:
        log.exception("contributions: delivering the callbacks of %s failed", platform)


def _indexed(factory: sessionmaker[Session], rid: str) -> bool:
    with factory() as session:
        row = session.get(ResourceRow, rid)
        return row is not None and row.indexed_hash is not None


# -- the endpoints ----------------------------------------------------------------------------

ERRORS_DOC: dict[int | str, dict[str, Any]] = {
    401: {"description": "Clé absente, inconnue ou révoquée / missing, unknown or revoked key"},
    429: {"description": "Limite de requêtes de la clé atteinte (Retry-After) / rate limit (Retry-After)"},
}


@router.get(
    "/schema",
    summary="The contribution contract (JSON Schema) / le contrat d'une contribution",
    response_class=JSONResponse,
    responses={200: {"content": {SCHEMA_MEDIA_TYPE: {}}}},
)
def contribution_schema() -> JSONResponse:
    """The JSON Schema (draft 2020-12) a contribution must follow; public, no key needed."""
    return JSONResponse(load_schema(), media_type=SCHEMA_MEDIA_TYPE)


@router.post(
    "",
    status_code=202,
    summary="Submit or replace a contribution / soumettre ou remplacer une contribution",
    responses={
        **ERRORS_DOC,
        202: {"description": "Reçue, validée, en file de révision / received, validated, queued for review"},
        413: {"description": "Corps trop gros / body too large"},
        415: {"description": "application/json, application/xml ou text/xml attendu"},
        422: {"description": "JSON invalide ou contrat non respecté (errors[].pointer) / invalid"},
    },
    openapi_extra={
        "requestBody": {
            "required": True,
            "description": "One resource: JSON (GET /api/contributions/schema) or one LOM (Normetic) record.",
            "content": {
                "application/json": {"schema": {"type": "object"}},
                "application/xml": {"schema": {"type": "string"}},
            },
        }
    },
)
async def submit(
    request: Request,
    background: BackgroundTasks,
    platform: PlatformDep,
    rulebook: RulebookDep,
    vocabularies: VocabulariesDep,
    settings: SettingsDep,
    factory: Ledger,
) -> JSONResponse:
    """One resource description; posting the same ``external_id`` again replaces it.

    The answer is the contribution's id, its status (always ``needs_review`` until a documentalist
    decides) and the validation's findings, which say what the author could improve.
    """
    media_type = request.headers.get("content-type", "").partition(";")[0].strip().lower()
    if media_type not in JSON_TYPES | XML_TYPES:
        return _error(
            415,
            "type de contenu non pris en charge : application/json, application/xml ou text/xml",
            "unsupported media type: application/json, application/xml or text/xml",
        )
    raw = await read_body(request, settings.contributions_max_bytes)
    if raw is None:
        limit = settings.contributions_max_bytes
        return _error(
            413, f"corps trop gros : {limit} octets au plus", f"body too large: at most {limit} bytes"
        )
    try:
        if media_type in XML_TYPES:
            found = await run_in_threadpool(service.submit_lom, factory, rulebook, platform, raw)
        else:
            body, errors = parse_json(raw)
            if errors:
                return _invalid_body(errors)
            if not isinstance(body, dict):
                return _invalid_body([FieldError("/", "un objet JSON attendu", "expected a JSON object")])
            found = await run_in_threadpool(service.submit_json, factory, rulebook, platform, body)
    except service.ContributionInvalid as exc:
        return _invalid_body(list(exc.errors))
    background.add_task(
        _after_change, factory, settings, vocabularies, platform.name, [found.id] if found.changed else []
    )
    return JSONResponse(
        asdict(found),  # id, external_id, status, changed, issues (code, severity, field, messages)
        status_code=202,
        headers={**NO_STORE, "Location": _location(found.external_id)},
    )


@router.get(
    "", summary="The platform's contributions / les contributions de la plateforme", responses=ERRORS_DOC
)
def list_contributions(
    platform: PlatformDep,
    factory: Ledger,
    status: str | None = None,
    since: str | None = None,
    page: str = "1",
    page_size: str = "50",
) -> JSONResponse:
    """This platform's contributions, oldest change first (poll with ``since``), a page at a time.

    ``status``: needs_review, approved, rejected or deleted; ``since``: changed at or after this
    ISO 8601 date-time (UTC when it has no offset); ``page`` from 1; ``page_size`` 1 to 200.
    """
    if status is not None and status not in STATUSES:
        return _invalid_parameter(
            "status",
            f"statut inconnu ; permis : {', '.join(STATUSES)}",
            f"unknown status; allowed: {', '.join(STATUSES)}",
        )
    moment: datetime | None = None
    if since is not None:
        moment = _parse_since(since)
        if moment is None:
            return _invalid_parameter(
                "since",
                "date ISO 8601 attendue, p. ex. 2026-01-15T08:00:00Z",
                "an ISO 8601 date-time expected, e.g. 2026-01-15T08:00:00Z",
            )
    numbers: dict[str, int] = {}
    for name, text, top in (("page", page, MAX_PAGE), ("page_size", page_size, MAX_PAGE_SIZE)):
        value = int(text) if text.isascii() and text.isdigit() and len(text) <= 7 else 0
        if not 1 <= value <= top:
            return _invalid_parameter(
                name, f"un entier de 1 à {top} attendu", f"an integer from 1 to {top} expected"
            )
        numbers[name] = value
    found = service.list_contributions(
        factory, platform, status=status, since=moment, page=numbers["page"], page_size=numbers["page_size"]
    )
    return JSONResponse(jsonable_encoder(found), headers=NO_STORE)


def _parse_since(text: str) -> datetime | None:
    if len(text) > 64:
        return None
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


@router.get(
    "/{external_id:path}",
    summary="One contribution and what became of it / une contribution et son sort",
    responses={**ERRORS_DOC, 404: {"description": "Contribution introuvable / no such contribution"}},
)
def get_contribution(platform: PlatformDep, factory: Ledger, external_id: str) -> JSONResponse:
    """Its status, portals, issues, the decision (when, by which role, why) and its public address."""
    found = service.get_contribution(factory, platform, external_id)
    if found is None:
        return _not_found()
    return JSONResponse(jsonable_encoder(found), headers=NO_STORE)


@router.delete(
    "/{external_id:path}",
    summary="Withdraw a contribution / retirer une contribution",
    responses={**ERRORS_DOC, 404: {"description": "Contribution introuvable / no such contribution"}},
)
def delete_contribution(
    background: BackgroundTasks,
    platform: PlatformDep,
    rulebook: RulebookDep,
    vocabularies: VocabulariesDep,
    settings: SettingsDep,
    factory: Ledger,
    external_id: str,
) -> JSONResponse:
    """The contribution becomes ``deleted``: out of the index now, advertised as deleted by ``/oai``."""
    found = service.delete_contribution(factory, rulebook, platform, external_id)
    if found is None:
        return _not_found()
    publish(
        factory, settings, vocabularies, [str(found["id"])]
    )  # never raises: the next index run catches up
    background.add_task(_after_change, factory, settings, vocabularies, platform.name, [])
    return JSONResponse(jsonable_encoder(found), headers=NO_STORE)
