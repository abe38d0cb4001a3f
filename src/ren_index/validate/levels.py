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
import weakref
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache

from ren_index.config.vocabularies import Concept, Vocabulary, fold
from ren_index.model import Issue, Resource, Term
from ren_index.validate.context import CheckResult, ValidationContext

_ORDINAL = re.compile(r"^(\d{1,2})(?:er|re|ere|iere|e|eme|ieme|nd|nde|de|d|rd|th|st)?$")
_WORDS: dict[str, str] = {
    **dict.fromkeys(("premier", "premiere", "first", "one", "i"), "1"),
    **dict.fromkeys(("deuxieme", "second", "seconde", "two", "deux", "ii"), "2"),
    **dict.fromkeys(("troisieme", "third", "three", "trois", "iii"), "3"),
    **dict.fromkeys(("quatrieme", "fourth", "four", "quatre", "iv"), "4"),
    **dict.fromkeys(("cinquieme", "fifth", "five", "cinq", "v"), "5"),
    **dict.fromkeys(("sixieme", "sixth", "six", "vi"), "6"),
    **dict.fromkeys(("sec", "secondary"), "secondaire"),
    **dict.fromkeys(("elementary", "primary"), "primaire"),
    **dict.fromkeys(("universite", "university"), "universitaire"),
    "annees": "annee",
}
"""Token → canonical token: ordinal words and roman numerals to digits, abbreviations and synonyms."""
_STOP = frozenset({"de", "du", "des", "la", "le", "les", "au", "aux", "en", "of", "the", "in"})
_LEVEL_WORDS = frozenset({"primaire", "secondaire"})
"""Beside one of these, ``annee`` says nothing more (``3e année du secondaire`` = ``3e secondaire``)."""

_NO_LEVEL_TEXT = (
    "autre|autres|other|others|tous|tous niveaux|tous les niveaux|tout niveau|all|all levels|any|"
    "N/A|NA|n.d.|aucun|none|grand public|general public|public|sans objet|non applicable|"
    "not applicable|inconnu|unknown|divers"
)
_NO_LEVEL = frozenset(fold(t) for t in _NO_LEVEL_TEXT.split("|"))
"""Folded values that state no level on purpose: ignored without an issue."""

_KEYWORD_UNSAFE = frozenset({"technique", "licence", "majeure", "mineure", "college", "asp", "acs"})
"""Level labels that are also everyday topic words (or software acronyms): as a keyword, not a level."""
_SUGGEST_ONLY = frozenset({"college"})
"""Keys too ambiguous to decide on anywhere: "collège" is a cégep, a private secondary school or a
French lower secondary. They give LEVEL_UNMAPPED with their concept as the suggestion."""

_PURPOSES_TEXT = (
    "educational level|education level|educationallevel|level|niveau|niveau scolaire|niveau educatif|"
    "niveau educatif detaille|niveau d enseignement|niveau d etudes|ordre d enseignement"
)
_LEVEL_PURPOSES = frozenset(_PURPOSES_TEXT.split("|"))
"""Folded LOM 9.1 purposes (or the last segment of a purpose URI) of a classification by level."""
_COMPOUND = re.compile(r"\s*(?:,|/|&|\+|\bet\b|\band\b)\s*", re.IGNORECASE)
_SEPARATORS = re.compile(r"[;|\n]+")
_AGE_RANGE = re.compile(r"(\d{1,2})\s*(?:-|–|à|to)\s*(\d{1,2})")
_AGE_OPEN = re.compile(
    r"\d{1,2}\s*(?:\+|[-–]\s*$|ans? et plus|et plus|and (?:up|over)|or older)", re.IGNORECASE
)
_AGE = re.compile(r"\d{1,2}")


