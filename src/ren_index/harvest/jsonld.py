"""JSON-LD / schema.org / LRMI harvester (rdflib): one learning resource = one raw record.

The URL answers either JSON-LD (an object, an array, or a ``@graph`` listing) or an HTML page
with one or more ``<script type="application/ld+json">``. Publishers write the same statements
in many JSON shapes (``"name"`` under ``@vocab``, ``"schema:name"``, full IRIs, AMB's ``id`` /
``type`` aliases), so every document goes through rdflib and is read back as a graph: the mapper
then sees one shape. Each root ``CreativeWork``-like node (a node with a schema.org type that is
not a person, an organization or a vocabulary term, and is not itself a value of another such
node — a course's ``hasPart`` stays inside the course) is compacted back to plain JSON with
schema.org local names: that JSON is the payload, ``@id`` (or ``url``) the identifier.

Remote ``@context`` URLs are never fetched (harvested content is hostile, and a context server
down must not stop a harvest): the schema.org and AMB contexts are known here, any other is read
as schema.org with a problem line saying so.
"""

from __future__ import annotations

import copy
import json
import logging
from collections.abc import Iterator
from typing import Any

import lxml.html
from lxml import etree
from rdflib import RDF, BNode, Graph, Literal, URIRef
from rdflib.term import Node

from ren_index.errors import HarvestError
from ren_index.harvest.base import Page, RawRecord
from ren_index.harvest.documents import DocumentClient, DocumentHarvester, short_hash

log = logging.getLogger(__name__)

FORMAT = "lrmi"
SCHEMA = "http://schema.org/"
SCHEMA_HTTPS = "https://schema.org/"
SKOS = "http://www.w3.org/2004/02/skos/core#"
MAX_DEPTH = 4

SCHEMA_CONTEXT: dict[str, Any] = {"@vocab": SCHEMA, "id": "@id", "type": "@type"}
AMB_CONTEXT: dict[str, Any] = {
    **SCHEMA_CONTEXT,
    "skos": SKOS,
    "prefLabel": {"@id": "skos:prefLabel", "@container": "@language"},
    "inScheme": "skos:inScheme",
    "Concept": "skos:Concept",
}
KNOWN_CONTEXTS: dict[str, dict[str, Any]] = {
    "http://schema.org": SCHEMA_CONTEXT,
    "https://schema.org": SCHEMA_CONTEXT,
    "https://schema.org/docs/jsonldcontext.json": SCHEMA_CONTEXT,
    "https://w3id.org/kim/amb/context.jsonld": AMB_CONTEXT,
    "https://w3id.org/kim/lrmi-profile/draft/context.jsonld": AMB_CONTEXT,
}
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
    """A copy of ``doc`` whose remote ``@context`` references are replaced by local definitions."""

    def resolve(ctx: Any) -> Any:
        if isinstance(ctx, list):
            return [resolve(c) for c in ctx]
        if isinstance(ctx, str):
            key = ctx.strip().rstrip("/")
            if key in KNOWN_CONTEXTS or key + "/" in KNOWN_CONTEXTS:
                return KNOWN_CONTEXTS.get(key) or KNOWN_CONTEXTS[key + "/"]
            problems.append(f"unknown remote @context {ctx!r} not fetched; read as schema.org")
            return SCHEMA_CONTEXT
        return ctx

    def walk(node: Any) -> Any:
        if isinstance(node, list):
            return [walk(n) for n in node]
        if isinstance(node, dict):
            return {k: resolve(v) if k == "@context" else walk(v) for k, v in node.items()}
        return node

    return walk(copy.deepcopy(doc))


def json_documents(body: bytes, problems: list[str]) -> list[Any]:
    """The JSON-LD documents in an answer: the body itself, or the page's ld+json scripts."""
    text = body.decode("utf-8-sig", "replace")
    if text.lstrip()[:1] in ("{", "["):
        try:
            return [json.loads(text)]
        except json.JSONDecodeError as exc:
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
            documents.append(json.loads(script.text or ""))
        except json.JSONDecodeError as exc:
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
            graph = Graph()
            data = json.dumps(localize_contexts(doc, problems))
            try:
                graph.parse(data=data, format="json-ld", base=self.url)
            except Exception as exc:  # rdflib raises many types on odd JSON-LD: data, not a crash
                problems.append(f"document {number}: not readable as JSON-LD ({type(exc).__name__}: {exc})")
                continue
            for node in resource_nodes(graph):
                body = compact(graph, node)
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
        if not documents:
            problems.append("no JSON-LD found in the answer")
        yield Page(list(records.values()), None, None, problems=problems, state=self.next_state())


def _first_text(values: Any) -> str | None:
    for value in values or []:
        text = value.get("@value") if isinstance(value, dict) else value
        if isinstance(text, str):
            return text[:32]
    return None
