"""What the review pages show, computed in Python so the templates stay plain.

Lists (the queue, the dashboard's oldest records) show titles cut at ``text.title_max_chars``
(:func:`bounded_line`): a source's 1 MB title would otherwise be in the page twice (the link and
the check box's label) for each such record; the record page shows the whole text, to correct it.

Harvested values reach the templates as plain strings and are escaped there by Jinja; the only
markup passed through is ``controlled.description_html``, already sanitized by nh3 at validation.
URLs become links only when they are http(s) (:func:`safe_url`), so a ``javascript:`` address in
a record is shown as text, never followed.

The pickers (levels, licences, resource types, languages) are built here from the SKOS
vocabularies, with French labels first, so a documentalist chooses concepts by name, not by URI.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from lxml import etree

from ren_index.config.languages import language_name
from ren_index.config.rules import PortalPolicy, TextRules, clip
from ren_index.config.vocabularies import Concept, Vocabularies, Vocabulary, fold
from ren_index.ledger.models import RawRecordRow, ResourceRow
from ren_index.model import Resource, pick_lang
from ren_index.overlays import show
from ren_index.xmlsafe import parse_xml

MAX_PAYLOAD_SHOWN = 200_000
"""Characters of the raw payload shown on a page: enough for any real record, bounded for hostile ones."""

COMMON_LANGUAGES: tuple[str, ...] = ("fr", "fr-CA", "en", "en-CA", "iu", "cr", "moe", "atj")
"""The languages the edit form offers as check boxes (the others go in the free input)."""
CONTRIBUTOR_ROLES: dict[str, tuple[str, str]] = {
    "author": ("auteur", "author"),
    "publisher": ("éditeur", "publisher"),
    "editor": ("rédacteur", "editor"),
    "unknown": ("rôle inconnu", "unknown role"),
    "initiator": ("initiateur", "initiator"),
    "terminator": ("finalisateur", "terminator"),
    "validator": ("validateur", "validator"),
    "graphical designer": ("graphiste", "graphical designer"),
    "technical implementer": ("intégrateur technique", "technical implementer"),
    "content provider": ("fournisseur de contenu", "content provider"),
    "technical validator": ("validateur technique", "technical validator"),
    "educational validator": ("validateur pédagogique", "educational validator"),
    "script writer": ("scénariste", "script writer"),
    "instructional designer": ("concepteur pédagogique", "instructional designer"),
    "subject matter expert": ("expert de contenu", "subject matter expert"),
}
"""LOM 2.3.1 contribution roles (LOMv1.0 vocabulary) in words."""

_CC = "http://creativecommons.org/"
_RS = "http://rightsstatements.org/vocab/"
COMMON_LICENCES = (
    *(f"{_CC}licenses/{code}/4.0/" for code in ("by", "by-sa", "by-nc", "by-nc-sa", "by-nd", "by-nc-nd")),
    *(f"{_CC}licenses/{code}/2.5/ca/" for code in ("by", "by-sa", "by-nc", "by-nc-sa", "by-nd", "by-nc-nd")),
    f"{_CC}publicdomain/zero/1.0/",
    f"{_CC}publicdomain/mark/1.0/",
    f"{_RS}InC/1.0/",
    f"{_RS}InC-EDU/1.0/",
)
"""What Quebec sources use nearly always: offered first, before the 600 other licences."""
FAMILY_PREFIX = "https://w3id.org/ren-index/vocab/licences/"


def portal_name(portals: Mapping[str, PortalPolicy], portal: str, lang: str) -> str:
    """A portal's name (``config/portals.yaml``) in ``lang``, or its id when it is not configured."""
    policy = portals.get(portal)
    return policy.label(lang) if policy is not None else portal


def bounded_line(item: dict[str, Any], limits: TextRules) -> dict[str, Any]:
    """A queue or dashboard line (record view) with its titles and licence text cut for a list."""
    title = item.get("title")
    if isinstance(title, dict):
        item["title"] = {
            lang: clip(text, limits.title_max_chars) if isinstance(text, str) else text
            for lang, text in title.items()
        }
    licence = item.get("licence")
    if isinstance(licence, dict) and isinstance(licence.get("raw"), str):
        item["licence"] = {**licence, "raw": clip(licence["raw"], limits.title_max_chars)}
    return item


def safe_url(url: object) -> str | None:
    """``url`` when it is an http(s) address fit for a link; ``None`` otherwise (shown as text)."""
    if not isinstance(url, str):
        return None
    text = url.strip()
    if not text.lower().startswith(("http://", "https://")) or any(c.isspace() or ord(c) < 32 for c in text):
        return None
    return text


