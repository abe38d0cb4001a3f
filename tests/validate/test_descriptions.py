"""Descriptions: missing, too short, the title again; HTML kept (as harvested) and made safe."""

from __future__ import annotations

from pathlib import Path

import pytest
import rdflib

from ren_index.config.rules import TextRules, ValidationRules
from ren_index.config.vocabularies import Vocabularies, build_vocabulary
from ren_index.model import Provenance, Resource
from ren_index.normalize import normalize
from ren_index.validate import ValidationContext
from ren_index.validate.descriptions import SNIPPET_CHARS, check_description
from ren_index.validate.sanitize import LINK_REL

RECORDS = Path(__file__).resolve().parents[1] / "fixtures" / "records"
SHORT_AND_SAME = [("DESCRIPTION_TOO_SHORT", "warning"), ("DESCRIPTION_SAME_AS_TITLE", "info")]
LONG = "Une activité interactive sur les fractions pour le 2e cycle du primaire."


def _ctx(rules: ValidationRules | None = None) -> ValidationContext:
    empty = build_vocabulary(rdflib.Graph(), "empty")
    vocabularies = Vocabularies(levels=empty, licences=empty, resource_types=empty)
    return ValidationContext(vocabularies=vocabularies, rules=rules or ValidationRules())


def _resource(
    description: dict[str, str], title: dict[str, str] | None = None, raw: dict[str, str] | None = None
) -> Resource:
    resource = Resource(provenance=Provenance(source="t", identifier="oai:t:1", metadata_format="oai_dc"))
    resource.general.title = {"fr": "Les fractions"} if title is None else title
    resource.general.description = description
    resource.general.description_raw = raw or {}
    return resource


def _mapped(name: str, prefix: str) -> Resource:
    provenance = Provenance(source="t", identifier="oai:t:1", metadata_format=prefix)
    return normalize((RECORDS / name).read_text(encoding="utf-8"), provenance)[0]


# Plain-text findings ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("description", "expected"),
    [
        ({"fr": LONG}, []),
        ({}, [("DESCRIPTION_MISSING", "warning")]),
        ({"fr": "   "}, [("DESCRIPTION_MISSING", "warning")]),
        ({"fr": "Exercices."}, [("DESCRIPTION_TOO_SHORT", "warning")]),
        ({"fr": "Les fractions"}, SHORT_AND_SAME),
        ({"fr": "LES FRACTIONS."}, SHORT_AND_SAME),
        ({"fr": LONG, "en": "Exercises."}, [("DESCRIPTION_TOO_SHORT", "warning")]),
    ],
)
def test_description_table(description: dict[str, str], expected: list[tuple[str, str]]) -> None:
    updates, issues = check_description(_resource(description), _ctx())
    assert updates == {}
    assert [(i.code, i.severity) for i in issues] == expected
    assert all(i.field == "general.description" for i in issues)


NOT_MEANINGFUL = [("DESCRIPTION_NOT_MEANINGFUL", "warning")]
TITLE = {"fr": "Les fractions au primaire : comparer et ordonner"}


@pytest.mark.parametrize(
    ("description", "expected"),
    [
        # Stand-ins a depositing tool or a hurried person leaves: they say nothing, and are one
        # finding (not also "too short").
        ("Description", NOT_MEANINGFUL),
        ("DESCRIPTION :", NOT_MEANINGFUL),
        ("À venir", NOT_MEANINGFUL),
        ("à venir...", NOT_MEANINGFUL),
        ("N/A", NOT_MEANINGFUL),
        ("n.a.", NOT_MEANINGFUL),
        ("TBD", NOT_MEANINGFUL),
        ("Aucune description.", NOT_MEANINGFUL),
        ("Pas de description", NOT_MEANINGFUL),
        ("No description", NOT_MEANINGFUL),
        ("Résumé", NOT_MEANINGFUL),
        ("...", NOT_MEANINGFUL),
        ("- - -", NOT_MEANINGFUL),
        ("???", NOT_MEANINGFUL),
        # Short but real words stay "too short" only; a real text that starts like a stand-in is fine.
        ("Jeu de cartes.", [("DESCRIPTION_TOO_SHORT", "warning")]),
        ("Description des étapes de la mitose pour les élèves de 4e secondaire.", []),
        ("À venir : une série de capsules sur la photosynthèse au 2e cycle.", []),
        # The description is the title, or a part of it (whole words): nothing new for a reader.
        ("Les fractions au primaire : comparer et ordonner", [("DESCRIPTION_SAME_AS_TITLE", "info")]),
        ("Fractions au primaire", SHORT_AND_SAME),
        ("comparer et ordonner", SHORT_AND_SAME),
        ("LES FRACTIONS", SHORT_AND_SAME),
        # Sharing words is not being contained: a word cut in the middle, or words the title lacks.
        ("Fract", [("DESCRIPTION_TOO_SHORT", "warning")]),
        ("Les fractions équivalentes", [("DESCRIPTION_TOO_SHORT", "warning")]),
        ("Comparer et ordonner des fractions au primaire avec des bandes de papier.", []),
    ],
)
def test_problem_patterns_table(description: str, expected: list[tuple[str, str]]) -> None:
    _, issues = check_description(_resource({"fr": description}, TITLE), _ctx())
    assert [(i.code, i.severity) for i in issues] == expected


def test_not_meaningful_speaks_both_languages_and_quotes_the_value() -> None:
    _, issues = check_description(_resource({"fr": "  À venir  "}), _ctx())
    assert issues[0].value == "À venir"
    assert "À venir" in issues[0].message_fr and "À venir" in issues[0].message_en


