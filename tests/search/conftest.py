"""API-test fixtures: the router on a bare FastAPI app, against a throw-away index prefix.

The app factory lives elsewhere (``web/app.py``); these tests need only the router, the
settings on ``app.state`` and the real OpenSearch node.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from opensearchpy import OpenSearch

from ren_index.config.vocabularies import Vocabularies, load_vocabularies
from ren_index.index.client import make_client
from ren_index.settings import Settings, load_settings
from ren_index.web import routes_api

CONFIG_DIR = Path(__file__).resolve().parents[2] / "config"


@pytest.fixture(scope="session")
def vocabularies() -> Vocabularies:
    return load_vocabularies(CONFIG_DIR)


def make_api(settings: Settings) -> FastAPI:
    """What ``create_app`` does for the search API: settings on the state, the router included."""
    app = FastAPI()
    app.state.settings = settings
    app.include_router(routes_api.router)
    return app


@pytest.fixture(scope="module")
def api_prefix(opensearch_url: str) -> Iterator[str]:
    """A prefix of this test module alone; its indices and aliases go at teardown."""
    prefix = f"api{secrets.token_hex(4)}"
    yield prefix
    make_client(Settings(opensearch_url=opensearch_url)).indices.delete(
        index=f"{prefix}-*", ignore_unavailable=True
    )


@pytest.fixture(scope="module")
def api_settings(
    opensearch_url: str,
    api_prefix: str,
    tmp_path_factory: pytest.TempPathFactory,
    session_ledger_url: Callable[..., str],
) -> Settings:
    data = tmp_path_factory.mktemp("api")
    return load_settings(
        data_dir=data,
        database_url=session_ledger_url("l", folder=data),
        opensearch_url=opensearch_url,
        index_prefix=api_prefix,
        config_dir=CONFIG_DIR,
    )


@pytest.fixture(scope="module")
def os_api_client(api_settings: Settings) -> OpenSearch:
    return make_client(api_settings)


@pytest.fixture(scope="module")
def http(api_settings: Settings) -> Iterator[TestClient]:
    with TestClient(make_api(api_settings)) as client:
        yield client
