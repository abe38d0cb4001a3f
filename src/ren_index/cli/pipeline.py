"""The conveyor's commands: ``harvest``, ``process``, ``index`` and ``run`` (all three as one flow).

Each is a thin shell: it opens the context, calls a step, prints the run report. ``run`` goes
through the Prefect flow; the others call the steps directly and stay quick.

A broken entry of ``sources.yaml`` stops only what names it: ``harvest --all``, ``process`` (every
source) and ``run --all`` do the valid sources, then name each broken one on a line of its own and
exit 1.
"""

from __future__ import annotations

import gc
from collections.abc import Mapping
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from ren_index.cli.support import (
    AppContext,
    JsonOpt,
    err_console,
    error_line,
    finish,
    handles_errors,
    is_verbose,
    library_logs_hidden,
    print_json,
    print_report,
)
from ren_index.config.sources import SourceConfig
from ren_index.errors import ConfigError, RenIndexError
from ren_index.harvest.base import Page
from ren_index.runs.report import RunReport

app = typer.Typer()


def _harvest_progress(source_id: str) -> tuple[Progress, Any]:
    # markup=False on every column: the note carries what the repository sent (its cursor).
    progress = Progress(
        TextColumn("{task.description}", style="bold", markup=False),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[note]}", markup=False),
        TimeElapsedColumn(),
        console=err_console,
        transient=False,
    )
    task = progress.add_task(f"moisson / harvest {source_id}", total=None, note="")

    def on_page(page: Page, counts: dict[str, int]) -> None:
        total = page.complete_list_size
        progress.update(task, completed=counts["harvested"], total=total, note=f"page cursor={page.cursor}")

    return progress, on_page


def print_errors(errors: Mapping[str, str]) -> None:
    """One line per source that could not run (a broken entry, say), with why."""
    for error in errors.values():
        err_console.print(error_line(error), soft_wrap=True)


def broken_entries(ctx: AppContext) -> dict[str, str]:
    """The broken entries of ``sources.yaml``: id → their one-line error."""
    return {sid: b.error for sid, b in ctx.sources.broken.items()}


@app.command()
@handles_errors
def harvest(
    source: Annotated[str | None, typer.Argument(help="Identifiant de la source / source id.")] = None,
    all_sources: Annotated[bool, typer.Option("--all", help="Toutes les sources / every source.")] = False,
    full: Annotated[bool, typer.Option("--full", help="Tout moissonner, sans reprise.")] = False,
    from_: Annotated[str | None, typer.Option("--from", help="Date de début (OAI from).")] = None,
    until: Annotated[str | None, typer.Option("--until", help="Date de fin (OAI until).")] = None,
    json_out: JsonOpt = False,
) -> None:
    """Moissonner une source dans le registre / harvest a source into the ledger (incremental)."""
    ctx = AppContext()
    if all_sources == (source is not None):
        raise ConfigError("name one source, or --all / nommez une source, ou --all")
    if source is not None:
        finish(_harvest_one(ctx, ctx.source(source), full, from_, until), json_out)
        return
    reports: dict[str, RunReport] = {}
    errors = broken_entries(ctx)
    for sid, config in ctx.sources.items():
        try:
            reports[sid] = _harvest_one(ctx, config, full, from_, until)
        except RenIndexError as exc:  # this source could not start; the others still run
            errors[sid] = f"source {sid!r}: {exc}"
            continue
        if not json_out:
            print_report(reports[sid])
    failed = bool(errors) or any(r["status"] == "failed" for r in reports.values())
    if json_out:
        status = "failed" if failed else "completed"
        print_json({"status": status, "sources": reports, "errors": errors})
    print_errors(errors)  # on stderr, for the person reading, also beside --json
    if failed:
        raise typer.Exit(1)


def _harvest_one(
    ctx: AppContext, source: SourceConfig, full: bool, from_: str | None, until: str | None
) -> RunReport:
    from ren_index.steps.harvest import harvest_source

    progress, on_page = _harvest_progress(source.id)
    with progress:
        return harvest_source(
            ctx.ledger, source, ctx.settings, full=full, from_=from_, until=until, on_page=on_page
        )


