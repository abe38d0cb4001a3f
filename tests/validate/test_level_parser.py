"""The level parser: compound wordings as people write them, mapped part by part (issue 11).

Every wording below was written for the project from forms seen in Québec, Canadian and French
records (the issue's examples, the ministry's programme names, English-Canadian grades, France's
classes and diplomas); the expected levels are what a documentalist would choose. None of them is
a whole label of ``niveaux-quebec.ttl``: each needs a rule of the parser.
"""

from __future__ import annotations

import timeit
from pathlib import Path

import pytest
import rdflib

from ren_index.config.vocabularies import REN_NS, Vocabularies, Vocabulary, build_vocabulary, load_vocabulary
from ren_index.model import Educational, General, Provenance, Resource, TaxonPath, Term
from ren_index.validate import ValidationContext
from ren_index.validate.level_parser import is_foreign, parse_level
from ren_index.validate.levels import check_levels

ROOT = Path(__file__).resolve().parents[2]
NIV = REN_NS + "niveaux/"


@pytest.fixture(scope="module")
def vocab() -> Vocabulary:
    return load_vocabulary(ROOT / "config" / "vocabularies" / "niveaux-quebec.ttl")


@pytest.fixture(scope="module")
def ctx(vocab: Vocabulary) -> ValidationContext:
    empty = build_vocabulary(rdflib.Graph(), "empty")
    return ValidationContext(vocabularies=Vocabularies(levels=vocab, licences=empty, resource_types=empty))


def record(contexts: list[str] = [], keywords: list[str] = []) -> Resource:  # noqa: B006 - read only
    return Resource(
        provenance=Provenance(source="test", identifier="oai:test:1", metadata_format="lom"),
        general=General(title={"fr": "Les fractions"}, keywords=[{"fr": k} for k in keywords]),
        educational=Educational(contexts=[Term(value=c) for c in contexts]),
    )


def short(uris: list[str]) -> list[str]:
    return [u.removeprefix(NIV) for u in uris]


S1, S2, S3, S4, S5 = (f"secondaire-{n}" for n in range(1, 6))
P = [f"primaire-{n}" for n in range(1, 7)]
U1 = "universitaire-1er-cycle"

COMPOUND: list[tuple[str, list[str]]] = [
    # ranges: every level in them
    ("Sec. 1-2", [S1, S2]),
    ("Sec 1 - 2", [S1, S2]),
    ("sec. 3-5", [S3, S4, S5]),
    ("Sec 1 - Sec 3", [S1, S2, S3]),
    ("Secondaire 1 à Secondaire 2", [S1, S2]),
    ("Secondaire 1 à 3", [S1, S2, S3]),
    ("1re à 3e secondaire", [S1, S2, S3]),
    ("3e – 5e secondaire", [S3, S4, S5]),
    ("Secondaire I-III", [S1, S2, S3]),
    ("Secondary IV - V", [S4, S5]),
    ("Secondary 4-5", [S4, S5]),
    ("Grades 7-9", [S1, S2, S3]),
    ("Grade 7 to Grade 9", [S1, S2, S3]),
    ("Grades 1-3", P[0:3]),
    ("Primaire 1-6", P),
    ("3e à 5e année du primaire", P[2:5]),
    ("1re-2e année", P[0:2]),
    # lists
    ("Sec 1, 2 et 3", [S1, S2, S3]),
    ("Secondaire 4 et 5", [S4, S5]),
    ("Sec. 4 / Sec. 5", [S4, S5]),
    ("Primaire et secondaire", ["primaire", "secondaire"]),
    ("Primaire + Secondaire", ["primaire", "secondaire"]),
    ("Maternelle 4 ans / Maternelle 5 ans", ["prescolaire"]),
    ("1er et 2e cycles du secondaire", ["secondaire-cycle-1", "secondaire-cycle-2"]),
    ("1er et 2e cycles du primaire", ["primaire-cycle-1", "primaire-cycle-2"]),
    ("Grade 4 and Grade 5", P[3:5]),
    ("5e et 6e année", P[4:6]),
    ("Collégial & universitaire", ["collegial", "universitaire"]),
    ("DEC; baccalauréat", ["collegial", U1]),
    # two labels together: the second is read after the first
    ("Primaire / 1er cycle", ["primaire-cycle-1"]),
    ("Primaire / 3e cycle", ["primaire-cycle-3"]),
    ("Secondaire / 2e cycle", ["secondaire-cycle-2"]),
    ("Secondaire, 1er cycle", ["secondaire-cycle-1"]),
    ("Universitaire / 2e cycle", ["universitaire-2e-cycle"]),
    ("Primaire – 2e cycle", ["primaire-cycle-2"]),
    # brackets as equivalences (or qualifiers) that agree
    ("Grade 7 (Secondaire 1)", [S1]),
    ("Grade 8 (Secondaire 2)", [S2]),
    ("Secondaire 1 (Grade 7)", [S1]),
    ("Secondaire (1er cycle)", ["secondaire-cycle-1"]),
    ("Primaire (2e cycle)", ["primaire-cycle-2"]),
    ("Enseignement collégial (formation technique)", ["collegial-technique"]),
    ("Cégep (DEC)", ["collegial"]),
    ("Maternelle (préscolaire)", ["prescolaire"]),
    ("Grade 7 [Sec. 1]", [S1]),
    ("Grade 7 (Sciences)", [S1]),  # a bracket that is not a level does not hide the main one
    # qualifiers and the ministry's long forms
    ("Collégial – formation technique", ["collegial-technique"]),
    ("Enseignement collégial – formation technique", ["collegial-technique"]),
    ("Enseignement collégial - formation préuniversitaire", ["collegial-preuniversitaire"]),
    ("Collégial, formation préuniversitaire", ["collegial-preuniversitaire"]),
    ("Cégep - formation technique", ["collegial-technique"]),
    ("Enseignement secondaire – formation générale des jeunes", ["secondaire"]),
    ("Éducation préscolaire – maternelle 5 ans", ["prescolaire"]),
    ("Enseignement primaire - 1er cycle", ["primaire-cycle-1"]),
    ("Enseignement supérieur – universitaire", ["universitaire"]),
    ("Formation professionnelle – DEP", ["formation-professionnelle"]),
    # years of a cycle, years of a programme
    ("2e année du 1er cycle du secondaire", [S2]),
    ("1re année du 1er cycle du secondaire", [S1]),
    ("1re année du 2e cycle du secondaire", [S3]),
    ("2e année du 2e cycle du secondaire", [S4]),
    ("3e année du 2e cycle du secondaire", [S5]),
    ("première année du deuxième cycle du secondaire", [S3]),
    ("1re année du 1er cycle du primaire", P[0:1]),
    ("2e année du 2e cycle du primaire", P[3:4]),
    ("2e année du 3e cycle du primaire", P[5:6]),
    ("Second-year university", [U1]),
    ("First-year university", [U1]),
    ("Third year university", [U1]),
    ("2e année d'université", [U1]),
    ("1re année du cégep", ["collegial"]),
    ("2e année collégiale", ["collegial"]),
]

