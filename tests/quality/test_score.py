"""The quality score on records built for these tests: parts, penalty, ``missing``, per source."""

from __future__ import annotations

import pytest
from rdflib import Graph

from ren_index.config.vocabularies import Vocabularies, build_vocabulary
from ren_index.model import (
    Contribution,
    Controlled,
    Educational,
    General,
    Issue,
    Lifecycle,
    Provenance,
    Resource,
    Rights,
    Technical,
    Term,
)
from ren_index.quality.score import FAMILIES, MISSING_LABELS, score
from ren_index.quality.summary import summarize

BY = "http://creativecommons.org/licenses/by/4.0/"
INC = "http://rightsstatements.org/vocab/InC/1.0/"
LICENCES_TTL = f"""
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix ren: <https://w3id.org/ren-index/vocab/ns#> .
<{BY}> a skos:Concept ; skos:prefLabel "CC BY 4.0"@fr ; ren:open true .
<{INC}> a skos:Concept ; skos:prefLabel "Tous droits réservés"@fr ; ren:open false .
"""
VOCABS = Vocabularies(
    levels=build_vocabulary(Graph(), "levels"),
    licences=build_vocabulary(Graph().parse(data=LICENCES_TTL, format="turtle"), "licences"),
    resource_types=build_vocabulary(Graph(), "types"),
)
LEVEL = "https://w3id.org/ren-index/vocab/niveaux/secondaire-1"
TYPE = "https://w3id.org/ren-index/vocab/types/exercice"


def full() -> Resource:
    """A record with everything: Normetic elements, controlled values, open licence, FR and EN."""
    return Resource(
        provenance=Provenance(source="s", identifier="oai:s:1", metadata_format="lom"),
        general=General(
            title={"fr": "Les fractions", "en": "Fractions"},
            description={"fr": "Exercices sur les fractions.", "en": "Exercises on fractions."},
            keywords=[{"fr": "fractions"}],
            languages=["fr"],
        ),
        lifecycle=Lifecycle(
            contributions=[Contribution(role=Term(value="author"), entities=["A. Auteur"])], date="2024-05-01"
        ),
        educational=Educational(
            contexts=[Term(value="Secondaire 1")], learning_resource_types=[Term(value="exercice")]
        ),
        rights=Rights(licence_uri=BY),
        technical=Technical(locations=["https://exemple.qc.ca/fractions"]),
        controlled=Controlled(languages=["fr"], levels=[LEVEL], licence=BY, resource_types=[TYPE]),
    )


def bare() -> Resource:
    return Resource(provenance=Provenance(source="s", identifier="oai:s:2", metadata_format="oai_dc"))


def issue(severity: str, code: str = "X") -> Issue:
    return Issue(code=code, severity=severity, field="f", message_fr="fr", message_en="en")  # type: ignore[arg-type]


def test_weights_add_up_to_one_hundred() -> None:
    weights = sum(rule.weight for _family, rules in FAMILIES for rule in rules)
    assert weights + 4 == 100  # + "no error or warning"


def test_a_complete_clean_record_scores_one_hundred_and_misses_nothing() -> None:
    quality = score(full(), [], VOCABS)
    assert quality.score == 100
    assert quality.missing == ()
    assert quality.as_json() == {"score": 100, "missing": []}


def test_an_empty_record_scores_zero_and_misses_every_part_most_valuable_first() -> None:
    quality = score(bare(), [issue("error"), issue("error")], VOCABS)
    assert quality.score == 0
    codes = [m.code for m in quality.missing]
    assert codes[0] == "fix_issues"  # 2 errors = 20 + the 4 points of a clean record
    assert codes[1] == "title"
    assert {"description", "url", "level", "licence", "language", "open_licence", "title_fr_en"} <= set(codes)
    points = [m.points for m in quality.missing]
    assert points == sorted(points, reverse=True)


def _without(field: str) -> Resource:
    record = full()
    if field == "title":
        record.general.title = {}
    elif field == "description":
        record.general.description = {"fr": "   "}
    elif field == "keywords":
        record.general.keywords = []
    elif field == "contributor":
        record.lifecycle.contributions = []
    elif field == "date":
        record.lifecycle.date = None
    elif field == "url":
        record.technical.locations = []
        record.controlled.url = None
    elif field == "language":
        record.general.languages = []
    elif field == "resource_type":
        record.educational.learning_resource_types = []
    return record


@pytest.mark.parametrize(
    ("field", "lost", "codes"),
    [
        ("title", 14, {"title", "title_fr_en"}),  # no title: the element and the bilingual title
        ("description", 12, {"description", "description_fr_en"}),
        ("keywords", 4, {"keywords"}),
        ("contributor", 4, {"contributor"}),
        ("date", 3, {"date"}),
        ("url", 6, {"url"}),
        ("language", 5, {"language"}),  # declared no language, but the pipeline found one: still resolved
        ("resource_type", 4, {"resource_type"}),
    ],
)
def test_each_missing_element_costs_its_weight(field: str, lost: int, codes: set[str]) -> None:
    quality = score(_without(field), [], VOCABS)
    assert quality.score == 100 - lost
    assert {m.code for m in quality.missing} == codes


