"""Commands ``schedule apply|list|pause|resume`` and ``worker`` (DESIGN.md, "Command line").

``apply``, ``list``, ``pause`` and ``resume`` read and write ``$REN_DATA_DIR/schedules.json`` and
stay quick; Prefect is imported only to talk to a configured server (``PREFECT_API_URL``) and by
``worker``. See :mod:`ren_index.orchestration.schedules` for why.

Besides one deployment per scheduled source, ``links-check`` checks the links of every source on
the cron of ``validation.yaml``'s ``links.schedule`` (``source`` ``*`` in ``list``; ``pause
links-check``, ``resume links-check``); ``links.schedule: null`` removes it at the next ``apply``.

A broken entry of ``sources.yaml`` is never read as "no schedule": ``apply`` refuses until it is
fixed (else it would remove that source's deployment), ``list`` names it, and ``worker`` serves the
other sources' deployments and says which one it leaves out.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from typing import Annotated, Any

import typer
from rich.table import Table

from ren_index.cli.support import (
    AppContext,
    JsonOpt,
    err_console,
    error_line,
    handles_errors,
    out_console,
    print_json,
)
from ren_index.config.clock import TIMEZONE, local_time
from ren_index.config.rules import load_link_rules
from ren_index.errors import ConfigError
from ren_index.orchestration import schedules as scheduling

schedule_app = typer.Typer(
    help="Planification des moissons / harvest schedules (Prefect deployments).", no_args_is_help=True
)
app = typer.Typer()
app.add_typer(schedule_app, name="schedule")

SourceArg = Annotated[
    str, typer.Argument(help="Identifiant de la source, ou links-check / source id, or links-check.")
]


@schedule_app.command("apply")
@handles_errors
def schedule_apply(
    pool: Annotated[
        str | None,
        typer.Option("--pool", help="Pool de travail Prefect (avec PREFECT_API_URL) / Prefect work pool."),
    ] = None,
    json_out: JsonOpt = False,
) -> None:
    """Créer ou mettre à jour un déploiement par source planifiée, et links-check / one deployment
    per `schedule:`, and links-check (validation.yaml `links.schedule`)."""
    ctx = AppContext()
    if pool and not scheduling.api_configured():
        raise ConfigError("--pool needs a Prefect server: set PREFECT_API_URL (see README, « Planifier »)")
    if ctx.sources.broken:
        first = next(iter(ctx.sources.broken.values()))
        raise ConfigError(
            f"{first.error} — corrigez-la avant « schedule apply » (son horaire est illisible)"
            " / fix it before `schedule apply` (its schedule cannot be read)"
        )
    links_cron = load_link_rules(ctx.settings.config_dir).schedule
    changes = scheduling.apply_schedules(ctx.settings, ctx.sources, links_cron=links_cron)
    pushed: list[str] = []
    if scheduling.api_configured():
        from ren_index.orchestration.running import prepare_prefect_environment

        prepare_prefect_environment()
        entries = scheduling.load_state(scheduling.state_path(ctx.settings))
        pushed = scheduling.push_to_server(entries, pool)
    if json_out:
        print_json({"changes": changes, "pushed_to_server": len(pushed), "pool": pool})
        return
    for change in changes:
        err_console.print(
            f"{change['deployment']}: {change['action']} ({change['cron']}, {TIMEZONE})",
            highlight=False,
        )
    if pushed:
        err_console.print(
            f"{len(pushed)} déploiement(s) sur le serveur Prefect / deployment(s) on the server"
        )
    elif not changes:
        err_console.print("aucune source planifiée / no source has a `schedule:`")


@schedule_app.command("list")
@handles_errors
def schedule_list(json_out: JsonOpt = False) -> None:
    """Les planifications, dernière et prochaine moisson / schedules with last and next run."""
    ctx = AppContext()
    entries = scheduling.load_state(scheduling.state_path(ctx.settings))
    with ctx.ledger() as session:
        links_cron = load_link_rules(ctx.settings.config_dir).schedule
        rows = scheduling.schedule_rows(session, ctx.sources, entries, datetime.now(UTC), links_cron)
    if json_out:
        print_json(rows)
        return
    table = Table(
        "source",
        "cron",
        "état / state",
        "dernière / last run",
        "prochaine / next run",
    )
    for row in rows:
        last: dict[str, Any] | None = row["last_run"]
        table.add_row(
            row["deployment"] if row["kind"] == "links" else row["source"],
            row["applied"] or row["schedule"] or "—",
            row["state"],
            f"{last['status']} {_local(last['started_at'])}" if last else "—",
            local_time(row["next_run"]),
        )
    out_console.print(table)
    err_console.print(f"heures / times: {TIMEZONE}", highlight=False)
    for broken in ctx.sources.broken.values():
        err_console.print(error_line(broken.error), soft_wrap=True)


def _local(moment: str | None) -> str:
    """An ISO timestamp as Montreal wall-clock time, to the minute (what librarians read)."""
    return local_time(moment)


def _pause(name: str, paused: bool) -> None:
    ctx = AppContext()
    source = scheduling.schedule_key(name, ctx.sources)
    if source != scheduling.LINKS_KEY:
        ctx.source(source)
    entry = scheduling.set_paused(ctx.settings, source, paused)
    if scheduling.api_configured():
        from ren_index.orchestration.running import prepare_prefect_environment

        prepare_prefect_environment()
        scheduling.set_paused_on_server(source, paused)
    word = "en pause / paused" if entry.paused else "reprise / resumed"
    err_console.print(f"{scheduling.deployment_name(source)}: {word}", highlight=False)


@schedule_app.command("pause")
@handles_errors
def schedule_pause(source: SourceArg) -> None:
    """Suspendre la planification d'une source / pause a source's schedule."""
    _pause(source, True)


@schedule_app.command("resume")
@handles_errors
def schedule_resume(source: SourceArg) -> None:
    """Reprendre la planification d'une source / resume a source's schedule."""
    _pause(source, False)


@app.command()
@handles_errors
def worker(
    prefect_port: Annotated[
        int,
        typer.Option(
            "--prefect-port", help="Port du serveur Prefect local (0 : libre) / local Prefect server port."
        ),
    ] = 4200,
    limit: Annotated[
        int | None, typer.Option("--limit", help="Exécutions simultanées au plus / max concurrent runs.")
    ] = None,
) -> None:
    """Servir les déploiements planifiés sur cette machine / serve the scheduled deployments here.

    Without PREFECT_API_URL, a local Prefect server (scheduler and UI) is started beside it.
    """
    ctx = AppContext()
    entries = scheduling.load_state(scheduling.state_path(ctx.settings))
    if not entries:
        raise ConfigError(
            "no applied schedule: add `schedule:` to a source and run `ren-index schedule apply`"
        )
    for source_id in list(entries):
        if source_id == scheduling.LINKS_KEY:  # links-check: every source, none to look up
            continue
        if source_id in ctx.sources.broken:  # its runs would fail; the other sources' still run
            err_console.print(error_line(ctx.sources.broken[source_id].error), soft_wrap=True)
            del entries[source_id]
        else:
            ctx.source(source_id)
    if not entries:
        raise ConfigError("no scheduled source can run: fix sources.yaml / aucune source planifiée valide")
    from ren_index.orchestration.running import prepare_prefect_environment

    prepare_prefect_environment()
    server = None
    if not scheduling.api_configured():
        server, url = scheduling.start_local_server(prefect_port)
        os.environ["PREFECT_API_URL"] = url
        err_console.print(f"serveur Prefect local / local Prefect server: {url.removesuffix('/api')}")

    def announce(count: int) -> None:
        paused = sum(1 for e in entries.values() if e.paused)
        err_console.print(
            f"ren-index worker: {count} déploiement(s) servi(s) / serving {count} deployment(s)"
            f" ({paused} en pause / paused)",
            highlight=False,
        )

    try:
        scheduling.serve(entries, announce=announce, limit=limit)
    except KeyboardInterrupt:
        pass
    finally:
        if server is not None:
            scheduling.stop_process(server)
