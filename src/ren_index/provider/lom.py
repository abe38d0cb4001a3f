"""Canonical :class:`~ren_index.model.Resource` → IEEE LOM XML (loose binding), Normetic-flavoured.

Quebec repositories and Campus numérique speak Normetic, the Quebec LOM profile, so vocabulary
values are written with the Normetic source where the validated concept has a Normetic term, and
with LOM's own values (``LOMv1.0``) otherwise:

* **5.6 context** (levels): the Normetic 5.6 term (typed notation ``ren:NormeticContexte``, the
  unaccented v1.0 identifier) of the level; else its LOM value (``ren:LomContext``: ``school``,
  ``higher education``, ``training``). A level finer than both vocabularies (``Secondaire 3``)
  gets the Normetic/LOM term of its nearest broader level *and* its concept URI (source = the
  ren-index levels scheme), so a Normetic reader gets the order and ours gets the exact level.
* **5.2 learningResourceType**: LOM token, else Normetic 1.2 token, else the concept URI.
* **6.3 rights description**: the licence's label and URI, in French and English.
* **1.3 language**: the validated languages. **4.3 location**: the validated URL first.
* **2.3 contribute**: each entity as a minimal vCard 3.0 (``FN``), as LOM 2.3.2 requires.
* **7 relation**: the records a person (or the rules) confirmed related to this one — copies,
  editions, parts, translations; kinds and why in :mod:`ren_index.provider.relations`.

The loose binding is advertised (``lomLoose.xsd``): it accepts vocabularies other than LOMv1.0.
"""

from __future__ import annotations

from collections.abc import Sequence

from lxml import etree

from ren_index.model import LangString, Resource, Term
from ren_index.provider.relations import OAI_CATALOG, URI_CATALOG, Relation
from ren_index.provider.values import languages, licence_texts, locations, xml_text
from ren_index.provider.vocabulary import ProviderVocabularies

LOM_NS = "http://ltsc.ieee.org/xsd/LOM"
LOM_SCHEMA = "http://ltsc.ieee.org/xsd/lomv1.0/lomLoose.xsd"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
LOM_SOURCE = "LOMv1.0"
NORMETIC_CONTEXT_V10 = "http://eureka.ntic.org/vdex/NORMETICv1.0_element_5_6_contexte_voc.xml"
NORMETIC_CONTEXT_V12 = "http://www.normetic.org/vdex/contextev1_2.xml"
NORMETIC_TYPES = "http://www.normetic.org/vdex/typeressourcev1_2.xml"
LEVELS_SCHEME = "https://w3id.org/ren-index/vocab/niveaux/"
TYPES_SCHEME = "https://w3id.org/ren-index/vocab/types/"


def level_terms(uri: str, vocab: ProviderVocabularies) -> list[tuple[str, str]]:
    """(source, value) pairs that state the level ``uri`` in LOM 5.6 context (see the module doc)."""
    own = _context_term(uri, vocab)
    if own is not None:
        return [own]
    terms = []
    for ancestor in vocab.level_ancestors(uri):
        broader = _context_term(ancestor, vocab)
        if broader is not None:
            terms.append(broader)
            break
    return [*terms, (LEVELS_SCHEME, uri)]


def _context_term(uri: str, vocab: ProviderVocabularies) -> tuple[str, str] | None:
    normetic = vocab.notations(uri, "NormeticContexte")
    unaccented = [n for n in normetic if n.isascii()]
    if unaccented:
        return NORMETIC_CONTEXT_V10, unaccented[0]
    if normetic:
        return NORMETIC_CONTEXT_V12, normetic[0]
    lom = vocab.notations(uri, "LomContext")
    return (LOM_SOURCE, lom[0]) if lom else None


def type_terms(resource: Resource, vocab: ProviderVocabularies) -> list[tuple[str, str]]:
    """(source, value) of LOM 5.2: validated types by their LOM or Normetic token, else as harvested."""
    terms: list[tuple[str, str]] = []
    for uri in resource.controlled.resource_types:
        lom, normetic = vocab.notations(uri, "lomToken"), vocab.notations(uri, "normetic12Token")
        if lom:
            terms.append((LOM_SOURCE, lom[0]))
        elif normetic:
            terms.append((NORMETIC_TYPES, normetic[0]))
        else:
            terms.append((TYPES_SCHEME, uri))
    if not terms:
        terms = [(t.source or LOM_SOURCE, t.value) for t in resource.educational.learning_resource_types]
    return list(dict.fromkeys(terms))