def concept_label(vocab: Vocabulary | None, uri: str | None, lang: str = "fr") -> str:
    """The concept's preferred label in ``lang`` (French first), or the URI when unknown."""
    if not uri:
        return ""
    concept = vocab.get(uri) if vocab else None
    return concept.label(lang) if concept else uri


# The raw payload ---------------------------------------------------------------------------------


def pretty_payload(payload: str | None) -> tuple[str, str]:
    """``(kind, text)``: the harvested payload indented for reading (``xml``, ``json`` or ``text``).

    The text is returned as text: the template escapes it inside a ``<pre>``. XML is re-parsed
    with the project's safe parser (no entities, no network) before it is indented.
    """
    if not payload:
        return "text", ""
    text, kind = payload, "text"
    stripped = payload.lstrip()
    if stripped.startswith("<"):
        try:
            root = parse_xml(payload)
            etree.indent(root, space="  ")
            text, kind = etree.tostring(root, encoding="unicode", pretty_print=True), "xml"
        except (etree.XMLSyntaxError, ValueError):
            kind = "xml"
    elif stripped.startswith(("{", "[")):
        try:
            text, kind = json.dumps(json.loads(payload), indent=2, ensure_ascii=False), "json"
        except ValueError:
            kind = "json"
    if len(text) > MAX_PAYLOAD_SHOWN:
        text = text[:MAX_PAYLOAD_SHOWN] + "\n…"
    return kind, text


# Pickers ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Option:
    """One choice of a picker: value, visible label, depth (indentation), chosen or not."""

    value: str
    label: str
    depth: int = 0
    selected: bool = False


@dataclass(frozen=True)
class OptionGroup:
    label: str
    options: list[Option]


def _age(concept: Concept) -> int:
    value = concept.prop("ageMin")
    return int(value) if value and value.isdigit() else 999


def level_groups(vocab: Vocabulary, selected: list[str], lang: str = "fr") -> list[OptionGroup]:
    """The levels vocabulary as groups (one per top concept), each concept once, youngest first.

    Top concepts that belong to a portal's collection come first; a concept with two broader
    concepts (formation professionnelle) is shown under the first group that reaches it.
    """
    chosen = set(selected)

    def key(c: Concept) -> tuple[int, str]:
        return (_age(c), fold(c.label(lang)))

    def in_portal(c: Concept) -> bool:
        return any(vocab.in_collection(col, n) for col in vocab.collections for n in (c.uri, *c.narrower))

    tops = sorted(
        (c for c in vocab.concepts.values() if not c.broader), key=lambda c: (not in_portal(c), key(c))
    )
    seen: set[str] = set()

    def walk(concept: Concept, depth: int, options: list[Option]) -> None:
        if concept.uri in seen:
            return
        seen.add(concept.uri)
        options.append(Option(concept.uri, concept.label(lang), depth, concept.uri in chosen))
        children = [vocab.concepts[n] for n in concept.narrower if n in vocab.concepts]
        for child in sorted(children, key=key):
            walk(child, depth + 1, options)

    groups = []
    for top in tops:
        options: list[Option] = []
        walk(top, 0, options)
        groups.append(OptionGroup(top.label(lang), options))
    unknown = [u for u in selected if u not in vocab.concepts]
    if unknown:
        groups.append(OptionGroup("?", [Option(u, u, 0, True) for u in unknown]))
    return groups


def _licence_label(concept: Concept, lang: str) -> str:
    short = next((text for tag, text in concept.alt_labels if tag == "und" and text.isascii()), None)
    label = concept.label(lang)
    return f"{label} — {short}" if short and short not in label else label


def licence_groups(vocab: Vocabulary, selected: str | None, lang: str = "fr") -> dict[str, list[Option]]:
    """The licences in three groups: ``common`` (CC 4.0, 2.5 Canada, CC0, PDM, InC, InC-EDU),
    ``families`` (a CC licence without version...) and ``other`` (the rest, by label)."""

    def option(c: Concept) -> Option:
        return Option(c.uri, _licence_label(c, lang), 0, c.uri == selected)

    common = [option(vocab.concepts[u]) for u in COMMON_LICENCES if u in vocab.concepts]
    families = sorted(
        (option(c) for u, c in vocab.concepts.items() if u.startswith(FAMILY_PREFIX)),
        key=lambda o: fold(o.label),
    )
    shown = {o.value for o in (*common, *families)}
    other = sorted(
        (option(c) for u, c in vocab.concepts.items() if u not in shown), key=lambda o: fold(o.label)
    )
    if selected and selected not in vocab.concepts:
        other.insert(0, Option(selected, selected, 0, True))
    return {"common": common, "families": families, "other": other}


