"""Speed-ups of issue 17 change no result: normalize → validate → decide, record by record.

``tests/fixtures/pipeline/expected.json.gz`` was produced by **commit 8edb4e3's code** (before
the pipeline was optimised) with ``tests/fixtures/pipeline/produce.py``: 3,000 records of the
benchmark corpus (``bench/validate_pipeline.py``'s generator, a fixed seed, LOM and oai_dc,
French and English), 60 of them again under another identifier (duplicate URLs), every 7th with
a source default language. It holds the payloads and, for each, the resource JSON, the issues
and the decision. This test runs today's code on the same payloads and compares everything: a
cache that leaks a value between records, a precompiled search that misses a node or a skipped
detection that mattered shows up here as the first record that differs.
"""

from __future__ import annotations

import gzip
import importlib.util
import json
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
FIXTURE = ROOT / "tests" / "fixtures" / "pipeline"


def _producer() -> ModuleType:
    """``produce.py`` loaded from its path (the fixture folder is not a package)."""
    spec = importlib.util.spec_from_file_location("pipeline_produce", FIXTURE / "produce.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _first_difference(expected: Any, actual: Any, path: str = "") -> str:
    """Where two JSON values first differ, as a readable path (the assert message)."""
    if isinstance(expected, dict) and isinstance(actual, dict):
        for key in sorted(set(expected) | set(actual)):
            if expected.get(key) != actual.get(key):
                return _first_difference(expected.get(key), actual.get(key), f"{path}.{key}")
    if isinstance(expected, list) and isinstance(actual, list) and len(expected) == len(actual):
        for n, (e, a) in enumerate(zip(expected, actual, strict=True)):
            if e != a:
                return _first_difference(e, a, f"{path}[{n}]")
    return f"{path}: expected {expected!r}, got {actual!r}"


@pytest.mark.parametrize("chunk", [0, 500], ids=["per-record", "languages-detected-per-chunk"])
def test_every_result_matches_the_code_before_the_speed_ups(chunk: int) -> None:
    """Both ways of detecting languages: while validating, and ahead for a chunk (``with_detections``)."""
    with gzip.open(FIXTURE / "expected.json.gz", "rt", encoding="utf-8") as fh:
        fixture = json.load(fh)
    inputs = [tuple(item) for item in fixture["inputs"]]
    expected = fixture["results"]
    assert len(inputs) == len(expected) == 3_060
    actual = _producer().results(ROOT / "config", inputs, chunk=chunk)
    # Round-trip through JSON as the fixture did (tuples → lists, key order irrelevant).
    actual = json.loads(json.dumps(actual, ensure_ascii=False))
    for n, (before, now) in enumerate(zip(expected, actual, strict=True)):
        assert now == before, f"record {n} ({inputs[n][0]}): {_first_difference(before, now)}"
