"""What matching needs of one record: its :class:`Signature` (docs/duplicates.md).

A signature is computed once per record version and kept (``to_json`` / ``from_json``), so a new
record is compared with stored signatures, never with the records themselves. It holds:

- the addresses: canonical landing URL, the same URL without its language segment and that
  language (:mod:`ren_index.duplicates.canonical`), and the identifiers (DOI, ISBN, Handle —
  :mod:`ren_index.duplicates.identifiers`);
- the record's languages (``fr-CA`` counts as ``fr``);
- the folded title and description head — case and accents folded, punctuation dropped, French and
  English stop words removed, ordinals written as digits (« 2e », « deuxième », "2nd" → ``2``) so
  that « 1re secondaire » and « secondaire 1 » read the same;
- the hints that tell a version or a part from a duplicate: a year in the title, an edition
  (« 2e édition », "2nd edition"), a volume (« tome 2 », "vol. 2") and a chapter or part
  (« chapitre 3 », "unit 4", « partie B »);
- a MinHash (datasketch, 128 permutations, scheme ``affine32``) of the word 3-shingles of title
  and description head, with character 4-shingles of the title for very short texts (a 3-word
  title has one word 3-shingle: too few to estimate anything).

Everything is bounded: the title is cut at :data:`TITLE_CHARS`, the description at
:data:`DESCRIPTION_CHARS`, before folding; the shingles are therefore at most a few hundred.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING, Any

from ren_index.duplicates.canonical import canonical_url, language_neutral
from ren_index.duplicates.identifiers import identifiers_of, resource_identifiers
from ren_index.model import LangString, Resource, pick_lang

if TYPE_CHECKING:
    from datasketch import MinHash

NUM_PERM = 128
"""Permutations per MinHash: the Jaccard estimate's standard error is ~1/sqrt(128) ≈ 0.09."""
SCHEME = "affine32"
TITLE_CHARS = 300
DESCRIPTION_CHARS = 1000
"""The head of a description is what sources copy from one another; the tail is often boilerplate."""
DESCRIPTION_TOKENS = 80
SHORT_TEXT_TOKENS = 6
"""Below this many folded words, character shingles of the title are added to the MinHash."""

_STOP_FR_TEXT = """
    a au aux avec ce ces cet cette c ca d dans de des du elle elles en et eux il ils je j l la
    le les leur leurs lui m ma mais me meme mes moi mon n ne ni nos notre nous on ou par pas
    pour qu que qui s sa se ses si son sur t ta te tes toi ton tu un une unes uns vos votre vous
    y ete etre est sont sera ont avoir fait faire plus moins tres tout tous toute
    toutes autre autres aussi ainsi alors donc car comme dont lors sans sous selon entre vers
    chez depuis pendant apres avant afin ceci cela celle celles celui ceux leur quel
    quelle quels quelles quoi peut peuvent doit doivent entre ici la lequel laquelle lesquels
    etc ainsi bien encore deja
"""
STOP_FR = frozenset(_STOP_FR_TEXT.split())
"""Written folded (no accents): they are compared with folded words."""
_STOP_EN_TEXT = """
    a an and are as at be been but by can could did do does for from had has have he her his how
    i if in into is it its may more most no not of on or our out over she should so some such
    than that the their them then there these they this those through to too under up us was we
    were what when where which while who whom why will with within without would you your about
    after also all any before between both each few further here just much only other own same
    very via per using use used how within etc
"""
STOP_EN = frozenset(_STOP_EN_TEXT.split())
STOP_WORDS = STOP_FR | STOP_EN
"""Words that say nothing of a resource: dropped before shingling and from title comparisons."""