NOTHING: list[tuple[str, str | None]] = [
    # wordings that must map to nothing; the suggestion a documentalist is offered (None: none)
    ("4e année du 1er cycle du secondaire", "secondaire-cycle-1"),  # no such year
    ("3e année du 1er cycle du primaire", "primaire-cycle-1"),
    ("Grade 12", None),  # elsewhere in Canada: the year after Secondary V
    (
        "Grades 10-12",
        S4,
    ),  # Grade 12 is not a Québec level: the range is left to a person, first grade guessed
    ("Sec. 1-9", S1),  # Sec. 6 to 9 do not exist
    ("12-17 ans", None),  # ages are not grades
    ("Mathématiques, 3e secondaire", "secondaire-3"),  # a topic beside a level
    ("Sciences et technologie", None),
    ("DEC - Sciences de la nature", "collegial"),  # a programme, not a level
]

FOREIGN: list[str] = [
    # France's system: never a Québec level, never a suggestion
    "cycle 3",
    "Cycle 4",
    "Cycle 3 (CM1-CM2-6e)",
    "cycle des approfondissements",
    "Collège (6e-3e)",
    "collège, 5e",
    "4ème",
    "sixième",
    "lycée",
    "Lycée professionnel",
    "seconde",
    "Classe de seconde",
    "Seconde générale",
    "Première générale",
    "terminale",
    "Terminale S",
    "Baccalauréat professionnel",
    "Baccalauréat général",
    "baccalauréat technologique",
    "Bac pro",
    "bac +2",
    "CAP",
    "BEP",
    "BTS",
    "DUT",
    "Licence professionnelle",
    "Licence 3",
    "L2",
    "Première année de licence",
    "M1",
    "CM2",
    "CE1",
    "classes préparatoires",
    "Brevet des collèges",
]


def test_the_tables_are_large_enough() -> None:
    raws = [r for r, _ in COMPOUND] + [r for r, _ in NOTHING] + FOREIGN
    assert len(raws) >= 80
    assert len(set(raws)) == len(raws)


@pytest.mark.parametrize(("raw", "expected"), COMPOUND, ids=[r for r, _ in COMPOUND])
def test_compound_wording(raw: str, expected: list[str], ctx: ValidationContext, vocab: Vocabulary) -> None:
    updates, issues = check_levels(record([raw]), ctx)
    assert short(updates["levels"]) == expected
    assert issues == []


@pytest.mark.parametrize(("raw", "suggestion"), NOTHING, ids=[r for r, _ in NOTHING])
def test_wording_that_maps_to_nothing(raw: str, suggestion: str | None, ctx: ValidationContext) -> None:
    updates, issues = check_levels(record([raw]), ctx)
    assert updates["levels"] == []
    [issue] = issues
    assert issue.code == "LEVEL_UNMAPPED"
    assert issue.suggestion == (NIV + suggestion if suggestion else None)


