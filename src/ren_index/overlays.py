"""Documentalists' corrections as overlays: applied on top of the harvested record, never into it.

A correction (an :class:`~ren_index.ledger.models.Overlay` row) holds the corrected ``value`` of one
field and the ``base_value`` the source gave for that field when the person corrected it. Keeping
the two apart from the harvested payload is what lets a correction survive every re-harvest, and
lets the pipeline notice when the source itself later says something new about a corrected field
(``SOURCE_CHANGED_AFTER_EDIT``): the person corrected a value that no longer exists, so a person
must look again.

Two kinds of field, applied at two moments of ``process_record``:

* **text** (``title``, ``description``, ``url``) are applied to the record *before* validation,
  so the checks judge the corrected text (a corrected URL is normalized and looked up for
  duplicates like any other; a corrected title feeds language detection);
* **controlled** (``languages``, ``levels``, ``licence``, ``resource_types``) are concept values:
  they replace what validation established in ``resource.controlled`` *after* validation, and the
  validation issues about those fields are dropped, being about a value no longer used.
  Portal issues (``LICENCE_NOT_OPEN``, ``LANGUAGE_NOT_ACCEPTED``, ``NO_PORTAL``) are added later by
  ``decide`` from the corrected values, so they stay right.

Everything here is pure: values in, values out.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from ren_index.config.vocabularies import Vocabularies, Vocabulary
from ren_index.errors import RenIndexError
from ren_index.model import Issue, LangString, Resource, pick_lang
from ren_index.validate.languages import normalize_language
from ren_index.validate.urls import candidates, is_valid_url

EDITABLE_FIELDS = ("title", "description", "languages", "levels", "licence", "resource_types", "url")
TEXT_FIELDS = frozenset({"title", "description", "url"})
CONTROLLED_FIELDS = frozenset({"languages", "levels", "licence", "resource_types"})

FIELD_PATHS = {
    "title": "general.title",
    "description": "general.description",
    "languages": "general.language",
    "levels": "educational.context",
    "licence": "rights.licence",
    "resource_types": "educational.learning_resource_type",
    "url": "technical.location",
}
"""Editable field → the record path that validation issues name (for pages that link the two)."""

FIELD_LABELS = {
    "title": ("titre", "title"),
    "description": ("description", "description"),
    "languages": ("langues", "languages"),
    "levels": ("niveaux", "levels"),
    "licence": ("licence", "licence"),
    "resource_types": ("types de ressource", "resource types"),
    "url": ("adresse (URL)", "address (URL)"),
}

STALE_PREFIXES = {
    "languages": ("LANGUAGE_",),
    "levels": ("LEVEL_",),
    "licence": ("LICENCE_",),
    "resource_types": ("RESOURCE_TYPE_",),
}
"""Issue codes made stale by a controlled correction. ``URL_*`` is absent on purpose: a corrected
URL is applied before validation, so its URL issues are fresh findings about the correction."""

MAX_TITLE = 1_000
MAX_DESCRIPTION = 20_000

Overlays = Mapping[str, tuple[Any, Any]]
"""Field → (corrected value, source value when corrected), as stored in the ledger."""


class ReviewError(RenIndexError):
    """A review action that cannot be done as asked; the message is French first, English beside it."""

    def __init__(self, message_fr: str, message_en: str) -> None:
        self.message_fr = message_fr
        self.message_en = message_en
        super().__init__(f"{message_fr} / {message_en}")


# Applying ----------------------------------------------------------------------------------------


def apply_text_overlays(resource: Resource, overlays: Overlays) -> Resource:
    """The record with its corrected title, description and URL (before validation)."""
    general = resource.general
    technical = resource.technical
    if "title" in overlays:
        # The raw (HTML) title was the source's; the corrected title replaces both.
        general = general.model_copy(update={"title": dict(overlays["title"][0] or {}), "title_raw": {}})
    if "description" in overlays:
        # The raw (HTML) description was the source's; the corrected text replaces both.
        update = {"description": dict(overlays["description"][0] or {}), "description_raw": {}}
        general = general.model_copy(update=update)
    if "url" in overlays and overlays["url"][0]:
        technical = technical.model_copy(update={"locations": [str(overlays["url"][0])]})
    if general is resource.general and technical is resource.technical:
        return resource
    return resource.model_copy(update={"general": general, "technical": technical})


def apply_controlled_overlays(
    resource: Resource, issues: list[Issue], overlays: Overlays
) -> tuple[Resource, list[Issue]]:
    """The record with its corrected concepts (after validation), without the issues they settle."""
    updates = {f: _copy(v) for f, (v, _base) in overlays.items() if f in CONTROLLED_FIELDS}
    if not updates:
        return resource, issues
    stale = tuple(p for f in updates for p in STALE_PREFIXES[f])
    controlled = resource.controlled.model_copy(update=updates)
    kept = [i for i in issues if not i.code.startswith(stale)]
    return resource.model_copy(update={"controlled": controlled}), kept


def _copy(value: Any) -> Any:
    return list(value) if isinstance(value, list) else value


# What the source says ----------------------------------------------------------------------------


def source_value(resource: Resource, field: str) -> Any:
    """What the source says for ``field``, in the shape an overlay stores.

    ``resource`` must be the record as built from the source alone (normalized, and validated
    for the controlled fields), never one with corrections applied.
    """
    if field == "title":
        return dict(resource.general.title)
    if field == "description":
        return dict(resource.general.description)
    if field == "url":
        found = candidates(resource)
        return resource.url or (found[0] if found else None)
    if field == "licence":
        return resource.controlled.licence
    if field in ("languages", "levels", "resource_types"):
        return list(getattr(resource.controlled, field))
    raise ValueError(f"not an editable field: {field}")


def same_value(field: str, a: Any, b: Any) -> bool:
    """Equal for the purpose of a correction: levels and types are sets, the rest compare as-is."""
    if field in ("levels", "resource_types") and isinstance(a, list) and isinstance(b, list):
        return set(a) == set(b)
    return bool(a == b)


def show(value: Any) -> str:
    """A value as a person reads it in a message (French title first, lists joined)."""
    if value is None or value == [] or value == {}:
        return "(vide / empty)"
    if isinstance(value, dict):
        return pick_lang(value) or "(vide / empty)"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


def encode(value: Any) -> str | None:
    """A value in an issue's ``value``/``suggestion`` slot: strings as they are, the rest as JSON."""
    if value is None or isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def changed_at_source(
    field: str, base_value: Any, current_source_value: Any, corrected_value: Any = None
) -> Issue | None:
    """``SOURCE_CHANGED_AFTER_EDIT`` when the source no longer says what it said when corrected.

    The issue shows both values: ``value`` is the source's new value, ``suggestion`` the
    correction. Its ``field`` is the editable field name (``levels``, ``title``...), so a page can
    offer "keep my correction" / "take the source's value" for exactly that overlay.
    """
    if same_value(field, base_value, current_source_value):
        return None
    source, corrected = show(current_source_value), show(corrected_value)
    return Issue(
        code="SOURCE_CHANGED_AFTER_EDIT",
        severity="warning",
        field=field,
        message_fr=f"La source a modifié « {FIELD_LABELS[field][0]} » après votre correction :"
        f" source = {source}, correction = {corrected}.",
        message_en=f"The source changed '{FIELD_LABELS[field][1]}' after your correction:"
        f" source = {source}, correction = {corrected}.",
        value=encode(current_source_value),
        suggestion=encode(corrected_value),
    )


