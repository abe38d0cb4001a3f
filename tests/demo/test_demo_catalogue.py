"""The demo catalogue: size, mix, planted problems, and the XML it disseminates."""

from __future__ import annotations

import re
from collections import Counter

import pytest
from lxml import etree

from ren_index.demo import DemoRecord, demo_records, metadata_xml
from ren_index.demo import catalogue as catalogue_module
from ren_index.demo.levels import ORDERS, PAVILLON_ORDERS
from ren_index.demo.records import LOM_NS, OAI_DC_NS, metadata_element
from ren_index.xmlsafe import parse_xml

LOM = f"{{{LOM_NS}}}"
DC = "{http://purl.org/dc/elements/1.1/}"
STAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


@pytest.fixture(scope="module")
def records() -> list[DemoRecord]:
    return demo_records()


def _with(records: list[DemoRecord], defect: str) -> list[DemoRecord]:
    return [r for r in records if defect in r.defects]


def test_catalogue_is_large_unique_and_well_identified(records: list[DemoRecord]) -> None:
    assert len(records) >= 200
    identifiers = [r.identifier for r in records]
    assert len(set(identifiers)) == len(identifiers)
    assert all(re.fullmatch(r"oai:demo\.ren-index\.example:\d+", i) for i in identifiers)
    assert [r.number for r in records] == list(range(1, len(records) + 1))


def test_catalogue_is_deterministic(records: list[DemoRecord]) -> None:
    catalogue_module._catalogue.cache_clear()
    again = demo_records()
    assert again == records
    assert [metadata_xml(r, "oai_dc") for r in again] == [metadata_xml(r, "oai_dc") for r in records]


def test_datestamps_are_utc_seconds_spread_over_2023_to_2026(records: list[DemoRecord]) -> None:
    assert all(STAMP.match(r.datestamp) for r in records)
    years = Counter(r.datestamp[:4] for r in records)
    assert set(years) == {"2023", "2024", "2025", "2026"}
    assert min(years.values()) >= 20


def test_about_fifteen_percent_english(records: list[DemoRecord]) -> None:
    english = sum(r.text_language == "en" for r in records)
    assert 0.12 <= english / len(records) <= 0.18
    declared = Counter((r.language or "")[:2].lower() for r in records)
    assert declared["fr"] > declared["en"] > 0


def test_every_order_of_education_is_present(records: list[DemoRecord]) -> None:
    orders = Counter(r.order for r in records)
    assert set(orders) == set(ORDERS)
    assert all(orders[o] >= 5 for o in ORDERS)


@pytest.mark.parametrize(
    "stated",
    [
        "school",
        "higher education",
        "école primaire",
        "enseignement supérieur",
        "secondaire",
        "cegep",
        "cégep",
        "Sec. 3",
        "education prescolaire",
        "formation professionnelle",
        "FGA",
        "universite troisieme cycle",
        "Secondary 3",
    ],
)
def test_levels_are_stated_the_way_sources_state_them(records: list[DemoRecord], stated: str) -> None:
    assert any(value == stated for r in records for _source, value in r.levels)


def test_lom_contexts_carry_a_vocabulary_source(records: list[DemoRecord]) -> None:
    lom = [r for r in records if r.metadata_format == "lom" and r.levels]
    assert all(source for r in lom for source, _value in r.levels)
    sources = {source for r in lom for source, _ in r.levels}
    assert "LOMv1.0" in sources
    assert any("NORMETIC" in (s or "") for s in sources)


def test_half_lom_half_dublin_core(records: list[DemoRecord]) -> None:
    formats = Counter(r.metadata_format for r in records)
    assert set(formats) == {"lom", "oai_dc"}
    assert abs(formats["lom"] - formats["oai_dc"]) <= len(records) * 0.1


def test_some_records_are_deleted(records: list[DemoRecord]) -> None:
    deleted = [r for r in records if r.deleted]
    assert len(deleted) >= 8
    assert {r.metadata_format for r in deleted} == {"lom", "oai_dc"}


def test_licences_are_written_in_every_style(records: list[DemoRecord]) -> None:
    styles = Counter(r.licence_style for r in records)
    for style in ("code", "uri", "deed", "label-fr", "all-rights-reserved", "copyright-notice"):
        assert styles[style] >= 5, style
    assert styles["none"] >= 3
    licences = {r.licence for r in records}
    for written in (
        "CC BY 4.0",
        "CC-BY-NC-SA",
        "http://creativecommons.org/licenses/by-sa/4.0/",
        "https://creativecommons.org/licenses/by-nc/4.0/deed.fr",
        "Creative Commons Attribution - Pas d'utilisation commerciale 4.0 International",
        "Tous droits réservés",
        "© Éditions Grand-Héron 2019",
        None,
    ):
        assert written in licences


def test_sets_follow_the_portal_of_the_order(records: list[DemoRecord]) -> None:
    for rec in records:
        portal = "pavillon" if rec.order in PAVILLON_ORDERS else "ecole-ouverte"
        assert rec.set_specs[0] == portal
        assert len(rec.set_specs) == 2


def test_urls_use_the_example_domain(records: list[DemoRecord]) -> None:
    for rec in records:
        if rec.url is not None and "URL_INVALID" not in rec.defects:
            assert rec.url.startswith("https://ressources.example.qc.ca/")
            assert " " not in rec.url