ORDINALS = {
    "premier": "1", "premiere": "1", "first": "1",
    "deuxieme": "2", "second": "2", "seconde": "2",
    "troisieme": "3", "third": "3", "quatrieme": "4", "fourth": "4",
    "cinquieme": "5", "fifth": "5", "sixieme": "6", "sixth": "6",
}  # fmt: skip
"""Ordinal words as digits: « deuxième édition » and "2nd edition" must fold alike."""
ROMAN = {"ii": "2", "iii": "3", "iv": "4", "vi": "6", "vii": "7", "viii": "8", "ix": "9", "xi": "11"}
"""Roman numerals of volumes (« Tome II »); ``i``, ``v`` and ``x`` are too often plain letters."""
_ORDINAL_SUFFIX = re.compile(r"^(\d{1,3})(?:re|er|ere|e|eme|ieme|nd|rd|st|th)$")
_SPLIT = re.compile(r"[^a-z0-9]+")
_LIGATURES = str.maketrans({"œ": "oe", "æ": "ae", "ß": "ss", "ø": "o", "ł": "l", "đ": "d"})

EDITION_WORDS = frozenset({"edition", "editions", "ed", "revisee", "revised"})
"""Words of an edition statement, dropped from the title *core* compared by the fuzzy score."""
VOLUME_WORDS = frozenset(
    {"tome", "vol", "volume", "livre", "book", "cahier", "fascicule", "saison", "season"}
)
PART_WORDS = frozenset(
    {"chapitre", "chapter", "chap", "module", "unite", "unit", "lecon", "lesson", "partie", "part",
     "section", "semaine", "week", "episode", "capsule", "atelier", "activite", "activity", "lab", "labo",
     "laboratoire", "seance", "session", "theme"}
)  # fmt: skip


def fold_text(text: str) -> str:
    """Lower case, accents and ligatures folded (« Élève » → ``eleve``); punctuation kept."""
    decomposed = unicodedata.normalize("NFKD", text.casefold().translate(_LIGATURES))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def words(text: str) -> list[str]:
    """Folded words, ordinals as digits, stop words and single letters dropped."""
    out = []
    for raw in _SPLIT.split(fold_text(text)):
        if not raw:
            continue
        match = _ORDINAL_SUFFIX.match(raw)
        word = match.group(1) if match else ORDINALS.get(raw, ROMAN.get(raw, raw))
        if word in STOP_WORDS or (len(word) == 1 and not word.isdigit()):
            continue
        out.append(word)
    return out


@dataclass(frozen=True)
class Hints:
    """What tells a version or a part from a duplicate, read from the folded title (and edition)."""

    year: int | None = None
    """A year written in the title (« Programme 2006 »), never the record's date: sources date
    the same resource differently (publication, upload, harvest)."""
    edition: int | None = None
    """« 2e édition », "2nd edition", « édition 3 » in the title or the description head."""
    volume: str | None = None
    """« tome 2 », "vol. II", « cahier 3 »: a volume of a series is another book, not a copy."""
    part: str | None = None
    """« chapitre 3 », "unit 4", « partie B »: a part of something larger."""
    marks: frozenset[str] = frozenset()
    """The title's numbers and short codes not explained by year or edition (« 1 » of
    « secondaire 1 », ``nya`` of « 201-NYA »): two titles with different marks are different
    resources however close the rest."""


def _number_after(tokens: list[str], keywords: frozenset[str]) -> str | None:
    for i, token in enumerate(tokens[:-1]):
        if token in keywords:
            nxt = tokens[i + 1]
            if nxt.isdigit() or (len(nxt) == 1 and nxt.isalpha()):
                return nxt
    return None


def _raw_tokens(text: str) -> list[str]:
    """Folded tokens with ordinals as digits, stop words kept (for « partie B », « 2e édition »)."""
    out = []
    for raw in _SPLIT.split(fold_text(text)):
        if raw:
            match = _ORDINAL_SUFFIX.match(raw)
            out.append(match.group(1) if match else ORDINALS.get(raw, ROMAN.get(raw, raw)))
    return out


def _edition(tokens: list[str]) -> int | None:
    """« 2e édition », « édition 2 », "2nd Canadian Edition" (the number up to two words before)."""
    for i, token in enumerate(tokens):
        if token in {"edition", "ed"}:
            for cand in (*tokens[max(i - 2, 0) : i][::-1], *tokens[i + 1 : i + 2]):
                if cand.isdigit() and 0 < int(cand) < 30:
                    return int(cand)
    return None


_TRAILING_EDITION = re.compile(r"\b(\d{1,2})e\s*$")
"""OpenStax and its adaptations: "Chemistry 2e", "Biology 2e" — an edition at the title's end."""


