"""Who is asking: the logged-in user, the dependencies that guard routes, login and logout.

The session cookie (signed, HttpOnly, SameSite=lax) holds only the user's id, their account's
``session_key`` and the login time. A signed cookie cannot be taken back from the browser (or
from whoever copied it), so it is checked against the ledger on every request: the account must
still exist, be active and carry the same key. Logout, a password or role change and the
account's removal replace or delete the key (:func:`ren_index.web.accounts.end_sessions`), which
ends every session of that account at once; a replayed cookie then gets the login page (GET) or
401 (writes). A login older than :data:`~ren_index.web.security.SESSION_MAX_AGE` is no longer
honoured even if the cookie was kept alive by activity.

Every failed login gets the same page and the same delay, whether the name is unknown, the
password wrong or the pair (account, client address) locked out: the answer tells an attacker
neither which names exist nor that they caused a lock.
"""

from __future__ import annotations

import hmac
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated
from urllib.parse import quote, urlsplit

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from ren_index.ledger.models import User
from ren_index.web import accounts
from ren_index.web.deps import flash, get_ledger, render
from ren_index.web.i18n import t
from ren_index.web.security import SAFE_METHODS, SESSION_MAX_AGE, client_address

LOGIN_PATH = "/review/login"
HOME_PATH = "/review/"
_SESSION_USER = "uid"
_SESSION_KEY = "sk"
_SESSION_LOGIN_AT = "at"
_MAX_NAME, _MAX_PASSWORD = 128, 1024
OPERATING_ROLES: frozenset[str] = frozenset({"librarian", "admin"})
"""Roles that run sources (harvest now, resume, release, pause a schedule, try a source)."""

router = APIRouter(prefix="/review", tags=["review: accounts"])


@dataclass(frozen=True)
class UserInfo:
    """The logged-in person, as routes and templates see them (no password material)."""

    id: int
    name: str
    role: str

    @property
    def can_decide(self) -> bool:
        """Documentalists and admins approve, reject and correct; librarians read."""
        return self.role in accounts.DECIDING_ROLES

    @property
    def can_operate(self) -> bool:
        """Librarians and admins start, resume and release runs and pause schedules."""
        return self.role in OPERATING_ROLES


class LoginRequired(Exception):
    """Raised by :func:`require_user` on a GET: the app answers 303 to the login page."""

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path

    @property
    def location(self) -> str:
        return f"{LOGIN_PATH}?next={quote(self.next_path, safe='/')}"


def current_user(request: Request) -> UserInfo | None:
    """The logged-in user of this request, or ``None`` (looked up once per request)."""
    if hasattr(request.state, "ren_user"):
        cached: UserInfo | None = request.state.ren_user
        return cached
    user = _load_user(request)
    request.state.ren_user = user
    return user


def _load_user(request: Request) -> UserInfo | None:
    session = request.session
    uid, logged_at = session.get(_SESSION_USER), session.get(_SESSION_LOGIN_AT)
    if not isinstance(uid, int) or not isinstance(logged_at, int | float):
        return None
    if not 0 <= time.time() - logged_at <= SESSION_MAX_AGE:
        return None
    with get_ledger(request)() as db:
        row = db.get(User, uid)
        if row is None or not row.active:
            return None
        key = session.get(_SESSION_KEY)
        if not isinstance(key, str) or not hmac.compare_digest(key.encode(), row.session_key.encode()):
            return None
        return UserInfo(id=row.id, name=row.name, role=row.role)


def require_user(request: Request) -> UserInfo:
    """Dependency: the logged-in user; otherwise a redirect to the login page (GET) or 401 (writes)."""
    user = current_user(request)
    if user is not None:
        return user
    if request.method in SAFE_METHODS:
        path = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise LoginRequired(path)
    raise HTTPException(status_code=401, detail="error.401.message")


