"""Titles: missing, placeholders a depositing tool left behind, and capitals only."""

from __future__ import annotations

from pathlib import Path

import pytest
import rdflib

from ren_index.config.rules import TextRules, ValidationRules, load_rules
from ren_index.config.vocabularies import Vocabularies, build_vocabulary
from ren_index.model import Provenance, Resource
from ren_index.normalize import normalize
from ren_index.overlays import apply_text_overlays
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


# Issue 11: placeholders people really leave, scripts without case, markup -----------------------

SHIPPED = load_rules(Path(__file__).resolve().parents[2] / "config")


@pytest.mark.parametrize("rules", [ValidationRules(), SHIPPED], ids=["defaults", "validation.yaml"])
@pytest.mark.parametrize(
    ("title", "expected"),
    [
        # Stand-ins left by editors, LMS and office suites, in French and English.
        ("Document1.docx", ["TITLE_PLACEHOLDER"]),
        ("Présentation1.pptx", ["TITLE_PLACEHOLDER"]),
        ("Nouvelle ressource", ["TITLE_PLACEHOLDER"]),
        ("NOUVELLE RESSOURCE", ["TITLE_PLACEHOLDER"]),
        ("New document", ["TITLE_PLACEHOLDER"]),
        ("New resource", ["TITLE_PLACEHOLDER"]),
        ("Nouveau document", ["TITLE_PLACEHOLDER"]),
        ("Document sans titre", ["TITLE_PLACEHOLDER"]),
        ("Untitled document", ["TITLE_PLACEHOLDER"]),
        ("Sans nom", ["TITLE_PLACEHOLDER"]),
        ("titre", ["TITLE_PLACEHOLDER"]),
        ("Titre :", ["TITLE_PLACEHOLDER"]),
        # Real titles that hold those words.
        ("Nouvelle ressource pour enseigner les fractions", []),
        ("Le nouveau document de l'OCDE sur la littératie", []),
        ("Titre de propriété et cadastre au Québec", []),
    ],
)
def test_placeholder_table(rules: ValidationRules, title: str, expected: list[str]) -> None:
    assert _codes({"fr": title}, _ctx(rules)) == expected


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        # Scripts without letter case: an upper() test alone calls them capitals.
        ("ᐃᓄᒃᑎᑐᑦ ᐅᖃᐅᓯᖅ ᐃᓕᓐᓂᐊᕐᓂᖅ", []),  # Inuktitut syllabics
        ("ᐊᓂᔑᓈᐯᒧᐏᐣ ᐅᔑᒋᐦᐃᑫᐏᐣ ᒪᓯᓇᐦᐃᑲᐣ", []),  # Ojibwe / Cree syllabics
        ("ᒋᔅᑌᐦᑕᒧᐎᓐ ᐊᐦᒋᑭᓈᓂᐦᒡ ᐊᔭᒥᐦᐁᐎᓐ", []),  # Cree syllabics
        ("数学 分数 入门 练习", []),  # Chinese
        ("الكسور في المدرسة الابتدائية", []),  # Arabic
        ("שברים בבית הספר היסודי", []),  # Hebrew
        # A syllabic title with a Latin acronym or place name in it is not shouting either.
        ("ᐃᓄᒃᑎᑐᑦ ᐅᖃᐅᓯᖅ ᐃᓕᓐᓂᐊᕐᓂᖅ NUNAVUT", []),
        # Scripts with case are still judged, alone or beside a caseless one.
        ("ΚΛΑΣΜΑΤΑ ΣΤΟ ΔΗΜΟΤΙΚΟ", ["TITLE_ALL_CAPS"]),  # Greek
        ("ДРОБИ В НАЧАЛЬНОЙ ШКОЛЕ", ["TITLE_ALL_CAPS"]),  # Cyrillic
        ("ᐃᓄᒃᑎᑐᑦ INUKTITUT LANGUAGE LESSONS", ["TITLE_ALL_CAPS"]),
        ("LES FRACTIONS (分数) AU PRIMAIRE", ["TITLE_ALL_CAPS"]),
        ("Inuktitut ᐃᓄᒃᑎᑐᑦ language lessons", []),
    ],
)
def test_case_checks_only_for_scripts_with_case(title: str, expected: list[str]) -> None:
    assert _codes({"iu": title}) == expected


