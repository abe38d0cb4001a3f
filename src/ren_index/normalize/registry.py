"""The normalize stage's entry point: which mapper reads a payload, and running it.

Mappers are registered by format in one explicit table (DESIGN.md, convention 2). The format is
read from the root element's namespace first — a repository's metadata prefix is a local name
it chose (``oai_lom``, ``lomfr``, ``scolomfr``...) and says less than the document itself — and
from the prefix only when the namespace is unknown. An unknown format fails loudly: mapping it
with the wrong crosswalk would silently produce empty records.

Partner feeds (RSS/Atom items, JSON-LD nodes, CSV rows) are stored as JSON objects: a payload
that starts with ``{`` is read with :func:`json.loads`, never given to the XML parser, and its
format is the harvest's metadata prefix (``rss``, ``lrmi``, ``csv``, and ``contribution`` for what a
platform pushes) — JSON has no root namespace to say it.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

from lxml import etree

from ren_index.errors import UnknownFormatError
from ren_index.model import Issue, Provenance, Resource
from ren_index.normalize.mappers import issues
from ren_index.normalize.mappers.contribution import map_contribution
from ren_index.normalize.mappers.csv_row import map_csv_row
from ren_index.normalize.mappers.lom import map_lom
from ren_index.normalize.mappers.lrmi import map_lrmi
from ren_index.normalize.mappers.oai_dc import map_oai_dc
from ren_index.normalize.mappers.rss import map_rss
from ren_index.normalize.mappers.text import titles_without_markup
from ren_index.xmlsafe import UnsafeXmlError, parse_xml

log = logging.getLogger(__name__)

Mapper = Callable[[etree._Element, Provenance], tuple[Resource, list[Issue]]]
JsonMapper = Callable[[dict[str, Any], Provenance], tuple[Resource, list[Issue]]]

MAPPERS: dict[str, Mapper | JsonMapper] = {
    "oai_dc": map_oai_dc,
    "lom": map_lom,
    "rss": map_rss,
    "lrmi": map_lrmi,
    "csv": map_csv_row,
    "contribution": map_contribution,
}

JSON_FORMATS: dict[str, str] = {
    "rss": "rss",
    "atom": "rss",
    "lrmi": "lrmi",
    "jsonld": "lrmi",
    "schema": "lrmi",
    "amb": "lrmi",
    "csv": "csv",
    "contribution": "contribution",
}
"""Metadata prefixes of JSON payloads (set by the feed harvesters) -> the mapper that reads them."""

NAMESPACES: dict[str, str] = {
    "http://www.openarchives.org/OAI/2.0/oai_dc/": "oai_dc",
    # LOM, Normetic, LOMFR and ScoLOMFR records all have their root in the IEEE LOM namespace;
    # the LOMFR / ScoLOMFR namespaces only qualify extension elements inside them.
    "http://ltsc.ieee.org/xsd/LOM": "lom",
}

PREFIXES: dict[str, str] = {
    "oai_dc": "oai_dc",
    "dc": "oai_dc",
    "lom": "lom",
    "oai_lom": "lom",
    "ieee_lom": "lom",
    "lomfr": "lom",
    "oai_lomfr": "lom",
    "scolomfr": "lom",
    "oai_scolomfr": "lom",
    "normetic": "lom",
}
"""Metadata prefixes repositories use for the formats above (case-insensitive)."""


def format_of(root: etree._Element, metadata_prefix: str | None) -> str:
    """The format of a parsed payload: by root namespace, else by metadata prefix.

    Raises :class:`UnknownFormatError` when neither names a registered format.
    """
    namespace = etree.QName(root).namespace or ""
    if namespace in NAMESPACES:
        return NAMESPACES[namespace]
    prefix = (metadata_prefix or "").strip().lower()
    if prefix in PREFIXES:
        return PREFIXES[prefix]
    raise UnknownFormatError(
        f"no mapper for root element {root.tag!r} (namespace {namespace or 'none'!r}) with "
        f"metadata prefix {metadata_prefix!r}; known namespaces: {sorted(NAMESPACES)}, "
        f"known prefixes: {sorted(PREFIXES)}"
    )


def normalize(payload: str, provenance: Provenance) -> tuple[Resource, list[Issue]]:
    """Map a harvested metadata payload to the canonical record.

    ``provenance.metadata_format`` is the harvest's metadata prefix on the way in and the
    format actually used on the way out. A payload that is not (safe) XML is a record-level
    problem: a minimal record with a ``PAYLOAD_INVALID`` issue. So is a mapper tripping on an
    odd record (``MAPPING_FAILED``), so that one record cannot stop a run. An unknown format is
    a configuration problem and raises :class:`UnknownFormatError`.
    """
    if payload.lstrip().startswith("{"):
        return _normalize_json(payload, provenance)
    try:
        root = parse_xml(payload)
    except (etree.XMLSyntaxError, UnsafeXmlError) as error:
        prefix = provenance.metadata_format.strip().lower()
        used = provenance.model_copy(update={"metadata_format": PREFIXES.get(prefix, prefix)})
        return Resource(provenance=used), [issues.payload_invalid(str(error), payload)]
    fmt = format_of(root, provenance.metadata_format)
    used = provenance.model_copy(update={"metadata_format": fmt})
    return _run(fmt, root, used)


def _normalize_json(payload: str, provenance: Provenance) -> tuple[Resource, list[Issue]]:
    """A JSON payload: its format from the metadata prefix, then its JSON mapper."""
    prefix = provenance.metadata_format.strip().lower()
    fmt = JSON_FORMATS.get(prefix)
    if fmt is None:
        raise UnknownFormatError(
            f"no JSON mapper for metadata prefix {provenance.metadata_format!r}; "
            f"known: {sorted(JSON_FORMATS)}"
        )
    used = provenance.model_copy(update={"metadata_format": fmt})
    try:
        doc = json.loads(payload)
    except json.JSONDecodeError as error:
        return Resource(provenance=used), [issues.payload_invalid_json(str(error), payload)]
    if not isinstance(doc, dict):
        return Resource(provenance=used), [issues.payload_invalid_json("not an object", payload)]
    return _run(fmt, doc, used)


def _run(fmt: str, document: Any, used: Provenance) -> tuple[Resource, list[Issue]]:
    try:
        return _plain_titles(*MAPPERS[fmt](document, used))
    except Exception as error:  # a bug or an unforeseen shape: data, not a crashed run
        log.exception("mapper %s failed on %s/%s", fmt, used.source, used.identifier)
        return Resource(provenance=used), [issues.mapping_failed(fmt, error)]


def _plain_titles(resource: Resource, found: list[Issue]) -> tuple[Resource, list[Issue]]:
    """Titles without HTML tags for every format at once (the raw kept in ``title_raw``).

    Here rather than in each mapper: whatever the format, a title is one text with no markup
    allowed, and every crosswalk reads it the same way.
    """
    plain, raw = titles_without_markup(resource.general.title)
    if not raw:
        return resource, found
    general = resource.general.model_copy(update={"title": plain, "title_raw": raw})
    return resource.model_copy(update={"general": general}), found
