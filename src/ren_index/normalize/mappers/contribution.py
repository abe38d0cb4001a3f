"""Crosswalk: a contribution pushed by a platform (``schemas/contribution-v1.json``) -> Resource.

==============  ===============================================  ===================================
field           what the platform sends                          Resource
==============  ===============================================  ===================================
external_id     the platform's own id                            general.identifiers (catalog = the
                                                                 platform's source id)
title           text, or ``{"fr": …, "en": …}``                  general.title
description     the same, maybe HTML                             general.description (+ _raw)
url             the resource's address                           technical.locations
languages       ``fr``, ``Français``, ``fr-CA``                  general.languages (as given)
levels          ``Secondaire 3``, a notation, a concept URI      educational.contexts
licence         ``CC BY 4.0``, a licence URL                     rights.description / licence_uri
resource_types  ``exercice``, a concept URI                      educational.learning_resource_types
keywords        text                                             general.keywords
authors         ``[{name, organisation}]``                       lifecycle.contributions (author;
                                                                 organisations as publisher)
contributor     ``{id, display_name, organisation}``             provenance.contributor
==============  ===============================================  ===================================

Levels, licence, languages and types go where the CSV and LRMI crosswalks put free text, because
that is what they are: written as people write them, and resolved — or flagged — by the same
validation as every harvested record. A text given as a plain string takes the contribution's
language when exactly one is given (``und`` otherwise), like a CSV cell. The payload has passed
the JSON Schema before it was stored, but this mapper still reads it defensively: a stored
payload outlives schema versions, and a mapper never raises on a record's shape.
"""

from __future__ import annotations

from typing import Any

from ren_index.model import (
    Contribution,
    Contributor,
    Educational,
    General,
    Identifier,
    Issue,
    LangString,
    Lifecycle,
    Provenance,
    Resource,
    Rights,
    Technical,
    Term,
)
from ren_index.normalize.mappers.text import (
    add_text,
    as_harvested,
    clean_text,
    html_to_text,
    lang_tag,
    markup_only,
)
from ren_index.normalize.mappers.values import is_url, licence_uri

_TEXT_LANGUAGES = ("fr", "en")


def _strings(doc: dict[str, Any], field: str) -> list[str]:
    """A list of strings, cleaned, without blanks or repeats (anything else in it is ignored)."""
    found = doc.get(field)
    items = found if isinstance(found, list) else []
    return list(dict.fromkeys(t for t in (clean_text(i) for i in items if isinstance(i, str)) if t))


def _string(doc: dict[str, Any], field: str) -> str:
    value = doc.get(field)
    return clean_text(value) if isinstance(value, str) else ""


def _lang(doc: dict[str, Any]) -> str:
    langs = _strings(doc, "languages")
    return lang_tag(langs[0]) if len(langs) == 1 else "und"


def _text(doc: dict[str, Any], field: str, clean: Any = clean_text) -> LangString:
    value = doc.get(field)
    result: LangString = {}
    if isinstance(value, str):
        add_text(result, _lang(doc), clean(value))
    elif isinstance(value, dict):
        for lang in _TEXT_LANGUAGES:
            if isinstance(value.get(lang), str):
                add_text(result, lang, clean(value[lang]))
    return result


def _identifiers(doc: dict[str, Any], provenance: Provenance) -> list[Identifier]:
    ident = _string(doc, "external_id")
    return [Identifier(catalog=provenance.source, entry=ident)] if ident else []


def _locations(doc: dict[str, Any]) -> list[str]:
    url = _string(doc, "url")
    return [url] if url and is_url(url) else []


def _keywords(doc: dict[str, Any]) -> list[LangString]:
    lang = _lang(doc)
    return [{lang: k} for k in _strings(doc, "keywords")]


def _contributions(doc: dict[str, Any]) -> list[Contribution]:
    authors = doc.get("authors")
    names: list[str] = []
    organisations: list[str] = []
    for author in authors if isinstance(authors, list) else []:
        if not isinstance(author, dict):
            continue
        for value, into in ((author.get("name"), names), (author.get("organisation"), organisations)):
            text = clean_text(value) if isinstance(value, str) else ""
            if text and text not in into:
                into.append(text)
    found = [Contribution(role=Term(value="author"), entities=names)] if names else []
    if organisations:
        found.append(Contribution(role=Term(value="publisher"), entities=organisations))
    return found


def _rights(doc: dict[str, Any]) -> Rights:
    raw = _string(doc, "licence")
    return Rights(description={_lang(doc): raw} if raw else {}, licence_uri=licence_uri(raw))


def _contributor(doc: dict[str, Any]) -> Contributor | None:
    """Who shared it, as the platform shows it publicly (nothing else is read, whatever is sent)."""
    value = doc.get("contributor")
    if not isinstance(value, dict):
        return None
    ident = clean_text(value["id"]) if isinstance(value.get("id"), str) else ""
    if not ident:
        return None
    name, organisation = (
        clean_text(value[k]) if isinstance(value.get(k), str) else ""
        for k in ("display_name", "organisation")
    )
    return Contributor(id=ident, display_name=name or None, organisation=organisation or None)


def map_contribution(doc: dict[str, Any], provenance: Provenance) -> tuple[Resource, list[Issue]]:
    """Map one contribution; what it lacks is found by validation, never raised here."""
    contributor = _contributor(doc)
    if contributor is not None:
        provenance = provenance.model_copy(update={"contributor": contributor})
    resource = Resource(
        provenance=provenance,
        general=General(
            identifiers=_identifiers(doc, provenance),
            title=_text(doc, "title"),
            description=_text(doc, "description", html_to_text),
            description_raw=markup_only(_text(doc, "description", as_harvested)),
            keywords=_keywords(doc),
            languages=_strings(doc, "languages"),
        ),
        lifecycle=Lifecycle(contributions=_contributions(doc)),
        educational=Educational(
            contexts=[Term(value=v) for v in _strings(doc, "levels")],
            learning_resource_types=[Term(value=v) for v in _strings(doc, "resource_types")],
        ),
        rights=_rights(doc),
        technical=Technical(locations=_locations(doc)),
    )
    return resource, []
