"""ETag, If-None-Match → 304, Cache-Control and API-Version on the real app over the real index.

One app (``create_app``) per module, reading a throw-away index of three approved resources in
the real OpenSearch; its ledger is SQLite or PostgreSQL (``REN_TEST_POSTGRES_URL``), holding a
documentalist (for the review session cookie) and a contributing platform (for its key).
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.responses import StreamingResponse
from fastapi.testclient import TestClient
from httpx import Response

from ren_index.config.rules import load_portals
from ren_index.config.vocabularies import load_vocabularies
from ren_index.contributions.platforms import create_platform
from ren_index.index.bulk import send
from ren_index.index.client import make_client
from ren_index.index.documents import to_document
from ren_index.index.schema import ensure_index
from ren_index.model import Controlled, General, Provenance, Resource, Technical
from ren_index.settings import Settings, load_settings
from ren_index.web import accounts, http_cache
from ren_index.web.app import create_app

from .conftest import PASSWORD, login

pytestmark = pytest.mark.integration

CONFIG = Path(__file__).resolve().parents[2] / "config"
PORTAL_IDS = list(load_portals(CONFIG))
NIV = "https://w3id.org/ren-index/vocab/niveaux/"
PUBLIC = "public, max-age=60"
PRIVATE = "private, no-store"

TITLES = {
    "frac": "Les fractions au primaire",
    "frac2": "Fractions et proportions",
    "climat": "Le climat en classe",
}


def _resource(title: str) -> Resource:
    return Resource(
        provenance=Provenance(
            source="eduq", identifier=title, metadata_format="oai_lom", datestamp="2024-01-01"
        ),
        general=General(title={"fr": title}, description={"fr": f"{title} : activités pour la classe."}),
        technical=Technical(locations=["https://ex.org/r"]),
        controlled=Controlled(
            languages=["fr"],
            levels=[NIV + "primaire-4"],
            licence="http://creativecommons.org/licenses/by/4.0/",
        ),
    )


@pytest.fixture(scope="module")
def settings(
    opensearch_url: str, tmp_path_factory: pytest.TempPathFactory, session_ledger_url: Callable[..., str]
) -> Iterator[Settings]:
    data = tmp_path_factory.mktemp("http-cache")
    prefix = f"hc{secrets.token_hex(4)}"
    settings = load_settings(
        data_dir=data,
        database_url=session_ledger_url("ren-index", folder=data),
        opensearch_url=opensearch_url,
        index_prefix=prefix,
        config_dir=CONFIG,
        login_failure_delay=0,
    )
    client = make_client(settings)
    vocabularies = load_vocabularies(CONFIG)
    ensure_index(client, prefix, portals=PORTAL_IDS)
    docs = [
        (rid, to_document(_resource(title), record_id=rid, status="approved", portals=["ecole-ouverte"],
                          vocabularies=vocabularies))
        for rid, title in TITLES.items()
    ]  # fmt: skip
    assert not send(client, f"{prefix}-resources", docs, []).failed
    client.indices.refresh(index=f"{prefix}-resources")
    try:
        yield settings
    finally:
        client.indices.delete(index=f"{prefix}-*", ignore_unavailable=True)
        client.close()


@pytest.fixture(scope="module")
def app(settings: Settings) -> FastAPI:
    app = create_app(settings)
    with app.state.ledger() as session:
        accounts.set_user(session, "dora", "documentalist", PASSWORD, actor="test")
        session.commit()
    return app


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, follow_redirects=False) as test_client:
        yield test_client


READS = [
    "/api/search?q=fractions",
    "/api/search",
    "/api/suggest?q=fra",
    "/api/resources/frac",
    "/oai?verb=Identify",
]


def _ok(client: TestClient, path: str, **headers: str) -> Response:
    response = client.get(path, headers=headers)
    assert response.status_code == 200, response.text
    return response


@pytest.mark.parametrize("path", READS)
def test_anonymous_read_is_public_tagged_and_answers_304(client: TestClient, path: str) -> None:
    first = _ok(client, path)
    tag = first.headers["etag"]
    assert first.headers["cache-control"] == PUBLIC
    assert tag.startswith('W/"' if path.startswith("/oai") else '"') and tag.endswith('"')

    again = client.get(path, headers={"If-None-Match": tag})
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["etag"] == tag and again.headers["cache-control"] == PUBLIC
    assert "content-length" not in again.headers or again.headers["content-length"] == "0"
    # the tag among others, or sent weak: still the same representation (weak comparison)
    listed = client.get(path, headers={"If-None-Match": f'"other", {tag}'})
    assert listed.status_code == 304
    assert client.get(path, headers={"If-None-Match": "W/" + tag.removeprefix("W/")}).status_code == 304


@pytest.mark.parametrize("path", READS)
def test_a_wrong_tag_gets_the_whole_answer(client: TestClient, path: str) -> None:
    first = _ok(client, path)
    other = _ok(client, path, **{"If-None-Match": '"0123456789abcdef0123456789abcdef"'})
    assert other.content == first.content or path.startswith("/oai")  # /oai stamps the time
    assert other.headers["etag"] == first.headers["etag"]


def test_the_tag_follows_the_content(client: TestClient) -> None:
    frac = _ok(client, "/api/search?q=fractions").headers["etag"]
    climat = _ok(client, "/api/search?q=climat").headers["etag"]
    resource = _ok(client, "/api/resources/climat").headers["etag"]
    assert len({frac, climat, resource}) == 3
    old = _ok(client, "/api/search?q=fractions&size=1")
    assert (
        client.get("/api/search?q=fractions", headers={"If-None-Match": old.headers["etag"]}).status_code
        == 200
    )


def test_oai_tag_ignores_the_response_date(client: TestClient) -> None:
    first = _ok(client, "/oai?verb=Identify")
    time.sleep(1.1)  # the next answer's <responseDate> is another second
    second = client.get("/oai?verb=Identify", headers={"If-None-Match": first.headers["etag"]})
    assert second.status_code == 304
    third = _ok(client, "/oai?verb=Identify")
    assert third.text != first.text and third.headers["etag"] == first.headers["etag"]


@pytest.mark.parametrize("path", ["/api/resources/nope", "/api/search?page=0", "/api/suggest"])
def test_errors_are_not_tagged_nor_cached(client: TestClient, path: str) -> None:
    response = client.get(path, headers={"If-None-Match": "*"})
    assert response.status_code in (404, 422)
    assert "etag" not in response.headers
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["api-version"] == "1"


def test_review_session_makes_every_read_private(client: TestClient) -> None:
    tag = _ok(client, "/api/search?q=fractions").headers["etag"]
    assert login(client, "dora").status_code == 303
    assert "ren_session" in client.cookies
    for path in READS:
        response = client.get(
            path, headers={"If-None-Match": tag if path.startswith("/api/search?q") else "*"}
        )
        assert response.status_code == 200, path
        assert response.headers["cache-control"] == PRIVATE, path
        assert "etag" not in response.headers, path


def test_authorization_header_makes_a_read_private(client: TestClient) -> None:
    tag = _ok(client, "/api/resources/frac").headers["etag"]
    response = client.get(
        "/api/resources/frac", headers={"If-None-Match": tag, "Authorization": "Bearer anything"}
    )
    assert response.status_code == 200
    assert response.headers["cache-control"] == PRIVATE and "etag" not in response.headers


def test_contributions_api_is_private_with_its_key(client: TestClient, app: FastAPI) -> None:
    _info, key = create_platform(
        app.state.ledger, f"ma-classe-{secrets.token_hex(3)}", portal="ecole-ouverte", portals=PORTAL_IDS
    )
    listed = client.get("/api/contributions", headers={"Authorization": f"Bearer {key}"})
    assert listed.status_code == 200, listed.text
    assert listed.headers["cache-control"] == PRIVATE and "etag" not in listed.headers
    assert listed.headers["api-version"] == "1"
    refused = client.get("/api/contributions")
    assert refused.status_code == 401
    assert refused.headers["cache-control"] == PRIVATE and "etag" not in refused.headers
    schema = _ok(client, "/api/contributions/schema")
    assert schema.headers["cache-control"] == PRIVATE and "etag" not in schema.headers


def test_a_language_cookie_is_never_shared(client: TestClient) -> None:
    response = _ok(client, "/api/search?q=fractions&lang=en")
    assert "set-cookie" in response.headers
    assert response.headers["cache-control"] == PRIVATE and "etag" not in response.headers


def test_version_header_on_every_api_answer_and_nowhere_else(client: TestClient) -> None:
    for path in ["/api/search", "/api/resources/frac", "/api/example", "/api/contributions/schema"]:
        assert client.get(path).headers["api-version"] == "1", path
    for path in ["/oai?verb=Identify", "/healthz", "/review/login"]:
        assert "api-version" not in client.get(path).headers, path
    assert "etag" not in client.get("/healthz").headers


def test_a_review_page_keeps_its_own_no_store(client: TestClient) -> None:
    page = client.get("/review/login")
    assert page.headers["cache-control"] == "no-store" and "etag" not in page.headers


# -- streamed answers --------------------------------------------------------------------------


def _streaming_app(chunks: list[bytes]) -> FastAPI:
    """A route at a cacheable path answering in chunks, behind the middleware alone."""
    app = FastAPI()

    @app.get("/api/search")
    def stream() -> StreamingResponse:
        return StreamingResponse(iter(chunks), media_type="application/json")

    app.add_middleware(http_cache.HttpCacheMiddleware)
    return app


def test_a_streamed_answer_is_tagged_when_short() -> None:
    chunks = [b'{"a": ', b"1", b"}"]
    with TestClient(_streaming_app(chunks)) as client:
        first = _ok(client, "/api/search")
        assert first.content == b'{"a": 1}'
        assert first.headers["etag"] == http_cache.entity_tag(b'{"a": 1}')
        assert client.get("/api/search", headers={"If-None-Match": first.headers["etag"]}).status_code == 304


def test_a_long_streamed_answer_goes_through_untagged(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(http_cache, "MAX_TAGGED_BODY", 10)
    chunks = [b"x" * 6, b"y" * 6, b"z" * 6]
    with TestClient(_streaming_app(chunks)) as client:
        response = client.get("/api/search", headers={"If-None-Match": "*"})
        assert response.status_code == 200
        assert response.content == b"x" * 6 + b"y" * 6 + b"z" * 6
        assert "etag" not in response.headers
        assert response.headers["cache-control"] == PUBLIC
