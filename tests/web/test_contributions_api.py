"""``/api/contributions`` over HTTP (issue 12): a platform pushes resources, reads what became of
them and withdraws them, with its key and only its key — on SQLite and, when given, PostgreSQL.

Each test says what a platform (Ma classe) may count on: the answers and their shapes, the
limits (401, 413, 415, 422, 429, 404), that a platform never sees another's contributions, that
keys reach no log, that a documentalist's reason comes back, and that the platform is called
back. The tests that need the index run against the real OpenSearch node.
"""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from httpx import Response
from lxml import etree
from opensearchpy import OpenSearch

from ren_index.contributions import service
from ren_index.contributions.platforms import revoke, rotate_key
from ren_index.contributions.schema import load_schema, pointer
from ren_index.review import queries as review_queries
from ren_index.review.decisions import decide_by_person
from ren_index.review.publish import publish
from ren_index.web import accounts
from ren_index.web.ratelimit import SlidingWindowLimiter

from .conftest import login
from .contributions_support import *  # noqa: F403 - the fixtures
from .contributions_support import (
    PORTAL,
    RULEBOOK,
    Api,
    CallbackReceiver,
    MakeApi,
    contribution,
    lom_record,
    serve,
)

PATHS = [("post", ""), ("get", ""), ("get", "/mc-1"), ("delete", "/mc-1")]
OAI_NS = {"oai": "http://www.openarchives.org/OAI/2.0/"}


def codes(answer: dict[str, Any]) -> set[str]:
    return {issue["code"] for issue in answer["issues"]}


def call(api: Api, method: str, path: str, headers: dict[str, str]) -> Response:
    kwargs: dict[str, Any] = {"json": contribution()} if method == "post" else {}
    return api.client.request(method.upper(), f"/api/contributions{path}", headers=headers, **kwargs)


