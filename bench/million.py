"""A million records on one machine: harvest → process → index end to end, time and memory per step.

    .venv/bin/python bench/million.py [--records 1000000] [--keep]
    REN_BENCH_POSTGRES_URL=postgresql+psycopg://postgres@127.0.0.1:55432/postgres \\
        .venv/bin/python bench/million.py --records 100000

Question (issue 17, point 4): can one machine take a million records through the real pipeline,
how long does each step take, and does memory stay flat with the number of records?

- **The endpoint** is a child process serving oai_dc ``ListRecords`` pages of 100 records,
  each page generated on the fly from its number (never the whole list in memory). Titles and
  descriptions are drawn word by word from a fixed French vocabulary with a seed per record, so
  records are distinct (the duplicates step has real work, not a million identical texts) and a
  run is the same every time.
- **The steps** are the project's own functions, as ``ren-index harvest / process / index`` call
  them: :func:`ren_index.steps.harvest.harvest_source` (``full=True``),
  :func:`ren_index.steps.process.process_source`, :func:`ren_index.steps.index.index_changes`,
  into a fresh ledger — a SQLite file, then a new PostgreSQL database on the server of
  ``REN_BENCH_POSTGRES_URL`` when set (created here, dropped at the end) — and an index under a
  prefix of its own (``bench-million-<random>``) on the node of ``REN_OPENSEARCH_URL``, deleted at
  the end unless ``--keep``.
- **Memory**: each step runs in a child process of its own (``spawn``); its peak is the child's
  ``ru_maxrss`` (``getrusage(RUSAGE_SELF)``, read by the child when the step returns; the process
  step's pool workers — ``REN_PROCESS_WORKERS``, else every core, as ``ren-index process`` — are
  its children: ``RUSAGE_CHILDREN`` gives the largest of them), printed
  beside its RSS just before the step started (Python, the package, the rules and vocabularies
  loaded), so the step's own growth is the difference. Flat memory means the same peak at 20,000
  and at 100,000 records.
- **The process step** is the pass and then the duplicates step ``process`` runs after it: the
  pass's own time (the run report's ``duration_s``) is printed on a line of its own.
- **Sizes** at the end: the SQLite file (with its ``-wal``) or ``pg_database_size``, and the
  index's ``store.size`` from ``_cat/indices`` (after a refresh; segments merge later, so it is
  the size right after the run, replicas included — the development node has none).

The harvest's page bound (``REN_HARVEST_MAX_PAGES``, 10,000 by default) is raised here to the
number of pages of the run: a million records at 100 a page is exactly that bound, and a real
source that large needs the same setting (or is resumed from its checkpoint by the next run).
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import random
import resource
import secrets
import tempfile
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit
from xml.sax.saxutils import escape

CONFIG = Path(__file__).resolve().parents[1] / "config"
PAGE_SIZE = 100
PREFIX = "oai_dc"
SOURCE_ID = "million"
MAX_RECORDS = 10_000_000
STEP_TIMEOUT = 6 * 3600.0
"""No step of the bench may run longer than this (a million records take well under it)."""

VOCABULARY = (
    "fonction dérivée limite continuité intégrale vecteur matrice probabilité statistique géométrie "
    "algèbre équation polynôme suite série logarithme exponentielle trigonométrie optique mécanique "
    "électricité magnétisme thermodynamique chimie molécule réaction biologie cellule génétique "
    "écologie évolution histoire géographie économie société philosophie éthique littérature poésie "
    "roman théâtre grammaire orthographe lecture écriture argumentation français anglais espagnol "
    "programmation algorithme données réseau sécurité robotique électronique dessin musique danse "
    "santé nutrition éducation physique laboratoire projet enquête débat portfolio évaluation "
    "exercices corrigés notes cours guide activité atelier capsule vidéo séquence module chapitre"
)
WORDS = VOCABULARY.split()
HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/" '
    'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
    "<responseDate>2025-06-01T00:00:00Z</responseDate>"
)
IDENTIFY = (
    HEAD + '<request verb="Identify">{url}</request><Identify><repositoryName>million</repositoryName>'
    "<baseURL>{url}</baseURL><protocolVersion>2.0</protocolVersion>"
    "<adminEmail>bench@example.org</adminEmail><earliestDatestamp>2020-01-01T00:00:00Z</earliestDatestamp>"
    "<deletedRecord>persistent</deletedRecord><granularity>YYYY-MM-DDThh:mm:ssZ</granularity>"
    "</Identify></OAI-PMH>"
)
RECORD = (
    "<record><header><identifier>oai:million:{n}</identifier>"
    "<datestamp>2025-05-{day:02d}T10:00:00Z</datestamp><setSpec>million</setSpec></header><metadata>"
    '<oai_dc:dc xmlns:oai_dc="http://www.openarchives.org/OAI/2.0/oai_dc/" '
    'xmlns:dc="http://purl.org/dc/elements/1.1/">'
    "<dc:title>{title}</dc:title><dc:description>{description}</dc:description>"
    "<dc:creator>Cégep de Sainte-Foy</dc:creator><dc:publisher>Éductive</dc:publisher>"
    "<dc:subject>{subject}</dc:subject><dc:subject>collégial</dc:subject>"
    "<dc:language>fre</dc:language><dc:date>202{year}-09-{day:02d}</dc:date>"
    "<dc:identifier>https://ressources.example.org/r/{n}</dc:identifier>"
    "<dc:rights>https://creativecommons.org/licenses/by-sa/4.0/</dc:rights>"
    "<dc:type>Guide pédagogique</dc:type><dc:format>text/html</dc:format>"
    "</oai_dc:dc></metadata></record>"
)


def record(n: int) -> str:
    """Record ``n``, the same on every run (its words come from a generator seeded with ``n``)."""
    rng = random.Random(n)
    title = " ".join(rng.choice(WORDS) for _ in range(6))
    sentences = [
        " ".join(rng.choice(WORDS) for _ in range(12)).capitalize() + "." for _ in range(rng.randint(2, 4))
    ]
    return RECORD.format(
        n=n,
        day=1 + n % 28,
        year=n % 5,
        title=escape(f"{title.capitalize()} ({n})"),
        description=escape(
            "Ressource pour le cours de mathématiques et de sciences au collégial. " + " ".join(sentences)
        ),
        subject=escape(rng.choice(WORDS).capitalize()),
    )


def page(url: str, start: int, total: int) -> str:
    """One ``ListRecords`` page from record ``start``; the token is the next page's first record."""
    end = min(start + PAGE_SIZE, total)
    records = "".join(record(n) for n in range(start, end))
    token = (
        f'<resumptionToken completeListSize="{total}" cursor="{start}">{end}</resumptionToken>'
        if end < total
        else f'<resumptionToken completeListSize="{total}" cursor="{start}"/>'
    )
    request = f'<request verb="ListRecords">{url}</request>'
    return f"{HEAD}{request}<ListRecords>{records}{token}</ListRecords></OAI-PMH>"