def source_changes(source: Resource, overlays: Overlays) -> list[Issue]:
    """One ``SOURCE_CHANGED_AFTER_EDIT`` per corrected field whose source value moved since."""
    found: list[Issue] = []
    for field, (value, base) in overlays.items():
        issue = changed_at_source(field, base, source_value(source, field), value)
        if issue is not None:
            found.append(issue)
    return found


# What a correction may hold ----------------------------------------------------------------------


def clean_value(
    field: str, value: Any, vocabularies: Vocabularies, source_text: LangString | None = None
) -> Any:
    """The stored form of a person's value for ``field``, or :class:`ReviewError` saying why not.

    Text may come as a plain string (a form field): it replaces the source's text in its first
    language and keeps the others (``source_text``), so a corrected French title stays tagged
    French and a bilingual record keeps its English title.
    """
    if field in ("title", "description"):
        limit = MAX_TITLE if field == "title" else MAX_DESCRIPTION
        text = _lang_string(value, source_text or {})
        if field == "title" and not text:
            raise ReviewError("Le titre ne peut pas être vide.", "The title cannot be empty.")
        if any(len(v) > limit for v in text.values()):
            raise ReviewError(f"Texte trop long (max. {limit}).", f"Text too long (max {limit}).")
        return text
    if field == "url":
        url = str(value or "").strip()
        if not (url.lower().startswith(("http://", "https://")) and is_valid_url(url)):
            raise ReviewError(f"Adresse invalide : « {url} ».", f"Invalid address: '{url}'.")
        return url
    if field == "languages":
        return _languages(value)
    if field == "levels":
        return _concepts(value, vocabularies.levels, "niveau", "level")
    if field == "resource_types":
        return _concepts(value, vocabularies.resource_types, "type de ressource", "resource type")
    if field == "licence":
        found = _concepts(
            [value] if isinstance(value, str) else value, vocabularies.licences, "licence", "licence"
        )
        if len(found) != 1:
            raise ReviewError("Choisir une seule licence.", "Choose exactly one licence.")
        return found[0]
    raise ReviewError(
        f"Champ non modifiable : « {field} » (modifiables : {', '.join(EDITABLE_FIELDS)}).",
        f"Field cannot be edited: '{field}' (editable: {', '.join(EDITABLE_FIELDS)}).",
    )


