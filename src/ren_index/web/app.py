"""The FastAPI application: wiring of settings, ledger, templates, middleware and routers.

:func:`create_app` is the only entry point (``ren-index serve`` and the tests call it); it opens
the ledger, so nothing happens at import time. The routers are listed in :data:`ROUTE_MODULES`,
in the order they are included: a new page is a module with an ``APIRouter`` named ``router`` and
one line there.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from types import ModuleType
from typing import Any

import jinja2
from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from fastapi.utils import is_body_allowed_for_status_code
from sqlalchemy import text
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.cors import CORSMiddleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send
from swagger_ui_bundle import swagger_ui_path  # type: ignore[import-untyped]

from ren_index import __version__
from ren_index.config.clock import local_time
from ren_index.ledger.db import open_ledger
from ren_index.settings import Settings, load_secret_key, load_settings
from ren_index.web import (
    auth,
    http_cache,
    openapi_schema,
    routes_accounts,
    routes_api,
    routes_contributions,
    routes_example,
    routes_oai,
    routes_run_page,
    routes_runs,
    routes_source_check,
    routes_sources,
    security,
)
from ren_index.web.deps import get_ledger, get_settings, pop_flashes, render
from ren_index.web.i18n import LANGUAGES, LanguageMiddleware, has_message, lang_url, language_of, t
from ren_index.web.review import actions as review_actions
from ren_index.web.review import duplicates as review_duplicates
from ren_index.web.review import links as review_links
from ren_index.web.review import pages as review_pages
from ren_index.web.review import team as review_team

#: Every router of the app, in the order they are included (before: found by name, now listed).
ROUTE_MODULES: tuple[ModuleType, ...] = (
    routes_api,
    routes_example,
    routes_contributions,
    routes_oai,
    review_pages,
    review_actions,
    review_team,
    review_links,
    review_duplicates,
    routes_runs,
    routes_run_page,
    routes_source_check,  # before routes_sources: /review/sources/check is not a source id
    routes_sources,
    routes_accounts,
)

log = logging.getLogger(__name__)

WEB_DIR = Path(__file__).parent
TEMPLATES_DIR = WEB_DIR / "templates"
STATIC_DIR = WEB_DIR / "static"
HEALTH_TIMEOUT = 2.0
"""Seconds /healthz waits for OpenSearch: a probe must answer quickly, even when the cluster does not."""


def create_app(settings: Settings | None = None) -> FastAPI:
    """The web app for ``settings`` (read from the environment when ``None``); opens the ledger."""
    settings = settings or load_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        bind = app.state.ledger.kw.get("bind")
        if bind is not None:
            bind.dispose()

    app = FastAPI(
        title="ren-index",
        version=__version__,
        summary="Review UI, portal API and OAI-PMH provider / interface de révision, API, OAI-PMH",
        docs_url=None,
        redoc_url=None,
        dependencies=[Depends(security.csrf_protect)],
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.ledger = open_ledger(settings.db_url, verify=True)  # a damaged ledger: LedgerError, no app
    app.state.templates = make_templates()
    app.state.login_failure_delay = settings.login_failure_delay

    app.add_exception_handler(auth.LoginRequired, _login_redirect)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    # Swagger UI's assets from the swagger-ui-bundle package: /docs works with no internet.
    # Mounted before /static, which would otherwise swallow the path.
    app.mount("/static/swagger", StaticFiles(directory=swagger_ui_path), name="swagger")
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")

    app.add_api_route("/healthz", healthz, methods=["GET"], summary="Liveness and dependencies / état")
    app.add_api_route("/docs", _docs, methods=["GET"], include_in_schema=False)
    app.include_router(auth.router, include_in_schema=False)
    for module, router in _route_modules():
        # /docs is the portals' contract: the review UI's pages stay out of it (openapi_schema).
        app.include_router(router, include_in_schema=openapi_schema.documented(router))
        origins_of = getattr(module, "cors_origins", None)
        origins = list(origins_of(settings)) if callable(origins_of) else []
        if origins:
            # Cross-origin reads for that router's paths only: never for /review and its cookies.
            app.add_middleware(_PathScopedCors, prefix=router.prefix, origins=origins)

    secure = settings.cookie_secure
    # Added innermost first: the security headers wrap everything, including the session's cookie.
    app.add_middleware(
        SessionMiddleware,
        secret_key=load_secret_key(settings),
        session_cookie=security.SESSION_COOKIE,
        max_age=security.SESSION_MAX_AGE,
        same_site="lax",
        https_only=secure,
    )
    app.add_middleware(LanguageMiddleware, secure=secure)
    app.add_middleware(security.SecurityHeadersMiddleware)
    # Outermost: it sees every header the others set (a cookie makes a response private).
    app.add_middleware(http_cache.HttpCacheMiddleware)
    openapi_schema.install(app)
    return app


def make_templates() -> Jinja2Templates:
    """Templates with autoescaping on for every file, the i18n and CSRF globals, and the user."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )

    @jinja2.pass_context
    def _t(context: jinja2.runtime.Context, key: str, **values: Any) -> str:
        return t(context["request"], key, **values)

    @jinja2.pass_context
    def _csrf(context: jinja2.runtime.Context) -> str:
        return security.csrf_token(context["request"])

    @jinja2.pass_context
    def _lang_url(context: jinja2.runtime.Context, lang: str) -> str:
        return lang_url(context["request"], lang)

    @jinja2.pass_context
    def _flashes(context: jinja2.runtime.Context) -> list[dict[str, str]]:
        return pop_flashes(context["request"])

    env.globals.update(
        t=_t,
        csrf_token=_csrf,
        lang_url=_lang_url,
        flashes=_flashes,
        languages=LANGUAGES,
        version=__version__,
        local_time=local_time,  # the one clock: Montreal time with its zone, for people
    )
    return Jinja2Templates(env=env, context_processors=[_page_context])


