"""SKOS vocabularies (Turtle in ``config/vocabularies/``), loaded once with rdflib into plain lookups.

rdflib is used only at load time: the graph is turned into frozen :class:`Concept` values and a
dictionary from *folded* labels and notations to concept URIs, so that validating a record is a
handful of dictionary look-ups (the benchmark needs thousands of records per second per core).
Loading is cached per file path and modification time.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from rdflib import RDF, SKOS, Graph, Literal

from ren_index.errors import ConfigError

REN_NS = "https://w3id.org/ren-index/vocab/"
"""The project's own namespace; every concept scheme of ``config/vocabularies`` lives under it."""
REN = REN_NS + "ns#"
"""Properties of our own (``ren:open``, ``ren:ageMin``...), in the scheme ``<REN_NS>ns#``."""

MAPPING_PROPERTIES = ("exactMatch", "closeMatch", "broadMatch", "narrowMatch", "relatedMatch")

_PUNCT = re.compile(r"[^\w]+", re.UNICODE)
_NON_ASCII = re.compile(r"[^\x00-\x7f]")


_COMBINING = re.compile(r"[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")


FOLD_CACHED_CHARS = 120
"""Texts up to this long are folded once and remembered: labels, keywords, most titles come back record
after record. A description is folded once, by one record: remembered, they made a process pass's
worker hold 21 MiB more at 40,000 records than at 10,000, up to 65,536 of them that nothing asked
for again; 4 MiB more without them (tracemalloc; issue 17, point 4)."""


def fold(text: str) -> str:
    """Lower-case, strip accents, turn punctuation and underscores into single spaces.

    ``"Secondaire – 3e année"`` → ``"secondaire 3e annee"``. The key of every label look-up;
    short texts are cached (:data:`FOLD_CACHED_CHARS`), because the same values come back record
    after record.
    """
    return _fold_short(text) if len(text) <= FOLD_CACHED_CHARS else _fold(text)


@lru_cache(maxsize=65536)
def _fold_short(text: str) -> str:
    return _fold(text)


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    if not decomposed.isascii():
        decomposed = _COMBINING.sub("", decomposed)  # the common marks (French accents) at C speed
        if not decomposed.isascii():  # other marks, other scripts, or only punctuation (« — »)
            # The exact test, on the few distinct non-ASCII characters found in C rather than on
            # every character in Python: a title with a dash (« — ») otherwise paid ~25 µs here.
            marks = {c for c in set(_NON_ASCII.findall(decomposed)) if unicodedata.combining(c)}
            if marks:
                decomposed = "".join(c for c in decomposed if c not in marks)
    return " ".join(_PUNCT.sub(" ", decomposed).replace("_", " ").split())


@dataclass(frozen=True)
class Concept:
    """One SKOS concept, flattened for quick use."""

    uri: str
    pref_labels: dict[str, str]
    alt_labels: tuple[tuple[str, str], ...] = ()
    notations: tuple[str, ...] = ()
    broader: tuple[str, ...] = ()
    narrower: tuple[str, ...] = ()
    mappings: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """SKOS mapping property local name (``exactMatch``...) → target URIs."""
    properties: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """Other literal or URI values by the property's local name (``open``, ``ageMin``, ``scopeNote``...)."""

    def label(self, lang: str = "fr") -> str:
        """The preferred label in ``lang``, else French, else English, else any, else the URI."""
        for tag in (lang, "fr", "en"):
            if tag in self.pref_labels:
                return self.pref_labels[tag]
        return next(iter(self.pref_labels.values()), self.uri)

    def prop(self, name: str) -> str | None:
        """The first value of one of our own properties, or ``None``."""
        values = self.properties.get(name)
        return values[0] if values else None


@dataclass(frozen=True)
class Vocabulary:
    """A concept scheme (or several, in one file) ready for look-ups."""

    uri: str
    concepts: dict[str, Concept]
    collections: dict[str, frozenset[str]]
    """Collection URI → member concept URIs (e.g. the levels of one portal)."""
    lookup: dict[str, frozenset[str]]
    """Folded prefLabel / altLabel / hiddenLabel / notation → concept URIs."""

    def find(self, text: str) -> list[Concept]:
        """Concepts whose label or notation folds to the same key as ``text`` (exact, no guessing)."""
        return [self.concepts[u] for u in sorted(self.lookup.get(fold(text), ()))]

    def get(self, uri: str) -> Concept | None:
        return self.concepts.get(uri)

    def ancestors(self, uri: str) -> list[str]:
        """Every broader concept, nearest first (no cycles, no duplicates)."""
        seen: list[str] = []
        queue = list(self.concepts[uri].broader) if uri in self.concepts else []
        while queue:
            current = queue.pop(0)
            if current in seen:
                continue
            seen.append(current)
            if current in self.concepts:
                queue.extend(self.concepts[current].broader)
        return seen

    def in_collection(self, collection: str, uri: str) -> bool:
        """True when ``uri`` or one of its ancestors is a member of ``collection``."""
        members = self.collections.get(collection, frozenset())
        return uri in members or any(a in members for a in self.ancestors(uri))


def _local(uri: object) -> str:
    text = str(uri)
    return re.split(r"[#/]", text.rstrip("/#"))[-1]