def hints_of(title: str, description: str = "") -> Hints:
    """Year, edition, volume, part and distinguishing marks of a title (see :class:`Hints`)."""
    tokens = _raw_tokens(title[:TITLE_CHARS])
    years = [int(t) for t in tokens if len(t) == 4 and t.isdigit() and 1950 <= int(t) <= 2049]
    trailing = _TRAILING_EDITION.search(fold_text(title[:TITLE_CHARS]))
    edition = (
        _edition(tokens)
        or (int(trailing.group(1)) if trailing else None)
        or _edition(_raw_tokens(description[:200]))
    )
    volume = _number_after(tokens, VOLUME_WORDS)
    part = _number_after(tokens, PART_WORDS)
    year = years[0] if years else None
    explained = {str(year), str(edition), volume, part}
    marks = frozenset(
        t
        for t in tokens
        if t not in explained
        and t not in STOP_WORDS
        and ((any(c.isdigit() for c in t) and len(t) <= 6) or t in ROMAN.values())
    )
    return Hints(year=year, edition=edition, volume=volume, part=part, marks=marks)


def title_stem(title: str) -> str | None:
    """The folded title words before a volume or part marker (« Histoire de la Nouvelle-France,
    tome 1 : … » → ``histoire nouvelle france``): the whole's title a part is found by."""
    tokens = title.split()
    for i, token in enumerate(tokens[:-1]):
        if token in VOLUME_WORDS | PART_WORDS and (tokens[i + 1].isdigit() or len(tokens[i + 1]) == 1):
            return " ".join(tokens[:i]) if i >= 2 else None
    return None


def shingles(title_words: list[str], description_words: list[str]) -> set[bytes]:
    """Word 3-shingles of title + description head; character 4-shingles of a short title too."""
    seq = title_words + description_words
    out = {" ".join(seq[i : i + 3]).encode() for i in range(max(len(seq) - 2, 0))}
    if len(seq) < SHORT_TEXT_TOKENS:
        joined = " ".join(title_words) or " ".join(seq)
        out |= {("#" + joined[i : i + 4]).encode() for i in range(max(len(joined) - 3, 1))}
        out |= {w.encode() for w in seq}
    return out


@cache
def _template() -> MinHash:
    """One set of permutations for every signature: generating them per record would dominate.

    datasketch is imported here, not at the top: it loads scipy (about half a second), which every
    ``ren-index`` command paid at start through the CLI's imports, matching records or not."""
    from datasketch import MinHash

    return MinHash(num_perm=NUM_PERM, seed=1, scheme=SCHEME)


def minhash_of(features: Iterable[bytes]) -> MinHash:
    """A MinHash over the shared permutations."""
    from datasketch import MinHash

    m = MinHash(num_perm=NUM_PERM, permutations=_template().permutations, scheme=SCHEME)
    m.update_batch(list(features))
    return m


def minhash_from(hashvalues: Iterable[int]) -> MinHash:
    """A MinHash rebuilt from stored hash values (``Signature.to_json``)."""
    import numpy as np  # with datasketch, which needs it anyway: not at every command's start
    from datasketch import MinHash

    template = _template()
    values = np.asarray(list(hashvalues), dtype=template.hashvalues.dtype)
    return MinHash(hashvalues=values, permutations=template.permutations, scheme=SCHEME)


