"""``ren-index platforms add|list|rotate|revoke|deliver``: the platforms that push contributions.

A platform (Ma classe of École ouverte) gets a key to call ``/api/contributions``. The key is
printed once, on stdout (``--json``: ``{"name", "key"}``) so it can be piped into a secret store,
and never again: only its hash is kept. Everything else — what was done, errors — goes to stderr.
Names, labels and URLs are printed as plain text, never as rich markup.
"""

from __future__ import annotations

import sys
from datetime import datetime
from typing import Annotated, Any

import typer
from rich.table import Table
from rich.text import Text

from ren_index.cli.support import AppContext, JsonOpt, err_console, handles_errors, out_console, print_json
from ren_index.config.clock import local_time
from ren_index.contributions import callbacks, platforms

app = typer.Typer(
    help="Plateformes de contributions (Ma classe) / contributions platforms.", no_args_is_help=True
)

NameArg = Annotated[str, typer.Argument(help="Nom de la plateforme (a-z, 0-9, -) / platform name.")]


def _say(text: str) -> None:
    """One line for the person at the terminal (stderr: stdout carries only the key or JSON)."""
    err_console.print(text, markup=False, highlight=False, soft_wrap=True)


def _print_key(name: str, key: str, json_out: bool) -> None:
    if json_out:
        print_json({"name": name, "key": key})
        return
    sys.stdout.write(key + "\n")
    sys.stdout.flush()
    _say(
        "Notez cette clé maintenant : elle ne sera plus jamais affichée. / Keep this key now: it will"
        " never be shown again."
    )


@app.command("add")
@handles_errors
def platforms_add(
    name: NameArg,
    portal: Annotated[str, typer.Option("--portal", help="Portail de portals.yaml / portal id.")],
    label: Annotated[str | None, typer.Option("--label", help="Nom affiché / display name.")] = None,
    callback_url: Annotated[
        str | None,
        typer.Option("--callback-url", help="Où annoncer les décisions / where decisions are POSTed."),
    ] = None,
    json_out: JsonOpt = False,
) -> None:
    """Créer une plateforme et sa clé / create a platform and its key (printed once).

    The platform is also a source (type contributions, review always): its contributions reach the
    review queue, the runs and the dashboard like harvested records.
    """
    ctx = AppContext()
    info, key = platforms.create_platform(
        ctx.ledger,
        name,
        portal=portal,
        label=label,
        callback_url=callback_url,
        portals=list(ctx.portals),
        reserved=ctx.sources.order,
    )
    _say(f"plateforme créée / platform created: {info.name} ({info.label}, {info.portal})")
    _print_key(info.name, key, json_out)


@app.command("list")
@handles_errors
def platforms_list(json_out: JsonOpt = False) -> None:
    """Les plateformes / the platforms: portal, dates, key prefix, contributions per status."""
    ctx = AppContext()
    rows = platforms.list_platforms(ctx.ledger)
    if json_out:
        print_json([_as_json(r) for r in rows])
        return
    table = Table(
        "plateforme / platform",
        "nom / label",
        "portail / portal",
        "clé / key",
        "créée / created",
        "dernier usage / last used",
        "à réviser",
        "approuvées",
        "rejetées",
        "supprimées",
    )
    for r in rows:
        key = Text("révoquée / revoked", style="bold red") if r["revoked"] else Text(f"{r['key_prefix']}…")
        c = r["counts"]
        table.add_row(
            Text(r["name"]),
            Text(r["label"]),
            Text(r["portal"]),
            key,
            local_time(r["created_at"]),
            local_time(r["last_used_at"]),
            str(c["needs_review"]),
            str(c["approved"]),
            str(c["rejected"]),
            str(c["deleted"]),
        )
    out_console.print(table)


def _as_json(row: dict[str, Any]) -> dict[str, Any]:
    """Dates as ISO 8601 UTC for scripts."""
    return {k: platforms.as_utc(v) if isinstance(v, datetime) else v for k, v in row.items()}


@app.command("rotate")
@handles_errors
def platforms_rotate(name: NameArg, json_out: JsonOpt = False) -> None:
    """Remplacer la clé / replace the key (printed once): the old one stops working at once."""
    ctx = AppContext()
    key = platforms.rotate_key(ctx.ledger, name)
    _say(f"nouvelle clé, l'ancienne est refusée / new key, the old one is refused: {name}")
    _print_key(name, key, json_out)


@app.command("revoke")
@handles_errors
def platforms_revoke(name: NameArg) -> None:
    """Refuser la clé / refuse the key from now on (``rotate`` issues a new one)."""
    ctx = AppContext()
    platforms.revoke(ctx.ledger, name)
    _say(f"clé révoquée / key revoked: {name}")


@app.command("deliver")
@handles_errors
def platforms_deliver(
    name: Annotated[
        str | None, typer.Argument(help="Une plateforme / one platform (défaut : toutes).")
    ] = None,
    json_out: JsonOpt = False,
) -> None:
    """Envoyer les rappels en attente / deliver pending callbacks (decisions on contributions)."""
    ctx = AppContext()
    if name is not None and platforms.get_platform(ctx.ledger, name) is None:
        raise platforms.PlatformError(f"plateforme inconnue / unknown platform: {name!r}")
    counts = callbacks.deliver_pending(ctx.ledger, ctx.settings, platform=name)
    if json_out:
        print_json(counts)
        return
    _say(
        f"livrés / delivered: {counts['delivered']}, échecs (réessayés) / failed (retried):"
        f" {counts['failed']}, abandonnés / abandoned: {counts['abandoned']}, en attente / waiting:"
        f" {counts['waiting']}"
    )
    if counts["errors"]:
        raise typer.Exit(1)
