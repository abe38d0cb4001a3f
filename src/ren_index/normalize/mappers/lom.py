"""Crosswalk: IEEE LOM XML (Normetic, LOMFR, ScoLOMFR) -> canonical :class:`Resource`.

One small function per target field; the numbers are the LOM element numbers:

===============================================  ==========================================
LOM                                              Resource
===============================================  ==========================================
1.1 identifier (catalog, entry)                  general.identifiers
1.2 title / 1.4 description / 1.5 keyword        general.title / description / keywords
1.4 description, when it held HTML              general.description_raw (as harvested)
1.3 language (as given) / 1.6 coverage           general.languages / coverage
1.9 lomfr:documentType,                          resource_types
1.10 scolomfr:generalResourceType
2.1 version                                      lifecycle.version
2.3 contribute (role, vCard FN, date)            lifecycle.contributions; the publisher's
                                                 (else author's, else first) date ->
                                                 lifecycle.date
4.1 format / 4.2 size / 4.3 location             technical.formats / size / locations
5.2 learningResourceType / 5.5 intendedEndUser-  educational.learning_resource_types /
Role / 5.6 context / 5.7 typicalAgeRange /       intended_end_user_roles / contexts /
5.10 description                                 typical_age_range / description
6.1 cost / 6.2 copyrightAndOtherRestrictions     rights.cost / rights.copyright (yes/no)
6.3 description (a licence URL in it)            rights.description (rights.licence_uri)
9.1 purpose, 9.2 taxonPath (source, taxon)       classifications
===============================================  ==========================================

Unknown and empty elements are skipped without a word: profiles add many (ScoLOMFR alone adds
a dozen), and only what the canonical record holds matters here.
"""

from __future__ import annotations

from lxml import etree

from ren_index.model import (
    Contribution,
    Educational,
    General,
    Identifier,
    Issue,
    LangString,
    Lifecycle,
    Provenance,
    Resource,
    Rights,
    TaxonPath,
    Technical,
    Term,
)
from ren_index.normalize.mappers import issues
from ren_index.normalize.mappers.lom_reader import (
    LOMFR_NS,
    SCOLOMFR_NS,
    LomDoc,
    unique,
    vocabularies,
    vocabulary,
)
from ren_index.normalize.mappers.text import (
    as_harvested,
    clean_text,
    collapsed_text,
    html_to_text,
    inner_text,
    markup_only,
)
from ren_index.normalize.mappers.values import iso_date, licence_uri, size_in_bytes, yes_no
from ren_index.normalize.mappers.vcard import is_vcard, vcard_name

_DATE_ROLES = ("publisher", "author", "creator")
"""Whose contribution date stands for the resource's date, in order of preference."""


# 1 General ---------------------------------------------------------------------------------


def _identifiers(doc: LomDoc) -> list[Identifier]:
    found = []
    for element in doc.path("general", "identifier"):
        entry = collapsed_text(next(iter(doc.kids(element, "entry")), None))
        catalog = collapsed_text(next(iter(doc.kids(element, "catalog")), None))
        if entry:
            found.append(Identifier(catalog=catalog or None, entry=entry))
    return unique(found)


def _title(doc: LomDoc) -> LangString:
    return doc.langstring(doc.path("general", "title"))


def _languages(doc: LomDoc) -> list[str]:
    return doc.texts("general", "language")


def _description(doc: LomDoc) -> LangString:
    return doc.langstring(doc.path("general", "description"), html_to_text, join=True)


def _description_raw(doc: LomDoc) -> LangString:
    """The descriptions as harvested, for the languages where they held markup (sanitized later)."""
    return markup_only(doc.langstring(doc.path("general", "description"), as_harvested, join=True))


def _keywords(doc: LomDoc) -> list[LangString]:
    keywords = (doc.langstring([el]) for el in doc.path("general", "keyword"))
    return unique(k for k in keywords if k)


def _coverage(doc: LomDoc) -> list[LangString]:
    coverage = (doc.langstring([el]) for el in doc.path("general", "coverage"))
    return unique(c for c in coverage if c)


def _resource_types(doc: LomDoc) -> list[Term]:
    general = doc.path("general")
    return vocabularies(
        doc.children(general, "documentType", LOMFR_NS)
        + doc.children(general, "generalResourceType", SCOLOMFR_NS)
    )


# 2 Life cycle ------------------------------------------------------------------------------


def _version(doc: LomDoc) -> str | None:
    return doc.first_string(doc.path("lifeCycle", "version"))


def _entities(doc: LomDoc, contribute: etree._Element) -> tuple[list[str], list[Issue]]:
    """Names of the contributing entities, from their vCards (or bare text, with an issue)."""
    names: list[str] = []
    found: list[Issue] = []
    field = "lifecycle.contributions.entities"
    for element in doc.kids(contribute, "entity"):
        raw = inner_text(element)
        if not raw.strip():
            continue
        if is_vcard(raw):
            name = vcard_name(raw)
            if name is None:
                found.append(issues.vcard_unparseable(field, raw, used_as_name=False))
        else:
            name = clean_text(raw)
            found.append(issues.vcard_unparseable(field, raw, used_as_name=True))
        if name and name not in names:
            names.append(name)
    return names, found


def _contribution_date(doc: LomDoc, contribute: etree._Element) -> tuple[str | None, list[Issue]]:
    """LOM 2.3.3 dateTime; a date given only as a description ("printemps 2008") is no date."""
    for raw in (collapsed_text(el) for el in doc.children(doc.kids(contribute, "date"), "dateTime")):
        if raw:
            parsed = iso_date(raw)
            if parsed is None:
                return None, [issues.date_unparseable("lifecycle.contributions.date", raw)]
            return parsed, []
    return None, []


