"""The web app's defences: CSRF tokens, the security headers and the client's address.

The session secret is :func:`ren_index.settings.load_secret_key` (shared with the OAI-PMH
resumption tokens) and HTTPS-only cookies are ``Settings.cookie_secure``; ``create_app`` wires both.

Harvested titles and descriptions are hostile (DESIGN.md, convention 12), so the pages are built to
survive a payload that slips through: templates autoescape, and the Content-Security-Policy forbids
inline scripts, inline styles and foreign origins, so even an unescaped ``<script>`` or
``onerror=`` would not run. Every form that writes carries a per-session CSRF token, checked for
every non-GET/HEAD request under ``/review`` by :func:`csrf_protect`.
"""

from __future__ import annotations

import hmac
import logging
import secrets

from fastapi import HTTPException, Request
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger(__name__)

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


def client_address(request: Request) -> str | None:
    """The client's address, as the ASGI server reports it; failed logins are counted per address.

    Behind a reverse proxy this is the proxy's address unless the server trusts its
    ``X-Forwarded-For``: ``ren-index serve`` runs uvicorn with ``proxy_headers``, which trusts the
    proxies listed in ``FORWARDED_ALLOW_IPS`` (127.0.0.1 and ::1 by default). The header of any other
    client is ignored, so nobody picks the address their failures are counted against.
    """
    return request.client.host if request.client else None


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
