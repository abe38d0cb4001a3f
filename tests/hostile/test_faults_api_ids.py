"""``/api/resources/{id}`` with ids no resource can have (issue 10, point 8).

An id over OpenSearch's 512-byte limit on ``_id`` used to come back as 503 "search unavailable"
(OpenSearch answers 400, which the API took for an outage): a wrong address looked like a broken
service to the portals' monitoring. Such an id names no resource: 404, without asking OpenSearch.
A real outage is still a 503.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from ren_index.config.rules import load_portals
from ren_index.index.bulk import send
from ren_index.index.client import make_client
from ren_index.index.documents import to_document
from ren_index.index.schema import ensure_index
from ren_index.model import General, Provenance, Resource
from ren_index.settings import Settings, load_settings
from ren_index.web import routes_api

CONFIG = Path(__file__).resolve().parents[2] / "config"
KNOWN = "a" * 40


def _api(settings: Settings) -> TestClient:
    app = FastAPI()
    app.state.settings = settings
    app.include_router(routes_api.router)
    return TestClient(app)


@pytest.fixture(scope="module")
def api(opensearch_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    prefix = f"ids{secrets.token_hex(4)}"
    settings = load_settings(
        data_dir=tmp_path_factory.mktemp("ids"), opensearch_url=opensearch_url, index_prefix=prefix,
        config_dir=CONFIG,
    )  # fmt: skip
    client = make_client(settings)
    ensure_index(client, prefix, portals=list(load_portals(CONFIG)))
    resource = Resource(
        provenance=Provenance(source="demo", identifier="x", metadata_format="oai_dc"),
        general=General(title={"fr": "Les fractions"}),
    )
    document = to_document(resource, record_id=KNOWN, status="approved", portals=["pavillon"])
    assert send(client, f"{prefix}-resources", [(KNOWN, document)], []).indexed == [KNOWN]
    try:
        with _api(settings) as http:
            yield http
    finally:
        client.indices.delete(index=f"{prefix}-*", ignore_unavailable=True)


@pytest.mark.integration
def test_a_known_id_still_answers(api: TestClient) -> None:
    answer = api.get(f"/api/resources/{KNOWN}")
    assert answer.status_code == 200 and answer.json()["title"]["fr"] == "Les fractions"


@pytest.mark.integration
@pytest.mark.parametrize(
    "resource_id",
    [
        "b" * 40,  # well formed, unknown
        "x" * 512,  # the longest id OpenSearch takes
        "x" * 513,
        "é" * 257,  # 514 bytes in UTF-8, 257 characters
        "y" * 4_100,  # the ~4 KB of the report
        "z" * 12_000,
        "%20" * 2_000,  # spaces
        "a" * 39 + "%3F" * 1_500,  # "?" after a plausible start
    ],
)
def test_ids_no_resource_can_have_are_404_not_503(api: TestClient, resource_id: str) -> None:
    answer = api.get(f"/api/resources/{resource_id}")
    assert answer.status_code == 404, (answer.status_code, answer.text[:200])
    assert "ressource introuvable / no such resource" in answer.json()["detail"]
    assert len(answer.content) < 500  # the id is not echoed whole


def test_an_outage_is_still_503_but_a_long_id_is_404_without_asking(tmp_path: Path) -> None:
    down = load_settings(data_dir=tmp_path, opensearch_url="http://127.0.0.1:9", opensearch_timeout=2)
    with _api(down) as http:
        assert http.get(f"/api/resources/{KNOWN}").status_code == 503
        assert http.get(f"/api/resources/{'y' * 4_100}").status_code == 404
