"""Whether two records describe one resource, and how: ``same``, ``version``, ``translation``, ``part``.

Pure policy over two :class:`~ren_index.duplicates.records.Signature` values (no ledger, no clock),
in this order — the first rule that decides wins:

1. **Conflicts** — two different volumes (« tome 1 » / « tome 2 »), two different chapters, or
   different numbers in the titles that no year or edition explains (« secondaire 1 » /
   « secondaire 2 »): different resources, whatever else matches (a series shares its landing
   page, its description and sometimes its URL).
2. **Part** — one title carries a chapter or volume marker the other lacks and contains the other's
   whole title (« Chimie générale — chapitre 3 » in « Chimie générale »), or one URL extends the
   other's path and the titles agree: the first is a part of the second.
3. **Translation** — the records' languages differ and they share the URL up to a language segment
   or parameter, the URL itself, or an identifier.
4. **Same by address** — same canonical URL or a shared identifier, unless the titles have nothing
   in common (a portal's home page given as the URL of unrelated records).
5. **Same by text** — the MinHash Jaccard estimate of title + description shingles and the fuzzy
   title score both high; or the title nearly identical, long enough to be specific, and the
   descriptions not contradicting it.

A match of rule 4 or 5 is a ``version`` instead of ``same`` when the records state different
editions or different years in their titles. Each :class:`Pair` carries the reasons that matched
and a score in [0, 1]; :data:`RULES` holds every threshold with why it has its value.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Literal
from urllib.parse import urlsplit

from rapidfuzz import fuzz

from ren_index.config.rules import DuplicateRules
from ren_index.duplicates.records import Signature
from ren_index.duplicates.similarity import SignatureIndex

Relation = Literal["same", "version", "translation", "part"]
RELATIONS: tuple[Relation, ...] = ("same", "version", "translation", "part")


@dataclass(frozen=True)
class Rules:
    """The thresholds of matching (docs/duplicates.md, « Régler les seuils / Tuning »)."""

    lsh_threshold: float = 0.5
    """Jaccard above which LSH proposes a candidate. Lower finds more reworded copies but returns
    more candidates to compare (time grows with them); the decision below is the matcher's."""
    text_same: float = 0.5
    """Jaccard of word 3-shingles for « same text ». Copied descriptions score 0.7–1; a rewritten
    sentence or two keeps 0.5–0.7; two records of one publisher's template (same boilerplate,
    different subject) stay under 0.4 once their titles differ."""
    title_same: float = 0.9
    """Fuzzy title score (rapidfuzz token_sort_ratio / 100 on folded titles without edition words)
    needed with the text. 0.9 lets punctuation, word order and a missing subtitle word through; it
    stops « Physique mécanique » / « Physique ondes » (0.8)."""
    short_title_words: int = 3
    """A title of fewer folded words (« Guide de l'enseignant », « Les fractions ») is shared by
    many resources: then the text must carry the match alone…"""
    text_short_title: float = 0.7
    """… with this Jaccard: the short title adds shingles to both sides, so two different
    descriptions of one shape (« Guide de l'enseignant de la SAÉ sur … ») reach 0.5."""
    title_only_same: float = 0.97
    """Without text agreement, the titles must be nearly identical…"""
    title_only_words: int = 4
    """… and have at least this many folded words: « Notes de cours » (2) or « Algèbre » (1) are
    titles many different resources share; a four-word title rarely is."""
    title_only_text_floor: float = 0.1
    """… and the descriptions must share something (or one be missing): two descriptions with
    nothing in common under the same long title are two courses named alike."""
    address_title_floor: float = 0.45
    """Same URL or identifier but titles under this score and texts apart: the URL is a site's home
    or a catalogue page given for several resources, not one resource."""
    address_text_floor: float = 0.3
    part_title_score: float = 0.6
    """A URL one to three levels below another is a part when its title has a chapter, episode, lab…
    marker, contains the other's title, or agrees with it at least this much (token set ratio,
    which scores containment); a page below a site's section without any of these is not."""
    part_words: int = 2
    """The whole's title must have this many folded words to count as contained in the part's."""
    auto_same: float = 0.92
    """« High confidence same »: at or above, a ``same`` pair is grouped without review. Reached by
    same URL or identifier with agreeing titles (0.85 + 0.15 × title), or by text and title both
    near-identical ((Jaccard + title) / 2). Below, the pair waits for a documentalist."""


