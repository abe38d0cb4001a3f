"""The pure core of corrections: applying overlays, spotting source changes, cleaning values."""

from __future__ import annotations

import json
from pathlib import Path

from ren_index.config.rulebook import Rulebook
from ren_index.model import Controlled, General, Issue, Provenance, Resource, Technical
from ren_index.overlays import (
    apply_controlled_overlays,
    apply_text_overlays,
    changed_at_source,
    clean_value,
    source_value,
)

RULEBOOK = Rulebook.load(Path(__file__).resolve().parents[1] / "config")


NIVEAUX = "https://w3id.org/ren-index/vocab/niveaux/"


def record() -> Resource:
    return Resource(
        provenance=Provenance(source="s", identifier="i", metadata_format="lom"),
        general=General(
            title={"fr": "Ancien", "en": "Old"},
            description={"fr": "<b>x</b>"},
            description_raw={"fr": "<b>x</b>"},
        ),
        technical=Technical(locations=["htp://exemple.org"]),
        controlled=Controlled(levels=[NIVEAUX + "primaire"], languages=["en"]),
    )


def issue(code: str) -> Issue:
    return Issue(code=code, severity="warning", field="f", message_fr="m", message_en="m")


def test_text_overlays_replace_text_before_validation() -> None:
    out = apply_text_overlays(
        record(),
        {"description": ({"fr": "Propre"}, None), "url": ("https://exemple.org/", "htp://exemple.org")},
    )
    assert out.general.description == {"fr": "Propre"} and out.general.description_raw == {}
    assert out.technical.locations == ["https://exemple.org/"]
    assert out.general.title == {"fr": "Ancien", "en": "Old"}
    assert source_value(record(), "url") == "htp://exemple.org"


def test_controlled_overlays_drop_only_the_stale_issues() -> None:
    found = [
        issue("LEVEL_UNMAPPED"),
        issue("LANGUAGE_MISMATCH"),
        issue("LICENCE_AMBIGUOUS"),
        issue("URL_INVALID"),
    ]
    out, kept = apply_controlled_overlays(record(), found, {"levels": ([NIVEAUX + "secondaire-4"], [])})
    assert out.controlled.levels == [NIVEAUX + "secondaire-4"]
    assert out.controlled.languages == ["en"]
    assert [i.code for i in kept] == ["LANGUAGE_MISMATCH", "LICENCE_AMBIGUOUS", "URL_INVALID"]


def test_source_changes_are_told_with_both_values() -> None:
    a, b = NIVEAUX + "primaire-1", NIVEAUX + "primaire-2"
    assert changed_at_source("levels", [a, b], [b, a]) is None  # a set: order does not matter
    found = changed_at_source("title", {"fr": "Ancien"}, {"fr": "Nouveau"}, {"fr": "Corrigé"})
    assert found is not None and found.code == "SOURCE_CHANGED_AFTER_EDIT" and found.field == "title"
    assert json.loads(found.value or "") == {"fr": "Nouveau"}
    assert json.loads(found.suggestion or "") == {"fr": "Corrigé"}
    assert "source = Nouveau" in found.message_fr and "correction = Corrigé" in found.message_fr


def test_a_plain_string_keeps_the_other_languages() -> None:
    vocabs = RULEBOOK.vocabularies
    assert clean_value("title", " Nouveau ", vocabs, {"fr": "Ancien", "en": "Old"}) == {
        "fr": "Nouveau",
        "en": "Old",
    }
    assert clean_value("licence", ["http://creativecommons.org/licenses/by/4.0/"], vocabs) == (
        "http://creativecommons.org/licenses/by/4.0/"
    )
