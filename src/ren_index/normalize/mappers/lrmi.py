"""Crosswalk: schema.org / LRMI / AMB JSON-LD node -> canonical :class:`~ren_index.model.Resource`.

=======================================  ===================================================
schema.org                               Resource
=======================================  ===================================================
name                                     general.title (``@language`` or ``und``)
description (HTML stripped)              general.description (+ description_raw if markup)
keywords (list, or one comma list)       general.keywords
about (Concept / DefinedTerm / text)     general.keywords
inLanguage (text, or Language name)      general.languages (as given)
@id                                      general.identifiers (catalog URI)
url (else an http @id)                   technical.locations
encodingFormat                           technical.formats
author / creator / contributor /         lifecycle.contributions (roles author, author,
publisher (text, Person, Organization)   contributor, publisher)
dateModified, else datePublished /       lifecycle.date
dateCreated
educationalLevel: text                   educational.contexts
educationalLevel: DefinedTerm / Concept  classifications (purpose "educational level"; taxon id =
                                         @id or termCode, entry = name / prefLabel)
educationalAlignment (level-type)        classifications, the same way (targetUrl, targetName)
learningResourceType                     educational.learning_resource_types (id, else name)
audience (educationalRole / prefLabel)   educational.intended_end_user_roles
typicalAgeRange                          educational.typical_age_range
license (URL or CreativeWork)            rights.licence_uri + rights.description
isAccessibleForFree                      rights.cost (inverted)
@type                                    resource_types
ren:contextsNotLoaded (harvester)        issue JSONLD_REMOTE_CONTEXT
=======================================  ===================================================

``ren:contextsNotLoaded`` is not schema.org: the JSON-LD harvester writes there the context
references it refused to load for this record (and removes the key from whatever else a source
sent), so that the record carries the problem to a documentalist.
"""

from __future__ import annotations

from typing import Any

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
from ren_index.normalize.mappers.json_values import langstring, node_id, text_of, texts, values
from ren_index.normalize.mappers.text import as_harvested, html_to_text, markup_only
from ren_index.normalize.mappers.values import is_url, iso_date, licence_uri

LEVEL_PURPOSE = Term(value="educational level")
_LABELS = ("name", "prefLabel", "targetName", "termCode")
_ROLES = (
    ("author", "author"),
    ("creator", "author"),
    ("contributor", "contributor"),
    ("publisher", "publisher"),
)
_LEVEL_ALIGNMENTS = ("educationallevel", "educational level")
NOT_LOADED = "ren:contextsNotLoaded"
"""The payload key of refused context references (``ren_index.harvest.jsonld.NOT_LOADED``)."""


def _lang(doc: dict[str, Any]) -> str | None:
    """The record's own language when it has exactly one (``und`` otherwise)."""
    langs = texts(doc, "inLanguage", "alternateName", "name")
    return langs[0] if len(langs) == 1 else None


def _title(doc: dict[str, Any]) -> LangString:
    return langstring(values(doc, "name"), default_lang=_lang(doc))


def _description(doc: dict[str, Any]) -> LangString:
    return langstring(values(doc, "description"), html_to_text, default_lang=_lang(doc), join=True)


def _description_raw(doc: dict[str, Any]) -> LangString:
    raw = langstring(values(doc, "description"), as_harvested, default_lang=_lang(doc), join=True)
    return markup_only(raw)


def _keywords(doc: dict[str, Any]) -> list[LangString]:
    found: list[LangString] = []
    lang = _lang(doc)
    for value in values(doc, "keywords"):
        parts = value.split(",") if isinstance(value, str) else [value]
        found.extend(langstring([p.strip() if isinstance(p, str) else p], default_lang=lang) for p in parts)
    for value in values(doc, "about"):
        labels = values(value, "prefLabel") + values(value, "name") if isinstance(value, dict) else [value]
        found.append(langstring(labels, default_lang=lang))
    return [k for i, k in enumerate(found) if k and k not in found[:i]]


def _identifiers(doc: dict[str, Any]) -> list[Identifier]:
    own = node_id(doc)
    return [Identifier(catalog="URI", entry=own)] if own and not own.startswith("_:") else []


def _locations(doc: dict[str, Any]) -> list[str]:
    urls = [u for u in texts(doc, "url") if is_url(u)]
    own = node_id(doc)
    return urls or ([own] if own and is_url(own) else [])


def _contributions(doc: dict[str, Any]) -> list[Contribution]:
    by_role: dict[str, list[str]] = {}
    for key, role in _ROLES:
        for name in texts(doc, key, "name", "legalName"):
            if name not in by_role.setdefault(role, []):
                by_role[role].append(name)
    return [Contribution(role=Term(value=role), entities=names) for role, names in by_role.items() if names]


