"""``ren-index sources``: the configured sources, their counts per status and their last run."""

from __future__ import annotations

from typing import Any

import typer
from rich.table import Table

from ren_index.cli.support import AppContext, JsonOpt, handles_errors, out_console, print_json
from ren_index.ledger import store
from ren_index.runs.report import run_report

app = typer.Typer(help="Les sources configurées / configured sources.", no_args_is_help=True)


@app.command("list")
@handles_errors
def sources_list(json_out: JsonOpt = False) -> None:
    """Les sources, leurs comptes par statut et leur dernière moisson / sources with counts and last run."""
    ctx = AppContext()
    rows: list[dict[str, Any]] = []
    with ctx.ledger() as session:
        for source in ctx.sources.values():
            last = store.last_run(session, source.id)
            rows.append(
                {
                    "id": source.id,
                    "name": source.name,
                    "type": source.type,
                    "url": source.url,
                    "counts": store.status_counts(session, source.id),
                    "last_run": run_report(last) if last else None,
                }
            )
    if json_out:
        print_json(rows)
        return
    table = Table(
        "source",
        "nom / name",
        "type",
        "total",
        "approuvés",
        "à réviser",
        "rejetés",
        "supprimés",
        "dernière moisson / last run",
    )
    for r in rows:
        c, last = r["counts"], r["last_run"]
        table.add_row(
            r["id"],
            r["name"],
            r["type"],
            str(c["total"]),
            str(c["approved"]),
            str(c["needs_review"]),
            str(c["rejected"]),
            str(c["deleted"]),
            f"{last['status']} {last['started_at'][:19]}" if last else "—",
        )
    out_console.print(table)
