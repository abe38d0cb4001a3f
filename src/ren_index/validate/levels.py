"""Educational level of a record: every way a source states it, mapped to ``niveaux-quebec.ttl``.

Where levels come from, in the order they are read:

* **LOM 5.6 context** (``educational.contexts``): LOM ``school`` / ``higher education`` /
  ``training``, Normetic 5.6 ids with or without accents (``cegep``, ``universite premier cycle``),
  LOMFR words, ScoLOMFR concept URIs, and free text some tools put there (``Sec. 3``).
* **Classification whose purpose is the educational level** (LOM ``educational level``, ScoLOMFR
  ``educational_level``, ``niveau scolaire``...): every taxon, by id when it is a URI, else by
  entry, also read together with its parent (``Primaire`` › ``1er cycle``).
* **Keywords** (Dublin Core ``subject``): only a keyword that *is* a level label counts, and an
  unmatched keyword is never flagged — most keywords are topics.
* **Typical age range**: only ``level_suggestions`` (an age says too little to decide on).

Matching folds case, accents and punctuation, then canonicalizes ordinals and roman numerals
(``3e``, ``3ème``, ``troisième``, ``III``, ``third``, ``3rd`` → ``3``), abbreviations (``sec``),
small words (``du``) and word order: ``Sec. 3``, ``Secondaire III``, ``3e secondaire`` and
``Secondary 3`` reach one key, so the vocabulary lists only what rules cannot derive. The keys of
every label are computed once per :class:`Vocabulary` (the whole validation must do 2,000 records
a second): a look-up is a dictionary access.

A value that is not a whole label goes through :mod:`~ren_index.validate.level_parser` (ranges,
separators, brackets, qualifiers, years of a cycle, other countries' systems): each part is
matched like a whole value, and the outcome of every distinct raw value is kept in the index's
memo, so the parser costs once per spelling, not once per record.

Choices worth knowing:

* The result keeps the **most specific** levels: ``school`` + ``education secondaire`` gives
  *secondaire* only (the grouping concept is an ancestor).
* A concept URI from a scheme the vocabulary maps to (ScoLOMFR) but that has no mapping itself is
  **not** matched by its label: ScoLOMFR's ``collège`` is the French lower secondary, not a cégep.
* Values that say no level (``autre``, ``other``, ``tous``, ``N/A``, ``grand public``) are ignored
  without an issue; a record left with nothing gets ``LEVEL_MISSING``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from ren_index.config.vocabularies import Vocabulary, fold
from ren_index.model import Issue, Resource, Term
from ren_index.validate.context import CheckResult, ValidationContext
from ren_index.validate.level_index import Found, LevelIndex, level_index, namespace
from ren_index.validate.level_parser import (
    is_foreign,
    level_key,
    names_a_year_of_a_cycle,
    parse_level,
    tokens_of,
)

__all__ = [
    "check_levels",
    "level_index",
    "level_key",
    "match_level",
    "portals_for_levels",
    "suggest_from_ages",
]

_NO_LEVEL_TEXT = (
    "autre|autres|other|others|tous|tous niveaux|tous les niveaux|tout niveau|all|all levels|any|"
    "N/A|NA|n.d.|aucun|none|grand public|general public|public|sans objet|non applicable|"
    "not applicable|inconnu|unknown|divers"
)
_NO_LEVEL = frozenset(fold(t) for t in _NO_LEVEL_TEXT.split("|"))
"""Folded values that state no level on purpose: ignored without an issue."""

_SUGGEST_ONLY = frozenset({"college"})
"""Keys too ambiguous to decide on anywhere: "collège" is a cégep, a private secondary school or a
French lower secondary. They give LEVEL_UNMAPPED with their concept as the suggestion."""

_PURPOSES_TEXT = (
    "educational level|education level|educationallevel|level|niveau|niveau scolaire|niveau educatif|"
    "niveau educatif detaille|niveau d enseignement|niveau d etudes|ordre d enseignement"
)
_LEVEL_PURPOSES = frozenset(_PURPOSES_TEXT.split("|"))
"""Folded LOM 9.1 purposes (or the last segment of a purpose URI) of a classification by level."""
_SEPARATORS = re.compile(r"[;|\n]+")
_AGE_RANGE = re.compile(r"(\d{1,2})\s*(?:-|–|à|to)\s*(\d{1,2})")
_AGE_OPEN = re.compile(
    r"\d{1,2}\s*(?:\+|[-–]\s*$|ans? et plus|et plus|and (?:up|over)|or older)", re.IGNORECASE
)
_AGE = re.compile(r"\d{1,2}")


def _is_uri(text: str) -> bool:
    return text.startswith(("http://", "https://"))


def match_level(text: str, index: LevelIndex) -> tuple[str, ...]:
    """Concept URIs one raw level value stands for (empty when it matches nothing)."""
    return _match(text, index).uris


_MEMO_LIMIT = 50_000
"""Distinct raw values remembered per index; past it the memo starts over (hostile harvests)."""


def _match(text: str, index: LevelIndex, keyword: bool = False) -> Found:
    """What one raw value stands for, parsed once per distinct value (``keyword``: safe labels only)."""
    memo_key = (text, keyword)
    found = index.memo.get(memo_key)
    if found is None:
        if len(index.memo) >= _MEMO_LIMIT:
            index.memo.clear()
        found = index.memo[memo_key] = _match_uncached(text.strip(), index, keyword)
    return found


def _match_uncached(text: str, index: LevelIndex, keyword: bool) -> Found:
    keys = index.keyword_keys if keyword else index.keys
    if _is_uri(text):
        uri = text.rstrip("/") if text.rstrip("/") in index.uris else text
        if uri in index.uris:
            return Found((index.uris[uri],))
        if namespace(text) in index.mapped_namespaces:
            return Found()  # a concept of a scheme we crosswalk that has no Québec equivalent
        text = re.split(r"[/#]", text.rstrip("/#"))[-1]
    key = level_key(text)
    if key in keys and key not in _SUGGEST_ONLY and not names_a_year_of_a_cycle(text):
        return Found(keys[key])
    if fold(text) in _NO_LEVEL or not key:
        return Found(no_level=True)
    parsed = parse_level(text)
    if parsed.foreign:
        return Found(foreign=True)
    main = [_map_part(readings, keys) for readings in parsed.parts]
    equivalent = [_map_part(readings, keys) for readings in parsed.equivalents]
    main_uris = tuple(u for uris in main for u in uris) if main and all(main) else ()
    other_uris = tuple(u for uris in equivalent for u in uris) if equivalent and all(equivalent) else ()
    if main_uris and other_uris and not _agree(main_uris, other_uris, index):
        return Found(tuple(dict.fromkeys((*main_uris, *other_uris))), ambiguous=(main_uris, other_uris))
    return Found(tuple(dict.fromkeys((*main_uris, *other_uris))))


def _map_part(readings: tuple[str, ...], keys: dict[str, tuple[str, ...]]) -> tuple[str, ...]:
    """The concepts of the first reading of a part that is a level label (empty: none is)."""
    for reading in readings:
        key = level_key(reading)
        if key in keys and key not in _SUGGEST_ONLY:
            return keys[key]
    return ()


def _agree(main: tuple[str, ...], other: tuple[str, ...], index: LevelIndex) -> bool:
    """Every bracketed reading is the same level as, or broader / narrower than, a main one."""

    def related(a: str, b: str) -> bool:
        return a == b or a in index.ancestors.get(b, ()) or b in index.ancestors.get(a, ())

    return all(any(related(o, m) for m in main) for o in other)


def _first_match(texts: Iterable[str], index: LevelIndex) -> tuple[str, ...]:
    return next((uris for t in texts if (uris := _match(t, index).uris)), ())


def _guess(text: str, index: LevelIndex) -> str | None:
    """The concept of the longest run of words inside ``text`` that is a level label, if any.

    Reads the first 64 words only: harvested text is hostile until proven otherwise."""
    tokens = tokens_of(text)[:64]
    for size in range(min(len(tokens), index.longest_key), 0, -1):
        for start in range(len(tokens) - size + 1):
            key = " ".join(sorted(set(tokens[start : start + size])))
            uris = index.keys.get(key) if key in _SUGGEST_ONLY else index.keyword_keys.get(key)
            if uris:
                return min(uris, key=lambda u: index.rank.get(u, 0))
    return None


# Where a record states levels ----------------------------------------------------------------


def _split(text: str) -> list[str]:
    return [p.strip() for p in _SEPARATORS.split(text) if p.strip()]


def _is_level_purpose(purpose: Term | None, source: Iterable[str]) -> bool:
    if purpose is not None:
        value = purpose.value.strip()
        if _is_uri(value):
            value = re.split(r"[/#]", value.rstrip("/#"))[-1]
        return fold(value) in _LEVEL_PURPOSES
    return any("niveau" in fold(s) or "level" in fold(s) for s in source)


def _level_paths(resource: Resource) -> Iterator[tuple[str, list[tuple[str, ...]]]]:
    """Per level taxon path: how it reads (``Primaire > 1er cycle``) and, per taxon, the readings to
    try in order — its id, its entries, each entry after its parent's. A URI id is read alone: it
    is the taxon's identity, its entry only a translation."""
    for path in resource.classifications:
        if not _is_level_purpose(path.purpose, path.source.values()):
            continue
        readings: list[tuple[str, ...]] = []
        parent = ""
        for taxon_id, entry in path.taxa:
            texts = list(dict.fromkeys(t.strip() for t in entry.values() if t.strip()))
            tid = (taxon_id or "").strip()
            if _is_uri(tid):
                readings.append((tid,))
            else:
                readings.append(
                    (*([tid] if tid else []), *texts, *(f"{parent} {t}" for t in texts if parent))
                )
            parent = texts[0] if texts else parent
        yield " > ".join(next(iter(e.values()), tid or "") for tid, e in path.taxa), readings


