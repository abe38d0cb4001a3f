"""One resource as the portals receive it: a search hit, or the resource page (pure, no I/O).

Both are built from the indexed document alone by :func:`public_fields`, so a hit and
``/api/resources/{id}`` can never disagree on a field they share. The contract a portal relies on:

- **Every field is plain text.** Titles, descriptions, names, labels are the text itself — never
  HTML-escaped, never carrying markup — so a portal inserts them as *text* (``textContent``, a
  template's autoescaping) and shows ``<b>`` or ``&`` in a title as those characters.
- **Highlights are the one exception, and they are apart**: each hit carries ``highlight``, with
  ``title`` and/or ``description`` only when the query matched them. They are HTML made by
  OpenSearch's highlighter with ``encoder: html``: the text is escaped (``&amp;``, ``&lt;``,
  ``&quot;``, ``&#x27;``...) and the only tags are ``<mark>`` and ``</mark>``, so a portal may
  insert them as HTML without sanitizing them (harvested text is hostile until proven otherwise).
  A highlight is cut as HTML (:func:`clip_snippet`), never inside an entity or a tag. When a
  record matched in several languages, the query's own language wins, then French, English, other.
- **Labels beside codes**: levels, resource types and the licence carry ``{uri, label_fr,
  label_en}`` (SKOS labels of ``config/vocabularies``), languages ``{code, label_fr, label_en}``
  (:func:`ren_index.config.languages.language_name`); a value no vocabulary knows has ``null``
  labels, never a made-up one.
- **Dates** ``created``, ``modified``, ``harvested``, ``approved`` are ISO 8601 in UTC with the
  offset (``2024-03-01T12:00:00+00:00``); what each one means is in :mod:`ren_index.index.documents`.
  A date known only to the day is midnight UTC: show such a date as a date, not a local time.
- **The link** ``link`` is ``ok`` (it answers), ``redirected`` (it answers through a permanent
  redirect: ``url`` still leads there, a documentalist will correct it) or ``unchecked`` (not
  checked yet, or robots.txt forbids it); a record whose link is broken is never in an answer
  (:mod:`ren_index.steps.index` does not index it). A document indexed before the field existed
  reads ``unchecked``.
- **Duplicates** (issue 16): a group of records of one resource is one result per portal, the
  record that stands for it (:mod:`ren_index.index.group_documents`); ``group`` is its group's id
  (the record's own id when it is in no group), ``also_available_from`` lists the same resource at
  other sources (``{source, id, url, language}``), ``other_versions``, ``translations``,
  ``part_of`` and ``parts`` the related records (``{id, url, language, title}``, each the record
  that stands for its side). Always there, empty when there is nothing to say; a document
  indexed before the fields existed reads ``[]`` and its own id as ``group``.
- **Bounded**: no text is longer than the limits of ``validation.yaml`` (titles, names and keywords
  at the title limit, any other text at the description limit); a hit's ``description`` is the
  beginning of the description, :data:`SUMMARY_CHARS` characters at most (ending in "…" when cut),
  the resource page's the whole (up to the limit).
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Mapping
from typing import Any

from ren_index.config.clock import utc_iso
from ren_index.config.languages import language_name
from ren_index.config.rules import ELLIPSIS, TextRules, clip
from ren_index.config.vocabularies import Vocabularies, Vocabulary
from ren_index.index.documents import LINK_VALUES
from ren_index.model import pick_lang

LANGUAGE_ORDER = ("fr", "en", "other")
SUMMARY_CHARS = 300
"""Characters of the description a search hit carries (the resource page has it whole)."""
PEOPLE = ("authors", "contributors", "publishers")
DATES = {"created": "date_created", "modified": "date_modified", "harvested": "date_harvested",
         "approved": "date_approved"}  # fmt: skip
"""API date field -> document field."""
RELATED = ("also_available_from", "other_versions", "translations", "part_of", "parts")
"""The lists a document of a group of duplicates carries (:mod:`ren_index.index.group_documents`)."""
TEXT_FIELDS = [f"{name}_{lang}" for name in ("title", "description") for lang in LANGUAGE_ORDER]
HIT_SOURCE = [
    *TEXT_FIELDS,
    "url",
    "link",
    "levels",
    "licence",
    "licence_family",
    "languages",
    "resource_types",
    *PEOPLE,
    *DATES.values(),
    "source",
    "portals",
    "group",
    *RELATED,
]
"""What a hit needs from ``_source`` (never ``record``: a page of hits stays a few KB)."""

Labels = tuple[str | None, str | None]


def public_fields(
    doc_id: str, source: Mapping[str, Any], vocabularies: Vocabularies | None, limits: TextRules
) -> dict[str, Any]:
    """The fields a hit and a resource page share, from one indexed document; ``description`` whole."""
    licence = source.get("licence")
    fr, en = concept_labels(vocabularies.licences, licence) if vocabularies and licence else (None, None)
    texts = limits.description_max_chars
    types = vocabularies.resource_types if vocabularies else None
    fields: dict[str, Any] = {
        "id": doc_id,
        "title": _bounded(by_language(source, "title"), limits.title_max_chars),
        "description": _bounded(by_language(source, "description"), texts),
        "url": _bounded(source.get("url"), texts),
        "link": _link(source.get("link")),
        "levels": _bounded(_levels(source.get("levels") or [], vocabularies), texts),
        "licence": _bounded(
            {"uri": licence, "label_fr": fr, "label_en": en, "family": source.get("licence_family")}, texts
        ),
        "languages": [_language(code) for code in source.get("languages") or []],
        "resource_types": _bounded(_concepts(source.get("resource_types") or [], types), texts),
    }
    for role in PEOPLE:
        fields[role] = _bounded(list(source.get(role) or []), limits.title_max_chars)
    for name, key in DATES.items():
        fields[name] = _date(source.get(key))
    fields["source"] = source.get("source")
    fields["portals"] = list(source.get("portals") or [])
    fields["group"] = source.get("group") or doc_id
    for name in RELATED:
        fields[name] = [
            _related(name, item, limits) for item in source.get(name) or [] if isinstance(item, dict)
        ]
    return fields


def _related(name: str, item: Mapping[str, Any], limits: TextRules) -> dict[str, Any]:
    """One entry of a related list, its keys fixed, its text bounded: ``{source, id, url,
    language}`` in ``also_available_from``, ``{id, url, language, title}`` in the others."""
    keys = (
        ("source", "id", "url", "language")
        if name == "also_available_from"
        else ("id", "url", "language", "title")
    )
    out = {key: item.get(key) if isinstance(item.get(key), str) else None for key in keys}
    out["url"] = _bounded(out["url"], limits.description_max_chars)
    if "title" in out:
        out["title"] = _bounded(out["title"], limits.title_max_chars)
    return out


def hit_view(
    hit: Mapping[str, Any],
    vocabularies: Vocabularies | None,
    limits: TextRules,
    prefer: str | None = None,
) -> dict[str, Any]:
    """One search result: :func:`public_fields` with the description's beginning, and ``highlight``.

    ``prefer`` is the query's language (``fr``, ``en``) when known: its highlight wins.
    """
    fields = public_fields(hit["_id"], hit.get("_source", {}), vocabularies, limits)
    summary = min(SUMMARY_CHARS, limits.description_max_chars)
    fields["description"] = {lang: _bounded(text, summary) for lang, text in fields["description"].items()}
    fields["highlight"] = highlight(hit.get("highlight", {}), limits, prefer)
    return fields


def resource_view(
    doc_id: str,
    source: Mapping[str, Any],
    vocabularies: Vocabularies | None,
    limits: TextRules | None = None,
) -> dict[str, Any]:
    """The resource page: every field of a hit but ``highlight`` (the description whole, up to the
    limit), plus ``source_identifier``, ``status``, ``keywords``, ``disciplines`` and the licence
    as the source wrote it (``licence.raw``).

    Built from the index alone (the API reads no ledger). Who approved the record is left out:
    that is the documentalists' business, not the public's.
    """
    limits = limits or TextRules()
    view = public_fields(doc_id, source, vocabularies, limits)
    record = source.get("record") or {}
    general = record.get("general") or {}
    controlled = record.get("controlled") or {}
    rights = record.get("rights") or {}
    raw = (
        controlled.get("licence_raw")
        or pick_lang(rights.get("description") or {})
        or rights.get("licence_uri")
    )
    view["licence"]["raw"] = _bounded(raw, limits.description_max_chars)
    keywords = [k for k in (pick_lang(kw) for kw in general.get("keywords") or []) if k]
    view["keywords"] = _bounded(keywords, limits.title_max_chars)
    view["disciplines"] = _bounded(list(source.get("disciplines") or []), limits.description_max_chars)
    view["source_identifier"] = _bounded(source.get("source_identifier"), limits.description_max_chars)
    view["status"] = source.get("status")
    return view


def highlight(fragments: Mapping[str, Any], limits: TextRules, prefer: str | None = None) -> dict[str, str]:
    """``{"title", "description"}`` from OpenSearch's ``highlight``, only the fields that matched.

    One fragment per field, from the first language that has one (``prefer`` first).
    """
    order = [prefer] if prefer in LANGUAGE_ORDER else []
    order += [lang for lang in LANGUAGE_ORDER if lang not in order]
    out: dict[str, str] = {}
    for name, limit in (("title", limits.title_max_chars), ("description", limits.description_max_chars)):
        for lang in order:
            found = fragments.get(f"{name}_{lang}")
            if found:
                out[name] = clip_snippet(str(found[0]), limit)
                break
    return out


def by_language(values: Mapping[str, Any], name: str) -> dict[str, str | None]:
    """``{"fr", "en"}`` from ``<name>_fr`` / ``_en``; ``_other`` text stands in when both are absent."""
    fr = values.get(f"{name}_fr")
    en = values.get(f"{name}_en")
    if not fr and not en:
        fr = values.get(f"{name}_other")
    return {"fr": fr[0] if fr else None, "en": en[0] if en else None}


_MARK_TAG = re.compile(r"</?mark>")


def clip_snippet(snippet: str, limit: int) -> str:
    """A highlighted snippet (escaped text, ``<mark>`` tags) of at most ``limit`` characters.

    Cut as HTML, not as a string: a snippet cut inside ``&amp;`` or ``<mark>`` would be broken
    markup. One that is too long loses its marks (it cannot come from a normal fragment anyway).
    """
    if len(snippet) <= limit:
        return snippet
    text = html.unescape(_MARK_TAG.sub("", snippet))[:limit]
    kept: list[str] = []
    used = len(ELLIPSIS)
    for char in text:
        escaped = html.escape(char)
        if used + len(escaped) > limit:
            break
        kept.append(escaped)
        used += len(escaped)
    return "".join(kept).rstrip() + ELLIPSIS


def concept_labels(vocab: Vocabulary, uri: str) -> Labels:
    """A concept's French and English preferred labels, ``(None, None)`` when it is unknown."""
    concept = vocab.get(uri)
    if concept is None:
        return None, None
    return concept.pref_labels.get("fr"), concept.pref_labels.get("en")


