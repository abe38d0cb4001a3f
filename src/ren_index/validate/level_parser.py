"""A level value as people write it → the level phrases it is made of. Pure: text in, text out.

Sources rarely write one vocabulary label: they write "Sec. 1-2", "Grade 7 (Secondaire 1)",
"2e année du 1er cycle du secondaire", "Enseignement collégial – formation technique" or
"Primaire / 1er cycle". A whole-string look-up sends such values to a person with no answer, so
:func:`parse_level` decomposes a value into **parts** (each must map to a level) and
**equivalents** (in brackets: another reading of the same level). It knows no vocabulary; the level
check (:mod:`ren_index.validate.levels`) maps each phrase through ``niveaux-quebec.ttl`` with
:func:`level_key`, which also lives here because the parser reasons on the same canonical tokens.

A value from another country's school system (France: cycles, collège + classe, lycée, seconde,
terminale, bac, BTS, licence professionnelle...) is recognized as **foreign**: it is never read,
nor guessed, as a Québec level — a "baccalauréat professionnel" is not a Québec bachelor's degree.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from ren_index.config.vocabularies import fold

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
    **dict.fromkeys(("annees", "year", "years"), "annee"),
    "grades": "grade",
    "cycles": "cycle",
    "collegiale": "collegial",
}
"""Token → canonical token: ordinal words and roman numerals to digits, abbreviations and synonyms."""
_STOP = frozenset({"de", "du", "des", "la", "le", "les", "au", "aux", "en", "of", "the", "in", "l"})
_LEVEL_WORDS = frozenset({"primaire", "secondaire"})
"""Beside one of these, ``annee`` says nothing more (``3e année du secondaire`` = ``3e secondaire``)."""


@lru_cache(maxsize=8192)
def level_key(text: str) -> str:
    """The canonical key of a level phrase: folded, ordinals as digits, small words out, sorted.

    ``"Secondaire III"``, ``"3e secondaire"`` and ``"Sec. 3"`` → ``"3 secondaire"``. Cached: a
    harvest repeats a few dozen spellings thousands of times.
    """
    tokens = tokens_of(text)
    if "annee" in tokens and _LEVEL_WORDS & set(tokens):
        tokens = [t for t in tokens if t != "annee"]
    return " ".join(sorted(set(tokens)))


def tokens_of(text: str) -> list[str]:
    """Canonical tokens of ``text`` in their order (ordinals as digits, small words out)."""
    out: list[str] = []
    for token in fold(text).split():
        match = _ORDINAL.match(token)
        if match:
            out.append(str(int(match.group(1))))
        elif token not in _STOP:
            out.append(_WORDS.get(token, token))
    return out


# Foreign systems ------------------------------------------------------------------------------

_FOREIGN_ALWAYS = re.compile(
    r"\b(?:lycee|terminale|bacpro|bac (?:pro|professionnel|general|technologique|s|es|l|\d)|"
    r"brevet|dnb|cap|bep|bts|dut|cpge|prepa|cp|ce1|ce2|cm1|cm2|"
    r"l1|l2|l3|m1|m2|baccalaureat (?:professionnel|general|technologique|pro|s|es|l|stmg|sti2d)|"
    r"licence (?:pro|professionnelle|1|2|3)|annee de licence|classes? preparatoires?|"
    r"classe de (?:seconde|premiere|terminale|\d{1,2}e|\d{1,2}eme|sixieme|cinquieme|quatrieme|troisieme)|"
    r"seconde (?:generale|professionnelle|gt)|premiere (?:generale|technologique|professionnelle))\b"
)
"""Folded wordings of France's system that no Québec record uses ("bac" alone is Québec's bachelor's)."""
_FOREIGN_WEAK = re.compile(
    r"\bcycle (?:[1-4]|des apprentissages|de consolidation|des approfondissements)\b|"
    r"\bcollege\b.*\b(?:6|5|4|3)e(?:me)?\b|\b(?:6|5|4|3)e(?:me)?\b.*\bcollege\b|"
    r"^(?:seconde|premiere|sixieme|cinquieme|quatrieme|(?:6|5|4)e(?:me)?)$"
)
"""France's wordings that a Québec value may share a word with: foreign only without a Québec order."""
_QUEBEC_ORDER = frozenset(
    {"primaire", "secondaire", "universitaire", "collegial", "cegep", "prescolaire", "annee", "grade"}
)


