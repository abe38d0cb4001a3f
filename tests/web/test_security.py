"""Hostile content and browser-side defences: CSRF, headers, escaping, cookies, health."""

from __future__ import annotations

import re
import stat
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from ren_index.settings import SECRET_KEY_FILE, load_settings
from ren_index.web.app import TEMPLATES_DIR, create_app
from ren_index.web.i18n import MESSAGES
from ren_index.web.security import CONTENT_SECURITY_POLICY

from .conftest import csrf_from, login, page_csrf

XSS_NAME = "<script>alert(1)</script>"


@pytest.mark.parametrize("path", ["/review/login", "/healthz", "/review/nowhere", "/static/app.css"])
def test_security_headers_on_every_response(client: TestClient, path: str) -> None:
    headers = client.get(path).headers
    assert headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert "unsafe-inline" not in headers["content-security-policy"]
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    assert headers["x-frame-options"] == "DENY"
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "same-origin"


def test_review_pages_are_not_cached(client: TestClient) -> None:
    assert client.get("/review/login").headers["cache-control"] == "no-store"
    assert client.get("/review/").headers["cache-control"] == "no-store"


def test_docs_allow_only_their_own_inline_script_by_hash(client: TestClient) -> None:
    csp = client.get("/docs").headers["content-security-policy"]
    assert "'sha256-" in csp and "unsafe-inline" not in csp
    assert client.get("/openapi.json").json()["info"]["title"] == "ren-index"


@pytest.mark.parametrize("path", ["/review/login", "/review/logout"])
def test_post_under_review_without_csrf_is_refused(client: TestClient, path: str) -> None:
    page_csrf(client)  # the session has a token: the request simply does not carry it
    response = client.post(path, data={"username": "dora", "password": "x" * 12})
    assert response.status_code == 403 and "jeton CSRF" in response.text
    json_body = client.post(path, json={"csrf_token": page_csrf(client)})  # JSON must use the header
    assert json_body.status_code == 403


def test_wrong_or_foreign_csrf_token_is_refused(client: TestClient, make_user: Callable[..., str]) -> None:
    make_user("dora")
    data = {"username": "dora", "password": "correct horse battery", "csrf_token": "forged"}
    assert client.post("/review/login", data=data).status_code == 403
    other = TestClient(client.app, follow_redirects=False)
    foreign = page_csrf(other)  # a valid token, but of another session
    page_csrf(client)
    data["csrf_token"] = foreign
    assert client.post("/review/login", data=data).status_code == 403


def test_csrf_token_accepted_in_header(client: TestClient, make_user: Callable[..., str]) -> None:
    make_user("dora")
    login(client, "dora")
    token = csrf_from(client.get("/review/").text)
    response = client.post("/review/logout", headers={"X-CSRF-Token": token})
    assert response.status_code == 303
    assert client.get("/review/").status_code == 303


def test_session_cookie_flags(client: TestClient, make_user: Callable[..., str]) -> None:
    make_user("dora")
    cookie = login(client, "dora").headers["set-cookie"].lower()
    assert cookie.startswith("ren_session=")
    assert "httponly" in cookie and "samesite=lax" in cookie and "max-age=28800" in cookie
    assert "secure" not in cookie


