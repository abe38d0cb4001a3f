"""The contribution crosswalk: each field where the validators read it, and the contributor kept."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from ren_index.model import Contributor, Provenance, Resource, Term
from ren_index.normalize.registry import JSON_FORMATS, MAPPERS, normalize
from ren_index.validate import ValidationContext, validate

from .conftest import RULEBOOK, body


def mapped(document: dict[str, Any]) -> Resource:
    provenance = Provenance(source="ma-classe", identifier="r-1", metadata_format="contribution")
    resource, issues = normalize(json.dumps(document), provenance)
    assert issues == []
    return resource


def test_the_format_is_registered_like_the_other_json_formats() -> None:
    assert JSON_FORMATS["contribution"] == "contribution"
    assert "contribution" in MAPPERS


def test_every_field_lands_where_the_crosswalk_says() -> None:
    resource = mapped(body())
    assert resource.provenance.metadata_format == "contribution"
    assert [(i.catalog, i.entry) for i in resource.general.identifiers] == [("ma-classe", "ressource-1")]
    assert resource.general.title == {"fr": "Les fractions dans la cuisine"}
    assert resource.general.description["fr"].startswith("Une activité")
    assert resource.technical.locations == ["https://ma-classe.example.qc.ca/r/ressource-1"]
    assert resource.general.languages == ["fr"]
    assert resource.educational.contexts == [Term(value="Primaire 3e cycle")]
    assert resource.rights.description == {"fr": "CC BY 4.0"} and resource.rights.licence_uri is None
    assert resource.educational.learning_resource_types == [Term(value="exercice")]
    assert resource.general.keywords == [{"fr": "fractions"}, {"fr": "mesure"}]
    roles = {c.role.value if c.role else None: c.entities for c in resource.lifecycle.contributions}
    assert roles == {"author": ["Julie Gagnon"], "publisher": ["École des Pins"]}
    assert resource.provenance.contributor == Contributor(
        id="u-1001", display_name="Julie G.", organisation="École des Pins"
    )


def test_values_as_people_write_them_are_resolved_by_the_usual_validation() -> None:
    """Labels, notations and URIs go through the same checks as a harvested record's."""
    document = body(
        languages=["Français"],
        levels=["Sec. 3", "https://w3id.org/ren-index/vocab/niveaux/primaire-cycle-3"],
        licence="https://creativecommons.org/licenses/by-sa/4.0/",
        resource_types=["Exercice"],
    )
    resource = mapped(document)
    assert resource.rights.licence_uri == "https://creativecommons.org/licenses/by-sa/4.0/"
    ctx = ValidationContext(vocabularies=RULEBOOK.vocabularies, rules=RULEBOOK.policy.rules)
    validated, _issues = validate(resource, ctx)
    assert validated.controlled.languages == ["fr"]
    assert "https://w3id.org/ren-index/vocab/niveaux/primaire-cycle-3" in validated.controlled.levels
    assert any("secondaire" in level for level in validated.controlled.levels)
    assert validated.controlled.licence is not None and "by-sa" in validated.controlled.licence
    assert validated.controlled.resource_types == ["https://w3id.org/ren-index/vocab/types/exercice"]


@pytest.mark.parametrize(
    ("title", "languages", "expected"),
    [
        ("Fractions", ["en"], {"en": "Fractions"}),
        ("Les fractions", ["fr", "en"], {"und": "Les fractions"}),  # which one? validation detects it
        ("Les fractions", [], {"und": "Les fractions"}),
        ({"fr": "Les fractions", "en": "Fractions"}, ["fr"], {"fr": "Les fractions", "en": "Fractions"}),
    ],
)
def test_a_plain_title_takes_the_only_language_given(
    title: str | dict[str, str], languages: list[str], expected: dict[str, str]
) -> None:
    assert mapped(body(title=title, languages=languages)).general.title == expected


def test_markup_is_text_and_the_raw_description_is_kept_for_review() -> None:
    resource = mapped(body(title="<b>Fractions</b>", description="Une <script>x()</script><em>activité</em>"))
    assert resource.general.title == {"fr": "Fractions"} and resource.general.title_raw == {
        "fr": "<b>Fractions</b>"
    }
    assert "<" not in resource.general.description["fr"] and "activité" in resource.general.description["fr"]
    assert "<em>" in resource.general.description_raw["fr"]


def test_a_stored_payload_of_an_odd_shape_maps_without_raising() -> None:
    """Stored payloads outlive schema versions: whatever they hold, the mapper reads what it can."""
    odd = {
        "external_id": 7,
        "title": {"fr": 3, "de": "Brüche"},
        "url": "pas une adresse",
        "languages": "fr",
        "levels": [None, {"x": 1}, "Secondaire 1", "  "],
        "authors": ["Julie", {"name": ["x"]}],
        "contributor": {"display_name": "sans id"},
    }
    resource = mapped(odd)
    assert resource.general.identifiers == [] and resource.general.title == {}
    assert resource.technical.locations == [] and resource.general.languages == []
    assert resource.educational.contexts == [Term(value="Secondaire 1")]
    assert resource.lifecycle.contributions == [] and resource.provenance.contributor is None


def test_no_personal_data_reaches_the_record_whatever_the_payload_holds(tmp_path: Path) -> None:
    smuggled = body(contributor={"id": "u-9", "email": "julie@example.org", "phone": "555-0100"})
    resource = mapped(smuggled)
    dumped = resource.model_dump_json()
    assert "julie@example.org" not in dumped and "555-0100" not in dumped
    assert resource.provenance.contributor == Contributor(id="u-9")
