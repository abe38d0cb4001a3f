"""A session cookie copied before it was ended must not decide anything afterwards (issue 10, point 6).

The attacker holds a copy of a documentalist's signed cookie and the CSRF token of its session
(both are what a browser sends), and replays an approve and a reject after the session was ended
server-side: by logout, a password change, a role change or the account's removal. Each replay
must get 401 (not 403: the session itself is over, whatever the role) and leave the record and
the audit trail untouched. Before the revocation the same copy works, so the test is not passing
for a broken cookie. Runs over the processed demo catalogue, on SQLite or PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from ren_index.ledger.models import Event, ResourceRow
from ren_index.web import accounts
from ren_index.web.security import SESSION_COOKIE
from web.conftest import PASSWORD, csrf_from, login
from web.review_support import *  # noqa: F403 - the fixtures (app over the demo catalogue, demo)
from web.review_support import Demo

OTHER_PASSWORD = "another long password"


@pytest.fixture
def victim(app: FastAPI) -> Iterator[TestClient]:
    """The documentalist's browser."""
    with TestClient(app, follow_redirects=False) as browser:
        yield browser


def set_user(app: FastAPI, name: str = "dora", role: str = "documentalist", password: str = PASSWORD) -> None:
    """Create or update an account as ``ren-index users add`` does."""
    with app.state.ledger() as session:
        accounts.set_user(session, name, role, password, actor="test")
        session.commit()


@contextmanager
def attacker(app: FastAPI, cookie: str) -> Iterator[TestClient]:
    """A different browser that sends only the copied session cookie."""
    with TestClient(app, follow_redirects=False, cookies={SESSION_COOKIE: cookie}) as other:
        yield other


def steal(browser: TestClient) -> tuple[str, str]:
    """The victim's session cookie and the CSRF token of that session, as a page shows it."""
    token = csrf_from(browser.get("/review/").text)
    cookie = browser.cookies.get(SESSION_COOKIE)
    assert cookie
    return cookie, token


def snapshot(app: FastAPI, rid: str) -> tuple[str, str, int]:
    """The record's status, who decided it, and how many decisions the trail holds for it."""
    with app.state.ledger() as session:
        row = session.get_one(ResourceRow, rid)
        decisions = session.scalars(
            select(Event).where(Event.resource_id == rid, Event.action.in_(("approved", "rejected")))
        ).all()
        return row.status, row.decided_by, len(decisions)


def assert_replay_refused(app: FastAPI, cookie: str, token: str, rid: str) -> None:
    before = snapshot(app, rid)
    with attacker(app, cookie) as other:
        approve = other.post(f"/review/records/{rid}/approve", data={"csrf_token": token})
        reject = other.post(
            f"/review/records/{rid}/reject", data={"csrf_token": token, "reason": "hors programme"}
        )
        whoami = other.get("/review/_whoami")
    # 401, not 403: the CSRF token was accepted and the session itself is what is refused.
    assert (approve.status_code, reject.status_code) == (401, 401), (approve.text, reject.text)
    assert whoami.status_code == 303 and whoami.headers["location"].startswith("/review/login")
    assert snapshot(app, rid) == before
    assert before[0] == "needs_review"


def logged_in_copy(browser: TestClient, app: FastAPI, name: str) -> tuple[str, str]:
    """Log ``name`` in, copy the session, and check that the copy works before it is ended."""
    assert login(browser, name).status_code == 303
    cookie, token = steal(browser)
    with attacker(app, cookie) as other:
        assert other.get("/review/_whoami").json()["name"] == name
    return cookie, token


def test_replay_after_logout_decides_nothing(victim: TestClient, app: FastAPI, demo: Demo) -> None:
    set_user(app)
    rid = demo.first("needs_review").id
    cookie, token = logged_in_copy(victim, app, "dora")
    with TestClient(app, follow_redirects=False) as second_browser:  # dora at another desk
        assert login(second_browser, "dora").status_code == 303
        out = victim.post("/review/logout", data={"csrf_token": token})
        assert out.status_code == 303
        # Logout ends every session of the account, not only this browser's cookie.
        assert second_browser.get("/review/_whoami").status_code == 303
    assert_replay_refused(app, cookie, token, rid)
    assert victim.get("/review/_whoami").status_code == 303


def test_replay_after_password_change_decides_nothing(victim: TestClient, app: FastAPI, demo: Demo) -> None:
    set_user(app)
    rid = demo.first("needs_review").id
    cookie, token = logged_in_copy(victim, app, "dora")
    set_user(app, password=OTHER_PASSWORD)  # what `ren-index users add dora` does
    assert_replay_refused(app, cookie, token, rid)


@pytest.mark.parametrize(
    ("before", "after"), [("documentalist", "librarian"), ("librarian", "documentalist")]
)
def test_replay_after_role_change_decides_nothing(
    victim: TestClient, app: FastAPI, demo: Demo, before: str, after: str
) -> None:
    """Demoted, the old cookie must not keep deciding; promoted, a librarian's old cookie must not
    start to (the role is re-read on every request, so only ending the session stops that)."""
    set_user(app, role=before)
    rid = demo.first("needs_review").id
    cookie, token = logged_in_copy(victim, app, "dora")
    set_user(app, role=after)  # same password: only the role changes
    assert_replay_refused(app, cookie, token, rid)
    # The person logs in again and works with the new role.
    assert login(victim, "dora").status_code == 303
    assert victim.get("/review/_whoami").json()["role"] == after


def test_replay_after_removal_decides_nothing_even_for_a_new_account_of_that_name(
    victim: TestClient, app: FastAPI, demo: Demo
) -> None:
    """A new account may reuse the removed one's name and (on SQLite) its row id: it inherits none
    of the removed account's sessions."""
    set_user(app)
    rid = demo.first("needs_review").id
    cookie, token = logged_in_copy(victim, app, "dora")
    with app.state.ledger() as session:
        removed_id = accounts.get_user(session, "dora").id
        accounts.remove_user(session, "dora", actor="test")
        session.commit()
    assert_replay_refused(app, cookie, token, rid)

    set_user(app)
    with app.state.ledger() as session:
        reborn_id = accounts.get_user(session, "dora").id
    if app.state.settings.db_url.startswith("sqlite"):
        assert reborn_id == removed_id  # the case this test is about: the row id came back
    assert_replay_refused(app, cookie, token, rid)