@pytest.mark.parametrize(
    ("change", "code", "lost"),
    [
        ({"languages": []}, "language_resolved", 5),
        ({"levels": []}, "level_resolved", 6),  # the level was written, not understood
        ({"resource_types": []}, "resource_type_resolved", 4),
    ],
)
def test_unresolved_controlled_values_cost_their_weight(
    change: dict[str, list[str]], code: str, lost: int
) -> None:
    record = full()
    record.controlled = record.controlled.model_copy(update=change)
    quality = score(record, [], VOCABS)
    assert quality.score == 100 - lost
    assert [m.code for m in quality.missing] == [code]


def test_an_unrecognised_licence_loses_resolution_and_openness_but_counts_as_given() -> None:
    record = full()
    record.controlled.licence = None
    record.controlled.licence_raw = "Licence maison"
    quality = score(record, [], VOCABS)
    assert quality.score == 100 - 5 - 8
    assert {m.code for m in quality.missing} == {"licence_resolved", "open_licence"}


def test_a_closed_licence_loses_the_open_licence_points_only() -> None:
    record = full()
    record.controlled.licence = INC
    quality = score(record, [], VOCABS)
    assert quality.score == 92
    assert [m.code for m in quality.missing] == ["open_licence"]


def test_without_vocabularies_openness_is_not_earned() -> None:
    assert score(full(), [], None).score == 92


def test_french_only_record_misses_the_english_coverage() -> None:
    record = full()
    record.general.title = {"fr-CA": "Les fractions"}
    record.general.description = {"fr": "Exercices sur les fractions."}
    quality = score(record, [], VOCABS)
    assert quality.score == 92
    assert {m.code for m in quality.missing} == {"title_fr_en", "description_fr_en"}


@pytest.mark.parametrize(
    ("severities", "expected", "fix_points"),
    [
        (["info", "info"], 100, None),  # information lowers nothing
        (["warning"], 100 - 4 - 3, 7),
        (["warning", "warning"], 100 - 4 - 6, 10),
        (["error"], 100 - 4 - 10, 14),
        (["error"] * 6, 100 - 4 - 40, 44),  # the penalty stops at 40
    ],
)
def test_errors_and_warnings_lower_the_score(
    severities: list[str], expected: int, fix_points: int | None
) -> None:
    quality = score(full(), [issue(s) for s in severities], VOCABS)
    assert quality.score == expected
    fixes = [m.points for m in quality.missing if m.code == "fix_issues"]
    assert fixes == ([fix_points] if fix_points else [])


def test_link_state_hook_unknown_changes_nothing_broken_costs_fifteen() -> None:
    assert score(full(), [], VOCABS, link_state=None).score == 100
    assert score(full(), [], VOCABS, link_state="ok").score == 100
    broken = score(full(), [], VOCABS, link_state="broken")
    assert broken.score == 85
    assert [m.code for m in broken.missing] == ["link_ok"]


def test_level_given_as_a_classification_counts_as_present() -> None:
    from ren_index.model import TaxonPath

    record = full()
    record.educational.contexts = []
    record.controlled.levels = []
    record.classifications = [
        TaxonPath(purpose=Term(value="educational level"), taxa=[(None, {"fr": "Sec. 1"})])
    ]
    quality = score(record, [], VOCABS)
    assert [m.code for m in quality.missing] == ["level_resolved"]


def test_the_parts_explain_the_score() -> None:
    record = full()
    record.general.keywords = []
    quality = score(record, [issue("warning")], VOCABS)
    assert sum(p.earned for p in quality.parts) - quality.penalty == quality.score
    keywords = next(p for p in quality.parts if p.code == "keywords")
    assert (keywords.family, keywords.weight, keywords.earned) == ("element", 4, 0)


def test_every_missing_code_has_french_and_english_words() -> None:
    for code, (fr, en) in MISSING_LABELS.items():
        assert fr and en and fr != en, code
    for m in score(bare(), [issue("error")], None, link_state="broken").missing:
        assert m.code in MISSING_LABELS


def test_a_source_summary_gives_bands_mean_median_and_the_weakest_elements() -> None:
    no_keywords = _without("keywords")
    qualities = [
        score(full(), [], VOCABS),  # 100
        score(no_keywords, [], VOCABS),  # 96
        score(_without("url"), [], VOCABS),  # 94
        score(bare(), [issue("error")], VOCABS),  # 0
    ]
    summary = summarize(qualities, weakest=2)
    assert summary.records == 4
    assert summary.distribution == {"0-19": 1, "20-39": 0, "40-59": 0, "60-79": 0, "80-100": 3}
    assert summary.mean == round((100 + 96 + 94 + 0) / 4, 1)
    assert summary.median == 95.0
    assert [(w.code, w.records) for w in summary.weakest] == [("keywords", 2), ("url", 2)]
    assert summary.weakest[0].share == 0.5
    assert summary.weakest[0].label_fr == "Ajouter des mots-clés"


def test_an_empty_source_has_no_mean() -> None:
    summary = summarize([])
    assert (summary.records, summary.mean, summary.median, summary.weakest) == (0, None, None, ())


def test_every_part_has_a_name_in_both_languages() -> None:
    from ren_index.quality.score import PART_NAMES

    assert {p.code for p in score(full(), [], VOCABS).parts} == set(PART_NAMES)
    assert all(fr and en for fr, en in PART_NAMES.values())
