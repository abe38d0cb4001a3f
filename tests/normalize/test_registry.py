"""Choosing the mapper, and what becomes of payloads that can't or mustn't be mapped."""

from __future__ import annotations

import pytest
from lxml import etree

from ren_index.errors import RenIndexError, UnknownFormatError
from ren_index.normalize import MAPPERS, NAMESPACES, format_of, normalize
from ren_index.normalize.mappers.contribution import map_contribution
from ren_index.normalize.mappers.csv_row import map_csv_row
from ren_index.normalize.mappers.lom import map_lom
from ren_index.normalize.mappers.lrmi import map_lrmi
from ren_index.normalize.mappers.oai_dc import map_oai_dc
from ren_index.normalize.mappers.rss import map_rss

from .helpers import RECORDS, provenance

OAI_DC = '<oai_dc:dc xmlns:oai_dc="http://www.openarchives.org/OAI/2.0/oai_dc/"/>'
LOM = '<lom xmlns="http://ltsc.ieee.org/xsd/LOM"/>'


def test_one_explicit_table() -> None:
    expected = {
        "oai_dc": map_oai_dc,
        "lom": map_lom,
        "rss": map_rss,
        "lrmi": map_lrmi,
        "csv": map_csv_row,
        "contribution": map_contribution,
    }
    assert expected == MAPPERS
    assert set(NAMESPACES.values()) <= set(MAPPERS)


@pytest.mark.parametrize(
    ("xml", "prefix", "expected"),
    [
        (OAI_DC, "oai_dc", "oai_dc"),
        (OAI_DC, "anything", "oai_dc"),  # the namespace wins over the prefix
        (LOM, "oai_lom", "lom"),
        (LOM, "oai_dc", "lom"),
        (LOM, None, "lom"),
        ("<lom/>", "lom", "lom"),  # no namespace: the prefix decides
        ("<lom/>", "LOMFR", "lom"),
        ("<lom/>", "scolomfr", "lom"),
        ('<x:lom xmlns:x="urn:other"/>', "oai_lom", "lom"),
        ('<dc xmlns="urn:other"/>', "oai_dc", "oai_dc"),
    ],
)
def test_format_of(xml: str, prefix: str | None, expected: str) -> None:
    assert format_of(etree.fromstring(xml), prefix) == expected


@pytest.mark.parametrize(
    ("xml", "prefix"), [("<mods/>", "mods"), ("<lom/>", None), (OAI_DC[:0] + "<x/>", "")]
)
def test_format_of_unknown_raises(xml: str, prefix: str | None) -> None:
    with pytest.raises(UnknownFormatError):
        format_of(etree.fromstring(xml), prefix)


def test_normalize_unknown_format_fails_loudly() -> None:
    payload = (RECORDS / "mods.xml").read_text(encoding="utf-8")
    with pytest.raises(UnknownFormatError) as caught:
        normalize(payload, provenance("mods"))
    assert isinstance(caught.value, RenIndexError)
    assert "http://www.loc.gov/mods/v3" in str(caught.value)


def test_metadata_format_is_the_format_used() -> None:
    payload = (RECORDS / "lom_normetic_fr.xml").read_text(encoding="utf-8")
    resource, _ = normalize(payload, provenance("oai_lom"))
    assert resource.provenance.metadata_format == "lom"
    assert resource.provenance.source == "test"


@pytest.mark.parametrize(
    "payload",
    [
        (RECORDS / "malformed.xml").read_text(encoding="utf-8"),
        "broken xml",
        "",
        "<html><body>Erreur 500</body>",
    ],
)
def test_malformed_payload_is_an_issue_not_an_exception(payload: str) -> None:
    resource, issues = normalize(payload, provenance("oai_dc"))
    assert resource.provenance.identifier == "oai:test:1"
    assert resource.provenance.metadata_format == "oai_dc"
    assert resource.general.title == {}
    assert [(i.code, i.severity, i.field) for i in issues] == [("PAYLOAD_INVALID", "error", "metadata")]
    assert issues[0].message_fr.startswith("Les métadonnées")


def test_malformed_payload_maps_a_known_prefix_to_its_format() -> None:
    resource, _ = normalize("<lom>", provenance("oai_lom"))
    assert resource.provenance.metadata_format == "lom"


def test_xxe_payload_is_refused_harmlessly() -> None:
    payload = (RECORDS / "xxe.xml").read_text(encoding="utf-8")
    resource, issues = normalize(payload, provenance("oai_dc"))
    assert [i.code for i in issues] == ["PAYLOAD_INVALID"]
    dumped = resource.model_dump_json()
    assert "root:" not in dumped and "/bin/" not in dumped


def test_billion_laughs_is_refused() -> None:
    payload = (
        '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
        '<oai_dc:dc xmlns:oai_dc="http://www.openarchives.org/OAI/2.0/oai_dc/" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title>&lol2;</dc:title></oai_dc:dc>'
    )
    resource, issues = normalize(payload, provenance("oai_dc"))
    assert [i.code for i in issues] == ["PAYLOAD_INVALID"]
    assert resource.general.title == {}


def test_a_mapper_crash_is_an_issue(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(root: etree._Element, prov: object) -> object:
        raise RuntimeError("unforeseen shape")

    monkeypatch.setitem(MAPPERS, "oai_dc", broken)
    resource, issues = normalize(OAI_DC, provenance("oai_dc"))
    assert resource.provenance.metadata_format == "oai_dc"
    assert [(i.code, i.severity, i.value) for i in issues] == [
        ("MAPPING_FAILED", "error", "unforeseen shape")
    ]