def _contributions(doc: LomDoc) -> tuple[list[Contribution], list[Issue]]:
    contributions: list[Contribution] = []
    found: list[Issue] = []
    for contribute in doc.path("lifeCycle", "contribute"):
        role = next((vocabulary(el) for el in doc.kids(contribute, "role")), None)
        names, name_issues = _entities(doc, contribute)
        date, date_issues = _contribution_date(doc, contribute)
        found += name_issues + date_issues
        if role or names:
            contributions.append(Contribution(role=role, entities=names, date=date))
    return contributions, found


def _role_name(contribution: Contribution) -> str:
    """``publisher`` from ``publisher`` or from ``http://.../concept/publisher`` (ScoLOMFR)."""
    if contribution.role is None:
        return ""
    return contribution.role.value.rstrip("/").rsplit("/", 1)[-1].strip().lower()


def _lifecycle_date(contributions: list[Contribution]) -> str | None:
    dated = [c for c in contributions if c.date]
    for role in _DATE_ROLES:
        for contribution in dated:
            if _role_name(contribution) == role:
                return contribution.date
    return dated[0].date if dated else None


# 4 Technical -------------------------------------------------------------------------------


def _formats(doc: LomDoc) -> list[str]:
    return doc.texts("technical", "format")


def _locations(doc: LomDoc) -> list[str]:
    return doc.texts("technical", "location")


def _size(doc: LomDoc) -> tuple[int | None, list[Issue]]:
    for raw in doc.texts("technical", "size"):
        size = size_in_bytes(raw)
        return (size, []) if size is not None else (None, [issues.size_unparseable(raw)])
    return None, []


# 5 Educational (the category may repeat: values are gathered from every one) -------------------


def _educational_terms(doc: LomDoc, name: str) -> list[Term]:
    return vocabularies(doc.path("educational", name))


def _typical_age_range(doc: LomDoc) -> list[str]:
    ranges = (doc.langstring([el]).values() for el in doc.path("educational", "typicalAgeRange"))
    return unique(value for values in ranges for value in values)


def _educational_description(doc: LomDoc) -> LangString:
    return doc.langstring(doc.path("educational", "description"), html_to_text, join=True)


# 6 Rights ----------------------------------------------------------------------------------


def _yes_no(doc: LomDoc, name: str) -> bool | None:
    for term in vocabularies(doc.path("rights", name)):
        answer = yes_no(term.value)
        if answer is not None:
            return answer
    return None


def _rights_description(doc: LomDoc) -> LangString:
    return doc.langstring(doc.path("rights", "description"), html_to_text, join=True)


def _licence_uri(description: LangString) -> str | None:
    return next((u for u in (licence_uri(t) for t in description.values()) if u), None)


# 9 Classification --------------------------------------------------------------------------


def _taxon_path(doc: LomDoc, path: etree._Element, purpose: Term | None) -> TaxonPath | None:
    taxa: list[tuple[str | None, LangString]] = []
    for taxon in doc.kids(path, "taxon"):
        taxon_id = collapsed_text(next(iter(doc.kids(taxon, "id")), None)) or None
        entry = doc.langstring(doc.kids(taxon, "entry"))
        if taxon_id or entry:
            taxa.append((taxon_id, entry))
    if not taxa:
        return None
    source = doc.langstring(doc.kids(path, "source"))
    return TaxonPath(purpose=purpose, source=source, taxa=taxa)


def _classifications(doc: LomDoc) -> list[TaxonPath]:
    paths: list[TaxonPath] = []
    for classification in doc.path("classification"):
        purpose = next((vocabulary(el) for el in doc.kids(classification, "purpose")), None)
        for element in doc.kids(classification, "taxonPath"):
            path = _taxon_path(doc, element, purpose)
            if path is not None:
                paths.append(path)
    return paths


# The record --------------------------------------------------------------------------------


def map_lom(root: etree._Element, provenance: Provenance) -> tuple[Resource, list[Issue]]:
    """Map one LOM record; problems come back as issues, never as exceptions."""
    doc = LomDoc.of(root)
    contributions, found = _contributions(doc)
    size, size_issues = _size(doc)
    rights_description = _rights_description(doc)
    resource = Resource(
        provenance=provenance,
        general=General(
            identifiers=_identifiers(doc),
            title=_title(doc),
            description=_description(doc),
            description_raw=_description_raw(doc),
            keywords=_keywords(doc),
            languages=_languages(doc),
            coverage=_coverage(doc),
        ),
        lifecycle=Lifecycle(
            version=_version(doc),
            contributions=contributions,
            date=_lifecycle_date(contributions),
        ),
        educational=Educational(
            learning_resource_types=_educational_terms(doc, "learningResourceType"),
            intended_end_user_roles=_educational_terms(doc, "intendedEndUserRole"),
            contexts=_educational_terms(doc, "context"),
            typical_age_range=_typical_age_range(doc),
            description=_educational_description(doc),
        ),
        rights=Rights(
            cost=_yes_no(doc, "cost"),
            copyright=_yes_no(doc, "copyrightAndOtherRestrictions"),
            description=rights_description,
            licence_uri=_licence_uri(rights_description),
        ),
        technical=Technical(formats=_formats(doc), locations=_locations(doc), size=size),
        classifications=_classifications(doc),
        resource_types=_resource_types(doc),
    )
    return resource, found + size_issues
