"""``ren-index links check [SOURCE ...|--all] [--json]``: the link health of live records.

A thin shell over :func:`ren_index.steps.links.check_links`: it checks what is due, applies the
outcomes at once (issues, statuses, the index) and prints the pass's report — in words, French
first, or with ``--json`` as the run report. It exits 0 when it did its job, dead links found or
not (they are data); a pass that could not finish is one line on stderr with the command that
resumes it, and exit 1.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from ren_index.cli.support import (
    AppContext,
    JsonOpt,
    err_console,
    error_line,
    handles_errors,
    library_logs_hidden,
    line,
    print_json,
)
from ren_index.config.rulebook import Rulebook
from ren_index.links.outcomes import LinkResult
from ren_index.steps.links import check_links

app = typer.Typer(help="Santé des liens / link health.", no_args_is_help=True)

WORDS = (
    ("ok", "ok", "ok"),
    ("redirected", "redirigés", "redirected"),
    ("broken", "brisés", "broken"),
    ("soft_404", "pages « introuvable »", "soft 404"),
    ("unreachable", "injoignables", "unreachable"),
    ("skipped", "non vérifiés", "skipped"),
)
STATUS_WORDS = {"completed": "terminé / completed", "failed": "en échec / failed"}
APPLIED_WORDS = (
    ("declared_broken", "déclarés brisés", "declared broken"),
    ("recovered", "rétablis", "recovered"),
    ("moved", "déplacés", "moved"),
    ("kept_published", "gardés publiés", "kept published"),
    ("unpublished", "retirés des portails", "taken off the portals"),
    ("restored", "republiés", "published again"),
    ("spared", "épargnés (hôte en panne)", "spared (host down)"),
)


@app.command("check")
@handles_errors
def check(
    sources: Annotated[list[str] | None, typer.Argument(help="Sources (identifiants / ids).")] = None,
    all_sources: Annotated[bool, typer.Option("--all", help="Toutes les sources / every source.")] = False,
    json_out: JsonOpt = False,
) -> None:
    """Vérifier les liens des notices vivantes / check the links of live records."""
    if not sources and not all_sources:
        err_console.print(
            error_line("nommer des sources ou --all / name sources or --all: ren-index links check --all"),
            soft_wrap=True,
        )
        raise typer.Exit(2)
    ctx = AppContext()
    rulebook = Rulebook.load(ctx.settings.config_dir)
    progress, on_result = (None, None) if json_out else _progress()
    with library_logs_hidden("opensearch", "ren_index.steps.links"):
        if progress is not None:
            progress.start()
        try:
            report = check_links(
                ctx.ledger,
                ctx.settings,
                rulebook,
                sources=ctx.sources,
                source_ids=None if all_sources else list(sources or []),
                on_result=on_result,
            )
        finally:
            if progress is not None:
                progress.stop()
    if json_out:
        print_json(report)
    else:
        print_words(report)
    if report.get("status") == "failed":
        if json_out:  # the words said it already
            error = report.get("error") or {}
            err_console.print(_failure_line(error), soft_wrap=True)
        raise typer.Exit(1)


def _progress() -> tuple[Progress, Any]:
    progress = Progress(
        TextColumn("liens / links", style="bold", markup=False),
        BarColumn(),
        TextColumn("{task.completed}", markup=False),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
    )
    task = progress.add_task("links", total=None)

    def on_result(_result: LinkResult) -> None:
        progress.advance(task)

    return progress, on_result


def _failure_line(error: Mapping[str, Any]) -> Any:
    message = str(error.get("message") or "?")
    resume = error.get("resume")
    return error_line(f"{message} — reprendre / resume: {resume}" if resume else message)


def print_words(report: Mapping[str, Any]) -> None:
    """The pass for people, on stderr: counts, hosts down, what was applied (French first)."""
    counts = report.get("counts") or {}
    parts = [
        f"{counts[key]} {fr}" + (f" / {en}" if en != fr else "") for key, fr, en in WORDS if counts.get(key)
    ]
    status = str(report.get("status"))
    err_console.print(
        line(
            (f"liens / links ({report.get('source')}, run {report.get('run_id')})", "bold"),
            ": ",
            (STATUS_WORDS.get(status, status), "green" if status == "completed" else "red"),
            f" — {counts.get('checked', 0)} vérifiés / checked",
            f" ({', '.join(parts)})" if parts else "",
        ),
        highlight=False,
        soft_wrap=True,
    )
    for host in report.get("hosts_down") or []:
        err_console.print(
            line(
                ("  hôte en panne / host down: ", "yellow"),
                f"{host.get('host')} ({host.get('failure')}, {host.get('failing')}/{host.get('checked')})"
                " — aucune notice pénalisée / no record penalized",
            ),
            highlight=False,
            soft_wrap=True,
        )
    applied = report.get("applied") or {}
    done = [f"{applied[key]} {fr} / {en}" for key, fr, en in APPLIED_WORDS if applied.get(key)]
    if done:
        err_console.print(f"  appliqué / applied: {', '.join(done)}", highlight=False, soft_wrap=True)
    if applied.get("publish_deferred"):
        err_console.print(
            line(
                (
                    f"  {applied['publish_deferred']} notice(s) à publier au prochain « ren-index index » /"
                    " to publish with the next `ren-index index`",
                    "yellow",
                )
            ),
            soft_wrap=True,
        )
    if report.get("status") == "failed":
        err_console.print(_failure_line(report.get("error") or {}), soft_wrap=True)
