"""Serialize demo records as the metadata a repository would disseminate: oai_dc and IEEE LOM.

Trees are built with lxml element by element, never by pasting strings, so a description holding
``<script>`` reaches the harvester as escaped text — exactly how real repositories ship HTML inside
metadata. Every record can be disseminated as oai_dc (LOM-native records through a simple
crosswalk); only LOM-native records can be disseminated as LOM, as in a real repository that keeps
Dublin Core records in Dublin Core.
"""

from __future__ import annotations

from lxml import etree

from ren_index.demo.catalogue import DemoRecord
from ren_index.demo.levels import LOM

OAI_DC_NS = "http://www.openarchives.org/OAI/2.0/oai_dc/"
DC_NS = "http://purl.org/dc/elements/1.1/"
LOM_NS = "http://ltsc.ieee.org/xsd/LOM"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"

METADATA_FORMATS: dict[str, tuple[str, str]] = {
    "oai_dc": ("http://www.openarchives.org/OAI/2.0/oai_dc.xsd", OAI_DC_NS),
    "lom": ("http://ltsc.ieee.org/xsd/lomv1.0/lom.xsd", LOM_NS),
}
"""metadataPrefix → (schema URL, namespace), as advertised by ListMetadataFormats."""

NORMETIC_SCHEMA = "NORMETICv1.2"


def can_disseminate(rec: DemoRecord, prefix: str) -> bool:
    """Whether the repository can serve ``rec`` in ``prefix`` (oai_dc always, lom when native)."""
    return prefix == "oai_dc" or (prefix == "lom" and rec.metadata_format == "lom")


def metadata_element(rec: DemoRecord, prefix: str) -> etree._Element | None:
    """The child of ``<metadata>`` for ``rec`` in ``prefix``, or None when it can't be served."""
    if not can_disseminate(rec, prefix):
        return None
    return _lom(rec) if prefix == "lom" else _oai_dc(rec)


def metadata_xml(rec: DemoRecord, prefix: str) -> str | None:
    """The metadata of ``rec`` in ``prefix`` as an XML string (no declaration), or None.

    None means the repository answers ``cannotDisseminateFormat`` for this record and prefix.
    The server leaves the metadata of deleted records out, as OAI-PMH requires.
    """
    element = metadata_element(rec, prefix)
    if element is None:
        return None
    return etree.tostring(element, encoding="unicode")


# --- oai_dc ---------------------------------------------------------------------------------


def _oai_dc(rec: DemoRecord) -> etree._Element:
    root = etree.Element(f"{{{OAI_DC_NS}}}dc", nsmap={"oai_dc": OAI_DC_NS, "dc": DC_NS, "xsi": XSI_NS})
    root.set(f"{{{XSI_NS}}}schemaLocation", f"{OAI_DC_NS} {METADATA_FORMATS['oai_dc'][0]}")
    lang = _text_lang(rec)

    def dc(name: str, value: str | None, *, with_lang: bool = False) -> None:
        if value:
            el = etree.SubElement(root, f"{{{DC_NS}}}{name}")
            el.text = value
            if with_lang and lang:
                el.set(XML_LANG, lang)

    dc("title", rec.title, with_lang=True)
    dc("creator", rec.author)
    for keyword in rec.keywords:
        dc("subject", keyword, with_lang=True)
    for _source, level in rec.levels:
        dc("subject", level)
    dc("description", rec.description, with_lang=True)
    dc("publisher", rec.publisher)
    dc("date", rec.created)
    for _source, rtype in rec.resource_types:
        dc("type", rtype)
    for mime in rec.formats:
        dc("format", mime)
    dc("identifier", rec.url)
    dc("language", rec.language)
    dc("rights", rec.licence)
    return root


def _text_lang(rec: DemoRecord) -> str | None:
    """The language tag a source puts on its strings: its declared language when it is a two-letter
    code with an optional region (``fr``, ``fr-CA``, ``en``), none otherwise — a source that writes
    ``français`` or ``fre`` in its language field rarely tags its strings."""
    code = rec.language or ""
    if len(code) in (2, 5) and code[:2].isalpha() and code[:2].islower():
        return code
    return None


# --- IEEE LOM ---------------------------------------------------------------------------------


