"""A source's ``defaults:`` for level, licence and resource type apply to a silent record only,
through the same vocabulary matching as a record's own value, and say so (issue 13, point 4)."""

from __future__ import annotations

from pathlib import Path

import pytest

from ren_index.config.rules import load_rules
from ren_index.config.vocabularies import Vocabularies, load_vocabularies
from ren_index.model import Issue, Provenance, Resource, Rights, Term
from ren_index.validate import ValidationContext, validate

ROOT = Path(__file__).resolve().parents[2]
SECONDARY_1 = "Secondaire 1"


@pytest.fixture(scope="module")
def vocabularies() -> Vocabularies:
    return load_vocabularies(ROOT / "config")


def _ctx(vocabularies: Vocabularies, **defaults: str) -> ValidationContext:
    return ValidationContext(vocabularies=vocabularies, rules=load_rules(ROOT / "config"), defaults=defaults)


def _record(**update: object) -> Resource:
    base = Resource(provenance=Provenance(source="s", identifier="r1", metadata_format="oai_dc"))
    return base.model_copy(update=update)


def _codes(issues: list[Issue]) -> set[str]:
    return {i.code for i in issues}


def test_a_silent_record_takes_the_level_default_and_says_so(vocabularies: Vocabularies) -> None:
    silent, issues = validate(_record(), _ctx(vocabularies))
    assert silent.controlled.levels == [] and "LEVEL_MISSING" in _codes(issues)
    filled, issues = validate(_record(), _ctx(vocabularies, level=SECONDARY_1))
    stated, _ = validate(
        _record(educational=_record().educational.model_copy(update={"contexts": [Term(value=SECONDARY_1)]})),
        _ctx(vocabularies),
    )
    assert filled.controlled.levels == stated.controlled.levels != []  # read like a record's own value
    assert "LEVEL_MISSING" not in _codes(issues)
    (info,) = [i for i in issues if i.code == "LEVEL_FROM_SOURCE_DEFAULT"]
    assert info.severity == "info" and info.value == SECONDARY_1
    assert "valeur par défaut de la source (Secondaire 1)" in info.message_fr


def test_a_stated_level_wins_over_the_default(vocabularies: Vocabularies) -> None:
    record = _record(
        educational=_record().educational.model_copy(update={"contexts": [Term(value="Primaire")]})
    )
    own, _ = validate(record, _ctx(vocabularies))
    with_default, issues = validate(record, _ctx(vocabularies, level=SECONDARY_1))
    assert with_default.controlled.levels == own.controlled.levels
    assert "LEVEL_FROM_SOURCE_DEFAULT" not in _codes(issues)


def test_an_unmapped_stated_level_is_not_silence(vocabularies: Vocabularies) -> None:
    record = _record(
        educational=_record().educational.model_copy(update={"contexts": [Term(value="Zorglub 7")]})
    )
    checked, issues = validate(record, _ctx(vocabularies, level=SECONDARY_1))
    assert checked.controlled.levels == []
    assert "LEVEL_UNMAPPED" in _codes(issues) and "LEVEL_FROM_SOURCE_DEFAULT" not in _codes(issues)


def test_the_licence_default_by_label_or_uri(vocabularies: Vocabularies) -> None:
    by_label, issues = validate(_record(), _ctx(vocabularies, licence="CC BY 4.0"))
    assert by_label.controlled.licence is not None
    assert "LICENCE_MISSING" not in _codes(issues) and "LICENCE_FROM_SOURCE_DEFAULT" in _codes(issues)
    uri = "https://creativecommons.org/licenses/by/4.0/"
    by_uri, _ = validate(_record(), _ctx(vocabularies, licence=uri))
    assert by_uri.controlled.licence == by_label.controlled.licence


def test_a_stated_licence_wins_and_an_unknown_one_is_not_silence(vocabularies: Vocabularies) -> None:
    stated = _record(rights=Rights(licence_uri="https://creativecommons.org/licenses/by-sa/4.0/"))
    checked, issues = validate(stated, _ctx(vocabularies, licence="CC BY 4.0"))
    assert checked.controlled.licence is not None and "by-sa" in checked.controlled.licence
    unknown = _record(rights=Rights(description={"fr": "Voir le site de l'éditeur"}))
    checked, issues = validate(unknown, _ctx(vocabularies, licence="CC BY 4.0"))
    assert checked.controlled.licence is None and "LICENCE_UNKNOWN" in _codes(issues)


def test_the_resource_type_default(vocabularies: Vocabularies) -> None:
    checked, issues = validate(_record(), _ctx(vocabularies, resource_type="Exercice"))
    assert checked.controlled.resource_types != []
    assert "RESOURCE_TYPE_FROM_SOURCE_DEFAULT" in _codes(issues)
    none, issues = validate(_record(), _ctx(vocabularies))
    assert none.controlled.resource_types == [] and "RESOURCE_TYPE_FROM_SOURCE_DEFAULT" not in _codes(issues)


def test_a_default_that_maps_to_nothing_is_reported_and_changes_nothing(vocabularies: Vocabularies) -> None:
    checked, issues = validate(_record(), _ctx(vocabularies, level="Niveau galactique"))
    assert checked.controlled.levels == []
    assert {"LEVEL_MISSING", "SOURCE_DEFAULT_UNMAPPED"} <= _codes(issues)
    (warning,) = [i for i in issues if i.code == "SOURCE_DEFAULT_UNMAPPED"]
    assert "sources.yaml" in warning.message_fr and warning.value == "Niveau galactique"
