"""Problem patterns: what makes a record useless in a result list although each field looks fine.

After Europeana Metis's "problem patterns": some faults only show against the rest of the record or
of its source. Two live here (the description ones live in :mod:`ren_index.validate.descriptions`,
beside the other description checks):

- ``TITLE_REPEATED_IN_SOURCE`` (``warning``, effect ``approve``): at least
  ``text.title_repeated_min_records`` records of one source carry the same title ("Exercices",
  "Fiche de l'élève"); in a result list a teacher cannot tell them apart. Each record is still a
  real resource, so it is published; the finding goes on each record and, through
  :func:`repeated_titles`, on the source's report, since the fix is the partner's (a naming habit,
  not one record). The count comes in through the context (``same_title_count``): a check sees one
  record, the process step counts the source's titles once per pass.
- ``KEYWORDS_REPEAT_TITLE`` (``info``, effect ``approve``): a keyword is the title again, or holds
  it whole; it adds nothing to search (the title is already searched) and hides the missing
  subject keywords. A quality hint, counted in the quality score.

Titles are compared folded (:func:`ren_index.config.vocabularies.fold`: case, accents and
punctuation ignored), as everywhere a person would say "the same words".
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from ren_index.config.vocabularies import fold
from ren_index.model import Issue, Resource
from ren_index.validate.context import ValidationContext

TITLE_FIELD = "general.title"
KEYWORD_FIELD = "general.keywords"


def title_key(title: str) -> str:
    """The key under which titles count as the same: folded ("Les Fractions !" = "les fractions")."""
    return fold(title)


def title_keys_of(titles: Iterable[str]) -> set[str]:
    """The distinct keys of one record's titles (one per language at most; the same title in two
    languages counts once, so a bilingual record is not a repeat of itself)."""
    return {key for key in map(title_key, titles) if key}


def title_keys(resource: Resource) -> set[str]:
    """The distinct title keys of one record (see :func:`title_keys_of`)."""
    return title_keys_of(resource.general.title.values())


def repeated_titles(counts: Mapping[str, int], threshold: int) -> dict[str, int]:
    """The title keys carried by at least ``threshold`` records, most repeated first.

    What a source-level report would list from a plain count of keys (the process step keeps
    only digests of the keys, :mod:`ren_index.validate.title_counts`: it cannot list them).
    """
    repeated = [(key, n) for key, n in counts.items() if key and n >= threshold]
    return dict(sorted(repeated, key=lambda item: (-item[1], item[0])))


def _repeated(title: str, count: int) -> Issue:
    return Issue(
        code="TITLE_REPEATED_IN_SOURCE",
        severity="warning",
        field=TITLE_FIELD,
        message_fr=(
            f"{count} notices de cette source portent le titre « {title} » : dans une liste de "
            "résultats, on ne peut pas les distinguer. Donnez à chacune un titre qui lui est propre."
        ),
        message_en=(
            f'{count} records of this source have the title "{title}": in a result list they cannot '
            "be told apart. Give each one a title of its own."
        ),
        value=title,
    )


def _keywords_repeating(keywords: Iterable[str], titles: list[str]) -> list[str]:
    """The keywords that are a title again, or hold a title of two words or more whole."""
    found: list[str] = []
    for keyword in keywords:
        folded = f" {fold(keyword)} "
        if folded.strip() and any(
            folded.strip() == title or (" " in title and f" {title} " in folded) for title in titles
        ):
            found.append(keyword.strip())
    return found


def check_patterns(resource: Resource, ctx: ValidationContext) -> tuple[dict[str, Any], list[Issue]]:
    """TITLE_REPEATED_IN_SOURCE (one per repeated title), KEYWORDS_REPEAT_TITLE (one per record)."""
    issues: list[Issue] = []
    threshold = ctx.rules.text.title_repeated_min_records
    seen: set[str] = set()
    for title in resource.general.title.values():
        key = title_key(title)
        if not key or key in seen:
            continue
        seen.add(key)
        count = ctx.same_title_count(key)
        if count >= threshold:
            issues.append(_repeated(title.strip(), count))
    titles = sorted(seen)
    if titles:
        keywords = (text for keyword in resource.general.keywords for text in keyword.values())
        repeating = _keywords_repeating(keywords, titles)
        if repeating:
            quoted = " ; ".join(repeating)
            issues.append(
                Issue(
                    code="KEYWORDS_REPEAT_TITLE",
                    severity="info",
                    field=KEYWORD_FIELD,
                    message_fr=(
                        f"Des mots-clés répètent le titre ({quoted}) : ils n'aident pas la recherche. "
                        "Donnez plutôt les sujets de la ressource."
                    ),
                    message_en=(
                        f"Some keywords repeat the title ({quoted}): they do not help search. "
                        "Give the resource's subjects instead."
                    ),
                    value=quoted,
                )
            )
    return {}, issues