def test_not_meaningful_values_come_from_the_rules() -> None:
    rules = ValidationRules(text=TextRules(description_placeholders=["voir le document"]))
    _, issues = check_description(_resource({"fr": "Voir le document."}), _ctx(rules))
    assert [i.code for i in issues] == ["DESCRIPTION_NOT_MEANINGFUL"]
    _, issues = check_description(_resource({"fr": "À venir"}), _ctx(rules))
    assert [i.code for i in issues] == ["DESCRIPTION_TOO_SHORT"]


def test_same_as_title_in_another_language() -> None:
    title = {"fr": "Les fractions", "en": "Fractions in everyday life, a long English title"}
    _, issues = check_description(_resource({"en": title["en"]}, title), _ctx())
    assert [i.code for i in issues] == ["DESCRIPTION_SAME_AS_TITLE"]


def test_minimum_length_comes_from_the_rules() -> None:
    rules = ValidationRules(text=TextRules(description_min_chars=5))
    _, issues = check_description(_resource({"fr": "Exercices."}), _ctx(rules))
    assert issues == []
    _, issues = check_description(_resource({"fr": "Exercices."}), _ctx())
    assert "40" in issues[0].message_fr and "40" in issues[0].message_en


# HTML ------------------------------------------------------------------------------------------


def test_html_is_sanitized_into_controlled_description_html() -> None:
    raw = '<p>Une <b>activité</b>.</p><script>alert(1)</script><a href="javascript:x()" onclick="y()">z</a>'
    updates, issues = check_description(_resource({"fr": LONG}, raw={"fr": raw}), _ctx())
    assert updates == {"description_html": {"fr": f'<p>Une <b>activité</b>.</p><a rel="{LINK_REL}">z</a>'}}
    assert [(i.code, i.severity, i.value) for i in issues] == [("HTML_IN_DESCRIPTION", "info", raw)]


def test_html_escaped_twice_is_read_as_markup() -> None:
    updates, _ = check_description(_resource({"fr": LONG}, raw={"fr": "&lt;p&gt;Texte&lt;/p&gt;"}), _ctx())
    assert updates == {"description_html": {"fr": "<p>Texte</p>"}}


def test_html_snippet_is_bounded() -> None:
    raw = "<p>" + "x" * 1000 + "</p>"
    _, issues = check_description(_resource({"fr": LONG}, raw={"fr": raw}), _ctx())
    assert issues[0].value is not None and len(issues[0].value) == SNIPPET_CHARS


def test_html_with_nothing_safe_left_sets_no_html() -> None:
    updates, issues = check_description(_resource({}, raw={"fr": "<script>alert(1)</script>"}), _ctx())
    assert updates == {}
    assert [i.code for i in issues] == ["DESCRIPTION_MISSING", "HTML_IN_DESCRIPTION"]


def test_no_raw_no_html() -> None:
    assert check_description(_resource({"fr": LONG}), _ctx()) == ({}, [])


# The mappers fill description_raw ---------------------------------------------------------------


def test_oai_dc_keeps_raw_html_only_where_there_was_markup() -> None:
    resource = _mapped("html_oai_dc.xml", "oai_dc")
    general = resource.general
    assert general.description["fr"] == "Une visite virtuelle du fleuve. Faune Flore Voir"
    assert general.description["en"] == "A virtual tour of the river."
    assert set(general.description_raw) == {"fr", "en"}  # "es" was plain text
    assert general.description_raw["fr"].startswith("<p>Une <strong>visite virtuelle</strong>")
    assert "<script>" in general.description_raw["fr"]  # as harvested: made safe only for display
    assert general.description_raw["en"] == "&lt;p&gt;A virtual tour of the river.&lt;/p&gt;"


def test_oai_dc_html_end_to_end() -> None:
    updates, issues = check_description(_mapped("html_oai_dc.xml", "oai_dc"), _ctx())
    assert updates["description_html"] == {
        "fr": f"<p>Une <strong>visite virtuelle</strong> du fleuve.</p><ul><li>Faune</li><li>Flore</li></ul>"
        f'<a rel="{LINK_REL}">Voir</a>',
        "en": "<p>A virtual tour of the river.</p>",
    }
    assert [(i.value or "")[:3] for i in issues if i.code == "HTML_IN_DESCRIPTION"] == ["<p>", "&lt"]


def test_lom_keeps_raw_html_only_where_there_was_markup() -> None:
    resource = _mapped("html_lom.xml", "oai_lom")
    general = resource.general
    assert general.description == {
        "fr": "Des exercices sur les fractions. Voir l'aide.",
        "en": "Exercises on fractions.",
    }
    assert set(general.description_raw) == {"fr"}
    assert general.description_raw["fr"].startswith("<p>Des <em>exercices</em>")
    updates, _ = check_description(resource, _ctx())
    assert updates["description_html"] == {
        "fr": "<p>Des <em>exercices</em> sur les fractions.</p>"
        f'<p>Voir <a href="https://example.org/aide" rel="{LINK_REL}">l\'aide</a>.</p>'
    }


@pytest.mark.parametrize(
    ("name", "prefix", "langs"),
    [
        ("oai_dc_fr.xml", "oai_dc", {"fr-CA"}),
        ("lom_normetic_fr.xml", "oai_lom", {"fr-CA"}),
        ("oai_dc_en.xml", "oai_dc", {"en"}),  # one of its two descriptions holds an <img>
        ("lom_en.xml", "oai_lom", None),
    ],
)
def test_existing_fixtures(name: str, prefix: str, langs: set[str] | None) -> None:
    raw = _mapped(name, prefix).general.description_raw
    assert (set(raw) if raw else None) == langs
