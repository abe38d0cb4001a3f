"""JSON-LD contexts: the only ones ren-index reads are bundled here, and nothing is ever loaded.

Harvested JSON-LD is hostile content. A ``@context`` may be a URL at any depth — the document's
own, a node's, a term definition's (property-scoped), a type's (type-scoped), an ``@import`` —
and a JSON-LD processor *loads* what it names: over http (a request to an internal address on
the harvester's behalf, or a server that never answers and hangs the harvest) and from
``file://`` (a local file read into a stored record; a missing one showing in the events, an
existence oracle). So two locks, one behind the other:

1. :func:`localize` rewrites a JSON value before rdflib sees it: every reference to a bundled
   context (schema.org, AMB, LRMI) becomes its local definition, every other one is *refused* —
   returned to the caller, which makes it a problem of that record — and replaced by the schema.org
   context (``@import`` of an unknown context is dropped). It walks the literal ``@context`` and
   ``@import`` keys, which are the only keys rdflib reads contexts from (``@context`` cannot be
   aliased in JSON-LD).
2. :func:`bundled_contexts_only` is the seam in rdflib itself, for whatever (1) could miss. rdflib
   7 has no document-loader option: every context it loads, whatever the depth, goes through
   ``Context._fetch_context``, which calls the name ``source_to_json`` of the module
   ``rdflib.plugins.shared.jsonld.context`` (``Context`` objects are built with that class written
   out in three places, so a subclass would not see scoped contexts). While the manager is
   active, that name is :func:`load_bundled`: bundled contexts are served from here, anything else
   raises :class:`ContextNotBundled`. Nothing is fetched, so nothing can hang.

The walkers recurse: they run only on JSON whose depth :mod:`ren_index.harvest.jsondepth` has
bounded.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from rdflib.plugins.shared.jsonld import context as rdflib_context

from ren_index.errors import RenIndexError

SCHEMA = "http://schema.org/"
SKOS = "http://www.w3.org/2004/02/skos/core#"

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
"""The bundled contexts, by URL (with or without a final ``/``). Nothing else is ever read."""

_SEAM = "source_to_json"
"""The name, in rdflib's context module, through which every context load goes (rdflib 7)."""


class ContextNotBundled(RenIndexError):
    """rdflib asked for a context that is not bundled: refused, never loaded.

    A record-level problem reaching us through rdflib (not a run failure): the harvester turns it
    into that record's ``JSONLD_REMOTE_CONTEXT`` issue.
    """

    def __init__(self, reference: str) -> None:
        self.reference = reference
        super().__init__(f"JSON-LD context not bundled, not loaded: {reference[:300]!r}")


def bundled_context(reference: str) -> dict[str, Any] | None:
    """A fresh copy of the bundled context a reference names, or ``None``.

    A copy because rdflib writes into what it is given (``@import`` merges into the imported
    definition): the bundled definitions must stay as they are for the next record.
    """
    key = reference.strip().rstrip("/")
    found = KNOWN_CONTEXTS.get(key) or KNOWN_CONTEXTS.get(key + "/")
    return copy.deepcopy(found) if found is not None else None


def load_bundled(source: Any, fragment_id: Any = None, extract_all_scripts: Any = False) -> tuple[Any, Any]:
    """The loader rdflib calls while :func:`bundled_contexts_only` is active (``source_to_json``'s shape).

    Serves the bundled contexts as JSON-LD context documents; raises :class:`ContextNotBundled`
    for anything else — any scheme, any host, a file, a relative reference — without opening it.
    """
    reference = source if isinstance(source, str) else repr(source)
    found = bundled_context(reference) if isinstance(source, str) else None
    if found is None:
        raise ContextNotBundled(reference)
    return {"@context": found}, None


_LOCK = threading.Lock()
_ACTIVE = {"users": 0}
_ORIGINAL: list[Callable[..., Any]] = []


@contextmanager
def bundled_contexts_only() -> Iterator[None]:
    """While active, the JSON-LD processor of rdflib loads nothing but the bundled contexts.

    Counted, so that harvests in several threads of one process share it: the first to enter puts
    :func:`load_bundled` in place, the last to leave puts rdflib's own function back. Fails
    closed: if rdflib no longer has the seam, this raises instead of letting a parse fetch.
    """
    with _LOCK:
        if _ACTIVE["users"] == 0:
            original = getattr(rdflib_context, _SEAM, None)
            if original is None or not hasattr(rdflib_context.Context, "_fetch_context"):
                raise RenIndexError(
                    "rdflib's JSON-LD context loader is not where ren-index expects it "
                    f"(rdflib.plugins.shared.jsonld.context.{_SEAM}); refusing to parse JSON-LD"
                )
            _ORIGINAL[:] = [original]
            setattr(rdflib_context, _SEAM, load_bundled)
        _ACTIVE["users"] += 1
    try:
        yield
    finally:
        with _LOCK:
            _ACTIVE["users"] -= 1
            if _ACTIVE["users"] == 0:
                setattr(rdflib_context, _SEAM, _ORIGINAL[0])


def localize(value: Any) -> tuple[Any, list[str]]:
    """A copy of ``value`` with bundled contexts written in and every other reference refused.

    Returns the copy and the refused references, in document order, each once. A refused
    ``@context`` reference is read as schema.org (the project's long-standing reading of an
    unknown context); a refused ``@import`` is dropped. Nothing is opened.
    """
    refused: list[str] = []

    def refuse(reference: str) -> None:
        if reference not in refused:
            refused.append(reference)

    def context(ctx: Any) -> Any:
        if isinstance(ctx, list):
            return [context(c) for c in ctx]
        if isinstance(ctx, str):
            found = bundled_context(ctx)
            if found is None:
                refuse(ctx)
                return copy.deepcopy(SCHEMA_CONTEXT)
            return found
        if isinstance(ctx, dict):
            # rdflib unwraps a context holding its own "@context" (a context document's shape)
            definition = {
                k: context(v) if k == "@context" else walk(v) for k, v in ctx.items() if k != "@import"
            }
            imported = ctx.get("@import")
            if isinstance(imported, str):
                found = bundled_context(imported)
                if found is None:
                    refuse(imported)
                    return definition
                return {**found, **definition}
            if imported is not None:  # not a string: rdflib rejects it, and we keep it for that
                definition["@import"] = imported
            return definition
        return ctx

    def walk(node: Any) -> Any:
        if isinstance(node, list):
            return [walk(n) for n in node]
        if isinstance(node, dict):
            return {k: context(v) if k == "@context" else walk(v) for k, v in node.items()}
        return node

    return walk(value), refused
