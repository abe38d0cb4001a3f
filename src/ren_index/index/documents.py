"""A canonical :class:`Resource` as an OpenSearch document (pure), and the document's hash.

Version 2 of the definition (``resources-v2.json``) adds ``licence_family`` (the licence
concept's ``ren:family``), ``disciplines`` (classification entries whose purpose is discipline),
``date_modified`` (what the portals sort "newest first" on) and ``suggest`` (titles, for
type-ahead). Version 3 (``resources-v3.json``) adds ``quality``, the record's documentary quality
score (0–100, :mod:`ren_index.quality.score`, read from the ledger row the process step wrote) so
portals can filter, sort or boost on it. Version 4 (``resources-v4.json``) adds who made the
resource and its dates, for the portals' result and resource pages:

- ``authors``, ``contributors``, ``publishers`` — names of persons or organisations (vCard ``FN``,
  else ``N``, else ``ORG``) from the lifecycle contributions, by role (:func:`people`);
- ``date_created`` — the resource's own date as its source gives it (an author's contribution
  date, else ``lifecycle.date``: the publisher's date in LOM, ``dc:date``, LRMI, RSS, CSV);
- ``date_modified`` — the source's datestamp (when it last changed the record), else the time the
  version shown was harvested (what ``sort=date`` uses);
- ``date_harvested`` — when the record was *first* harvested (the raw record's ``first_seen``), not
  ``last_seen``: ``last_seen`` moves with every harvest even when nothing changed, so every
  document would be re-sent (and every ETag change) after each nightly run, and "in the catalogue
  since" is what a portal can show; ``date_modified`` says when it changed;
- ``date_approved`` — when the record was last approved (the ledger row's ``decided_at``; only
  approved records are indexed);
- ``link`` — where the resource's link stands for the portals (:func:`public_link`): ``ok``,
  ``redirected`` or ``unchecked``. A record whose link is declared broken is not indexed at all,
  even when a documentalist kept it approved (see :mod:`ren_index.steps.index`). Added to v4 in
  place: v4 was created in the same release and never shipped, so no deployed index lacks it.

Version 5 (``resources-v5.json``, issue 16) shows each group of duplicates once per portal:
``group`` (the record's group id; its own id when it is in no group, which this module writes, so
every document has one and a search can collapse on it), ``group_members`` (keyword: the records
the document stands for) and the lists ``also_available_from``, ``other_versions``,
``translations``, ``part_of``, ``parts`` — stored, not indexed. Which member stands where, and
what those fields hold, is :mod:`ren_index.index.group_documents`' business; the index step
applies it to the documents made here.

Every date is ISO 8601 in UTC with its offset (:func:`utc_date`); a date known only to the day
(or month, or year) is midnight UTC of its first day. An existing deployment runs
``ren-index index --rebuild`` once after each new version.

Text is split by language into ``_fr`` / ``_en`` / ``_other`` fields because each language
needs its own analyzer (French elision and stemming would mangle English, and the reverse);
``fr-CA`` counts as ``fr``, and ``und`` or any other language goes to ``_other`` (folded, not
stemmed). Facet values are kept as plain keywords. The whole record rides along in ``record``
(stored, not indexed) so a resource can be displayed without the ledger; it is dumped without its
default values, which keeps 100,000 documents small on a 1 GB heap and still validates back into
a :class:`Resource`.

Each text value is indexed up to :data:`MAX_INDEXED_CHARS` characters: OpenSearch refuses to
highlight a field longer than a million characters, and it refuses it for the *whole* search, so
one record with a 1 MB description would make every portal query fail. What the API shows is cut
further, at the limits of ``validation.yaml`` (:mod:`ren_index.search.portal`); ``record`` keeps
the whole text for the resource page and the ledger's sake.

``indexed_at`` is not set here: it is the time of sending (see :mod:`.bulk`), and it is left
out of :func:`document_hash` so that re-sending an unchanged record is detected as unchanged.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

import orjson
from pydantic import BaseModel

from ren_index.config.clock import utc_iso
from ren_index.config.vocabularies import Vocabularies, fold, licence_family
from ren_index.links.patience import LinkHealth, LinkState, for_url
from ren_index.model import Contribution, LangString, Resource, pick_lang

DISCIPLINE_PURPOSES = frozenset({"discipline", "subject", "matiere", "domaine", "domaine d enseignement"})
"""Folded LOM 9.1 purposes (or a purpose URI's last segment) of a classification by discipline."""
UNDETERMINED_FAMILY = "undetermined"

MAX_INDEXED_CHARS = 20_000
"""Characters of one title, description or keyword that are indexed (searched, highlighted).

Twice the default description limit (``text.description_max_chars``): an over-long text is still
found by its words, and highlighting stays far below OpenSearch's ``max_analyzed_offset``."""

LANG_BUCKETS = ("fr", "en")
"""Languages with their own analyzer; everything else is ``other``."""

AUTHOR_ROLES = frozenset({"author", "creator", "auteur", "createur"})
PUBLISHER_ROLES = frozenset({"publisher", "editeur", "diffuseur"})
"""Folded LOM 2.3.1 roles (or a role URI's last segment) of authors and publishers; every other
role (editor, content provider, instructional designer..., or none) is a contributor's."""

LINK_VALUES = ("ok", "redirected", "unchecked")
"""The ``link`` of a document and of the API (a broken link is never there: not indexed)."""
_PUBLIC_LINK: dict[LinkState, str | None] = {
    LinkState.UNCHECKED: "unchecked",
    LinkState.OK: "ok",
    LinkState.REDIRECTED: "redirected",
    LinkState.FAILING: "ok",
    LinkState.BROKEN: None,
}


def public_link(health: LinkHealth | None, url: str | None) -> str | None:
    """What the portals are told of a record's link; ``None``: the record must not be indexed.

    The judgement, not the last check: a ``failing`` link (failed lately, not judged broken yet)
    is still ``ok``, as it is still published — patience means one failure is not news, and a
    host's bad night must not rewrite thousands of documents, twice. Health about another
    address than ``url`` (corrected since) is a fresh, ``unchecked`` link. ``broken`` gives
    ``None`` whether or not a documentalist kept the record approved: a portal never shows a
    result that does not open.
    """
    if health is None or not url:
        return "unchecked"
    return _PUBLIC_LINK[for_url(health, url).state]


def to_document(
    resource: Resource,
    *,
    record_id: str,
    status: str,
    portals: list[str],
    vocabularies: Vocabularies | None = None,
    quality: int | None = None,
    harvested: datetime | None = None,
    approved: datetime | None = None,
    link: str = "unchecked",
) -> dict[str, Any]:
    """The document for one record. Empty text fields are left out; facet lists are always there.

    ``harvested`` is when the record was first harvested (the raw record's ``first_seen``) and
    ``approved`` when it was last approved (the row's ``decided_at``); both come from the ledger,
    as does ``link`` (:func:`public_link`).

    Facets use the validated values (``resource.controlled``) when validation set them — level
    concept URIs *with their broader levels*, so a filter on "secondaire" finds "sec 3" — and
    fall back to the values as harvested otherwise.
    """
    general = resource.general
    controlled = resource.controlled
    languages = controlled.languages or general.languages
    doc: dict[str, Any] = {
        "id": record_id,
        "group": record_id,
        "source": resource.provenance.source,
        "source_identifier": resource.provenance.identifier,
        "status": status,
        "portals": _unique(portals),
        "languages": _unique(_primary(tag) for tag in languages),
        "levels": _levels(resource, vocabularies),
        "resource_types": _unique(
            controlled.resource_types
            or [
                term.value
                for term in [*resource.educational.learning_resource_types, *resource.resource_types]
            ]
        ),
    }
    licence = controlled.licence or _licence(resource)
    _put(doc, "licence", licence)
    doc["licence_family"] = _licence_family(controlled.licence, vocabularies)
    doc["disciplines"] = _disciplines(resource)
    for role, names in people(resource.lifecycle.contributions).items():
        doc[role] = [name[:MAX_INDEXED_CHARS] for name in names]
    _put(doc, "quality", quality)
    _put(doc, "url", resource.url)
    doc["link"] = link
    _put(doc, "datestamp", _iso_date(resource.provenance.datestamp))
    fetched = resource.provenance.harvested_at
    _put(doc, "harvested_at", fetched.isoformat() if fetched else None)
    _put(doc, "date_created", utc_date(_created(resource)))
    _put(doc, "date_modified", utc_date(resource.provenance.datestamp) or utc_iso(fetched))
    _put(doc, "date_harvested", utc_iso(harvested))
    _put(doc, "date_approved", utc_iso(approved))
    primaries = {_primary(tag) for tag in languages}
    default = primaries.pop() if len(primaries) == 1 else None
    for field, texts in (
        ("title", [general.title]),
        ("description", [general.description]),
        ("keywords", general.keywords),
    ):
        for bucket, values in split_languages(texts, default).items():
            if values:
                doc[f"{field}_{bucket}"] = _unique(v[:MAX_INDEXED_CHARS] for v in values)
    titles = [t for b in ("fr", "en", "other") for t in doc.get(f"title_{b}", [])]
    if titles:
        doc["suggest"] = titles
    doc["record"] = record_without_defaults(resource)
    return doc


_FIELDS = tuple(Resource.model_fields)
"""The record's top-level fields, in the order pydantic dumps them."""
_PARTS: dict[str, BaseModel] = {
    name: default
    for name, field in Resource.model_fields.items()
    if isinstance(default := field.get_default(call_default_factory=True), BaseModel)
}
"""The record's parts whose default is a model (``general``, ``lifecycle``...), with that default."""


def record_without_defaults(resource: Resource) -> dict[str, Any]:
    """``resource.model_dump(mode="json", exclude_defaults=True)``: the same dict, keys in the same
    order, at a fraction of the cost (issue 17).

    Pydantic decides whether each part (``general``, ``lifecycle``...) is at its default by building
    a fresh default part and comparing the two with ``BaseModel.__eq__``, six times a record: that
    was most of the dump. Here a part is compared with a default built once, by what that
    ``__eq__`` looks at (same class, same ``__dict__``, no extra or private values); the parts that
    differ, and the rest of the record, are still dumped by pydantic itself with
    ``exclude_defaults``. ``tests/index/test_fast_documents.py`` pins the equality on varied records.
    """
    if type(resource) is not Resource:
        return resource.model_dump(mode="json", exclude_defaults=True)
    dumped = resource.model_dump(mode="json", exclude_defaults=True, exclude=set(_PARTS))
    for name, default in _PARTS.items():
        part: BaseModel = getattr(resource, name)
        if not _is_default(part, default):
            dumped[name] = part.model_dump(mode="json", exclude_defaults=True)
    return {name: dumped[name] for name in _FIELDS if name in dumped}


def _is_default(part: BaseModel, default: BaseModel) -> bool:
    """``part == default`` as :meth:`BaseModel.__eq__` answers it for these plain models."""
    return (
        type(part) is type(default)
        and part.__dict__ == default.__dict__
        and not part.__pydantic_extra__
        and not getattr(part, "__pydantic_private__", None)
    )


def split_languages(texts: Iterable[LangString], default: str | None = None) -> dict[str, list[str]]:
    """Values by analyzer bucket (``fr``, ``en``, ``other``), blank and repeated values dropped.

    Text tagged ``und`` (the source did not say) goes with ``default``, the record's one language
    when validation established it, so it gets the right analyzer.
    """
    buckets: dict[str, list[str]] = {"fr": [], "en": [], "other": []}
    for text in texts:
        for tag, value in text.items():
            value = value.strip()
            primary = default if tag == "und" and default else _primary(tag)
            bucket = primary if primary in LANG_BUCKETS else "other"
            if value and value not in buckets[bucket]:
                buckets[bucket].append(value)
    return buckets


def document_hash(doc: dict[str, Any]) -> str:
    """SHA-256 of the document as canonical JSON (sorted keys), ``indexed_at`` left out."""
    stable = doc if "indexed_at" not in doc else {k: v for k, v in doc.items() if k != "indexed_at"}
    return hashlib.sha256(canonical_json(stable)).hexdigest()


def canonical_json(value: Any) -> bytes:
    """``json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"),
    default=str)`` in UTF-8 — the text every stored ``indexed_hash`` was computed from — written by
    orjson, four times faster (issue 17), whenever the two give the same bytes.

    They do for plain JSON values (:func:`_plain`): ``str``, ``int`` of 64 bits, ``bool``, ``None``,
    ``dict`` with ``str`` keys (sorted the same: by code point) and ``list``, and floats between
    1e-4 and 1e16 (or zero), which both write as Python's ``repr``. Anything else — a float written
    in exponent form by ``repr`` (``1e-05``; orjson writes ``0.00001``) or not finite (``NaN``; orjson
    writes ``null``), a subclass, a date, a bigger integer, a key that is not text — takes
    :func:`json.dumps`, so the hash never changes; ``tests/index/test_fast_documents.py`` pins it.
    """
    if _plain(value):
        try:
            return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)
        except orjson.JSONEncodeError:
            pass  # an integer beyond 64 bits, a key that is not text, a lone surrogate...
    text = json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return text.encode("utf-8")


