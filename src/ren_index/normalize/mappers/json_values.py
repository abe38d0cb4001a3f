"""Reading values out of the JSON payloads of partner feeds (LRMI, RSS items, CSV rows).

The harvesters store every value of a compacted JSON-LD node as a list, but a payload written by
hand, or by another tool, may hold a bare string, a ``{"@value", "@language"}`` literal or a node
``{"@id", "name"}``. These helpers accept all of them, so the mappers read like crosswalks.
"""

from __future__ import annotations

from typing import Any

from ren_index.model import LangString
from ren_index.normalize.mappers.text import add_text, clean_text, lang_tag

_PREFIXES = ("", "schema:", "http://schema.org/", "https://schema.org/")


def values(doc: dict[str, Any], key: str) -> list[Any]:
    """Every value under ``key`` (also ``schema:key`` or its full IRI), as a list."""
    found: list[Any] = []
    for prefix in _PREFIXES:
        value = doc.get(prefix + key)
        if value is None:
            continue
        found.extend(value if isinstance(value, list) else [value])
    return found


def text_of(value: Any, *keys: str) -> str:
    """The text of a value: itself, its ``@value``, else the first of ``keys`` it has, else ``@id``.

    Nested ``@value`` literals are unwrapped in a loop, not by recursion: a payload written by
    another tool may nest them without bound.
    """
    while isinstance(value, dict) and "@value" in value:
        value, keys = value["@value"], ()
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, bool | int | float):
        return str(value)
    if isinstance(value, dict):
        for key in keys:
            for inner in values(value, key):
                text = text_of(inner)
                if text:
                    return text
        if isinstance(value.get("@id"), str):
            return clean_text(value["@id"])
    return ""


def texts(doc: dict[str, Any], key: str, *keys: str) -> list[str]:
    """The non-empty texts under ``key``, without repeats."""
    return list(dict.fromkeys(t for t in (text_of(v, *keys) for v in values(doc, key)) if t))


def node_id(value: Any) -> str | None:
    """The ``@id`` (or AMB ``id``) of a node value, when it has one."""
    if isinstance(value, dict):
        for key in ("@id", "id"):
            if isinstance(value.get(key), str) and value[key].strip():
                return str(value[key]).strip()
    return None


def langstring(
    items: list[Any], clean: Any = clean_text, *, default_lang: str | None = None, join: bool = False
) -> LangString:
    """Values as a :data:`LangString`: ``@language`` when a literal says, else ``default_lang``.

    A ``prefLabel``-style dict (``{"de": ..., "en": ...}``) contributes one text per language.
    """
    result: LangString = {}
    for item in items:
        if isinstance(item, dict) and "@value" in item:
            lang = lang_tag(item.get("@language") or default_lang)
            add_text(result, lang, clean(str(item["@value"])), join=join)
        elif isinstance(item, dict) and item and all(isinstance(v, str) for v in item.values()):
            for lang, text in item.items():
                if not lang.startswith("@"):
                    add_text(result, lang_tag(lang), clean(text), join=join)
        elif isinstance(item, str | int | float):
            add_text(result, lang_tag(default_lang), clean(str(item)), join=join)
    return result
