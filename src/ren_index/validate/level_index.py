"""The look-ups of the levels vocabulary, built once per vocabulary: keys, URIs, ranks, ages.

Apart from :mod:`ren_index.validate.levels` (the check) so that the check reads as what it judges;
:func:`level_index` is also what the vocabulary's own tests and the parser's callers use.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass, field

from ren_index.config.vocabularies import Concept, Vocabulary
from ren_index.validate.level_parser import level_key

_KEYWORD_UNSAFE = frozenset({"technique", "licence", "majeure", "mineure", "college", "asp", "acs"})
"""Level labels that are also everyday topic words (or software acronyms): as a keyword, not a level."""


@dataclass(frozen=True)
class Found:
    """What one raw value stands for."""

    uris: tuple[str, ...] = ()
    no_level: bool = False
    """The value says, on purpose, that there is no level (``autre``)."""
    foreign: bool = False
    """The value names a level of another country's system: no Québec level, not even as a guess."""
    ambiguous: tuple[tuple[str, ...], tuple[str, ...]] | None = None
    """The value and its bracketed equivalent name different levels: (main reading, bracketed)."""


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
    memo: dict[tuple[str, bool], Found] = field(default_factory=dict, compare=False, repr=False)
    """Raw value (and whether it is a keyword) → what it matched: values repeat record after record."""


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


def namespace(uri: str) -> str:
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
        mapped_namespaces=frozenset(namespace(t) for t, u in uris.items() if t != u),
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