@lru_cache(maxsize=8192)
def level_key(text: str) -> str:
    """The canonical key of a level phrase: folded, ordinals as digits, small words out, sorted.

    ``"Secondaire III"``, ``"3e secondaire"`` and ``"Sec. 3"`` → ``"3 secondaire"``. Cached: a
    harvest repeats a few dozen spellings thousands of times.
    """
    tokens = _tokens(text)
    if "annee" in tokens and _LEVEL_WORDS & set(tokens):
        tokens = [t for t in tokens if t != "annee"]
    return " ".join(sorted(set(tokens)))


def _tokens(text: str) -> list[str]:
    out: list[str] = []
    for token in fold(text).split():
        match = _ORDINAL.match(token)
        if match:
            out.append(str(int(match.group(1))))
        elif token not in _STOP:
            out.append(_WORDS.get(token, token))
    return out


@dataclass(frozen=True)
class LevelIndex:
    """Look-ups precomputed from one levels :class:`Vocabulary`."""

    keys: dict[str, tuple[str, ...]]
    """Canonical key of every label and notation → concept URIs."""
    keyword_keys: dict[str, tuple[str, ...]]
    """Canonical key of labels safe to read from keywords → concept URIs."""
    uris: dict[str, str]
    """Concept URI, or an exactMatch / closeMatch target → concept URI."""
    mapped_namespaces: frozenset[str]
    """Namespaces of the mapping targets: schemes we crosswalk, whose other concepts have no match."""
    rank: dict[str, int]
    """Concept URI → position in the vocabulary (broad before narrow, young before old)."""
    ancestors: dict[str, frozenset[str]]
    ages: tuple[tuple[str, int, int], ...]
    """(concept URI, typical minimum age, maximum age) for the concepts that have both."""
    longest_key: int


_INDEXES: dict[int, tuple[weakref.ref[Vocabulary], LevelIndex]] = {}


def level_index(vocab: Vocabulary) -> LevelIndex:
    """The look-ups of ``vocab``, built on first use and kept as long as the vocabulary lives."""
    entry = _INDEXES.get(id(vocab))
    if entry is not None and entry[0]() is vocab:
        return entry[1]
    index = _build_index(vocab)
    key = id(vocab)
    _INDEXES[key] = (weakref.ref(vocab, lambda _ref: _INDEXES.pop(key, None)), index)
    return index


def _namespace(uri: str) -> str:
    return uri[: max(uri.rfind("/"), uri.rfind("#")) + 1]


def _age(concept: Concept, name: str) -> int | None:
    value = concept.prop(name)
    return int(value) if value is not None and value.isdigit() else None


def _build_index(vocab: Vocabulary) -> LevelIndex:
    keys: dict[str, set[str]] = {}
    keyword_keys: dict[str, set[str]] = {}
    uris: dict[str, str] = {}
    for uri, concept in vocab.concepts.items():
        labels = [*concept.pref_labels.values(), *(text for _, text in concept.alt_labels)]
        for text in [*labels, *concept.notations]:
            keys.setdefault(level_key(text), set()).add(uri)
        for text in labels:
            key = level_key(text)
            if key not in _KEYWORD_UNSAFE:
                keyword_keys.setdefault(key, set()).add(uri)
        uris[uri] = uri
        for prop in ("exactMatch", "closeMatch"):
            for target in concept.mappings.get(prop, ()):
                uris.setdefault(target, uri)
    keys.pop("", None)
    ancestors = {uri: frozenset(vocab.ancestors(uri)) for uri in vocab.concepts}
    ages = tuple(
        (uri, low, high)
        for uri, c in vocab.concepts.items()
        if (low := _age(c, "ageMin")) is not None and (high := _age(c, "ageMax")) is not None
    )
    return LevelIndex(
        keys={k: tuple(sorted(v)) for k, v in keys.items()},
        keyword_keys={k: tuple(sorted(v)) for k, v in keyword_keys.items() if k},
        uris=uris,
        mapped_namespaces=frozenset(_namespace(t) for t, u in uris.items() if t != u),
        rank=_ranks(vocab),
        ancestors=ancestors,
        ages=ages,
        longest_key=max((len(k.split()) for k in keys), default=1),
    )


