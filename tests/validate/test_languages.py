"""Languages: declared values as sources write them → BCP 47, and the check's four paths.

The normalization table holds values seen in real records (lom2mlr and ScoLOMFR samples, the demo
catalogue, DPLA's override list) and the ones that must map to nothing.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import rdflib

from ren_index.config.rules import LanguageRules, ValidationRules
from ren_index.config.vocabularies import Vocabularies, build_vocabulary, load_vocabulary
from ren_index.model import Issue, Provenance, Resource
from ren_index.normalize.registry import normalize
from ren_index.validate import ValidationContext
from ren_index.validate.languages import check_languages, normalize_language, primary, split_languages

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared"

FR_TITLE = "Les fractions au quotidien"
FR_DESCRIPTION = (
    "Série d'exercices autocorrectifs sur les fractions, conçue pour les élèves du deuxième cycle "
    "du primaire. Chaque réponse reçoit une rétroaction immédiate."
)
EN_TITLE = "Introduction to cell biology"
EN_DESCRIPTION = (
    "A short video introducing the structure of the cell with concrete examples, for first-year "
    "college students. Captions and transcript included."
)


def _ctx(defaults: dict[str, str] | None = None, **language: object) -> ValidationContext:
    empty = build_vocabulary(rdflib.Graph(), "empty")
    types = load_vocabulary(ROOT / "config" / "vocabularies" / "types-ressources.ttl")
    rules = ValidationRules(language=LanguageRules.model_validate(language))
    return ValidationContext(
        vocabularies=Vocabularies(levels=empty, licences=empty, resource_types=types),
        rules=rules,
        defaults=defaults or {},
    )


def _resource(languages: list[str], title: str, description: str = "") -> Resource:
    resource = Resource(provenance=Provenance(source="t", identifier="oai:t:1", metadata_format="oai_dc"))
    resource.general.languages = languages
    resource.general.title = {"und": title}
    if description:
        resource.general.description = {"und": description}
    return resource


def _codes(issues: list[Issue]) -> list[str]:
    return [i.code for i in issues]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        # Codes: ISO 639-1, BCP 47 with region, any case or separator.
        ("fr", "fr"),
        ("FR", "fr"),
        (" fr ", "fr"),
        ("fr-CA", "fr-CA"),
        ("fr-ca", "fr-CA"),
        ("FR-ca", "fr-CA"),
        ("fr_CA", "fr-CA"),
        ("en", "en"),
        ("en-CA", "en-CA"),
        ("en-uk", "en-GB"),  # DPLA's list: the IANA registry knows UK as GB
        ("fr-Latn-CA", "fr-CA"),  # suppressed script dropped
        ("es-419", "es-419"),
        # ISO 639-2 B and T codes (LOM, LOMFR, Normetic) → the two-letter code.
        ("fre", "fr"),
        ("fra", "fr"),
        ("FRE", "fr"),
        ("fra-CA", "fr-CA"),
        ("eng", "en"),
        ("ger", "de"),
        ("spa", "es"),
        # ScoLOMFR / MARC URIs.
        ("http://id.loc.gov/vocabulary/iso639-2/fre", "fr"),
        ("http://id.loc.gov/vocabulary/iso639-1/fr", "fr"),
        ("https://id.loc.gov/vocabulary/iso639-2/eng/", "en"),
        ("http://lexvo.org/id/iso639-3/atj", "atj"),
        # Indigenous languages of Quebec: 639-2 → 639-1 where one exists, 639-3 kept.
        ("iku", "iu"),
        ("iu", "iu"),
        ("ike", "ike"),
        ("cre", "cr"),
        ("cr", "cr"),
        ("crj", "crj"),
        ("crl", "crl"),
        ("oji", "oj"),
        ("oj", "oj"),
        ("mic", "mic"),
        ("moh", "moh"),
        ("atj", "atj"),
        ("moe", "moe"),
        ("nsk", "nsk"),
        ("alq", "alq"),
        # Names, in French and English, any case and accents.
        ("français", "fr"),
        ("Français", "fr"),
        ("Francais", "fr"),
        ("French", "fr"),
        ("anglais", "en"),
        ("English", "en"),
        ("espagnol", "es"),
        ("allemand", "de"),
        ("inuktitut", "iu"),
        ("Inuktitut", "iu"),
        ("atikamekw", "atj"),
        ("Attikamek", "atj"),
        ("innu", "moe"),
        ("innu-aimun", "moe"),
        ("montagnais", "moe"),
        ("cri", "cr"),
        ("naskapi", "nsk"),
        ("Mi'kmaq", "mic"),
        ("mohawk", "moh"),
        ("Kanien'kéha", "moh"),
        ("ojibwé", "oj"),
        ("abénakis", "abe"),
        ("wolastoqey", "pqm"),
        ("huron-wendat", "wya"),
        ("wendat", "wya"),  # langcodes alone, by any-language prefix, would say Venda
        ("French (Canada)", "fr-CA"),
        ("français (Canada)", "fr-CA"),
        ("Français (Québec)", "fr-CA"),
        ("English (US)", "en-US"),
        ("français canadien", "fr-CA"),
        ("portugais brésilien", "pt-BR"),
        # Several languages, no linguistic content.
        ("mul", "mul"),
        ("multilingue", "mul"),
        ("bilingue", "mul"),  # not Bilin, which a prefix match would give
        ("none", "zxx"),
        ("zxx", "zxx"),
        ("aucune", "zxx"),
        ("Aucun", "zxx"),
        ("x-none", "zxx"),
        # Nothing usable: unknown, garbage, malformed, private use.
        ("und", None),
        ("inconnue", None),
        ("N/A", None),
        ("", None),
        ("   ", None),
        ("x", None),
        ("??", None),
        ("12", None),
        ("xx", None),
        ("zz", None),
        ("frx", None),
        ("fr-FR-blah-blah", None),
        ("fr-ca-ca", None),
        ("x-normetic", None),
        ("qaa", None),
        ("fr-CA-x-quebec", None),
        ("toto", None),  # the Toto language exists, but in a record it is a placeholder
        ("texte", None),
        ("blah", None),
        ("mandarin", None),  # langcodes only knows it as "Mandarin Chinese"
        ("français (zz)", "fr"),
    ],
)
def test_normalize_language(raw: str, expected: str | None) -> None:
    assert normalize_language(raw) == expected


def test_normalize_language_is_cached() -> None:
    normalize_language.cache_clear()
    for _ in range(3):
        normalize_language("fre")
    assert normalize_language.cache_info().hits == 2


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("fre; eng", ["fre", "eng"]),
        ("fr,en", ["fr", "en"]),
        ("fr | en", ["fr", "en"]),
        ("français et anglais", ["français", "anglais"]),
        ("French and English", ["French", "English"]),
        ("http://id.loc.gov/vocabulary/iso639-2/fre", ["http://id.loc.gov/vocabulary/iso639-2/fre"]),
        ("fr-CA", ["fr-CA"]),
    ],
)
def test_split_languages(raw: str, expected: list[str]) -> None:
    assert split_languages(raw) == expected


def test_primary_subtag() -> None:
    assert [primary(t) for t in ("fr-CA", "en", "atj", "zh-Hant-TW")] == ["fr", "en", "atj", "zh"]


# The check -----------------------------------------------------------------------------------


def test_declared_language_normalized_and_confirmed() -> None:
    updates, issues = check_languages(_resource(["fra-CA"], FR_TITLE, FR_DESCRIPTION), _ctx())
    assert updates["languages"] == ["fr-CA"]
    assert updates["detected_language"] == "fr"
    assert updates["detected_confidence"] >= 0.9
    assert issues == []


def test_several_declared_values_deduplicated_in_order() -> None:
    resource = _resource(
        ["fre; eng", "fr", "http://id.loc.gov/vocabulary/iso639-2/eng"], FR_TITLE, FR_DESCRIPTION
    )
    updates, issues = check_languages(resource, _ctx())
    assert updates["languages"] == ["fr", "en"]
    assert issues == []


def test_mismatch_when_text_is_confidently_in_another_language() -> None:
    updates, issues = check_languages(_resource(["en"], FR_TITLE, FR_DESCRIPTION), _ctx())
    assert _codes(issues) == ["LANGUAGE_MISMATCH"]
    issue = issues[0]
    assert (issue.severity, issue.field, issue.value, issue.suggestion) == (
        "warning",
        "general.language",
        "en",
        "fr",
    )
    assert issue.message_fr.startswith("Langue déclarée (en)")
    assert issue.message_en.startswith("Declared language (en)")
    assert updates["languages"] == ["en"]  # declared value kept: a documentalist decides


def test_region_does_not_make_a_mismatch() -> None:
    _, issues = check_languages(_resource(["en-CA"], EN_TITLE, EN_DESCRIPTION), _ctx())
    assert issues == []


def test_no_mismatch_below_the_threshold() -> None:
    _, issues = check_languages(_resource(["en"], FR_TITLE, FR_DESCRIPTION), _ctx(mismatch_confidence=1.01))
    assert issues == []


def test_short_ambiguous_title_is_not_a_mismatch() -> None:
    """An English title on a French record: too little text for the detector to be sure."""
    updates, issues = check_languages(_resource(["fr"], "Quiz : Reading strategies"), _ctx())
    assert "LANGUAGE_MISMATCH" not in _codes(issues)
    assert updates["detected_confidence"] is None or updates["detected_confidence"] < 0.9


@pytest.mark.parametrize(
    "declared",
    [
        ["zxx"],  # no linguistic content: whatever the description's language
        ["none"],
        ["atj"],  # Atikamekw: the detector does not know it, so it cannot contradict it
        ["iu"],
        ["moe"],
        ["mul"],
        ["fr", "en"],  # declared bilingual, detected English: fine
        ["en", "fr-CA"],
    ],
)
def test_no_mismatch_for_what_the_detector_cannot_judge(declared: list[str]) -> None:
    _, issues = check_languages(_resource(declared, EN_TITLE, EN_DESCRIPTION), _ctx())
    assert "LANGUAGE_MISMATCH" not in _codes(issues)


def test_multilingual_record_with_another_language_is_a_mismatch() -> None:
    _, issues = check_languages(_resource(["es", "de"], EN_TITLE, EN_DESCRIPTION), _ctx())
    assert _codes(issues) == ["LANGUAGE_MISMATCH"]
    assert issues[0].value == "es, de"


def test_missing_language_filled_from_detection() -> None:
    updates, issues = check_languages(_resource([], EN_TITLE, EN_DESCRIPTION), _ctx())
    assert updates["languages"] == ["en"]
    assert _codes(issues) == ["LANGUAGE_DETECTED"]
    assert (issues[0].severity, issues[0].suggestion) == ("info", "en")


def test_detection_keeps_the_region_of_an_agreeing_default() -> None:
    updates, issues = check_languages(_resource([], FR_TITLE, FR_DESCRIPTION), _ctx({"language": "fr-CA"}))
    assert updates["languages"] == ["fr-CA"]
    assert _codes(issues) == ["LANGUAGE_DETECTED"]


def test_missing_language_from_source_default_when_text_is_too_short() -> None:
    updates, issues = check_languages(_resource([], "Les ions"), _ctx({"language": "fre"}))
    assert updates["languages"] == ["fr"]
    assert updates["detected_language"] is None
    assert _codes(issues) == ["LANGUAGE_FROM_SOURCE_DEFAULT"]
    assert (issues[0].severity, issues[0].value) == ("info", "fr")


def test_missing_language_from_default_when_detection_is_unsure() -> None:
    updates, issues = check_languages(
        _resource([], FR_TITLE, FR_DESCRIPTION), _ctx({"language": "en"}, fill_confidence=1.01)
    )
    assert updates["languages"] == ["en"]
    assert _codes(issues) == ["LANGUAGE_FROM_SOURCE_DEFAULT"]
    assert issues[0].suggestion == "fr"


def test_missing_language_without_detection_or_default_is_an_error() -> None:
    updates, issues = check_languages(_resource([], "Les ions"), _ctx())
    assert updates == {"languages": [], "detected_language": None, "detected_confidence": None}
    assert _codes(issues) == ["LANGUAGE_MISSING"]
    assert issues[0].severity == "error"
    assert issues[0].message_fr == "La langue de la ressource n'est pas indiquée."


def test_unknown_marker_counts_as_missing_without_a_warning() -> None:
    _, issues = check_languages(_resource(["und"], "Les ions"), _ctx())
    assert _codes(issues) == ["LANGUAGE_MISSING"]


def test_invalid_declared_value_is_a_warning_with_the_detected_suggestion() -> None:
    updates, issues = check_languages(_resource(["??"], FR_TITLE, FR_DESCRIPTION), _ctx())
    assert _codes(issues) == ["LANGUAGE_INVALID", "LANGUAGE_DETECTED"]
    invalid = issues[0]
    assert (invalid.severity, invalid.value, invalid.suggestion) == ("warning", "??", "fr")
    assert "« ?? »" in invalid.message_fr
    assert updates["languages"] == ["fr"]


def test_invalid_value_beside_a_valid_one_keeps_the_valid_one() -> None:
    updates, issues = check_languages(_resource(["fr", "fr-FR-blah-blah"], FR_TITLE, FR_DESCRIPTION), _ctx())
    assert updates["languages"] == ["fr"]
    assert _codes(issues) == ["LANGUAGE_INVALID"]


def test_bilingual_title_is_judged_on_its_first_language() -> None:
    resource = _resource(["fr", "en"], FR_TITLE, FR_DESCRIPTION)
    resource.general.title = {"fr": FR_TITLE, "en": "Fractions in everyday life"}
    updates, issues = check_languages(resource, _ctx())
    assert updates["detected_language"] == "fr"
    assert issues == []


# Real records ---------------------------------------------------------------------------------

SAMPLE_DIRS = (
    SHARED / "standards" / "GTN-Quebec__lom2mlr",
    SHARED / "standards" / "jdpro__scolomfr3utils" / "samples",
    SHARED / "fixtures" / "oai" / "GTN-Quebec__lom2mlr",
    SHARED / "fixtures" / "oai" / "jdpro__scolomfr3utils",
)
SAMPLES = sorted({p for d in SAMPLE_DIRS if d.is_dir() for p in d.glob("*.xml")}, key=str)


@pytest.mark.skipif(not SAMPLES, reason=f"LOM samples of ../shared not found under {SHARED}")
@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_shared_lom_samples(path: Path) -> None:
    """Every real record checks without exception; its languages are BCP 47; none is contradicted."""
    provenance = Provenance(source="shared", identifier=path.name, metadata_format="lom")
    resource, _ = normalize(path.read_text(encoding="utf-8"), provenance)
    updates, issues = check_languages(resource, _ctx())
    assert updates["languages"], issues
    assert all(normalize_language(t) == t for t in updates["languages"])
    assert not {"LANGUAGE_MISMATCH", "LANGUAGE_INVALID", "LANGUAGE_MISSING"} & set(_codes(issues))