def type_options(vocab: Vocabulary, selected: list[str], lang: str = "fr") -> list[Option]:
    """Resource types by French label (a flat list: the vocabulary is nearly flat)."""
    chosen = set(selected)
    options = [Option(c.uri, c.label(lang), 0, c.uri in chosen) for c in vocab.concepts.values()]
    options += [Option(u, u, 0, True) for u in selected if u not in vocab.concepts]
    return sorted(options, key=lambda o: fold(o.label))


def language_choices(current: list[str], lang: str = "fr") -> tuple[list[Option], str]:
    """The common languages as check boxes, and the record's other tags for the free input."""
    options = [
        Option(code, f"{capitalized(language_name(code, lang))} ({code})", 0, code in current)
        for code in COMMON_LANGUAGES
    ]
    return options, ", ".join(tag for tag in current if tag not in COMMON_LANGUAGES)


def capitalized(text: str) -> str:
    """``text`` with its first letter upper case (a label at the start of a line)."""
    return text[:1].upper() + text[1:]


# The record ----------------------------------------------------------------------------------------


def _fr_en_tags(text: dict[str, str]) -> dict[str, str | None]:
    """Which tag of a language string holds the French and the English text (what the form edits)."""
    tags: dict[str, str | None] = {"fr": None, "en": None}
    for wanted in ("fr", "en"):
        tags[wanted] = next((k for k in text if k == wanted or k.startswith(wanted + "-")), None)
    if tags["fr"] is None and tags["en"] is None and text:
        tags["fr"] = next(iter(text))  # "und" or another language: edited in the first box
    return tags


def editable_text(text: dict[str, str]) -> dict[str, str]:
    """The French and English boxes of a language string, as the edit form fills them."""
    tags = _fr_en_tags(text)
    return {lang: (text[tag] if tag else "") for lang, tag in tags.items()}


def merged_text(current: dict[str, str], fr: str, en: str) -> dict[str, str]:
    """A corrected language string: the edited boxes replace the tags they were filled from."""
    tags = _fr_en_tags(current)
    result = dict(current)
    for lang, value in (("fr", fr), ("en", en)):
        tag = tags[lang] or lang
        if value.strip():
            result[tag] = value.strip()
        else:
            result.pop(tag, None)
    return result


def _role(role: str, lang: str) -> str:
    names = CONTRIBUTOR_ROLES.get(role.strip().lower())
    return role if names is None else names[1] if lang == "en" else names[0]


def _tagged(text: dict[str, str], lang: str) -> list[tuple[str, str, str]]:
    """A language string as ``(tag, text, the tag's language in words)``, by tag."""
    return [(tag, value, language_name(tag, lang)) for tag, value in sorted(text.items())]


def record_address(resource: Resource) -> str | None:
    """The record's address as the page shows and edits it: the web address, else whatever the
    source put in its location (``htp://...``), so a broken address can be seen and corrected."""
    return resource.url or next(iter(resource.technical.locations), None)


def record_detail(
    row: ResourceRow,
    raw: RawRecordRow | None,
    vocabularies: Vocabularies,
    portals: Mapping[str, PortalPolicy],
    lang: str,
) -> dict[str, Any]:
    """Everything the record page shows of the normalized record, labels resolved."""
    resource = Resource.model_validate(row.record) if row.record else None
    if resource is None:
        return {"resource": None}
    general, controlled = resource.general, resource.controlled
    url = record_address(resource)
    return {
        "resource": resource,
        "display_title": resource.best_title(("en", "fr") if lang == "en" else ("fr", "en")),
        "titles": _tagged(general.title, lang),
        "descriptions_html": sorted(controlled.description_html.items()),
        "descriptions": _tagged(general.description, lang),
        "url": url,
        "url_link": safe_url(url),
        "languages": [(tag, language_name(tag, lang)) for tag in controlled.languages],
        "declared_languages": list(general.languages),
        "levels": [(u, concept_label(vocabularies.levels, u, lang)) for u in controlled.levels],
        "harvested_levels": [t.value for t in resource.educational.contexts],
        "level_suggestions": [
            concept_label(vocabularies.levels, u, lang) for u in controlled.level_suggestions
        ],
        "licence": controlled.licence,
        "licence_label": concept_label(vocabularies.licences, controlled.licence, lang),
        "licence_raw": controlled.licence_raw or pick_lang(resource.rights.description),
        "licence_link": safe_url(controlled.licence),
        "types": [concept_label(vocabularies.resource_types, u, lang) for u in controlled.resource_types],
        "harvested_types": [
            t.value for t in (*resource.educational.learning_resource_types, *resource.resource_types)
        ],
        "keywords": [k for k in (pick_lang(kw) for kw in general.keywords) if k],
        "contributors": [
            (_role(c.role.value, lang) if c.role else "", ", ".join(c.entities), c.date or "")
            for c in resource.lifecycle.contributions
        ],
        "provenance": resource.provenance,
        "datestamp": (resource.provenance.datestamp or "")[:10],
        "portals": [portal_name(portals, p, lang) for p in row.portals or []],
        "identifier": raw.identifier if raw else resource.provenance.identifier,
    }


