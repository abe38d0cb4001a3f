"""``ren-index users add|list``: accounts of the review UI (documentalists, librarians, admins).

No web stack is imported here (FastAPI, uvicorn): account commands stay quick.
"""

from __future__ import annotations

import sys
from typing import Annotated, Any

import typer
from rich.table import Table

from ren_index.cli.support import AppContext, JsonOpt, err_console, handles_errors, out_console, print_json
from ren_index.web import accounts

app = typer.Typer(help="Comptes de l'interface de révision / review UI accounts.", no_args_is_help=True)


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
        err_console.print(f"compte créé / user created: {name} ({role})", highlight=False)
    else:
        err_console.print(
            f"compte existant mis à jour (rôle, mot de passe, verrou levé) / "
            f"existing user updated (role, password, unlocked): {name} ({role})",
            highlight=False,
        )


@app.command("list")
@handles_errors
def users_list(json_out: JsonOpt = False) -> None:
    """Les comptes / the accounts: name, role, locked or not, last login."""
    ctx = AppContext()
    with ctx.ledger() as session:
        rows: list[dict[str, Any]] = [
            {
                "name": u.name,
                "role": u.role,
                "active": u.active,
                "locked": accounts.is_locked(u),
                "last_login_at": u.last_login_at.isoformat() if u.last_login_at else None,
            }
            for u in accounts.list_users(session)
        ]
    if json_out:
        print_json(rows)
        return
    table = Table("nom / name", "rôle / role", "verrouillé / locked", "dernière connexion / last login")
    for r in rows:
        locked = "oui / yes" if r["locked"] else ("inactif / inactive" if not r["active"] else "non / no")
        table.add_row(r["name"], r["role"], locked, (r["last_login_at"] or "—")[:19])
    out_console.print(table)
