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

from ren_index.web.review.words import REVIEW_MESSAGES

LANGUAGES: tuple[str, ...] = ("fr", "en")

DEFAULT_LANGUAGE = "fr"
LANG_COOKIE = "ren_lang"
LANG_COOKIE_MAX_AGE = 365 * 24 * 3600

_FOUNDATION_MESSAGES: dict[str, dict[str, str]] = {
    "fr": {
        "app.name": "ren-index — révision",
        "app.tagline": "Ressources éducatives numériques",
        "nav.main": "Navigation principale",
        "nav.skip": "Aller au contenu",
        "nav.dashboard": "Tableau de bord",
        "nav.queue": "File de validation",
        "nav.events": "Exporter le journal",
        "lang.label": "Langue",
        "lang.fr": "Français",
        "lang.en": "English",
        "user.signed_in_as": "Connecté·e : {name}",
        "user.logout": "Se déconnecter",
        "role.documentalist": "documentaliste",
        "role.librarian": "bibliothécaire",
        "role.admin": "administrateur·rice",
        "login.title": "Connexion",
        "login.intro": "Connectez-vous pour travailler la file de validation.",
        "login.username": "Nom d'utilisateur",
        "login.password": "Mot de passe",
        "login.submit": "Se connecter",
        "login.invalid": "Nom d'utilisateur ou mot de passe incorrect.",
        "login.locked": (
            "Ce compte est temporairement verrouillé après plusieurs échecs de connexion. "
            "Réessayez dans {minutes} minutes ou demandez à un administrateur de le débloquer."
        ),
        "login.logged_out": "Vous êtes déconnecté·e.",
        "login.required": "Connectez-vous pour continuer.",
        "dashboard.title": "Tableau de bord",
        "dashboard.welcome": "Bienvenue, {name}.",
        "dashboard.placeholder": "Les chiffres de la file de validation apparaîtront ici.",
        "error.back": "Retour au tableau de bord",
        "error.login": "Se connecter",
        "error.generic.title": "Erreur",
        "error.generic.message": "La requête n'a pas pu être traitée.",
        "error.401.title": "Session expirée",
        "error.401.message": "Votre session a expiré ou vous n'êtes pas connecté·e. Reconnectez-vous.",
        "error.403.title": "Accès refusé",
        "error.403.message": "Votre rôle ne permet pas cette action.",
        "error.404.title": "Page introuvable",
        "error.404.message": "Cette page n'existe pas.",
        "error.405.title": "Méthode non permise",
        "error.405.message": "Cette action n'est pas permise ici.",
        "error.csrf": (
            "Le formulaire a expiré ou n'est pas valide. Rechargez la page et réessayez "
            "(jeton CSRF manquant ou incorrect)."
        ),
    },
    "en": {
        "app.name": "ren-index — review",
        "app.tagline": "Digital educational resources",
        "nav.main": "Main navigation",
        "nav.skip": "Skip to content",
        "nav.dashboard": "Dashboard",
        "nav.queue": "Review queue",
        "nav.events": "Export the audit trail",
        "lang.label": "Language",
        "lang.fr": "Français",
        "lang.en": "English",
        "user.signed_in_as": "Signed in: {name}",
        "user.logout": "Sign out",
        "role.documentalist": "documentalist",
        "role.librarian": "librarian",
        "role.admin": "administrator",
        "login.title": "Sign in",
        "login.intro": "Sign in to work through the review queue.",
        "login.username": "User name",
        "login.password": "Password",
        "login.submit": "Sign in",
        "login.invalid": "Incorrect user name or password.",
        "login.locked": (
            "This account is temporarily locked after several failed sign-ins. "
            "Try again in {minutes} minutes or ask an administrator to unlock it."
        ),
        "login.logged_out": "You are signed out.",
        "login.required": "Sign in to continue.",
        "dashboard.title": "Dashboard",
        "dashboard.welcome": "Welcome, {name}.",
        "dashboard.placeholder": "The review queue's numbers will appear here.",
        "error.back": "Back to the dashboard",
        "error.login": "Sign in",
        "error.generic.title": "Error",
        "error.generic.message": "The request could not be processed.",
        "error.401.title": "Session expired",
        "error.401.message": "Your session has expired or you are not signed in. Sign in again.",
        "error.403.title": "Access denied",
        "error.403.message": "Your role does not allow this action.",
        "error.404.title": "Page not found",
        "error.404.message": "This page does not exist.",
        "error.405.title": "Method not allowed",
        "error.405.message": "This action is not allowed here.",
        "error.csrf": (
            "The form has expired or is not valid. Reload the page and try again "
            "(missing or wrong CSRF token)."
        ),
    },
}


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


MESSAGES = merge_catalogues(_FOUNDATION_MESSAGES, REVIEW_MESSAGES)


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
