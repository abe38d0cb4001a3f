"""Descriptions: present, long enough to help someone choose, not the title again; HTML made safe.

A result list shows the description under the title; one that is missing, a few words long or a
copy of the title tells a teacher nothing. These are ``warning``/``info`` findings: the record
is still worth publishing, a documentalist may improve it. One longer than
``text.description_max_chars`` (10,000 by default) is a whole document, or junk, pasted in:
``DESCRIPTION_TOO_LONG``, to review, quoting only its beginning so that the issue stays small
(the portals' API shows no more than the limit of it either).

Europeana's "problem patterns" add two: a description that says nothing ("Description",
"À venir", "N/A", "TBD", "...": the folded values of ``text.description_placeholders``, or no letter
or digit at all) is ``DESCRIPTION_NOT_MEANINGFUL``, a ``warning`` that approves like
``DESCRIPTION_MISSING`` — it *is* a missing description, so it is not also "too short"; and a
description equal to the title *or contained in it* (whole words: "Fractions" under the title
"Les fractions au primaire") is ``DESCRIPTION_SAME_AS_TITLE``, an ``info``: it adds nothing a
result list does not already show.

The mapper keeps the plain text in ``general.description`` and, when the source sent markup, the
harvested value in ``general.description_raw``. The markup is worth keeping for display
(paragraphs, lists, links), so it is passed through the allow-list sanitizer into
``controlled.description_html``; the raw value itself is never shown anywhere.
"""

from __future__ import annotations

import html
import re
from functools import lru_cache
from typing import Any

from ren_index.config.rules import clip
from ren_index.config.vocabularies import fold
from ren_index.model import Issue, Resource
from ren_index.validate.context import ValidationContext
from ren_index.validate.sanitize import sanitize_html

FIELD = "general.description"
SNIPPET_CHARS = 200
"""An issue's value quotes at most this much of the raw HTML: enough to recognize it."""

_TAG = re.compile(r"<[A-Za-z!/?]")


def _markup_layer(raw: str) -> str:
    """The layer that holds the tags: a source that escaped its HTML once too often
    (``&lt;p&gt;``) meant a paragraph, not the characters ``<p>`` (as the mapper read it)."""
    if _TAG.search(raw):
        return raw
    unescaped = html.unescape(raw)
    return unescaped if _TAG.search(unescaped) else raw


def _snippet(raw: str) -> str:
    return raw if len(raw) <= SNIPPET_CHARS else raw[: SNIPPET_CHARS - 1] + "…"


def _html(resource: Resource) -> tuple[dict[str, str], list[Issue]]:
    safe: dict[str, str] = {}
    issues: list[Issue] = []
    for lang, raw in resource.general.description_raw.items():
        if not raw.strip():
            continue
        cleaned = sanitize_html(_markup_layer(raw))
        if cleaned:
            safe[lang] = cleaned
        issues.append(
            Issue(
                code="HTML_IN_DESCRIPTION",
                severity="info",
                field=FIELD,
                message_fr=(
                    "La description contient du HTML : le texte brut est conservé et une version "
                    "nettoyée sert à l'affichage."
                ),
                message_en=(
                    "The description contains HTML: the plain text is kept and a sanitized "
                    "version is used for display."
                ),
                value=_snippet(raw),
            )
        )
    return safe, issues


def _too_long(text: str, limit: int) -> Issue:
    return Issue(
        code="DESCRIPTION_TOO_LONG",
        severity="warning",
        field=FIELD,
        message_fr=(
            f"La description compte {len(text)} caractères, plus que les {limit} permis : "
            "raccourcissez-la (les portails n'en montrent que le début)."
        ),
        message_en=(
            f"The description is {len(text)} characters long, more than the {limit} allowed: "
            "shorten it (the portals show only its beginning)."
        ),
        value=clip(text, limit),
    )


@lru_cache(maxsize=8)
def _placeholders(configured: tuple[str, ...]) -> frozenset[str]:
    """The folded stand-in descriptions of ``validation.yaml``, folded once per rule set."""
    return frozenset(fold(p) for p in configured)


def _not_meaningful(text: str) -> Issue:
    return Issue(
        code="DESCRIPTION_NOT_MEANINGFUL",
        severity="warning",
        field=FIELD,
        message_fr=f"La description « {text} » ne dit rien de la ressource : écrivez-en une vraie.",
        message_en=f'The description "{text}" says nothing about the resource: write a real one.',
        value=text,
    )


def _text_issues(resource: Resource, ctx: ValidationContext) -> list[Issue]:
    descriptions = {lang: text for lang, text in resource.general.description.items() if text.strip()}
    if not descriptions:
        return [
            Issue(
                code="DESCRIPTION_MISSING",
                severity="warning",
                field=FIELD,
                message_fr="La ressource n'a pas de description.",
                message_en="The resource has no description.",
            )
        ]
    minimum = ctx.rules.text.description_min_chars
    maximum = ctx.rules.text.description_max_chars
    titles = [f" {fold(t)} " for t in resource.general.title.values() if t.strip()]
    placeholders = _placeholders(tuple(ctx.rules.text.description_placeholders))
    issues: list[Issue] = []
    for text in descriptions.values():
        if len(text.strip()) > maximum:
            issues.append(_too_long(text.strip(), maximum))
            continue  # neither too short nor a title (a title that long is TITLE_TOO_LONG)
        folded = fold(text)
        if not folded or folded in placeholders:
            issues.append(_not_meaningful(_snippet(text.strip())))
            continue  # a stand-in is a missing description, not a short one
        if len(text.strip()) < minimum:
            issues.append(
                Issue(
                    code="DESCRIPTION_TOO_SHORT",
                    severity="warning",
                    field=FIELD,
                    message_fr=f"La description compte moins de {minimum} caractères.",
                    message_en=f"The description is shorter than {minimum} characters.",
                    value=text,
                )
            )
        if any(f" {folded} " in title for title in titles):
            issues.append(
                Issue(
                    code="DESCRIPTION_SAME_AS_TITLE",
                    severity="info",
                    field=FIELD,
                    message_fr="La description répète le titre.",
                    message_en="The description repeats the title.",
                    value=text,
                )
            )
    return issues


def check_description(resource: Resource, ctx: ValidationContext) -> tuple[dict[str, Any], list[Issue]]:
    """DESCRIPTION_MISSING / _NOT_MEANINGFUL / _TOO_SHORT / _TOO_LONG / _SAME_AS_TITLE,
    HTML_IN_DESCRIPTION,
    ``description_html``."""
    safe, html_issues = _html(resource)
    updates: dict[str, Any] = {"description_html": safe} if safe else {}
    return updates, _text_issues(resource, ctx) + html_issues
