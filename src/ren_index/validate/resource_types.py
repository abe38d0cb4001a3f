"""Learning resource types: the values a record states, mapped to the concepts of ``types-ressources.ttl``.

A record states its type in several places: LOM 5.2 ``learningResourceType`` (LOM tokens,
Normetic 1.1/1.2 terms, ScoLOMFR concept URIs) and Dublin Core ``type`` / LOMFR ``documentType``
(``Text``, ``Vidéo``, ``http://purl.org/dc/dcmitype/Sound``). Each value is looked up, in order:

1. as a URI: a concept of ours, or the target of one of its ``exactMatch`` / ``closeMatch``
   (ScoLOMFR, OEH, DCMI Type URIs), ``http``/``https`` and a trailing slash not counting;
2. as text: the folded prefLabel / altLabel / notation (:meth:`Vocabulary.find`), so ``Vidéo``,
   ``video`` and ``VIDÉO`` agree; a field holding several (``Texte; Image``) is split.

The generic DCMI types are *mapped*, to the broad "document" concepts (``Text`` → Texte): for a
Dublin Core record they are often the only type it has, and portals can leave the ``document``
collection out of a facet if they want only pedagogical types. Values that carry no type at all
are **ignored silently**: OpenAIRE's ``info:eu-repo/semantics/...`` publication types (article,
thesis: not learning resource types) and ``other`` / ``autre``. Anything else that maps to
nothing is a ``RESOURCE_TYPE_UNMAPPED`` info issue with the raw value, so a documentalist can
extend the vocabulary — a label shared by two concepts counts as unmapped (and names them).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ren_index.config.vocabularies import Vocabulary, fold
from ren_index.model import Issue, Resource, Term
from ren_index.validate.context import CheckResult, ValidationContext

IGNORED_PREFIXES = ("info:eu-repo/semantics/",)
IGNORED_VALUES = frozenset({"other", "others", "autre", "autres", "divers", "misc"})
"""Folded values that say nothing about the type."""

_MATCHES = ("exactMatch", "closeMatch")
_SPLIT = re.compile(r"\s*[;|]\s*")
_URI = re.compile(r"^[a-z][a-z0-9+.-]*://", re.IGNORECASE)
_MEMO_LIMIT = 20_000


@dataclass
class _Index:
    """Look-ups built once per loaded vocabulary: mapping targets, and a memo of raw values seen."""

    vocabulary: Vocabulary
    by_uri: dict[str, str]
    memo: dict[str, tuple[str, ...] | str | None] = field(default_factory=dict)


_INDEXES: dict[int, _Index] = {}


def _uri_key(uri: str) -> str:
    key = uri.strip().rstrip("/")
    return "http://" + key[len("https://") :] if key.startswith("https://") else key


def _index(vocabulary: Vocabulary) -> _Index:
    """The index of this vocabulary object (a reload gives a new object, hence a new index)."""
    found = _INDEXES.get(id(vocabulary))
    if found is not None and found.vocabulary is vocabulary:
        return found
    by_uri: dict[str, str] = {}
    for concept in vocabulary.concepts.values():
        by_uri[_uri_key(concept.uri)] = concept.uri
        for prop in _MATCHES:
            for target in concept.mappings.get(prop, ()):
                by_uri.setdefault(_uri_key(target), concept.uri)
    if len(_INDEXES) > 16:
        _INDEXES.clear()
    index = _INDEXES[id(vocabulary)] = _Index(vocabulary, by_uri)
    return index


def _lookup(value: str, index: _Index) -> tuple[str, ...] | str | None:
    """Concept URIs for one value; ``()`` = ignored on purpose; a ``str`` = ambiguous (candidates);
    None = unmapped."""
    text = value.strip()
    if not text or text.startswith(IGNORED_PREFIXES) or fold(text) in IGNORED_VALUES:
        return ()
    if _URI.match(text):
        uri = index.by_uri.get(_uri_key(text))
        return (uri,) if uri else None
    found = index.vocabulary.find(text)
    if len(found) == 1:
        return (found[0].uri,)
    if len(found) > 1:
        return " | ".join(c.uri for c in found)
    parts = _SPLIT.split(text)
    if len(parts) > 1:
        uris: list[str] = []
        for part in parts:
            sub = _lookup(part, index)
            if not isinstance(sub, tuple):
                return None
            uris.extend(u for u in sub if u not in uris)
        return tuple(uris)
    return None


def map_resource_type(value: str, vocabulary: Vocabulary) -> tuple[str, ...] | str | None:
    """Map one stated type: concept URIs (``()`` when deliberately ignored), a ``" | "``-joined
    list of candidates when the label is ambiguous, or None when it maps to nothing. Memoized."""
    index = _index(vocabulary)
    if value in index.memo:
        return index.memo[value]
    result = _lookup(value, index)
    if len(index.memo) >= _MEMO_LIMIT:
        index.memo.clear()
    index.memo[value] = result
    return result


def _unmapped(field_name: str, term: Term, candidates: str | None) -> Issue:
    return Issue(
        code="RESOURCE_TYPE_UNMAPPED",
        severity="info",
        field=field_name,
        message_fr=f"Type de ressource absent du vocabulaire : « {term.value} ».",
        message_en=f"Resource type not in the vocabulary: “{term.value}”.",
        value=term.value,
        suggestion=candidates,
    )


def check_resource_types(resource: Resource, ctx: ValidationContext) -> CheckResult:
    """Map LOM 5.2 types and DC types / LOMFR document types to concept URIs (``resource_types``).

    Concepts keep the order the record states them in, each once; every distinct value that maps
    to nothing is one ``RESOURCE_TYPE_UNMAPPED`` info issue (the raw value stays in the record).
    """
    vocabulary = ctx.vocabularies.resource_types
    uris: list[str] = []
    issues: list[Issue] = []
    reported: set[str] = set()
    sources = (
        ("educational.learning_resource_types", resource.educational.learning_resource_types),
        ("resource_types", resource.resource_types),
    )
    for field_name, terms in sources:
        for term in terms:
            result = map_resource_type(term.value, vocabulary)
            if isinstance(result, tuple):
                uris.extend(u for u in result if u not in uris)
            elif term.value not in reported:
                reported.add(term.value)
                issues.append(_unmapped(field_name, term, result))
    return {"resource_types": uris}, issues
