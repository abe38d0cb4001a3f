"""Benchmark: normalize + validate + decide on 100,000 realistic records, on one core.

    .venv/bin/python bench/validate_pipeline.py [--records 100000] [--chunk 1000] [--config DIR]

Records are the demo catalogue's (LOM and oai_dc, French and English, every level and licence
wording) varied by number so that titles, URLs and descriptions differ. Payloads are built in
chunks outside the timed section; the timed section is exactly what ``ren-index process`` does
per record minus the database: ``normalize`` → ``validate`` → ``decide``, with duplicate URL
look-ups against an in-memory map. Prints records per second on one core and the peak resident
memory of the process.

Each chunk is normalized first, then the languages of its texts are detected in one go
(:func:`ren_index.validate.with_detections`), then each record is validated and decided: Lingua
run on many texts in a row keeps its models in the CPU caches. ``--per-record`` detects each
record's language while validating it instead (how a caller that does not batch runs).

What loading made (vocabularies, rules, language data: ~190,000 objects) is moved out of the
garbage collector's reach (``gc.collect(); gc.freeze()``) before the timed section, as ``ren-index
process`` does (in the command, and in each worker of its pool): every full collection otherwise
walks them again, about 14 % of the CPU time measured on 20,000 records. ``--gc-as-is`` leaves the
collector alone, to see the difference.
"""

from __future__ import annotations

import argparse
import gc
import platform
import resource
import sys
import time
from dataclasses import replace
from pathlib import Path

from ren_index.config.rulebook import Policy
from ren_index.config.rules import load_portals, load_rules
from ren_index.config.vocabularies import load_vocabularies
from ren_index.decide import decide
from ren_index.demo.catalogue import demo_records
from ren_index.demo.records import metadata_xml
from ren_index.model import Provenance
from ren_index.normalize.registry import normalize
from ren_index.validate import ValidationContext, validate, with_detections

CONFIG = Path(__file__).resolve().parents[1] / "config"


def payloads(start: int, count: int) -> list[tuple[str, str, str]]:
    """(identifier, format, payload) for records ``start .. start+count`` (varied demo records)."""
    base = [r for r in demo_records() if not r.deleted]
    out = []
    for n in range(start, start + count):
        rec = base[n % len(base)]
        varied = replace(
            rec,
            identifier=f"oai:bench.ren-index.example:{100_000 + n}",
            title=f"{rec.title} — partie {n}" if rec.title else rec.title,
            url=f"{rec.url}/{n}" if rec.url else rec.url,
        )
        xml = metadata_xml(varied, varied.metadata_format)
        assert xml is not None
        out.append((varied.identifier, varied.metadata_format, xml))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--chunk", type=int, default=1_000)
    parser.add_argument(
        "--config", type=Path, default=CONFIG, help="configuration directory (to compare rule settings)"
    )
    parser.add_argument(
        "--per-record",
        action="store_true",
        help="detect each record's language while validating it, not the chunk's in one go first",
    )
    parser.add_argument(
        "--gc-as-is",
        action="store_true",
        help="no gc.freeze() after loading (process freezes; see the docstring)",
    )
    args = parser.parse_args()

    load_started = time.perf_counter()
    vocabularies = load_vocabularies(args.config)
    policy = Policy(rules=load_rules(args.config), portals=load_portals(args.config))
    load_s = time.perf_counter() - load_started
    if not args.gc_as_is:
        gc.collect()
        gc.freeze()
    seen_urls: dict[str, str] = {}
    statuses: dict[str, int] = {}
    timed = 0.0
    timed_cpu = 0.0
    done = 0
    while done < args.records:
        chunk = payloads(done, min(args.chunk, args.records - done))
        started = time.perf_counter()
        started_cpu = time.process_time()
        ctx = ValidationContext(
            vocabularies=vocabularies, rules=policy.rules, defaults={}, duplicate_of=seen_urls.get
        )
        normalized = [
            (
                identifier,
                *normalize(xml, Provenance(source="bench", identifier=identifier, metadata_format=fmt)),
            )
            for identifier, fmt, xml in chunk
        ]
        if not args.per_record:
            ctx = with_detections(ctx, (res for _, res, _ in normalized))
        for identifier, res, issues in normalized:
            res, found = validate(res, ctx)
            decision = decide(res, [*issues, *found], vocabularies=vocabularies, policy=policy)
            if res.controlled.url:
                seen_urls.setdefault(res.controlled.url, identifier)
            statuses[decision.status.value] = statuses.get(decision.status.value, 0) + 1
        timed += time.perf_counter() - started
        timed_cpu += time.process_time() - started_cpu
        done += len(chunk)
        print(f"\r{done:>7} records, {done / timed:,.0f}/s", end="", file=sys.stderr)
    print(file=sys.stderr)
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"machine: {platform.processor() or platform.machine()}, python {platform.python_version()}")
    print(f"vocabularies + rules loaded in {load_s:.2f} s (once) from {args.config}")
    language = policy.rules.language
    how = "per record" if args.per_record else f"per chunk of {args.chunk} (with_detections)"
    print(f"language detection: {', '.join(language.detect)}, max_chars {language.max_chars}, {how}")
    collector = "as is (--gc-as-is)" if args.gc_as_is else "frozen after loading, as process does"
    print(f"garbage collector: {collector}")
    print(
        f"records: {done}  timed: {timed:.1f} s wall, {timed_cpu:.1f} s CPU"
        " (normalize + validate + decide, one core)"
    )
    print(f"throughput: {done / timed:,.0f} records/s per core (target: >= 2,500)")
    # Records per second of CPU time: what one core does when it is not shared (the wall-clock
    # figure above drops when other processes take turns on the core; this one much less).
    print(f"throughput per CPU second: {done / timed_cpu:,.0f} records/s (target: >= 2,500)")
    print(f"peak memory (max RSS of the process): {peak_mib:,.0f} MiB")
    print("statuses: " + ", ".join(f"{k}={v}" for k, v in sorted(statuses.items())))


if __name__ == "__main__":
    main()
