"""Login, logout, lock-out and roles, over HTTP (FastAPI's TestClient, a real SQLite ledger)."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import timedelta
from typing import Annotated

import pytest
from fastapi import Depends, FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from ren_index.ledger.models import Event, LoginLock, User, utcnow
from ren_index.web import accounts
from ren_index.web.auth import Decider, UserInfo, require_role

from .conftest import PASSWORD, csrf_from, login, page_csrf

INVALID_FR = "Nom d&#39;utilisateur ou mot de passe incorrect."


@pytest.fixture
def guarded(app: FastAPI) -> FastAPI:
    """Test-only routes guarded by require_role, as the decision routes will be."""

    @app.get("/review/_test/decide")
    def read_guarded(
        user: Annotated[UserInfo, Depends(require_role("documentalist", "admin"))],
    ) -> dict[str, str]:
        return {"user": user.name}

    @app.post("/review/_test/decide")
    def write_guarded(user: Decider) -> dict[str, str]:
        return {"decided_by": user.name}

    return app


def events(app: FastAPI, action: str) -> list[Event]:
    with app.state.ledger() as session:
        return list(session.scalars(select(Event).where(Event.action == action)))


def user_row(app: FastAPI, name: str) -> User:
    with app.state.ledger() as session:
        row = accounts.find_user(session, name)
        assert row is not None
        return row


def lock_row(app: FastAPI, name: str, client: str = "testclient") -> LoginLock | None:
    """The failure counter of (account, address); TestClient's address is ``testclient``."""
    with app.state.ledger() as session:
        found: LoginLock | None = session.scalars(
            select(LoginLock).join(User).where(User.name == name, LoginLock.client == client)
        ).first()
        return found


def test_anonymous_is_sent_to_login_with_next(client: TestClient) -> None:
    response = client.get("/review/")
    assert response.status_code == 303
    assert response.headers["location"] == "/review/login?next=/review/"
    whoami = client.get("/review/_whoami?x=1")
    assert whoami.status_code == 303 and whoami.headers["location"].startswith("/review/login?next=")


def test_login_page_is_french_by_default_with_form(client: TestClient) -> None:
    page = client.get("/review/login")
    assert page.status_code == 200
    assert '<html lang="fr">' in page.text and "Connexion" in page.text
    assert (
        'name="username"' in page.text and 'name="password"' in page.text and 'name="csrf_token"' in page.text
    )


def test_wrong_password_is_refused_without_session(client: TestClient, make_user: Callable[..., str]) -> None:
    make_user("dora")
    response = login(client, "dora", "not the password!")
    assert response.status_code == 200
    assert INVALID_FR in response.text
    assert client.get("/review/").status_code == 303
    assert client.get("/review/_whoami").status_code == 303
    lock = lock_row(client.app, "dora")  # type: ignore[arg-type]
    assert lock is not None and lock.failed_logins == 1 and lock.locked_until is None


def test_unknown_user_gets_the_same_message(client: TestClient, app: FastAPI) -> None:
    response = login(client, "nobody", PASSWORD)
    assert response.status_code == 200 and INVALID_FR in response.text
    assert [(e.actor, e.after) for e in events(app, "login_failed")] == [
        ("anonymous", {"user": "nobody", "client": "testclient", "reason": "unknown_user"})
    ]
    with app.state.ledger() as session:  # an unknown name leaves nothing to count against
        assert session.scalars(select(LoginLock)).all() == []


def test_failures_are_recorded_with_their_reason_and_address(
    client: TestClient, app: FastAPI, make_user: Callable[..., str]
) -> None:
    make_user("dora")
    login(client, "dora", "wrong password!")
    login(client, "dora")
    assert [(e.actor, e.after) for e in events(app, "login_failed")] == [
        ("dora", {"client": "testclient", "failed_logins": 1, "reason": "wrong_password"})
    ]
    assert [(e.actor, e.after) for e in events(app, "login")] == [("dora", {"client": "testclient"})]
    assert lock_row(app, "dora") is None  # a success forgets that address's failures


def test_right_password_opens_the_dashboard(
    client: TestClient, app: FastAPI, make_user: Callable[..., str]
) -> None:
    make_user("dora")
    response = login(client, "dora")
    assert response.status_code == 303 and response.headers["location"] == "/review/"
    dashboard = client.get("/review/")
    assert dashboard.status_code == 200
    assert (
        "Tableau de bord" in dashboard.text
        and "dora" in dashboard.text
        and "documentaliste" in dashboard.text
    )
    assert client.get("/review/_whoami").json() == {
        "id": user_row(app, "dora").id,
        "name": "dora",
        "role": "documentalist",
        "can_decide": True,
    }
    assert len(events(app, "login")) == 1
    assert user_row(app, "dora").last_login_at is not None
    # Already logged in: the login page sends the person on.
    assert client.get("/review/login").status_code == 303


@pytest.mark.parametrize(
    ("asked", "landed"),
    [
        ("/review/_whoami", "/review/_whoami"),
        ("https://evil.example/review/", "/review/"),
        ("//evil.example/review/", "/review/"),
        ("/elsewhere", "/review/"),
        ("/review\\@evil.example", "/review/"),
    ],
)
def test_next_stays_inside_the_review_ui(
    client: TestClient, make_user: Callable[..., str], asked: str, landed: str
) -> None:
    make_user("dora")
    assert login(client, "dora", next_path=asked).headers["location"] == landed


