"""The oai_dc crosswalk, field by field, on records written for the project."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from ren_index.model import Contribution, Identifier, Issue, Resource, Term

Mapped = Callable[[str, str], tuple[Resource, list[Issue]]]


@pytest.fixture
def fr(mapped: Mapped) -> tuple[Resource, list[Issue]]:
    return mapped("oai_dc_fr.xml", "oai_dc")


@pytest.fixture
def en(mapped: Mapped) -> tuple[Resource, list[Issue]]:
    return mapped("oai_dc_en.xml", "oai_dc")


def test_fr_provenance_and_no_issue(fr: tuple[Resource, list[Issue]]) -> None:
    resource, issues = fr
    assert resource.provenance.metadata_format == "oai_dc"
    assert resource.provenance.identifier == "oai:test:1"
    assert issues == []


def test_fr_title_per_language_whitespace_collapsed(fr: tuple[Resource, list[Issue]]) -> None:
    assert fr[0].general.title == {
        "fr-CA": "Les fractions au quotidien",
        "en": "Fractions in everyday life",
    }


def test_fr_description_html_stripped_script_dropped(fr: tuple[Resource, list[Issue]]) -> None:
    assert fr[0].general.description == {
        "fr-CA": "Une activité interactive sur les fractions. Niveau : 2e cycle du primaire."
    }


def test_fr_subjects_become_keywords_without_repeats(fr: tuple[Resource, list[Issue]]) -> None:
    assert fr[0].general.keywords == [{"fr-CA": "mathématiques"}, {"fr-CA": "fractions"}]


def test_fr_languages_kept_as_given_trimmed(fr: tuple[Resource, list[Issue]]) -> None:
    assert fr[0].general.languages == ["fre", "fr-CA"]


def test_fr_identifiers_split_between_url_and_others(fr: tuple[Resource, list[Issue]]) -> None:
    resource = fr[0]
    assert resource.technical.locations == ["https://ressources.example.qc.ca/fractions-au-quotidien"]
    assert resource.general.identifiers == [
        Identifier(entry="oai:ressources.example.qc.ca:1234"),
        Identifier(entry="ISBN 978-2-550-12345-6"),
    ]
    assert resource.url == "https://ressources.example.qc.ca/fractions-au-quotidien"


def test_fr_contributions_by_dc_role(fr: tuple[Resource, list[Issue]]) -> None:
    assert fr[0].lifecycle.contributions == [
        Contribution(role=Term(value="author"), entities=["Tremblay, Marie", "Gagnon, Luc"]),
        Contribution(
            role=Term(value="contributor"),
            entities=["Centre collégial de développement de matériel didactique"],
        ),
        Contribution(role=Term(value="publisher"), entities=["Cégep de l'Exemple"]),
    ]


def test_fr_date(fr: tuple[Resource, list[Issue]]) -> None:
    assert fr[0].lifecycle.date == "2021-09-15"


def test_fr_types_formats_coverage(fr: tuple[Resource, list[Issue]]) -> None:
    resource = fr[0]
    assert resource.resource_types == [Term(value="Text"), Term(value="activité d'apprentissage")]
    assert resource.technical.formats == ["text/html"]
    assert resource.general.coverage == [{"fr": "Québec"}]


def test_fr_rights_text_and_licence_url(fr: tuple[Resource, list[Issue]]) -> None:
    rights = fr[0].rights
    assert rights.licence_uri == "http://creativecommons.org/licenses/by/4.0/"
    assert rights.description == {
        "fr": "Licence Creative Commons Attribution 4.0 International",
        "und": "http://creativecommons.org/licenses/by/4.0/",
    }
    assert rights.cost is None and rights.copyright is None


def test_en_title_without_xml_lang_is_und(en: tuple[Resource, list[Issue]]) -> None:
    assert en[0].general.title == {"und": "Introduction to Cell Biology"}


def test_en_descriptions_joined_decoded_once_and_sanitized(
    en: tuple[Resource, list[Issue]],
) -> None:
    assert en[0].general.description == {
        "en": "An open textbook chapter on cells & membranes.\n\nSecond part: mitosis."
    }


def test_en_keywords_languages_locations(en: tuple[Resource, list[Issue]]) -> None:
    resource = en[0]
    assert resource.general.keywords == [{"und": "biology"}, {"en": "cells"}]
    assert resource.general.languages == ["English"]
    assert resource.technical.locations == ["http://openbooks.example.org/cell-biology/chapter-1"]
    assert resource.general.identifiers == []
    assert resource.technical.formats == ["application/pdf", "text/html"]
    assert resource.resource_types == [Term(value="info:eu-repo/semantics/bookPart")]


def test_en_unreadable_dates_give_one_warning(en: tuple[Resource, list[Issue]]) -> None:
    resource, issues = en
    assert resource.lifecycle.date is None
    assert [(i.code, i.severity, i.field, i.value) for i in issues] == [
        ("DATE_UNPARSEABLE", "warning", "lifecycle.date", "Fall 2019")
    ]
    assert issues[0].message_fr and issues[0].message_en


def test_en_dcterms_license_wins_over_rights_text(en: tuple[Resource, list[Issue]]) -> None:
    rights = en[0].rights
    assert rights.licence_uri == "https://creativecommons.org/licenses/by-nc-sa/4.0/"
    assert rights.description == {
        "und": "https://creativecommons.org/licenses/by-nc-sa/4.0/\n\nAll rights reserved to the authors."
    }


def test_en_contributions(en: tuple[Resource, list[Issue]]) -> None:
    assert en[0].lifecycle.contributions == [
        Contribution(role=Term(value="author"), entities=["Smith, Jane"]),
        Contribution(role=Term(value="publisher"), entities=["Open Books Example"]),
    ]
