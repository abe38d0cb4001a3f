"""``ren-index demo``: the whole pipeline on the bundled demo source, end to end."""

from __future__ import annotations

from typing import Annotated

import typer

from ren_index.cli.support import AppContext, handles_errors

app = typer.Typer()


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