def _lom(rec: DemoRecord) -> etree._Element:
    root = etree.Element(f"{{{LOM_NS}}}lom", nsmap={None: LOM_NS, "xsi": XSI_NS})
    root.set(f"{{{XSI_NS}}}schemaLocation", f"{LOM_NS} {METADATA_FORMATS['lom'][0]}")
    lang = _text_lang(rec)

    general = _sub(root, "general")
    ident = _sub(general, "identifier")
    _sub(ident, "catalog", "demo.ren-index.example")
    _sub(ident, "entry", f"res-{rec.number:04d}")
    if rec.title:
        _langstring(_sub(general, "title"), rec.title, lang)
    if rec.language:
        _sub(general, "language", rec.language)
    if rec.description:
        _langstring(_sub(general, "description"), rec.description, lang)
    for keyword in rec.keywords:
        _langstring(_sub(general, "keyword"), keyword, lang)

    if rec.author or rec.publisher:
        life = _sub(root, "lifeCycle")
        if rec.author:
            _contribute(life, "author", _vcard(rec.author), rec.created)
        if rec.publisher:
            _contribute(life, "publisher", _vcard(rec.publisher, org=True), rec.created)

    meta = _sub(root, "metaMetadata")
    meta_id = _sub(meta, "identifier")
    _sub(meta_id, "catalog", "oai")
    _sub(meta_id, "entry", rec.identifier)
    _sub(meta, "metadataSchema", "LOMv1.0")
    _sub(meta, "metadataSchema", NORMETIC_SCHEMA)
    _sub(meta, "language", "fr")

    if rec.formats or rec.url:
        technical = _sub(root, "technical")
        for mime in rec.formats:
            _sub(technical, "format", mime)
        if rec.url:
            _sub(technical, "location", rec.url)

    if rec.resource_types or rec.levels or rec.age_range:
        educational = _sub(root, "educational")
        for source, value in rec.resource_types:
            _vocabulary(educational, "learningResourceType", source, value)
        for source, value in rec.levels:
            _vocabulary(educational, "context", source, value)
        if rec.age_range:
            _langstring(_sub(educational, "typicalAgeRange"), rec.age_range, None)

    if rec.licence is not None or rec.cost:
        rights = _sub(root, "rights")
        _vocabulary(rights, "cost", LOM, "yes" if rec.cost else "no")
        _vocabulary(rights, "copyrightAndOtherRestrictions", LOM, "yes" if rec.licence else "no")
        if rec.licence:
            _langstring(_sub(rights, "description"), rec.licence, lang)

    if rec.discipline:
        classification = _sub(root, "classification")
        _vocabulary(classification, "purpose", LOM, "discipline")
        path = _sub(classification, "taxonPath")
        _langstring(_sub(path, "source"), "ren-index demo subjects", "en")
        taxon = _sub(path, "taxon")
        _sub(taxon, "id", rec.discipline)
    return root


def _sub(parent: etree._Element, name: str, text: str | None = None) -> etree._Element:
    el = etree.SubElement(parent, f"{{{LOM_NS}}}{name}")
    if text is not None:
        el.text = text
    return el


def _langstring(parent: etree._Element, value: str, lang: str | None) -> None:
    string = _sub(parent, "string", value)
    if lang:
        string.set("language", lang)


def _vocabulary(parent: etree._Element, name: str, source: str | None, value: str) -> None:
    el = _sub(parent, name)
    _sub(el, "source", source or LOM)
    _sub(el, "value", value)


def _contribute(parent: etree._Element, role: str, vcard: str, date: str | None) -> None:
    contribute = _sub(parent, "contribute")
    _vocabulary(contribute, "role", LOM, role)
    _sub(contribute, "entity", vcard)
    if date:
        _sub(_sub(contribute, "date"), "dateTime", date)


def _vcard(name: str, *, org: bool = False) -> str:
    """A minimal vCard 3.0, as LOM 2.3.2 wants it; ``,`` ``;`` and ``\\`` escaped per RFC 2426."""
    escaped = name.replace("\\", "\\\\").replace(",", "\\,").replace(";", "\\;")
    lines = ["BEGIN:VCARD", "VERSION:3.0", f"FN:{escaped}"]
    if org:
        lines.append(f"ORG:{escaped}")
    lines.append("END:VCARD")
    return "\n".join(lines)
