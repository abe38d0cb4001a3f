"""JSON-LD / schema.org / LRMI harvester (rdflib): one learning resource = one raw record.

The URL answers either JSON-LD (an object, an array, or a ``@graph`` listing) or an HTML page
with one or more ``<script type="application/ld+json">``. Publishers write the same statements
in many JSON shapes (``"name"`` under ``@vocab``, ``"schema:name"``, full IRIs, AMB's ``id`` /
``type`` aliases), so every document goes through rdflib and is read back as a graph: the mapper
then sees one shape. Each root ``CreativeWork``-like node (a node with a schema.org type that is
not a person, an organization or a vocabulary term, and is not itself a value of another such
node — a course's ``hasPart`` stays inside the course) is compacted back to plain JSON with
schema.org local names: that JSON is the payload, ``@id`` (or ``url``) the identifier.

Nothing is ever loaded by the JSON-LD processor but the bundled contexts (schema.org, AMB), at
any depth (:mod:`ren_index.harvest.jsonld_contexts`): a record that refers to any other context —
its own, a term's, a type's, an ``@import`` — is still harvested, read as schema.org, with the
refused references in its payload under :data:`NOT_LOADED`, which the LRMI mapper turns into a
``JSONLD_REMOTE_CONTEXT`` issue; the other records of the document are not affected. A record
nested deeper than :data:`~ren_index.harvest.jsondepth.MAX_JSON_DEPTH` levels is a problem line
and is skipped (:mod:`ren_index.harvest.jsondepth`), never a ``RecursionError``.

A "record" of a document, for these problems, is one of its top-level items: an element of a
top-level array, of ``@graph``, or the document itself. The clean items are read together (a
course's ``hasPart`` may be another item), each flagged item on its own.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import lxml.html
from lxml import etree
from rdflib import RDF, BNode, Graph, Literal, URIRef
from rdflib.term import Node

from ren_index.errors import HarvestError
from ren_index.harvest.base import Page, RawRecord
from ren_index.harvest.documents import DocumentClient, DocumentHarvester, short_hash
from ren_index.harvest.jsondepth import MAX_JSON_DEPTH, holds_too_deep, loads_bounded
from ren_index.harvest.jsonld_contexts import SCHEMA, SKOS, ContextNotBundled, bundled_contexts_only, localize

log = logging.getLogger(__name__)

FORMAT = "lrmi"
SCHEMA_HTTPS = "https://schema.org/"
MAX_DEPTH = 4
NOT_LOADED = "ren:contextsNotLoaded"
"""Payload key listing the context references refused for a record (read by the LRMI mapper,
``ren_index.normalize.mappers.lrmi.NOT_LOADED``, which must say the same)."""
MAX_REFERENCES = 5
"""At most this many refused references are kept per record, each cut to :data:`_REFERENCE_CHARS`."""
_REFERENCE_CHARS = 300
NOT_RECORDS = frozenset(
    {
        "Person", "Organization", "AlignmentObject", "EducationalAudience", "Audience", "DefinedTerm",
        "DefinedTermSet", "Concept", "Place", "PostalAddress", "ContactPoint", "ImageObject", "Offer",
        "Rating", "PropertyValue", "Language", "BreadcrumbList", "ListItem", "WebSite", "SearchAction",
    }
)  # fmt: skip
"""schema.org types that describe *values* of a resource, never a resource to index."""


def local_name(iri: str) -> str:
    """``http://schema.org/name`` -> ``name`` (also https and SKOS); other IRIs stay whole."""
    for ns in (SCHEMA, SCHEMA_HTTPS, SKOS):
        if iri.startswith(ns):
            return iri[len(ns) :]
    return iri


def localize_contexts(doc: Any, problems: list[str]) -> Any:
    """A copy of ``doc`` with the bundled contexts written in; any other reference is read as
    schema.org, never fetched, with a problem line (see :func:`.jsonld_contexts.localize`)."""
    localized, refused = localize(doc)
    problems.extend(f"unknown remote @context {ref!r} not fetched; read as schema.org" for ref in refused)
    return localized


