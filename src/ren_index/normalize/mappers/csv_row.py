"""Crosswalk: one CSV row (canonical field names from the source's ``columns:``) -> Resource.

================  ===============================================  ===============================
field             what a spreadsheet cell holds                    Resource
================  ===============================================  ===============================
id                the partner's own identifier                     general.identifiers
title             text                                             general.title
description       text, maybe HTML                                 general.description
url               the resource's address                           technical.locations
language          ``fr``, ``fr; en``, ``Français``                 general.languages
level             ``Secondaire 3``, ``Collégial``, or a URI       educational.contexts
licence           ``CC BY 4.0``, a URL                             rights.licence_uri / description
keywords          ``a; b, c``                                      general.keywords
author            ``Nom; Autre nom``                               contributions (author)
publisher         text                                             contributions (publisher)
date              ``2024-05-01``                                   lifecycle.date
type              ``exercice``                                     learning_resource_types
format            ``application/pdf``                              technical.formats
================  ===============================================  ===============================

Text fields take the record's language when exactly one is given (``und`` otherwise); the
source's ``defaults: {language: fr}`` is applied by validation, not here, so a documentalist can
tell a stated language from an assumed one. Multi-valued cells are split on ``;`` (and ``,`` for
keywords and languages, where a comma never belongs to a value).
"""

from __future__ import annotations

import re
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
    Technical,
    Term,
)
from ren_index.normalize.mappers import issues
from ren_index.normalize.mappers.text import as_harvested, clean_text, html_to_text, lang_tag, markup_only
from ren_index.normalize.mappers.values import is_url, iso_date, licence_uri

_SEMICOLON = re.compile(r"\s*[;|]\s*")
_ANY = re.compile(r"\s*[;,|]\s*")


def _cell(row: dict[str, Any], field: str) -> str:
    return clean_text(str(row.get(field) or ""))


def _split(row: dict[str, Any], field: str, pattern: re.Pattern[str] = _SEMICOLON) -> list[str]:
    return list(dict.fromkeys(v for v in pattern.split(_cell(row, field)) if v))


def _lang(row: dict[str, Any]) -> str:
    langs = _split(row, "language", _ANY)
    return lang_tag(langs[0]) if len(langs) == 1 else "und"


def _text(row: dict[str, Any], field: str, clean: Any = clean_text) -> LangString:
    raw = str(row.get(field) or "")
    text = clean(raw)
    return {_lang(row): text} if text else {}


def _contributions(row: dict[str, Any]) -> list[Contribution]:
    found = []
    for field, role in (("author", "author"), ("publisher", "publisher")):
        names = _split(row, field)
        if names:
            found.append(Contribution(role=Term(value=role), entities=names))
    return found


def _date(row: dict[str, Any]) -> tuple[str | None, list[Issue]]:
    raw = _cell(row, "date")
    parsed = iso_date(raw)
    return parsed, [issues.date_unparseable("lifecycle.date", raw)] if raw and not parsed else []


def _rights(row: dict[str, Any]) -> Rights:
    raw = _cell(row, "licence") or _cell(row, "license")
    return Rights(description={_lang(row): raw} if raw else {}, licence_uri=licence_uri(raw))


def map_csv_row(row: dict[str, Any], provenance: Provenance) -> tuple[Resource, list[Issue]]:
    """Map one row; problems come back as issues, never as exceptions."""
    date, found = _date(row)
    ident = _cell(row, "id")
    urls = [u for u in _split(row, "url") if is_url(u)]
    resource = Resource(
        provenance=provenance,
        general=General(
            identifiers=[Identifier(entry=ident)] if ident and not is_url(ident) else [],
            title=_text(row, "title"),
            description=_text(row, "description", html_to_text),
            description_raw=markup_only(_text(row, "description", as_harvested)),
            keywords=[{_lang(row): k} for k in _split(row, "keywords", _ANY)],
            languages=_split(row, "language", _ANY),
        ),
        lifecycle=Lifecycle(contributions=_contributions(row), date=date),
        educational=Educational(
            contexts=[Term(value=v) for v in _split(row, "level")],
            learning_resource_types=[Term(value=v) for v in _split(row, "type")],
        ),
        rights=_rights(row),
        technical=Technical(formats=_split(row, "format"), locations=urls),
    )
    return resource, found
