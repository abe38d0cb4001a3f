"""Index-test fixtures: a client on the live node, a throw-away index prefix per session, the
project's vocabularies, and the duplicates corpus with its groups found and a translation confirmed."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from opensearchpy import OpenSearch
from tests.duplicates.ledger_corpus import DupLedger, build

from ren_index.config.vocabularies import Vocabularies, load_vocabularies
from ren_index.index.client import make_client
from ren_index.review.duplicate_actions import label
from ren_index.settings import Settings
from ren_index.steps.duplicates import find_duplicates

CONFIG = Path(__file__).resolve().parents[2] / "config"


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


@pytest.fixture(scope="session")
def vocabularies() -> Vocabularies:
    return load_vocabularies(CONFIG)


@pytest.fixture
def dup(ledger_url: Callable[..., str]) -> DupLedger:
    """The duplicates corpus, its duplicates found, the translation confirmed by a documentalist."""
    built = build(ledger_url)
    find_duplicates(built.factory)
    label(built.factory, built.ids["chimie-editeur"], built.ids["chemistry-en"], "translation", "marie")
    return built
