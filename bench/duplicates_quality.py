"""Benchmark: precision and recall of duplicate matching per relation on the labelled set.

    .venv/bin/python bench/duplicates_quality.py [--labelled FILE] [--mistakes]

The labelled set (at least 150 pairs, French and English, written by hand for the project:
same, version, translation, part, and hard negatives) is matched with ``find_pairs`` — LSH and
exact keys, then the rules of ``duplicates/matcher.py`` — and every proposal is scored against the
labels; a proposal across the file's groups counts against the truth « different ». Prints
precision and recall per relation and whether ``same`` meets its target (precision ≥ 0.95, recall
≥ 0.85); exits 1 when it does not (the figure CI guards through tests/duplicates/test_matcher.py).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from ren_index.duplicates.evaluation import evaluate, load_labelled

LABELLED = Path(__file__).resolve().parents[1] / "tests" / "duplicates" / "labelled_pairs.yaml"
SAME_PRECISION = 0.95
SAME_RECALL = 0.85


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--labelled", type=Path, default=LABELLED)
    parser.add_argument("--mistakes", action="store_true", help="list the pairs predicted wrongly")
    args = parser.parse_args()

    started = time.perf_counter()
    labelled = load_labelled(args.labelled)
    report = evaluate(labelled)
    elapsed = time.perf_counter() - started
    counts: dict[str, int] = {}
    for label in labelled.labels.values():
        counts[label] = counts.get(label, 0) + 1
    print(f"labelled set: {len(labelled.signatures)} records, {len(labelled.labels)} pairs {counts}")
    print(f"{'relation':<12} {'precision':>9} {'recall':>7} {'tp':>4} {'predicted':>9} {'actual':>6}")
    for relation, score in report.scores.items():
        print(
            f"{relation:<12} {score.precision:>9.3f} {score.recall:>7.3f} {score.true_positive:>4}"
            f" {score.predicted:>9} {score.actual:>6}"
        )
    same = report.scores["same"]
    met = same.precision >= SAME_PRECISION and same.recall >= SAME_RECALL
    print(
        f"same: precision {same.precision:.3f} (target ≥ {SAME_PRECISION}), recall {same.recall:.3f}"
        f" (target ≥ {SAME_RECALL}) — {'met / atteint' if met else 'NOT MET / NON ATTEINT'}"
    )
    print(f"time: {elapsed:.2f} s (signatures, index, matching)")
    if args.mistakes:
        for a, b, truth, guess in report.mistakes:
            print(f"  {a} {b}: labelled {truth}, predicted {guess}")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