def json_documents(body: bytes, problems: list[str]) -> list[Any]:
    """The JSON-LD documents in an answer: the body itself, or the page's ld+json scripts."""
    text = body.decode("utf-8-sig", "replace")
    if text.lstrip()[:1] in ("{", "["):
        try:
            return [loads_bounded(text)]
        except ValueError as exc:  # JSONDecodeError included
            raise HarvestError(f"the JSON-LD document is not valid JSON: {exc}") from exc
    parser = lxml.html.HTMLParser(no_network=True, remove_comments=True)
    try:
        page = lxml.html.document_fromstring(text, parser=parser)
    except (etree.ParserError, ValueError) as exc:
        raise HarvestError(f"neither JSON-LD nor an HTML page: {exc}") from exc
    documents = []
    for number, script in enumerate(page.iter("script"), start=1):
        if (script.get("type") or "").split(";")[0].strip().lower() != "application/ld+json":
            continue
        try:
            documents.append(loads_bounded(script.text or ""))
        except ValueError as exc:
            problems.append(f"script {number}: ld+json that is not valid JSON ({exc}); skipped")
    return documents


def _types(graph: Graph, node: Node) -> list[str]:
    return sorted(local_name(str(t)) for t in graph.objects(node, RDF.type))


def _is_record(graph: Graph, node: Node) -> bool:
    types = _types(graph, node)
    schema_types = [t for t in types if "://" not in t]
    return bool(schema_types) and not any(t in NOT_RECORDS for t in schema_types)


def _value(graph: Graph, obj: Node, depth: int, path: frozenset[Node]) -> Any:
    if isinstance(obj, Literal):
        if obj.language:
            return {"@value": str(obj), "@language": obj.language}
        return obj.toPython() if isinstance(obj.toPython(), bool | int | float) else str(obj)
    nested = isinstance(obj, URIRef | BNode) and obj not in path and depth < MAX_DEPTH
    if nested and (obj, None, None) in graph:
        return compact(graph, obj, depth + 1, path)
    return {"@id": str(obj)} if isinstance(obj, URIRef) else {}


def compact(graph: Graph, node: Node, depth: int = 0, path: frozenset[Node] = frozenset()) -> dict[str, Any]:
    """The node as plain JSON: schema.org local names, every value a sorted list (stable hash)."""
    out: dict[str, Any] = {}
    if isinstance(node, URIRef):
        out["@id"] = str(node)
    types = _types(graph, node)
    if types:
        out["@type"] = types
    values: dict[str, list[Any]] = {}
    for predicate, obj in graph.predicate_objects(node):
        if predicate == RDF.type:
            continue
        value = _value(graph, obj, depth, path | {node})
        if value != {}:
            values.setdefault(local_name(str(predicate)), []).append(value)
    for key in sorted(values):
        out[key] = sorted(values[key], key=lambda v: json.dumps(v, sort_keys=True, ensure_ascii=False))
    return out


def resource_nodes(graph: Graph) -> list[Node]:
    """Record nodes that are no other record node's value, in a stable order."""
    candidates = {s for s in set(graph.subjects(RDF.type, None)) if _is_record(graph, s)}
    nested = {o for s in candidates for _p, o in graph.predicate_objects(s) if o in candidates}
    return sorted(candidates - nested, key=str)


def node_identifier(node: Node, body: dict[str, Any], payload: str) -> str:
    """The node's own IRI, else its ``url``, else a hash of its statements."""
    if isinstance(node, URIRef):
        return str(node)
    for url in body.get("url", []):
        text = url.get("@id") if isinstance(url, dict) else url
        if isinstance(text, str) and text.strip():
            return text.strip()
    return short_hash(payload)


@dataclass
class _Item:
    """One top-level item of a document: its label for messages, its localized JSON, its refusals."""

    label: str
    json: Any
    refused: list[str] = field(default_factory=list)


