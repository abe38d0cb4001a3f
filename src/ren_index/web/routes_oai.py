"""``/oai``: the OAI-PMH 2.0 provider (GET and POST), for Campus numérique and any harvester.

A thin shell over :class:`ren_index.provider.repository.OaiRepository`: it turns the HTTP request
into arguments, answers with ``text/xml`` and status 200 — OAI-PMH errors are ``<error>``
elements in a normal response, never HTTP errors. Needs ``app.state.settings`` (for the
vocabularies in ``config_dir``) and ``app.state.ledger`` (a session factory), the two attributes
``create_app`` sets. Provider options come from the settings' ``oai_*`` fields and the shared
secret key (see ``ProviderConfig.from_settings``).
"""

from __future__ import annotations

import logging
from functools import lru_cache
from pathlib import Path
from urllib.parse import parse_qs

from fastapi import APIRouter, Request, Response
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from ren_index.config.rules import load_portals
from ren_index.errors import ConfigError
from ren_index.provider.repository import OaiRepository, ProviderConfig
from ren_index.provider.vocabulary import load_provider_vocabularies
from ren_index.settings import Settings

log = logging.getLogger(__name__)

router = APIRouter(tags=["oai-pmh"])

MEDIA_TYPE = "text/xml; charset=utf-8"
MAX_BODY = 64 * 1024
"""POST bodies above this are refused: OAI-PMH arguments are a few hundred bytes at most."""
MAX_FIELDS = 20


@lru_cache(maxsize=8)
def _portal_names(config_dir: str, mtime: float) -> dict[str, str]:
    try:
        return {pid: policy.name or pid for pid, policy in load_portals(Path(config_dir)).items()}
    except ConfigError as exc:
        log.warning("OAI provider: portals unavailable (%s); ListSets shows no portal", exc)
        return {}


def repository_for(request: Request) -> OaiRepository:
    """The repository over the app's ledger, described by the app's settings (``oai_*``).

    Built per request on purpose (it is cheap: the vocabularies and portals are cached per file
    version, the key is one small file read), so a change to ``portals.yaml`` or the vocabularies
    needs no restart and tests can swap ``app.state.settings`` to vary the page size.
    """
    settings: Settings = request.app.state.settings
    factory: sessionmaker[Session] = request.app.state.ledger
    config_dir = settings.config_dir
    portals_file = config_dir / "portals.yaml"
    mtime = portals_file.stat().st_mtime if portals_file.exists() else 0.0
    return OaiRepository(
        factory,
        ProviderConfig.from_settings(settings),
        load_provider_vocabularies(config_dir),
        _portal_names(str(config_dir.resolve()), mtime),
    )


def _base_url(request: Request) -> str:
    return str(request.url.replace(query="", fragment=""))


async def _answer(request: Request, query: str) -> Response:
    params = parse_qs(query, keep_blank_values=True, max_num_fields=MAX_FIELDS)
    repository = repository_for(request)
    body = await run_in_threadpool(repository.respond, params, _base_url(request))
    return Response(content=body, media_type=MEDIA_TYPE)


def _plain_response(status: int, text: str) -> Response:
    return Response(content=text, status_code=status, media_type="text/plain; charset=utf-8")


@router.get("/oai", response_class=Response, summary="OAI-PMH 2.0 provider / entrepôt OAI-PMH")
async def oai_get(request: Request) -> Response:
    """OAI-PMH 2.0 over the approved records (and the deleted ones): ``?verb=Identify`` to start."""
    try:
        return await _answer(request, request.url.query)
    except ValueError:  # more fields than any OAI-PMH request has
        return _plain_response(400, "too many arguments")


@router.post("/oai", response_class=Response, summary="OAI-PMH 2.0 provider (POST) / entrepôt OAI-PMH")
async def oai_post(request: Request) -> Response:
    """The same as GET, arguments sent as ``application/x-www-form-urlencoded`` (spec 3.1.1.2)."""
    content_type = request.headers.get("content-type", "")
    if not content_type.startswith("application/x-www-form-urlencoded"):
        return _plain_response(415, "OAI-PMH POST requests are application/x-www-form-urlencoded")
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > MAX_BODY:
        return _plain_response(413, "request body too large")
    raw = await request.body()
    if len(raw) > MAX_BODY:
        return _plain_response(413, "request body too large")
    try:
        return await _answer(request, raw.decode("utf-8", errors="replace"))
    except ValueError:
        return _plain_response(400, "too many arguments")