def _page_context(request: Request) -> dict[str, Any]:
    return {"user": auth.current_user(request), "lang": language_of(request)}


def _route_modules() -> list[tuple[ModuleType, APIRouter]]:
    """The route modules with their ``router``, in the order of :data:`ROUTE_MODULES`.

    A module that also defines ``cors_origins(settings) -> list[str]`` gets CORS on its router's prefix.
    """
    return [(module, module.router) for module in ROUTE_MODULES]


class _PathScopedCors:
    """Starlette's CORS middleware applied to the paths under ``prefix`` only (GET, no credentials)."""

    def __init__(self, app: ASGIApp, *, prefix: str, origins: list[str]) -> None:
        self.app = app
        self.prefix = prefix
        self.cors = CORSMiddleware(app, allow_origins=origins, allow_methods=["GET"], allow_credentials=False)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope.get("path", "").startswith(self.prefix):
            await self.cors(scope, receive, send)
        else:
            await self.app(scope, receive, send)


def healthz(request: Request) -> JSONResponse:
    """Liveness: always 200 while the process answers; ``degraded`` says which dependency is down."""
    settings = get_settings(request)
    try:
        with get_ledger(request)() as db:
            db.execute(text("SELECT 1"))
        ledger = "ok"
    except Exception as exc:  # the probe reports any failure, it never raises
        ledger = f"error: {exc.__class__.__name__}"
    opensearch = "ok" if _opensearch_answers(settings) else "unreachable"
    status = "ok" if ledger == "ok" and opensearch == "ok" else "degraded"
    return JSONResponse({"status": status, "ledger": ledger, "opensearch": opensearch})


def _opensearch_answers(settings: Settings) -> bool:
    from ren_index.index.client import make_client

    client = make_client(settings.model_copy(update={"opensearch_timeout": HEALTH_TIMEOUT}))
    client.transport.max_retries = 0
    logger = logging.getLogger("opensearch")
    previous = logger.level
    logger.setLevel(logging.CRITICAL)  # a failed ping is an answer here, not a warning with a traceback
    try:
        return bool(client.ping())
    except Exception:
        return False
    finally:
        logger.setLevel(previous)
        client.close()


def _docs(request: Request) -> HTMLResponse:
    """Swagger UI served by the app itself (no CDN), with a CSP of its own.

    Its one inline script is allowed by its hash, not by ``unsafe-inline``; its stylesheet and
    scripts come from ``/static/swagger`` (the swagger-ui-bundle package).
    """
    page = get_swagger_ui_html(
        openapi_url=request.app.openapi_url or "/openapi.json",
        title="ren-index API",
        swagger_js_url="/static/swagger/swagger-ui-bundle.js",
        swagger_css_url="/static/swagger/swagger-ui.css",
        swagger_favicon_url="/static/swagger/favicon-32x32.png",
    )
    body = bytes(page.body).decode("utf-8")
    hashes = " ".join(
        f"'sha256-{base64.b64encode(hashlib.sha256(s.encode('utf-8')).digest()).decode()}'"
        for s in re.findall(r"<script>(.*?)</script>", body, flags=re.DOTALL)
    )
    csp = (
        f"default-src 'self'; script-src 'self' {hashes}; style-src 'self'; "
        "img-src 'self' data:; object-src 'none'; base-uri 'none'; "
        "frame-ancestors 'none'; form-action 'self'"
    )
    return HTMLResponse(body, headers={"Content-Security-Policy": csp})


def _login_redirect(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, auth.LoginRequired)
    return RedirectResponse(exc.location, status_code=303)


def _http_error(request: Request, exc: Exception) -> Response:
    """Errors under ``/review`` are French (or English) pages; elsewhere FastAPI's JSON.

    A plain function on purpose: Starlette runs it in the thread pool, and rendering a page looks
    the user up in the ledger.
    """
    assert isinstance(exc, StarletteHTTPException)
    code, headers = exc.status_code, dict(exc.headers or {})
    if not request.url.path.startswith(security.PROTECTED_PREFIX):
        if not is_body_allowed_for_status_code(code):
            return Response(status_code=code, headers=headers)
        return JSONResponse({"detail": exc.detail}, status_code=code, headers=headers)
    title_key = f"error.{code}.title" if has_message(f"error.{code}.title") else "error.generic.title"
    if isinstance(exc.detail, str) and has_message(exc.detail):
        message_key = exc.detail
    elif has_message(f"error.{code}.message"):
        message_key = f"error.{code}.message"
    else:
        message_key = "error.generic.message"
    context = {"status_code": code, "title": t(request, title_key), "message": t(request, message_key)}
    return render(request, "error.html", context, status_code=code, headers=headers)