def _keyword_values(resource: Resource) -> Iterator[str]:
    for keyword in resource.general.keywords:
        for text in keyword.values():
            yield from _split(text)


# The check ----------------------------------------------------------------------------------


def check_levels(resource: Resource, ctx: ValidationContext) -> CheckResult:
    """Map every stated level; flag what matches nothing (``LEVEL_UNMAPPED``) or a silent record."""
    vocab = ctx.vocabularies.levels
    index = level_index(vocab)
    found: list[str] = []
    issues: list[Issue] = []
    no_level: list[str] = []

    for term in resource.educational.contexts:
        for text in _split(term.value):
            result = _match(text, index)
            if result.ambiguous is not None:
                issues.append(_ambiguous("educational.context", text, *result.ambiguous, vocab))
            if result.uris:
                found.extend(result.uris)
            elif result.no_level:
                no_level.append(text)
            elif result.foreign:
                issues.append(_unmapped("educational.context", text, None, foreign=True))
            else:
                issues.append(_unmapped("educational.context", text, _guess(text, index)))

    for shown, readings in _level_paths(resource):
        matched = [uris for texts in readings if (uris := _first_match(texts, index))]
        for uris in matched:
            found.extend(uris)
        if not matched:
            if is_foreign(shown):
                issues.append(_unmapped("classification", shown, None, foreign=True))
                continue
            guess = next((g for texts in readings if (g := _guess(texts[0], index))), None)
            issues.append(_unmapped("classification", shown, guess))

    for text in _keyword_values(resource):
        result = _match(text, index, keyword=True)
        if result.ambiguous is None:
            found.extend(result.uris)

    levels = _most_specific(found, index)
    suggestions = [
        u for u in suggest_from_ages(resource.educational.typical_age_range, index) if u not in levels
    ]
    if not levels and not issues:
        issues.append(_missing(no_level, suggestions[0] if suggestions else None))
    return {"levels": levels, "level_suggestions": suggestions}, issues


