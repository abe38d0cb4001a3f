"""Benchmark: search latency through the API against the same queries sent straight to OpenSearch.

    .venv/bin/python bench/search_latency.py [--docs 100000] [--runs 500] [--prefix bench] [--keep]

Loads ``--docs`` generated documents into ``<prefix>-resources-v2`` on the node at
``REN_OPENSEARCH_URL`` (through :func:`ren_index.index.bulk.send`, like ``ren-index index``),
unless an index of that size is already there (``--keep`` from an earlier run). Documents are the
demo catalogue's records, normalized and validated by the real pipeline (so levels, licences,
families, types and disciplines are the real controlled values), then varied: titles and
descriptions get words drawn from the whole catalogue, dates are spread over four years.

Then runs a fixed mix of queries ``--runs`` times each, interleaving two paths with the *same*
request body (:func:`ren_index.search.portal.build_search`), the same warm-up (20 rounds) and the
same number of runs, each path first every other run:

- **api**: HTTP GET ``/api/search`` on uvicorn in a thread, over loopback, with keep-alive, sent
  with urllib3 (``--api-client httpx``: with httpx, as before issue 17's part d);
- **direct**: ``client.search`` with opensearch-py, what a portal querying OpenSearch would do.

Both OpenSearch clients come from :func:`ren_index.index.client.make_client` (same transport:
gzip, retries, timeouts), and both paths' HTTP client is urllib3 (the API's through
:func:`api_getter`, the direct one inside opensearch-py). The API's OpenSearch client reads the
answers with orjson (:mod:`ren_index.search.fast_json`), the direct one with opensearch-py's
default ``json``, as a portal's client would. What the API path measures beyond the direct one:
the HTTP server (uvicorn in a thread of this same process, sharing its GIL with the benchmark's
client), FastAPI's routing and validation, the thread-pool hop of a sync endpoint, building the
query and shaping the answer. The bare router is served, not ``create_app`` (its middlewares —
the HTTP cache's ETag hash, security headers, session, language — add a little and are not
measured here). ``api CPU`` is this process's CPU time per API request minus per direct request:
the API's own work, steadier than wall time on a busy machine.

Every query carries the facets (the API always counts them). Prints p50 / p95 per query and
path, and the ratio of the p95s. Target (issue 17): for every query, API p95 ≤ 1.15 × direct p95
and < 30 ms (issue 5 asked ≤ 1.2× and < 50 ms over all queries).
The index is deleted at the end unless ``--keep``.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import statistics
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import urllib3
import uvicorn
from fastapi import FastAPI

from ren_index.config.rulebook import Policy
from ren_index.config.rules import load_portals, load_rules
from ren_index.config.vocabularies import Vocabularies, load_vocabularies
from ren_index.decide import decide
from ren_index.demo.catalogue import demo_records
from ren_index.demo.records import metadata_xml
from ren_index.index.bulk import send
from ren_index.index.client import make_client
from ren_index.index.documents import to_document
from ren_index.index.schema import alias_name, ensure_index
from ren_index.model import Provenance
from ren_index.normalize.registry import normalize
from ren_index.search import portal as search_api
from ren_index.settings import load_settings
from ren_index.validate import ValidationContext, validate
from ren_index.web import routes_api

PORTAL_IDS = list(load_portals(Path(__file__).resolve().parents[1] / "config"))

CONFIG = Path(__file__).resolve().parents[1] / "config"
NIV = "https://w3id.org/ren-index/vocab/niveaux/"
QUERIES: dict[str, dict[str, Any]] = {
    "french full-text": {"q": "situation d'apprentissage"},
    "french, 3 filters": {
        "q": "évaluation",
        "portal": "ecole-ouverte",
        "level": NIV + "secondaire",
        "licence": "open",
    },
    "english full-text": {"q": "reading strategies"},
    "browse by date": {"portal": "pavillon", "sort": "date"},
    "facets only, all docs": {},
}


def base_documents(vocabularies: Vocabularies) -> list[dict[str, Any]]:
    """The demo catalogue through normalize → validate → decide → to_document (real values)."""
    policy = Policy(rules=load_rules(CONFIG), portals=load_portals(CONFIG))
    docs = []
    for rec in demo_records():
        if rec.deleted:
            continue
        xml = metadata_xml(rec, rec.metadata_format)
        if xml is None:
            continue
        provenance = Provenance(
            source="bench", identifier=rec.identifier, metadata_format=rec.metadata_format
        )
        resource, issues = normalize(xml, provenance)
        ctx = ValidationContext(vocabularies=vocabularies, rules=policy.rules, defaults={})
        resource, found = validate(resource, ctx)
        decision = decide(resource, [*issues, *found], vocabularies=vocabularies, policy=policy)
        portals = decision.portals or ["ecole-ouverte"]
        source = f"source-{len(docs) % 12:02d}"
        resource = resource.model_copy(update={"provenance": replace_source(resource.provenance, source)})
        docs.append(
            to_document(
                resource, record_id="x", status="approved", portals=portals, vocabularies=vocabularies
            )
        )
    return docs


def replace_source(provenance: Provenance, source: str) -> Provenance:
    return provenance.model_copy(update={"source": source})


def generated(bases: list[dict[str, Any]], count: int, seed: int = 5) -> Iterator[tuple[str, dict[str, Any]]]:
    """``count`` varied documents: base values, extra title/description words, spread dates."""
    rng = random.Random(seed)
    words = sorted(
        {w for d in bases for t in d.get("title_fr", []) + d.get("title_en", []) for w in t.split()}
    )
    sentences = sorted({s for d in bases for t in d.get("description_fr", []) for s in t.split(". ") if s})
    start = time.mktime((2022, 1, 1, 0, 0, 0, 0, 0, -1))
    for n in range(count):
        base = bases[n % len(bases)]
        doc = dict(base)
        extra = " ".join(rng.sample(words, 2))
        for key in ("title_fr", "title_en", "title_other"):
            if key in doc:
                doc[key] = [f"{doc[key][0]} — {extra} {n}"]
        if "description_fr" in doc:
            doc["description_fr"] = [f"{doc['description_fr'][0]} {rng.choice(sentences)}."]
        doc["suggest"] = [t for k in ("title_fr", "title_en", "title_other") for t in doc.get(k, [])]
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(start + rng.randrange(4 * 365 * 86400)))
        doc["datestamp"] = doc["date_modified"] = stamp
        doc["id"] = f"bench-{n:06d}"
        yield doc["id"], doc


def serve(app: FastAPI) -> tuple[uvicorn.Server, threading.Thread, str]:
    """uvicorn on a free loopback port, in a daemon thread (what ``ren-index serve`` runs)."""
    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", access_log=False)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.02)
    port = server.servers[0].sockets[0].getsockname()[1]
    return server, thread, f"http://127.0.0.1:{port}"


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=500)
    parser.add_argument("--prefix", default="bench")
    parser.add_argument("--keep", action="store_true", help="keep the index (and reuse it next time)")
    parser.add_argument(
        "--api-client",
        choices=("urllib3", "httpx"),
        default="urllib3",
        help="HTTP client of the api path: urllib3 (default), the library opensearch-py uses on the "
        "direct path; httpx (what the benchmark used before: ~0.5 ms more CPU per request)",
    )
    args = parser.parse_args()

    settings = load_settings(
        index_prefix=args.prefix,
        config_dir=CONFIG,
        opensearch_url=os.environ.get("REN_OPENSEARCH_URL", "http://localhost:9200"),
    )
    client = make_client(settings)
    vocabularies = load_vocabularies(CONFIG)
    alias = alias_name(args.prefix)
    ensure_index(client, args.prefix, portals=PORTAL_IDS)
    have = int(client.count(index=alias)["count"])
    if have != args.docs:
        started = time.perf_counter()
        bases = base_documents(vocabularies)
        result = send(client, alias, generated(bases, args.docs), [], chunk_size=2000)
        took = time.perf_counter() - started
        print(f"loaded {len(result.indexed):,} documents in {took:.1f} s ({len(result.failed)} refused)")
    client.indices.forcemerge(index=alias, max_num_segments=1)
    stats = client.indices.stats(index=alias, metric="store,docs")["_all"]["primaries"]
    print(
        f"index {alias}: {stats['docs']['count']:,} docs, {stats['store']['size_in_bytes'] / 2**20:.0f} MiB"
        f" — machine {platform.machine()}, python {platform.python_version()}"
    )

    app = FastAPI()
    app.state.settings = settings
    app.include_router(routes_api.router)
    server, thread, base_url = serve(app)
    timings: dict[tuple[str, str], list[float]] = {}
    cpu: dict[tuple[str, str], list[float]] = {}
    try:
        with api_getter(args.api_client, base_url) as get:
            for warm in range(20):
                for params in QUERIES.values():
                    get(params)
                    client.search(index=alias, body=body_for(params, vocabularies))
                del warm
            for run in range(args.runs):
                for name, params in QUERIES.items():
                    body = body_for(params, vocabularies)
                    # each path goes first every other run: neither always follows the other
                    for path in ("direct", "api") if run % 2 == 0 else ("api", "direct"):
                        t0, c0 = time.perf_counter(), time.process_time()
                        if path == "direct":
                            client.search(index=alias, body=body)
                        else:
                            get(params)
                        timings.setdefault((name, path), []).append((time.perf_counter() - t0) * 1000)
                        cpu.setdefault((name, path), []).append((time.process_time() - c0) * 1000)
    finally:
        server.should_exit = True
        thread.join(10)
        if not args.keep:
            client.indices.delete(index=f"{args.prefix}-resources-*", ignore_unavailable=True)

    print(f"{args.runs} runs per query, interleaved; milliseconds; load average {os.getloadavg()[0]:.1f}")
    print(
        f"{'query':<24}{'direct p50':>11}{'direct p95':>11}{'api p50':>9}{'api p95':>9}{'p95 ratio':>10}"
        f"{'api CPU':>9}"
    )
    for name in QUERIES:
        direct, api = timings[(name, "direct")], timings[(name, "api")]
        d50, d95, a50, a95 = (
            percentile(direct, 50),
            percentile(direct, 95),
            percentile(api, 50),
            percentile(api, 95),
        )
        extra = statistics.mean(cpu[(name, "api")]) - statistics.mean(cpu[(name, "direct")])
        print(f"{name:<24}{d50:>11.1f}{d95:>11.1f}{a50:>9.1f}{a95:>9.1f}{a95 / d95:>10.2f}{extra:>9.2f}")
    every_direct = [v for (_, path), vs in timings.items() if path == "direct" for v in vs]
    every_api = [v for (_, path), vs in timings.items() if path == "api" for v in vs]
    d95, a95 = percentile(every_direct, 95), percentile(every_api, 95)
    print(
        f"{'all (with facets)':<24}{statistics.median(every_direct):>11.1f}{d95:>11.1f}"
        f"{statistics.median(every_api):>9.1f}{a95:>9.1f}{a95 / d95:>10.2f}"
    )
    worst = max(percentile(timings[(n, "api")], 95) / percentile(timings[(n, "direct")], 95) for n in QUERIES)
    slowest = max(percentile(timings[(n, "api")], 95) for n in QUERIES)
    verdict = "met" if worst <= 1.15 and slowest < 30 else "NOT met"
    print(
        f"target (issue 17: api p95 <= 1.15 x direct p95 for every query, < 30 ms): {verdict}"
        f" (worst ratio {worst:.2f}, slowest api p95 {slowest:.1f} ms)"
    )
    print(
        "api CPU: this process's CPU time per API request minus per direct request (mean, ms): the "
        "API's own work — HTTP client and server, FastAPI, query, answer — steadier than wall time "
        "on a busy machine"
    )
    print(f"index {'kept' if args.keep else 'deleted'}: {args.prefix}-resources-*", file=sys.stderr)


@contextmanager
def api_getter(kind: str, base_url: str) -> Iterator[Callable[[dict[str, Any]], bytes]]:
    """``GET /api/search`` with ``params`` over one kept-alive connection, raising on an error status.

    urllib3 by default: the HTTP library under opensearch-py's client on the direct path, so both
    paths pay the same client cost and the difference is the API's own.
    """
    if kind == "httpx":
        with httpx.Client(base_url=base_url) as client:

            def get_httpx(params: dict[str, Any]) -> bytes:
                return client.get("/api/search", params=params).raise_for_status().content

            yield get_httpx
        return
    with urllib3.PoolManager(maxsize=1) as pool:

        def get_urllib3(params: dict[str, Any]) -> bytes:
            response = pool.request("GET", f"{base_url}/api/search", fields=params)
            if response.status != 200:
                raise RuntimeError(f"/api/search {params}: HTTP {response.status}")
            return bytes(response.data)

        yield get_urllib3


def body_for(params: dict[str, Any], vocabularies: Vocabularies) -> dict[str, Any]:
    """The body the API sends for ``params`` (so both paths ask OpenSearch the same thing)."""
    filters = {k: [v] for k, v in params.items() if k in search_api.FILTER_FIELDS and k != "portal"}
    return search_api.build_search(
        search_api.SearchParams(
            q=params.get("q", ""),
            portal=params.get("portal"),
            filters=filters,
            sort=params.get("sort", "relevance"),
        ),
        load_portals(CONFIG),
        vocabularies,
    )


if __name__ == "__main__":
    main()