def serve(total: int, port_queue: Any) -> None:
    """The endpoint (child process): Identify and ListRecords pages generated on demand."""

    class Handler(BaseHTTPRequestHandler):
        timeout = 60  # a stalled client cannot hold a thread for ever

        def do_GET(self) -> None:
            params = {k: v[0] for k, v in parse_qs(urlsplit(self.path).query).items()}
            url = f"http://127.0.0.1:{port}/oai"
            token = params.get("resumptionToken") or "0"
            if params.get("verb") == "Identify":
                body = IDENTIFY.format(url=url)
            elif params.get("verb") == "ListRecords" and token.isdigit() and int(token) < total:
                body = page(url, int(token), total)
            else:
                self.send_error(400)
                return
            data = body.encode("utf-8")
            self.send_response(200)
            self.send_header("Content-Type", "text/xml; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            return

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    port = httpd.server_port
    port_queue.put(port)
    httpd.serve_forever()


def rss_mib() -> int:
    """This process's resident memory now (``VmRSS``), in MiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) // 1024
    return -1


def step(name: str, db_url: str, url: str, prefix: str, total: int, answer: Any) -> None:
    """Run one step in this child process; put ``(seconds, counts, rss before, peak)`` on ``answer``."""
    from ren_index.config.rulebook import Rulebook
    from ren_index.config.rules import load_portals
    from ren_index.config.sources import SourceConfig
    from ren_index.index.client import make_client
    from ren_index.index.schema import IndexLayout
    from ren_index.ledger.db import open_ledger
    from ren_index.settings import load_settings
    from ren_index.steps.harvest import harvest_source
    from ren_index.steps.index import index_changes
    from ren_index.steps.process import process_source

    settings = load_settings(
        database_url=db_url,
        config_dir=CONFIG,
        index_prefix=prefix,
        harvest_max_pages=max(10_000, total // PAGE_SIZE + 10),
    )
    factory = open_ledger(db_url)
    source = SourceConfig(id=SOURCE_ID, name="Million", type="oai", url=url, metadata_prefix=PREFIX)
    report: Any
    if name == "harvest":
        before = rss_mib()
        started = time.perf_counter()
        report = harvest_source(factory, source, settings, full=True)
    elif name == "process":
        rulebook = Rulebook.load(CONFIG)
        before = rss_mib()
        started = time.perf_counter()
        report = process_source(factory, source, rulebook, workers=settings.process_worker_count)
    else:
        rulebook = Rulebook.load(CONFIG)
        client = make_client(settings)
        portals = list(load_portals(CONFIG))
        before = rss_mib()
        started = time.perf_counter()
        report = index_changes(
            factory,
            client,
            prefix,
            portals=portals,
            vocabularies=rulebook.vocabularies,
            layout=IndexLayout.from_settings(settings),
        )
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024  # KiB on Linux
    pool = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024  # the largest pool worker
    within = report.get("duration_s") if name == "process" else None  # the pass, duplicates step aside
    answer.put((seconds, dict(report["counts"]), report["status"], before, peak, pool, within))


def run_step(name: str, db_url: str, url: str, prefix: str, total: int) -> tuple[Any, ...]:
    """One step in a fresh ``spawn`` child: its memory is its own, not the bench's or another step's."""
    ctx = multiprocessing.get_context("spawn")
    answer: Any = ctx.Queue()
    child = ctx.Process(target=step, args=(name, db_url, url, prefix, total, answer))
    child.start()
    try:
        result: tuple[Any, ...] = answer.get(timeout=STEP_TIMEOUT)
    except Exception as exc:
        raise SystemExit(f"{name}: the step did not finish (exit code {child.exitcode}); see above") from exc
    finally:
        child.join(timeout=60)
        if child.is_alive():
            child.kill()
    return result


def ledger_size(db_url: str) -> int:
    """Bytes on disk: the SQLite file and its write-ahead log, or ``pg_database_size``."""
    from sqlalchemy import create_engine, make_url, text

    url = make_url(db_url)
    if url.get_backend_name() == "sqlite":
        path = Path(url.database or "")
        return sum(p.stat().st_size for p in (path, Path(f"{path}-wal")) if p.exists())
    engine = create_engine(db_url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(text("SELECT pg_database_size(current_database())")).scalar_one())
    finally:
        engine.dispose()


def index_size(prefix: str) -> tuple[int, int]:
    """Documents and ``store.size`` in bytes of the bench's indices, after a refresh."""
    from ren_index.index.client import make_client
    from ren_index.settings import load_settings

    client = make_client(load_settings())
    client.indices.refresh(index=f"{prefix}-*")
    rows = client.cat.indices(index=f"{prefix}-*", format="json", bytes="b")
    return sum(int(r["docs.count"]) for r in rows), sum(int(r["store.size"]) for r in rows)


def drop_index(prefix: str) -> None:
    """Delete the bench's indices (the aliases go with them)."""
    from ren_index.index.client import make_client
    from ren_index.settings import load_settings

    client = make_client(load_settings())
    for name in client.indices.get(index=f"{prefix}-*"):
        client.indices.delete(index=name)


def postgres_database(server_url: str, name: str, *, drop: bool = False) -> str:
    """Create (or drop) database ``name`` on the server of ``server_url``; return its URL."""
    import psycopg
    from psycopg import sql
    from sqlalchemy import make_url

    server = make_url(server_url)
    conninfo = server.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(conninfo, autocommit=True) as conn:
        if drop:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        else:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return server.set(database=name).render_as_string(hide_password=False)


def mib(size: int) -> str:
    return f"{size / 2**20:,.1f} MiB"


def bench(name: str, db_url: str, url: str, total: int, keep: bool) -> None:
    """The three steps on one ledger, then its sizes; the index is deleted unless ``keep``."""
    from ren_index.ledger.db import open_ledger

    prefix = f"bench-million-{secrets.token_hex(4)}"
    open_ledger(db_url).kw["bind"].dispose()  # migrated, empty: the size records add to
    empty = ledger_size(db_url)
    whole = time.perf_counter()
    try:
        for step_name in ("harvest", "process", "index"):
            seconds, counts, status, before, peak, pool, within = run_step(
                step_name, db_url, url, prefix, total
            )
            done = counts.get("harvested") or counts.get("processed") or counts.get("indexed") or 0
            shown = ", ".join(f"{k} {v:,}" for k, v in counts.items() if v)
            print(
                f"[{name}] {step_name:7}: {done:,} in {seconds:,.1f} s = {done / seconds:,.0f} records/s;"
                f" peak RSS {peak} MiB (RSS {before} MiB at the start of the step)"
                + (f", largest pool worker {pool} MiB" if pool else "")
                + f"; {status}: {shown}",
                flush=True,
            )
            if within:
                print(
                    f"[{name}]          the pass {within:,.1f} s = {done / within:,.0f} records/s;"
                    f" the duplicates step after it {seconds - within:,.1f} s",
                    flush=True,
                )
        print(f"[{name}] harvest → process → index: {time.perf_counter() - whole:,.1f} s in all")
        docs, store = index_size(prefix)
        size = ledger_size(db_url)
        per = (size - empty) * 100_000 // total
        print(f"[{name}] ledger on disk: {mib(size)} ({mib(empty)} empty) = {mib(per)} per 100,000 records")
        print(
            f"[{name}] index: {docs:,} documents, store {mib(store)}"
            f" = {mib(store * 100_000 // max(docs, 1))} per 100,000 documents"
        )
    finally:
        if keep:
            print(f"[{name}] index kept: {prefix}-*")
        else:
            drop_index(prefix)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--keep", action="store_true", help="keep the index (its prefix is printed)")
    args = parser.parse_args()
    total: int = args.records
    if not 1 <= total <= MAX_RECORDS:
        raise SystemExit(f"--records: between 1 and {MAX_RECORDS:,}")
    print(f"{total:,} records, {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}", flush=True)

    queue: Any = multiprocessing.get_context("spawn").Queue()
    server = multiprocessing.get_context("spawn").Process(target=serve, args=(total, queue), daemon=True)
    server.start()
    url = f"http://127.0.0.1:{queue.get(timeout=30)}/oai"
    try:
        with tempfile.TemporaryDirectory() as tmp:
            os.environ["REN_DATA_DIR"] = tmp  # the children's logs and secrets stay in here
            bench("sqlite", f"sqlite:///{tmp}/million.db", url, total, args.keep)
            pg_server = os.environ.get("REN_BENCH_POSTGRES_URL")
            if pg_server:
                database = f"bench_million_{secrets.token_hex(4)}"
                db_url = postgres_database(pg_server, database)
                try:
                    bench("postgresql", db_url, url, total, args.keep)
                finally:
                    postgres_database(pg_server, database, drop=True)
        print(f"load average at the end {os.getloadavg()[0]:.1f}")
    finally:
        server.terminate()
        server.join(timeout=5)


if __name__ == "__main__":
    main()
