"""What the duplicates pages show, computed in Python so the templates stay plain: the records
side by side, field by field, with the rows whose values differ marked; a pair's reasons, score,
relation and status in words.

A record's column reuses the record page's presentation (:func:`~ren_index.web.review.view.record_detail`:
labels resolved, addresses made links only when they are http(s)). Each field of a column has what
is shown (items of text, with a language tag or a link) and a comparison key; a row « differs »
when the keys are not all equal. The keys compare what the source said (the full description, the
language tags, the identifiers as written), not what the page shows of it: two descriptions that
part after the 600 characters shown still differ, and the row says so.

Harvested text reaches the templates as plain strings (escaped there).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from ren_index.config.clock import local_time
from ren_index.config.rules import PortalPolicy, clip
from ren_index.config.vocabularies import Vocabularies
from ren_index.ledger.models import RawRecordRow, ResourceRow
from ren_index.model import pick_lang
from ren_index.review.duplicate_actions import RELATION_WORDS
from ren_index.review.duplicate_queue import group_members
from ren_index.review.versions import STATUS_WORDS
from ren_index.web.review.deps import source_names
from ren_index.web.review.view import capitalized, record_detail

DESCRIPTION_SHOWN = 600
"""Characters of each description shown side by side (the record page has the whole text)."""

FIELDS = (
    "title",
    "description",
    "url",
    "languages",
    "identifiers",
    "source",
    "levels",
    "licence",
    "contributors",
    "dates",
    "quality",
    "status",
    "portals",
)
"""The rows of the comparison, in the order people read a record."""

REASONS: dict[str, tuple[str, str]] = {
    "same_url": ("même adresse (URL)", "same URL"),
    "same_identifier": ("même identifiant (ISBN, DOI…)", "same identifier (ISBN, DOI…)"),
    "text": ("textes semblables à {pct} %", "text similarity {pct}%"),
    "title": ("titres semblables à {pct} %", "title similarity {pct}%"),
    "translation_url": ("même adresse dans une autre langue", "same URL in another language"),
    "edition": ("éditions ou années différentes", "different edition or year"),
    "part": ("l'une fait partie de l'autre", "one is part of the other"),
}
"""Each reason of :class:`~ren_index.duplicates.matcher.Pair` in words; ``{pct}`` for a measure."""
MEASURED = ("text", "title")

PAIR_STATUS = {
    "pending": ("en attente", "pending"),
    "confirmed": ("confirmée", "confirmed"),
    "rejected": ("rejetée : ressources différentes", "rejected: different resources"),
}
MEMBER_WORDS = {
    "primary": ("notice principale", "primary record"),
    "same": ("même ressource", "same resource"),
    "version": ("autre version", "another version"),
}
"""A group member's relation in words (``dup_members.relation``)."""
RULES_ACTOR = ("les règles (confiance élevée)", "the rules (high confidence)")


def _pick(words: tuple[str, str], lang: str) -> str:
    return words[1] if lang == "en" else words[0]


def percent(score: float) -> int:
    """A score in [0, 1] as a whole percentage."""
    return round(score * 100)


def reason_words(reasons: Mapping[str, float], lang: str) -> list[str]:
    """A pair's reasons in words, in the order of :data:`REASONS` (unknown ones by their name)."""
    known = [k for k in REASONS if k in reasons] + sorted(k for k in reasons if k not in REASONS)
    out = []
    for key in known:
        words = REASONS.get(key)
        if words is None:
            out.append(key)
            continue
        text = _pick(words, lang)
        out.append(text.format(pct=percent(reasons[key])) if key in MEASURED else text)
    return out


def relation_word(relation: str, lang: str) -> str:
    """A relation as a person reads it (« Une traduction »)."""
    return capitalized(_pick(RELATION_WORDS.get(relation, (relation, relation)), lang))


def pair_status_word(status: str, lang: str) -> str:
    return capitalized(_pick(PAIR_STATUS.get(status, (status, status)), lang))


def member_word(relation: str, lang: str) -> str:
    return capitalized(_pick(MEMBER_WORDS.get(relation, (relation, relation)), lang))


def decider_word(decided_by: str | None, lang: str) -> str | None:
    """Who decided a pair: a person's name, or the rules in words."""
    if decided_by == "rules":
        return _pick(RULES_ACTOR, lang)
    return decided_by


def display_title(title: Mapping[str, str], lang: str, fallback: str) -> str:
    """A record's title in the page's language first (its id's beginning when untitled)."""
    return pick_lang(dict(title), ("en", "fr") if lang == "en" else ("fr", "en")) or fallback


# The records side by side ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Item:
    """One shown value: text, the language tag it is written in, a link when it is one."""

    text: str
    tag: str | None = None
    href: str | None = None


@dataclass(frozen=True)
class Column:
    """One record as a column of the comparison."""

    id: str
    title: str
    source: str
    source_name: str
    status: str
    relation: str | None
    """Its relation in its group (``primary``, ``same``, ``version``), None when in no group."""
    cells: dict[str, list[Item]]
    keys: dict[str, Any]


