"""What route modules share: the settings, a ledger session, page rendering and flash messages.

Everything is taken from ``request.app.state`` (set by :func:`ren_index.web.app.create_app`),
never from module globals, so two apps with two ledgers (tests) never mix.

Write routes that touch the ledger as plain ``def`` functions: FastAPI runs them in its thread
pool, so a slow query or an argon2 check does not stall the event loop.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from sqlalchemy.orm import Session, sessionmaker

from ren_index.settings import Settings
from ren_index.web.i18n import language_of, translate

FLASH_SESSION_KEY = "flash"
FLASH_KINDS = ("info", "success", "warning", "error")


def get_settings(request: Request) -> Settings:
    """The app's settings."""
    settings: Settings = request.app.state.settings
    return settings


def get_ledger(request: Request) -> sessionmaker[Session]:
    """The app's ledger session factory (for code that opens and commits its own sessions)."""
    factory: sessionmaker[Session] = request.app.state.ledger
    return factory


def db_session(request: Request) -> Iterator[Session]:
    """One ledger session for the request, closed afterwards; the route commits what it writes."""
    with get_ledger(request)() as session:
        yield session


def get_templates(request: Request) -> Jinja2Templates:
    """The app's templates (autoescaping on; globals ``t``, ``csrf_token``, ``lang_url``, ``flashes``)."""
    templates: Jinja2Templates = request.app.state.templates
    return templates


SettingsDep = Annotated[Settings, Depends(get_settings)]
DbSession = Annotated[Session, Depends(db_session)]


def render(
    request: Request,
    name: str,
    context: dict[str, Any] | None = None,
    *,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    """Render template ``name``; ``user``, ``lang`` and the globals are added to ``context``."""
    return get_templates(request).TemplateResponse(
        request, name, dict(context or {}), status_code=status_code, headers=headers
    )


def flash(request: Request, key: str, kind: str = "info", **values: Any) -> None:
    """Queue a message for the next page rendered in this session (after a redirect, typically).

    ``key`` is an i18n key (translated when shown, in the language of that page) or plain text.
    ``kind`` is one of ``info``, ``success``, ``warning``, ``error`` (the ``alert-<kind>`` class).
    """
    if kind not in FLASH_KINDS:
        raise ValueError(f"flash kind must be one of {FLASH_KINDS}")
    queued = list(request.session.get(FLASH_SESSION_KEY) or [])
    queued.append({"key": key, "kind": kind, "values": {k: str(v) for k, v in values.items()}})
    request.session[FLASH_SESSION_KEY] = queued[-10:]


def pop_flashes(request: Request) -> list[dict[str, str]]:
    """The queued messages as ``{"kind", "text"}``, translated; the queue is emptied."""
    queued = request.session.pop(FLASH_SESSION_KEY, None) or []
    lang = language_of(request)
    return [
        {
            "kind": item.get("kind", "info"),
            "text": translate(lang, item.get("key", ""), **item.get("values", {})),
            **{k: str(v) for k, v in item.items() if k.startswith("undo_")},  # a banner's undo form
        }
        for item in queued
        if isinstance(item, dict)
    ]
