"""``ren-index users add|list|unlock|remove`` through the real console entry point, then a login with
the account."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from ren_index.ledger.db import open_ledger
from ren_index.ledger.models import Event
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
    listed = ren({**env, "COLUMNS": "250"}, "users", "list")
    assert (
        listed.returncode == 0 and "dora" in listed.stdout and "verrouillé / locked: unknown" in listed.stdout
    )


MONTREAL_TIME = r"\d{4}-\d{2}-\d{2} \d{2}:\d{2} H[NA]E"
UTC_ISO = r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?\+00:00"


def test_users_list_shows_roles_in_words_last_login_and_lock_outs(env: dict[str, str]) -> None:
    wide = {**env, "COLUMNS": "250"}  # rich wraps table cells to the width: one line per account
    ren(env, "users", "add", "ada", "--role", "admin", stdin=PASSWORD)
    ren(env, "users", "add", "dora", "--role", "documentalist", stdin=PASSWORD)
    ren(env, "users", "add", "lib", "--role", "librarian", stdin=PASSWORD)
    settings = load_settings()
    with TestClient(create_app(settings), follow_redirects=False) as client:
        page = client.get("/review/login").text
        token = page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
        for _ in range(accounts.MAX_FAILED_LOGINS):
            client.post("/review/login", data={"username": "lib", "password": "not it", "csrf_token": token})
        # A successful login starts a fresh session (and token): it comes last.
        logged = client.post(
            "/review/login", data={"username": "dora", "password": PASSWORD, "csrf_token": token}
        )
        assert logged.status_code == 303

    listed = ren(wide, "users", "list")
    assert listed.returncode == 0, listed.stderr
    lines = {
        line.split()[1]: line
        for line in listed.stdout.splitlines()
        if line.split()[1:2] in (["ada"], ["dora"], ["lib"])
    }
    assert "administrateur / admin" in lines["ada"]
    assert "documentaliste / documentalist" in lines["dora"]
    assert "bibliothécaire / librarian" in lines["lib"]
    assert len(re.findall(MONTREAL_TIME, lines["dora"])) == 2  # created, last login
    assert "jamais / never" in lines["ada"] and "jamais / never" in lines["lib"]
    assert "jamais / never" not in lines["dora"]
    assert "actif / active" in lines["dora"]
    assert re.search(f"verrouillé / locked: testclient jusqu'à / until {MONTREAL_TIME}", lines["lib"])

    rows = {u["name"]: u for u in json.loads(ren(env, "users", "list", "--json").stdout)}
    assert [
        (rows[n]["role"], rows[n]["role_label_fr"], rows[n]["role_label_en"]) for n in ("ada", "dora", "lib")
    ] == [
        ("admin", "administrateur", "admin"),
        ("documentalist", "documentaliste", "documentalist"),
        ("librarian", "bibliothécaire", "librarian"),
    ]
    assert re.fullmatch(UTC_ISO, rows["dora"]["last_login_at"]) and rows["lib"]["last_login_at"] is None
    assert re.fullmatch(UTC_ISO, rows["ada"]["created_at"])
    assert rows["lib"]["locked"] and rows["lib"]["locked_from"] == ["testclient"]
    [lock] = rows["lib"]["locks"]
    assert lock["client"] == "testclient" and re.fullmatch(UTC_ISO, lock["locked_until"])
    assert not rows["dora"]["locked"] and rows["dora"]["locks"] == [] and rows["dora"]["active"]


def one_line(text: str) -> str:
    lines = text.strip().splitlines()
    assert len(lines) == 1, text
    return lines[0]


def test_users_unlock_lifts_the_lock_of_every_address(env: dict[str, str]) -> None:
    ren(env, "users", "add", "dora", "--role", "documentalist", stdin=PASSWORD)
    factory = open_ledger(load_settings().db_url)
    with factory() as session:
        for _ in range(accounts.MAX_FAILED_LOGINS):
            accounts.authenticate(session, "dora", "wrong password", client="192.0.2.10")
        session.commit()
    listed = json.loads(ren(env, "users", "list", "--json").stdout)
    assert [(u["locked"], u["locked_from"]) for u in listed] == [(True, ["192.0.2.10"])]

    unlocked = ren(env, "users", "unlock", "dora")
    assert unlocked.returncode == 0, unlocked.stderr
    assert one_line(unlocked.stderr) == "verrous levés / lock-outs lifted: dora (192.0.2.10)"
    assert unlocked.stdout == ""
    listed = json.loads(ren(env, "users", "list", "--json").stdout)
    assert [(u["locked"], u["locked_from"]) for u in listed] == [(False, [])]
    with factory() as session:
        assert accounts.authenticate(session, "dora", PASSWORD, client="192.0.2.10").outcome == "ok"
        trail = session.scalars(select(Event).where(Event.action == "user_unlocked")).all()
        assert [(e.actor, e.after) for e in trail] == [("cli", {"user": "dora", "clients": ["192.0.2.10"]})]

    again = ren(env, "users", "unlock", "dora")
    assert (
        again.returncode == 0
        and one_line(again.stderr) == "aucun verrou en cours / no lock-out in force: dora"
    )


def test_users_remove_deletes_the_account_ends_its_sessions_and_keeps_its_events(env: dict[str, str]) -> None:
    ren(env, "users", "add", "dora", "--role", "documentalist", stdin=PASSWORD)
    ren(env, "users", "add", "paul", "--role", "librarian", stdin=PASSWORD)
    settings = load_settings()
    with TestClient(create_app(settings), follow_redirects=False) as client:
        page = client.get("/review/login").text
        token = page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
        client.post("/review/login", data={"username": "dora", "password": PASSWORD, "csrf_token": token})
        assert client.get("/review/_whoami").status_code == 200

        removed = ren(env, "users", "remove", "dora")
        assert removed.returncode == 0, removed.stderr
        assert one_line(removed.stderr) == (
            "compte supprimé, sessions fermées / user removed, sessions ended: dora (documentalist)"
        )
        assert client.get("/review/_whoami").status_code == 303  # her open session is over

    listed = json.loads(ren(env, "users", "list", "--json").stdout)
    assert [u["name"] for u in listed] == ["paul"]
    with open_ledger(settings.db_url)() as session:
        assert [e.action for e in session.scalars(select(Event).where(Event.actor == "dora"))] == ["login"]
        trail = session.scalars(select(Event).where(Event.action == "user_removed")).all()
        assert [(e.actor, e.before) for e in trail] == [("cli", {"user": "dora", "role": "documentalist"})]


@pytest.mark.parametrize("command", ["unlock", "remove"])
@pytest.mark.parametrize("name", ["ghost", "[/bold]ghost[red]"])
def test_users_unlock_and_remove_refuse_an_unknown_name_in_one_line(
    env: dict[str, str], command: str, name: str
) -> None:
    ren(env, "users", "add", "dora", "--role", "documentalist", stdin=PASSWORD)
    refused = ren(env, "users", command, name)
    assert refused.returncode == 1
    assert one_line(refused.stderr) == f"erreur / error: utilisateur inconnu / unknown user: {name}"
    assert refused.stdout == ""
    listed = json.loads(ren(env, "users", "list", "--json").stdout)
    assert [u["name"] for u in listed] == ["dora"]