def _most_specific(found: list[str], index: LevelIndex) -> list[str]:
    """Deduplicated, without any concept that is an ancestor of another, in vocabulary order."""
    unique = set(found)
    covered = {a for uri in unique for a in index.ancestors.get(uri, ())}
    return sorted(unique - covered, key=lambda u: (index.rank.get(u, len(index.rank)), u))


def _parse_ages(text: str) -> tuple[int, int] | None:
    """``"6-8"`` → (6, 8); ``"14"`` → (14, 15) (children of 14 during the year); open ranges → None."""
    closed = _AGE_RANGE.search(text)
    if closed is not None:
        start, end = int(closed.group(1)), int(closed.group(2))
        return (start, end) if end >= start else None
    if _AGE_OPEN.search(text):
        return None
    single = _AGE.search(text)
    return (int(single.group(0)), int(single.group(0)) + 1) if single else None


def suggest_from_ages(ranges: Iterable[str], index: LevelIndex) -> list[str]:
    """The narrowest concepts whose typical ages hold each closed age range (ties: all of them)."""
    out: list[str] = []
    for text in ranges:
        span = _parse_ages(text)
        if span is None:
            continue
        low, high = span
        fits = [(hi - lo, uri) for uri, lo, hi in index.ages if lo <= low and high <= hi]
        if not fits:
            continue
        narrowest = min(width for width, _ in fits)
        for width, uri in sorted(fits, key=lambda f: index.rank.get(f[1], 0)):
            if width == narrowest and uri not in out:
                out.append(uri)
    return out


