"""The whole pipeline on the bundled demo repositories, end to end (what ``ren-index demo`` runs).

Starts what it needs — the local OpenSearch node (unless ``REN_OPENSEARCH_URL`` names a cluster
that answers) and the two demo OAI-PMH endpoints named in ``config/sources.yaml`` — then runs the
Prefect pipeline flow over them and gathers the counts per status and the top hits of a French
query in a :class:`DemoSummary`.

No printing and nothing from the command line here: progress lines go to the ``say`` callback and
the summary is returned, so ``ren_index.cli.demo`` decides how they look (and ``demo/`` stays
below ``cli/``).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from contextlib import ExitStack
from dataclasses import dataclass
from urllib.parse import urlparse

from sqlalchemy.orm import Session, sessionmaker

from ren_index.config.sources import SourceConfig, get_source
from ren_index.demo.catalogue import demo_records
from ren_index.demo.server import DemoOaiServer
from ren_index.errors import ConfigError
from ren_index.ledger import store
from ren_index.settings import Settings

DEMO_SOURCES = {"demo-lom": "lom", "demo-dc": "oai_dc"}
"""Demo source id → the native format of the records its endpoint serves."""
SAMPLE_QUERY = "évaluations en mathématiques"
COUNTED = ("total", "approved", "needs_review", "rejected", "deleted")
"""The status counts a summary holds per source, in the order they are shown."""

Say = Callable[[str], None]
"""Receives one progress line (French / English) at a time."""


@dataclass(frozen=True)
class DemoHit:
    """One hit of the sample query."""

    score: float
    title: str | None
    url: str | None


@dataclass(frozen=True)
class DemoSummary:
    """What a finished demo run shows: how long it took, counts per source, the sample query's hits."""

    elapsed: float
    """Seconds the pipeline flow took."""
    counts: dict[str, dict[str, int]]
    """Demo source id → status → records (the keys of :data:`COUNTED`)."""
    query: str
    total: int
    """Matches of ``query`` in the whole index (``hits`` holds the first five)."""
    hits: list[DemoHit]


def run_demo(
    settings: Settings,
    ledger: sessionmaker[Session],
    sources: Mapping[str, SourceConfig],
    *,
    say: Say,
    while_serving: Callable[[DemoSummary], None] | None = None,
) -> DemoSummary:
    """Run the demo over the demo sources of ``sources`` and return its summary.

    ``while_serving``, when given, is called with the summary while the demo endpoints are still up
    (``ren-index demo --serve`` waits there until Ctrl-C); they stop when it returns. A failed
    pipeline or a demo source without a port in its URL is a :class:`ConfigError`.
    """
    demo_sources = {sid: get_source(dict(sources), sid) for sid in DEMO_SOURCES}
    _ensure_opensearch(settings, say)
    records = demo_records()
    with ExitStack() as stack:
        for sid, fmt in DEMO_SOURCES.items():
            port = urlparse(demo_sources[sid].url).port
            if port is None:
                raise ConfigError(f"source {sid}: its url must name a port ({demo_sources[sid].url})")
            server = DemoOaiServer(records=[r for r in records if r.metadata_format == fmt], port=port)
            server.start()
            stack.callback(server.stop)
            say(f"→ point OAI de démo / demo endpoint {sid}: {server.url}")
        from ren_index.orchestration.running import run_pipeline

        started = time.monotonic()
        result = run_pipeline(list(DEMO_SOURCES))
        elapsed = time.monotonic() - started
        if result["status"] != "completed":
            raise ConfigError(f"the demo pipeline failed: {result.get('error')}")
        summary = _summarize(settings, ledger, elapsed)
        if while_serving is not None:
            while_serving(summary)
    return summary


def _ensure_opensearch(settings: Settings, say: Say) -> None:
    """Use the cluster that answers; start the local node only for a local or default URL."""
    from ren_index.index.client import make_client
    from ren_index.index.local_node import LocalNode

    client = make_client(settings)
    if client.ping():
        say(f"OpenSearch répond / answers at {settings.opensearch_url}")
        return
    if settings.opensearch_url_is_explicit and not settings.opensearch_is_local:
        raise ConfigError(f"REN_OPENSEARCH_URL={settings.opensearch_url} does not answer")
    say("→ démarrage du nœud OpenSearch local / starting the local node (≈30 s)…")
    LocalNode(settings).start()


def _summarize(settings: Settings, ledger: sessionmaker[Session], elapsed: float) -> DemoSummary:
    from ren_index.index.client import make_client
    from ren_index.search.query import search

    with ledger() as session:
        counts = {sid: store.status_counts(session, sid) for sid in DEMO_SOURCES}
    result = search(make_client(settings), f"{settings.index_prefix}-resources", SAMPLE_QUERY, size=5)
    hits = [
        DemoHit(
            score=float(hit["score"]),
            title=str(hit["title"]) if hit.get("title") else None,
            url=str(hit["url"]) if hit.get("url") is not None else None,
        )
        for hit in result.hits
    ]
    return DemoSummary(
        elapsed=elapsed,
        counts={sid: {k: c[k] for k in COUNTED} for sid, c in counts.items()},
        query=SAMPLE_QUERY,
        total=result.total,
        hits=hits,
    )