@dataclass(frozen=True)
class Row:
    field: str
    cells: list[list[Item]]
    differs: bool


def _texts(text: Mapping[str, str], limit: int | None = None) -> list[Item]:
    return [Item(clip(" ".join(v.split()), limit) if limit else v, tag) for tag, v in sorted(text.items())]


def column(
    row: ResourceRow,
    raw: RawRecordRow | None,
    vocabularies: Vocabularies,
    portals: Mapping[str, PortalPolicy],
    source_name: str,
    relation: str | None,
    lang: str,
) -> Column:
    """A record's column: what is shown of each field, and what is compared."""
    detail = record_detail(row, raw, vocabularies, portals, lang)
    resource = detail.get("resource")
    cells: dict[str, list[Item]] = {}
    keys: dict[str, Any] = {}
    quality = [Item(str(row.quality_score))] if row.quality_score is not None else []
    status = [Item(capitalized(_pick(STATUS_WORDS.get(row.status, (row.status, row.status)), lang)))]
    cells["source"], keys["source"] = [Item(source_name)], row.source_id
    cells["quality"], keys["quality"] = quality, row.quality_score
    cells["status"], keys["status"] = status, row.status
    cells["portals"] = [Item(p) for p in detail.get("portals", [])]
    keys["portals"] = sorted(row.portals or [])
    title = row.id[:12]
    if resource is not None:
        general = resource.general
        title = detail["display_title"] or title
        cells["title"], keys["title"] = _texts(general.title), sorted(general.title.items())
        cells["description"] = _texts(general.description, DESCRIPTION_SHOWN)
        keys["description"] = sorted((k, " ".join(v.split())) for k, v in general.description.items())
        url = detail["url"]
        cells["url"] = [Item(url, href=detail["url_link"])] if url else []
        keys["url"] = url or None
        cells["languages"] = [Item(f"{capitalized(name)} ({tag})") for tag, name in detail["languages"]]
        keys["languages"] = sorted(resource.controlled.languages)
        identifiers = sorted(
            f"{i.catalog}: {i.entry}" if i.catalog and not i.entry.startswith(i.catalog) else i.entry
            for i in general.identifiers
        )
        cells["identifiers"], keys["identifiers"] = [Item(i) for i in identifiers], identifiers
        cells["levels"] = [Item(label) for _uri, label in detail["levels"]]
        keys["levels"] = sorted(resource.controlled.levels)
        licence = detail["licence_label"] or detail["licence_raw"] or ""
        cells["licence"] = [Item(licence, href=detail["licence_link"])] if licence else []
        keys["licence"] = resource.controlled.licence or detail["licence_raw"] or None
        people = [f"{role} : {who}" if role else who for role, who, _date in detail["contributors"] if who]
        cells["contributors"], keys["contributors"] = [Item(p) for p in people], sorted(people)
        dates = sorted({d for _r, _w, d in detail["contributors"] if d} | {detail["datestamp"]} - {""})
        cells["dates"], keys["dates"] = [Item(d) for d in dates], dates
    for name in FIELDS:
        cells.setdefault(name, [])
        keys.setdefault(name, None)
    return Column(row.id, title, row.source_id, source_name, row.status, relation, cells, keys)


def rows(columns: Sequence[Column]) -> list[Row]:
    """The comparison, field by field; a row differs when its records do not all say the same."""
    out = []
    for name in FIELDS:
        values = [c.keys[name] for c in columns]
        out.append(Row(name, [c.cells[name] for c in columns], any(v != values[0] for v in values[1:])))
    return out


def columns_of(
    factory: sessionmaker[Session],
    ids: Sequence[str],
    relations: Mapping[str, str | None],
    vocabularies: Vocabularies,
    portals: Mapping[str, PortalPolicy],
    lang: str,
) -> list[Column]:
    """The columns of ``ids``, in that order (each record's relation in its group beside it)."""
    names = source_names(factory)
    out = []
    with factory() as session:
        for rid in ids:
            row = session.get_one(ResourceRow, rid)
            raw = session.get(RawRecordRow, row.raw_id) if row.raw_id is not None else None
            name = names.get(row.source_id, row.source_id)
            out.append(column(row, raw, vocabularies, portals, name, relations.get(rid), lang))
    return out


def group_summary(
    session: Session, names: Mapping[str, str], group_id: str, link: str, lang: str
) -> dict[str, Any]:
    """A group as the pair page lists it: its id, link and members (title, source, relation)."""
    members = []
    for rid, relation in group_members(session, group_id):
        row = session.get_one(ResourceRow, rid)
        title = ((row.record or {}).get("general") or {}).get("title") or {}
        members.append(
            {
                "id": rid,
                "title": display_title(title, lang, rid[:12]),
                "source": names.get(row.source_id, row.source_id),
                "relation": relation,
                "relation_words": member_word(relation, lang),
            }
        )
    return {"id": group_id, "link": link, "members": members}


def when(moment: Any) -> str | None:
    """A date for people (Montreal time, with its zone), None when there is none."""
    return local_time(moment) if moment is not None else None