def _lang_string(value: Any, source_text: LangString) -> LangString:
    if isinstance(value, str):
        value = {**source_text, next(iter(source_text), "und"): value}
    if not isinstance(value, dict):
        raise ReviewError("Texte attendu.", "Text expected.")
    text: LangString = {}
    for tag, body in value.items():
        norm = "und" if tag == "und" else normalize_language(str(tag))
        if norm is None:
            raise ReviewError(f"Langue inconnue : « {tag} ».", f"Unknown language: '{tag}'.")
        if str(body).strip():
            text[norm] = str(body).strip()
    return text


def _as_list(value: Any) -> list[str]:
    if isinstance(value, str):
        return [p.strip() for p in value.split(",") if p.strip()]
    if isinstance(value, (list, tuple)):
        return [str(v).strip() for v in value if str(v).strip()]
    raise ReviewError("Liste de valeurs attendue.", "A list of values was expected.")


def _languages(value: Any) -> list[str]:
    tags: list[str] = []
    for raw in _as_list(value):
        tag = normalize_language(raw)
        if tag is None:
            raise ReviewError(f"Langue non reconnue : « {raw} ».", f"Language not recognized: '{raw}'.")
        if tag not in tags:
            tags.append(tag)
    if not tags:
        raise ReviewError("Indiquer au moins une langue.", "Give at least one language.")
    return tags


def _concepts(value: Any, vocabulary: Vocabulary, what_fr: str, what_en: str) -> list[str]:
    uris: list[str] = []
    for uri in _as_list(value):
        if vocabulary.get(uri) is None:
            raise ReviewError(
                f"« {uri} » n'est pas un {what_fr} du vocabulaire.",
                f"'{uri}' is not a {what_en} of the vocabulary.",
            )
        if uri not in uris:
            uris.append(uri)
    return uris
