"""``ren-index demo``: the whole pipeline on the bundled demo repositories, end to end.

Starts what it needs — the local OpenSearch node (unless ``REN_OPENSEARCH_URL`` names a cluster
that answers) and the two demo OAI-PMH endpoints named in ``config/sources.yaml`` — then runs the
Prefect pipeline flow over them, prints the counts per status and the top hits of a French query,
and says how to look further.
"""

from __future__ import annotations

import os
import time
from contextlib import ExitStack
from urllib.parse import urlparse

from rich.table import Table

from ren_index.cli.support import AppContext, err_console, out_console
from ren_index.demo.catalogue import demo_records
from ren_index.demo.server import DemoOaiServer
from ren_index.errors import ConfigError
from ren_index.ledger import store

DEMO_SOURCES = {"demo-lom": "lom", "demo-dc": "oai_dc"}
"""Demo source id → the native format of the records its endpoint serves."""
SAMPLE_QUERY = "évaluations en mathématiques"


def _ensure_opensearch(ctx: AppContext) -> None:
    from ren_index.index.client import make_client
    from ren_index.index.local_node import LocalNode

    client = make_client(ctx.settings)
    if client.ping():
        err_console.print(f"OpenSearch répond / answers at {ctx.settings.opensearch_url}")
        return
    if "REN_OPENSEARCH_URL" in os.environ and not ctx.settings.opensearch_is_local:
        raise ConfigError(f"REN_OPENSEARCH_URL={ctx.settings.opensearch_url} does not answer")
    err_console.print("→ démarrage du nœud OpenSearch local / starting the local node (≈30 s)…")
    LocalNode(ctx.settings).start()


def run_demo(ctx: AppContext, *, keep_serving: bool = False) -> None:
    """Run the demo; with ``keep_serving`` the demo endpoints stay up until Ctrl-C."""
    sources = {sid: ctx.source(sid) for sid in DEMO_SOURCES}
    _ensure_opensearch(ctx)
    records = demo_records()
    with ExitStack() as stack:
        for sid, fmt in DEMO_SOURCES.items():
            port = urlparse(sources[sid].url).port
            if port is None:
                raise ConfigError(f"source {sid}: its url must name a port ({sources[sid].url})")
            server = DemoOaiServer(records=[r for r in records if r.metadata_format == fmt], port=port)
            server.start()
            stack.callback(server.stop)
            err_console.print(f"→ point OAI de démo / demo endpoint {sid}: {server.url}")
        from ren_index.orchestration.running import run_pipeline

        started = time.monotonic()
        result = run_pipeline(list(DEMO_SOURCES))
        elapsed = time.monotonic() - started
        if result["status"] != "completed":
            raise ConfigError(f"the demo pipeline failed: {result.get('error')}")
        _print_summary(ctx, elapsed)
        if keep_serving:
            err_console.print("Points OAI de démo en ligne ; Ctrl-C pour arrêter / Ctrl-C to stop.")
            try:
                while True:
                    time.sleep(3600)
            except KeyboardInterrupt:
                pass


def _print_summary(ctx: AppContext, elapsed: float) -> None:
    from ren_index.index.client import make_client
    from ren_index.search.query import search

    table = Table(title=f"Démo terminée en {elapsed:.1f} s / demo done", show_lines=False)
    for col in ("source", "total", "approved", "needs_review", "rejected", "deleted"):
        table.add_column(col)
    with ctx.ledger() as session:
        for sid in DEMO_SOURCES:
            c = store.status_counts(session, sid)
            table.add_row(
                sid,
                *(str(c[k]) for k in ("total", "approved", "needs_review", "rejected", "deleted")),
            )
    out_console.print(table)
    result = search(make_client(ctx.settings), f"{ctx.settings.index_prefix}-resources", SAMPLE_QUERY, size=5)
    hits = Table(title=f"« {SAMPLE_QUERY} » : {result.total} résultat(s)")
    hits.add_column("score")
    hits.add_column("titre / title")
    hits.add_column("url")
    for hit in result.hits:
        hits.add_row(f"{hit['score']:.2f}", str(hit.get("title") or "—"), str(hit.get("url")))
    out_console.print(hits)
    out_console.print(
        "Pour aller plus loin / to look further:\n"
        "  .venv/bin/ren-index queue                      # la file de validation\n"
        "  .venv/bin/ren-index review show ID             # une notice et ses anomalies\n"
        '  .venv/bin/ren-index search "fractions" --portal ecole-ouverte\n'
        "  .venv/bin/ren-index sources list\n"
        "  .venv/bin/ren-index demo --serve               # garder les points OAI de démo en ligne\n"
        "  .venv/bin/ren-index opensearch stop            # arrêter le nœud local"
    )