def is_foreign(text: str) -> bool:
    """True when ``text`` names a level of another country's system (France's, today)."""
    folded = fold(text)
    if _FOREIGN_ALWAYS.search(folded):
        return True
    return bool(_FOREIGN_WEAK.search(folded)) and not _QUEBEC_ORDER & set(tokens_of(folded))


# Decomposition ---------------------------------------------------------------------------------

_DASHES = str.maketrans({"–": "-", "—": "-", "‑": "-", "‐": "-"})
_BRACKETS = re.compile(r"[(\[]([^()\[\]]*)[)\]]")
_SEPARATORS = re.compile(r"\s*(?:/|,|;|&|\+|\bet\b|\band\b|\s-\s|\s-(?=\D)|(?<=\D)-\s)\s*", re.IGNORECASE)
_SUFFIX = r"(?:er|re|ère|ere|e|è|ème|eme|ième|ieme|nd|nde|rd|th|st)?"
_RANGE_WORD = r"(?:-|à|a|au|to|through)"
_REPEATED = re.compile(
    rf"\b([^\W\d]+)\.?\s*(\d{{1,2}}){_SUFFIX}\s*{_RANGE_WORD}\s*\1\.?\s*(\d{{1,2}})\b", re.IGNORECASE
)
"""``Sec 1 - Sec 3``, ``Grade 7 to Grade 9`` → ``Sec 1-3``, ``Grade 7-9``."""
_ROMAN = {"i": 1, "ii": 2, "iii": 3, "iv": 4, "v": 5, "vi": 6}
_ROMAN_RANGE = re.compile(rf"\b(i|ii|iii|iv|v|vi)\s*{_RANGE_WORD}\s*(i|ii|iii|iv|v|vi)\b", re.IGNORECASE)
_RANGE = re.compile(rf"\b(\d{{1,2}}){_SUFFIX}\s*{_RANGE_WORD}\s*(\d{{1,2}}){_SUFFIX}(?!\w)", re.IGNORECASE)
_SPACED_RANGE = re.compile(rf"(\d{{1,2}}{_SUFFIX})\s*-\s*(?=\d)", re.IGNORECASE)
"""``3e – 5e``: a dash between two numbers is a range, not a separator."""
_ORDER_WORDS = frozenset({"primaire", "secondaire", "universitaire"})
"""The order a cycle belongs to: ``Enseignement primaire - 1er cycle`` reads ``primaire 1er cycle``."""
_MAX_RANGE = 12
"""A wider "range" is not a span of grades (ages, years, page numbers): it is left as written."""
_BARE_ORDINAL = re.compile(rf"^\s*(\d{{1,2}}){_SUFFIX}\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class ParsedLevel:
    """What a level value is made of: every part must map; equivalents are another reading."""

    parts: tuple[tuple[str, ...], ...] = ()
    """Per part, the phrases to try in order (the part, a rewriting, the part after its neighbour)."""
    equivalents: tuple[tuple[str, ...], ...] = ()
    """Per bracketed part, the phrases to try in order."""
    foreign: bool = False
    """The value names a level of another country's system: never read as a Québec level."""


@lru_cache(maxsize=8192)
def parse_level(text: str) -> ParsedLevel:
    """Decompose a raw level value (see the module docstring). Cached: values repeat a lot."""
    if is_foreign(text):
        return ParsedLevel(foreign=True)
    raw = text.translate(_DASHES)
    brackets = _BRACKETS.findall(raw)
    main = _BRACKETS.sub(" ", raw).strip()
    parts = _parts(main)
    context = " ".join(p[0] for p in parts) if len(parts) == 1 else ""
    equivalents = tuple(
        (*alt, *((f"{context} {alt[0]}",) if context else ())) for b in brackets for alt in _parts(b)
    )
    return ParsedLevel(parts=parts, equivalents=equivalents)


def _parts(text: str) -> tuple[tuple[str, ...], ...]:
    text = _REPEATED.sub(r"\1 \2-\3", text)
    text = _ROMAN_RANGE.sub(lambda m: f"{_ROMAN[m[1].lower()]}-{_ROMAN[m[2].lower()]}", text)
    text = _SPACED_RANGE.sub(r"\1-", text)
    pieces = [p.strip() for p in _SEPARATORS.split(text) if p and p.strip()]
    expanded: list[str] = []
    for piece in pieces:
        expanded.extend(_expand_range(piece))
    expanded = _lend_words(expanded)
    out: list[tuple[str, ...]] = []
    previous = ""
    for piece in expanded:
        rewritten = _rewrite_year(piece)
        readings = [rewritten, piece] if rewritten else [piece]
        if previous:
            readings.append(f"{previous} {piece}")
            order = [t for t in tokens_of(previous) if t in _ORDER_WORDS]
            if order and order[-1] != previous.strip().lower():
                readings.append(f"{order[-1]} {piece}")
        out.append(tuple(readings))
        previous = piece
    return tuple(out)


def _expand_range(piece: str) -> list[str]:
    """``Sec. 1-2`` → ``Sec. 1``, ``Sec. 2``; ``1re à 3e secondaire`` → ``1 secondaire`` ... ``3 secondaire``.

    A span wider than :data:`_MAX_RANGE` or backwards is left as written (it is not a span of grades).
    """
    match = _RANGE.search(piece)
    if match is None:
        return [piece]
    low, high = int(match[1]), int(match[2])
    if not 0 <= high - low < _MAX_RANGE:
        return [piece]
    head, tail = piece[: match.start()], piece[match.end() :]
    return [f"{head}{n}{tail}".strip() for n in range(low, high + 1)]


def _lend_words(pieces: list[str]) -> list[str]:
    """A bare ordinal borrows the words of the next part (or the previous one).

    ``1er et 2e cycles du secondaire`` → ``1er cycles du secondaire``, ``2e cycles du secondaire``;
    ``Sec 1, 2 et 3`` → ``Sec 1``, ``Sec 2``, ``Sec 3``.
    """
    if len(pieces) < 2 or not any(_BARE_ORDINAL.match(p) for p in pieces):
        return pieces
    out = list(pieces)
    for i, piece in enumerate(pieces):
        bare = _BARE_ORDINAL.match(piece)
        if bare is None:
            continue
        donor = next(
            (d for d in [*pieces[i + 1 :], *reversed(pieces[:i])] if not _BARE_ORDINAL.match(d)), None
        )
        if donor is None:
            continue
        number = re.search(r"\d{1,2}", donor)
        if number is None:
            continue
        out[i] = f"{donor[: number.start()]}{bare[1]}{re.sub(r'^' + _SUFFIX, '', donor[number.end() :])}"
    return out


def names_a_year_of_a_cycle(text: str) -> bool:
    """``2e année du 2e cycle du secondaire``: its whole-string key would read the cycle only."""
    tokens = tokens_of(text)
    return "cycle" in tokens and "annee" in tokens


def _rewrite_year(piece: str) -> str | None:
    """Years of a cycle and years of a programme, as the level they are.

    ``2e année du 1er cycle du secondaire`` → ``secondaire 2``; ``2e année du 2e cycle du primaire``
    → ``4 annee primaire``; ``Second-year university`` → ``1er cycle universitaire``;
    ``1re année du cégep`` → ``collégial``.
    """
    tokens = tokens_of(piece)
    if "annee" not in tokens:
        return None
    numbers = [(i, int(t)) for i, t in enumerate(tokens) if t.isdigit()]
    if "cycle" in tokens and len(numbers) == 2 and _LEVEL_WORDS & set(tokens):
        at_year, at_cycle = tokens.index("annee"), tokens.index("cycle")
        year = min(numbers, key=lambda n: abs(n[0] - at_year))[1]
        cycle = min(numbers, key=lambda n: abs(n[0] - at_cycle))[1]
        if year == cycle and numbers[0][1] != numbers[1][1]:
            return None
        if "secondaire" in tokens:
            spans = {1: (0, 2), 2: (2, 3)}
            if cycle in spans and 1 <= year <= spans[cycle][1]:
                return f"secondaire {spans[cycle][0] + year}"
            return None
        if cycle in (1, 2, 3) and year in (1, 2):
            return f"{2 * (cycle - 1) + year} annee primaire"
        return None
    if len(numbers) == 1 and "cycle" not in tokens and 1 <= numbers[0][1] <= 5:
        if "universitaire" in tokens:
            return "1er cycle universitaire"
        if {"collegial", "cegep"} & set(tokens) and numbers[0][1] <= 3:
            return "collegial"
    return None