_PLAIN_NODES = 100_000
"""Values :func:`_plain` looks at before giving up (a cycle, or an absurd document: json's road)."""


def _plain(value: Any) -> bool:
    """Whether ``value`` holds only the plain JSON values :func:`canonical_json` may give orjson."""
    stack = [value]
    for _ in range(_PLAIN_NODES):
        if not stack:
            return True
        item = stack.pop()
        kind = type(item)
        if kind is str or kind is int or kind is bool or item is None:
            continue
        if kind is dict:
            stack.extend(item.values())
        elif kind is list:
            stack.extend(item)
        elif kind is not float or not (item == 0.0 or 1e-4 <= abs(item) < 1e16):
            return False
    return False


def people(contributions: Iterable[Contribution]) -> dict[str, list[str]]:
    """``{"authors", "contributors", "publishers"}``: the entities' names by role (first seen first).

    Roles are read like the LOM mapper reads them: a role URI by its last segment
    (``.../concept/publisher``), folded, a ScoLOMFR ``_2`` suffix dropped.
    """
    found: dict[str, list[str]] = {"authors": [], "contributors": [], "publishers": []}
    for contribution in contributions:
        role = _role(contribution)
        key = "contributors"
        if role in AUTHOR_ROLES:
            key = "authors"
        elif role in PUBLISHER_ROLES:
            key = "publishers"
        found[key].extend(contribution.entities)
    return {key: _unique(names) for key, names in found.items()}


