"""Problem patterns across fields and records: the same title across a source, keywords = title."""

from __future__ import annotations

from collections import Counter

import pytest
import rdflib

from ren_index.config.rules import TextRules, ValidationRules
from ren_index.config.vocabularies import Vocabularies, build_vocabulary
from ren_index.model import Provenance, Resource
from ren_index.validate import CHECKS, ValidationContext, validate
from ren_index.validate.patterns import check_patterns, repeated_titles, title_key, title_keys


def _ctx(counts: dict[str, int] | None = None, rules: ValidationRules | None = None) -> ValidationContext:
    empty = build_vocabulary(rdflib.Graph(), "empty")
    vocabularies = Vocabularies(levels=empty, licences=empty, resource_types=empty)
    known = Counter(counts or {})
    return ValidationContext(
        vocabularies=vocabularies, rules=rules or ValidationRules(), same_title_count=known.__getitem__
    )


def _resource(title: dict[str, str], keywords: list[dict[str, str]] | None = None) -> Resource:
    resource = Resource(provenance=Provenance(source="t", identifier="oai:t:1", metadata_format="oai_dc"))
    resource.general.title = title
    resource.general.keywords = keywords or []
    return resource


# The same title on many records of one source -----------------------------------------------------


@pytest.mark.parametrize(
    ("title", "counts", "expected"),
    [
        # At or above the threshold (5 by default): reported, with the count, on each record.
        ({"fr": "Exercices"}, {"exercices": 5}, [("TITLE_REPEATED_IN_SOURCE", "warning", "Exercices")]),
        (
            {"fr": "Fiche de l'élève"},
            {"fiche de l eleve": 42},
            [("TITLE_REPEATED_IN_SOURCE", "warning", "Fiche de l'élève")],
        ),
        # Counted folded: case, accents and punctuation do not make titles different.
        ({"fr": "EXERCICES !"}, {"exercices": 7}, [("TITLE_REPEATED_IN_SOURCE", "warning", "EXERCICES !")]),
        # Below the threshold, or unknown (a record checked alone): nothing.
        ({"fr": "Exercices"}, {"exercices": 4}, []),
        ({"fr": "Exercices"}, {}, []),
        ({"fr": "Les fractions"}, {"exercices": 50}, []),
        # The same title in two languages is one title: one finding, not two.
        ({"fr": "Quiz", "en": "QUIZ"}, {"quiz": 9}, [("TITLE_REPEATED_IN_SOURCE", "warning", "Quiz")]),
        # Two different titles, one repeated.
        (
            {"fr": "Exercices", "en": "Fraction drills"},
            {"exercices": 6, "fraction drills": 1},
            [("TITLE_REPEATED_IN_SOURCE", "warning", "Exercices")],
        ),
        # No title: nothing to count (TITLE_MISSING says it).
        ({}, {"": 100}, []),
    ],
)
def test_title_repeated_in_source_table(
    title: dict[str, str], counts: dict[str, int], expected: list[tuple[str, str, str]]
) -> None:
    updates, issues = check_patterns(_resource(title), _ctx(counts))
    assert updates == {}
    assert [(i.code, i.severity, i.value) for i in issues] == expected
    for issue in issues:
        count = str(counts[title_key(str(issue.value))])
        assert count in issue.message_fr and count in issue.message_en
        assert issue.field == "general.title"


def test_repeat_threshold_comes_from_the_rules() -> None:
    rules = ValidationRules(text=TextRules(title_repeated_min_records=2))
    assert [i.code for i in check_patterns(_resource({"fr": "Quiz"}), _ctx({"quiz": 2}, rules))[1]] == [
        "TITLE_REPEATED_IN_SOURCE"
    ]
    assert check_patterns(_resource({"fr": "Quiz"}), _ctx({"quiz": 2}))[1] == []


def test_title_keys_count_a_bilingual_record_once() -> None:
    assert title_keys(_resource({"fr": "Quiz !", "en": "quiz", "es": "  "})) == {"quiz"}
    assert title_keys(_resource({"fr": "Les volcans", "en": "Volcanoes"})) == {"les volcans", "volcanoes"}


def test_repeated_titles_for_a_source_report() -> None:
    records = (
        [{"fr": "Exercices"}] * 6 + [{"fr": "EXERCICES"}] + [{"fr": "Quiz"}] * 5 + [{"fr": "Les volcans"}]
    )
    counts: Counter[str] = Counter()
    for title in records:
        counts.update(title_keys(_resource(title)))
    assert repeated_titles(counts, 5) == {"exercices": 7, "quiz": 5}
    assert list(repeated_titles(counts, 5)) == ["exercices", "quiz"]  # most repeated first
    assert repeated_titles(counts, 8) == {}


# Keywords that repeat the title -------------------------------------------------------------------

TITLE = {"fr": "Les fractions au primaire"}


@pytest.mark.parametrize(
    ("keywords", "value"),
    [
        # The title again, whatever its case or punctuation.
        ([{"fr": "Les fractions au primaire"}], "Les fractions au primaire"),
        ([{"fr": "mathématiques"}, {"fr": "LES FRACTIONS AU PRIMAIRE."}], "LES FRACTIONS AU PRIMAIRE."),
        # A keyword that holds the whole title.
        ([{"fr": "Les fractions au primaire - 3e année"}], "Les fractions au primaire - 3e année"),
        # Several offenders are quoted together.
        (
            [{"fr": "les fractions au primaire"}, {"en": "Les fractions au primaire"}],
            "les fractions au primaire ; Les fractions au primaire",
        ),
        # Real subject keywords, even words of the title, are fine.
        ([{"fr": "fractions"}, {"fr": "primaire"}], None),
        ([{"fr": "mathématiques"}, {"fr": "nombres rationnels"}], None),
        ([{"fr": "Les fractions"}], None),
        ([], None),
        ([{"fr": "  "}], None),
    ],
)
def test_keywords_repeat_title_table(keywords: list[dict[str, str]], value: str | None) -> None:
    issues = check_patterns(_resource(TITLE, keywords), _ctx())[1]
    if value is None:
        assert issues == []
    else:
        assert [(i.code, i.severity, i.field, i.value) for i in issues] == [
            ("KEYWORDS_REPEAT_TITLE", "info", "general.keywords", value)
        ]
        assert value in issues[0].message_fr and value in issues[0].message_en


def test_a_one_word_title_is_repeated_only_by_the_same_word() -> None:
    """ "Volcans" as a keyword of the title "Volcans" repeats it; "volcans du Québec" is a subject."""
    title = {"fr": "Volcans"}
    assert [i.code for i in check_patterns(_resource(title, [{"fr": "volcans"}]), _ctx())[1]] == [
        "KEYWORDS_REPEAT_TITLE"
    ]
    assert check_patterns(_resource(title, [{"fr": "Volcans du Québec"}]), _ctx())[1] == []


def test_patterns_run_with_every_check() -> None:
    assert check_patterns in CHECKS
    _, issues = validate(_resource({"fr": "Exercices"}, [{"fr": "exercices"}]), _ctx({"exercices": 12}))
    codes = [i.code for i in issues]
    assert "TITLE_REPEATED_IN_SOURCE" in codes and "KEYWORDS_REPEAT_TITLE" in codes
