"""The review UI's words, French first, English beside them.

One flat catalogue per language, keyed by dotted names (``nav.queue``). :func:`t` looks a key up
in the request's language and falls back to French, then to the key itself, so a missing English
entry shows French rather than an error. The language is French unless the person chose
otherwise: ``?lang=en|fr`` on any page sets the ``ren_lang`` cookie (:class:`LanguageMiddleware`).
"""

from __future__ import annotations

from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import parse_qsl, urlencode

from starlette.requests import HTTPConnection, Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ren_index.web.messages.accounts import ACCOUNTS_MESSAGES
from ren_index.web.messages.console import CONSOLE_MESSAGES
from ren_index.web.messages.decisions import DECISION_MESSAGES
from ren_index.web.messages.duplicate_review import DUPLICATE_REVIEW_MESSAGES
from ren_index.web.messages.foundation import FOUNDATION_MESSAGES
from ren_index.web.messages.links import LINK_MESSAGES
from ren_index.web.messages.queue_team import QUEUE_TEAM_MESSAGES
from ren_index.web.messages.review import REVIEW_MESSAGES

LANGUAGES: tuple[str, ...] = ("fr", "en")

DEFAULT_LANGUAGE = "fr"
LANG_COOKIE = "ren_lang"
LANG_COOKIE_MAX_AGE = 365 * 24 * 3600


def merge_catalogues(*catalogues: dict[str, dict[str, str]]) -> dict[str, dict[str, str]]:
    """One catalogue from several (the foundation's, the review pages'…), checked as it is built.

    Each part must hold the same keys in French and in English, and no key may be given two
    different texts: a mistake fails at import, in the tests, never as a half-translated page.
    """
    merged: dict[str, dict[str, str]] = {"fr": {}, "en": {}}
    for part in catalogues:
        fr, en = part["fr"], part["en"]
        if set(fr) != set(en):
            raise RuntimeError(f"messages differ between fr and en: {sorted(set(fr) ^ set(en))}")
        for lang in ("fr", "en"):
            clashes = [k for k, v in part[lang].items() if merged[lang].get(k, v) != v]
            if clashes:
                raise RuntimeError(f"messages redefine {clashes} in {lang}")
            merged[lang].update(part[lang])
    return merged


MESSAGES = merge_catalogues(
    FOUNDATION_MESSAGES,
    REVIEW_MESSAGES,
    CONSOLE_MESSAGES,
    ACCOUNTS_MESSAGES,
    QUEUE_TEAM_MESSAGES,
    DECISION_MESSAGES,
    LINK_MESSAGES,
    DUPLICATE_REVIEW_MESSAGES,
)


def language_of(conn: HTTPConnection) -> str:
    """The language of this request: ``?lang=``, else the ``ren_lang`` cookie, else French."""
    asked = conn.query_params.get("lang")
    if asked in LANGUAGES:
        return asked
    cookie = conn.cookies.get(LANG_COOKIE)
    return cookie if cookie in LANGUAGES else DEFAULT_LANGUAGE


def has_message(key: str) -> bool:
    """True when ``key`` is in the French catalogue (the reference one)."""
    return key in MESSAGES[DEFAULT_LANGUAGE]


def translate(lang: str, key: str, **values: Any) -> str:
    """The message ``key`` in ``lang`` (French, then the key, when missing), formatted with ``values``."""
    text = MESSAGES.get(lang, {}).get(key) or MESSAGES[DEFAULT_LANGUAGE].get(key) or key
    return text.format(**values) if values else text


def t(request: Request | HTTPConnection, key: str, **values: Any) -> str:
    """The message ``key`` in the request's language. Templates call it as ``t('key', name=...)``."""
    return translate(language_of(request), key, **values)


def lang_url(request: Request | HTTPConnection, lang: str) -> str:
    """This page's path and query with ``lang`` replaced: the target of the FR/EN switch.

    Relative on purpose (no scheme or host taken from the request's ``Host`` header).
    """
    query = [(k, v) for k, v in parse_qsl(request.url.query, keep_blank_values=True) if k != "lang"]
    query.append(("lang", lang))
    return f"{request.url.path}?{urlencode(query)}"


class LanguageMiddleware:
    """Remembers a ``?lang=`` choice in the ``ren_lang`` cookie, on the response that carries it."""

    def __init__(self, app: ASGIApp, *, secure: bool = False) -> None:
        self.app = app
        self.secure = secure

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        asked = HTTPConnection(scope).query_params.get("lang")
        if asked not in LANGUAGES:
            await self.app(scope, receive, send)
            return

        async def send_with_cookie(message: Message) -> None:
            if message["type"] == "http.response.start":
                cookie: SimpleCookie = SimpleCookie()
                cookie[LANG_COOKIE] = asked
                morsel = cookie[LANG_COOKIE]
                morsel["path"] = "/"
                morsel["max-age"] = LANG_COOKIE_MAX_AGE
                morsel["samesite"] = "Lax"
                morsel["secure"] = self.secure
                header = cookie.output(header="").strip()
                message["headers"] = [*message.get("headers", []), (b"set-cookie", header.encode("latin-1"))]
            await send(message)

        await self.app(scope, receive, send_with_cookie)
