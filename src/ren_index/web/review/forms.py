"""What the review forms and query strings say, checked and turned into service arguments.

Queue filters travel with a documentalist from the queue to a record and back (previous / next
record, redirect after a decision), so they are parsed in one place, bounded, and re-encoded by
the app: a redirect target is always built here, never copied from what the browser sent.

The edit form posts every field; :func:`edit_changes` keeps only the fields whose value differs
from what the page showed, so saving a form where one level was ticked stores one correction.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl, urlencode

from pydantic import BaseModel

from ren_index.model import Resource, Status
from ren_index.review.link_report import KINDS as LINK_KINDS
from ren_index.review.queries import CLAIM_FILTERS, ORIGINS, SORTS
from ren_index.web.review.view import merged_text, record_address

FILTER_KEYS = (
    "status",
    "source",
    "origin",
    "portal",
    "issue",
    "level",
    "language",
    "link",
    "claim",
    "q",
    "sort",
)
STATUSES = (*(s.value for s in Status), "all")
MAX_FILTER = 300
PAGE_SIZES = (25, 50, 100)


def queue_filters(params: Mapping[str, str]) -> dict[str, str]:
    """The queue filters of a query string, defaults left out (``status=needs_review``, oldest first)."""
    filters: dict[str, str] = {}
    for key in FILTER_KEYS:
        value = str(params.get(key) or "").strip()[:MAX_FILTER]
        if not value:
            continue
        if key == "status" and (value not in STATUSES or value == Status.NEEDS_REVIEW.value):
            continue
        if key == "sort" and (value not in SORTS or value == "oldest"):
            continue
        if (key == "origin" and value not in ORIGINS) or (key == "claim" and value not in CLAIM_FILTERS):
            continue
        if key == "link" and value not in LINK_KINDS:
            continue
        filters[key] = value
    return filters


def filters_from_query(query: str) -> dict[str, str]:
    """Filters carried by a form as one hidden ``filters`` field (an encoded query string)."""
    return queue_filters(dict(parse_qsl(query[:2000])))


def encode(filters: Mapping[str, str], **extra: object) -> str:
    """``?a=b&...`` for links (empty when there is nothing to say)."""
    pairs = [(k, v) for k, v in filters.items() if v] + [(k, str(v)) for k, v in extra.items() if v]
    return f"?{urlencode(pairs)}" if pairs else ""


def service_filters(filters: Mapping[str, str]) -> dict[str, Any]:
    """Keyword arguments of ``review_queries.queue`` / ``neighbours`` for these filters."""
    args: dict[str, Any] = {
        k: filters.get(k) or None
        for k in ("source", "origin", "portal", "issue", "level", "language", "link", "claim", "q")
    }
    args["status"] = filters.get("status") or Status.NEEDS_REVIEW.value
    args["sort"] = filters.get("sort") or "oldest"
    return args


def positive_int(value: str | None, default: int, choices: tuple[int, ...] | None = None) -> int:
    try:
        number = int(value or default)
    except ValueError:
        return default
    if choices is not None:
        return number if number in choices else default
    return max(1, number)


def parse_version(value: str | None) -> int | None:
    """The record version a form carried (``None``: none, or not a number — not checked)."""
    text = (value or "").strip()
    return int(text) if text.isdigit() and len(text) < 10 else None


def selected_versions(values: list[str]) -> dict[str, int | None]:
    """The queue's ticked rows, ``ID:VERSION`` (or a bare ``ID``): each record with the version shown."""
    chosen: dict[str, int | None] = {}
    for value in values:
        rid, _sep, version = value.strip().partition(":")
        if rid:
            chosen[rid] = parse_version(version)
    return chosen


class EditForm(BaseModel):
    """The edit form as posted (every field: the form always sends them all)."""

    title_fr: str = ""
    title_en: str = ""
    description_fr: str = ""
    description_en: str = ""
    languages: list[str] = []
    languages_other: str = ""
    levels: list[str] = []
    licence: str = ""
    resource_types: list[str] = []
    url: str = ""
    comment: str = ""
    action: str = "save"
    """``save`` or ``save_approve`` (the button pressed)."""
    filters: str = ""
    """The queue filters the person came with (an encoded query string)."""
    version: str = ""
    """The record's version as the page showed it (:func:`parse_version`)."""


def _languages(form: EditForm) -> list[str]:
    tags = [*form.languages, *(p.strip() for p in form.languages_other.replace(";", ",").split(","))]
    return list(dict.fromkeys(t for t in tags if t))


def edit_changes(form: EditForm, resource: Resource) -> dict[str, Any]:
    """The corrections a posted edit form asks for: only fields that differ from the record.

    ``None`` for a field emptied on the form means "no correction, the source's value" (an empty
    language list, licence or address cannot be a correction).
    """
    general, controlled = resource.general, resource.controlled
    changes: dict[str, Any] = {}
    title = merged_text(general.title, form.title_fr, form.title_en)
    if title != general.title:
        changes["title"] = title
    description = merged_text(general.description, form.description_fr, form.description_en)
    if description != general.description:
        changes["description"] = description
    languages = _languages(form)
    if languages != list(controlled.languages):
        changes["languages"] = languages or None
    levels = list(dict.fromkeys(form.levels))
    if set(levels) != set(controlled.levels):
        changes["levels"] = levels
    licence = form.licence.strip() or None
    if licence != controlled.licence:
        changes["licence"] = licence
    types = list(dict.fromkeys(form.resource_types))
    if set(types) != set(controlled.resource_types):
        changes["resource_types"] = types
    url = form.url.strip()
    if url != (record_address(resource) or ""):
        changes["url"] = url or None
    return changes
