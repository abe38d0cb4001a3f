"""``ren-index process`` end to end: ledger read + normalize + validate + decide + ledger write.

Question (issue 17, points 1 and 2): how many records per second does the real ``process``
command turn through, with one worker and with two (target: ≥ 2,000 records/s on 2 cores), and
how much memory does it take (the command and its workers together)? The pure stages alone are
``bench/validate_pipeline.py``; this one times the command as a person runs it, start-up included.

N generated oai_dc records (``bench/harvest_scale.py``'s endpoint, in a child process; every
tenth record shares its address with another and six in ten their title, so ``DUPLICATE_URL`` and
``TITLE_REPEATED_IN_SOURCE`` are found) are harvested into a fresh ledger — SQLite, then PostgreSQL
when ``REN_BENCH_POSTGRES_URL`` is set (a database ``<name>_e2e`` beside it is created afresh) —
then ``ren-index process bench --workers N`` runs as a subprocess on it, once per worker count,
each on a ledger of its own. Each run prints the whole command (what a person waits for) and the
pass alone (the run report's ``duration_s``: read, the pure stages, write), the rest being the
start-up and the duplicates step the command runs after the pass. ``--profile`` also runs
``process_source`` (one worker, or ``--profile-workers N``: then cProfile sees the writer alone,
the pool's workers being other processes) in this process under cProfile and prints where the
time goes.

    .venv/bin/python bench/steps_end_to_end.py [--records 20000] [--workers 1,2] [--profile]
        [--profile-workers 2]
    REN_BENCH_POSTGRES_URL=postgresql+psycopg://... .venv/bin/python bench/steps_end_to_end.py
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import multiprocessing
import os
import pstats
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

sys.path.insert(0, str(Path(__file__).resolve().parent))
import harvest_scale  # the endpoint and its records: one generator for both benchmarks

ROOT = Path(__file__).resolve().parent.parent
TARGET = 2_000


def _page(url: str, start: int, total: int) -> str:
    """``harvest_scale``'s page, with shared addresses and titles (what a real source has)."""
    end = min(start + harvest_scale.PAGE_SIZE, total)
    records = "".join(
        harvest_scale.RECORD.format(
            n=n,
            day=1 + n % 28,
            digit=n % 10,
            title=escape(f"Ressource n° {n - n % 10 if n % 10 < 6 else n} : fonctions & dérivées"),
            description=escape(f"Notes de cours, exercices et corrigés pour la ressource {n}. " * 3),
        ).replace(f"/r/{n}<", f"/r/{n - 1 if n % 10 == 1 else n}<")
        for n in range(start, end)
    )
    token = (
        f'<resumptionToken completeListSize="{total}" cursor="{start}">{end}</resumptionToken>'
        if end < total
        else f'<resumptionToken completeListSize="{total}" cursor="{start}"/>'
    )
    request = f'<request verb="ListRecords">{url}</request>'
    return f"{harvest_scale.HEAD}{request}<ListRecords>{records}{token}</ListRecords></OAI-PMH>"


def serve(total: int, port_queue: Any) -> None:
    """The endpoint (child process)."""
    harvest_scale._page = _page
    harvest_scale.serve(total, port_queue)


def fresh_postgres(url: str) -> str:
    """A new empty database beside ``url``'s (dropped first if a previous run left it)."""
    import psycopg
    from sqlalchemy.engine import make_url

    base = make_url(url)
    name = f"{base.database}_e2e"
    admin = base.set(drivername="postgresql", database="postgres").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return base.set(database=name).render_as_string(hide_password=False)


def config_dir(tmp: Path, url: str) -> Path:
    """The project's rules with one source, ``bench``, at the local endpoint."""
    folder = tmp / "config"
    shutil.copytree(ROOT / "config", folder)
    (folder / "sources.yaml").write_text(
        f"sources:\n  bench:\n    name: Bench\n    type: oai\n    url: {url}\n    metadata_prefix: oai_dc\n"
    )
    return folder


def harvest(db_url: str, url: str) -> int:
    from ren_index.config.sources import SourceConfig
    from ren_index.ledger.db import open_ledger
    from ren_index.settings import load_settings
    from ren_index.steps.harvest import harvest_source

    factory = open_ledger(db_url)
    source = SourceConfig(id="bench", name="Bench", type="oai", url=url, metadata_prefix="oai_dc")
    report = harvest_source(factory, source, load_settings(database_url=db_url), full=True)
    factory.kw["bind"].dispose()
    return int(report["counts"]["harvested"])


def tree_rss_kib(pid: int) -> int:
    """Resident memory of a process and its children (the pool's workers), in KiB."""
    total = 0
    pids = [pid]
    children = Path(f"/proc/{pid}/task/{pid}/children")
    if children.exists():
        pids += [int(p) for p in children.read_text().split()]
    for p in pids:
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return total


