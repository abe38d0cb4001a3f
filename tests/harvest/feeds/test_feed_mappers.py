"""The RSS, LRMI and CSV crosswalks field by field, and the shared LRMI / AMB examples."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ren_index.errors import UnknownFormatError
from ren_index.harvest.jsonld import (
    JsonLdHarvester,
    compact,
    json_documents,
    localize_contexts,
    resource_nodes,
)
from ren_index.model import Provenance
from ren_index.normalize.registry import normalize

SHARED = Path(__file__).resolve().parents[3].parent / "shared" / "standards"


def prov(fmt: str) -> Provenance:
    return Provenance(source="s", identifier="i", metadata_format=fmt)


def test_rss_item() -> None:
    item = {
        "id": "https://w.example/?p=1",
        "link": "https://w.example/fractions/",
        "title": {"value": "Les fractions", "type": "text/plain", "language": None},
        "summary": {"value": "<p>Court</p>", "type": "text/html"},
        "content": [{"value": "<p>Une <b>activité</b></p><script>x()</script>", "type": "text/html"}],
        "published": "2024-03-05T14:00:00Z",
        "updated": None,
        "authors": ["Marie Tremblay"],
        "tags": ["Mathématiques"],
        "language": "fr-CA",
        "rights": None,
        "licence": ["https://creativecommons.org/licenses/by/4.0/"],
        "enclosures": [{"href": "https://w.example/a.mp3", "type": "audio/mpeg"}],
    }
    resource, issues = normalize(json.dumps(item), prov("rss"))
    assert issues == [] and resource.provenance.metadata_format == "rss"
    assert resource.general.title == {"fr-CA": "Les fractions"}
    assert resource.general.description == {"fr-CA": "Une activité\n\nCourt"}
    assert "<b>" in resource.general.description_raw["fr-CA"]
    assert resource.general.languages == ["fr-CA"]
    assert resource.general.keywords == [{"fr-CA": "Mathématiques"}]
    assert resource.technical.locations == ["https://w.example/fractions/"]
    assert resource.technical.formats == ["audio/mpeg"]
    assert resource.lifecycle.contributions[0].entities == ["Marie Tremblay"]
    assert resource.lifecycle.date == "2024-03-05"
    assert resource.rights.licence_uri == "https://creativecommons.org/licenses/by/4.0/"


def test_lrmi_node_from_listing() -> None:
    body = (Path(__file__).resolve().parents[2] / "fixtures" / "feeds" / "listing.jsonld").read_bytes()
    records = _records(body)
    resource, issues = normalize(records[0], prov("lrmi"))
    assert issues == []
    assert resource.general.title == {"fr": "Les fractions au quotidien"}
    assert resource.general.description == {"fr-CA": "Une séquence d'activités sur les fractions."}
    assert resource.general.languages == ["fr-CA"]
    assert resource.general.keywords == [{"fr-CA": "fractions"}, {"fr-CA": "mathématiques"}]
    assert resource.general.identifiers[0].entry == "https://partenaire.example/ressources/fractions"
    assert resource.technical.locations == ["https://partenaire.example/fractions"]
    level = resource.classifications[0]
    assert level.purpose is not None and level.purpose.value == "educational level"
    assert level.taxa == [("P3", {"und": "Primaire, 3e cycle"})]
    assert [t.value for t in resource.educational.learning_resource_types] == ["activité"]
    assert [t.value for t in resource.educational.intended_end_user_roles] == ["teacher"]
    assert resource.rights.licence_uri == "https://creativecommons.org/licenses/by-sa/4.0/"
    assert resource.lifecycle.date == "2024-02-10"
    roles = {c.role.value: c.entities for c in resource.lifecycle.contributions if c.role}
    assert roles == {"author": ["Louise Gagnon"], "publisher": ["Partenaire éducatif"]}
    assert [t.value for t in resource.resource_types] == ["LearningResource"]
    second, _ = normalize(records[1], prov("lrmi"))
    assert [t.value for t in second.educational.contexts] == ["Secondaire 1"]
    assert second.rights.licence_uri == "https://creativecommons.org/licenses/by/4.0/"
    assert second.rights.description == {"und": "CC BY 4.0"}


def test_csv_row() -> None:
    row = {
        "id": "R-2",
        "title": "Électricité",
        "description": "<p>Schémas</p>",
        "url": "https://p.example/r2",
        "language": "fr",
        "level": "Secondaire 4; Secondaire 5",
        "licence": "CC BY 4.0",
        "keywords": "circuits, physique",
        "author": "A; B",
        "date": "2024-05-01",
        "type": "exercice",
    }
    resource, issues = normalize(json.dumps(row), prov("csv"))
    assert issues == []
    assert resource.general.identifiers[0].entry == "R-2"
    assert resource.general.title == {"fr": "Électricité"}
    assert resource.general.description == {"fr": "Schémas"}
    assert resource.general.languages == ["fr"]
    assert resource.general.keywords == [{"fr": "circuits"}, {"fr": "physique"}]
    assert [t.value for t in resource.educational.contexts] == ["Secondaire 4", "Secondaire 5"]
    assert resource.rights.description == {"fr": "CC BY 4.0"} and resource.rights.licence_uri is None
    assert resource.technical.locations == ["https://p.example/r2"]
    assert resource.lifecycle.contributions[0].entities == ["A", "B"]
    assert resource.lifecycle.date == "2024-05-01"
    assert [t.value for t in resource.educational.learning_resource_types] == ["exercice"]


def test_csv_row_without_language_and_with_a_bad_date() -> None:
    resource, issues = normalize(json.dumps({"title": "T", "date": "printemps"}), prov("csv"))
    assert resource.general.title == {"und": "T"}
    assert [i.code for i in issues] == ["DATE_UNPARSEABLE"]


@pytest.mark.parametrize("payload", ['{"title": ', '{"a": 1} trailing'])
def test_broken_json_payload_is_an_issue(payload: str) -> None:
    _, issues = normalize(payload, prov("csv"))
    assert [i.code for i in issues] == ["PAYLOAD_INVALID"]


def test_json_payload_with_unknown_prefix_fails_loudly() -> None:
    with pytest.raises(UnknownFormatError):
        normalize("{}", prov("mods"))


def _records(body: bytes) -> list[str]:
    from rdflib import Graph

    problems: list[str] = []
    payloads = []
    for doc in json_documents(body, problems):
        graph = Graph()
        graph.parse(data=json.dumps(localize_contexts(doc, problems)), format="json-ld", base="http://x/")
        payloads += [json.dumps(compact(graph, n)) for n in resource_nodes(graph)]
    assert problems == []
    return payloads


def _shared(*parts: str) -> Path:
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"{path} absent: the shared reference material is not beside the repository")
    return path


def test_shared_lrmi_examples_map() -> None:
    folder = _shared("dcmi__lrmi")
    titles = {}
    for path in sorted(folder.glob("*json*")):
        for payload in _records(path.read_bytes()):
            resource, issues = normalize(payload, prov("lrmi"))
            assert not [i for i in issues if i.code in ("PAYLOAD_INVALID", "MAPPING_FAILED")], path
            titles[path.name] = resource
    example = titles["LRexample01.jsonld"]
    assert example.best_title() == "Tiles, Blocks, Sapphires & Gold: Designing a Treasure Map"
    assert example.general.languages == ["English"]
    assert {t.value for t in example.educational.learning_resource_types} == {
        "Activity",
        "Lesson Plan",
        "On-Line",
    }
    assert example.educational.typical_age_range == ["2-5", "5-8"]
    prefixed = titles["LRexample01a.json-ld"]
    assert (
        prefixed.url
        == "http://dx.cooperhewitt.org/lessonplan/Tiles-Blocks-Sapphires-Gold-Designing-a-Treasure-Map/"
    )
    assert [p.taxa[0][0] for p in prefixed.classifications] == [
        "http://purl.org/ASN/scheme/ASNEducationLevel/1",
        "http://purl.org/ASN/scheme/ASNEducationLevel/Pre-K",
    ]
    assert [t.value for t in prefixed.educational.intended_end_user_roles] == ["Teacher"]


def test_shared_amb_examples_map() -> None:
    folder = _shared("dini-ag-kim__amb", "20231019", "examples")
    mapped = {}
    for path in sorted(folder.rglob("*.json")):
        (payload,) = _records(path.read_bytes())
        resource, issues = normalize(payload, prov("lrmi"))
        assert not [i for i in issues if i.code in ("PAYLOAD_INVALID", "MAPPING_FAILED")], path
        mapped[path.name] = resource
    course = mapped["highered-course.json"]
    assert course.general.title == {"de": "Computer Structures and Operating Systems"}
    assert course.general.languages == ["en"]
    assert course.rights.licence_uri == "https://creativecommons.org/licenses/by-sa/4.0/"
    assert course.rights.cost is False
    assert course.classifications[0].taxa[0] == (
        "https://w3id.org/kim/educationalLevel/level_06",
        {"de": "Bachelor oder äquivalent", "en": "Bachelor or equivalent"},
    )
    assert course.lifecycle.contributions[0].entities == ["Jens Lechtenbörger"]
    assert {"de": "Informatik"} in course.general.keywords
    assert course.url == "https://oer.gitlab.io/OS"
    assert mapped["MIT-License.json"].rights.licence_uri == "https://opensource.org/licenses/MIT"
    assert mapped["license-as-string.json"].rights.licence_uri == (
        "https://creativecommons.org/publicdomain/zero/1.0/"
    )
    assert [t.value for t in mapped["learningResourceType.json"].educational.learning_resource_types] == [
        "http://w3id.org/openeduhub/vocabs/new_lrt/4e16015a-7862-49ed-9b5e-6c1c6e0ffcd1",
        "https://w3id.org/kim/hcrt/course",
    ]
    assert mapped["oerInMultipleLanguages.json"].general.languages == ["de", "en", "fr"]


def test_jsonld_harvester_is_importable() -> None:
    assert JsonLdHarvester.metadata_prefix == "lrmi"
