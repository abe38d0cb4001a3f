"""No record approved before issue 11 is now rejected, and every status change has a documented reason.

``tests/fixtures/statuses/baseline.json`` holds the status and issue codes of the live demo records
and of a 3,000-record sample of the benchmark corpus (fixed seed), as the code *before* issue 11
decided them; ``tests/fixtures/statuses/produce.py`` (its docstring gives the command) wrote it from
a ``git archive`` of that code and computes the same outcomes with today's code here.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = ROOT / "tests" / "fixtures" / "statuses"

Outcomes = dict[str, dict[str, dict[str, object]]]
"""The baseline: kind → record id → ``{"status": ..., "codes": [...]}``."""
Now = dict[str, dict[str, tuple[str, list[str]]]]
"""Today's outcomes: kind → record id → (status, codes)."""
Change = tuple[str, str, str]
"""(status before, status now, issue code whose arrival or departure explains it)."""

STATUS_CHANGES: dict[Change, str] = {
    # Every allowed status change, with its documented reason (docs/validation.md). On the demo
    # and the benchmark sample the level parser changed no status: the table is empty and a
    # change appearing here has to be explained before it is accepted.
}
"""Kinds of status change allowed, each with its reason."""

CODE_CHANGES: dict[tuple[str, str], str] = {
    ("+", "LICENCE_NOT_OPEN"): "decide.py runs portal policies on a record with no portal (informs only)",
    ("-", "LEVEL_UNMAPPED"): "the level parser reads compound wordings",
    ("-", "NO_PORTAL"): "the level parser reads compound wordings: the record routes",
    ("+", "LEVEL_AMBIGUOUS"): "the level parser compares a bracketed equivalence with the main reading",
}
"""Issue codes that may appear (+) or disappear (-) on a record, each with its reason."""


ROUTING_CODES = frozenset({"NO_PORTAL", "LICENCE_NOT_OPEN", "LANGUAGE_NOT_ACCEPTED"})


def _codes(outcome: dict[str, object]) -> list[str]:
    codes = outcome["codes"]
    assert isinstance(codes, list)
    return [str(c) for c in codes]


def _produce() -> ModuleType:
    spec = importlib.util.spec_from_file_location("status_baseline_produce", FIXTURE / "produce.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def before() -> Outcomes:
    data: Outcomes = json.loads((FIXTURE / "baseline.json").read_text("utf-8"))
    return data


@pytest.fixture(scope="module")
def now() -> Now:
    result: Now = _produce().outcomes(ROOT / "config")
    return result


@pytest.mark.parametrize("kind", ["demo", "bench"])
def test_no_approved_record_is_now_rejected(kind: str, before: Outcomes, now: Now) -> None:
    assert set(before[kind]) == set(now[kind]), "the same records are processed"
    worse = [
        i for i, old in before[kind].items() if old["status"] == "approved" and now[kind][i][0] == "rejected"
    ]
    assert worse == []


@pytest.mark.parametrize("kind", ["demo", "bench"])
def test_every_status_change_is_documented(kind: str, before: Outcomes, now: Now) -> None:
    unexplained = []
    changed = 0
    for identifier, old in before[kind].items():
        status, codes = now[kind][identifier]
        if status == old["status"]:
            continue
        changed += 1
        moved = set(codes) ^ set(_codes(old))
        if not any((old["status"], status, c) in STATUS_CHANGES for c in moved):
            unexplained.append((identifier, old["status"], status, sorted(moved)))
    assert unexplained == []
    approved_before = sum(1 for o in before[kind].values() if o["status"] == "approved")
    approved_now = sum(1 for s, _ in now[kind].values() if s == "approved")
    assert approved_now >= approved_before - changed


@pytest.mark.parametrize("kind", ["demo", "bench"])
def test_every_level_and_routing_code_change_is_documented(kind: str, before: Outcomes, now: Now) -> None:
    """Codes of the level check and of routing only: other checks change in their own issues."""
    unexplained = set()
    for identifier, old in before[kind].items():
        _, now_codes = now[kind][identifier]
        codes = [c for c in now_codes if c in ROUTING_CODES or c.startswith("LEVEL_")]
        old_codes = [c for c in _codes(old) if c in ROUTING_CODES or c.startswith("LEVEL_")]
        for code in set(codes) - set(old_codes):
            if ("+", code) not in CODE_CHANGES:
                unexplained.add(("+", code))
        for code in set(old_codes) - set(codes):
            if ("-", code) not in CODE_CHANGES:
                unexplained.add(("-", code))
    assert unexplained == set()


def test_the_sample_is_the_documented_one(before: Outcomes) -> None:
    produce = _produce()
    numbers = produce.bench_numbers()
    assert len(numbers) == produce.BENCH_SAMPLE == len(before["bench"])
    assert {f"oai:bench.ren-index.example:{100_000 + n}" for n in numbers} == set(before["bench"])
