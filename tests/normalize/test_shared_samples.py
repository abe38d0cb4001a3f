"""Every real LOM sample in ../shared maps without exception and yields a title.

The samples belong to other projects (GTN-Quebec lom2mlr, jdpro scolomfr3utils): they are read
where they are and never copied here; without ../shared these tests skip and say why.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from ren_index.normalize import normalize

from .helpers import SHARED, provenance

SAMPLE_DIRS = (
    SHARED / "standards" / "GTN-Quebec__lom2mlr",
    SHARED / "standards" / "jdpro__scolomfr3utils" / "samples",
    SHARED / "fixtures" / "oai" / "GTN-Quebec__lom2mlr",
    SHARED / "fixtures" / "oai" / "jdpro__scolomfr3utils",
)
SAMPLES = sorted({p for d in SAMPLE_DIRS if d.is_dir() for p in d.glob("*.xml")}, key=lambda p: str(p))
needs_shared = pytest.mark.skipif(not SAMPLES, reason=f"LOM samples of ../shared not found under {SHARED}")


@needs_shared
@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_sample_maps_with_a_title(path: Path) -> None:
    resource, issues = normalize(path.read_text(encoding="utf-8"), provenance("oai_lom"))
    assert resource.provenance.metadata_format == "lom"
    assert resource.best_title()
    assert not [i for i in issues if i.severity == "error"]


def _sample(name: str) -> Path:
    for path in SAMPLES:
        if path.name == name:
            return path
    pytest.skip(f"{name} not found in ../shared ({SHARED})")


@needs_shared
def test_normetic_sample_read_by_eye() -> None:
    resource, issues = normalize(
        _sample("4c9912151c8a69.88090749.lom.xml").read_text(encoding="utf-8"), provenance("lom")
    )
    assert resource.general.title == {"fr-CA": "Dur comme du fer?"}
    assert resource.lifecycle.contributions[0].entities == ["Myriam Germain"]
    assert resource.lifecycle.date == "2000-05-28"
    assert resource.educational.typical_age_range == ["17-18"]
    assert resource.rights.copyright is True
    assert resource.technical.locations == ["http://ntic.org/formation/tic/francais/scn/chim/chimdem.doc"]
    assert issues == []


@needs_shared
def test_lomfr_sample_with_cp1252_control_in_title() -> None:
    resource, _ = normalize(_sample("canal-u.fr-67.lom.xml").read_text(encoding="utf-8"), provenance("lom"))
    assert resource.general.title == {"fr": "01 – Illettrisme et scolarité"}
    assert resource.general.languages == ["FRE"]
    assert resource.technical.size == 89935831


@needs_shared
def test_scolomfr_sample_with_uri_language_and_one_line_vcard() -> None:
    resource, _ = normalize(_sample("echanges.xml").read_text(encoding="utf-8"), provenance("lom"))
    assert resource.general.title == {"fr": "Échanges organes sang"}
    assert resource.lifecycle.contributions[0].entities == ["EDUMEDIA"]
    assert resource.technical.size == 0


@needs_shared
def test_prefixed_lomfr_sample() -> None:
    resource, _ = normalize(
        _sample("unit-ori-wf-1-4369.lom.xml").read_text(encoding="utf-8"), provenance("lom")
    )
    assert resource.general.title == {"fr": "Anglais (Kit de gestion pour l'ingénieur)"}
    assert resource.lifecycle.contributions[0].entities == ["Antoine Toma"]


OAI = "{http://www.openarchives.org/OAI/2.0/}"
OAI_DC_ROOT = "{http://www.openarchives.org/OAI/2.0/oai_dc/}dc"


def _oai_dc_payloads() -> list[tuple[str, str]]:
    """The oai_dc payloads of the recorded OAI-PMH responses, serialized as a harvester would."""
    from lxml import etree

    from ren_index.xmlsafe import parse_xml

    payloads = []
    for path in sorted((SHARED / "fixtures" / "oai").rglob("*.xml")):
        try:
            root = parse_xml(path.read_bytes())
        except Exception:  # hostile and broken bodies are the harvester's tests, not ours
            continue
        for i, metadata in enumerate(root.iter(f"{OAI}metadata")):
            for child in metadata:
                if child.tag == OAI_DC_ROOT:
                    payload = etree.tostring(child, encoding="unicode")
                    payloads.append((f"{path.relative_to(SHARED)}#{i}", payload))
    return payloads


OAI_DC_PAYLOADS = _oai_dc_payloads() if (SHARED / "fixtures" / "oai").is_dir() else []


@pytest.mark.skipif(not OAI_DC_PAYLOADS, reason=f"oai_dc responses of ../shared not found ({SHARED})")
def test_every_recorded_oai_dc_record_maps() -> None:
    titled = 0
    for name, payload in OAI_DC_PAYLOADS:
        resource, issues = normalize(payload, provenance("oai_dc"))
        assert resource.provenance.metadata_format == "oai_dc", name
        assert not [i for i in issues if i.severity == "error"], name
        titled += bool(resource.best_title())
    assert titled >= len(OAI_DC_PAYLOADS) * 0.9


@pytest.mark.skipif(not OAI_DC_PAYLOADS, reason=f"oai_dc responses of ../shared not found ({SHARED})")
def test_sickle_oai_dc_record_read_by_eye() -> None:
    payload = next(
        p for n, p in OAI_DC_PAYLOADS if n.startswith("fixtures/oai/mloesch__sickle/ListRecords.xml")
    )
    resource, issues = normalize(payload, provenance("oai_dc"))
    assert resource.general.title == {"und": "Sample Title"}
    assert resource.general.languages == ["eng"]
    assert resource.lifecycle.contributions[0].entities == ["John Doe"]
    assert resource.lifecycle.contributions[1].entities == ["Sample Publisher"]
    assert resource.lifecycle.date == "2010"
    assert resource.technical.locations == ["http://test.example.com/publication/1585322"]
    assert resource.general.description["en"].startswith("Lorem ipsum dolor sit amet, consectetur")
    assert issues == []