def assert_bilingual(response: Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    french, _, english = body["detail"].partition(" / ")
    assert french and english, body
    assert response.headers["cache-control"] == "private, no-store"
    return body


# -- the endpoints --------------------------------------------------------------------------------


def test_the_schema_is_public_and_is_the_contract(api: Api) -> None:
    response = api.client.get("/api/contributions/schema")  # no key: developers read it first
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/schema+json")
    assert response.json() == load_schema()


def test_a_contribution_is_validated_queued_and_read_back(api: Api) -> None:
    response = api.post(contribution("mc-1"))
    assert response.status_code == 202, response.text
    answer = response.json()
    assert set(answer) == {"id", "external_id", "status", "changed", "issues"}
    assert (answer["external_id"], answer["status"], answer["changed"]) == ("mc-1", "needs_review", True)
    for issue in answer["issues"]:
        assert set(issue) == {"code", "severity", "field", "message_fr", "message_en"}
    assert response.headers["location"] == "/api/contributions/mc-1"
    assert response.headers["cache-control"] == "private, no-store"
    # Never approved by rules alone: it waits in the documentalists' queue like a harvested record.
    waiting = review_queries.queue(api.ledger, source="ma-classe", size=10)
    assert [item["id"] for item in waiting.items] == [answer["id"]]

    found = api.client.get(response.headers["location"], headers=api.headers())
    assert found.status_code == 200
    view = found.json()
    assert (view["id"], view["external_id"], view["status"]) == (answer["id"], "mc-1", "needs_review")
    assert view["decision"] is None and view["resource"] is None and view["updated_at"]
    assert view["issues"] == answer["issues"]


def test_issues_tell_the_author_what_to_improve(api: Api) -> None:
    poor = contribution(
        "mc-poor", title="Document1.docx", description=None, languages=None, levels=None, licence=None
    )
    answer = api.post(poor).json()
    found = codes(answer)
    assert {"TITLE_PLACEHOLDER", "DESCRIPTION_MISSING", "LEVEL_MISSING", "LICENCE_MISSING"} <= found, found
    title = next(i for i in answer["issues"] if i["code"] == "TITLE_PLACEHOLDER")
    assert "Document1.docx" in title["message_fr"] and title["message_en"] != title["message_fr"]


def test_posting_the_same_external_id_again_updates_it(api: Api) -> None:
    first = api.post(contribution("mc-2", description=None)).json()
    assert "DESCRIPTION_MISSING" in codes(first)
    second = api.post(contribution("mc-2")).json()
    assert second["id"] == first["id"] and second["changed"] is True
    assert "DESCRIPTION_MISSING" not in codes(second)
    again = api.post(contribution("mc-2"))
    assert again.status_code == 202 and again.json()["changed"] is False
    assert api.get().json()["total"] == 1


@pytest.mark.parametrize("media_type", ["application/xml", "text/xml", "application/xml; charset=utf-8"])
def test_a_lom_record_is_accepted_as_xml(api: Api, media_type: str) -> None:
    response = api.post_xml(lom_record("lom-7"), media_type=media_type)
    assert response.status_code == 202, response.text
    answer = response.json()
    assert answer["external_id"] == "lom-7" and answer["status"] == "needs_review"
    assert response.headers["location"] == "/api/contributions/lom-7"
    assert api.get("/lom-7").json()["id"] == answer["id"]


def test_an_external_id_with_slashes_and_accents_round_trips(api: Api) -> None:
    response = api.post(contribution("classe/5e année", url="https://ma-classe.example.org/r/5"))
    assert response.headers["location"] == "/api/contributions/classe%2F5e%20ann%C3%A9e"
    found = api.client.get(response.headers["location"], headers=api.headers())
    assert found.status_code == 200 and found.json()["external_id"] == "classe/5e année"


def test_the_list_filters_by_status_and_date_and_pages(api: Api) -> None:
    ids = [api.post(contribution(f"mc-{n}")).json()["id"] for n in range(3)]
    decide_by_person(api.ledger, ids[1], "rejected", actor="dora", comment="hors sujet")
    everything = api.get().json()
    assert everything["total"] == 3 and {item["id"] for item in everything["items"]} == set(ids)
    rejected = api.get(status="rejected").json()
    assert [item["id"] for item in rejected["items"]] == [ids[1]] and rejected["total"] == 1
    first = api.get(page_size=2).json()
    second = api.get(page_size=2, page=2).json()
    assert (len(first["items"]), len(second["items"]), first["total"]) == (2, 1, 3)
    assert {i["id"] for i in first["items"] + second["items"]} == set(ids)
    later = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    assert api.get(since=later).json()["total"] == 0
    assert api.get(since="2000-01-01").json()["total"] == 3
    assert api.get(since="2000-01-01T00:00:00Z", status="needs_review").json()["total"] == 2


@pytest.mark.parametrize(
    ("params", "name"),
    [
        ({"status": "published"}, "status"),
        ({"page": "0"}, "page"),
        ({"page": "deux"}, "page"),
        ({"page": "-1"}, "page"),
        ({"page_size": "201"}, "page_size"),
        ({"since": "hier"}, "since"),
        ({"since": "2026-13-45"}, "since"),
        ({"since": "9" * 100}, "since"),
    ],
)
def test_bad_list_parameters_are_refused_in_both_languages(
    api: Api, params: dict[str, str], name: str
) -> None:
    body = assert_bilingual(api.get(**params), 422)
    [error] = body["errors"]
    assert error["parameter"] == name and error["message_fr"] and error["message_en"]


def test_a_platform_never_sees_nor_changes_another_platforms_contribution(api: Api) -> None:
    api.platform("autre-plateforme")
    mine = api.post(contribution("mc-secret")).json()
    unknown = api.get("/never-posted", platform="autre-plateforme")
    foreign = api.get("/mc-secret", platform="autre-plateforme")
    assert unknown.status_code == foreign.status_code == 404
    assert unknown.json() == foreign.json() == {"detail": "contribution introuvable / no such contribution"}
    assert api.delete("mc-secret", platform="autre-plateforme").status_code == 404
    assert api.get("", platform="autre-plateforme").json()["total"] == 0
    theirs = api.post(contribution("mc-secret", title="Leur propre ressource"), platform="autre-plateforme")
    assert theirs.status_code == 202 and theirs.json()["id"] != mine["id"]
    still = api.get("/mc-secret").json()
    assert (still["id"], still["status"]) == (mine["id"], "needs_review")


def test_delete_withdraws_it_and_unknown_ids_are_404(api: Api) -> None:
    posted = api.post(contribution("mc-gone")).json()
    response = api.delete("mc-gone")
    assert response.status_code == 200, response.text
    assert (response.json()["id"], response.json()["status"]) == (posted["id"], "deleted")
    assert api.get("/mc-gone").json()["status"] == "deleted"
    assert api.get(status="deleted").json()["total"] == 1
    assert api.delete("mc-gone").json()["status"] == "deleted"  # idempotent
    assert_bilingual(api.delete("never-posted"), 404)
    assert_bilingual(api.get("/never-posted"), 404)


def test_a_rejection_comes_back_with_its_reason_and_role_never_the_name(api: Api) -> None:
    with api.ledger() as session:
        accounts.set_user(session, "dora", "documentalist", "correct horse battery", actor="test")
        session.commit()
    posted = api.post(contribution("mc-reject")).json()
    reason = "Déjà publiée par le centre de services scolaire : doublon de la fiche 1234."
    decide_by_person(api.ledger, posted["id"], "rejected", actor="dora", comment=reason)
    response = api.get("/mc-reject")
    view = response.json()
    assert view["status"] == "rejected" and view["resource"] is None
    assert view["decision"]["reason"] == reason and view["decision"]["by_role"] == "documentalist"
    assert view["decision"]["at"] and "dora" not in response.text


# -- keys ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(("method", "path"), PATHS)
@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "Bearer",
        "Bearer ",
        "Bearer renk_not-a-real-key-but-shaped-like-one-000000",
        "Basic ZG9yYTpwdw==",
        "renk_x",
    ],
)
def test_no_valid_key_is_401_with_www_authenticate(
    api: Api, method: str, path: str, authorization: str | None
) -> None:
    headers = {"Authorization": authorization} if authorization is not None else {}
    response = call(api, method, path, headers)
    assert_bilingual(response, 401)
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert api.get().json()["total"] == 0  # nothing was stored