def _normalized_oai_dc(title_xml: str) -> Resource:
    payload = (
        '<oai_dc:dc xmlns:oai_dc="http://www.openarchives.org/OAI/2.0/oai_dc/" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/">'
        f"<dc:title>{title_xml}</dc:title></oai_dc:dc>"
    )
    provenance = Provenance(source="t", identifier="oai:t:1", metadata_format="oai_dc")
    return normalize(payload, provenance)[0]


@pytest.mark.parametrize(
    ("title_xml", "title", "raw"),
    [
        # Tags escaped inside the XML (how OAI-PMH carries a rich-text editor's title).
        (
            "&lt;p&gt;&lt;strong&gt;Fractions&lt;/strong&gt; au primaire&lt;/p&gt;",
            "Fractions au primaire",
            "<p><strong>Fractions</strong> au primaire</p>",
        ),
        (
            "&lt;em&gt;Le Petit Prince&lt;/em&gt;, étude",
            "Le Petit Prince, étude",
            "<em>Le Petit Prince</em>, étude",
        ),
        ("Les volcans&lt;br/&gt;du Québec", "Les volcans du Québec", "Les volcans<br/>du Québec"),
        (
            '&lt;span style="color:red"&gt;Atomes&lt;/span&gt;',
            "Atomes",
            '<span style="color:red">Atomes</span>',
        ),
        # Escaped twice: the entities are the tags.
        (
            "&amp;lt;p&amp;gt;Cellule animale&amp;lt;/p&amp;gt;",
            "Cellule animale",
            "&lt;p&gt;Cellule animale&lt;/p&gt;",
        ),
        # A "<" of mathematics or a word between brackets is not markup: kept as written.
        ("Si x &lt; y et y &lt; z", "Si x < y et y < z", None),
        ("Inégalités a&lt;b&lt;c", "Inégalités a<b<c", None),
        ("Le &lt;tableau&gt; périodique", "Le <tableau> périodique", None),
        ("Fractions au primaire", "Fractions au primaire", None),
    ],
)
def test_markup_stripped_from_titles_at_normalization(title_xml: str, title: str, raw: str | None) -> None:
    resource = _normalized_oai_dc(title_xml)
    assert resource.general.title == {"und": title}
    assert resource.general.title_raw == ({"und": raw} if raw else {})
    _, issues = check_title(resource, _ctx())
    markup = [i for i in issues if i.code == "TITLE_MARKUP"]
    if raw is None:
        assert markup == []
    else:
        assert [(i.severity, i.field, i.value, i.suggestion) for i in markup] == [
            ("info", "general.title", raw, title)
        ]
        assert "HTML" in markup[0].message_fr and "HTML" in markup[0].message_en


def test_markup_only_title_is_missing_and_says_why() -> None:
    resource = _normalized_oai_dc("&lt;p&gt;&lt;/p&gt;")
    _, issues = check_title(resource, _ctx())
    assert [(i.code, i.suggestion) for i in issues] == [("TITLE_MISSING", None), ("TITLE_MARKUP", None)]


def test_markup_title_is_validated_without_tags() -> None:
    """A placeholder wrapped in tags is still a placeholder; tags never make a title "in capitals"."""
    resource = _normalized_oai_dc("&lt;p&gt;Sans titre&lt;/p&gt;")
    assert [i.code for i in check_title(resource, _ctx())[1]] == ["TITLE_MARKUP", "TITLE_PLACEHOLDER"]
    resource = _normalized_oai_dc("&lt;B&gt;Les fractions&lt;/B&gt; au quotidien")
    assert [i.code for i in check_title(resource, _ctx())[1]] == ["TITLE_MARKUP"]


def test_a_corrected_title_drops_the_source_markup() -> None:
    resource = _normalized_oai_dc("&lt;p&gt;Fractions&lt;/p&gt;")
    corrected = apply_text_overlays(resource, {"title": ({"fr": "Les fractions"}, {"und": "Fractions"})})
    assert corrected.general.title_raw == {}
    assert check_title(corrected, _ctx())[1] == []