def test_problem_cases_are_present(records: list[DemoRecord]) -> None:
    broken = [r for r in records if r.defects]
    assert len(broken) >= 15
    assert not any(r.deleted for r in broken)
    for defect, least in {
        "TITLE_MISSING": 2,
        "URL_MISSING": 2,
        "LANGUAGE_MISSING": 2,
        "LANGUAGE_MISMATCH": 2,
        "URL_INVALID": 3,
        "HTML_IN_DESCRIPTION": 2,
        "SCRIPT_IN_DESCRIPTION": 1,
        "DESCRIPTION_ONLY": 1,
    }.items():
        assert len(_with(records, defect)) >= least, defect
    for rec in _with(records, "TITLE_MISSING"):
        assert rec.title is None
    for rec in _with(records, "LANGUAGE_MISMATCH"):
        assert rec.language == "en" and rec.text_language == "fr"
    html = " ".join(r.description or "" for r in _with(records, "HTML_IN_DESCRIPTION"))
    assert "<p>" in html and "<b>" in html
    (script,) = _with(records, "SCRIPT_IN_DESCRIPTION")
    assert "<script>alert(1)</script>" in (script.description or "")
    (bare,) = _with(records, "DESCRIPTION_ONLY")
    assert bare.description and not (bare.title or bare.url or bare.language or bare.keywords)


def test_planted_defects_show_in_both_formats(records: list[DemoRecord]) -> None:
    (bare,) = _with(records, "DESCRIPTION_ONLY")
    dc = parse_xml(metadata_xml(bare, "oai_dc") or "")
    assert [child.tag for child in dc] == [f"{DC}description"]
    for rec in _with(records, "TITLE_MISSING"):
        assert parse_xml(metadata_xml(rec, "oai_dc") or "").find(f"{DC}title") is None
        if rec.metadata_format == "lom":
            assert parse_xml(metadata_xml(rec, "lom") or "").find(f"{LOM}general/{LOM}title") is None


def test_html_travels_as_escaped_text_never_as_markup(records: list[DemoRecord]) -> None:
    (rec,) = _with(records, "SCRIPT_IN_DESCRIPTION")
    xml = metadata_xml(rec, "oai_dc") or ""
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in xml
    root = parse_xml(xml)
    assert not [el for el in root.iter() if etree.QName(el).localname == "script"]
    assert "<script>alert(1)</script>" in (root.findtext(f"{DC}description") or "")


def test_every_record_serializes_in_its_formats(records: list[DemoRecord]) -> None:
    for rec in records:
        dc = parse_xml(metadata_xml(rec, "oai_dc") or "")
        assert dc.tag == f"{{{OAI_DC_NS}}}dc"
        lom = metadata_xml(rec, "lom")
        if rec.metadata_format == "lom":
            assert lom is not None
            assert parse_xml(lom).tag == f"{LOM}lom"
        else:
            assert lom is None
        assert metadata_xml(rec, "marc21") is None


def test_lom_record_has_the_expected_elements(records: list[DemoRecord]) -> None:
    rec = next(r for r in records if r.metadata_format == "lom" and not r.defects and r.author)
    root = parse_xml(metadata_xml(rec, "lom") or "")

    def one(path: str) -> etree._Element:
        found = root.find("/".join(f"{LOM}{step}" for step in path.split("/")))
        assert found is not None, path
        return found

    assert one("general/title/string").get("language")
    assert one("general/identifier/catalog").text
    assert one("general/identifier/entry").text
    assert one("general/language").text == rec.language
    assert one("general/description/string").text == rec.description
    assert one("general/keyword/string").text == rec.keywords[0]
    assert one("lifeCycle/contribute/role/source").text == "LOMv1.0"
    assert one("lifeCycle/contribute/role/value").text == "author"
    vcard = one("lifeCycle/contribute/entity").text or ""
    assert vcard == f"BEGIN:VCARD\nVERSION:3.0\nFN:{rec.author}\nEND:VCARD"
    assert one("technical/location").text == rec.url
    assert one("technical/format").text == rec.formats[0]
    assert one("educational/learningResourceType/source").text
    assert one("educational/learningResourceType/value").text
    assert one("educational/context/source").text
    assert one("educational/context/value").text == rec.levels[0][1]
    assert one("rights/cost/value").text in ("yes", "no")
    assert one("rights/copyrightAndOtherRestrictions/value").text in ("yes", "no")
    if rec.licence:
        assert one("rights/description/string").text == rec.licence


def test_lom_typical_age_range_appears_somewhere(records: list[DemoRecord]) -> None:
    ages = [r for r in records if r.metadata_format == "lom" and r.age_range]
    assert ages
    root = parse_xml(metadata_xml(ages[0], "lom") or "")
    path = f"{LOM}educational/{LOM}typicalAgeRange/{LOM}string"
    assert root.findtext(path) == ages[0].age_range


def test_oai_dc_payloads_validate_against_the_official_schema(
    records: list[DemoRecord], oai_dc_schema: etree.XMLSchema
) -> None:
    for rec in records:
        element = metadata_element(rec, "oai_dc")
        assert oai_dc_schema.validate(element), (rec.identifier, oai_dc_schema.error_log)


def test_lom_payloads_validate_against_the_ieee_binding(
    records: list[DemoRecord], lom_schema: etree.XMLSchema
) -> None:
    for rec in records:
        element = metadata_element(rec, "lom")
        if element is not None:
            assert lom_schema.validate(element), (rec.identifier, lom_schema.error_log)
