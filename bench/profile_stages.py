"""Profiling helper: where the time of ``validate_pipeline.py`` goes, stage by stage and check by check.

    .venv/bin/python bench/profile_stages.py [--records 3000] [--cprofile] [--per-record]

Runs the same records as the benchmark (same payloads, same order) twice — the first pass warms
the caches and loads the language models, the second is the one to read — and prints microseconds
per record for normalize, each validation check, the model copies ``validate`` makes, and decide.
With ``--cprofile`` it also prints the 35 most expensive functions of the second pass. A figure
here is for finding hot spots only: the benchmark's throughput is the one to quote.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from validate_pipeline import CONFIG, payloads

from ren_index.config.rulebook import Policy
from ren_index.config.rules import load_portals, load_rules
from ren_index.config.vocabularies import load_vocabularies
from ren_index.decide import decide
from ren_index.model import Provenance
from ren_index.normalize.registry import normalize
from ren_index.validate import CHECKS, ValidationContext, with_detections


def run(
    chunk: list[tuple[str, str, str]], policy: Policy, ctx: ValidationContext, label: str, per_record: bool
) -> None:
    """One pass over ``chunk``, timing each stage and check separately.

    As the benchmark does it: the whole chunk normalized, then its languages detected in one go
    (``with_detections``; ``per_record``: inside ``check_languages`` instead), then each record
    validated and decided."""
    checks = CHECKS
    per_check = {check.__name__: 0.0 for check in checks}
    copy_s = decide_s = 0.0
    started = time.perf_counter()
    normalized = [
        normalize(xml, Provenance(source="bench", identifier=identifier, metadata_format=fmt))
        for identifier, fmt, xml in chunk
    ]
    normalize_s = time.perf_counter() - started
    t0 = time.perf_counter()
    if not per_record:
        ctx = with_detections(ctx, (res for res, _ in normalized))
    detect_s = time.perf_counter() - t0
    for res, issues in normalized:
        found = []
        controlled = None
        for check in checks:
            t1 = time.perf_counter()
            updates, more = check(res, ctx)
            t2 = time.perf_counter()
            per_check[check.__name__] += t2 - t1
            found += more
            if updates:  # as ``validate`` does it: one copy a record, then the values set in place
                if controlled is None:
                    controlled = res.controlled.model_copy()
                    res = res.model_copy(update={"controlled": controlled})
                for name, value in updates.items():
                    setattr(controlled, name, value)
                copy_s += time.perf_counter() - t2
        t3 = time.perf_counter()
        decide(res, [*issues, *found], vocabularies=ctx.vocabularies, policy=policy)
        decide_s += time.perf_counter() - t3
    n = len(chunk)
    total = time.perf_counter() - started
    print(
        f"{label}: {n / total:,.0f} records/s | normalize {normalize_s / n * 1e6:.0f} us"
        f" | languages detected ahead {detect_s / n * 1e6:.0f} us"
        f" | copies {copy_s / n * 1e6:.0f} us | decide {decide_s / n * 1e6:.0f} us"
    )
    print("   checks (us/record): " + ", ".join(f"{k} {v / n * 1e6:.0f}" for k, v in per_check.items()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=3000)
    parser.add_argument("--cprofile", action="store_true")
    parser.add_argument("--per-record", action="store_true", help="detect languages inside check_languages")
    args = parser.parse_args()
    vocabularies = load_vocabularies(CONFIG)
    policy = Policy(rules=load_rules(CONFIG), portals=load_portals(CONFIG))
    ctx = ValidationContext(vocabularies=vocabularies, rules=policy.rules)
    chunk = payloads(0, args.records)
    run(chunk, policy, ctx, "warm-up", args.per_record)
    if args.cprofile:
        profiler = cProfile.Profile()
        profiler.enable()
        run(chunk, policy, ctx, "profiled", args.per_record)
        profiler.disable()
        pstats.Stats(profiler).sort_stats("tottime").print_stats(35)
    else:
        run(chunk, policy, ctx, "measured", args.per_record)


if __name__ == "__main__":
    main()