def test_a_revoked_or_rotated_key_is_refused_at_once(api: Api) -> None:
    old = api.keys["ma-classe"]
    assert api.get().status_code == 200
    new = rotate_key(api.ledger, "ma-classe")
    assert call(api, "get", "", {"Authorization": f"Bearer {old}"}).status_code == 401
    assert call(api, "get", "", {"Authorization": f"Bearer {new}"}).status_code == 200
    revoke(api.ledger, "ma-classe")
    refused = call(api, "get", "", {"Authorization": f"Bearer {new}"})
    assert refused.status_code == 401 and 'error="invalid_token"' in refused.headers["www-authenticate"]


def test_the_review_session_cookie_is_no_key_and_no_csrf_token_is_needed(api: Api) -> None:
    with api.ledger() as session:
        accounts.set_user(session, "dora", "documentalist", "correct horse battery", actor="test")
        session.commit()
    assert login(api.client, "dora").status_code == 303  # the client now carries dora's session
    for method, path in PATHS:
        assert call(api, method, path, {}).status_code == 401, (method, path)
    # With the key, the same client posts without any CSRF token: bearer auth, not cookies.
    assert call(api, "post", "", api.headers()).status_code == 202


def test_cross_origin_scripts_cannot_send_a_key(make_api: MakeApi) -> None:
    api = make_api(cors_origins=["*"])
    for method in ("POST", "GET", "DELETE"):
        preflight = api.client.options(
            "/api/contributions",
            headers={
                "Origin": "https://ailleurs.example",
                "Access-Control-Request-Method": method,
                "Access-Control-Request-Headers": "authorization",
            },
        )
        assert preflight.status_code == 400 and "Disallowed CORS" in preflight.text, method


# -- limits -------------------------------------------------------------------------------------


def test_a_body_over_the_limit_is_413(make_api: MakeApi) -> None:
    api = make_api(contributions_max_bytes=2048)
    api.platform()
    big = contribution("mc-big", description="x" * 3000)
    assert_bilingual(api.post(big), 413)
    chunks = (b'{"external_id": "mc-big", "description": "' + b"x" * 500 for _ in range(10))
    headers = {**api.headers(), "Content-Type": "application/json"}  # chunked: no Content-Length
    assert_bilingual(api.client.post("/api/contributions", content=chunks, headers=headers), 413)
    assert api.post(contribution("mc-small")).status_code == 202