@app.command()
@handles_errors
def process(
    source: Annotated[str | None, typer.Argument(help="Une source (toutes sinon).")] = None,
    force: Annotated[
        bool,
        typer.Option(
            "--force",
            help="Refaire toutes les notices, même inchangées (après un changement de sources.yaml)"
            " / redo every record, changed or not (after a change to sources.yaml).",
        ),
    ] = False,
    workers: Annotated[
        int | None,
        typer.Option(
            "--workers",
            min=1,
            max=256,
            help="Processus de calcul (défaut : REN_PROCESS_WORKERS, sinon tous les cœurs ; 1 = sans pool)"
            " / worker processes (default: REN_PROCESS_WORKERS, else every core; 1 = no pool).",
        ),
    ] = None,
    json_out: JsonOpt = False,
) -> None:
    """Normaliser, valider, décider / normalize, validate and decide what was harvested.

    Only what changed is redone — a harvested record, the rules. ``--force`` redoes every record:
    a source's ``defaults:``, ``review:`` or ``portals:`` are not part of the rules' fingerprint,
    so after changing them a plain pass would find nothing to do. A documentalist's decision on an
    unchanged record stands either way. ``--workers N`` computes on N cores (one process writes
    the ledger, with the same results as one worker); a pass that is killed keeps what it
    committed and the next pass does the rest.
    """
    from ren_index.config.rulebook import Rulebook
    from ren_index.steps.process import process_source

    ctx = AppContext()
    targets = [ctx.processable(source)] if source else [*ctx.sources.values(), *ctx.platforms()]
    rulebook = Rulebook.load(ctx.settings.config_dir)
    count = workers or ctx.settings.process_worker_count
    # the rulebook lives as long as this one-shot command: out of the collector's reach, full
    # collections stop walking it again (steps/process_pool.py does the same in each worker)
    gc.collect()
    gc.freeze()
    reports = [process_source(ctx.ledger, s, rulebook, force=force, workers=count) for s in targets]
    if json_out:
        print_json(reports[0] if source else reports)
    else:
        for report in reports:
            print_report(report)
    if source is None and ctx.sources.broken:
        print_errors(broken_entries(ctx))
        raise typer.Exit(1)


@app.command()
@handles_errors
def index(
    rebuild: Annotated[bool, typer.Option("--rebuild", help="Nouvel index, bascule d'alias.")] = False,
    json_out: JsonOpt = False,
) -> None:
    """Aligner l'index sur le registre / bring the index in line with the ledger."""
    from ren_index.index.client import make_client, ping_or_raise
    from ren_index.index.schema import IndexLayout
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
            layout=IndexLayout.from_settings(ctx.settings),
        )
    else:
        report = index_changes(
            ctx.ledger,
            client,
            ctx.settings.index_prefix,
            portals=list(ctx.portals),
            vocabularies=ctx.vocabularies,
            layout=IndexLayout.from_settings(ctx.settings),
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
    """Moisson → traitement → indexation en un flux Prefect / harvest → process → index as one flow.

    Every report is printed, also when a step failed; a failed index step is one line saying why
    and that the next ``ren-index index`` (or run) catches up. Prefect's own logs show with ``-v``.
    """
    ctx = AppContext()
    ids = list(ctx.sources) if all_sources else [ctx.source(sid).id for sid in sources or []]
    errors = broken_entries(ctx) if all_sources else {}
    if not ids and not errors:
        raise ConfigError("name at least one source, or --all / nommez une source, ou --all")
    result: dict[str, Any] = {"status": "failed", "sources": {}, "index": {}}
    if ids:
        from ren_index.orchestration.running import run_pipeline

        with library_logs_hidden("prefect"):
            result = run_pipeline(ids, full=full, verbose=is_verbose())
    if json_out:
        print_json({**result, "errors": errors} if all_sources else result)
    else:
        _print_run(result)
    print_errors(errors)  # on stderr, for the person reading, also beside --json
    if result["status"] != "completed" or errors:
        raise typer.Exit(1)


def _print_run(result: Mapping[str, Any]) -> None:
    """The harvest and process reports of each source, then the index step's (one line if failed)."""
    for report in result["sources"].values():
        for step in ("harvest", "process"):
            if step in report:
                print_report(report[step])
    indexed = result.get("index") or {}
    if indexed.get("status") == "failed":
        err_console.print(error_line(str(indexed.get("error", {}).get("message"))), soft_wrap=True)
    elif indexed:
        print_report(indexed)
    if result.get("error") and not result["sources"] and not indexed:  # stopped before any step
        err_console.print(error_line(str(result["error"])), soft_wrap=True)
