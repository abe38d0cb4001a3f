"""orjson where the standard library was: the same objects in, the same bytes out, the same
fallbacks where orjson refuses what ``json`` accepts (pure, no server)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from opensearchpy.serializer import JSONSerializer

from ren_index.search.fast_json import OrjsonSerializer, dumps


def _starlette(content: Any) -> bytes:
    """What Starlette's ``JSONResponse.render`` writes."""
    return json.dumps(
        content, ensure_ascii=False, allow_nan=False, indent=None, separators=(",", ":")
    ).encode()


@pytest.mark.parametrize(
    "content",
    [
        {"total": 3, "results": [], "facets": {"level": []}},
        {"t": 'é " \\ \x00\x1f\x7f \t\n\r\b\f \u2028\u2029 😀 </script> &amp;', "n": [None, True, False, -1]},
        {"big": 2**63 - 1, "deep": [[[{"a": [1]}]]], "": ""},
        {1: "a non-str key: orjson refuses it, json writes it"},
        {"huge": 2**70},  # past 64 bits: json writes it
    ],
)
def test_dumps_writes_starlettes_bytes(content: Any) -> None:
    assert dumps(content) == _starlette(content)


def test_nan_is_the_one_difference() -> None:
    """JSONResponse refused NaN (a 500); orjson writes null. The API sends no float at all (counts
    and totals are ints, OpenSearch writes no NaN), so no answer changes: stated, not hidden."""
    with pytest.raises(ValueError):
        _starlette({"nan": float("nan")})
    assert dumps({"nan": float("nan")}) == b'{"nan":null}'


@pytest.mark.parametrize(
    "text",
    [
        '{"hits":{"total":{"value":2},"hits":[{"_id":"a","_score":1.5,"_source":{"t":["é\\u00e9"]}}]}}',
        '{"lone":"\\ud800","big":123456789012345678901234567890}',  # orjson refuses both
        '{"k":1,"k":2}',
    ],
)
def test_loads_reads_what_opensearch_py_read(text: str) -> None:
    assert OrjsonSerializer().loads(text) == JSONSerializer().loads(text)
