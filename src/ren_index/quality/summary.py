"""La qualité d'une source / a source's quality: the distribution of its scores, its weakest elements.

Why per source: a partner fixes its export, not one record at a time; what most of its records lack
is what to ask it first. Pure: it takes the records' :class:`~ren_index.quality.score.Quality`
values, wherever they were read from.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from ren_index.quality.score import MISSING_LABELS, Quality

BANDS: tuple[tuple[str, int, int], ...] = (
    ("0-19", 0, 19),
    ("20-39", 20, 39),
    ("40-59", 40, 59),
    ("60-79", 60, 79),
    ("80-100", 80, 100),
)
"""Score bands of the distribution, lowest first."""


@dataclass(frozen=True)
class Weak:
    """One ``missing`` code and how many of the source's records lack it."""

    code: str
    records: int
    share: float
    label_fr: str
    label_en: str


@dataclass(frozen=True)
class SourceQuality:
    """A source's scores: how many, their mean and median, per band, and the weakest elements."""

    records: int
    mean: float | None
    median: float | None
    distribution: dict[str, int]
    weakest: tuple[Weak, ...]


def summarize(qualities: Iterable[Quality], *, weakest: int = 5) -> SourceQuality:
    """Summarize the records of one source; ``weakest`` = how many missing codes to keep."""
    scores: list[int] = []
    lacking: Counter[str] = Counter()
    for quality in qualities:
        scores.append(quality.score)
        lacking.update({m.code for m in quality.missing})
    distribution = {band: 0 for band, _low, _high in BANDS}
    for value in scores:
        for band, low, high in BANDS:
            if low <= value <= high:
                distribution[band] += 1
    n = len(scores)
    ordered = sorted(scores)
    median = None
    if n:
        median = float(ordered[n // 2]) if n % 2 else (ordered[n // 2 - 1] + ordered[n // 2]) / 2
    weak = tuple(
        Weak(code, count, round(count / n, 3), *MISSING_LABELS.get(code, (code, code)))
        for code, count in sorted(lacking.items(), key=lambda kv: (-kv[1], kv[0]))[:weakest]
    )
    return SourceQuality(
        records=n,
        mean=round(sum(scores) / n, 1) if n else None,
        median=median,
        distribution=distribution,
        weakest=weak,
    )
