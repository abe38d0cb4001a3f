"""Titles: missing, placeholders a depositing tool left behind, and capitals only."""

from __future__ import annotations

import pytest
import rdflib

from ren_index.config.rules import TextRules, ValidationRules
from ren_index.config.vocabularies import Vocabularies, build_vocabulary
from ren_index.model import Provenance, Resource
from ren_index.validate import ValidationContext
from ren_index.validate.titles import check_title


def _ctx(rules: ValidationRules | None = None) -> ValidationContext:
    empty = build_vocabulary(rdflib.Graph(), "empty")
    vocabularies = Vocabularies(levels=empty, licences=empty, resource_types=empty)
    return ValidationContext(vocabularies=vocabularies, rules=rules or ValidationRules())


def _resource(title: dict[str, str]) -> Resource:
    resource = Resource(provenance=Provenance(source="t", identifier="oai:t:1", metadata_format="oai_dc"))
    resource.general.title = title
    return resource


def _codes(title: dict[str, str], ctx: ValidationContext | None = None) -> list[str]:
    updates, issues = check_title(_resource(title), ctx or _ctx())
    assert updates == {}
    return [i.code for i in issues]


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        # Real titles, including short, numeric-looking and file-like ones that are fine.
        ("Les fractions au quotidien", []),
        ("Volcanoes of the World", []),
        ("Pi", ["TITLE_PLACEHOLDER"]),  # shorter than title_min_chars (3)
        ("ADN", []),  # an acronym is a title, not shouting
        ("1984", ["TITLE_PLACEHOLDER"]),  # digits only
        ("1984 d'Orwell : étude de l'œuvre", []),
        ("Introduction à Node.js", []),
        ("Le document de Champlain", []),
        ("Titre 1 : la cellule", []),
        # Placeholders from the configured list, whatever their case, accents or punctuation.
        ("Sans titre", ["TITLE_PLACEHOLDER"]),
        ("SANS TITRE", ["TITLE_PLACEHOLDER"]),
        ("Untitled", ["TITLE_PLACEHOLDER"]),
        ("À venir", ["TITLE_PLACEHOLDER"]),
        ("N/A", ["TITLE_PLACEHOLDER"]),
        ("  test  ", ["TITLE_PLACEHOLDER"]),
        ("Document", ["TITLE_PLACEHOLDER"]),
        # Punctuation only.
        ("???", ["TITLE_PLACEHOLDER"]),
        ("-- . --", ["TITLE_PLACEHOLDER"]),
        # File names and default names of tools and cameras.
        ("document1.pdf", ["TITLE_PLACEHOLDER"]),
        ("Chapitre 3 final.docx", ["TITLE_PLACEHOLDER"]),
        ("IMG_1234", ["TITLE_PLACEHOLDER"]),
        ("DSC01234.JPG", ["TITLE_PLACEHOLDER"]),
        ("Document1", ["TITLE_PLACEHOLDER"]),
        ("Présentation1", ["TITLE_PLACEHOLDER"]),
        ("Sans titre 2", ["TITLE_PLACEHOLDER"]),
        # Capitals only: legible, worth a note.
        ("LES FRACTIONS AU QUOTIDIEN", ["TITLE_ALL_CAPS"]),
        ("ÉCOSYSTÈMES DU QUÉBEC", ["TITLE_ALL_CAPS"]),
        ("UQAM", []),
    ],
)
def test_title_table(title: str, expected: list[str]) -> None:
    assert _codes({"fr": title}) == expected


@pytest.mark.parametrize("title", [{}, {"fr": ""}, {"fr": "   ", "en": "\t"}])
def test_missing_title_is_an_error(title: dict[str, str]) -> None:
    _, issues = check_title(_resource(title), _ctx())
    assert [(i.code, i.severity, i.field) for i in issues] == [("TITLE_MISSING", "error", "general.title")]
    assert issues[0].message_fr.startswith("La ressource")


def test_each_language_judged_on_its_own() -> None:
    _, issues = check_title(_resource({"fr": "Les volcans", "en": "Untitled"}), _ctx())
    assert [(i.code, i.severity, i.value) for i in issues] == [("TITLE_PLACEHOLDER", "error", "Untitled")]
    assert "« Untitled »" in issues[0].message_fr
    assert '"Untitled"' in issues[0].message_en


def test_placeholders_come_from_the_rules_and_are_folded() -> None:
    rules = ValidationRules(text=TextRules(title_placeholders=["Ébauche"], title_min_chars=1))
    assert _codes({"fr": "ebauche"}, _ctx(rules)) == ["TITLE_PLACEHOLDER"]
    assert _codes({"fr": "Sans titre"}, _ctx(rules)) == []  # not in this list any more
    assert _codes({"fr": "Pi"}, _ctx(rules)) == []


def test_all_caps_suggests_sentence_case() -> None:
    _, issues = check_title(_resource({"fr": "LES FRACTIONS AU QUOTIDIEN"}), _ctx())
    assert issues[0].severity == "info"
    assert issues[0].suggestion == "Les fractions au quotidien"
