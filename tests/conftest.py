"""Shared fixtures. Integration tests use the real OpenSearch at ``REN_OPENSEARCH_URL``."""

from __future__ import annotations

import json
import os
import urllib.request

import pytest

DEFAULT_OPENSEARCH_URL = "http://localhost:9200"


@pytest.fixture(scope="session")
def opensearch_url() -> str:
    """The URL of a live OpenSearch (``REN_OPENSEARCH_URL``); skips the test when none answers.

    ``scripts/test`` (and so CI) starts the node before pytest and sets
    ``REN_REQUIRE_OPENSEARCH=1``: there a missing node is a failure, never a silent skip. On a
    laptop running plain ``pytest`` without a node they are skipped with the remedy.
    """
    required = os.environ.get("REN_REQUIRE_OPENSEARCH") == "1"
    url = os.environ.get("REN_OPENSEARCH_URL", DEFAULT_OPENSEARCH_URL).rstrip("/")
    try:
        with urllib.request.urlopen(f"{url}/_cluster/health", timeout=3) as response:
            status = json.loads(response.read())["status"]
    except Exception as exc:
        if required:
            pytest.fail(f"REN_REQUIRE_OPENSEARCH=1 but no OpenSearch answers at {url}: {exc}")
        pytest.skip(
            f"no OpenSearch answers at {url} ({exc.__class__.__name__}); run "
            "`ren-index opensearch start` or set REN_OPENSEARCH_URL"
        )
    if status not in ("green", "yellow"):
        if required:
            pytest.fail(f"OpenSearch at {url} is {status}")
        pytest.skip(f"OpenSearch at {url} is {status}")
    return url
