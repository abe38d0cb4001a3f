"""The web app's defences: the session secret, CSRF tokens and the security headers.

Harvested titles and descriptions are hostile (DESIGN.md, convention 12), so the pages are built to
survive a payload that slips through: templates autoescape, and the Content-Security-Policy forbids
inline scripts, inline styles and foreign origins, so even an unescaped ``<script>`` or
``onerror=`` would not run. Every form that writes carries a per-session CSRF token, checked for
every non-GET/HEAD request under ``/review`` by :func:`csrf_protect`.
"""

from __future__ import annotations

import hmac
import logging
import os
import secrets
from pathlib import Path

from fastapi import HTTPException, Request
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger(__name__)

SECRET_ENV = "REN_SECRET_KEY"
COOKIE_SECURE_ENV = "REN_COOKIE_SECURE"
SECRET_FILE = "secret_key"
SESSION_COOKIE = "ren_session"
SESSION_MAX_AGE = 8 * 3600
"""A working day: the cookie expires after it, and so does the login inside it (see auth)."""

CSRF_SESSION_KEY = "csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
PROTECTED_PREFIX = "/review"

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)
SECURITY_HEADERS: dict[str, str] = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
}
NO_STORE_PREFIXES = (PROTECTED_PREFIX, "/healthz")


def cookie_secure() -> bool:
    """True when ``REN_COOKIE_SECURE=1``: cookies are then sent over HTTPS only (production)."""
    return os.environ.get(COOKIE_SECURE_ENV, "").strip().lower() in ("1", "true", "yes", "on")


def load_secret_key(data_dir: Path) -> str:
    """The key that signs session cookies: ``REN_SECRET_KEY``, else one kept in the data folder.

    Generated once and stored as ``<data_dir>/secret_key`` (mode 0600), so sessions survive a
    restart without anyone having to invent a secret. Several app processes sharing the data
    folder share the key; processes on several machines need ``REN_SECRET_KEY``.
    """
    from_env = os.environ.get(SECRET_ENV, "").strip()
    if from_env:
        if len(from_env) < 32:
            log.warning("%s is shorter than 32 characters: sessions are easier to forge", SECRET_ENV)
        return from_env
    path = data_dir / SECRET_FILE
    try:
        existing = path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        existing = ""
    if existing:
        return existing
    data_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process won the race: use its key
        return path.read_text(encoding="utf-8").strip()
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(key + "\n")
    return key


def csrf_token(request: Request) -> str:
    """This session's CSRF token, created on first use. Put it in every form (``csrf_token``)."""
    token = request.session.get(CSRF_SESSION_KEY)
    if not isinstance(token, str) or not token:
        token = secrets.token_urlsafe(32)
        request.session[CSRF_SESSION_KEY] = token
    return token


def verify_csrf(request: Request, token: str | None) -> None:
    """Raise 403 unless ``token`` is this session's CSRF token (compared in constant time)."""
    expected = request.session.get(CSRF_SESSION_KEY)
    if not (
        isinstance(expected, str)
        and expected
        and token
        and hmac.compare_digest(expected.encode("utf-8"), token.encode("utf-8"))
    ):
        raise HTTPException(status_code=403, detail="error.csrf")


async def csrf_protect(request: Request) -> None:
    """App-wide dependency: every non-GET/HEAD request under ``/review`` needs a valid CSRF token.

    The token comes from the ``X-CSRF-Token`` header (scripts, htmx) or the ``csrf_token`` field
    of a form body. JSON bodies are not parsed: they must use the header.
    """
    if request.method in SAFE_METHODS or not request.url.path.startswith(PROTECTED_PREFIX):
        return
    token = request.headers.get(CSRF_HEADER)
    if not token:
        content_type = request.headers.get("content-type", "")
        if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            value = (await request.form()).get(CSRF_FIELD)
            token = value if isinstance(value, str) else None
    verify_csrf(request, token)


class SecurityHeadersMiddleware:
    """Adds the security headers to every response, and ``Cache-Control: no-store`` to private pages.

    A response that sets its own Content-Security-Policy keeps it (the API documentation page
    needs one of its own); every other header is forced.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope.get("path", "")
        no_store = path.startswith(NO_STORE_PREFIXES)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    if name == "Content-Security-Policy" and name in headers:
                        continue
                    headers[name] = value
                if no_store:
                    headers["Cache-Control"] = "no-store"
            await send(message)

        await self.app(scope, receive, send_with_headers)