def lom_element(
    resource: Resource,
    vocab: ProviderVocabularies,
    oai_identifier: str,
    relations: Sequence[Relation] = (),
) -> etree._Element:
    """The ``<lom>`` record of ``resource``, with its 7 Relation entries ``relations``."""
    root = etree.Element(f"{{{LOM_NS}}}lom", nsmap={None: LOM_NS, "xsi": XSI_NS})
    root.set(f"{{{XSI_NS}}}schemaLocation", f"{LOM_NS} {LOM_SCHEMA}")
    general = resource.general

    gen = _sub(root, "general")
    for ident in general.identifiers:
        element = _sub(gen, "identifier")
        if ident.catalog:
            _sub(element, "catalog", ident.catalog)
        _sub(element, "entry", ident.entry)
    _langstring(gen, "title", general.title)
    for code in languages(resource):
        _sub(gen, "language", code)
    _langstring(gen, "description", general.description)
    for keyword in general.keywords:
        _langstring(gen, "keyword", keyword)
    for coverage in general.coverage:
        _langstring(gen, "coverage", coverage)

    lifecycle = resource.lifecycle
    if lifecycle.version or lifecycle.contributions:
        life = _sub(root, "lifeCycle")
        if lifecycle.version:
            _langstring(life, "version", {"und": lifecycle.version})
        for contribution in lifecycle.contributions:
            contribute = _sub(life, "contribute")
            if contribution.role is not None:
                _vocabulary(contribute, "role", contribution.role)
            for entity in contribution.entities:
                _sub(contribute, "entity", vcard(entity))
            if contribution.date:
                _sub(_sub(contribute, "date"), "dateTime", contribution.date)

    meta = _sub(root, "metaMetadata")
    meta_id = _sub(meta, "identifier")
    _sub(meta_id, "catalog", OAI_CATALOG)
    _sub(meta_id, "entry", oai_identifier)
    _sub(meta, "metadataSchema", "LOMv1.0")
    _sub(meta, "metadataSchema", "NORMETICv1.2")

    technical = resource.technical
    where = locations(resource)
    if technical.formats or technical.size is not None or where:
        tech = _sub(root, "technical")
        for mime in technical.formats:
            _sub(tech, "format", mime)
        if technical.size is not None:
            _sub(tech, "size", str(technical.size))
        for location in where:
            _sub(tech, "location", location)

    _educational(root, resource, vocab)
    _rights(root, resource, licence_texts(resource, vocab))
    _relations(root, relations)
    _classifications(root, resource)
    return root


def _relations(root: etree._Element, relations: Sequence[Relation]) -> None:
    """LOM 7: kind, then the other record by landing URL and OAI identifier, titled (7.2.2)."""
    for relation in relations:
        element = _sub(root, "relation")
        _vocabulary(element, "kind", Term(source=relation.source, value=relation.kind))
        target = _sub(element, "resource")
        for catalog, entry in ((URI_CATALOG, relation.url), (OAI_CATALOG, relation.identifier)):
            if entry:
                identifier = _sub(target, "identifier")
                _sub(identifier, "catalog", catalog)
                _sub(identifier, "entry", entry)
        _langstring(target, "description", relation.title)


def _educational(root: etree._Element, resource: Resource, vocab: ProviderVocabularies) -> None:
    educational = resource.educational
    types = type_terms(resource, vocab)
    contexts = [t for uri in resource.controlled.levels for t in level_terms(uri, vocab)]
    if not resource.controlled.levels:
        contexts = [(t.source or LOM_SOURCE, t.value) for t in educational.contexts]
    roles = educational.intended_end_user_roles
    if not (types or contexts or roles or educational.typical_age_range or educational.description):
        return
    edu = _sub(root, "educational")
    for source, value in types:
        _vocabulary(edu, "learningResourceType", Term(source=source, value=value))
    for role in roles:
        _vocabulary(edu, "intendedEndUserRole", role)
    for source, value in dict.fromkeys(contexts):
        _vocabulary(edu, "context", Term(source=source, value=value))
    for age in educational.typical_age_range:
        _langstring(edu, "typicalAgeRange", {"und": age})
    _langstring(edu, "description", educational.description)


def _rights(root: etree._Element, resource: Resource, description: LangString) -> None:
    rights = resource.rights
    restricted = True if resource.controlled.licence else rights.copyright
    if rights.cost is None and restricted is None and not description:
        return
    element = _sub(root, "rights")
    if rights.cost is not None:
        _vocabulary(element, "cost", Term(source=LOM_SOURCE, value="yes" if rights.cost else "no"))
    if restricted is not None:
        value = "yes" if restricted else "no"
        _vocabulary(element, "copyrightAndOtherRestrictions", Term(source=LOM_SOURCE, value=value))
    _langstring(element, "description", description)


def _classifications(root: etree._Element, resource: Resource) -> None:
    for path in resource.classifications:
        classification = _sub(root, "classification")
        if path.purpose is not None:
            _vocabulary(classification, "purpose", path.purpose)
        taxon_path = _sub(classification, "taxonPath")
        _langstring(taxon_path, "source", path.source)
        for taxon_id, entry in path.taxa:
            taxon = _sub(taxon_path, "taxon")
            if taxon_id:
                _sub(taxon, "id", taxon_id)
            _langstring(taxon, "entry", entry)


def vcard(name: str) -> str:
    """A minimal vCard 3.0 for a name; ``\\``, ``,`` and ``;`` escaped per RFC 2426."""
    escaped = name.replace("\\", "\\\\").replace(",", "\\,").replace(";", "\\;")
    return f"BEGIN:VCARD\nVERSION:3.0\nFN:{escaped}\nEND:VCARD"


def _sub(parent: etree._Element, name: str, text: str | None = None) -> etree._Element:
    element = etree.SubElement(parent, f"{{{LOM_NS}}}{name}")
    if text is not None:
        element.text = xml_text(text)
    return element


def _langstring(parent: etree._Element, name: str, text: LangString) -> None:
    values = [(lang, value) for lang, value in text.items() if value]
    if not values:
        return
    element = _sub(parent, name)
    for lang, value in values:
        string = _sub(element, "string", value)
        if lang != "und":
            string.set("language", lang)


def _vocabulary(parent: etree._Element, name: str, term: Term) -> None:
    element = _sub(parent, name)
    _sub(element, "source", term.source or LOM_SOURCE)
    _sub(element, "value", term.value)
