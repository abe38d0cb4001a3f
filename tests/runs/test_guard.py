"""The anomaly guard's rules, as a table of numbers (pure: no ledger, no network)."""

from __future__ import annotations

import pytest

from ren_index.config.rules import GuardRules
from ren_index.config.sources import SourceConfig
from ren_index.runs.guard import RunFigures, assess, effective_rules

RULES = GuardRules()


@pytest.mark.parametrize(
    ("figures", "reasons"),
    [
        (RunFigures(harvested=300, errors=0, complete=True, previous_records=300), None),
        (RunFigures(harvested=100, errors=0, complete=True, previous_records=300), ("RECORD_COUNT_DROP",)),
        (RunFigures(harvested=210, errors=0, complete=True, previous_records=300), None),  # exactly 70 %
        (RunFigures(harvested=209, errors=0, complete=True, previous_records=300), ("RECORD_COUNT_DROP",)),
        (RunFigures(harvested=100, errors=0, complete=False, previous_records=300), None),  # incremental
        (RunFigures(harvested=100, errors=0, complete=True, previous_records=None), None),  # first run
        (RunFigures(harvested=2, errors=0, complete=True, previous_records=3), None),  # too small to judge
        (RunFigures(harvested=0, errors=0, complete=True, previous_records=3), ("RECORD_COUNT_DROP",)),
        (RunFigures(harvested=100, errors=30, complete=False), ("ERROR_RATE_JUMP",)),
        (RunFigures(harvested=100, errors=30, complete=False, previous_error_rate=0.25), None),  # usual
        (
            RunFigures(harvested=100, errors=60, complete=False, previous_error_rate=0.25),
            ("ERROR_RATE_JUMP",),
        ),
        (RunFigures(harvested=5, errors=5, complete=False), None),  # below min_records
        (
            RunFigures(harvested=100, errors=50, complete=True, previous_records=300),
            ("RECORD_COUNT_DROP", "ERROR_RATE_JUMP"),
        ),
    ],
)
def test_assess(figures: RunFigures, reasons: tuple[str, ...] | None) -> None:
    hold = assess(figures, RULES)
    assert (hold.reasons if hold else None) == reasons


def test_hold_explains_in_french_first_with_the_numbers() -> None:
    hold = assess(
        RunFigures(harvested=100, errors=0, complete=True, previous_records=300, withdrawn=200), RULES
    )
    assert hold is not None
    body = hold.as_json()
    assert body["message_fr"].startswith("Moisson retenue")
    assert "100" in body["message_fr"] and "300" in body["message_en"]
    assert body["records"] == 100 and body["previous_records"] == 300 and body["would_withdraw"] == 200
    assert body["ratio"] == pytest.approx(1 / 3, abs=1e-3)


def test_source_overrides_only_what_it_names() -> None:
    source = SourceConfig.model_validate(
        {"id": "s", "name": "s", "type": "csv", "url": "https://x.example/a.csv", "guard": {"min_ratio": 0.2}}
    )
    rules = effective_rules(GuardRules(max_error_rate=0.1), source)
    assert rules.min_ratio == 0.2 and rules.max_error_rate == 0.1
    figures = RunFigures(harvested=100, errors=0, complete=True, previous_records=300)
    assert assess(figures, rules) is None


def test_guard_limits_are_validated() -> None:
    from pydantic import ValidationError

    with pytest.raises(ValidationError):
        SourceConfig.model_validate(
            {"id": "s", "name": "s", "type": "csv", "url": "https://x.example/a.csv", "guard": {"ratio": 1}}
        )
    with pytest.raises(ValidationError):
        GuardRules(min_ratio=1.5)
