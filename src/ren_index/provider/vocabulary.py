"""The vocabulary look-ups the serializers need: labels, broader levels and *typed* notations.

:class:`~ren_index.config.vocabularies.Concept` keeps notations as plain strings, which is all
validation needs. Writing LOM for other systems needs to know *which* vocabulary a notation
belongs to (``"education secondaire"^^ren:NormeticContexte`` is a Normetic 5.6 term,
``"school"^^ren:LomContext`` a LOM 5.6 value, ``"exercise"^^ren:lomToken`` a LOM 5.2 value), so
the datatypes are read here from the same Turtle files, once per file version.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from rdflib import SKOS, Graph, Literal

from ren_index.config.vocabularies import (
    REN,
    VOCABULARY_FILES,
    Concept,
    Vocabularies,
    load_vocabularies,
)
from ren_index.errors import ConfigError

log = logging.getLogger(__name__)

TypedNotations = dict[str, dict[str, tuple[str, ...]]]
"""Concept URI → datatype local name (``NormeticContexte``...) → notations of that type."""


@lru_cache(maxsize=8)
def _typed_cached(path: str, mtime: float) -> TypedNotations:
    graph = Graph()
    graph.parse(path, format="turtle")
    found: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for subject, notation in graph.subject_objects(SKOS.notation):
        if isinstance(notation, Literal) and notation.datatype and str(notation.datatype).startswith(REN):
            found[str(subject)][str(notation.datatype)[len(REN) :]].append(str(notation))
    return {uri: {k: tuple(sorted(v)) for k, v in types.items()} for uri, types in found.items()}


def _typed(path: Path) -> TypedNotations:
    return _typed_cached(str(path.resolve()), path.stat().st_mtime)


@dataclass(frozen=True)
class ProviderVocabularies:
    """Everything the serializers look up; empty when the configuration cannot be read."""

    vocabularies: Vocabularies | None = None
    typed: TypedNotations = field(default_factory=dict)

    def concept(self, kind: str, uri: str) -> Concept | None:
        """A concept of the ``levels``, ``licences`` or ``resource_types`` vocabulary."""
        if self.vocabularies is None:
            return None
        vocabulary = getattr(self.vocabularies, kind)
        found: Concept | None = vocabulary.get(uri)
        return found

    def notations(self, uri: str, datatype: str) -> tuple[str, ...]:
        """The notations of ``uri`` typed ``ren:<datatype>``."""
        return self.typed.get(uri, {}).get(datatype, ())

    def level_ancestors(self, uri: str) -> list[str]:
        """Broader levels, nearest first."""
        return self.vocabularies.levels.ancestors(uri) if self.vocabularies is not None else []

    def label(self, kind: str, uri: str, lang: str) -> str | None:
        """The preferred label of a concept in ``lang`` (or the nearest one), ``None`` if unknown."""
        concept = self.concept(kind, uri)
        return concept.label(lang) if concept is not None else None


def load_provider_vocabularies(config_dir: Path) -> ProviderVocabularies:
    """Load the vocabularies of ``config_dir``; without them the provider still serves records
    (with URIs instead of labels and without Normetic terms), so a bad file is logged, not fatal."""
    folder = config_dir / "vocabularies"
    try:
        vocabularies = load_vocabularies(config_dir)
        typed: TypedNotations = {}
        for name in ("levels", "resource_types"):
            typed.update(_typed(folder / VOCABULARY_FILES[name]))
    except (ConfigError, OSError, ValueError) as exc:
        log.warning("OAI provider: vocabularies unavailable in %s (%s); serving without them", folder, exc)
        return ProviderVocabularies()
    return ProviderVocabularies(vocabularies=vocabularies, typed=typed)
