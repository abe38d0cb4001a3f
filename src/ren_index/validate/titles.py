"""Titles: a record needs one, and it must be a title rather than a stand-in for one.

Repositories fill the title field with whatever the depositing tool had at hand: "Sans titre",
"Document1", the file name ("Chapitre 3 final.docx"), a camera's "IMG_1234". Such a record is
useless in a result list, so a placeholder is an ``error`` like a missing title. A title in
capitals only is legible but reads as shouting in a result list: an ``info``, with the sentence-case
form as the suggestion (a documentalist restores the proper nouns).

Each language's title is judged on its own: an English "Untitled" next to a good French title is
still worth fixing.

Capitals are judged on the letters that have a case only: Inuktitut and Cree syllabics,
Chinese, Arabic or Hebrew have none, so a title in those scripts is never "in capitals" (an
``upper()`` test alone says it is, since upper-casing changes nothing).

A title harvested with HTML tags (a rich-text editor's ``<p><strong>…</strong></p>``) is read as
plain text at normalization, so the portals never show the tags; ``TITLE_MARKUP`` (``info``) tells
the documentalist, quoting the raw value, that the source should send plain text.

A title longer than ``text.title_max_chars`` (300 by default) is a description or a whole
document pasted into the wrong field: a ``warning`` (to review), whose value quotes only the
beginning so that the issue itself stays small. It is the only finding on that title: whatever
else is wrong with it, it has to be rewritten anyway.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from ren_index.config.rules import clip
from ren_index.config.vocabularies import fold
from ren_index.model import Issue, Resource
from ren_index.validate.context import ValidationContext

FIELD = "general.title"

_FILE_NAME = re.compile(
    r".{1,120}\.(?:pdf|docx?|odt|rtf|txt|pptx?|odp|key|xlsx?|ods|csv|html?|xml|jpe?g|png|gif|"
    r"tiff?|bmp|svg|mp3|mp4|m4a|wav|avi|mov|wmv|zip|epub|h5p|notebook|sb3)",
    re.IGNORECASE,
)
"""A title ending in a file extension is the name of the uploaded file."""

_DEFAULT_NAME = re.compile(
    r"(?:img|dsc|dscn|dcim|pict|pic|mvi|vid|gopr|scan|capture|screenshot|photo|image|video|"
    r"document|doc|fichier|file|presentation|diapositive|slide|classeur|book|sheet|feuille|"
    r"untitled|sans titre|nouveau document|new document)\s?\d+"
)
"""Folded names tools and cameras give by default: ``img 1234``, ``document1``, ``presentation1``."""

_MIN_CAPS_LETTERS = 8


def _placeholder_reason(title: str, ctx: ValidationContext) -> tuple[str, str] | None:
    """Why ``title`` is not a real title (French, English), or None when it is one."""
    folded = fold(title)
    if folded in _placeholders(tuple(ctx.rules.text.title_placeholders)):
        return "est un titre par défaut", "is a placeholder"
    if not any(c.isalpha() for c in title):
        return "ne contient aucune lettre", "has no letters"
    if len(title.strip()) < ctx.rules.text.title_min_chars:
        return "est trop court", "is too short"
    if _FILE_NAME.fullmatch(title.strip()) or _DEFAULT_NAME.fullmatch(folded):
        return "est un nom de fichier", "is a file name"
    return None


@lru_cache(maxsize=8)
def _placeholders(configured: tuple[str, ...]) -> frozenset[str]:
    """The folded placeholder titles of ``validation.yaml``, folded once per rule set, not per title."""
    return frozenset(fold(p) for p in configured)


def _all_caps(title: str) -> bool:
    """Capitals only, several words, enough letters not to be an acronym ("PDF", "UQAM").

    Only letters that have a case count, and they must be most of the letters: a syllabic title
    with a Latin acronym in it ("ᐃᓄᒃᑎᑐᑦ ᐅᖃᐅᓯᖅ NUNAVUT") is not shouting.
    """
    if title.upper() != title or len(title.split()) < 2:
        return False
    upper = sum(map(str.isupper, title))  # counted in C; a lower-case letter was ruled out above
    return upper >= _MIN_CAPS_LETTERS and 2 * upper >= sum(map(str.isalpha, title))


def _sentence_case(title: str) -> str:
    lowered = title.lower()
    return lowered[:1].upper() + lowered[1:]


TITLE_MISSING = Issue(
    code="TITLE_MISSING",
    severity="error",
    field=FIELD,
    message_fr="La ressource n'a pas de titre.",
    message_en="The resource has no title.",
)


def _too_long(title: str, limit: int) -> Issue:
    return Issue(
        code="TITLE_TOO_LONG",
        severity="warning",
        field=FIELD,
        message_fr=(
            f"Le titre compte {len(title)} caractères, plus que les {limit} permis : raccourcissez-le "
            "(les portails n'en montrent que le début)."
        ),
        message_en=(
            f"The title is {len(title)} characters long, more than the {limit} allowed: shorten it "
            "(the portals show only its beginning)."
        ),
        value=clip(title, limit),
    )


MARKUP_SNIPPET_CHARS = 200
"""TITLE_MARKUP quotes at most this much of the raw title: enough to recognize the tags."""


def _markup(raw: str, title: str | None) -> Issue:
    return Issue(
        code="TITLE_MARKUP",
        severity="info",
        field=FIELD,
        message_fr=(
            "Le titre moissonné contenait des balises HTML : elles ont été retirées (le titre "
            "affiché et indexé est le texte seul). Demandez à la source d'envoyer du texte brut."
        ),
        message_en=(
            "The harvested title held HTML tags: they were removed (the title shown and indexed is "
            "the text alone). Ask the source to send plain text."
        ),
        value=clip(raw, MARKUP_SNIPPET_CHARS),
        suggestion=title,
    )


def check_title(resource: Resource, ctx: ValidationContext) -> tuple[dict[str, Any], list[Issue]]:
    """TITLE_MISSING, TITLE_TOO_LONG, TITLE_PLACEHOLDER (one per language), TITLE_ALL_CAPS,
    TITLE_MARKUP."""
    titles = {lang: text.strip() for lang, text in resource.general.title.items() if text.strip()}
    raw = resource.general.title_raw
    issues: list[Issue] = [_markup(raw[lang], titles.get(lang)) for lang in raw if raw[lang].strip()]
    if not titles:
        return {}, [TITLE_MISSING, *issues]
    limit = ctx.rules.text.title_max_chars
    for title in titles.values():
        if len(title) > limit:
            issues.append(_too_long(title, limit))
            continue
        reason = _placeholder_reason(title, ctx)
        if reason is not None:
            issues.append(
                Issue(
                    code="TITLE_PLACEHOLDER",
                    severity="error",
                    field=FIELD,
                    message_fr=f"Le titre « {title} » {reason[0]} : il ne décrit pas la ressource.",
                    message_en=f'The title "{title}" {reason[1]}: it does not describe the resource.',
                    value=title,
                )
            )
        elif _all_caps(title):
            issues.append(
                Issue(
                    code="TITLE_ALL_CAPS",
                    severity="info",
                    field=FIELD,
                    message_fr="Le titre est entièrement en majuscules.",
                    message_en="The title is in capital letters only.",
                    value=title,
                    suggestion=_sentence_case(title),
                )
            )
    return {}, issues
