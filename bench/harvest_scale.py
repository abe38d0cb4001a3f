"""Harvest at scale: N generated records (100 per page) from a local OAI-PMH endpoint into the ledger.

Questions (issue 6, point 7; issue 17, point 3): how many records per second does ``harvest_source``
store, how does that compare with plain sickle iterating the same endpoint without storing anything
(targets: at most 1.3x on SQLite, 1.6x on PostgreSQL), and does memory grow with the number of
records (RSS sampled at 25/50/75/100 %)? Plain sickle is timed again right before each ledger's
harvest, and that ledger is compared with it: on a shared machine the load changes within a
minute, and a floor measured once at the start made the later ratio mostly noise.

The endpoint is a light generator in a child process, not ``DemoOaiServer``: the demo repository
filters its whole record list on every page (fine for the demo, quadratic at 200,000 records),
and a server in the same process would share the GIL and the memory being measured.

    .venv/bin/python bench/harvest_scale.py [--records 200000] [--again]
    REN_BENCH_POSTGRES_URL=postgresql+psycopg://... .venv/bin/python bench/harvest_scale.py
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import tempfile
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit
from xml.sax.saxutils import escape

PAGE_SIZE = 100
PREFIX = "oai_dc"
HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/" '
    'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
    "<responseDate>2025-06-01T00:00:00Z</responseDate>"
)
IDENTIFY = (
    HEAD + '<request verb="Identify">{url}</request><Identify><repositoryName>bench</repositoryName>'
    "<baseURL>{url}</baseURL><protocolVersion>2.0</protocolVersion>"
    "<adminEmail>bench@example.org</adminEmail><earliestDatestamp>2020-01-01T00:00:00Z</earliestDatestamp>"
    "<deletedRecord>persistent</deletedRecord><granularity>YYYY-MM-DDThh:mm:ssZ</granularity>"
    "</Identify></OAI-PMH>"
)
RECORD = (
    "<record><header><identifier>oai:bench:{n}</identifier>"
    "<datestamp>2025-05-{day:02d}T10:00:00Z</datestamp><setSpec>bench</setSpec></header><metadata>"
    '<oai_dc:dc xmlns:oai_dc="http://www.openarchives.org/OAI/2.0/oai_dc/" '
    'xmlns:dc="http://purl.org/dc/elements/1.1/">'
    "<dc:title>{title}</dc:title><dc:description>{description}</dc:description>"
    "<dc:creator>Cégep de Sainte-Foy</dc:creator><dc:publisher>Éductive</dc:publisher>"
    "<dc:subject>Mathématiques</dc:subject><dc:subject>collégial</dc:subject>"
    "<dc:language>fre</dc:language><dc:date>2024-09-0{digit}</dc:date>"
    "<dc:identifier>https://ressources.example.org/r/{n}</dc:identifier>"
    "<dc:rights>https://creativecommons.org/licenses/by-sa/4.0/</dc:rights>"
    "<dc:type>Guide pédagogique</dc:type><dc:format>text/html</dc:format>"
    "</oai_dc:dc></metadata></record>"
)


def _page(url: str, start: int, total: int) -> str:
    end = min(start + PAGE_SIZE, total)
    records = "".join(
        RECORD.format(
            n=n,
            day=1 + n % 28,
            digit=n % 10,
            title=escape(f"Ressource n° {n} : fonctions & dérivées <niveau 1>"),
            description=escape(
                f"Notes de cours, exercices et corrigés pour la ressource {n}. "
                "Introduction aux limites, à la continuité et au calcul différentiel. " * 3
            ),
        )
        for n in range(start, end)
    )
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
        def do_GET(self) -> None:
            params = {k: v[0] for k, v in parse_qs(urlsplit(self.path).query).items()}
            url = f"http://127.0.0.1:{self.server.server_address[1]}/oai"
            if params.get("verb") == "Identify":
                body = IDENTIFY.format(url=url)
            elif params.get("verb") == "ListRecords":
                body = _page(url, int(params.get("resumptionToken") or 0), total)
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
    port_queue.put(httpd.server_address[1])
    httpd.serve_forever()


def memory(field: str) -> int:
    """A ``/proc/self/status`` figure in MiB (``VmRSS`` now, ``VmHWM`` the peak)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) // 1024
    return -1