@pytest.mark.parametrize("declared", [None, "100"])
def test_the_body_is_not_read_past_the_limit_whatever_content_length_says(
    make_api: MakeApi, declared: str | None
) -> None:
    api = make_api(contributions_max_bytes=4096)
    key = api.platform()
    chunk, served = b"x" * 1024, 0

    async def receive() -> dict[str, Any]:
        nonlocal served
        served += 1
        return {"type": "http.request", "body": chunk, "more_body": served < 10_000}

    sent: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    headers = [(b"authorization", f"Bearer {key}".encode()), (b"content-type", b"application/json")]
    if declared is not None:
        headers.append((b"content-length", declared.encode()))
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
        "scheme": "http", "path": "/api/contributions", "raw_path": b"/api/contributions",
        "query_string": b"", "root_path": "", "headers": headers,
        "client": ("127.0.0.1", 5000), "server": ("testserver", 80),
    }  # fmt: skip
    # A thread of its own: a browser test earlier in the session may leave Playwright's event
    # loop running in this one, where asyncio.run refuses to start another.
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(asyncio.run, api.app(scope, receive, send)).result()
    assert sent[0]["type"] == "http.response.start" and sent[0]["status"] == 413
    assert served == 4096 // 1024 + 1  # the limit, plus the one chunk that went past it


@pytest.mark.parametrize(
    "media_type",
    [
        None,
        "text/plain",
        "multipart/form-data; boundary=x",
        "application/x-www-form-urlencoded",
        "application/jsonx",
    ],
)
def test_an_unsupported_media_type_is_415(api: Api, media_type: str | None) -> None:
    headers = api.headers() | ({"Content-Type": media_type} if media_type else {})
    response = api.client.post("/api/contributions", content=b'{"external_id": "x"}', headers=headers)
    assert_bilingual(response, 415)


@pytest.mark.parametrize(
    "raw",
    [
        b'{"external_id": ',
        b"[1, 2]",
        b'"texte"',
        b'{"external_id": NaN}',
        b"[" * 100_000,
        b"\xff\xfe{",
        b"1" * 5000,
        b"",
    ],
    ids=["truncated", "array", "string", "nan", "deep", "not-utf8", "huge-int", "empty"],
)
def test_what_is_not_a_json_object_is_422_at_the_root(api: Api, raw: bytes) -> None:
    headers = api.headers() | {"Content-Type": "application/json"}
    body = assert_bilingual(api.client.post("/api/contributions", content=raw, headers=headers), 422)
    [error] = body["errors"]
    assert error["pointer"] == "/" and error["message_fr"] and error["message_en"]


def test_a_lone_half_of_a_utf16_pair_is_422_and_a_whole_pair_is_text(api: Api) -> None:
    """``"\\ud800"`` alone is valid JSON syntax but no character: it was a 500 (hashing the payload
    failed on it); the author is now told where the fault lies, and an escaped emoji is welcome."""
    headers = api.headers() | {"Content-Type": "application/json"}
    lone = json.dumps(contribution("mc-moitie", title="Les fractions TITLE"))
    whole = lone.replace("mc-moitie", "mc-paire").replace("TITLE", "\\ud83c\\udf70")
    lone = lone.replace("TITLE", "\\ud800")
    body = assert_bilingual(api.client.post("/api/contributions", content=lone, headers=headers), 422)
    [error] = body["errors"]
    assert error["pointer"] == "/" and "UTF-16" in error["message_fr"] and "UTF-16" in error["message_en"]
    assert api.get().json()["total"] == 0

    accepted = api.client.post("/api/contributions", content=whole, headers=headers)
    assert accepted.status_code == 202, accepted.text
    [item] = api.get().json()["items"]
    assert item["external_id"] == "mc-paire"
    found = api.client.get("/api/contributions/mc-paire", headers=api.headers()).json()
    assert found["status"] == "needs_review"


def test_contract_violations_are_422_with_a_pointer_each(api: Api) -> None:
    hostile = "<script>alert(1)</script>" * 100
    body = contribution("mc-bad", title=None, url="javascript:alert(1)", levels=["ok", 42])
    body[hostile] = "x"
    response = api.post(body)
    errors = assert_bilingual(response, 422)["errors"]
    assert [e["pointer"] for e in errors] == [pointer([hostile]), "/levels/1", "/title", "/url"]
    assert all(e["message_fr"] and e["message_en"] and e["message_fr"] != e["message_en"] for e in errors)
    assert all(len(e["message_fr"]) < 200 for e in errors)  # the sender's field name is quoted cut
    assert api.get().json()["total"] == 0