def run_process(env: dict[str, str], workers: int) -> tuple[dict[str, Any], float, int]:
    """``ren-index process bench --workers N --json``: its report, seconds, peak tree RSS in MiB."""
    command = [sys.executable, "-m", "ren_index", "process", "bench", "--workers", str(workers), "--json"]
    started = time.perf_counter()
    child = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    peak = 0

    def sample() -> None:
        nonlocal peak
        while child.poll() is None:
            peak = max(peak, tree_rss_kib(child.pid))
            time.sleep(0.1)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out, err = child.communicate(timeout=3600)
    seconds = time.perf_counter() - started
    sampler.join()
    if child.returncode != 0:
        raise SystemExit(f"process --workers {workers} failed ({child.returncode}): {err.strip()[-2000:]}")
    return json.loads(out), seconds, peak // 1024


def profile(db_url: str, folder: Path, workers: int = 1) -> None:
    """``process_source`` under cProfile (this process: the writer when ``workers`` > 1): the 25
    largest cumulative times, the 15 largest own times."""
    from ren_index.config.rulebook import Rulebook
    from ren_index.config.sources import load_sources
    from ren_index.ledger.db import open_ledger
    from ren_index.steps.process import process_source

    factory = open_ledger(db_url)
    rulebook = Rulebook.load(folder)
    source = load_sources(folder / "sources.yaml")["bench"]
    profiler = cProfile.Profile()
    started = time.perf_counter()
    profiler.runcall(process_source, factory, source, rulebook, workers=workers)
    seconds = time.perf_counter() - started
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("cumulative").print_stats(25)
    stats.sort_stats("tottime").print_stats(15)
    who = "one worker, in process" if workers == 1 else f"the writer of {workers} workers"
    print(f"profile ({who}, with cProfile's overhead): {seconds:.1f} s")
    print(out.getvalue())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=20_000)
    parser.add_argument("--workers", default="1,2", help="worker counts to time, comma-separated")
    parser.add_argument("--profile", action="store_true", help="also profile one worker in process")
    parser.add_argument(
        "--profile-workers", type=int, default=1, help="workers of the profiled pass (the writer is profiled)"
    )
    args = parser.parse_args()
    total: int = args.records
    counts = [int(w) for w in args.workers.split(",")]

    spawn = multiprocessing.get_context("spawn")
    queue: Any = spawn.Queue()
    server = spawn.Process(target=serve, args=(total, queue), daemon=True)
    server.start()
    url = f"http://127.0.0.1:{queue.get(timeout=30)}/oai"
    print(f"cores: {os.cpu_count()}; records: {total:,}; target ≥ {TARGET:,} records/s on 2 cores")
    try:
        with tempfile.TemporaryDirectory() as name:
            tmp = Path(name)
            folder = config_dir(tmp, url)
            backends = ["sqlite"] + (["postgresql"] if os.environ.get("REN_BENCH_POSTGRES_URL") else [])
            for backend in backends:
                rates: dict[int, float] = {}
                pass_rates: dict[int, float] = {}
                for workers in counts:
                    if backend == "sqlite":
                        db_url = f"sqlite:///{tmp}/bench-{workers}.db"
                    else:
                        db_url = fresh_postgres(os.environ["REN_BENCH_POSTGRES_URL"])
                    started = time.perf_counter()
                    harvested = harvest(db_url, url)
                    harvest_s = time.perf_counter() - started
                    env = {
                        **os.environ,
                        "REN_DATABASE_URL": db_url,
                        "REN_CONFIG_DIR": str(folder),
                        "REN_DATA_DIR": str(tmp),
                    }
                    report, seconds, peak = run_process(env, workers)
                    done = report["counts"]["processed"]
                    rates[workers] = done / seconds
                    passed = float(report["duration_s"])
                    pass_rates[workers] = done / passed
                    statuses = {k: report["counts"][k] for k in ("approved", "needs_review", "rejected")}
                    print(
                        f"{backend}: harvested {harvested:,} in {harvest_s:.1f} s; "
                        f"process --workers {workers}: {done:,} records in {seconds:.1f} s "
                        f"= {rates[workers]:,.0f} records/s (target ≥ {TARGET:,} on 2 cores), "
                        f"peak RSS {peak} MiB (command + workers), {statuses}"
                    )
                    print(
                        f"{backend}:   of which the pass (read + normalize + validate + decide + write,"
                        f" the run's duration) {passed:.1f} s = {pass_rates[workers]:,.0f} records/s;"
                        f" start-up and the duplicates step after it {seconds - passed:.1f} s"
                    )
                    if args.profile and workers == counts[0]:
                        profile_url = f"sqlite:///{tmp}/profile.db" if backend == "sqlite" else db_url
                        if backend == "sqlite":
                            harvest(profile_url, url)
                        else:
                            profile_url = fresh_postgres(os.environ["REN_BENCH_POSTGRES_URL"])
                            harvest(profile_url, url)
                        profile(profile_url, folder, args.profile_workers)
                if 1 in rates:
                    for workers, rate in rates.items():
                        if workers != 1:
                            print(
                                f"{backend}: {workers} workers / 1 worker: {rate / rates[1]:.2f}x "
                                f"(target ≥ 1.8x); the pass alone {pass_rates[workers] / pass_rates[1]:.2f}x"
                            )
    finally:
        server.terminate()
        server.join(timeout=5)


if __name__ == "__main__":
    main()