def plain_sickle(url: str) -> tuple[int, float, float]:
    """Iterate every record with sickle, storing nothing: the floor the harvester is compared to.

    Returns the count, the wall time and this process's CPU time (the endpoint's is not in it)."""
    from sickle import Sickle

    started, cpu = time.perf_counter(), time.process_time()
    count = sum(1 for _ in Sickle(url).ListRecords(metadataPrefix=PREFIX, ignore_deleted=False))
    return count, time.perf_counter() - started, time.process_time() - cpu


def harvest(url: str, db_url: str, total: int) -> tuple[dict[str, Any], float, float, list[tuple[int, int]]]:
    """``harvest_source`` into a fresh ledger; RSS sampled when 25/50/75/100 % were stored.

    Returns the report, the wall time, this process's CPU time and the RSS samples."""
    from ren_index.config.sources import SourceConfig
    from ren_index.harvest.base import Page
    from ren_index.ledger.db import open_ledger
    from ren_index.settings import load_settings
    from ren_index.steps.harvest import harvest_source

    settings = load_settings(database_url=db_url)
    factory = open_ledger(db_url)
    source = SourceConfig(id="bench", name="Bench", type="oai", url=url, metadata_prefix=PREFIX)
    marks = [total * q // 4 for q in (1, 2, 3, 4)]
    samples: list[tuple[int, int]] = []

    def on_page(page: Page, counts: dict[str, int]) -> None:
        while marks and counts["harvested"] >= marks[0]:
            samples.append((marks.pop(0), memory("VmRSS")))

    started, cpu = time.perf_counter(), time.process_time()
    report = harvest_source(factory, source, settings, full=True, on_page=on_page)
    return report, time.perf_counter() - started, time.process_time() - cpu, samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=200_000)
    parser.add_argument("--again", action="store_true", help="harvest everything a second time (unchanged)")
    args = parser.parse_args()
    total: int = args.records

    queue: Any = multiprocessing.get_context("spawn").Queue()
    server = multiprocessing.get_context("spawn").Process(target=serve, args=(total, queue), daemon=True)
    server.start()
    url = f"http://127.0.0.1:{queue.get(timeout=30)}/oai"
    try:
        with tempfile.TemporaryDirectory() as tmp:
            os.environ.setdefault("REN_DATA_DIR", tmp)
            targets = [("sqlite", f"sqlite:///{tmp}/bench.db", 1.3)]
            if os.environ.get("REN_BENCH_POSTGRES_URL"):
                targets.append(("postgresql", os.environ["REN_BENCH_POSTGRES_URL"], 1.6))
            for name, db_url, target in targets:
                count, plain_s, plain_cpu = plain_sickle(url)
                print(
                    f"plain sickle: {count} records in {plain_s:.1f} s = {count / plain_s:,.0f} records/s "
                    f"(CPU {plain_cpu:.1f} s, RSS {memory('VmRSS')} MiB)"
                )
                report, seconds, cpu, samples = harvest(url, db_url, total)
                stored = report["counts"]["harvested"]
                rate = stored / seconds
                rss = ", ".join(f"{n:,}: {mib} MiB" for n, mib in samples)
                print(
                    f"harvester ({name}): {stored} records in {seconds:.1f} s = {rate:,.0f} records/s "
                    f"(CPU {cpu:.1f} s), status {report['status']}, new {report['counts']['new']}"
                )
                print(f"harvester ({name}): RSS after {rss}")
                ratio = seconds / plain_s
                print(f"harvester ({name}) / plain sickle: {ratio:.2f}x the time (target ≤ {target}x)")
                # This process's CPU time (the endpoint's child process is in neither): steadier than
                # the wall clock on a shared machine, though the ledger server's work is not in it.
                print(f"harvester ({name}) / plain sickle, CPU time of this process: {cpu / plain_cpu:.2f}x")
                if args.again:  # the same records once more: every row unchanged, as most nights
                    report, seconds, _, _ = harvest(url, db_url, total)
                    print(
                        f"harvester ({name}) again: {report['counts']['unchanged']} unchanged in "
                        f"{seconds:.1f} s, {seconds / plain_s:.2f}x plain sickle (target ≤ {target}x)"
                    )
            print(f"peak memory of this process (VmHWM): {memory('VmHWM')} MiB")
    finally:
        server.terminate()
        server.join(timeout=5)


if __name__ == "__main__":
    main()
