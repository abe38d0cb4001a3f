"""JSON on the search API's hot path: orjson, giving exactly the standard library's results.

Why: a search answer from OpenSearch is 20–60 KB (hits, highlights, eight facets of up to 100
buckets) and the API's answer about as large; parsing the one with :func:`json.loads` and writing
the other with :func:`json.dumps` was about a third of the API's own time per request (issue 17:
the API is held to 1.15× the latency of asking OpenSearch directly). orjson does both several
times faster.

Same results, not only "valid JSON":

- :class:`OrjsonSerializer` parses into the same Python objects as opensearch-py's
  ``JSONSerializer`` (dicts in document order, ints, floats, strings); a text orjson refuses (a
  lone surrogate escape, which :func:`json.loads` accepts) is parsed by the standard library, as
  before. Request bodies are still written by opensearch-py's own ``dumps`` (they are small).
- :func:`dumps` writes the bytes Starlette's ``JSONResponse`` writes (``ensure_ascii=False``,
  compact separators, no NaN) for what the API sends: str keys, str / int / bool / None values,
  lists and dicts (tests/search/test_api_bytes.py compares them). Anything orjson refuses (a
  non-str key, an int past 64 bits) goes through the standard library, so it fails, or not, as
  before. One difference: a float NaN or infinity, refused before (a 500), is written ``null``;
  the API's answers hold no float (totals and counts are ints, OpenSearch writes no NaN).
"""

from __future__ import annotations

import json
from typing import Any

import orjson
from opensearchpy import OpenSearch
from opensearchpy.serializer import DEFAULT_SERIALIZERS, Deserializer, JSONSerializer


class OrjsonSerializer(JSONSerializer):
    """opensearch-py's JSON serializer, reading answers with orjson (writing as before)."""

    def loads(self, s: str) -> Any:
        try:
            return orjson.loads(s)
        except orjson.JSONDecodeError:
            return super().loads(s)  # what orjson refuses but json accepts (lone surrogates)


def fast_reader(client: OpenSearch) -> OpenSearch:
    """``client`` reading its JSON answers with :class:`OrjsonSerializer`; returned for chaining.

    Only the answers' parser changes: hosts, retries, timeouts and compression stay those of
    :func:`ren_index.index.client.make_client`.
    """
    serializers = {**DEFAULT_SERIALIZERS, JSONSerializer.mimetype: OrjsonSerializer()}
    client.transport.deserializer = Deserializer(serializers)
    return client


def dumps(content: Any) -> bytes:
    """``content`` as the bytes of Starlette's ``JSONResponse`` (UTF-8, compact), via orjson."""
    try:
        return orjson.dumps(content)
    except TypeError:  # orjson.JSONEncodeError is a TypeError
        return json.dumps(
            content, ensure_ascii=False, allow_nan=False, indent=None, separators=(",", ":")
        ).encode("utf-8")
