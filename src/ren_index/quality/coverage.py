"""La couverture des champs / field coverage: the share of records carrying each field people look at first.

One definition for every surface that measures it: the check of a source before it is added
(:mod:`ren_index.steps.source_check`, over a sample), every process run (stored with the run, so
coverage can be followed over time) and the source's page (now, and per past run). Written once
here, so "78 % have a licence" means the same on the check page, the run and the source page.

A field is *present* when the record, as validated, carries it: a title or a description with at
least one non-blank text in some language, at least one canonical language, at least one level
concept, a licence concept, a URL. Read from the record's JSON as the ledger stores it
(``Resource.model_dump(mode="json")``), so no model is built for a count. Pure: no ledger, no clock.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any, TypedDict

FIELDS = ("title", "description", "language", "level", "licence", "url")
"""The fields measured, in the order they are shown."""


class Coverage(TypedDict):
    """``{"records": n, "fields": {"title": 0.98, …}}``: shares rounded to three decimals (0 to 1)."""

    records: int
    fields: dict[str, float]


def _text(values: object) -> bool:
    return isinstance(values, Mapping) and any(str(v).strip() for v in values.values() if v is not None)


def present(record: Mapping[str, Any]) -> dict[str, bool]:
    """Which of :data:`FIELDS` a record (its JSON, or the parts of it named here) carries.

    Only ``general.title``, ``general.description`` and ``controlled`` are read, so a caller may
    pass just those (the ledger query reads no more).
    """
    general = record.get("general") or {}
    controlled = record.get("controlled") or {}
    return {
        "title": _text(general.get("title")),
        "description": _text(general.get("description")),
        "language": bool(controlled.get("languages")),
        "level": bool(controlled.get("levels")),
        "licence": bool(controlled.get("licence")),
        "url": bool(controlled.get("url")),
    }


class Tally:
    """Counts records and present fields one record at a time (a stream: nothing is kept)."""

    def __init__(self) -> None:
        self.records = 0
        self.covered: Counter[str] = Counter()

    def add(self, record: Mapping[str, Any]) -> None:
        self.records += 1
        self.covered.update(name for name, there in present(record).items() if there)

    def result(self) -> Coverage:
        n = self.records
        return {"records": n, "fields": {f: round(self.covered[f] / n, 3) if n else 0.0 for f in FIELDS}}


def coverage(records: Iterable[Mapping[str, Any]]) -> Coverage:
    """The coverage of ``records`` (an empty set covers nothing: every share 0.0)."""
    tally = Tally()
    for record in records:
        tally.add(record)
    return tally.result()
