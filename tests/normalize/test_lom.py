"""The LOM crosswalk, field by field, on records written for the project."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from lxml import etree

from ren_index.model import Contribution, Identifier, Issue, Resource, TaxonPath, Term
from ren_index.normalize.mappers.lom_reader import vocabulary

Mapped = Callable[[str, str], tuple[Resource, list[Issue]]]
NORMETIC_TYPES = "http://www.normetic.org/vdex/typeressourcev1_2.xml"
SCOLOMFR = "http://data.education.fr/voc/scolomfr/concept/"


@pytest.fixture
def fr(mapped: Mapped) -> tuple[Resource, list[Issue]]:
    return mapped("lom_normetic_fr.xml", "oai_lom")


@pytest.fixture
def en(mapped: Mapped) -> tuple[Resource, list[Issue]]:
    return mapped("lom_en.xml", "lom")


# Normetic record, French ---------------------------------------------------------------------


def test_fr_format_and_no_issue(fr: tuple[Resource, list[Issue]]) -> None:
    resource, issues = fr
    assert resource.provenance.metadata_format == "lom"
    assert issues == []


def test_fr_identifiers_skip_empty_entries(fr: tuple[Resource, list[Issue]]) -> None:
    assert fr[0].general.identifiers == [
        Identifier(catalog="URI", entry="https://ecole.example.qc.ca/ressources/volcans"),
        Identifier(catalog="ISBN", entry="978-2-89000-000-1"),
    ]


def test_fr_title_language_tags_normalized(fr: tuple[Resource, list[Issue]]) -> None:
    assert fr[0].general.title == {"fr-CA": "Les volcans du monde", "en": "Volcanoes of the World"}


def test_fr_languages_as_given(fr: tuple[Resource, list[Issue]]) -> None:
    assert fr[0].general.languages == ["fr-CA", "français"]


def test_fr_description_html_stripped(fr: tuple[Resource, list[Issue]]) -> None:
    assert fr[0].general.description == {"fr-CA": "Une exploration des volcans. Pour le 3e cycle."}


def test_fr_keywords_and_coverage_skip_empty(fr: tuple[Resource, list[Issue]]) -> None:
    general = fr[0].general
    assert general.keywords == [{"fr-CA": "volcan"}, {"fr-CA": "géologie", "en": "geology"}]
    assert general.coverage == [{"fr": "Islande"}]


def test_fr_lifecycle(fr: tuple[Resource, list[Issue]]) -> None:
    lifecycle = fr[0].lifecycle
    assert lifecycle.version == "2.1"
    assert lifecycle.contributions == [
        Contribution(
            role=Term(source="LOMv1.0", value="author"),
            entities=["Sylvie Côté"],
            date="2019-03-01",
        ),
        Contribution(
            role=Term(source="LOMv1.0", value="publisher"),
            entities=["Centre de services scolaire de l'Exemple"],
            date="2020-01-15",
        ),
    ]
    assert lifecycle.date == "2020-01-15"  # the publisher's date, not the first one


def test_fr_technical(fr: tuple[Resource, list[Issue]]) -> None:
    technical = fr[0].technical
    assert technical.formats == ["text/html", "application/pdf"]
    assert technical.size == 204800
    assert technical.locations == ["https://ecole.example.qc.ca/ressources/volcans/index.html"]


def test_fr_educational_from_every_educational_element(fr: tuple[Resource, list[Issue]]) -> None:
    educational = fr[0].educational
    assert educational.learning_resource_types == [
        Term(source=NORMETIC_TYPES, value="activité d'apprentissage"),
        Term(source="LOMv1.0", value="simulation"),
    ]
    assert educational.intended_end_user_roles == [Term(source="LOMv1.0", value="learner")]
    assert educational.contexts == [
        Term(source="http://www.normetic.org/vdex/contexte.xml", value="primaire"),
        Term(source="LOMv1.0", value="school"),
    ]
    assert educational.typical_age_range == ["10-12"]
    assert educational.description == {"fr-CA": "À faire en équipe de deux."}


def test_fr_rights(fr: tuple[Resource, list[Issue]]) -> None:
    rights = fr[0].rights
    assert rights.cost is False
    assert rights.copyright is True
    assert rights.description == {
        "fr-CA": "CC BY-NC 4.0 (https://creativecommons.org/licenses/by-nc/4.0/deed.fr)."
    }
    assert rights.licence_uri == "https://creativecommons.org/licenses/by-nc/4.0/deed.fr"


def test_fr_classification_with_purpose_empty_path_skipped(
    fr: tuple[Resource, list[Issue]],
) -> None:
    assert fr[0].classifications == [
        TaxonPath(
            purpose=Term(source="LOMv1.0", value="discipline"),
            source={"fr": "Programme de formation de l'école québécoise"},
            taxa=[
                ("PFEQ-ST", {"fr": "Science et technologie"}),
                ("PFEQ-ST-TERRE", {"fr": "La Terre et l'espace", "en": "Earth and space"}),
            ],
        )
    ]


def test_fr_has_no_dc_types(fr: tuple[Resource, list[Issue]]) -> None:
    assert fr[0].resource_types == []


# English record: prefixed elements, concept URIs, odd entities --------------------------------


def test_en_general(en: tuple[Resource, list[Issue]]) -> None:
    general = en[0].general
    assert general.title == {"en": "Photosynthesis explained"}
    assert general.languages == ["http://id.loc.gov/vocabulary/iso639-2/eng"]
    assert general.description == {"en": "How plants turn light into sugar.\n\nIncludes a short quiz."}
    assert general.keywords == [{"und": "photosynthesis"}]
    assert general.identifiers == []


def test_en_lomfr_and_scolomfr_types(en: tuple[Resource, list[Issue]]) -> None:
    assert en[0].resource_types == [
        Term(source="LOMFRv1.0", value="http://purl.org/dc/dcmitype/InteractiveResource"),
        Term(source="SCOLOMFRv2.1", value=SCOLOMFR + "scolomfr-voc-005-num-012"),
    ]


def test_en_contributions_tolerate_odd_entities(en: tuple[Resource, list[Issue]]) -> None:
    lifecycle = en[0].lifecycle
    assert lifecycle.contributions == [
        Contribution(
            role=Term(source="SCOLOMFRv2.1", value=SCOLOMFR + "author"),
            entities=["Anh Nguyen", "Open Science Lab"],
            date=None,
        ),
        Contribution(
            role=Term(source="LOMv1.0", value="content provider"),
            entities=["Open Science Lab"],
            date="2018-06",
        ),
    ]
    assert lifecycle.date == "2018-06"


def test_en_issues(en: tuple[Resource, list[Issue]]) -> None:
    issues = en[1]
    assert [(i.code, i.severity, i.field) for i in issues] == [
        ("VCARD_UNPARSEABLE", "info", "lifecycle.contributions.entities"),
        ("VCARD_UNPARSEABLE", "info", "lifecycle.contributions.entities"),
        ("DATE_UNPARSEABLE", "warning", "lifecycle.contributions.date"),
        ("SIZE_UNPARSEABLE", "info", "technical.size"),
    ]
    assert issues[0].value == "Open Science Lab"
    assert issues[2].value == "last spring"
    assert issues[3].value == "12 MB"
    assert all(i.message_fr and i.message_en for i in issues)


def test_en_technical(en: tuple[Resource, list[Issue]]) -> None:
    technical = en[0].technical
    assert technical.size is None
    assert technical.locations == ["https://science.example.org/photosynthesis"]


def test_en_educational_bare_vocabulary_text(en: tuple[Resource, list[Issue]]) -> None:
    educational = en[0].educational
    assert educational.learning_resource_types == [Term(source="SCOLOMFRv2.1", value=SCOLOMFR + "simulation")]
    assert educational.intended_end_user_roles == [Term(source=None, value="teacher")]
    assert educational.typical_age_range == ["14-16"]


def test_en_rights_from_concept_uris(en: tuple[Resource, list[Issue]]) -> None:
    rights = en[0].rights
    assert rights.cost is False
    assert rights.copyright is True
    assert rights.licence_uri == "https://creativecommons.org/licenses/by/4.0/"


@pytest.mark.parametrize(
    ("xml", "expected"),
    [
        (
            "<role><source>LOMv1.0</source><value> author </value></role>",
            Term(source="LOMv1.0", value="author"),
        ),
        ("<role>publisher</role>", Term(value="publisher")),  # no <value>: the element's own text
        ("<role>publisher<value/></role>", None),  # an empty <value>: no guess from the own text
        ("<role><!-- c --><value>a</value><value>b</value></role>", Term(value="a")),  # the first
        (
            "<role xmlns:x='urn:x'><x:source>S</x:source><x:value>v</x:value></role>",
            Term(source="S", value="v"),
        ),
        ("<role><source/><source>S</source><value>v</value></role>", Term(source="S", value="v")),
    ],
)
def test_vocabulary_element_read_in_one_pass(xml: str, expected: Term | None) -> None:
    """``<source>``/``<value>`` by local name, the first non-empty of each, the own text only
    without any ``<value>`` (as before the loop was made one pass)."""
    assert vocabulary(etree.fromstring(xml)) == expected
