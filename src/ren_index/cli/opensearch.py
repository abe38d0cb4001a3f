"""``ren-index opensearch start [--nodes N]|stop|status``: local OpenSearch for development, tests
and the demo — one node by default, or a cluster of 2 to 5 nodes (one JVM each) to see how the
pipeline lives through the loss of a node."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from ren_index.cli.support import AppContext, JsonOpt, err_console, handles_errors, out_console, print_json

if TYPE_CHECKING:
    from ren_index.index.cluster import ClusterStatus
    from ren_index.index.local_node import NodeStatus

app = typer.Typer(help="OpenSearch local / local OpenSearch.", no_args_is_help=True)

NodesOpt = Annotated[
    int,
    typer.Option(
        "--nodes",
        min=1,
        max=5,
        help="Nœuds (une JVM chacun), ports à partir de celui de REN_OPENSEARCH_URL / nodes (one JVM"
        " each), ports from REN_OPENSEARCH_URL's port on.",
    ),
]


@app.command("start")
@handles_errors
def opensearch_start(nodes: NodesOpt = 1) -> None:
    """Démarrer le nœud ou le cluster local / start the local node or cluster (waits for health)."""
    from ren_index.index.cluster import LocalCluster
    from ren_index.index.local_node import LocalNode

    settings = AppContext().settings
    if nodes == 1:
        err_console.print(f"OpenSearch: {LocalNode(settings).start()}", highlight=False)
    else:
        err_console.print(f"OpenSearch: {LocalCluster(settings, nodes).start()}", highlight=False)


@app.command("stop")
@handles_errors
def opensearch_stop() -> None:
    """Arrêter tout ce que `start` a démarré / stop every node `start` started."""
    from ren_index.index.cluster import LocalCluster
    from ren_index.index.local_node import LocalNode

    settings = AppContext().settings
    cluster = LocalCluster.existing(settings)
    if cluster is not None:
        cluster.stop()
    LocalNode(settings).stop()
    err_console.print("OpenSearch: arrêté / stopped")


@app.command("status")
@handles_errors
def opensearch_status(json_out: JsonOpt = False) -> None:
    """État du nœud ou de chaque nœud du cluster / state of the node, or of each cluster node."""
    from dataclasses import asdict

    from ren_index.index.cluster import LocalCluster
    from ren_index.index.local_node import LocalNode

    settings = AppContext().settings
    cluster = LocalCluster.existing(settings)
    single = LocalNode(settings)
    # A cluster's folder outlives its nodes: it speaks unless the single node is the one running.
    if cluster is not None and (cluster.any_running() or single._live_pid() is None):
        status: ClusterStatus | NodeStatus = cluster.status()
    else:
        status = single.status()
    if json_out:
        print_json({**asdict(status), "running": status.running})
    else:
        out_console.print(str(status), highlight=False)
    if not status.running:
        raise typer.Exit(3)
