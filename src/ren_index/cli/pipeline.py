"""The conveyor's commands: ``harvest``, ``process``, ``index`` and ``run`` (all three as one flow).

Each is a thin shell: it opens the context, calls a step, prints the run report. ``run`` goes
through the Prefect flow; the others call the steps directly and stay quick.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from ren_index.cli.support import (
    AppContext,
    JsonOpt,
    err_console,
    finish,
    handles_errors,
    print_json,
    print_report,
)
from ren_index.errors import ConfigError
from ren_index.harvest.base import Page

app = typer.Typer()


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
    finish(report, json_out)


@app.command()
@handles_errors
def process(
    source: Annotated[str | None, typer.Argument(help="Une source (toutes sinon).")] = None,
    json_out: JsonOpt = False,
) -> None:
    """Normaliser, valider, décider / normalize, validate and decide what was harvested."""
    from ren_index.config.rulebook import Rulebook
    from ren_index.steps.process import process_source

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
        report = rebuild_index(
            ctx.ledger,
            client,
            ctx.settings.index_prefix,
            portals=list(ctx.portals),
            vocabularies=ctx.vocabularies,
        )
    else:
        report = index_changes(
            ctx.ledger,
            client,
            ctx.settings.index_prefix,
            portals=list(ctx.portals),
            vocabularies=ctx.vocabularies,
        )
    finish(report, json_out)


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
    from ren_index.orchestration.running import run_pipeline

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