def _unmapped(field: str, value: str, suggestion: str | None, foreign: bool = False) -> Issue:
    if foreign:
        return Issue(
            code="LEVEL_UNMAPPED",
            severity="warning",
            field=field,
            message_fr=f"Niveau « {value} » d'un autre système scolaire (France) : il n'a pas"
            " d'équivalent sûr au Québec et aucun niveau n'est proposé. Choisir le niveau à la main.",
            message_en=f"Level '{value}' belongs to another school system (France): it has no sure"
            " Québec equivalent and no level is suggested. Choose the level by hand.",
            value=value,
        )
    return Issue(
        code="LEVEL_UNMAPPED",
        severity="warning",
        field=field,
        message_fr=f"Niveau « {value} » non reconnu : il ne correspond à aucun niveau scolaire du"
        " vocabulaire. Choisir le niveau à la main.",
        message_en=f"Level '{value}' is not recognized: it matches no educational level of the"
        " vocabulary. Choose the level by hand.",
        value=value,
        suggestion=suggestion,
    )


def _ambiguous(
    field: str, value: str, main: tuple[str, ...], other: tuple[str, ...], vocab: Vocabulary
) -> Issue:
    """Both readings are kept as levels (the record still routes); a person picks the right one."""

    def labels(uris: tuple[str, ...], lang: str) -> str:
        return ", ".join(c.label(lang) if (c := vocab.get(u)) is not None else u for u in uris)

    return Issue(
        code="LEVEL_AMBIGUOUS",
        severity="warning",
        field=field,
        message_fr=f"Niveau « {value} » ambigu : il se lit « {labels(main, 'fr')} », mais l'équivalence"
        f" entre parenthèses se lit « {labels(other, 'fr')} ». Garder le bon niveau.",
        message_en=f"Level '{value}' is ambiguous: it reads '{labels(main, 'en')}', but the equivalence"
        f" in brackets reads '{labels(other, 'en')}'. Keep the right level.",
        value=value,
        suggestion=main[0],
    )


def _missing(ignored: list[str], suggestion: str | None) -> Issue:
    return Issue(
        code="LEVEL_MISSING",
        severity="warning",
        field="educational.context",
        message_fr="La notice n'indique aucun niveau scolaire reconnu ; elle ne peut être dirigée vers"
        " un portail sans qu'on en choisisse un.",
        message_en="The record states no recognizable educational level; it cannot be routed to a"
        " portal until one is chosen.",
        value="; ".join(ignored) or None,
        suggestion=suggestion,
    )


def portals_for_levels(levels: list[str], vocab: Vocabulary, collections: dict[str, str]) -> list[str]:
    """Portal ids (``collections``: portal id → collection URI) whose collection holds a level or an
    ancestor of it. A level in several collections goes to each; one in none routes nowhere."""
    return [
        portal
        for portal, collection in collections.items()
        if any(vocab.in_collection(collection, level) for level in levels)
    ]
