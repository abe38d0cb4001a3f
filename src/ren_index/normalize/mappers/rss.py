"""Crosswalk: an RSS 2.0 / Atom item (as stored by :mod:`ren_index.harvest.feeds`) -> Resource.

=============================================  ==============================================
item (feedparser's reconciled shape)            Resource
=============================================  ==============================================
title                                           general.title (item, else feed language)
summary, content (HTML stripped)                general.description (+ description_raw)
tags / categories                               general.keywords
feed ``<language>`` / ``xml:lang``              general.languages (as given)
guid / Atom id, when not a URL                  general.identifiers
link (else a URL guid)                          technical.locations
enclosure types                                 technical.formats
author(s) / dc:creator                          lifecycle.contributions (role author)
updated, else published                         lifecycle.date
``<link rel="license">``, rights                rights.licence_uri + rights.description
=============================================  ==============================================

A blog post has no level or licence field of its own: those come from the source's ``defaults``
or from a documentalist, which is why WordPress sources usually run with ``review: always``.
"""

from __future__ import annotations

from typing import Any

from ren_index.model import (
    Contribution,
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
from ren_index.normalize.mappers import issues
from ren_index.normalize.mappers.text import (
    add_text,
    as_harvested,
    clean_text,
    html_to_text,
    lang_tag,
    markup_only,
)
from ren_index.normalize.mappers.values import is_url, iso_date, licence_uri


def _texts(item: dict[str, Any], key: str) -> list[str]:
    raw = item.get(key) or []
    cleaned = (clean_text(str(v)) for v in (raw if isinstance(raw, list) else [raw]))
    return list(dict.fromkeys(v for v in cleaned if v))


def _constructs(item: dict[str, Any], *keys: str) -> list[dict[str, Any]]:
    """feedparser text constructs ``{"value", "type", "language"}`` under ``keys``, in order."""
    found: list[dict[str, Any]] = []
    for key in keys:
        value = item.get(key)
        for construct in value if isinstance(value, list) else [value]:
            if isinstance(construct, dict) and construct.get("value"):
                found.append(construct)
            elif isinstance(construct, str) and construct.strip():
                found.append({"value": construct})
    return found


def _langstring(item: dict[str, Any], clean: Any, *keys: str, join: bool = False) -> LangString:
    text: LangString = {}
    for construct in _constructs(item, *keys):
        lang = lang_tag(construct.get("language") or item.get("language"))
        add_text(text, lang, clean(str(construct["value"])), join=join)
    return text


def _locations(item: dict[str, Any]) -> list[str]:
    links = [v for v in _texts(item, "link") + _texts(item, "id") if is_url(v)]
    return list(dict.fromkeys(links))[:1]


def _identifiers(item: dict[str, Any]) -> list[Identifier]:
    return [Identifier(entry=v) for v in _texts(item, "id") if not is_url(v)]


def _keywords(item: dict[str, Any]) -> list[LangString]:
    lang = lang_tag(item.get("language"))
    return [{lang: tag} for tag in _texts(item, "tags")]


def _date(item: dict[str, Any]) -> tuple[str | None, list[Issue]]:
    raws = _texts(item, "updated") + _texts(item, "published")
    for raw in raws:
        parsed = iso_date(raw)
        if parsed:
            return parsed, []
    return None, [issues.date_unparseable("lifecycle.date", raws[0])] if raws else []


def _rights(item: dict[str, Any]) -> Rights:
    statements = _texts(item, "licence") + _texts(item, "rights")
    uri = next((u for u in (licence_uri(s) for s in statements) if u), None)
    description: LangString = {}
    for statement in statements:
        add_text(description, lang_tag(item.get("language")), html_to_text(statement), join=True)
    return Rights(description=description, licence_uri=uri)


def map_rss(item: dict[str, Any], provenance: Provenance) -> tuple[Resource, list[Issue]]:
    """Map one feed item; problems come back as issues, never as exceptions."""
    date, found = _date(item)
    authors = _texts(item, "authors")
    enclosures = [e for e in item.get("enclosures") or [] if isinstance(e, dict)]
    resource = Resource(
        provenance=provenance,
        general=General(
            identifiers=_identifiers(item),
            title=_langstring(item, clean_text, "title"),
            description=_langstring(item, html_to_text, "content", "summary", join=True),
            description_raw=markup_only(_langstring(item, as_harvested, "content", "summary", join=True)),
            keywords=_keywords(item),
            languages=_texts(item, "language"),
        ),
        lifecycle=Lifecycle(
            contributions=[Contribution(role=Term(value="author"), entities=authors)] if authors else [],
            date=date,
        ),
        rights=_rights(item),
        technical=Technical(
            formats=list(dict.fromkeys(str(e["type"]) for e in enclosures if e.get("type"))),
            locations=_locations(item),
        ),
    )
    return resource, found