def test_session_cookie_secure_when_asked(app: FastAPI, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REN_COOKIE_SECURE", "1")
    secure_app = create_app(load_settings())  # settings read the environment when loaded
    with TestClient(secure_app, base_url="https://testserver") as client:
        assert "secure" in client.get("/review/login").headers["set-cookie"].lower()


def test_user_name_is_escaped(client: TestClient, make_user: Callable[..., str]) -> None:
    make_user(XSS_NAME)
    refused = login(client, XSS_NAME, "wrong password!")  # the name is echoed back in the form
    assert XSS_NAME not in refused.text and "&lt;script&gt;alert(1)&lt;/script&gt;" in refused.text
    login(client, XSS_NAME)
    page = client.get("/review/").text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert XSS_NAME not in page


def test_pages_have_no_inline_script_style_or_handler(
    client: TestClient, make_user: Callable[..., str]
) -> None:
    make_user("dora")
    pages = [client.get("/review/login").text]
    login(client, "dora")
    pages += [client.get("/review/").text, client.get("/review/nowhere").text]
    for template in TEMPLATES_DIR.glob("*.html"):
        pages.append(template.read_text(encoding="utf-8"))
    for html in pages:
        assert all("src=" in tag for tag in re.findall(r"<script\b[^>]*>", html)), "inline <script>"
        assert not re.search(r"<style\b|\sstyle\s*=", html), "inline style"
        assert not re.search(r"\son[a-z]+\s*=", html), "inline event handler"


def test_assets_are_served_by_the_app(client: TestClient) -> None:
    css = client.get("/static/app.css")
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
    assert client.get("/static/app.js").status_code == 200
    page = client.get("/review/login").text
    assert not re.search(r"(src|href)=\"(https?:)?//", page), "an asset from another origin"


def test_healthz_degraded_when_opensearch_unreachable(client: TestClient) -> None:
    started = time.monotonic()
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "degraded", "ledger": "ok", "opensearch": "unreachable"}
    assert time.monotonic() - started < 10


def test_error_pages_under_review_are_french(client: TestClient) -> None:
    missing = client.get("/review/nowhere")
    assert missing.status_code == 404 and "Page introuvable" in missing.text
    assert client.get("/api/nowhere").json() == {"detail": "Not Found"}


def test_secret_key_is_generated_once_and_private(app: FastAPI) -> None:
    path = Path(app.state.settings.data_dir) / SECRET_KEY_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    key = path.read_text(encoding="utf-8")
    create_app(app.state.settings)
    assert path.read_text(encoding="utf-8") == key


def test_sessions_survive_a_restart(app: FastAPI, make_user: Callable[..., str]) -> None:
    make_user("dora")
    with TestClient(app, follow_redirects=False) as first:
        login(first, "dora")
        cookies = dict(first.cookies)
    with TestClient(create_app(load_settings()), follow_redirects=False, cookies=cookies) as second:
        assert second.get("/review/_whoami").json()["name"] == "dora"


def test_secret_from_environment(
    app: FastAPI, monkeypatch: pytest.MonkeyPatch, make_user: Callable[..., str]
) -> None:
    make_user("dora")
    with TestClient(app, follow_redirects=False) as first:
        login(first, "dora")
        cookies = dict(first.cookies)
    monkeypatch.setenv("REN_SECRET_KEY", "another-secret-of-at-least-thirty-two-characters")
    with TestClient(create_app(load_settings()), follow_redirects=False, cookies=cookies) as second:
        assert second.get("/review/_whoami").status_code == 303  # signed with the other key


def test_catalogues_have_the_same_keys() -> None:
    assert set(MESSAGES["fr"]) == set(MESSAGES["en"])


def test_cors_only_for_the_public_api(app: FastAPI, monkeypatch: pytest.MonkeyPatch) -> None:
    routes_api = pytest.importorskip("ren_index.web.routes_api")
    if not callable(getattr(routes_api, "cors_origins", None)):
        pytest.skip("routes_api has no cors_origins()")
    monkeypatch.setenv("REN_CORS_ORIGINS", "https://portail.example")
    with TestClient(create_app(load_settings())) as client:
        origin = {"Origin": "https://portail.example", "Access-Control-Request-Method": "GET"}
        api = client.options("/api/search", headers=origin)
        assert api.headers.get("access-control-allow-origin") == "https://portail.example"
        review = client.options("/review/login", headers=origin)
        assert "access-control-allow-origin" not in review.headers


def test_docs_page_is_served_without_internet(client) -> None:  # type: ignore[no-untyped-def]
    """Swagger UI's assets come from the app: a portal developer can read /docs offline."""
    page = client.get("/docs")
    assert page.status_code == 200
    assert "/static/swagger/swagger-ui-bundle.js" in page.text
    assert "cdn." not in page.text and "cdn." not in page.headers["content-security-policy"]
    assert "'unsafe-inline'" not in page.headers["content-security-policy"]
    js = client.get("/static/swagger/swagger-ui-bundle.js")
    assert js.status_code == 200 and len(js.content) > 100_000
    assert client.get("/openapi.json").json()["info"]["title"] == "ren-index"