RULES = Rules()


def rules_from(config: DuplicateRules) -> Rules:
    """The matcher's rules with the thresholds ``validation.yaml`` sets (``duplicates:``)."""
    return replace(
        RULES,
        auto_same=config.auto_same,
        text_same=config.text_same,
        title_same=config.title_same,
        lsh_threshold=config.lsh_threshold,
    )


@dataclass(frozen=True)
class Pair:
    """A proposed relation between two records, with its score and the reasons that matched.

    ``reasons`` maps a reason to its value: ``same_url``, ``same_url_redirect`` (one URL redirects
    to the other, as the link checker learned), ``same_identifier`` (1.0), ``text``
    (Jaccard estimate), ``title`` (fuzzy score), ``translation_url`` (1.0), ``edition`` and
    ``part`` (1.0). For ``part``, ``whole`` is the id of the larger resource; for ``version``,
    ``newer`` the id of the later edition or year when the records say.
    """

    a: str
    b: str
    relation: Relation
    score: float
    reasons: dict[str, float] = field(default_factory=dict)
    whole: str | None = None
    newer: str | None = None

    @property
    def key(self) -> tuple[str, str]:
        """The pair's ids in order: one key per pair whichever record came first."""
        return (self.a, self.b) if self.a <= self.b else (self.b, self.a)

    def auto(self, rules: Rules = RULES) -> bool:
        """Whether the pair is grouped without review (a high-confidence ``same``)."""
        return self.relation == "same" and self.score >= rules.auto_same


def title_score(a: Signature, b: Signature) -> float:
    """Fuzzy score of the title cores, in [0, 1] (0 when either is empty)."""
    if not a.title_core or not b.title_core:
        return 0.0
    return float(fuzz.token_sort_ratio(a.title_core, b.title_core)) / 100


def _conflict(a: Signature, b: Signature) -> bool:
    ha, hb = a.hints, b.hints
    if ha.volume and hb.volume and ha.volume != hb.volume:
        return True
    if ha.part and hb.part and ha.part != hb.part:
        return True
    return bool(ha.marks and hb.marks and ha.marks != hb.marks)


def _one_sided_marks(a: Signature, b: Signature) -> bool:
    """One title has a number the other lacks (« Physique 101 » / « Physique »): enough doubt to
    stop a match on text alone, not one on the same URL or identifier."""
    return a.hints.marks != b.hints.marks


def _path_extends(part: str | None, whole: str | None) -> bool:
    if not part or not whole:
        return False
    p, w = urlsplit(part), urlsplit(whole)
    if p.netloc != w.netloc or p.query or w.query:
        return False
    p_seg = [s for s in p.path.split("/") if s]
    w_seg = [s for s in w.path.split("/") if s]
    return 0 < len(w_seg) < len(p_seg) <= len(w_seg) + 3 and p_seg[: len(w_seg)] == w_seg


def _part_of(p: Signature, w: Signature, rules: Rules) -> dict[str, float] | None:
    """The reasons ``p`` is a part of ``w``, or None."""
    marker = (p.hints.part and not w.hints.part) or (p.hints.volume and not w.hints.volume)
    w_words = set(w.title_core.split())
    contained = len(w_words) >= rules.part_words and w_words <= set(p.title_core.split())
    if marker and contained:
        return {"part": 1.0, "title": 1.0}
    if _path_extends(p.url, w.url):
        score = float(fuzz.token_set_ratio(p.title_core, w.title_core)) / 100
        if contained or marker or score >= rules.part_title_score:
            return {"part": 1.0, "title": score}
    return None


def _version(a: Signature, b: Signature, *, by_address: bool) -> tuple[bool, str | None]:
    """Whether two matching records are two versions, and which one is newer (when known)."""
    ha, hb = a.hints, b.hints
    if ha.edition and hb.edition and ha.edition != hb.edition:
        return True, a.id if ha.edition > hb.edition else b.id
    if not by_address and (ha.edition or 1) != (hb.edition or 1):
        return True, a.id if (ha.edition or 1) > (hb.edition or 1) else b.id
    if ha.year and hb.year and ha.year != hb.year:
        return True, a.id if ha.year > hb.year else b.id
    return False, None


