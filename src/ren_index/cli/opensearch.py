"""``ren-index opensearch start|stop|status``: the local node for development, tests and the demo."""

from __future__ import annotations

import typer

from ren_index.cli.support import AppContext, JsonOpt, err_console, handles_errors, out_console, print_json

app = typer.Typer(help="Nœud OpenSearch local / local OpenSearch node.", no_args_is_help=True)


@app.command("start")
@handles_errors
def opensearch_start() -> None:
    """Démarrer le nœud local / start the local node (waits for cluster health)."""
    from ren_index.index.local_node import LocalNode

    status = LocalNode(AppContext().settings).start()
    err_console.print(f"OpenSearch: {status}")


@app.command("stop")
@handles_errors
def opensearch_stop() -> None:
    """Arrêter le nœud local / stop the local node."""
    from ren_index.index.local_node import LocalNode

    LocalNode(AppContext().settings).stop()
    err_console.print("OpenSearch: arrêté / stopped")


@app.command("status")
@handles_errors
def opensearch_status(json_out: JsonOpt = False) -> None:
    """État du nœud / node status."""
    from dataclasses import asdict

    from ren_index.index.local_node import LocalNode

    status = LocalNode(AppContext().settings).status()
    if json_out:
        print_json(asdict(status))
    else:
        out_console.print(str(status), highlight=False)
    if not status.running:
        raise typer.Exit(3)