def _date(doc: dict[str, Any]) -> tuple[str | None, list[Issue]]:
    raws = texts(doc, "dateModified") + texts(doc, "datePublished") + texts(doc, "dateCreated")
    for raw in raws:
        parsed = iso_date(raw)
        if parsed:
            return parsed, []
    return None, [issues.date_unparseable("lifecycle.date", raws[0])] if raws else []


def _level_path(value: dict[str, Any], framework: str | None, id_keys: tuple[str, ...]) -> TaxonPath:
    taxon_id = next((t for k in id_keys for t in texts(value, k)), None) or node_id(value)
    labels = values(value, "prefLabel") + values(value, "name") + values(value, "targetName")
    source = {"und": framework} if framework else {}
    return TaxonPath(purpose=LEVEL_PURPOSE, source=source, taxa=[(taxon_id, langstring(labels))])


def _levels(doc: dict[str, Any]) -> tuple[list[Term], list[TaxonPath]]:
    """Free-text levels go to LOM 5.6 contexts; terms with an id or code become level classifications."""
    contexts: list[Term] = []
    paths: list[TaxonPath] = []
    for value in values(doc, "educationalLevel"):
        if isinstance(value, dict):
            scheme = text_of((values(value, "inDefinedTermSet") or values(value, "inScheme") or [""])[0])
            paths.append(_level_path(value, scheme or None, ("termCode",)))
        elif text_of(value):
            contexts.append(Term(value=text_of(value)))
    for value in values(doc, "educationalAlignment"):
        kind = text_of((values(value, "alignmentType") or [""])[0]).lower() if isinstance(value, dict) else ""
        if isinstance(value, dict) and kind in _LEVEL_ALIGNMENTS:
            framework = text_of((values(value, "educationalFramework") or [""])[0]) or None
            paths.append(_level_path(value, framework, ("targetUrl",)))
    return contexts, paths


def _terms(doc: dict[str, Any], key: str, *labels: str) -> list[Term]:
    terms: list[Term] = []
    for value in values(doc, key):
        ident = node_id(value)
        text = ident or text_of(value, *labels)
        if text and Term(value=text) not in terms:
            terms.append(Term(value=text))
    return terms


def _educational(doc: dict[str, Any], contexts: list[Term]) -> Educational:
    roles = [Term(value=r) for r in texts(doc, "audience", "educationalRole", "audienceType", "prefLabel")]
    return Educational(
        learning_resource_types=_terms(doc, "learningResourceType", *_LABELS),
        intended_end_user_roles=roles,
        contexts=contexts,
        typical_age_range=texts(doc, "typicalAgeRange"),
    )


def _rights(doc: dict[str, Any]) -> Rights:
    """The licence: a URL, or a CreativeWork whose @id / url names it; its name as description."""
    uri: str | None = None
    description: LangString = {}
    for value in values(doc, "license"):
        node = isinstance(value, dict) and "@value" not in value
        candidates = [node_id(value), *texts(value, "url")] if node else [text_of(value)]
        uri = uri or next((u for u in (licence_uri(c) for c in candidates if c) if u), None)
        label = langstring(values(value, "name")) if node else {}
        description = description or label or langstring([c for c in candidates if c][:1])
    free = texts(doc, "isAccessibleForFree")
    cost = None if not free else free[0].lower() not in ("true", "1", "yes")
    return Rights(cost=cost, description=description, licence_uri=uri)


def _not_loaded(doc: dict[str, Any]) -> list[Issue]:
    listed = doc.get(NOT_LOADED)
    refs = [r for r in listed if isinstance(r, str)] if isinstance(listed, list) else []
    return [issues.jsonld_remote_context(refs)] if refs else []


def map_lrmi(doc: dict[str, Any], provenance: Provenance) -> tuple[Resource, list[Issue]]:
    """Map one schema.org / LRMI node; problems come back as issues, never as exceptions."""
    date, found = _date(doc)
    found = _not_loaded(doc) + found
    contexts, level_paths = _levels(doc)
    resource = Resource(
        provenance=provenance,
        general=General(
            identifiers=_identifiers(doc),
            title=_title(doc),
            description=_description(doc),
            description_raw=_description_raw(doc),
            keywords=_keywords(doc),
            languages=texts(doc, "inLanguage", "alternateName", "name"),
        ),
        lifecycle=Lifecycle(contributions=_contributions(doc), date=date),
        educational=_educational(doc, contexts),
        rights=_rights(doc),
        technical=Technical(formats=texts(doc, "encodingFormat"), locations=_locations(doc)),
        classifications=level_paths,
        resource_types=[Term(value=t) for t in texts(doc, "@type") if "://" not in t],
    )
    return resource, found
