"""``ren-index runs``: what each run did, ``runs RUN_ID`` for one, ``runs release RUN_ID`` for a held one.

Librarians read these the morning after the scheduled runs. A held run (see
:mod:`ren_index.runs.guard`) waits for one of them: ``runs release`` applies its withdrawals, processes
them, and the next ``index`` (or ``run``) sends the source's changes to the portals.

``runs RUN_ID`` shows one run with its problem lines (the first 50 and how many in all): a report
saying ``errors=3`` sends the librarian here to read why. Times are Montreal time with the zone
(``config.clock.local_time``); ``--json`` keeps ISO 8601 UTC.
"""

from __future__ import annotations

import getpass
from collections.abc import Mapping, Sequence
from typing import Annotated, Any

import typer
from rich.table import Table
from rich.text import Text

from ren_index.cli.support import (
    STATUS_COLOURS,
    AppContext,
    err_console,
    handles_errors,
    line,
    out_console,
    print_json,
)
from ren_index.config.clock import local_time
from ren_index.errors import ConfigError
from ren_index.runs.holds import release_run
from ren_index.runs.report import counts_summary, get_run, list_runs, problems_hint, run_problems

app = typer.Typer()

RELEASE = "release"


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    minutes, secs = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m{secs:02d}s" if hours else f"{minutes}m{secs:02d}s"


def _table(reports: Sequence[Mapping[str, Any]]) -> Table:
    table = Table(
        "id",
        "source",
        "type / kind",
        "statut / status",
        "début / started",
        "durée / duration",
        "comptes / counts",
    )
    for r in reports:
        status = str(r["status"])
        table.add_row(
            str(r["run_id"]),
            r["source"],
            r["kind"],
            Text(status, style=STATUS_COLOURS.get(status, "white")),
            local_time(r["started_at"]),
            _duration(r.get("duration_s")),
            counts_summary(r["counts"]),
        )
    return table


@app.command("runs")
@handles_errors
def runs(
    args: Annotated[
        list[str] | None,
        typer.Argument(
            help="[SOURCE] pour filtrer, RUN_ID pour une moisson et ses problèmes, ou « release RUN_ID »"
            " pour libérer une moisson retenue / [SOURCE] to filter, RUN_ID for one run and its"
            " problems, or 'release RUN_ID' to release a held run.",
            show_default=False,
        ),
    ] = None,
    json_out: Annotated[bool, typer.Option("--json", help="Un document JSON sur stdout.")] = False,
    limit: Annotated[int, typer.Option("--limit", help="Au plus N rapports / at most N reports.")] = 50,
    actor: Annotated[
        str | None, typer.Option("--as", help="Qui libère (défaut : l'utilisateur du système).")
    ] = None,
) -> None:
    """Rapports de moisson, du plus récent / run reports, newest first; `runs RUN_ID`, `runs release ID`."""
    words = list(args or [])
    ctx = AppContext()
    if words[:1] == [RELEASE]:
        if len(words) != 2 or not words[1].isdigit():
            raise ConfigError("usage: ren-index runs release RUN_ID [--as NAME]")
        _release(ctx, int(words[1]), actor or getpass.getuser(), json_out)
        return
    if len(words) > 1:
        raise ConfigError("usage: ren-index runs [SOURCE] [--json] [--limit N]")
    source = words[0] if words else None
    if source is not None and source.isdigit() and source not in ctx.sources:
        _show(ctx, int(source), json_out)
        return
    if source is not None:
        ctx.source(source)
    reports = list_runs(ctx.ledger, source, limit=limit)
    if json_out:
        print_json(reports)
        return
    out_console.print(_table(reports))
    held = [r for r in reports if r["status"] == "held"]
    for r in held:
        err_console.print(
            line(
                ("retenue / held", "yellow"),
                f" run {r['run_id']} ({r['source']}): "
                f"{r.get('hold', {}).get('message_fr', '')} → ren-index runs release {r['run_id']}",
            ),
            highlight=False,
            soft_wrap=True,
        )
    failed = [r for r in reports if r["status"] == "failed" and r.get("error")]
    for r in failed[:5]:
        err_console.print(
            line(("échec / failed", "red"), f" run {r['run_id']} ({r['source']}): {_todo(r['error'])}"),
            highlight=False,
            soft_wrap=True,
        )


def _todo(error: Mapping[str, Any]) -> str:
    """A failure's message and what to do: correct something first, or resume."""
    if error.get("fix"):
        return f"{error.get('message')} — corriger / fix: {error['fix']}"
    if error.get("resume"):
        return f"{error.get('message')} — reprendre / resume: {error['resume']}"
    return str(error.get("message"))


def _show(ctx: AppContext, run_id: int, json_out: bool) -> None:
    """One run: its report and its problem lines (first 50, and how many in all)."""
    report = get_run(ctx.ledger, run_id)
    problems, total = run_problems(ctx.ledger, run_id)
    if json_out:
        print_json({**report, "problems": problems, "problems_total": total})
        return
    status = str(report["status"])
    out_console.print(
        line(
            (f"run {run_id}", "bold"),
            f" — {report['source']} {report['kind']} : ",
            (status, STATUS_COLOURS.get(status, "white")),
        ),
        soft_wrap=True,
    )
    window = report.get("window") or {}
    fields = [
        ("début / started", local_time(report.get("started_at"))),
        ("fin / finished", local_time(report.get("finished_at"))),
        ("durée / duration", _duration(report.get("duration_s"))),
        ("comptes / counts", counts_summary(report["counts"])),
    ]
    if window.get("from") or window.get("until"):
        fields.append(("fenêtre / window", f"{window.get('from') or '…'} → {window.get('until') or '…'}"))
    for label, value in fields:
        out_console.print(f"  {label} : {value}", highlight=False, soft_wrap=True)
    if report.get("error"):
        out_console.print(
            line("  ", ("échec / failed", "red"), f": {_todo(report['error'])}"), soft_wrap=True
        )
    if total:
        out_console.print(
            f"  {total} problème(s) / problem(s)"
            + (
                f" — les {len(problems)} premiers / the first {len(problems)}:"
                if total > len(problems)
                else ":"
            ),
            highlight=False,
            soft_wrap=True,
        )
        for problem in problems:
            out_console.print(f"    - {problem}", highlight=False, soft_wrap=True)
    elif problems_hint(report):
        out_console.print(
            "  aucune ligne de problème enregistrée / no problem line recorded",
            highlight=False,
            soft_wrap=True,
        )


def _release(ctx: AppContext, run_id: int, actor: str, json_out: bool) -> None:
    """Release the run, then process what it withdrew, so the next ``index`` sends it all."""
    from ren_index.config.rulebook import Rulebook
    from ren_index.steps.process import process_source

    report = release_run(ctx.ledger, run_id, actor=actor)
    source = ctx.sources.get(report["source"])
    if source is not None:
        processed = process_source(ctx.ledger, source, Rulebook.load(ctx.settings.config_dir))
        report["process"] = processed
    if json_out:
        print_json(report)
        return
    applied = report.get("hold", {}).get("released", {}).get("withdrawals_applied", 0)
    err_console.print(
        line(
            ("libérée / released", "green"),
            f" run {run_id} ({report['source']}) par / by {actor}:"
            f" {applied} retrait(s) appliqué(s) / withdrawal(s) applied."
            " Prochaine étape / next: ren-index index",
        ),
        highlight=False,
        soft_wrap=True,
    )