def _text_needed(a: Signature, b: Signature, rules: Rules) -> float:
    """The Jaccard a text match needs: higher under a short title, unless an edition or a year
    makes the title specific (« Physique mécanique, 2e édition » names one book)."""
    dated = a.hints.edition or b.hints.edition or a.hints.year or b.hints.year
    if len(a.title_core.split()) < rules.short_title_words and not dated:
        return rules.text_short_title
    return rules.text_same


def compare(a: Signature, b: Signature, rules: Rules = RULES) -> Pair | None:
    """The relation two records most likely have, or None (different resources)."""
    if a.id == b.id or _conflict(a, b):
        return None
    for p, w in ((a, b), (b, a)):
        part = _part_of(p, w, rules)
        if part is not None:
            return Pair(a.id, b.id, "part", round(0.7 + 0.2 * part["title"], 3), part, whole=w.id)
    title = title_score(a, b)
    text = float(a.minhash.jaccard(b.minhash))
    reasons: dict[str, float] = {}
    if a.url and a.url == b.url:
        reasons["same_url"] = 1.0
    elif ({a.url, a.moved_url} & {b.url, b.moved_url}) - {None}:
        reasons["same_url_redirect"] = 1.0  # one leads to the other, or both to one place
    if a.identifiers & b.identifiers:
        reasons["same_identifier"] = 1.0
    languages_differ = bool(a.languages and b.languages and not a.languages & b.languages)
    twin_urls = bool(
        a.neutral_url
        and a.neutral_url == b.neutral_url
        and a.url != b.url
        and (a.url_language != b.url_language or languages_differ)
    )
    if languages_differ and (twin_urls or reasons):
        if twin_urls:
            reasons["translation_url"] = 1.0
        return Pair(a.id, b.id, "translation", 0.9 if len(reasons) > 1 else 0.85, reasons)
    if twin_urls and a.url_language and b.url_language:
        reasons["translation_url"] = 1.0
        return Pair(a.id, b.id, "translation", 0.8, reasons)
    if twin_urls and not languages_differ:
        reasons["same_url"] = 0.9  # /fr/x and /x in one language: the site's default language
    reasons["title"] = round(title, 3)
    reasons["text"] = round(text, 3)
    if reasons.keys() & {"same_url", "same_url_redirect", "same_identifier"}:
        if title < rules.address_title_floor and text < rules.address_text_floor:
            return None
        score = 0.85 + 0.15 * title
        by_address = True
    elif _one_sided_marks(a, b):
        return None
    elif text >= _text_needed(a, b, rules) and title >= rules.title_same:
        score = (text + title) / 2
        by_address = False
    elif (
        title >= rules.title_only_same
        and len(a.title_core.split()) >= rules.title_only_words
        and (text >= rules.title_only_text_floor or not a.description or not b.description)
    ):
        score = min((text + title) / 2 + 0.2, 0.89)
        by_address = False
    else:
        return None
    is_version, newer = _version(a, b, by_address=by_address)
    if is_version:
        reasons["edition"] = 1.0
        return Pair(a.id, b.id, "version", round(min(score, 0.95), 3), reasons, newer=newer)
    return Pair(a.id, b.id, "same", round(min(score, 1.0), 3), reasons)


def find_pairs(
    signatures: Iterable[Signature], index: SignatureIndex | None = None, rules: Rules = RULES
) -> list[Pair]:
    """Pairs among ``signatures`` and with those already in ``index`` (which they are added to).

    Incremental: each signature is compared with its candidates only (LSH and exact keys), then
    indexed; keep the index and pass it again with the next records. A signature whose id is already
    indexed replaces the old one (a changed record) and is compared afresh.
    """
    index = index if index is not None else SignatureIndex(rules.lsh_threshold)
    pairs: list[Pair] = []
    for signature in signatures:
        index.remove(signature.id)
        for other in sorted(index.candidates(signature)):
            pair = compare(signature, index.get(other), rules)
            if pair is not None:
                pairs.append(pair)
        index.add(signature)
    return pairs
