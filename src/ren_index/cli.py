"""The ``ren-index`` command line (DESIGN.md, "Command line").

Each command is a thin shell: it opens the context, calls a step, prints the report.
``run``, ``demo`` go through the Prefect flow; the others call the steps directly and stay quick.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlalchemy import select

from ren_index import __version__
from ren_index.cli_support import (
    AppContext,
    err_console,
    handles_errors,
    out_console,
    print_json,
    print_report,
    setup_logging,
)
from ren_index.errors import ConfigError
from ren_index.harvest.base import Page
from ren_index.ledger import store
from ren_index.ledger.models import RawRecordRow, ResourceRow
from ren_index.views import record_view

app = typer.Typer(
    help="ren-index : moissonnage, validation et indexation des REN / harvest, validate, index.",
    no_args_is_help=True,
    add_completion=False,
)
sources_app = typer.Typer(help="Les sources configurées / configured sources.", no_args_is_help=True)
review_app = typer.Typer(help="Décisions sur un enregistrement / record decisions.", no_args_is_help=True)
app.add_typer(sources_app, name="sources")
app.add_typer(review_app, name="review")

JsonOpt = Annotated[bool, typer.Option("--json", help="Un document JSON sur stdout.")]


@app.callback()
def _main(
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Journal détaillé (stderr).")] = False,
) -> None:
    setup_logging(verbose)


@app.command()
def version() -> None:
    """Print the version."""
    out_console.print(__version__)


@sources_app.command("list")
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
                    "last_run": store.run_report(last) if last else None,
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


def _harvest_progress() -> tuple[Progress, Any]:
    progress = Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[note]}"),
        TimeElapsedColumn(),
        console=err_console,
        transient=False,
    )
    task = progress.add_task("moisson / harvest", total=None, note="")

    def on_page(page: Page, counts: dict[str, int]) -> None:
        total = page.complete_list_size
        progress.update(task, completed=counts["harvested"], total=total, note=f"page cursor={page.cursor}")

    return progress, on_page


@app.command()
@handles_errors
def harvest(
    source: Annotated[str, typer.Argument(help="Identifiant de la source / source id.")],
    full: Annotated[bool, typer.Option("--full", help="Tout moissonner, sans reprise.")] = False,
    from_: Annotated[str | None, typer.Option("--from", help="Date de début (OAI from).")] = None,
    until: Annotated[str | None, typer.Option("--until", help="Date de fin (OAI until).")] = None,
    json_out: JsonOpt = False,
) -> None:
    """Moissonner une source dans le registre / harvest a source into the ledger (incremental)."""
    from ren_index.steps.harvest import harvest_source

    ctx = AppContext()
    progress, on_page = _harvest_progress()
    with progress:
        report = harvest_source(
            ctx.ledger,
            ctx.source(source),
            ctx.settings,
            full=full,
            from_=from_,
            until=until,
            on_page=on_page,
        )
    _finish(report, json_out)


@app.command()
@handles_errors
def process(
    source: Annotated[str | None, typer.Argument(help="Une source (toutes sinon).")] = None,
    json_out: JsonOpt = False,
) -> None:
    """Normaliser, valider, décider / normalize, validate and decide what was harvested."""
    from ren_index.steps.process import Rulebook, process_source

    ctx = AppContext()
    targets = [ctx.source(source)] if source else list(ctx.sources.values())
    rulebook = Rulebook.load(ctx.settings.config_dir)
    reports = [process_source(ctx.ledger, s, rulebook) for s in targets]
    if json_out:
        print_json(reports[0] if source else reports)
    else:
        for report in reports:
            print_report(report)


@app.command()
@handles_errors
def index(
    rebuild: Annotated[bool, typer.Option("--rebuild", help="Nouvel index, bascule d'alias.")] = False,
    json_out: JsonOpt = False,
) -> None:
    """Aligner l'index sur le registre / bring the index in line with the ledger."""
    from ren_index.index.client import make_client, ping_or_raise
    from ren_index.steps.index import index_changes, rebuild_index

    ctx = AppContext()
    client = make_client(ctx.settings)
    ping_or_raise(client, ctx.settings.opensearch_url)
    if rebuild:
        report = rebuild_index(ctx.ledger, client, ctx.settings.index_prefix, vocabularies=ctx.vocabularies)
    else:
        report = index_changes(ctx.ledger, client, ctx.settings.index_prefix, vocabularies=ctx.vocabularies)
    _finish(report, json_out)


@app.command()
@handles_errors
def run(
    sources: Annotated[list[str] | None, typer.Argument(help="Sources à traiter.")] = None,
    all_sources: Annotated[bool, typer.Option("--all", help="Toutes les sources.")] = False,
    full: Annotated[bool, typer.Option("--full")] = False,
    json_out: JsonOpt = False,
) -> None:
    """Moisson → traitement → indexation en un flux Prefect / harvest → process → index as one flow."""
    ctx = AppContext()
    ids = list(ctx.sources) if all_sources else list(sources or [])
    if not ids:
        raise ConfigError("name at least one source, or --all")
    for sid in ids:
        ctx.source(sid)
    from ren_index.orchestration import run_pipeline

    result = run_pipeline(ids, full=full)
    if json_out:
        print_json(result)
    else:
        for report in result["sources"].values():
            for step in ("harvest", "process"):
                print_report(report[step])
        print_report(result["index"])
    if result["status"] != "completed":
        raise typer.Exit(1)


@app.command()
@handles_errors
def queue(
    source: Annotated[str | None, typer.Option("--source")] = None,
    issue: Annotated[str | None, typer.Option("--issue", help="Code d'anomalie, ex. TITLE_MISSING.")] = None,
    status: Annotated[
        str, typer.Option("--status", help="needs_review|approved|rejected|deleted|all")
    ] = "needs_review",
    limit: Annotated[int, typer.Option("--limit")] = 200,
    json_out: JsonOpt = False,
) -> None:
    """La file de validation / the validation queue."""
    ctx = AppContext()
    with ctx.ledger() as session:
        query = select(ResourceRow, RawRecordRow).join(RawRecordRow, ResourceRow.raw_id == RawRecordRow.id)
        if status != "all":
            query = query.where(ResourceRow.status == status)
        if source:
            query = query.where(ResourceRow.source_id == source)
        views = [
            record_view(r, raw, vocabularies=ctx.vocabularies)
            for r, raw in session.execute(query.order_by(ResourceRow.decided_at))
        ]
    if issue:
        views = [v for v in views if any(i["code"] == issue for i in v["issues"])]
    views = views[:limit]
    if json_out:
        print_json(views)
        return
    table = Table("id", "source", "statut", "titre / title", "anomalies / issues")
    for v in views:
        table.add_row(
            v["id"][:12],
            v["source"],
            v["status"],
            (v["title"]["fr"] or v["title"]["en"] or "—")[:60],
            ", ".join(i["code"] for i in v["issues"]),
        )
    out_console.print(table)
    err_console.print(f"{len(views)} enregistrement(s) / record(s)")


def _finish(report: dict[str, Any], json_out: bool) -> None:
    if json_out:
        print_json(report)
    else:
        print_report(report)
    if report.get("status") == "failed":
        raise typer.Exit(1)


def main() -> None:
    """Console-script entry point."""
    from ren_index import (
        cli_commands,  # noqa: F401  (registers review, search, opensearch, demo)
        cli_runs,  # noqa: F401  (registers runs, runs release)
        cli_schedule,  # noqa: F401  (registers schedule, worker)
        cli_web,  # noqa: F401  (registers users, serve)
    )

    app()