def require_role(*roles: str) -> Callable[[UserInfo], UserInfo]:
    """Dependency factory: the logged-in user if their role is one of ``roles``, else 403.

    ``Depends(require_role("documentalist", "admin"))`` guards every route that decides or edits.
    """
    unknown = set(roles) - set(accounts.ROLES)
    if unknown or not roles:
        raise ValueError(f"unknown roles {sorted(unknown)}; roles are {accounts.ROLES}")
    allowed = frozenset(roles)

    def dependency(user: Annotated[UserInfo, Depends(require_user)]) -> UserInfo:
        if user.role not in allowed:
            raise HTTPException(status_code=403, detail="error.403.message")
        return user

    return dependency


CurrentUser = Annotated[UserInfo, Depends(require_user)]
"""A route parameter typed ``CurrentUser`` requires a login and receives the user."""
Decider = Annotated[UserInfo, Depends(require_role(*sorted(accounts.DECIDING_ROLES)))]
"""A route parameter typed ``Decider`` requires a documentalist or an admin (others get 403)."""
Operator = Annotated[UserInfo, Depends(require_role(*sorted(OPERATING_ROLES)))]
"""A route parameter typed ``Operator`` requires a librarian or an admin (others get 403)."""


def safe_next(target: str | None) -> str:
    """Where to go after login: a path of this app under ``/review`` only (no open redirect)."""
    if not target or "\\" in target or any(ord(c) < 32 for c in target):
        return HOME_PATH
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not parts.path.startswith("/review") or target.startswith("//"):
        return HOME_PATH
    if parts.path.startswith(LOGIN_PATH):
        return HOME_PATH
    return target


def _login_page(request: Request, next_path: str, error: str | None, username: str = "") -> HTMLResponse:
    return render(request, "login.html", {"next": next_path, "error": error, "username": username})


@router.get("/login", response_class=HTMLResponse, summary="Login form / formulaire de connexion")
def login_form(request: Request, next: str | None = None) -> Response:
    target = safe_next(next)
    if current_user(request) is not None:
        return RedirectResponse(target, status_code=303)
    return _login_page(request, target, None)


@router.post("/login", response_class=HTMLResponse, summary="Log in / se connecter")
def login_submit(
    request: Request,
    username: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    next_path: Annotated[str, Form(alias="next")] = HOME_PATH,
) -> Response:
    target = safe_next(next_path)
    name = username.strip()
    if not name or not password or len(name) > _MAX_NAME or len(password) > _MAX_PASSWORD:
        result = accounts.LoginResult("invalid")
    else:
        with get_ledger(request)() as db:
            result = accounts.authenticate(db, name, password, client=client_address(request))
            db.commit()
    if result.outcome != "ok" or result.user is None:
        # One answer and one constant delay for every failure (unknown name, wrong password,
        # locked pair): neither the words nor the timing tell which it was.
        time.sleep(float(request.app.state.login_failure_delay))
        message = t(
            request,
            "login.invalid",
            failures=accounts.MAX_FAILED_LOGINS,
            minutes=int(accounts.LOCK_DURATION.total_seconds() // 60),
        )
        return _login_page(request, target, message, name[:_MAX_NAME])
    # A fresh session on login: anything planted in the old one (fixation) is dropped.
    request.session.clear()
    request.session[_SESSION_USER] = result.user.id
    request.session[_SESSION_KEY] = result.user.session_key
    request.session[_SESSION_LOGIN_AT] = int(time.time())
    return RedirectResponse(target, status_code=303)


@router.post("/logout", summary="Log out / se déconnecter")
def logout(request: Request) -> Response:
    user = current_user(request)
    if user is not None:
        # Every session of the account ends, so a copy of this cookie is worthless from now on.
        with get_ledger(request)() as db:
            accounts.log_out(db, user.id, client=client_address(request))
            db.commit()
    request.session.clear()
    request.state.ren_user = None
    flash(request, "login.logged_out", "success")
    return RedirectResponse(LOGIN_PATH, status_code=303)


@router.get("/_whoami", summary="The logged-in user / l'utilisateur connecté")
def whoami(user: CurrentUser) -> dict[str, object]:
    """Who the session belongs to; used by scripts and tests to check a login."""
    return {"id": user.id, "name": user.name, "role": user.role, "can_decide": user.can_decide}
