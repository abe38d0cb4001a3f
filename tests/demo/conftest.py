"""Fixtures for the demo source tests: official schemas from ``../shared`` when it is there.

The schemas belong to other projects and stay in ``../shared/standards`` (DESIGN.md); tests that
need them skip with the reason when that folder is absent. Nothing is fetched from the network:
remote imports in the XSDs are mapped to the local copies by a resolver.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

SHARED = Path(__file__).resolve().parents[2].parent / "shared"
STANDARDS = SHARED / "standards"
OAI_XSD = STANDARDS / "zimeon__www.openarchives.org" / "OAI-PMH.xsd"
OAI_XSD_FALLBACK = SHARED / "fixtures" / "oai" / "infrae__pyoai" / "OAI-PMH.xsd"
OAI_DC_XSD = STANDARDS / "zimeon__www.openarchives.org" / "oai_dc.xsd"
SIMPLE_DC_XSD = STANDARDS / "DanSmith__ddi" / "simpledc20021212.xsd"
LOM_XSD = STANDARDS / "LICEF__comete" / "xsd" / "lomv1.0" / "lomLoose.xsd"

# The W3C schema for the xml: namespace, reduced to the one attribute simple DC uses. The real file
# lives at http://www.w3.org/2001/03/xml.xsd, which an offline test run cannot fetch.
_XML_NS_XSD = """<?xml version="1.0"?>
<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema"
           targetNamespace="http://www.w3.org/XML/1998/namespace" xml:lang="en">
  <xs:attribute name="lang" type="xs:language"/>
</xs:schema>"""


class _OfflineResolver(etree.Resolver):
    """Answer the remote schema locations of oai_dc.xsd and simpledc from local files."""

    def resolve(self, url: str | None, pubid: str | None, context: object) -> object:
        if url and url.endswith("simpledc20021212.xsd") and SIMPLE_DC_XSD.exists():
            return self.resolve_filename(str(SIMPLE_DC_XSD), context)
        if url and url.endswith("xml.xsd"):
            return self.resolve_string(_XML_NS_XSD, context)
        return None


def _load_schema(path: Path, *, lax: bool = False) -> etree.XMLSchema:
    parser = etree.XMLParser(no_network=True, resolve_entities=False)
    parser.resolvers.add(_OfflineResolver())
    doc = etree.parse(str(path), parser)
    if lax:
        # Lax processing of <metadata>, <about> and <description> contents: the envelope is what
        # this schema checks; payloads are validated against their own schemas separately.
        for any_el in doc.iter("{http://www.w3.org/2001/XMLSchema}any"):
            if any_el.get("processContents") == "strict":
                any_el.set("processContents", "lax")
    return etree.XMLSchema(doc)


@pytest.fixture(scope="session")
def oai_schema() -> etree.XMLSchema:
    """The official OAI-PMH 2.0 response schema."""
    for path in (OAI_XSD, OAI_XSD_FALLBACK):
        if path.exists():
            return _load_schema(path, lax=True)
    pytest.skip(f"OAI-PMH.xsd not found under {SHARED} (../shared absent): schema checks skipped")


@pytest.fixture(scope="session")
def oai_dc_schema() -> etree.XMLSchema:
    """The oai_dc schema with simple DC imported from the local copy."""
    if not OAI_DC_XSD.exists() or not SIMPLE_DC_XSD.exists():
        pytest.skip(f"oai_dc.xsd or simpledc20021212.xsd not found under {STANDARDS}")
    try:
        return _load_schema(OAI_DC_XSD)
    except etree.XMLSchemaParseError as exc:
        pytest.skip(f"oai_dc.xsd imports schemas that cannot be loaded offline: {exc}")


@pytest.fixture(scope="session")
def lom_schema() -> etree.XMLSchema:
    """The IEEE LOM XML binding, loose profile (vocabularies not enforced)."""
    if not LOM_XSD.exists():
        pytest.skip(f"lomLoose.xsd not found under {STANDARDS}")
    try:
        return _load_schema(LOM_XSD)
    except etree.XMLSchemaParseError as exc:
        pytest.skip(f"the LOM XSD cannot be loaded offline: {exc}")
