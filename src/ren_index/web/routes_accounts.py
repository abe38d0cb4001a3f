"""The admin page for accounts (``/review/accounts``): list, add, change a role, reset a password,
unlock, remove.

Admins only: every route requires the role (others get 403) and every POST the session's CSRF
token (checked app-wide by :func:`~ren_index.web.security.csrf_protect`). The rules and the audit
trail are :mod:`ren_index.web.accounts`' (the same functions as ``ren-index users``); here are the
HTTP shells. A change that went through answers 303 back to the list with a banner saying what was
done, so a reload never repeats it; a refused one re-renders the list with the reason (400 bad
input, 404 unknown account, 409 a rule: the name taken, oneself, the last admin). Passwords are
never rendered back, not even in a refused form. Account names travel in form fields and query
strings, never in the path: a name may hold any character, slashes included.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from ren_index.config.clock import local_time
from ren_index.web import accounts
from ren_index.web.auth import UserInfo, require_role
from ren_index.web.deps import flash, get_ledger, render
from ren_index.web.i18n import t

router = APIRouter(prefix="/review", tags=["review: accounts"])

ACCOUNTS_PATH = "/review/accounts"
Admin = Annotated[UserInfo, Depends(require_role("admin"))]
"""A route parameter typed ``Admin`` requires an admin (others get 403)."""

NameField = Annotated[str, Form()]
RoleField = Annotated[str, Form()]
PasswordField = Annotated[str, Form()]


def _row(request: Request, view: accounts.AccountView, user: UserInfo) -> dict[str, Any]:
    """One account as the table shows it: words and Montreal times, no password material."""
    return {
        "name": view.name,
        "role": view.role,
        "role_label": t(request, f"role.{view.role}"),
        "created": local_time(view.created_at),
        "last_login": local_time(view.last_login_at, empty=t(request, "accounts.never")),
        "active": view.active,
        "locks": [{"client": lock.client, "until": local_time(lock.locked_until)} for lock in view.locks],
        "is_self": view.name == user.name,
    }


def _list_page(
    request: Request,
    user: UserInfo,
    *,
    error: accounts.AccountError | None = None,
    status_code: int = 200,
    typed: dict[str, str] | None = None,
) -> HTMLResponse:
    with get_ledger(request)() as session:
        views = accounts.account_views(session)
    context = {
        "page_title": t(request, "accounts.title"),
        "accounts": [_row(request, v, user) for v in views],
        "roles": [{"code": r, "label": t(request, f"role.{r}")} for r in accounts.ROLES],
        "min_password": accounts.MIN_PASSWORD_LENGTH,
        "max_password": accounts.MAX_PASSWORD_LENGTH,
        "error": t(request, error.key, **error.values) if error else None,
        "typed": typed or {"name": "", "role": "documentalist"},
    }
    return render(request, "accounts.html", context, status_code=status_code)


def _refused(
    request: Request, user: UserInfo, error: accounts.AccountError, typed: dict[str, str] | None = None
) -> HTMLResponse:
    """The list again, with the reason and the status that names the kind of refusal."""
    if isinstance(error, accounts.UnknownUserError):
        status = 404
    elif isinstance(error, accounts.AccountRuleError):
        status = 409
    else:
        status = 400
    return _list_page(request, user, error=error, status_code=status, typed=typed)


def _done(request: Request, key: str, **values: str) -> Response:
    flash(request, key, "success", **values)
    return RedirectResponse(ACCOUNTS_PATH, status_code=303)


def _same_password(password: str, confirmation: str) -> None:
    if password != confirmation:
        raise accounts.AccountError(
            "les deux mots de passe diffèrent / the two passwords differ",
            key="accounts.error.password_mismatch",
        )


@router.get("/accounts", response_class=HTMLResponse, summary="Comptes / accounts")
def accounts_page(request: Request, user: Admin) -> HTMLResponse:
    """Every account: role, created, last login (Montreal time), locked or inactive; the forms."""
    return _list_page(request, user)


@router.post("/accounts", summary="Ajouter un compte / add an account")
def add_account(
    request: Request,
    user: Admin,
    name: NameField = "",
    role: RoleField = "",
    password: PasswordField = "",
    password_confirm: PasswordField = "",
) -> Response:
    typed = {"name": name.strip()[:128], "role": role if role in accounts.ROLES else "documentalist"}
    try:
        _same_password(password, password_confirm)
        with get_ledger(request)() as session:
            accounts.add_user(session, name, role, password, actor=user.name)
            session.commit()
    except accounts.AccountError as exc:
        return _refused(request, user, exc, typed)
    return _done(request, "accounts.done.created", name=name.strip(), role=t(request, f"role.{role}"))


@router.post("/accounts/role", summary="Changer un rôle / change a role")
def change_role(request: Request, user: Admin, name: NameField = "", role: RoleField = "") -> Response:
    try:
        with get_ledger(request)() as session:
            changed = accounts.change_role(session, name, role, by=user.name)
            session.commit()
    except accounts.AccountError as exc:
        return _refused(request, user, exc)
    key = "accounts.done.role" if changed else "accounts.done.role_same"
    return _done(request, key, name=name, role=t(request, f"role.{role}"))


@router.post("/accounts/password", summary="Réinitialiser un mot de passe / reset a password")
def reset_password(
    request: Request,
    user: Admin,
    name: NameField = "",
    password: PasswordField = "",
    password_confirm: PasswordField = "",
) -> Response:
    try:
        _same_password(password, password_confirm)
        with get_ledger(request)() as session:
            accounts.reset_password(session, name, password, by=user.name)
            session.commit()
    except accounts.AccountError as exc:
        return _refused(request, user, exc)
    return _done(request, "accounts.done.password", name=name)


@router.post("/accounts/unlock", summary="Déverrouiller un compte / unlock an account")
def unlock_account(request: Request, user: Admin, name: NameField = "") -> Response:
    try:
        with get_ledger(request)() as session:
            locked = accounts.unlock_user(session, name, actor=user.name)
            session.commit()
    except accounts.AccountError as exc:
        return _refused(request, user, exc)
    if not locked:
        return _done(request, "accounts.done.not_locked", name=name)
    return _done(request, "accounts.done.unlocked", name=name, clients=", ".join(locked))


@router.get("/accounts/remove", response_class=HTMLResponse, summary="Confirmer / confirm removal")
def confirm_removal(request: Request, user: Admin, name: str = "") -> HTMLResponse:
    """The confirmation step: what removing the account means, and the button that does it.

    The page's rules are checked before it is shown: an account that may not be removed gets the
    list with the reason instead.
    """
    try:
        with get_ledger(request)() as session:
            target = accounts.check_removable(session, name, by=user.name)
            role = target.role
    except accounts.AccountError as exc:
        return _refused(request, user, exc)
    context = {
        "page_title": t(request, "accounts.remove_title", name=name),
        "name": name,
        "role_label": t(request, f"role.{role}"),
    }
    return render(request, "accounts_remove.html", context)


@router.post("/accounts/remove", summary="Supprimer un compte / remove an account")
def remove_account(request: Request, user: Admin, name: NameField = "") -> Response:
    try:
        with get_ledger(request)() as session:
            accounts.remove_user(session, name, actor=user.name, by=user.name)
            session.commit()
    except accounts.AccountError as exc:
        return _refused(request, user, exc)
    return _done(request, "accounts.done.removed", name=name)