def form_values(resource: Resource | None, vocabularies: Vocabularies, lang: str) -> dict[str, Any]:
    """What the edit form shows: the record's current (corrected) values in the pickers."""
    if resource is None:
        return {}
    controlled = resource.controlled
    languages, other = language_choices(list(controlled.languages), lang)
    return {
        "title": editable_text(resource.general.title),
        "description": editable_text(resource.general.description),
        "languages": languages,
        "languages_other": other,
        "level_groups": level_groups(vocabularies.levels, list(controlled.levels), lang),
        "licences": licence_groups(vocabularies.licences, controlled.licence, lang),
        "types": type_options(vocabularies.resource_types, list(controlled.resource_types), lang),
        "url": record_address(resource) or "",
    }


# Issues ---------------------------------------------------------------------------------------------

_LANGUAGE_CODES = ("LANGUAGE_MISMATCH", "LANGUAGE_INVALID", "LANGUAGE_DETECTED")


def _decoded(value: str | None) -> Any:
    if value is None:
        return None
    try:
        return json.loads(value)
    except ValueError:
        return value


def suggestion_applies(issue: dict[str, Any], vocabularies: Vocabularies) -> bool:
    """True when :func:`ren_index.review.decisions.apply_suggestion` can turn this issue's suggestion into a
    correction (the same rules, asked before showing the button rather than after a click)."""
    code, suggestion = issue.get("code"), issue.get("suggestion")
    if code == "SOURCE_CHANGED_AFTER_EDIT" or not suggestion:
        return False  # answered by its own two buttons
    if code in _LANGUAGE_CODES or code in ("URL_INVALID", "TITLE_ALL_CAPS"):
        return True
    if code in ("LEVEL_UNMAPPED", "LEVEL_MISSING"):
        return vocabularies.levels.get(suggestion) is not None
    if code == "LICENCE_AMBIGUOUS":
        return vocabularies.licences.get(suggestion) is not None
    return False


def present_issue(issue: dict[str, Any], index: int, vocabularies: Vocabularies, lang: str) -> dict[str, Any]:
    """One issue as the page explains it: messages, value and suggestion in words, what can be done."""
    code = str(issue.get("code", ""))
    suggestion = issue.get("suggestion")
    shown = suggestion
    if suggestion and code.startswith("LEVEL_"):
        shown = concept_label(vocabularies.levels, suggestion, lang)
    elif suggestion and code.startswith("LICENCE_"):
        shown = concept_label(vocabularies.licences, suggestion, lang)
    presented = {
        **issue,
        "index": index,
        "code": code,
        "severity": issue.get("severity", "info"),
        "suggestion_shown": shown,
        "duplicate_of": suggestion if code == "DUPLICATE_URL" else None,
        "applicable": suggestion_applies(issue, vocabularies),
        "source_changed": code == "SOURCE_CHANGED_AFTER_EDIT",
    }
    if presented["source_changed"]:
        field = str(issue.get("field", ""))
        presented["source_value"] = _shown_value(field, _decoded(issue.get("value")), vocabularies, lang)
        presented["corrected_value"] = _shown_value(field, _decoded(suggestion), vocabularies, lang)
    return presented


def _shown_value(field: str, value: Any, vocabularies: Vocabularies, lang: str) -> str:
    """A corrected or source value in words (concept labels rather than URIs)."""
    vocab = {
        "levels": vocabularies.levels,
        "licence": vocabularies.licences,
        "resource_types": vocabularies.resource_types,
    }.get(field)
    if vocab is not None:
        uris = value if isinstance(value, list) else [value] if value else []
        return ", ".join(concept_label(vocab, str(u), lang) for u in uris) or show(None)
    return show(value)
