"""Bulk import at scale: N generated LOM files (a ``lom-files`` dump) harvested then processed.

Question (issue 12, point 6): how many records per second does a dump import store (one page
and one checkpoint per file) and then process (normalize → validate → decide), on one core, on a
SQLite ledger, and how much memory does it take? Target: at least 500 records/s.

The dump is written to a temporary folder before anything is timed: N files in folders of 500,
Normetic records varied by number (titles, levels, licences, one in seven without identifier).
The process is pinned to one CPU (Linux). A second harvest of the same dump is timed too: it
is what a nightly re-read of an unchanged dump costs (nothing new, nothing updated).

    .venv/bin/python bench/import_lom_files.py [--files 10000] [--tracemalloc]
"""

from __future__ import annotations

import argparse
import os
import resource
import tempfile
import time
import tracemalloc
from pathlib import Path
from xml.sax.saxutils import escape

from ren_index.config.rulebook import Rulebook
from ren_index.config.sources import SourceConfig
from ren_index.ledger.db import open_ledger
from ren_index.settings import load_settings
from ren_index.steps.harvest import harvest_source
from ren_index.steps.process import process_source

CONFIG = Path(__file__).resolve().parents[1] / "config"
LEVELS = ("primaire", "secondaire", "collégial", "2e cycle du secondaire")
LICENCES = (
    "https://creativecommons.org/licenses/by/4.0/",
    "https://creativecommons.org/licenses/by-sa/4.0/",
    "CC BY-NC-SA 4.0",
    "",
)
RECORD = (
    '<?xml version="1.0" encoding="UTF-8"?>\n<lom xmlns="http://ltsc.ieee.org/xsd/LOM"><general>'
    '{identifier}<title><string language="fr-CA">{title}</string></title><language>fr</language>'
    '<description><string language="fr-CA">{description}</string></description>'
    '<keyword><string language="fr-CA">sciences</string></keyword>'
    '<keyword><string language="fr-CA">laboratoire</string></keyword></general>'
    "<lifeCycle><contribute><role><source>LOMv1.0</source><value>author</value></role>"
    "<entity>BEGIN:VCARD\nVERSION:3.0\nFN:Équipe Profweb\nEND:VCARD</entity>"
    "<date><dateTime>2016-0{month}-12</dateTime></date></contribute></lifeCycle>"
    "<technical><format>text/html</format><location>https://www.profweb.example.qc.ca/r/{n}</location>"
    "</technical><educational><learningResourceType>"
    "<source>http://www.normetic.org/vdex/typeressourcev1_2.xml</source><value>exercice</value>"
    "</learningResourceType><context><source>http://www.normetic.org/vdex/contexte.xml</source>"
    "<value>{level}</value></context></educational>{rights}</lom>"
)


def write_dump(root: Path, files: int) -> int:
    """Write ``files`` LOM files under ``root`` (folders of 500); return the bytes written."""
    written = 0
    for n in range(files):
        folder = root / f"lot-{n // 500:03d}"
        folder.mkdir(parents=True, exist_ok=True)
        licence = LICENCES[n % len(LICENCES)]
        rights = (
            f'<rights><description><string language="fr-CA">{licence}</string></description></rights>'
            if licence
            else ""
        )
        identifier = (
            ""
            if n % 7 == 0
            else f"<identifier><catalog>URI</catalog><entry>https://www.profweb.example.qc.ca/r/{n}</entry>"
            "</identifier>"
        )
        text = RECORD.format(
            identifier=identifier,
            title=escape(f"Laboratoire n° {n} : mesures & incertitudes"),
            description=escape(
                f"Protocole, grille d'observation et corrigé du laboratoire {n}. "
                "Les élèves comparent leurs mesures et discutent des sources d'erreur. " * 2
            ),
            month=1 + n % 9,
            n=n,
            level=LEVELS[n % len(LEVELS)],
            rights=rights,
        )
        data = text.encode("utf-8")
        (folder / f"fiche-{n:05d}.xml").write_bytes(data)
        written += len(data)
    return written


def peak_mib() -> float:
    """Peak resident memory of this process so far (``ru_maxrss`` is in KiB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=10_000)
    parser.add_argument(
        "--tracemalloc", action="store_true", help="also trace Python allocations (slower: for memory only)"
    )
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "dump"
        started = time.perf_counter()
        size = write_dump(root, args.files)
        print(
            f"dump: {args.files} files, {size / 1e6:.1f} MB, written in {time.perf_counter() - started:.1f} s"
        )
        db_url = f"sqlite:///{tmp}/bench.db"
        settings = load_settings(data_dir=tmp, database_url=db_url, config_dir=CONFIG)
        factory = open_ledger(db_url)
        rulebook = Rulebook.load(CONFIG)
        source = SourceConfig(id="bench-lom", name="Bench", type="lom-files", path=str(root))
        if args.tracemalloc:
            tracemalloc.start()

        started = time.perf_counter()
        harvest = harvest_source(factory, source, settings)
        harvest_s = time.perf_counter() - started
        stored = harvest["counts"]["harvested"]
        print(
            f"harvest: {stored} records in {harvest_s:.1f} s = {stored / harvest_s:,.0f} records/s "
            f"(status {harvest['status']}, new {harvest['counts']['new']}, errors "
            f"{harvest['counts']['errors']}); peak RSS {peak_mib():.0f} MiB"
        )

        started = time.perf_counter()
        processed = process_source(factory, source, rulebook)
        process_s = time.perf_counter() - started
        done = processed["counts"]["processed"]
        print(
            f"process: {done} records in {process_s:.1f} s = {done / process_s:,.0f} records/s "
            f"(approved {processed['counts'].get('approved')}, needs_review "
            f"{processed['counts'].get('needs_review')}); peak RSS {peak_mib():.0f} MiB"
        )
        total_s = harvest_s + process_s
        print(f"harvest + process: {stored / total_s:,.0f} records/s on one core")

        started = time.perf_counter()
        again = harvest_source(factory, source, settings)
        again_s = time.perf_counter() - started
        print(
            f"re-import of the same dump: {again['counts']['harvested']} records in {again_s:.1f} s = "
            f"{again['counts']['harvested'] / again_s:,.0f} records/s (new {again['counts']['new']}, "
            f"updated {again['counts']['updated']}, withdrawn {again['counts']['withdrawn']})"
        )
        if args.tracemalloc:
            _, traced = tracemalloc.get_traced_memory()
            print(f"peak of traced Python allocations: {traced / 2**20:.0f} MiB")
        print(f"peak memory of this process (ru_maxrss): {peak_mib():.0f} MiB")


if __name__ == "__main__":
    main()
