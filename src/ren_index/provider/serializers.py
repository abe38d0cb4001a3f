"""Canonical :class:`~ren_index.model.Resource` → the metadata the provider disseminates.

Two formats, both for every record: ``oai_dc`` (simple Dublin Core, what every harvester reads)
and ``lom`` (IEEE LOM, with the Normetic vocabularies where the record has them; see
:mod:`ren_index.provider.lom`). Trees are built element by element with lxml, never by pasting
strings, so any text a source sent reaches the harvester escaped.

What goes out is what the portals show: the *validated* values (``controlled``: languages, levels,
licence, resource types, URL) where validation settled them, the harvested values otherwise.

oai_dc crosswalk:

=====================================  ====================================================
Resource                               oai_dc
=====================================  ====================================================
general.title / description            dc:title / dc:description (``xml:lang`` unless ``und``)
general.keywords                       dc:subject
controlled.levels                      dc:subject, the level's French label (the portals'
                                       facet; a harvester reading DC gets the level)
lifecycle.contributions                dc:creator (author), dc:publisher, dc:contributor
lifecycle.date                         dc:date
controlled.resource_types              dc:type (French label), else the harvested types
technical.formats                      dc:format
controlled.url, other locations        dc:identifier
controlled.languages                   dc:language (else the harvested values)
controlled.licence                     dc:rights "label — URI" in French and English (else the
                                       harvested rights text)
confirmed duplicates' pairs            dc:relation, the other record's landing URL (else its
                                       OAI identifier); see :mod:`.relations`
=====================================  ====================================================
"""

from __future__ import annotations

from collections.abc import Sequence

from lxml import etree

from ren_index.model import Resource
from ren_index.provider.lom import LOM_NS, LOM_SCHEMA, lom_element
from ren_index.provider.relations import Relation
from ren_index.provider.values import languages, licence_texts, locations, role_name, xml_text
from ren_index.provider.vocabulary import ProviderVocabularies

OAI_DC_NS = "http://www.openarchives.org/OAI/2.0/oai_dc/"
OAI_DC_SCHEMA = "http://www.openarchives.org/OAI/2.0/oai_dc.xsd"
DC_NS = "http://purl.org/dc/elements/1.1/"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"

METADATA_FORMATS: dict[str, tuple[str, str]] = {
    "oai_dc": (OAI_DC_SCHEMA, OAI_DC_NS),
    "lom": (LOM_SCHEMA, LOM_NS),
}
"""metadataPrefix → (schema URL, namespace), as ListMetadataFormats advertises them."""

_DC_ROLES = {"author": "creator", "creator": "creator", "publisher": "publisher"}


def metadata_element(
    resource: Resource,
    prefix: str,
    vocab: ProviderVocabularies,
    oai_identifier: str,
    relations: Sequence[Relation] = (),
) -> etree._Element:
    """The child of ``<metadata>`` for ``resource`` in ``prefix`` (a key of :data:`METADATA_FORMATS`),
    with the record's confirmed relations to other records."""
    if prefix == "lom":
        return lom_element(resource, vocab, oai_identifier, relations)
    if prefix == "oai_dc":
        return oai_dc_element(resource, vocab, relations)
    raise ValueError(f"unknown metadata prefix {prefix!r}")


def oai_dc_element(
    resource: Resource, vocab: ProviderVocabularies, relations: Sequence[Relation] = ()
) -> etree._Element:
    """The ``<oai_dc:dc>`` record (see the crosswalk in the module docstring)."""
    root = etree.Element(f"{{{OAI_DC_NS}}}dc", nsmap={"oai_dc": OAI_DC_NS, "dc": DC_NS, "xsi": XSI_NS})
    root.set(f"{{{XSI_NS}}}schemaLocation", f"{OAI_DC_NS} {OAI_DC_SCHEMA}")

    def add(name: str, text: str, lang: str | None) -> None:
        _dc(root, name, text, lang)

    general = resource.general
    for lang, text in general.title.items():
        add("title", text, lang)
    for contribution in resource.lifecycle.contributions:
        element = _DC_ROLES.get(role_name(contribution.role.value if contribution.role else None))
        for entity in contribution.entities:
            add(element or "contributor", entity, None)
    for keyword in general.keywords:
        for lang, text in keyword.items():
            add("subject", text, lang)
    for level in resource.controlled.levels:
        add("subject", vocab.label("levels", level, "fr") or level, "fr")
    for lang, text in general.description.items():
        add("description", text, lang)
    if resource.lifecycle.date:
        add("date", resource.lifecycle.date, None)
    types = [vocab.label("resource_types", uri, "fr") or uri for uri in resource.controlled.resource_types]
    raw_types = [t.value for t in (*resource.educational.learning_resource_types, *resource.resource_types)]
    for value in dict.fromkeys(types or raw_types):
        add("type", value, None)
    for mime in resource.technical.formats:
        add("format", mime, None)
    for location in locations(resource):
        add("identifier", location, None)
    for code in languages(resource):
        add("language", code, None)
    for lang, text in licence_texts(resource, vocab).items():
        add("rights", text, lang)
    for relation in relations:
        add("relation", relation.url or relation.identifier, None)
    return root


def _dc(root: etree._Element, name: str, text: str, lang: str | None) -> None:
    if not text:
        return
    element = etree.SubElement(root, f"{{{DC_NS}}}{name}")
    element.text = xml_text(text)
    if lang and lang != "und":
        element.set(XML_LANG, lang)