def _ranks(vocab: Vocabulary) -> dict[str, int]:
    """Pre-order over the hierarchy, siblings by the youngest age they cover, then by URI.

    A child with several parents (FP is scolaire and formation) does not pull its other parents
    forward: formation, whose own children are adults, comes after enseignement supérieur.
    """
    youngest: dict[str, int] = {}

    def low(uri: str) -> int:
        if uri not in youngest:
            youngest[uri] = 99  # guards against cycles
            concept = vocab.concepts[uri]
            own = _age(concept, "ageMin")
            below = [
                low(n)
                for n in concept.narrower
                if n in vocab.concepts and len(vocab.concepts[n].broader) == 1
            ]
            youngest[uri] = min([own if own is not None else 99, *below])
        return youngest[uri]

    order: dict[str, int] = {}
    stack = sorted((u for u, c in vocab.concepts.items() if not c.broader), key=lambda u: (low(u), u))[::-1]
    while stack:
        uri = stack.pop()
        if uri in order:
            continue
        order[uri] = len(order)
        children = [n for n in vocab.concepts[uri].narrower if n in vocab.concepts]
        stack.extend(sorted(children, key=lambda u: (low(u), u))[::-1])
    for uri in sorted(vocab.concepts):
        order.setdefault(uri, len(order))
    return order


# Matching one raw value ---------------------------------------------------------------------


@dataclass(frozen=True)
class _Found:
    uris: tuple[str, ...] = ()
    no_level: bool = False
    """The value says, on purpose, that there is no level (``autre``)."""


def _is_uri(text: str) -> bool:
    return text.startswith(("http://", "https://"))


def match_level(text: str, index: LevelIndex) -> tuple[str, ...]:
    """Concept URIs one raw level value stands for (empty when it matches nothing)."""
    return _match(text, index).uris


def _match(text: str, index: LevelIndex) -> _Found:
    text = text.strip()
    if _is_uri(text):
        uri = text.rstrip("/") if text.rstrip("/") in index.uris else text
        if uri in index.uris:
            return _Found((index.uris[uri],))
        if _namespace(text) in index.mapped_namespaces:
            return _Found()  # a concept of a scheme we crosswalk that has no Québec equivalent
        text = re.split(r"[/#]", text.rstrip("/#"))[-1]
    key = level_key(text)
    if key in index.keys and key not in _SUGGEST_ONLY:
        return _Found(index.keys[key])
    if fold(text) in _NO_LEVEL or not key:
        return _Found(no_level=True)
    parts = [p for p in _COMPOUND.split(text) if p.strip()]
    if len(parts) > 1:
        found = [index.keys.get(level_key(p)) for p in parts]
        if all(found):
            return _Found(tuple(u for uris in found if uris for u in uris))
    return _Found()


def _first_match(texts: Iterable[str], index: LevelIndex) -> tuple[str, ...]:
    return next((uris for t in texts if (uris := _match(t, index).uris)), ())


def _guess(text: str, index: LevelIndex) -> str | None:
    """The concept of the longest run of words inside ``text`` that is a level label, if any.

    Reads the first 64 words only: harvested text is hostile until proven otherwise."""
    tokens = _tokens(text)[:64]
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
            if result.uris:
                found.extend(result.uris)
            elif result.no_level:
                no_level.append(text)
            else:
                issues.append(_unmapped("educational.context", text, _guess(text, index)))

    for shown, readings in _level_paths(resource):
        matched = [uris for texts in readings if (uris := _first_match(texts, index))]
        for uris in matched:
            found.extend(uris)
        if not matched:
            guess = next((g for texts in readings if (g := _guess(texts[0], index))), None)
            issues.append(_unmapped("classification", shown, guess))

    for text in _keyword_values(resource):
        found.extend(index.keyword_keys.get(level_key(text), ()))

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


def _unmapped(field: str, value: str, suggestion: str | None) -> Issue:
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
