"""``ren-index demo``: the whole pipeline on the bundled demo source, end to end.

The run itself is :func:`ren_index.demo.runner.run_demo`; this module only shows it: progress
lines on stderr, the counts and the sample query's hits as tables on stdout, then where to go next.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from ren_index.cli.support import AppContext, err_console, handles_errors, out_console

if TYPE_CHECKING:
    from ren_index.demo.runner import DemoSummary

app = typer.Typer()

NEXT_STEPS = (
    "Pour aller plus loin / to look further:\n"
    "  .venv/bin/ren-index queue                      # la file de validation\n"
    "  .venv/bin/ren-index review show ID             # une notice et ses anomalies\n"
    '  .venv/bin/ren-index search "fractions" --portal ecole-ouverte\n'
    "  .venv/bin/ren-index sources list\n"
    "  .venv/bin/ren-index demo --serve               # garder les points OAI de démo en ligne\n"
    "  .venv/bin/ren-index opensearch stop            # arrêter le nœud local"
)


@app.command()
@handles_errors
def demo(
    keep_serving: Annotated[
        bool, typer.Option("--serve", help="Laisser tourner le point OAI de démo.")
    ] = False,
) -> None:
    """Tout le pipeline sur la source de démonstration / the whole pipeline on the demo source."""
    from ren_index.demo.runner import DEMO_SOURCES, run_demo

    ctx = AppContext()
    for source_id in DEMO_SOURCES:
        ctx.source(source_id)  # a broken demo entry: its own error, before anything starts
    summary = run_demo(
        ctx.settings,
        ctx.ledger,
        ctx.sources,
        say=err_console.print,
        while_serving=_show_and_serve if keep_serving else None,
    )
    if not keep_serving:
        print_summary(summary)


def print_summary(summary: DemoSummary) -> None:
    """The counts per demo source and the sample query's hits as tables, then the next steps."""
    from ren_index.demo.runner import COUNTED

    table = Table(title=f"Démo terminée en {summary.elapsed:.1f} s / demo done", show_lines=False)
    for col in ("source", *COUNTED):
        table.add_column(col)
    for sid, counts in summary.counts.items():
        table.add_row(sid, *(str(counts[k]) for k in COUNTED))
    out_console.print(table)
    hits = Table(title=f"« {summary.query} » : {summary.total} résultat(s)")
    hits.add_column("score")
    hits.add_column("titre / title")
    hits.add_column("url")
    for hit in summary.hits:
        hits.add_row(f"{hit.score:.2f}", hit.title or "—", str(hit.url))
    out_console.print(hits)
    out_console.print(NEXT_STEPS)


def _show_and_serve(summary: DemoSummary) -> None:
    """``--serve``: show the summary, then keep the demo endpoints up until Ctrl-C."""
    print_summary(summary)
    err_console.print("Points OAI de démo en ligne ; Ctrl-C pour arrêter / Ctrl-C to stop.")
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
