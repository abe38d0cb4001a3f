"""A record's history as a documentalist reads it: actions, fields and values in words.

Events keep the ledger's technical names (``decided``, ``status``, ``needs_review``, concept
URIs...), which the CSV export keeps as they are. The record page translates them here: action
and field names from the catalogue, statuses by their label, concepts by their preferred label,
portals and languages by their names, an empty value as "—".
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ren_index.config.languages import language_name
from ren_index.config.rules import PortalPolicy
from ren_index.config.vocabularies import Vocabularies, Vocabulary
from ren_index.model import pick_lang
from ren_index.overlays import FIELD_LABELS
from ren_index.web.i18n import has_message, translate
from ren_index.web.review.view import capitalized, concept_label, portal_name

EMPTY = "—"
MAX_TEXT = 300
"""Characters of a title or description shown in a change line (the record shows the rest)."""

ACTOR_KEYS = {
    "rules": "actor.rules",
    "harvester": "actor.harvester",
    "indexer": "actor.indexer",
    "anonymous": "actor.anonymous",
}
"""The pipeline's own actors (people appear by their user name)."""
HIDDEN_KEYS = frozenset({"version", "undoes", "undone_action", "decided_at"})
"""Bookkeeping an event keeps for versions and undo (:mod:`ren_index.review.versions`,
:mod:`ren_index.review.undo`), not a change a person made: never a line of the history."""
PLATFORM_ACTOR = "platform:"
"""A contributing platform in the audit trail: ``platform:<name>`` (it sent or withdrew a contribution)."""


def _named_actor(actor: str | None) -> bool:
    return actor in ACTOR_KEYS or bool(actor and actor.startswith(PLATFORM_ACTOR))


def actor_name(actor: str | None, lang: str) -> str:
    """Who did it: a person's name as it is, the pipeline's actors and the platforms in words."""
    if not actor:
        return EMPTY
    if actor.startswith(PLATFORM_ACTOR):
        return translate(lang, "actor.platform", name=actor.removeprefix(PLATFORM_ACTOR))
    key = ACTOR_KEYS.get(actor)
    return translate(lang, key) if key else actor


def action_label(action: str, actor: str | None, lang: str) -> str:
    """The event's action in words; ``withdrawn`` is a person's "back to the queue" or, by the
    harvester, the source's withdrawal of the record."""
    if action == "withdrawn" and actor == "harvester":
        return translate(lang, "action.withdrawn_at_source")
    key = f"action.{action}"
    return translate(lang, key) if has_message(key) else action


def field_label(field: str, lang: str) -> str:
    key = f"history.field.{field}"
    if has_message(key):
        return translate(lang, key)
    if field in FIELD_LABELS:
        return capitalized(FIELD_LABELS[field][1 if lang == "en" else 0])
    return field


def _vocabulary(field: str, vocabularies: Vocabularies) -> Vocabulary | None:
    return {
        "levels": vocabularies.levels,
        "licence": vocabularies.licences,
        "resource_types": vocabularies.resource_types,
    }.get(field)


def _items(value: Any) -> list[Any]:
    if value is None or value == "":
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]


def _short(text: str) -> str:
    return text if len(text) <= MAX_TEXT else text[:MAX_TEXT].rstrip() + "…"


def shown_value(
    field: str, value: Any, vocabularies: Vocabularies, portals: Mapping[str, PortalPolicy], lang: str
) -> str:
    """One field's value in words, as the history shows it ("—" when empty)."""
    if value is None or value in ("", [], {}):
        return EMPTY
    vocab = _vocabulary(field, vocabularies)
    if vocab is not None:
        return ", ".join(concept_label(vocab, str(u), lang) for u in _items(value)) or EMPTY
    if field == "status":
        key = f"status.{value}"
        return translate(lang, key) if has_message(key) else str(value)
    if field == "decided_by":
        return actor_name(str(value), lang)
    if field == "portals":
        return ", ".join(portal_name(portals, str(p), lang) for p in _items(value)) or EMPTY
    if field == "languages":
        return ", ".join(language_name(str(tag), lang) for tag in _items(value)) or EMPTY
    if isinstance(value, dict):
        prefer = ("en", "fr") if lang == "en" else ("fr", "en")
        text = pick_lang({str(k): str(v) for k, v in value.items()}, prefer)
        return _short(text) if text else EMPTY
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) or EMPTY
    return _short(str(value))


def change_lines(
    before: Any, after: Any, vocabularies: Vocabularies, portals: Mapping[str, PortalPolicy], lang: str
) -> list[dict[str, str]]:
    """An event's before → after, one line per field whose words changed.

    ``base_value`` (the source's value a correction was made against) is shown with the words of
    the corrected field it belongs to. A key only in ``before`` (a decision keeps the portals it
    replaced, for an undo) and the bookkeeping keys (:data:`HIDDEN_KEYS`) are not changes.
    """
    before = before if isinstance(before, dict) else {}
    after = after if isinstance(after, dict) else {}
    keys = [k for k in dict.fromkeys([*before, *after]) if k not in HIDDEN_KEYS]
    if after:
        keys = [k for k in keys if k in after]
    fields = [k for k in keys if k != "base_value"]
    lines = []
    for key in keys:
        old, new = before.get(key), after.get(key)
        if old == new:
            continue
        kind = fields[0] if key == "base_value" and len(fields) == 1 else key
        shown_before, shown_after = (shown_value(kind, v, vocabularies, portals, lang) for v in (old, new))
        if shown_before == shown_after:
            continue  # None → [] is no change to a person
        label = translate(lang, "history.field_colon", field=field_label(key, lang))
        lines.append({"field": label, "before": shown_before, "after": shown_after})
    return lines


def present_event(
    event: dict[str, Any], vocabularies: Vocabularies, portals: Mapping[str, PortalPolicy], lang: str
) -> dict[str, Any]:
    """One event of :func:`ren_index.review.queries.history` as the record page shows it."""
    actor = event.get("actor")
    return {
        **event,
        "who": capitalized(actor_name(actor, lang)) if _named_actor(actor) else actor or EMPTY,
        "label": action_label(str(event.get("action", "")), actor, lang),
        "lines": change_lines(event.get("before"), event.get("after"), vocabularies, portals, lang),
    }