def _concepts(uris: Iterable[str], vocab: Vocabulary | None) -> list[dict[str, str | None]]:
    out: list[dict[str, str | None]] = []
    for uri in uris:
        fr, en = concept_labels(vocab, uri) if vocab is not None else (None, None)
        out.append({"uri": uri, "label_fr": fr, "label_en": en})
    return out


def _levels(uris: list[str], vocabularies: Vocabularies | None) -> list[dict[str, str | None]]:
    """The record's own levels: the indexed list minus the broader levels added for filtering."""
    if vocabularies is None:
        return _concepts(uris, None)
    vocab = vocabularies.levels
    broader = {a for u in uris for a in vocab.ancestors(u)}
    return _concepts((u for u in uris if u not in broader), vocab)


def _language(code: str) -> dict[str, str | None]:
    """``{"code": "fr", "label_fr": "français", "label_en": "French"}``; ``null`` labels for a code
    that names no language."""
    fr, en = language_name(code, "fr"), language_name(code, "en")
    return {"code": code, "label_fr": fr if fr != code else None, "label_en": en if en != code else None}


def _link(value: Any) -> str:
    """The document's ``link`` as the API's enum; anything else (an older document) ``unchecked``."""
    return value if value in LINK_VALUES else "unchecked"


def _date(value: Any) -> str | None:
    """A document date as ISO 8601 UTC with its offset (written so already; older documents too)."""
    if not isinstance(value, str):
        return None
    try:
        return utc_iso(value)
    except ValueError:
        return None


def _bounded(value: Any, limit: int) -> Any:
    """``value`` with every string in it cut at ``limit`` characters (dicts and lists walked)."""
    if isinstance(value, str):
        return clip(value, limit)
    if isinstance(value, dict):
        return {key: _bounded(item, limit) for key, item in value.items()}
    if isinstance(value, list):
        return [_bounded(item, limit) for item in value]
    return value
