"""Lock-out by account *and* client address, with one answer for every refusal (issue 10, point 6).

Five wrong passwords from one address must lock that address out of that account only: the
attacker cannot lock a documentalist out from elsewhere. And the login page must not tell an
unknown name from a wrong password or a locked pair: same status, same page (byte for byte once
the session's CSRF token and the echoed name are set aside), same work (one password hash
verified) and the same delay. Each client is a TestClient with its own address and cookies.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import select

from ren_index.ledger.models import Event, LoginLock, User
from ren_index.settings import load_settings
from ren_index.web import accounts
from ren_index.web.app import create_app
from web.conftest import CLOSED_PORT_URL, PASSWORD, csrf_from, login

ADDRESS_A, ADDRESS_B, ADDRESS_C = "192.0.2.10", "198.51.100.7", "203.0.113.99"
WRONG = "wrong password!"
_CSRF_RE = re.compile(r'(name="csrf_token" value="|name="csrf-token" content=")[^"]+')
_ERROR_RE = re.compile(r'<div class="alert alert-error" role="alert" id="login-error">(.*?)</div>', re.S)


@pytest.fixture
def app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, ledger_url: Callable[..., str]) -> FastAPI:
    """The web app over an empty ledger of its own, with the account ``dora``; no login delay."""
    monkeypatch.setenv("REN_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("REN_OPENSEARCH_URL", CLOSED_PORT_URL)
    monkeypatch.setenv("REN_LOGIN_FAILURE_DELAY", "0")
    monkeypatch.setenv("REN_DATABASE_URL", ledger_url("ren-index", folder=tmp_path / "var"))
    monkeypatch.delenv("REN_SECRET_KEY", raising=False)
    monkeypatch.delenv("REN_COOKIE_SECURE", raising=False)
    web_app = create_app(load_settings())
    with web_app.state.ledger() as session:
        accounts.set_user(session, "dora", "documentalist", PASSWORD, actor="test")
        session.commit()
    return web_app


@pytest.fixture
def from_address(app: FastAPI) -> Iterator[Callable[[str], TestClient]]:
    """``from_address(ip)``: a browser of its own (cookies) at that client address."""
    opened: list[TestClient] = []

    def make(address: str) -> TestClient:
        browser = TestClient(app, follow_redirects=False, client=(address, 50000))
        opened.append(browser)
        return browser

    yield make
    for browser in opened:
        browser.close()


def error_of(response: Response) -> str:
    match = _ERROR_RE.search(response.text)
    assert response.status_code == 200 and match, response.text
    return match.group(1)


def page_shape(response: Response, name: str) -> str:
    """The page with what legitimately differs between two attempts blanked: the session's CSRF
    token and the name the person typed (echoed back in the form)."""
    text = _CSRF_RE.sub(r"\1", response.text)
    return text.replace(f'value="{name}"', 'value=""')


def locks(app: FastAPI, name: str) -> dict[str, bool]:
    """Address → locked right now, for the account ``name``."""
    with app.state.ledger() as session:
        rows = session.scalars(select(LoginLock).join(User).where(User.name == name)).all()
        return {row.client: row.locked_until is not None for row in rows}


def test_five_failures_from_one_address_lock_that_address_only(
    app: FastAPI,
    from_address: Callable[[str], TestClient],
) -> None:
    attacker, dora = from_address(ADDRESS_A), from_address(ADDRESS_B)
    for _ in range(accounts.MAX_FAILED_LOGINS):
        assert login(attacker, "dora", WRONG).status_code == 200
    assert locks(app, "dora") == {ADDRESS_A: True}

    # From A even the right password is refused now, and nothing says why.
    refused = login(attacker, "dora")
    assert refused.status_code == 200 and attacker.get("/review/_whoami").status_code == 303

    # Dora, at her own desk, logs in as usual; her success does not lift the attacker's lock.
    assert login(dora, "dora").status_code == 303
    assert dora.get("/review/_whoami").json()["name"] == "dora"
    assert login(attacker, "dora").status_code == 200
    assert locks(app, "dora") == {ADDRESS_A: True}

    # The audit trail says which address was locked out, and which was refused.
    with app.state.ledger() as session:
        trail = session.scalars(select(Event).where(Event.actor == "dora").order_by(Event.id)).all()
    clients = {(e.action, (e.after or {}).get("client")) for e in trail}
    assert ("account_locked", ADDRESS_A) in clients and ("login_refused_locked", ADDRESS_A) in clients
    assert ("login", ADDRESS_B) in clients
    assert not any(e.action != "login" and (e.after or {}).get("client") == ADDRESS_B for e in trail)

    # `ren-index users unlock dora` lets A in again.
    with app.state.ledger() as session:
        assert accounts.unlock_user(session, "dora", actor="test") == [ADDRESS_A]
        session.commit()
    assert login(attacker, "dora").status_code == 303


def test_unknown_name_wrong_password_and_locked_pair_get_the_same_answer(
    app: FastAPI,
    from_address: Callable[[str], TestClient],
) -> None:
    locked_out = from_address(ADDRESS_A)
    for _ in range(accounts.MAX_FAILED_LOGINS):
        login(locked_out, "dora", WRONG)
    assert locks(app, "dora") == {ADDRESS_A: True}

    # Names of the same length, so that even the echoed name does not change the page's size.
    answers = {
        "locked pair, right password": (login(locked_out, "dora"), "dora"),
        "locked pair, wrong password": (login(locked_out, "dora", WRONG), "dora"),
        "unknown name": (login(from_address(ADDRESS_B), "nora"), "nora"),
        "wrong password": (login(from_address(ADDRESS_C), "dora", WRONG), "dora"),
    }
    errors = {case: error_of(response) for case, (response, _name) in answers.items()}
    assert len(set(errors.values())) == 1, errors
    assert "Nom d&#39;utilisateur ou mot de passe incorrect." in errors["unknown name"]
    shapes = {page_shape(response, name) for response, name in answers.values()}
    assert len(shapes) == 1
    lengths = {len(response.content) for response, _name in answers.values()}
    assert len(lengths) == 1, lengths
    assert {tuple(sorted(r.headers.keys())) for r, _name in answers.values()} == {
        tuple(sorted(answers["unknown name"][0].headers.keys()))
    }


def test_every_refusal_costs_one_hash_and_the_same_delay(
    app: FastAPI,
    from_address: Callable[[str], TestClient],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Timing must not tell the cases apart either: a locked pair that answered without hashing
    would answer measurably faster than a wrong password."""
    locked_out = from_address(ADDRESS_A)
    for _ in range(accounts.MAX_FAILED_LOGINS):
        login(locked_out, "dora", WRONG)
    verified: list[str] = []
    real_verify = accounts.verify_password

    def counting(password_hash: str, password: str) -> bool:
        verified.append(password)
        return real_verify(password_hash, password)

    monkeypatch.setattr(accounts, "verify_password", counting)
    app.state.login_failure_delay = 0.2
    cases = {
        "locked pair": (locked_out, "dora", PASSWORD),
        "unknown name": (from_address(ADDRESS_B), "nora", PASSWORD),
        "wrong password": (from_address(ADDRESS_C), "dora", WRONG),
    }
    for case, (browser, name, password) in cases.items():
        verified.clear()
        started = time.monotonic()
        response = login(browser, name, password)
        assert response.status_code == 200, case
        assert time.monotonic() - started >= 0.2, case
        assert verified == [password], case


