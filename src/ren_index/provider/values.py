"""What both serializers write for a record: the validated value where validation settled it.

The portals show ``controlled`` values (languages, licence, URL); a harvester of the provider
should get the same, falling back to the harvested values where validation left nothing.
"""

from __future__ import annotations

import re

from ren_index.model import LangString, Resource
from ren_index.provider.vocabulary import ProviderVocabularies

_NOT_XML = re.compile("[^\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_text(text: str) -> str:
    """``text`` without the characters XML 1.0 cannot carry (harvested text may hold some)."""
    return _NOT_XML.sub("", text)


def licence_texts(resource: Resource, vocab: ProviderVocabularies) -> LangString:
    """The licence as ``label — URI`` per language (French, English), else the harvested text.

    The URI is what a harvester (and our own licence check) decides on; the label is for people.
    """
    uri = resource.controlled.licence
    if uri is None:
        return dict(resource.rights.description)
    texts: LangString = {}
    for lang in ("fr", "en"):
        label = vocab.label("licences", uri, lang)
        texts[lang] = f"{label} — {uri}" if label else uri
    return texts


def languages(resource: Resource) -> list[str]:
    """The validated languages, else the harvested ones."""
    return list(resource.controlled.languages or resource.general.languages)


def locations(resource: Resource) -> list[str]:
    """The resource URL first (the validated one when there is one), then other locations."""
    first = resource.controlled.url or resource.url
    rest = [loc for loc in resource.technical.locations if loc != first]
    return ([first] if first else []) + rest


def role_name(value: str | None) -> str:
    """``publisher`` from ``publisher`` or a concept URI ending in it (ScoLOMFR)."""
    return (value or "").rstrip("/").rsplit("/", 1)[-1].strip().lower()
