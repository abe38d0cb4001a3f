"""The title counts of one source at a million records: a ``Counter`` of the keys beside ``TitleCounts``.

Question (issue 17, point 4): ``TITLE_REPEATED_IN_SOURCE`` needs, before the first record of a
pass is validated, how many records of the source carry each title key. How much memory does that
take in the process step's writer, and how much is sent to each pool worker, as the source grows?
N title keys (one per record; one record in ten shares its title with nine others, the rest distinct, as
``bench/million.py``'s generated titles mostly are) are counted with a ``Counter`` of the keys
(before) and with :class:`ren_index.validate.title_counts.TitleCounts` (digests, then only the
repeated ones kept); for each: the peak of Python allocations while counting (``tracemalloc``),
what stays once counted, and the pickle a worker receives.

    .venv/bin/python bench/title_counts.py [--records 1000000]
"""

from __future__ import annotations

import argparse
import pickle
import time
import tracemalloc
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

from ren_index.validate.title_counts import TitleCounts


def keys(total: int) -> Iterator[str]:
    """A title key per record: one record in ten shares its title with nine others, the rest distinct."""
    for n in range(total):
        shared = n % 10 == 0
        yield f"fiche {n // 100} : exercices" if shared else f"ressource {n} : fonctions et dérivées"


def measure(name: str, total: int, count: Callable[[int], Any]) -> None:
    tracemalloc.start()
    started = time.perf_counter()
    counts = count(total)
    seconds = time.perf_counter() - started
    kept, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    sent = len(pickle.dumps(counts, protocol=pickle.HIGHEST_PROTOCOL))
    print(
        f"{name:12}: {total:,} keys counted in {seconds:.1f} s; peak {peak / 2**20:,.1f} MiB while counting,"
        f" {kept / 2**20:,.1f} MiB kept; {sent / 2**20:,.1f} MiB sent to each worker"
    )


def with_counter(total: int) -> Counter[str]:
    counts: Counter[str] = Counter()
    for key in keys(total):
        counts.update((key,))
    return counts


def with_title_counts(total: int) -> TitleCounts:
    counts = TitleCounts()
    for key in keys(total):
        counts.update((key,))
    return counts.freeze()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    total = parser.parse_args().records
    import numpy  # noqa: F401  # loaded before measuring: the process step has it loaded already

    measure("Counter", total, with_counter)
    measure("TitleCounts", total, with_title_counts)


if __name__ == "__main__":
    main()