def _role(contribution: Contribution) -> str:
    if contribution.role is None:
        return ""
    last = contribution.role.value.strip().rstrip("/#").rsplit("/", 1)[-1].rsplit("#", 1)[-1]
    return re.sub(r" \d+$", "", fold(last))


def _created(resource: Resource) -> str | None:
    """An author's contribution date (when it was made), else the resource's lifecycle date."""
    for contribution in resource.lifecycle.contributions:
        if contribution.date and _role(contribution) in AUTHOR_ROLES:
            return contribution.date
    return resource.lifecycle.date


_PARTIAL_DATE = re.compile(r"(\d{4})(?:-(\d{2}))?")


def utc_date(value: str | None) -> str | None:
    """A date or date-time as ISO 8601 UTC with its offset; ``None`` when it is not one.

    ``2008``, ``2008-05`` and ``2008-05-01`` (what the mappers keep of a resource date) are
    midnight UTC of their first day; a date-time without offset is taken as UTC.
    """
    text = (value or "").strip()
    if not text:
        return None
    partial = _PARTIAL_DATE.fullmatch(text)
    try:
        if partial:
            moment = datetime(int(partial.group(1)), int(partial.group(2) or 1), 1, tzinfo=UTC)
            return moment.isoformat()
        return utc_iso(text)
    except ValueError:
        return None