def _label(item: Any, position: int) -> str:
    """How a problem line names an item: its ``@id`` (or ``id``, ``url``), else its position."""
    if isinstance(item, dict):
        for key in ("@id", "id", "url"):
            value = item.get(key)
            if isinstance(value, str) and value.strip():
                return repr(value.strip()[:200])
    return f"#{position}"


def split_items(doc: Any) -> tuple[dict[str, Any] | None, list[Any]]:
    """The part every item shares (a ``@graph`` document's other keys, its context) and the items."""
    if isinstance(doc, list):
        return None, doc
    if isinstance(doc, dict) and "@graph" in doc:
        graph = doc["@graph"]
        return {k: v for k, v in doc.items() if k != "@graph"}, graph if isinstance(graph, list) else [graph]
    return None, [doc]


def _assemble(shared: dict[str, Any] | None, items: list[Any]) -> Any:
    return items if shared is None else {**shared, "@graph": items}


def read_graph(data: Any, base: str) -> Graph:
    """rdflib's reading of JSON-LD ``data`` that loads no document but the bundled contexts.

    Raises whatever rdflib raises on odd JSON-LD, and :class:`ContextNotBundled` for a reference
    that got past :func:`~ren_index.harvest.jsonld_contexts.localize`.
    """
    graph = Graph()
    with bundled_contexts_only():
        graph.parse(data=json.dumps(data), format="json-ld", base=base)
    return graph


def _refusal_problem(number: int, item: _Item) -> str:
    refs = ", ".join(repr(r[:_REFERENCE_CHARS]) for r in item.refused[:MAX_REFERENCES])
    return (
        f"document {number}, notice {item.label} : contexte JSON-LD non chargé (seuls les contextes "
        f"embarqués sont lus), notice lue comme schema.org / record {item.label}: JSON-LD context "
        f"not fetched (only bundled contexts are read), record read as schema.org: {refs}"
    )


