"""The rest of the command line: review decisions, search, the local OpenSearch node, the demo."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.table import Table

from ren_index.cli import JsonOpt, app, review_app
from ren_index.cli_support import AppContext, err_console, handles_errors, out_console, print_json
from ren_index.ledger.models import RawRecordRow, ResourceRow
from ren_index.review import decide_by_person, find_resource
from ren_index.views import record_view

opensearch_app = typer.Typer(help="Nœud OpenSearch local / local OpenSearch node.", no_args_is_help=True)
app.add_typer(opensearch_app, name="opensearch")


@review_app.command("show")
@handles_errors
def review_show(record_id: str, json_out: JsonOpt = False) -> None:
    """Afficher un enregistrement et ses anomalies / show a record and its issues."""
    ctx = AppContext()
    with ctx.ledger() as session:
        row = find_resource(session, record_id)
        view = record_view(row, session.get(RawRecordRow, row.raw_id), vocabularies=ctx.vocabularies)
    if json_out:
        print_json(view)
        return
    out_console.print(f"[bold]{view['title']['fr'] or view['title']['en'] or '—'}[/]")
    for key in ("id", "source", "source_identifier", "status", "portals", "url", "languages"):
        out_console.print(f"  {key}: {view[key]}", highlight=False)
    for issue in view["issues"]:
        out_console.print(f"  [yellow]{issue['code']}[/] ({issue['severity']}) {issue['message_fr']}")


@review_app.command("approve")
@handles_errors
def review_approve(
    record_id: str,
    actor: Annotated[str, typer.Option("--as", help="Qui décide / who decides.")] = "cli",
    comment: Annotated[str | None, typer.Option("--comment")] = None,
) -> None:
    """Approuver un enregistrement / approve a record (indexed on the next `index`)."""
    ctx = AppContext()
    status = decide_by_person(ctx.ledger, record_id, "approved", actor=actor, comment=comment)
    err_console.print(f"{record_id}: {status}")


@review_app.command("reject")
@handles_errors
def review_reject(
    record_id: str,
    reason: Annotated[str, typer.Option("--reason", help="Motif du rejet / reason.")],
    actor: Annotated[str, typer.Option("--as", help="Qui décide / who decides.")] = "cli",
) -> None:
    """Rejeter un enregistrement / reject a record (removed from the index on the next `index`)."""
    ctx = AppContext()
    status = decide_by_person(ctx.ledger, record_id, "rejected", actor=actor, comment=reason)
    err_console.print(f"{record_id}: {status}")


@app.command()
@handles_errors
def search(
    query: Annotated[str, typer.Argument(help="Requête / query.")],
    portal: Annotated[str | None, typer.Option("--portal", help="pavillon|ecole-ouverte")] = None,
    size: Annotated[int, typer.Option("--size")] = 10,
    json_out: JsonOpt = False,
) -> None:
    """Interroger l'index / ask the index."""
    from ren_index.index.client import make_client, ping_or_raise
    from ren_index.index.search import search as run_search

    ctx = AppContext()
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


@opensearch_app.command("start")
@handles_errors
def opensearch_start() -> None:
    """Démarrer le nœud local / start the local node (waits for cluster health)."""
    from ren_index.opensearch_node import LocalNode

    status = LocalNode(AppContext().settings).start()
    err_console.print(f"OpenSearch: {status}")


@opensearch_app.command("stop")
@handles_errors
def opensearch_stop() -> None:
    """Arrêter le nœud local / stop the local node."""
    from ren_index.opensearch_node import LocalNode

    LocalNode(AppContext().settings).stop()
    err_console.print("OpenSearch: arrêté / stopped")


@opensearch_app.command("status")
@handles_errors
def opensearch_status(json_out: JsonOpt = False) -> None:
    """État du nœud / node status."""
    from dataclasses import asdict

    from ren_index.opensearch_node import LocalNode

    status = LocalNode(AppContext().settings).status()
    if json_out:
        print_json(asdict(status))
    else:
        out_console.print(str(status), highlight=False)
    if not status.running:
        raise typer.Exit(3)


@app.command()
@handles_errors
def demo(
    keep_serving: Annotated[
        bool, typer.Option("--serve", help="Laisser tourner le point OAI de démo.")
    ] = False,
) -> None:
    """Tout le pipeline sur la source de démonstration / the whole pipeline on the demo source."""
    from ren_index.demo.runner import run_demo

    run_demo(AppContext(), keep_serving=keep_serving)
