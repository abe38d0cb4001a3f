"""Resource -> OpenSearch document: hand-written expectations, no cluster."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from ren_index.config.vocabularies import load_vocabularies
from ren_index.index.documents import document_hash, people, split_languages, to_document, utc_date
from ren_index.model import (
    Contribution,
    Controlled,
    Educational,
    General,
    Identifier,
    Lifecycle,
    Provenance,
    Resource,
    Rights,
    TaxonPath,
    Technical,
    Term,
)


def _resource(**parts: object) -> Resource:
    fields: dict[str, object] = {
        "provenance": Provenance(
            source="eduq",
            identifier="oai:eduq.info:123",
            metadata_format="oai_lom",
            datestamp="2024-03-01T12:00:00Z",
            harvested_at=datetime(2024, 3, 2, 8, 30, tzinfo=UTC),
        )
    }
    fields.update(parts)
    return Resource.model_validate(fields)


FULL = _resource(
    general=General(
        identifiers=[Identifier(catalog="URI", entry="https://eduq.info/xmlui/handle/11515/123")],
        title={"fr-CA": "Évaluation des apprentissages", "en": "Assessment of learning"},
        description={"fr": "Un guide.", "und": "Guide bilingue"},
        keywords=[
            {"fr": "évaluation", "en": "assessment"},
            {"fr": "pédagogie"},
            {"fr": "évaluation"},
        ],
        languages=["fr-CA", "en", "fr"],
    ),
    educational=Educational(
        contexts=[Term(source="REDA", value="collégial"), Term(value="universitaire")],
        learning_resource_types=[Term(value="guide")],
    ),
    rights=Rights(licence_uri="https://creativecommons.org/licenses/by-nc-sa/4.0/"),
    technical=Technical(locations=["https://eduq.info/xmlui/bitstream/123.pdf"]),
    resource_types=[Term(value="Text"), Term(value="guide")],
)


def test_full_record_becomes_the_expected_document() -> None:
    doc = to_document(FULL, record_id="eduq:123", status="approved", portals=["pavillon"])
    record = doc.pop("record")
    assert doc == {
        "id": "eduq:123",
        "group": "eduq:123",  # its own group until the index step places it in one (v5)
        "source": "eduq",
        "source_identifier": "oai:eduq.info:123",
        "status": "approved",
        "portals": ["pavillon"],
        "languages": ["fr", "en"],
        "levels": ["collégial", "universitaire"],
        "resource_types": ["guide", "Text"],
        "licence": "https://creativecommons.org/licenses/by-nc-sa/4.0/",
        "licence_family": "undetermined",
        "disciplines": [],
        "authors": [],
        "contributors": [],
        "publishers": [],
        "url": "https://eduq.info/xmlui/bitstream/123.pdf",
        "link": "unchecked",  # never checked: the ledger says nothing of it (issue 15)
        "datestamp": "2024-03-01T12:00:00+00:00",
        "harvested_at": "2024-03-02T08:30:00+00:00",
        "date_modified": "2024-03-01T12:00:00+00:00",
        "suggest": ["Évaluation des apprentissages", "Assessment of learning"],
        "title_fr": ["Évaluation des apprentissages"],
        "title_en": ["Assessment of learning"],
        "description_fr": ["Un guide."],
        "description_other": ["Guide bilingue"],
        "keywords_fr": ["évaluation", "pédagogie"],
        "keywords_en": ["assessment"],
    }
    assert record == FULL.model_dump(mode="json", exclude_defaults=True)
    assert Resource.model_validate(record) == FULL
    assert record["general"]["title"]["fr-CA"] == "Évaluation des apprentissages"


def test_minimal_record_has_facet_lists_and_no_empty_text_fields() -> None:
    doc = to_document(
        _resource(provenance=Provenance(source="s", identifier="i", metadata_format="csv")),
        record_id="s:i",
        status="approved",
        portals=[],
    )
    assert doc == {
        "id": "s:i",
        "group": "s:i",
        "source": "s",
        "source_identifier": "i",
        "status": "approved",
        "portals": [],
        "languages": [],
        "levels": [],
        "resource_types": [],
        "licence_family": "undetermined",
        "disciplines": [],
        "authors": [],
        "contributors": [],
        "publishers": [],
        "link": "unchecked",
        "record": {"provenance": {"source": "s", "identifier": "i", "metadata_format": "csv"}},
    }


def test_licence_falls_back_to_the_rights_statement() -> None:
    resource = _resource(rights=Rights(description={"en": "All rights", "fr": " Tous droits réservés "}))
    doc = to_document(resource, record_id="x", status="approved", portals=[])
    assert doc["licence"] == "Tous droits réservés"


def test_url_falls_back_to_an_http_identifier() -> None:
    resource = _resource(general=General(identifiers=[Identifier(entry="https://ex.org/r")]))
    assert to_document(resource, record_id="x", status="approved", portals=[])["url"] == ("https://ex.org/r")


@pytest.mark.parametrize(
    ("datestamp", "expected"),
    [
        ("2024-03-01", "2024-03-01T00:00:00"),
        ("2024-03-01T12:00:00Z", "2024-03-01T12:00:00+00:00"),
        ("2024-03-01T12:00:00-05:00", "2024-03-01T12:00:00-05:00"),
        ("01/03/2024", None),
        ("hier", None),
        ("", None),
    ],
)
def test_datestamp_kept_only_when_opensearch_can_read_it(datestamp: str, expected: str | None) -> None:
    resource = _resource(
        provenance=Provenance(source="s", identifier="i", metadata_format="x", datestamp=datestamp)
    )
    doc = to_document(resource, record_id="x", status="approved", portals=[])
    assert doc.get("datestamp") == expected


@pytest.mark.parametrize(
    ("tag", "bucket"),
    [
        ("fr", "fr"),
        ("fr-CA", "fr"),
        ("FR-ca", "fr"),
        ("fr_CA", "fr"),
        ("en", "en"),
        ("en-US", "en"),
        ("und", "other"),
        ("es", "other"),
        ("", "other"),
        ("french", "other"),
    ],
)
def test_language_buckets(tag: str, bucket: str) -> None:
    assert split_languages([{tag: "texte"}])[bucket] == ["texte"]


def test_hash_is_stable_and_ignores_indexed_at() -> None:
    doc = to_document(FULL, record_id="eduq:123", status="approved", portals=["pavillon"])
    again = to_document(FULL, record_id="eduq:123", status="approved", portals=["pavillon"])
    shuffled = dict(reversed(list(again.items())))
    assert document_hash(doc) == document_hash(shuffled)
    assert document_hash(doc) == document_hash({**doc, "indexed_at": "2030-01-01T00:00:00Z"})
    assert len(document_hash(doc)) == 64


def test_hash_changes_with_content_and_portals() -> None:
    doc = to_document(FULL, record_id="eduq:123", status="approved", portals=["pavillon"])
    other = to_document(FULL, record_id="eduq:123", status="approved", portals=["pavillon", "ecole-ouverte"])
    assert document_hash(doc) != document_hash(other)
    assert document_hash(doc) != document_hash({**doc, "title_fr": ["Autre titre"]})


def test_v2_facets_from_the_vocabularies() -> None:
    vocabularies = load_vocabularies(Path(__file__).resolve().parents[2] / "config")
    niv = "https://w3id.org/ren-index/vocab/niveaux/"
    resource = _resource(
        controlled=Controlled(
            levels=[niv + "secondaire-3"], licence="http://creativecommons.org/licenses/by-nc-sa/4.0/"
        ),
        classifications=[
            TaxonPath(
                purpose=Term(source="LOMv1.0", value="discipline"), taxa=[("MAT", {"fr": "Mathématique"})]
            ),
            TaxonPath(
                purpose=Term(value="http://purl.org/ASN/scheme/ASNDiscipline/discipline"), taxa=[("sci", {})]
            ),
            TaxonPath(purpose=Term(value="educational level"), taxa=[("S3", {"fr": "Sec 3"})]),
        ],
    )
    doc = to_document(resource, record_id="x", status="approved", portals=[], vocabularies=vocabularies)
    assert doc["levels"] == [
        niv + "secondaire-3",
        niv + "secondaire-cycle-2",
        niv + "secondaire",
        niv + "scolaire",
    ]
    assert doc["licence_family"] == "non-commercial"
    assert doc["disciplines"] == ["Mathématique", "sci"]
    assert doc["date_modified"] == doc["datestamp"]


def test_v3_carries_the_quality_score_when_the_ledger_has_one() -> None:
    scored = to_document(FULL, record_id="x", status="approved", portals=[], quality=73)
    unscored = to_document(FULL, record_id="x", status="approved", portals=[])
    assert scored["quality"] == 73 and "quality" not in unscored  # not scored yet: left out, not 0
    assert document_hash(scored) != document_hash(unscored)  # a new score is re-sent


def _contributions(*pairs: tuple[str | None, list[str]]) -> Lifecycle:
    return Lifecycle(
        contributions=[Contribution(role=Term(value=r) if r else None, entities=e) for r, e in pairs]
    )


@pytest.mark.parametrize(
    ("role", "key"),
    [
        ("author", "authors"),
        ("creator", "authors"),
        ("Auteur", "authors"),
        ("http://data.education.fr/voc/scolomfr/concept/author", "authors"),
        ("publisher", "publishers"),
        ("éditeur", "publishers"),
        ("http://data.education.fr/voc/scolomfr/concept/publisher_2", "publishers"),
        ("editor", "contributors"),  # LOM's editor is not the publisher
        ("content provider", "contributors"),
        ("instructional designer", "contributors"),
        (None, "contributors"),
    ],
)
def test_v4_people_by_role(role: str | None, key: str) -> None:
    found = people(_contributions((role, ["Marie Tremblay"])).contributions)
    assert found == {"authors": [], "contributors": [], "publishers": [], key: ["Marie Tremblay"]}


def test_v4_people_in_the_document_first_seen_first_and_once() -> None:
    lifecycle = _contributions(
        ("publisher", ["Cégep de Limoilou"]),
        ("author", ["Marie Tremblay", "Jean Roy"]),
        ("author", ["Jean Roy", " "]),
        ("publisher", ["Cégep de Limoilou", "Éditions Nord"]),
    )
    doc = to_document(_resource(lifecycle=lifecycle), record_id="x", status="approved", portals=[])
    assert doc["authors"] == ["Marie Tremblay", "Jean Roy"]
    assert doc["publishers"] == ["Cégep de Limoilou", "Éditions Nord"]
    assert doc["contributors"] == []


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2008", "2008-01-01T00:00:00+00:00"),
        ("2008-05", "2008-05-01T00:00:00+00:00"),
        ("2008-05-14", "2008-05-14T00:00:00+00:00"),
        ("2024-03-01T12:00:00Z", "2024-03-01T12:00:00+00:00"),
        ("2000-05-28T23:00:00.0-05:00", "2000-05-29T04:00:00+00:00"),
        ("2024-03-01T12:00:00", "2024-03-01T12:00:00+00:00"),  # no offset: UTC
        ("2010-13", None),
        ("2010-13-45", None),
        ("printemps 2008", None),
        ("", None),
        (None, None),
    ],
)
def test_v4_dates_in_utc_with_offset(value: str | None, expected: str | None) -> None:
    assert utc_date(value) == expected


def test_v4_dates_of_the_document() -> None:
    lifecycle = Lifecycle(
        contributions=[
            Contribution(role=Term(value="publisher"), entities=["Éditions"], date="2020-02-02"),
            Contribution(role=Term(value="author"), entities=["Marie"], date="2019-01"),
        ],
        date="2020-02-02",
    )
    first_seen = datetime(2023, 1, 2, 3, 4, 5, tzinfo=UTC)
    decided = datetime(2024, 5, 6, 7, 8, 9, tzinfo=UTC)
    doc = to_document(
        _resource(lifecycle=lifecycle),
        record_id="x",
        status="approved",
        portals=[],
        harvested=first_seen,
        approved=decided,
    )
    assert doc["date_created"] == "2019-01-01T00:00:00+00:00"  # the author's date before the publisher's
    assert doc["date_modified"] == "2024-03-01T12:00:00+00:00"
    assert doc["date_harvested"] == "2023-01-02T03:04:05+00:00"
    assert doc["date_approved"] == "2024-05-06T07:08:09+00:00"
    undated = to_document(
        _resource(lifecycle=Lifecycle(date="2021-09")), record_id="x", status="approved", portals=[]
    )
    assert undated["date_created"] == "2021-09-01T00:00:00+00:00"  # no author's date: lifecycle.date
    assert "date_harvested" not in undated and "date_approved" not in undated
    no_datestamp = _resource(
        provenance=Provenance(
            source="s",
            identifier="i",
            metadata_format="csv",
            harvested_at=datetime(2024, 1, 1, 5, tzinfo=UTC),
        )
    )
    doc = to_document(no_datestamp, record_id="x", status="approved", portals=[])
    assert doc["date_modified"] == "2024-01-01T05:00:00+00:00"  # the harvest of this version