@dataclass(frozen=True, eq=False)
class Signature:
    """What matching needs of one record (see the module docstring)."""

    id: str
    source: str
    url: str | None
    neutral_url: str | None
    url_language: str | None
    identifiers: frozenset[str]
    languages: frozenset[str]
    title: str
    """Folded title words, space-separated."""
    title_core: str
    """The folded title without edition words, year or edition number: what the fuzzy score sees."""
    description: str
    """Folded description head, space-separated."""
    hints: Hints
    minhash: MinHash = field(repr=False)
    moved_url: str | None = None
    """The canonical address a permanent redirect of the record's URL leads to, as the link checker
    learned it (docs/links.md): a record at the old address and one at the new meet there."""

    def to_json(self) -> dict[str, Any]:
        """A JSON-safe dict, to keep the signature in the ledger."""
        h = self.hints
        return {
            "id": self.id,
            "source": self.source,
            "url": self.url,
            "neutral_url": self.neutral_url,
            "url_language": self.url_language,
            "identifiers": sorted(self.identifiers),
            "languages": sorted(self.languages),
            "title": self.title,
            "title_core": self.title_core,
            "description": self.description,
            "hints": {
                "year": h.year,
                "edition": h.edition,
                "volume": h.volume,
                "part": h.part,
                "marks": sorted(h.marks),
            },
            "minhash": [int(v) for v in self.minhash.hashvalues],
            "moved_url": self.moved_url,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Signature:
        """The signature ``to_json`` wrote."""
        h = data["hints"]
        return cls(
            id=data["id"],
            source=data["source"],
            url=data["url"],
            neutral_url=data["neutral_url"],
            url_language=data["url_language"],
            identifiers=frozenset(data["identifiers"]),
            languages=frozenset(data["languages"]),
            title=data["title"],
            title_core=data["title_core"],
            description=data["description"],
            hints=Hints(h["year"], h["edition"], h["volume"], h["part"], frozenset(h["marks"])),
            minhash=minhash_from(data["minhash"]),
            moved_url=data.get("moved_url"),
        )


def primary_language(tag: str) -> str | None:
    """``fr-CA`` → ``fr``; ``und``, ``zxx``, ``mul`` and empty tags → None."""
    primary = tag.strip().lower().split("-")[0].split("_")[0]
    return primary if primary and primary not in {"und", "zxx", "mul", "mis"} else None


def make_signature(
    id: str,
    source: str,
    *,
    title: str,
    description: str = "",
    url: str | None = None,
    identifiers: Iterable[str] = (),
    languages: Iterable[str] = (),
    known_identifiers: frozenset[str] | None = None,
    moved_to: str | None = None,
) -> Signature:
    """A signature from plain values (``known_identifiers``: already normalized, skips parsing;
    ``moved_to``: where the link checker found the URL permanently redirects)."""
    title = title[:TITLE_CHARS]
    description = description[:DESCRIPTION_CHARS]
    title_words = words(title)
    description_words = words(description)[:DESCRIPTION_TOKENS]
    hints = hints_of(title, description)
    drop = EDITION_WORDS | {str(hints.year), str(hints.edition)}
    core = [w for w in title_words if w not in drop]
    canonical = canonical_url(url) if url else None
    neutral, url_language = language_neutral(canonical) if canonical else (None, None)
    ids = known_identifiers if known_identifiers is not None else identifiers_of(identifiers)
    return Signature(
        id=id,
        source=source,
        url=canonical,
        neutral_url=neutral,
        url_language=url_language,
        identifiers=frozenset(ids),
        languages=frozenset(p for p in (primary_language(t) for t in languages) if p),
        title=" ".join(title_words),
        title_core=" ".join(core),
        description=" ".join(description_words),
        hints=hints,
        minhash=minhash_of(shingles(title_words, description_words)),
        moved_url=_moved(canonical, moved_to),
    )


def _moved(canonical: str | None, moved_to: str | None) -> str | None:
    target = canonical_url(moved_to) if moved_to else None
    return target if target and target != canonical else None


def _in_language(text: LangString, languages: list[str]) -> str:
    for lang in languages:
        for tag, value in text.items():
            if primary_language(tag) == lang:
                return value
    return pick_lang(text) or ""


def signature_of(resource: Resource, record_id: str, moved_to: str | None = None) -> Signature:
    """The signature of a record (its text in the record's own language when it has several);
    ``moved_to``: the permanent redirect the link checker learned for the record's URL."""
    tags = resource.controlled.languages or resource.general.languages
    langs = [p for p in (primary_language(t) for t in tags) if p]
    if not langs:
        langs = [p for p in (primary_language(t) for t in resource.general.title) if p][:1]
    return make_signature(
        record_id,
        resource.provenance.source,
        title=_in_language(resource.general.title, langs),
        description=_in_language(resource.general.description, langs),
        url=resource.controlled.url or resource.url,
        languages=langs,
        known_identifiers=resource_identifiers(resource),
        moved_to=moved_to,
    )