def build_vocabulary(graph: Graph, name: str) -> Vocabulary:
    """Flatten an rdflib graph of SKOS into a :class:`Vocabulary` (pure, for tests too)."""
    scheme = next((str(s) for s in graph.subjects(RDF.type, SKOS.ConceptScheme)), name)
    concepts: dict[str, Concept] = {}
    lookup: dict[str, set[str]] = defaultdict(set)
    skip = {
        RDF.type,
        SKOS.prefLabel,
        SKOS.altLabel,
        SKOS.hiddenLabel,
        SKOS.notation,
        SKOS.broader,
        SKOS.narrower,
        SKOS.inScheme,
        SKOS.topConceptOf,
    }
    broader_of: dict[str, set[str]] = defaultdict(set)
    narrower_of: dict[str, set[str]] = defaultdict(set)
    for subject in set(graph.subjects(RDF.type, SKOS.Concept)):
        uri = str(subject)
        for b in graph.objects(subject, SKOS.broader):
            broader_of[uri].add(str(b))
            narrower_of[str(b)].add(uri)
        for n in graph.objects(subject, SKOS.narrower):
            narrower_of[uri].add(str(n))
            broader_of[str(n)].add(uri)
    for subject in set(graph.subjects(RDF.type, SKOS.Concept)):
        uri = str(subject)
        pref = {
            (o.language or "und"): str(o)
            for o in graph.objects(subject, SKOS.prefLabel)
            if isinstance(o, Literal)
        }
        alts = tuple(
            sorted(
                ((o.language or "und"), str(o))
                for p in (SKOS.altLabel, SKOS.hiddenLabel)
                for o in graph.objects(subject, p)
                if isinstance(o, Literal)
            )
        )
        notations = tuple(sorted(str(o) for o in graph.objects(subject, SKOS.notation)))
        mappings: dict[str, tuple[str, ...]] = {}
        properties: dict[str, list[str]] = defaultdict(list)
        for p, o in graph.predicate_objects(subject):
            if p in skip:
                continue
            local = _local(p)
            if str(p).startswith(str(SKOS)) and local in MAPPING_PROPERTIES:
                mappings[local] = tuple(sorted({*mappings.get(local, ()), str(o)}))
            else:
                properties[local].append(str(o))
        concepts[uri] = Concept(
            uri=uri,
            pref_labels=pref,
            alt_labels=alts,
            notations=notations,
            broader=tuple(sorted(broader_of[uri])),
            narrower=tuple(sorted(narrower_of[uri])),
            mappings=mappings,
            properties={k: tuple(sorted(v)) for k, v in properties.items()},
        )
        for text in [*pref.values(), *(t for _, t in alts), *notations]:
            key = fold(text)
            if key:
                lookup[key].add(uri)
    collections = {
        str(c): frozenset(str(m) for m in graph.objects(c, SKOS.member))
        for c in set(graph.subjects(RDF.type, SKOS.Collection))
    }
    return Vocabulary(
        uri=scheme,
        concepts=concepts,
        collections=collections,
        lookup={k: frozenset(v) for k, v in lookup.items()},
    )


@lru_cache(maxsize=32)
def _load_cached(path: str, mtime: float) -> Vocabulary:
    graph = Graph()
    try:
        graph.parse(path, format="turtle")
    except Exception as exc:  # rdflib raises many parser-specific types
        raise ConfigError(f"{path}: not valid Turtle: {exc}") from exc
    return build_vocabulary(graph, Path(path).stem)


def load_vocabulary(path: Path) -> Vocabulary:
    """Load one Turtle file (cached until the file changes)."""
    if not path.exists():
        raise ConfigError(f"{path}: vocabulary file not found")
    return _load_cached(str(path.resolve()), path.stat().st_mtime)


@dataclass(frozen=True)
class Vocabularies:
    """Every vocabulary the validation uses."""

    levels: Vocabulary
    licences: Vocabulary
    resource_types: Vocabulary


VOCABULARY_FILES = {
    "levels": "niveaux-quebec.ttl",
    "licences": "licences.ttl",
    "resource_types": "types-ressources.ttl",
}


def load_vocabularies(config_dir: Path) -> Vocabularies:
    """Load ``config/vocabularies/*.ttl``; a missing or broken file is a :class:`ConfigError`."""
    folder = config_dir / "vocabularies"
    return Vocabularies(**{k: load_vocabulary(folder / f) for k, f in VOCABULARY_FILES.items()})


def licence_is_open(vocab: Vocabulary, uri: str | None) -> bool:
    """True when the concept's licence lets anyone reuse and redistribute (``ren:open``).

    The one judgement of openness: portal policies (:mod:`ren_index.decide`) and the review
    pages ask here. ``ren:open`` is an ``xsd:boolean``, so both of its lexical forms count.
    """
    concept = vocab.get(uri) if uri else None
    return concept is not None and concept.prop("open") in ("true", "1")


def licence_family(vocab: Vocabulary, uri: str | None) -> str | None:
    """The facet family (``open``, ``non-commercial``, ``all-rights-reserved``...), or None."""
    concept = vocab.get(uri) if uri else None
    return concept.prop("family") if concept else None