def _levels(resource: Resource, vocabularies: Vocabularies | None) -> list[str]:
    """Validated level URIs plus every broader level; harvested values when none was validated."""
    levels = resource.controlled.levels
    if not levels:
        return _unique(term.value for term in resource.educational.contexts)
    expanded = list(levels)
    if vocabularies is not None:
        for uri in levels:
            expanded.extend(vocabularies.levels.ancestors(uri))
    return _unique(expanded)


def _licence_family(uri: str | None, vocabularies: Vocabularies | None) -> str:
    """The licence concept's ``ren:family`` (``open``, ``non-commercial``...), else ``undetermined``.

    Only a validated licence has a family: a rights statement as written says nothing a portal
    could promise its users, so it counts as undetermined rather than guessed.
    """
    family = licence_family(vocabularies.licences, uri) if vocabularies else None
    return family or UNDETERMINED_FAMILY


def _disciplines(resource: Resource) -> list[str]:
    """Entries of the classifications by discipline, as the source wrote them (no vocabulary yet).

    The label (French first) is preferred over the taxon id, which is often a code only its
    source understands; the id stands in when there is no label.
    """
    values: list[str] = []
    for path in resource.classifications:
        purpose = path.purpose.value if path.purpose else ""
        if fold(purpose.rstrip("/#").rsplit("/", 1)[-1].rsplit("#", 1)[-1]) not in DISCIPLINE_PURPOSES:
            continue
        for taxon_id, entry in path.taxa:
            values.append(pick_lang(entry) or taxon_id or "")
    return _unique(values)


def _licence(resource: Resource) -> str | None:
    """The licence URI when the source gave one, else its rights statement as written."""
    if resource.rights.licence_uri:
        return resource.rights.licence_uri.strip()
    text = pick_lang(resource.rights.description)
    return text.strip() if text and text.strip() else None


def _iso_date(value: str | None) -> str | None:
    """An ISO 8601 date(-time), or ``None`` for a value OpenSearch's date field would refuse.

    A garbage datestamp from a source is the source's problem; it must not cost the record its
    place in the index (the raw value stays in ``record``).
    """
    if not value:
        return None
    try:
        return datetime.fromisoformat(value.strip()).isoformat()
    except ValueError:
        return None


def _primary(tag: str) -> str:
    return tag.strip().lower().split("-")[0].split("_")[0]


def _unique(values: Iterable[str]) -> list[str]:
    seen: list[str] = []
    for value in values:
        value = value.strip()
        if value and value not in seen:
            seen.append(value)
    return seen


def _put(doc: dict[str, Any], key: str, value: Any) -> None:
    if value is not None:
        doc[key] = value