@pytest.mark.parametrize("raw", FOREIGN)
def test_another_countrys_level_is_never_a_quebec_level(raw: str, ctx: ValidationContext) -> None:
    assert is_foreign(raw)
    updates, issues = check_levels(record([raw]), ctx)
    assert updates["levels"] == []
    [issue] = issues
    assert (issue.code, issue.suggestion) == ("LEVEL_UNMAPPED", None)
    assert "autre système scolaire" in issue.message_fr and "another school system" in issue.message_en


@pytest.mark.parametrize(
    "raw", ["Baccalauréat professionnel", "Première année de licence", "Collège (6e-3e)", "Terminale"]
)
def test_french_diplomas_that_look_quebec_are_not_even_keywords(raw: str, ctx: ValidationContext) -> None:
    updates, issues = check_levels(record(keywords=[raw]), ctx)
    assert updates["levels"] == []
    assert [i.code for i in issues] == ["LEVEL_MISSING"]


@pytest.mark.parametrize(
    "raw",
    [
        "Baccalauréat",
        "bac",
        "licence",
        "collège",
        "Secondaire 1er cycle",
        "troisième secondaire",
        "Première année",
    ],
)
def test_quebec_wordings_that_share_words_with_france_are_not_foreign(raw: str) -> None:
    assert not is_foreign(raw)


def test_a_french_classification_path_gets_no_suggestion(ctx: ValidationContext) -> None:
    path = TaxonPath(
        purpose=Term(source="LOMv1.0", value="educational level"),
        source={"fr": "Niveaux"},
        taxa=[(None, {"fr": "Lycée"}), (None, {"fr": "Baccalauréat professionnel"})],
    )
    resource = record().model_copy(update={"classifications": [path]})
    _, issues = check_levels(resource, ctx)
    assert [(i.code, i.field, i.suggestion) for i in issues] == [("LEVEL_UNMAPPED", "classification", None)]


@pytest.mark.parametrize(
    ("raw", "main", "bracketed"),
    [
        ("Grade 9 (Secondaire 4)", S3, S4),
        ("Secondaire 2 (Grade 7)", S2, S1),
        ("Primaire (Secondaire 1)", "primaire", S1),
    ],
)
def test_parts_that_disagree_are_ambiguous(
    raw: str, main: str, bracketed: str, ctx: ValidationContext, vocab: Vocabulary
) -> None:
    updates, issues = check_levels(record([raw]), ctx)
    assert sorted(short(updates["levels"])) == sorted([main, bracketed])  # both kept: it still routes
    [issue] = issues
    assert (issue.code, issue.severity, issue.value) == ("LEVEL_AMBIGUOUS", "warning", raw)
    assert issue.suggestion == NIV + main
    for uri in (main, bracketed):
        concept = vocab.get(NIV + uri)
        assert concept is not None
        assert concept.label("fr") in issue.message_fr and concept.label("en") in issue.message_en


def test_an_ambiguous_keyword_says_nothing(ctx: ValidationContext) -> None:
    updates, _ = check_levels(record(keywords=["Grade 9 (Secondaire 4)", "Sec. 1-2"]), ctx)
    assert short(updates["levels"]) == [S1, S2]


@pytest.mark.parametrize(
    ("raw", "parts", "equivalents"),
    [
        ("Sec. 1-2", [("Sec. 1",), ("Sec. 2", "Sec. 1 Sec. 2", "secondaire Sec. 2")], []),
        ("Grade 7 (Secondaire 1)", [("Grade 7",)], [("Secondaire 1", "Grade 7 Secondaire 1")]),
        ("Primaire / 1er cycle", [("Primaire",), ("1er cycle", "Primaire 1er cycle")], []),
        (
            "2e année du 1er cycle du secondaire",
            [("secondaire 2", "2e année du 1er cycle du secondaire")],
            [],
        ),
        ("Second-year university", [("1er cycle universitaire", "Second-year university")], []),
    ],
)
def test_parse_level_decomposes(
    raw: str, parts: list[tuple[str, ...]], equivalents: list[tuple[str, ...]]
) -> None:
    parsed = parse_level(raw)
    assert list(parsed.parts) == parts
    assert list(parsed.equivalents) == equivalents
    assert not parsed.foreign


def test_parsed_values_are_remembered(ctx: ValidationContext) -> None:
    """Values repeat record after record: the second time a compound value costs a dictionary access."""
    resource = record(["Enseignement collégial – formation technique", "Sec. 1-2"], ["Grades 7-9"])
    check_levels(resource, ctx)
    per_call = timeit.timeit(lambda: check_levels(resource, ctx), number=2000) / 2000
    assert per_call < 100e-6, f"{per_call * 1e6:.0f} µs per record"
