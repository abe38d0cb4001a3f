"""The anomaly guard: decide whether a finished harvest is too suspicious to publish.

A partner export cut short, a repository answering half its pages with junk, a CSV saved from the
wrong sheet: the harvester cannot tell a source that really withdrew two thirds of its records
from one that broke. Rather than empty a portal, such a run is *held*: its withdrawals are not
applied and the source's index changes wait until a librarian looks and releases it
(``ren-index runs release RUN_ID``).

Pure on purpose: plain numbers in, a :class:`Hold` (or ``None``) out — no ledger, no clock — so
the rules are tested by tables of numbers and the step only gathers them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ren_index.config.rules import GuardRules
from ren_index.config.sources import SourceConfig


@dataclass(frozen=True)
class RunFigures:
    """What the guard looks at for one run and the source's history."""

    harvested: int
    errors: int
    complete: bool
    """The run saw everything the source lists (``--full``, or a feed / CSV read whole)."""
    previous_records: int | None = None
    """Records (harvested − errors) of the previous accepted complete harvest, if any."""
    previous_error_rate: float | None = None
    """Error rate of the previous accepted harvest that harvested anything, if any."""
    withdrawn: int = 0
    """How many records the run would withdraw (listed in the hold, never applied)."""

    @property
    def records(self) -> int:
        """What the source holds according to this run: harvested records that could be read."""
        return max(self.harvested - self.errors, 0)

    @property
    def error_rate(self) -> float:
        return self.errors / self.harvested if self.harvested else 0.0


@dataclass(frozen=True)
class Hold:
    """Why a run is held: stable codes, a sentence for the librarian in each language, the numbers."""

    reasons: tuple[str, ...]
    """``RECORD_COUNT_DROP`` and / or ``ERROR_RATE_JUMP``."""
    message_fr: str
    message_en: str
    figures: dict[str, Any]

    def as_json(self) -> dict[str, Any]:
        return {
            "reasons": list(self.reasons),
            "message_fr": self.message_fr,
            "message_en": self.message_en,
            **self.figures,
        }


def effective_rules(defaults: GuardRules, source: SourceConfig) -> GuardRules:
    """``validation.yaml``'s limits with the source's own ``guard:`` values laid over them."""
    if source.guard is None:
        return defaults
    overrides = source.guard.model_dump(exclude_none=True)
    return defaults.model_copy(update=overrides)


def assess(figures: RunFigures, rules: GuardRules) -> Hold | None:
    """``None`` when the run may be published as is, else the :class:`Hold` that explains why.

    Record count: only a complete run says how many records the source holds, and only against a
    previous complete one (the first harvest of a source sets the baseline) of at least
    ``min_records`` records — or when the source suddenly lists nothing at all. Error rate: judged
    on any run with at least ``min_records`` records; it must exceed the threshold *and* twice the
    previous rate, so a source that always sends a few bad rows is not held every night — only a
    jump is.
    """
    reasons: list[str] = []
    fr: list[str] = []
    en: list[str] = []
    numbers: dict[str, Any] = {
        "records": figures.records,
        "harvested": figures.harvested,
        "errors": figures.errors,
        "error_rate": round(figures.error_rate, 4),
        "previous_records": figures.previous_records,
        "previous_error_rate": (
            round(figures.previous_error_rate, 4) if figures.previous_error_rate is not None else None
        ),
        "min_ratio": rules.min_ratio,
        "max_error_rate": rules.max_error_rate,
        "would_withdraw": figures.withdrawn,
    }
    # A tiny source losing one of three records is noise; any source emptied at once is not.
    judged = figures.previous_records is not None and (
        figures.previous_records >= rules.min_records or (figures.records == 0 < figures.previous_records)
    )
    if figures.complete and figures.previous_records and judged:
        ratio = figures.records / figures.previous_records
        numbers["ratio"] = round(ratio, 4)
        if ratio < rules.min_ratio:
            reasons.append("RECORD_COUNT_DROP")
            fr.append(
                f"la source ne liste plus que {figures.records} notices contre {figures.previous_records}"
                f" à la dernière moisson complète ({ratio:.0%} < {rules.min_ratio:.0%})"
            )
            en.append(
                f"the source lists only {figures.records} records against {figures.previous_records}"
                f" at the last complete harvest ({ratio:.0%} < {rules.min_ratio:.0%})"
            )
    if figures.harvested >= rules.min_records:
        limit = max(rules.max_error_rate, 2 * (figures.previous_error_rate or 0.0))
        if figures.error_rate > limit:
            reasons.append("ERROR_RATE_JUMP")
            fr.append(
                f"{figures.errors} erreurs sur {figures.harvested} notices ({figures.error_rate:.0%},"
                f" seuil {limit:.0%})"
            )
            en.append(
                f"{figures.errors} errors in {figures.harvested} records ({figures.error_rate:.0%},"
                f" limit {limit:.0%})"
            )
    if not reasons:
        return None
    return Hold(
        reasons=tuple(reasons),
        message_fr="Moisson retenue : " + " ; ".join(fr) + ".",
        message_en="Run held: " + "; ".join(en) + ".",
        figures=numbers,
    )
