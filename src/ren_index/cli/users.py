"""``ren-index users add|list|unlock|remove``: accounts of the review UI (documentalists,
librarians, admins).

No web stack is imported here (FastAPI, uvicorn): account commands stay quick. User names are
printed as plain text, never as rich markup: a name is whatever an administrator typed.
"""

from __future__ import annotations

import sys
from typing import Annotated, Any, NoReturn

import typer
from rich.table import Table
from rich.text import Text

from ren_index.cli.support import AppContext, JsonOpt, err_console, handles_errors, out_console, print_json
from ren_index.config.clock import local_time, utc_iso
from ren_index.web import accounts

app = typer.Typer(help="Comptes de l'interface de révision / review UI accounts.", no_args_is_help=True)


def _say(line: str) -> None:
    """One line for the person at the terminal (stderr, like the other commands' reports)."""
    err_console.print(line, markup=False, highlight=False, soft_wrap=True)


def _refuse(error: accounts.AccountError) -> NoReturn:
    """One line on stderr and exit status 1, the name in it shown as typed."""
    err_console.print(Text.assemble(("erreur / error:", "bold red"), " ", str(error)), soft_wrap=True)
    raise typer.Exit(1)


def _read_password(from_stdin: bool) -> str:
    """The new password: from standard input (scripts), else prompted twice without echo."""
    if from_stdin or not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\r\n")
    password: str = typer.prompt(
        "Mot de passe / password", hide_input=True, confirmation_prompt=True, err=True
    )
    return password


@app.command("add")
@handles_errors
def users_add(
    name: Annotated[str, typer.Argument(help="Nom d'utilisateur / user name.")],
    role: Annotated[str, typer.Option("--role", help="documentalist | librarian | admin")],
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Lire le mot de passe sur stdin / read it from stdin.")
    ] = False,
) -> None:
    """Créer un compte, ou changer son rôle et son mot de passe / add or update an account.

    Updating an account also lifts a lock-out and ends its open sessions.
    """
    accounts.check_role(role)
    password = _read_password(password_stdin)
    accounts.check_new_password(password)
    ctx = AppContext()
    with ctx.ledger() as session:
        created = accounts.set_user(session, name, role, password)
        session.commit()
    if created:
        _say(f"compte créé / user created: {name} ({role})")
    else:
        _say(
            f"compte existant mis à jour (rôle, mot de passe, verrous levés, sessions fermées) / "
            f"existing user updated (role, password, unlocked, sessions ended): {name} ({role})"
        )


NEVER = "jamais / never"


def _state(view: accounts.AccountView) -> str:
    """Active, inactive, or locked out: from which addresses, until when (Montreal time)."""
    if not view.active:
        return "inactif / inactive"
    if not view.locked:
        return "actif / active"
    where = ", ".join(f"{lock.client} jusqu'à / until {local_time(lock.locked_until)}" for lock in view.locks)
    return f"verrouillé / locked: {where}"


def _as_json(view: accounts.AccountView) -> dict[str, Any]:
    """One account for ``--json``: the role as a code and in words, dates in ISO 8601 UTC."""
    french, english = accounts.ROLE_LABELS.get(view.role, (view.role, view.role))
    return {
        "name": view.name,
        "role": view.role,
        "role_label_fr": french,
        "role_label_en": english,
        "active": view.active,
        "created_at": utc_iso(view.created_at),
        "last_login_at": utc_iso(view.last_login_at),
        "locked": view.locked,
        "locked_from": [lock.client for lock in view.locks],
        "locks": [{"client": lock.client, "locked_until": utc_iso(lock.locked_until)} for lock in view.locks],
    }


@app.command("list")
@handles_errors
def users_list(json_out: JsonOpt = False) -> None:
    """Les comptes / the accounts: role, created, last login, locked or inactive.

    Dates in Montreal time with the zone; ``--json`` gives them in ISO 8601 UTC.
    """
    ctx = AppContext()
    with ctx.ledger() as session:
        views = accounts.account_views(session)
    if json_out:
        rows = [_as_json(v) for v in views]
        print_json(rows)
        return
    table = Table(
        "nom / name",
        "rôle / role",
        "créé / created",
        "dernière connexion / last login",
        "état / state",
    )
    for v in views:
        table.add_row(
            Text(v.name),
            accounts.role_label(v.role),
            local_time(v.created_at),
            local_time(v.last_login_at, empty=NEVER),
            Text(_state(v)),
        )
    out_console.print(table)


@app.command("unlock")
@handles_errors
def users_unlock(name: Annotated[str, typer.Argument(help="Nom d'utilisateur / user name.")]) -> None:
    """Lever les verrous d'un compte / lift an account's lock-outs (every client address).

    Its failed logins are forgotten too; its open sessions stay open.
    """
    ctx = AppContext()
    with ctx.ledger() as session:
        try:
            locked = accounts.unlock_user(session, name)
        except accounts.UnknownUserError as exc:
            _refuse(exc)
        session.commit()
    if locked:
        _say(f"verrous levés / lock-outs lifted: {name} ({', '.join(locked)})")
    else:
        _say(f"aucun verrou en cours / no lock-out in force: {name}")


@app.command("remove")
@handles_errors
def users_remove(name: Annotated[str, typer.Argument(help="Nom d'utilisateur / user name.")]) -> None:
    """Supprimer un compte et fermer ses sessions / delete an account and end its sessions.

    What the person did stays in the audit trail, under their name.
    """
    ctx = AppContext()
    with ctx.ledger() as session:
        try:
            removed = accounts.remove_user(session, name)
        except accounts.UnknownUserError as exc:
            _refuse(exc)
        session.commit()
    _say(f"compte supprimé, sessions fermées / user removed, sessions ended: {removed.name} ({removed.role})")