def test_login_starts_a_fresh_session(client: TestClient, make_user: Callable[..., str]) -> None:
    make_user("dora")
    before = page_csrf(client)
    planted = client.cookies.get("ren_session")
    login(client, "dora")
    assert client.cookies.get("ren_session") != planted
    after = csrf_from(client.get("/review/").text)
    assert after != before  # the pre-login token (and everything else in that session) is gone


def test_logout_needs_csrf_then_ends_the_session(
    client: TestClient, app: FastAPI, make_user: Callable[..., str]
) -> None:
    make_user("dora")
    login(client, "dora")
    refused = client.post("/review/logout")
    assert refused.status_code == 403 and "Accès refusé" in refused.text
    assert client.get("/review/_whoami").status_code == 200  # still logged in

    token = csrf_from(client.get("/review/").text)
    response = client.post("/review/logout", data={"csrf_token": token})
    assert response.status_code == 303 and response.headers["location"] == "/review/login"
    assert client.get("/review/").status_code == 303
    assert "Vous êtes déconnecté" in client.get("/review/login").text
    assert [e.actor for e in events(app, "logout")] == ["dora"]


def test_five_failures_lock_the_address_out_until_the_lock_ends(
    client: TestClient, app: FastAPI, make_user: Callable[..., str]
) -> None:
    make_user("dora")
    for _ in range(accounts.MAX_FAILED_LOGINS - 1):
        assert INVALID_FR in login(client, "dora", "wrong password!").text
    locked = login(client, "dora", "wrong password!")
    assert locked.status_code == 200 and INVALID_FR in locked.text
    row = lock_row(app, "dora")
    assert row is not None and row.locked_until is not None
    assert row.locked_until > utcnow() + timedelta(minutes=14)

    # Even the right password is refused while the lock runs.
    assert INVALID_FR in login(client, "dora").text
    assert client.get("/review/").status_code == 303
    assert [e.after["client"] for e in events(app, "account_locked") if e.after] == ["testclient"]
    assert [e.after["client"] for e in events(app, "login_refused_locked") if e.after] == ["testclient"]

    with app.state.ledger() as session:  # fifteen minutes pass
        stored = session.get_one(LoginLock, row.id)
        stored.locked_until = utcnow() - timedelta(seconds=1)
        session.commit()
    assert login(client, "dora").status_code == 303
    assert client.get("/review/_whoami").json()["name"] == "dora"
    assert lock_row(app, "dora") is None


def test_failed_login_waits_the_configured_delay(
    client: TestClient, app: FastAPI, make_user: Callable[..., str]
) -> None:
    make_user("dora")
    app.state.login_failure_delay = 0.3
    started = time.monotonic()
    login(client, "dora", "wrong password!")
    assert time.monotonic() - started >= 0.3


def test_librarian_reads_but_cannot_decide(
    client: TestClient, guarded: FastAPI, make_user: Callable[..., str]
) -> None:
    make_user("lib", role="librarian")
    login(client, "lib")
    assert client.get("/review/_whoami").json()["can_decide"] is False
    assert client.get("/review/").status_code == 200
    denied = client.get("/review/_test/decide")
    assert denied.status_code == 403 and "Accès refusé" in denied.text
    token = csrf_from(client.get("/review/").text)
    assert client.post("/review/_test/decide", data={"csrf_token": token}).status_code == 403


def test_documentalist_and_admin_decide(
    client: TestClient, guarded: FastAPI, make_user: Callable[..., str]
) -> None:
    for name, role in (("dora", "documentalist"), ("ada", "admin")):
        make_user(name, role=role)
        login(client, name)
        token = csrf_from(client.get("/review/").text)
        assert client.post("/review/_test/decide", data={"csrf_token": token}).json() == {"decided_by": name}
        client.post("/review/logout", data={"csrf_token": token})


def test_anonymous_write_is_401_not_a_redirect(client: TestClient, guarded: FastAPI) -> None:
    token = page_csrf(client)
    response = client.post("/review/_test/decide", data={"csrf_token": token})
    assert response.status_code == 401 and "Session expirée" in response.text


def test_changing_the_password_ends_open_sessions(client: TestClient, make_user: Callable[..., str]) -> None:
    make_user("dora")
    login(client, "dora")
    assert client.get("/review/_whoami").status_code == 200
    make_user("dora", password="another long password")
    assert client.get("/review/_whoami").status_code == 303


def test_a_login_expires_after_eight_hours(
    client: TestClient, make_user: Callable[..., str], monkeypatch: pytest.MonkeyPatch
) -> None:
    make_user("dora")
    login(client, "dora")
    later = time.time() + 8 * 3600 + 60
    monkeypatch.setattr(time, "time", lambda: later)  # the module auth reads the clock from
    assert client.get("/review/_whoami").status_code == 303


def test_english_on_request_and_remembered(client: TestClient) -> None:
    english = client.get("/review/login?lang=en")
    assert '<html lang="en">' in english.text and "Sign in" in english.text
    assert "ren_lang=en" in english.headers["set-cookie"]
    assert "Sign in" in client.get("/review/login").text  # the cookie keeps the choice
    assert "Connexion" in client.get("/review/login?lang=fr").text