class JsonLdHarvester(DocumentHarvester):
    """Harvest the learning resources described in one JSON-LD document or HTML page."""

    metadata_prefix = FORMAT

    def __init__(self, url: str, client: DocumentClient | None = None) -> None:
        super().__init__(url, client)

    def pages(
        self,
        *,
        set_spec: str | None = None,
        from_: str | None = None,
        until: str | None = None,
        resumption_token: str | None = None,
    ) -> Iterator[Page]:
        """One page holding every resource of the document (a 304 gives an empty one)."""
        fetched = self.fetch_first(self.url)
        if fetched is None:
            yield Page(records=[], request_token=None, next_token=None, state=self.next_state())
            return
        problems: list[str] = []
        try:
            documents = json_documents(fetched.body, problems)
        except HarvestError as exc:
            exc.endpoint = self.url
            raise
        records: dict[str, RawRecord] = {}
        for number, doc in enumerate(documents, start=1):
            self._read_document(number, doc, records, problems)
        if not documents:
            problems.append("no JSON-LD found in the answer")
        yield Page(list(records.values()), None, None, problems=problems, state=self.next_state())

    def _read_document(
        self, number: int, doc: Any, records: dict[str, RawRecord], problems: list[str]
    ) -> None:
        """Add the records of one document: its clean items read together, each flagged one alone."""
        shared, items = split_items(doc)
        if shared is not None and holds_too_deep(shared):
            problems.append(_too_deep_problem(number, "@graph"))
            return
        shared_json, shared_refused = localize(shared) if shared is not None else (None, [])
        clean: list[_Item] = []
        flagged: list[_Item] = []
        for position, item in enumerate(items, start=1):
            label = _label(item, position)
            if holds_too_deep(item):
                problems.append(_too_deep_problem(number, label))
                continue
            localized, refused = localize(item)
            refused = list(dict.fromkeys(shared_refused + refused))
            (flagged if refused else clean).append(_Item(label, localized, refused))
        if clean:
            try:
                graph = read_graph(_assemble(shared_json, [i.json for i in clean]), self.url)
            except Exception:  # one odd item must not cost the others: read them one by one
                for item in clean:
                    self._read_alone(number, shared_json, item, records, problems)
            else:
                self._add_records(number, graph, [], records, problems)
        for item in flagged:
            problems.append(_refusal_problem(number, item))
            self._read_alone(number, shared_json, item, records, problems)

    def _read_alone(
        self,
        number: int,
        shared: dict[str, Any] | None,
        item: _Item,
        records: dict[str, RawRecord],
        problems: list[str],
    ) -> None:
        """One item read on its own; a flagged item gives a record even when nothing reads."""
        try:
            graph = read_graph(_assemble(shared, [item.json]), self.url)
        except ContextNotBundled as exc:  # a reference localize() did not see: refused all the same
            item.refused.append(exc.reference)
            problems.append(_refusal_problem(number, item))
            graph = None
        except Exception as exc:  # rdflib raises many types on odd JSON-LD: data, not a crash
            if not item.refused:
                problems.append(
                    f"document {number}, notice {item.label} : illisible comme JSON-LD, ignorée / record "
                    f"{item.label}: not readable as JSON-LD, skipped ({type(exc).__name__}: {str(exc)[:300]})"
                )
                return
            graph = None
        added = self._add_records(number, graph, item.refused, records, problems) if graph is not None else 0
        if not added and item.refused:
            self._add_bare_record(item, records)

    def _add_records(
        self,
        number: int,
        graph: Graph,
        refused: list[str],
        records: dict[str, RawRecord],
        problems: list[str],
    ) -> int:
        """The graph's resource nodes as raw records (``refused`` noted in each); how many were added."""
        added = 0
        for node in resource_nodes(graph):
            body = compact(graph, node)
            body.pop(NOT_LOADED, None)  # only the harvester writes it
            if refused:
                body[NOT_LOADED] = [r[:_REFERENCE_CHARS] for r in refused[:MAX_REFERENCES]]
            payload = json.dumps({"@context": SCHEMA, **body}, ensure_ascii=False, sort_keys=True)
            identifier = node_identifier(node, body, payload)
            if identifier in records:
                problems.append(f"document {number}: {identifier} described twice; the first is kept")
                continue
            records[identifier] = RawRecord(
                identifier=identifier,
                datestamp=_first_text(body.get("dateModified")),
                deleted=False,
                metadata_prefix=FORMAT,
                payload=payload,
            )
            added += 1
        return added

    def _add_bare_record(self, item: _Item, records: dict[str, RawRecord]) -> None:
        """A flagged item nothing could be read from: a record all the same, to carry its issue."""
        body: dict[str, Any] = {NOT_LOADED: [r[:_REFERENCE_CHARS] for r in item.refused[:MAX_REFERENCES]]}
        raw = item.json if isinstance(item.json, dict) else {}
        for key in ("@id", "id", "url"):
            value = raw.get(key)
            if isinstance(value, str) and value.strip():
                body["@id" if key != "url" else "url"] = value.strip()
                break
        payload = json.dumps({"@context": SCHEMA, **body}, ensure_ascii=False, sort_keys=True)
        identifier = str(body.get("@id") or body.get("url") or short_hash(payload))
        if identifier not in records:
            records[identifier] = RawRecord(
                identifier=identifier, datestamp=None, deleted=False, metadata_prefix=FORMAT, payload=payload
            )


def _too_deep_problem(number: int, label: str) -> str:
    return (
        f"document {number}, notice {label} : imbrication de plus de {MAX_JSON_DEPTH} niveaux, notice "
        f"ignorée / record {label}: nested deeper than {MAX_JSON_DEPTH} levels, skipped"
    )


def _first_text(values: Any) -> str | None:
    for value in values or []:
        text = value.get("@value") if isinstance(value, dict) else value
        if isinstance(text, str):
            return text[:32]
    return None
