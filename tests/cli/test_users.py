"""``ren-index users add|list`` through the real console entry point, then a login with the account."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from ren_index.ledger.db import open_ledger
from ren_index.settings import load_settings
from ren_index.web import accounts
from ren_index.web.app import create_app

PASSWORD = "a long enough password"


@pytest.fixture
def env(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, ledger_url: Callable[..., str]
) -> Iterator[dict[str, str]]:
    values = {
        "REN_DATA_DIR": str(tmp_path / "var"),
        "REN_DATABASE_URL": ledger_url("ren-index", folder=tmp_path / "var"),
        "REN_OPENSEARCH_URL": "http://127.0.0.1:9",
        "REN_LOGIN_FAILURE_DELAY": "0",
    }
    for key, value in values.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("REN_SECRET_KEY", raising=False)
    yield {**os.environ, **values}


def ren(env: dict[str, str], *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ren_index", *args],
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_users_add_from_stdin_creates_an_argon2_account_that_logs_in(env: dict[str, str]) -> None:
    added = ren(
        env, "users", "add", "dora", "--role", "documentalist", "--password-stdin", stdin=PASSWORD + "\n"
    )
    assert added.returncode == 0, added.stderr
    assert "created" in added.stderr

    settings = load_settings()
    with open_ledger(settings.db_url)() as session:
        user = accounts.find_user(session, "dora")
        assert user is not None and user.role == "documentalist"
        assert user.password_hash.startswith("$argon2id$")
        assert PASSWORD not in user.password_hash

    with TestClient(create_app(settings), follow_redirects=False) as client:
        page = client.get("/review/login").text
        token = page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
        response = client.post(
            "/review/login", data={"username": "dora", "password": PASSWORD, "csrf_token": token}
        )
        assert response.status_code == 303
        assert client.get("/review/_whoami").json()["role"] == "documentalist"


def test_users_add_updates_an_existing_account(env: dict[str, str]) -> None:
    assert ren(env, "users", "add", "dora", "--role", "librarian", stdin=PASSWORD).returncode == 0
    again = ren(env, "users", "add", "dora", "--role", "admin", stdin="another long password\n")
    assert again.returncode == 0, again.stderr
    assert "updated" in again.stderr
    listed = json.loads(ren(env, "users", "list", "--json").stdout)
    assert [(u["name"], u["role"], u["locked"]) for u in listed] == [("dora", "admin", False)]


@pytest.mark.parametrize(
    ("role", "password", "reason"),
    [
        ("editor", PASSWORD, "unknown role"),
        ("admin", "short", "too short"),
        ("admin", "          ", "too short"),
    ],
)
def test_users_add_refuses_bad_input(env: dict[str, str], role: str, password: str, reason: str) -> None:
    refused = ren(env, "users", "add", "dora", "--role", role, "--password-stdin", stdin=password + "\n")
    assert refused.returncode == 1
    assert reason in refused.stderr
    with open_ledger(load_settings().db_url)() as session:
        assert accounts.list_users(session) == []


def test_users_list_shows_a_locked_account(env: dict[str, str]) -> None:
    ren(env, "users", "add", "dora", "--role", "documentalist", stdin=PASSWORD)
    with open_ledger(load_settings().db_url)() as session:
        for _ in range(accounts.MAX_FAILED_LOGINS):
            accounts.authenticate(session, "dora", "wrong password")
        session.commit()
    listed = ren(env, "users", "list")
    assert listed.returncode == 0 and "dora" in listed.stdout and "oui / yes" in listed.stdout