@pytest.mark.parametrize("first", [False, True], ids=["first-contact", "counter-exists"])
def test_parallel_guesses_from_one_address_get_five_tries_only(
    app: FastAPI,
    from_address: Callable[[str], TestClient],
    first: bool,
) -> None:
    """Guesses sent all at once must not all slip in before the fifth failure locks the pair, whether
    the address already has a failure on record or not (``first``: a counter already exists)."""
    if first:
        login(from_address(ADDRESS_A), "dora", WRONG)
    guesses = 3 * accounts.MAX_FAILED_LOGINS - int(first)
    browsers = [from_address(ADDRESS_A) for _ in range(guesses)]
    tokens = [csrf_from(b.get("/review/login").text) for b in browsers]
    start = threading.Barrier(guesses)
    statuses: list[int] = []

    def guess(browser: TestClient, token: str, n: int) -> None:
        start.wait()
        data = {"username": "dora", "password": f"guess number {n}", "csrf_token": token}
        statuses.append(browser.post("/review/login", data=data).status_code)

    threads = [
        threading.Thread(target=guess, args=(b, tok, n))
        for n, (b, tok) in enumerate(zip(browsers, tokens, strict=True))
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert statuses == [200] * guesses
    with app.state.ledger() as session:
        actions = [
            e.action for e in session.scalars(select(Event).where(Event.actor == "dora").order_by(Event.id))
        ]
    assert actions.count("login_failed") == accounts.MAX_FAILED_LOGINS
    assert actions.count("account_locked") == 1
    assert (
        actions.count("login_refused_locked") == 3 * accounts.MAX_FAILED_LOGINS - accounts.MAX_FAILED_LOGINS
    )
