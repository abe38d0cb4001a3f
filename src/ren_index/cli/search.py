"""``ren-index search``: ask the index from the shell (the portals use ``/api/search``).

A ``--portal`` that ``portals.yaml`` does not name is refused with the known ones (exit 2), before
OpenSearch is asked: the filtered search would otherwise answer "0 results", as if the portal
were empty.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.table import Table

from ren_index.cli.support import (
    AppContext,
    JsonOpt,
    err_console,
    handles_errors,
    out_console,
    print_json,
    refuse,
)
from ren_index.ledger.models import ResourceRow
from ren_index.ledger.record_json import record_view

app = typer.Typer()


@app.command()
@handles_errors
def search(
    query: Annotated[str, typer.Argument(help="Requête / query.")],
    portal: Annotated[
        str | None, typer.Option("--portal", help="Portail (config/portals.yaml) / portal id.")
    ] = None,
    size: Annotated[int, typer.Option("--size")] = 10,
    json_out: JsonOpt = False,
) -> None:
    """Interroger l'index / ask the index."""
    from ren_index.index.client import make_client, ping_or_raise
    from ren_index.search.query import search as run_search

    ctx = AppContext()
    if portal is not None and portal not in ctx.portals:
        refuse("--portal", portal, ctx.portals, unknown_fr="portail inconnu", unknown_en="unknown portal")
    client = make_client(ctx.settings)
    ping_or_raise(client, ctx.settings.opensearch_url)
    result = run_search(client, f"{ctx.settings.index_prefix}-resources", query, portal=portal, size=size)
    results = [_hit_view(hit, ctx) for hit in result.hits]
    if json_out:
        print_json({"total": result.total, "results": results})
        return
    table = Table("score", "titre / title", "source", "url")
    for hit, view in zip(result.hits, results, strict=True):
        table.add_row(
            f"{hit['score']:.2f}",
            view["title"]["fr"] or view["title"]["en"] or "—",
            view["source"],
            view["url"] or "—",
        )
    out_console.print(table)
    err_console.print(f"{result.total} résultat(s) / result(s)")


def _hit_view(hit: dict[str, Any], ctx: AppContext) -> dict[str, Any]:
    row = ResourceRow(
        id=str(hit["id"]),
        source_id=str(hit.get("source")),
        status="approved",
        portals=list(hit.get("portals") or []),
        record=hit.get("record"),
        issues=[],
        decided_by="",
    )
    return record_view(row, with_issues=False, vocabularies=ctx.vocabularies)