@pytest.mark.parametrize(
    "xml",
    [
        b"<lom xmlns='http://ltsc.ieee.org/xsd/LOM'><general>",
        b"<rss><channel/></rss>",
        lom_record("").replace(b"<entry></entry>", b""),
        b'<?xml version="1.0"?><!DOCTYPE lom [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        b"<lom xmlns='http://ltsc.ieee.org/xsd/LOM'><general><title><string>&x;</string></title></general></lom>",
    ],
    ids=["truncated", "not-lom", "no-identifier", "xxe"],
)
def test_unusable_xml_is_422(api: Api, xml: bytes) -> None:
    response = api.post_xml(xml)
    errors = assert_bilingual(response, 422)["errors"]
    assert errors and all(e["pointer"].startswith("/") for e in errors)
    assert "root:" not in response.text  # nothing of /etc/passwd


def test_the_rate_limit_is_per_key_with_retry_after(make_api: MakeApi) -> None:
    api = make_api(contributions_rate_limit=3)
    api.platform()
    api.platform("autre-plateforme")
    assert [api.get().status_code for _ in range(3)] == [200, 200, 200]
    refused = api.get()
    assert_bilingual(refused, 429)
    assert 1 <= int(refused.headers["retry-after"]) <= 60
    assert api.post(contribution()).status_code == 429  # every endpoint counts
    assert api.get("", platform="autre-plateforme").status_code == 200  # another key, its own window
    for n in range(20):  # keys that do not authenticate are 401, and get no window
        assert call(api, "get", "", {"Authorization": f"Bearer renk_{'z' * 40}{n}"}).status_code == 401
    assert len(api.app.state.contributions_limiter) == 2


def test_the_sliding_window_slides_and_memory_stays_bounded() -> None:
    now = [0.0]
    limiter = SlidingWindowLimiter(3, 60.0, max_keys=2, clock=lambda: now[0])
    assert limiter.blocked("a") == 0 and len(limiter) == 0  # looking creates nothing
    for moment in (0.0, 10.0, 20.0):
        now[0] = moment
        assert limiter.hit("a") == 0
    now[0] = 30.0
    assert limiter.hit("a") == 30 and limiter.blocked("a") == 30  # until the first one is a minute old
    now[0] = 60.0
    assert limiter.hit("a") == 0  # the refused request did not count
    assert limiter.hit("a") == 10
    for key in ("b", "c", "d"):
        limiter.hit(key)
    assert len(limiter) == 2  # the least recently seen are forgotten: a fresh window, never a block


# -- keys never in logs ---------------------------------------------------------------------------


def test_keys_reach_no_log_line_not_even_at_debug_level(api: Api, caplog: pytest.LogCaptureFixture) -> None:
    """Everything logged in-process while a platform works — ours, the ledger's SQL with its
    parameters, the callbacks' — holds the key's hash at most, never the key."""
    key = api.keys["ma-classe"]
    caplog.set_level(logging.INFO, logger="sqlalchemy.engine")  # every statement and its parameters
    caplog.set_level(logging.DEBUG)  # last: it sets the capturing handler's level too
    api.post(contribution("mc-log"))
    api.get("/mc-log")
    api.delete("mc-log")
    call(api, "get", "", {"Authorization": f"Bearer {key}x"})  # almost the key: refused
    text = "\n".join(logging.Formatter().format(record) for record in caplog.records)
    assert {r.name.split(".")[0] for r in caplog.records} >= {"sqlalchemy"}, "the capture is not wide open"
    assert key not in text and key[12:40] not in text


