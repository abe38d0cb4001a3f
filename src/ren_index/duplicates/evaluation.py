"""Precision and recall of the matcher against labelled pairs (bench/duplicates_quality.py, tests).

The labels are a documentalist's: ``same``, ``version``, ``translation``, ``part`` or
``different``. Predictions come from :func:`~ren_index.duplicates.matcher.find_pairs` over every
labelled record, so candidate generation (LSH and exact keys) is measured with the decision. The
labelled file is a closed world per group (records ``g12a``, ``g12b`` form group ``g12``): a pair
proposed across groups is a prediction against the truth ``different``. The same code will measure
the pairs documentalists label in the review queue.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ren_index.duplicates.matcher import RELATIONS, RULES, Pair, Rules, find_pairs
from ren_index.duplicates.records import Signature, signature_of
from ren_index.model import General, Identifier, Provenance, Resource, Technical

LABELS = (*RELATIONS, "different")
MAX_RECORDS = 10_000
"""A labelled file is written by hand: anything larger is a mistake, not a data set."""


@dataclass(frozen=True)
class Labelled:
    """Labelled records (as signatures) and the labels of pairs of them, keyed by ordered ids."""

    signatures: list[Signature]
    labels: dict[tuple[str, str], str]
    groups: dict[str, str] = field(default_factory=dict)
    """record id → group; empty when the file does not group records."""


def _key(a: str, b: str) -> tuple[str, str]:
    return (a, b) if a <= b else (b, a)


def resource_of(id: str, data: Mapping[str, Any]) -> Resource:
    """A record of the labelled file as the canonical record the matcher sees after ``process``."""
    lang = str(data.get("lang") or "und")
    return Resource(
        provenance=Provenance(source=str(data["src"]), identifier=id, metadata_format="lom"),
        general=General(
            title={lang: str(data["title"])},
            description={lang: str(data.get("desc") or "")} if data.get("desc") else {},
            languages=[lang],
            identifiers=[Identifier(entry=str(e)) for e in data.get("ids", [])],
        ),
        technical=Technical(locations=[str(data["url"])] if data.get("url") else []),
    )


def load_labelled(path: Path) -> Labelled:
    """Read a labelled file (``records:`` by id, ``pairs:`` as ``[a, b, label]``)."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    records: dict[str, Any] = data["records"]
    if len(records) > MAX_RECORDS:
        raise ValueError(f"{path}: {len(records)} records, more than {MAX_RECORDS}")
    signatures = [signature_of(resource_of(id, rec), id) for id, rec in records.items()]
    labels: dict[tuple[str, str], str] = {}
    for a, b, label in data["pairs"]:
        if a not in records or b not in records or label not in LABELS:
            raise ValueError(f"{path}: bad pair {a} {b} {label}")
        if _key(a, b) in labels:
            raise ValueError(f"{path}: pair {a} {b} labelled twice")
        labels[_key(a, b)] = label
    groups = {id: id.rstrip("abcdefghijklmnopqrstuvwxyz") for id in records}
    return Labelled(signatures, labels, groups)


@dataclass
class Score:
    """Counts for one relation."""

    true_positive: int = 0
    predicted: int = 0
    actual: int = 0

    @property
    def precision(self) -> float:
        return self.true_positive / self.predicted if self.predicted else 1.0

    @property
    def recall(self) -> float:
        return self.true_positive / self.actual if self.actual else 1.0


@dataclass
class Report:
    """Per relation scores, and the mistakes (to read, not only to count)."""

    scores: dict[str, Score]
    mistakes: list[tuple[str, str, str, str]]
    """(a, b, truth, predicted) for every pair whose prediction differs from its label."""
    pairs: list[Pair]


def evaluate(labelled: Labelled, rules: Rules = RULES, order: Iterable[int] | None = None) -> Report:
    """Run :func:`find_pairs` over the labelled records and score it against the labels."""
    signatures = labelled.signatures
    if order is not None:
        signatures = [signatures[i] for i in order]
    pairs = find_pairs(signatures, rules=rules)
    predicted = {p.key: p.relation for p in pairs}
    scores = {label: Score() for label in LABELS if label != "different"}
    mistakes = []
    keys = set(labelled.labels)
    groups = labelled.groups
    for key in predicted:
        if key not in keys and groups and groups.get(key[0]) != groups.get(key[1]):
            keys.add(key)  # a proposal across groups: judged against « different »
    for key in sorted(keys):
        truth = labelled.labels.get(key, "different")
        guess = predicted.get(key, "different")
        if truth in scores:
            scores[truth].actual += 1
        if guess in scores:
            scores[guess].predicted += 1
            if guess == truth:
                scores[guess].true_positive += 1
        if guess != truth:
            mistakes.append((key[0], key[1], truth, guess))
    return Report(scores, mistakes, pairs)
