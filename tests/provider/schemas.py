"""The official schemas every provider response is checked against, loaded offline.

Same approach as ``tests/demo/conftest.py``: the XSDs stay in ``../shared/standards`` (DESIGN.md)
and their remote imports are answered from local copies, so nothing is fetched from the network.
When ``../shared`` is absent the schema checks are skipped with the reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from lxml import etree

SHARED = Path(__file__).resolve().parents[2].parent / "shared"
STANDARDS = SHARED / "standards"
OAI_XSD = STANDARDS / "zimeon__www.openarchives.org" / "OAI-PMH.xsd"
OAI_DC_XSD = STANDARDS / "zimeon__www.openarchives.org" / "oai_dc.xsd"
SIMPLE_DC_XSD = STANDARDS / "DanSmith__ddi" / "simpledc20021212.xsd"
LOM_XSD = STANDARDS / "LICEF__comete" / "xsd" / "lomv1.0" / "lomLoose.xsd"

OAI_NS = "http://www.openarchives.org/OAI/2.0/"
OAI_DC_NS = "http://www.openarchives.org/OAI/2.0/oai_dc/"
LOM_NS = "http://ltsc.ieee.org/xsd/LOM"
NS = {"o": OAI_NS, "dc": "http://purl.org/dc/elements/1.1/", "lom": LOM_NS}

_XML_NS_XSD = """<?xml version="1.0"?>
<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema"
           targetNamespace="http://www.w3.org/XML/1998/namespace" xml:lang="en">
  <xs:attribute name="lang" type="xs:language"/>
</xs:schema>"""


class _OfflineResolver(etree.Resolver):
    """Answer the remote schema locations of oai_dc.xsd (simple DC, xml.xsd) from local files."""

    def resolve(self, url: str | None, pubid: str | None, context: object) -> object:
        if url and url.endswith("simpledc20021212.xsd"):
            return self.resolve_filename(str(SIMPLE_DC_XSD), context)
        if url and url.endswith("xml.xsd"):
            return self.resolve_string(_XML_NS_XSD, context)
        return None


def _load(path: Path, *, lax: bool = False) -> etree.XMLSchema:
    parser = etree.XMLParser(no_network=True, resolve_entities=False)
    parser.resolvers.add(_OfflineResolver())
    doc = etree.parse(str(path), parser)
    if lax:
        # <metadata>, <about>, <description> contents: lax here, checked against their own schemas.
        for any_el in doc.iter("{http://www.w3.org/2001/XMLSchema}any"):
            if any_el.get("processContents") == "strict":
                any_el.set("processContents", "lax")
    return etree.XMLSchema(doc)


@dataclass(frozen=True)
class Schemas:
    """The OAI-PMH envelope schema and the schemas of the two metadata formats served."""

    oai: etree.XMLSchema
    oai_dc: etree.XMLSchema
    lom: etree.XMLSchema

    def check(self, body: bytes) -> etree._Element:
        """Validate a whole response (envelope, then every metadata payload); return its root."""
        root = etree.fromstring(body)
        _assert_valid(self.oai, root, "OAI-PMH.xsd")
        for payload in root.iterfind(".//o:metadata/*", NS):
            namespace = etree.QName(payload).namespace
            schema, name = (
                (self.oai_dc, "oai_dc.xsd") if namespace == OAI_DC_NS else (self.lom, "lomLoose.xsd")
            )
            assert namespace in (OAI_DC_NS, LOM_NS), f"unexpected payload namespace {namespace}"
            _assert_valid(schema, payload, name)
        return root


def _assert_valid(schema: etree.XMLSchema, element: etree._Element, name: str) -> None:
    document = etree.ElementTree(etree.fromstring(etree.tostring(element)))
    if not schema.validate(document):
        errors = "\n".join(str(e) for e in list(schema.error_log)[:5])
        raise AssertionError(f"{name} rejects the response:\n{errors}\n{etree.tostring(element)[:600]!r}")


MISSING = [p for p in (OAI_XSD, OAI_DC_XSD, SIMPLE_DC_XSD, LOM_XSD) if not p.exists()]
SKIP_REASON = f"{', '.join(p.name for p in MISSING)} not found under {STANDARDS} (../shared absent)"


def load_schemas() -> Schemas | None:
    """The three schemas, or ``None`` when ``../shared`` is absent (the checks are then skipped)."""
    if MISSING:
        return None
    return Schemas(oai=_load(OAI_XSD, lax=True), oai_dc=_load(OAI_DC_XSD), lom=_load(LOM_XSD))


def require(schemas: Schemas | None) -> Schemas:
    """``schemas``, or skip the test with the reason."""
    if schemas is None:
        pytest.skip(f"schema checks skipped: {SKIP_REASON}")
    return schemas
