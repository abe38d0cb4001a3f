"""Index-test fixtures: a client on the live node and a throw-away index prefix per session."""

from __future__ import annotations

import secrets
from collections.abc import Iterator

import pytest
from opensearchpy import OpenSearch

from ren_index.index.client import make_client
from ren_index.settings import Settings


@pytest.fixture(scope="session")
def os_client(opensearch_url: str) -> OpenSearch:
    return make_client(Settings(opensearch_url=opensearch_url))


@pytest.fixture(scope="session")
def session_prefix(os_client: OpenSearch) -> Iterator[str]:
    """A prefix no one else uses (``test<hex>``); its indices and aliases go at teardown."""
    prefix = f"test{secrets.token_hex(4)}"
    yield prefix
    os_client.indices.delete(index=f"{prefix}-*", ignore_unavailable=True)


@pytest.fixture
def prefix(session_prefix: str, request: pytest.FixtureRequest) -> str:
    """A prefix per test (under the session prefix), so tests never see each other's documents."""
    name = request.node.name.lower()
    short = "".join(c for c in name if c.isalnum())[-20:]
    return f"{session_prefix}-{short}"