def test_uvicorn_logs_the_request_line_but_never_the_key(
    api: Api, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Served as ``ren-index serve`` serves it (uvicorn, access log on): the access log and the
    traceback of a failing request hold the path, never the Authorization header."""
    key = api.keys["ma-classe"]

    def broken(*args: Any, **kwargs: Any) -> service.Submission:
        raise RuntimeError("the ledger fell over")

    caplog.set_level(logging.INFO)
    with serve(api.app) as base_url:
        headers = api.headers()
        assert httpx.get(f"{base_url}/api/contributions?status=approved", headers=headers).status_code == 200
        assert (
            httpx.get(
                f"{base_url}/api/contributions", headers={"Authorization": f"Bearer {key}x"}
            ).status_code
            == 401
        )
        monkeypatch.setattr(service, "submit_json", broken)
        failed = httpx.post(f"{base_url}/api/contributions", json=contribution(), headers=headers)
        assert failed.status_code == 500
    formatter = logging.Formatter()
    text = "\n".join(formatter.format(record) for record in caplog.records)
    assert "GET /api/contributions?status=approved" in text  # the access log is on
    assert "the ledger fell over" in text  # and so is the traceback
    assert key not in text and key[12:40] not in text


# -- callbacks and the index ----------------------------------------------------------------------


def test_the_platform_is_called_back_with_the_decision_and_its_reason(
    make_api: MakeApi, callback_receiver: CallbackReceiver
) -> None:
    api = make_api(callback_allow_hosts=[callback_receiver.host])
    api.platform(callback_url=callback_receiver.url)
    with api.ledger() as session:
        accounts.set_user(session, "dora", "documentalist", "correct horse battery", actor="test")
        session.commit()
    posted = api.post(contribution("mc-callback")).json()
    assert callback_receiver.bodies() == []  # receipt is the 202 itself, not a callback
    reason = "Le lien mène à une page de connexion : donnez l'adresse publique de la ressource."
    decide_by_person(api.ledger, posted["id"], "rejected", actor="dora", comment=reason)
    api.post(contribution("mc-other"))  # any later request delivers what is pending, after answering
    [told] = callback_receiver.bodies()
    assert (told["id"], told["external_id"], told["status"]) == (posted["id"], "mc-callback", "rejected")
    assert told["decision"]["reason"] == reason and told["decision"]["by_role"] == "documentalist"
    assert told["event_id"] and "dora" not in str(told)
    assert callback_receiver.received[0].path == "/ren-index/callbacks"

    api.delete("mc-callback")  # the withdrawal is told too (the rules decide it: deleted)
    assert [b["status"] for b in callback_receiver.bodies()] == ["rejected", "deleted"]
    assert callback_receiver.bodies()[1]["decision"]["by_role"] == "rules"


@pytest.mark.integration
def test_published_then_withdrawn_by_its_author_leaves_the_index_and_oai_says_deleted(
    make_api: MakeApi, opensearch_url: str
) -> None:
    prefix = f"test-contrib-{uuid.uuid4().hex[:8]}"
    api = make_api(opensearch_url=opensearch_url, index_prefix=prefix)
    api.platform()
    search = OpenSearch(hosts=[opensearch_url])
    try:
        posted = api.post(contribution("mc-pub")).json()
        decide_by_person(api.ledger, posted["id"], "approved", actor="dora")
        assert publish(api.ledger, api.settings, RULEBOOK.vocabularies, [posted["id"]]).published
        view = api.get("/mc-pub").json()
        assert view["resource"] == f"/api/resources/{posted['id']}" and view["portals"] == [PORTAL]
        assert api.client.get(view["resource"]).status_code == 200

        # The author changes it: the rules decide again, it waits for a person, it leaves the index.
        changed = api.post(contribution("mc-pub", title="Les fractions dans la cuisine, 2e édition")).json()
        assert changed["status"] == "needs_review"
        assert not search.exists(index=f"{prefix}-resources", id=posted["id"])
        decide_by_person(api.ledger, posted["id"], "approved", actor="dora")
        publish(api.ledger, api.settings, RULEBOOK.vocabularies, [posted["id"]])
        assert api.client.get(view["resource"]).status_code == 200

        assert api.delete("mc-pub").json()["status"] == "deleted"
        assert api.client.get(view["resource"]).status_code == 404  # gone at once, not at the next run
        assert not search.exists(index=f"{prefix}-resources", id=posted["id"])
        oai = api.client.get(
            "/oai",
            params={
                "verb": "GetRecord",
                "metadataPrefix": "oai_dc",
                "identifier": f"oai:{api.settings.oai_repository_id}:{posted['id']}",
            },
        )
        header = etree.fromstring(oai.content).find(".//oai:header", OAI_NS)
        assert header is not None and header.get("status") == "deleted"
    finally:
        search.indices.delete(index=f"{prefix}-*", ignore_unavailable=True)
        search.close()
