"""The admin page for accounts (``/review/accounts``) through the web app: every action by an admin,
each refused to a librarian and a documentalist (403) and without the CSRF token (403), the self and
last-admin rules, a password reset that ends the person's sessions, and the audit trail (the admin's
name, never a password)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import select

from ren_index.ledger.models import Event
from ren_index.web import accounts

from .conftest import PASSWORD, csrf_from, login

NEW_PASSWORD = "un tout nouveau mot de passe"
FIRST_PASSWORD = "premier mot de passe, assez long"
ACCOUNTS = "/review/accounts"


def events(app: FastAPI, action: str) -> list[Event]:
    with app.state.ledger() as session:
        return list(session.scalars(select(Event).where(Event.action == action).order_by(Event.id)))


def every_event_text(app: FastAPI) -> str:
    """The whole audit trail as one JSON text: what a password must never be found in."""
    with app.state.ledger() as session:
        rows = session.scalars(select(Event)).all()
        return json.dumps(
            [[e.actor, e.action, e.before, e.after, e.comment] for e in rows], ensure_ascii=False
        )


def view(app: FastAPI, name: str) -> accounts.AccountView:
    with app.state.ledger() as session:
        return next(v for v in accounts.account_views(session) if v.name == name)


def other_client(app: FastAPI) -> TestClient:
    return TestClient(app, follow_redirects=False)


@pytest.fixture
def admin(client: TestClient, make_user: Callable[..., str]) -> TestClient:
    """``client`` logged in as the admin ``ada``; the page's token is read as a browser would."""
    make_user("ada", "admin")
    assert login(client, "ada").status_code == 303
    return client


def token(client: TestClient) -> str:
    page = client.get(ACCOUNTS)
    assert page.status_code == 200, page.text
    return csrf_from(page.text)


def post(client: TestClient, path: str, **data: str) -> Response:
    response: Response = client.post(path, data={"csrf_token": token(client), **data})
    return response


def banner(client: TestClient, lang: str = "fr") -> str:
    page = client.get(f"{ACCOUNTS}?lang={lang}")
    assert page.status_code == 200
    found: list[str] = re.findall(r'<div class="alert alert-success"[^>]*>([^<]*)</div>', page.text)
    assert found, "no success banner"
    return found[-1]


# -- the list ------------------------------------------------------------------------------------


def test_the_list_shows_roles_in_words_logins_and_lock_outs(
    admin: TestClient, make_user: Callable[..., str], app: FastAPI
) -> None:
    make_user("dora", "documentalist")
    make_user("lib", "librarian")
    with other_client(app) as dora:
        assert login(dora, "dora").status_code == 303
    with other_client(app) as stranger:
        for _ in range(accounts.MAX_FAILED_LOGINS):
            login(stranger, "lib", "not the password")

    page = admin.get(ACCOUNTS).text
    rows = {
        name: row for name, row in re.findall(r'<tr data-account="([^"]+)">(.*?)</tr>', page, flags=re.DOTALL)
    }
    assert set(rows) == {"ada", "dora", "lib"}
    assert "administrateur·rice" in rows["ada"] and "(vous)" in rows["ada"]
    assert "documentaliste" in rows["dora"] and "bibliothécaire" in rows["lib"]
    # Dates in Montreal time with the zone; nobody logged in as lib: « jamais ».
    assert re.search(r'account-last-login">\d{4}-\d{2}-\d{2} \d{2}:\d{2} H[NA]E<', rows["dora"])
    assert re.search(r'account-created">\d{4}-\d{2}-\d{2} \d{2}:\d{2} H[NA]E<', rows["lib"])
    assert 'account-last-login">jamais<' in rows["lib"]
    assert re.search(
        r"verrouillé depuis testclient jusqu&#39;à \d{4}-\d{2}-\d{2} \d{2}:\d{2} H[NA]E", rows["lib"]
    )
    assert "/review/accounts/unlock" in rows["lib"] and "/review/accounts/unlock" not in rows["dora"]
    assert "/review/accounts/remove?name=" not in rows["ada"]  # no removing oneself
    english = admin.get(f"{ACCOUNTS}?lang=en").text
    assert "documentalist" in english and "librarian" in english and ">never<" in english
    assert "locked from testclient until" in english


def test_the_accounts_link_is_in_the_navigation_of_admins_only(
    admin: TestClient, make_user: Callable[..., str], app: FastAPI
) -> None:
    assert 'href="/review/accounts"' in admin.get("/review/").text
    for name, role in [("dora", "documentalist"), ("lib", "librarian")]:
        make_user(name, role)
        with other_client(app) as person:
            login(person, name)
            assert 'href="/review/accounts"' not in person.get("/review/").text
            refused = person.get(ACCOUNTS)
            assert refused.status_code == 403 and "Accès refusé" in refused.text


# -- add -----------------------------------------------------------------------------------------


def test_an_admin_adds_an_account_that_logs_in(admin: TestClient, app: FastAPI) -> None:
    done = post(
        admin,
        ACCOUNTS,
        name="marie",
        role="documentalist",
        password=FIRST_PASSWORD,
        password_confirm=FIRST_PASSWORD,
    )
    assert done.status_code == 303 and done.headers["location"] == ACCOUNTS
    assert banner(admin) == "Compte marie créé (documentaliste)."
    assert [(e.actor, e.after) for e in events(app, "user_created") if e.actor == "ada"] == [
        ("ada", {"user": "marie", "role": "documentalist"})
    ]
    with other_client(app) as marie:
        assert login(marie, "marie", FIRST_PASSWORD).status_code == 303
        assert marie.get("/review/_whoami").json()["role"] == "documentalist"
    assert FIRST_PASSWORD not in every_event_text(app)


@pytest.mark.parametrize(
    ("data", "status", "french", "english"),
    [
        (
            {"name": "marie", "role": "documentalist", "password": "Zq9-xy", "password_confirm": "Zq9-xy"},
            400,
            "Mot de passe trop court : au moins 10 caractères.",
            "Password too short: at least 10 characters.",
        ),
        (
            {
                "name": "marie",
                "role": "documentalist",
                "password": FIRST_PASSWORD,
                "password_confirm": "autre chose",
            },
            400,
            "Les deux mots de passe saisis diffèrent.",
            "The two passwords typed differ.",
        ),
        (
            {
                "name": "marie",
                "role": "editor",
                "password": FIRST_PASSWORD,
                "password_confirm": FIRST_PASSWORD,
            },
            400,
            "Ce rôle n&#39;existe pas.",
            "This role does not exist.",
        ),
        (
            {
                "name": "   ",
                "role": "librarian",
                "password": FIRST_PASSWORD,
                "password_confirm": FIRST_PASSWORD,
            },
            400,
            "Le nom d&#39;utilisateur doit compter de 1 à 128 caractères.",
            "A user name is 1 to 128 characters long.",
        ),
        (
            {
                "name": "ada",
                "role": "librarian",
                "password": FIRST_PASSWORD,
                "password_confirm": FIRST_PASSWORD,
            },
            409,
            "Le nom ada est déjà pris.",
            "The name ada is taken.",
        ),
    ],
)
def test_a_refused_account_says_why_in_both_languages_and_never_shows_the_password(
    admin: TestClient, app: FastAPI, data: dict[str, str], status: int, french: str, english: str
) -> None:
    for lang, message in [("fr", french), ("en", english)]:
        refused = admin.post(f"{ACCOUNTS}?lang={lang}", data={"csrf_token": token(admin), **data})
        assert refused.status_code == status
        assert message in refused.text
        assert data["password"] not in refused.text and data["password_confirm"] not in refused.text
    with app.state.ledger() as session:
        assert sorted(u.name for u in accounts.list_users(session)) == ["ada"]
        assert verify_login(app, "ada", PASSWORD)  # ada's password was not touched by the refusal


def verify_login(app: FastAPI, name: str, password: str) -> bool:
    with app.state.ledger() as session:
        user = accounts.find_user(session, name)
        return user is not None and accounts.verify_password(user.password_hash, password)


# -- change a role -------------------------------------------------------------------------------


def test_an_admin_changes_a_role_which_ends_the_persons_sessions(
    admin: TestClient, make_user: Callable[..., str], app: FastAPI
) -> None:
    make_user("dora", "documentalist")
    with other_client(app) as dora:
        login(dora, "dora")
        assert dora.get("/review/_whoami").status_code == 200
        done = post(admin, f"{ACCOUNTS}/role", name="dora", role="librarian")
        assert done.status_code == 303
        assert banner(admin) == "Rôle de dora changé : bibliothécaire. Ses sessions ouvertes sont fermées."
        assert dora.get("/review/_whoami").status_code == 303  # her old cookie logs nobody in
        login(dora, "dora")
        assert dora.get("/review/_whoami").json()["role"] == "librarian"
    assert [(e.actor, e.before, e.after) for e in events(app, "user_role_changed")] == [
        (
            "ada",
            {"user": "dora", "role": "documentalist"},
            {"user": "dora", "role": "librarian", "sessions_ended": True},
        )
    ]
    post(admin, f"{ACCOUNTS}/role?lang=en", name="dora", role="librarian")
    assert banner(admin, "en") == "dora already had the role librarian: nothing changed."
    assert len(events(app, "user_role_changed")) == 1


# -- reset a password ----------------------------------------------------------------------------


def test_a_password_reset_ends_the_old_sessions_and_the_new_password_works(
    admin: TestClient, make_user: Callable[..., str], app: FastAPI
) -> None:
    make_user("dora", "documentalist")
    with other_client(app) as dora:
        login(dora, "dora")
        assert dora.get("/review/_whoami").json()["name"] == "dora"
        old_cookie = dora.cookies.get("ren_session")
        assert old_cookie
        done = post(
            admin, f"{ACCOUNTS}/password", name="dora", password=NEW_PASSWORD, password_confirm=NEW_PASSWORD
        )
        assert done.status_code == 303
        # The cookie she holds no longer logs anyone in, for reads and for writes.
        assert dora.get("/review/_whoami").status_code == 303
        assert dora.post("/review/logout").status_code in (401, 403)
    with other_client(app) as replay:
        replay.cookies.set("ren_session", old_cookie)
        assert replay.get("/review/_whoami").status_code == 303
    assert banner(admin) == (
        "Mot de passe de dora réinitialisé ; ses sessions ouvertes sont fermées et ses verrous levés."
    )
    with other_client(app) as dora:
        assert login(dora, "dora", PASSWORD).status_code == 200  # the old password: the form again
        assert login(dora, "dora", NEW_PASSWORD).status_code == 303
    assert [(e.actor, e.after) for e in events(app, "user_password_reset")] == [
        ("ada", {"user": "dora", "sessions_ended": True, "clients_unlocked": []})
    ]
    trail = every_event_text(app)
    assert NEW_PASSWORD not in trail and PASSWORD not in trail


def test_a_password_reset_refuses_a_short_or_mismatched_password(
    admin: TestClient, make_user: Callable[..., str], app: FastAPI
) -> None:
    make_user("dora", "documentalist")
    short = admin.post(
        f"{ACCOUNTS}/password",
        data={"csrf_token": token(admin), "name": "dora", "password": "Zq9-xy", "password_confirm": "Zq9-xy"},
    )
    assert short.status_code == 400 and "Mot de passe trop court" in short.text
    differ = admin.post(
        f"{ACCOUNTS}/password?lang=en",
        data={
            "csrf_token": token(admin),
            "name": "dora",
            "password": NEW_PASSWORD,
            "password_confirm": "x" + NEW_PASSWORD,
        },
    )
    assert differ.status_code == 400 and "The two passwords typed differ." in differ.text
    assert NEW_PASSWORD not in differ.text
    unknown = admin.post(
        f"{ACCOUNTS}/password?lang=fr",
        data={
            "csrf_token": token(admin),
            "name": "ghost",
            "password": NEW_PASSWORD,
            "password_confirm": NEW_PASSWORD,
        },
    )
    assert unknown.status_code == 404 and "Aucun compte ne s&#39;appelle ghost." in unknown.text
    assert verify_login(app, "dora", PASSWORD) and events(app, "user_password_reset") == []


# -- unlock --------------------------------------------------------------------------------------


def test_an_admin_unlocks_a_locked_out_account(
    admin: TestClient, make_user: Callable[..., str], app: FastAPI
) -> None:
    make_user("dora", "documentalist")
    with other_client(app) as dora:
        for _ in range(accounts.MAX_FAILED_LOGINS):
            login(dora, "dora", "not her password")
        assert view(app, "dora").locked
        assert login(dora, "dora").status_code == 200  # locked out: the right password is refused
        done = post(admin, f"{ACCOUNTS}/unlock", name="dora")
        assert done.status_code == 303
        assert banner(admin) == "Verrous de dora levés (testclient)."
        assert not view(app, "dora").locked
        assert login(dora, "dora").status_code == 303
    assert [(e.actor, e.after) for e in events(app, "user_unlocked")] == [
        ("ada", {"user": "dora", "clients": ["testclient"]})
    ]
    post(admin, f"{ACCOUNTS}/unlock?lang=en", name="dora")
    assert banner(admin, "en") == "dora had no lock-out in force."


# -- remove --------------------------------------------------------------------------------------


def test_an_admin_removes_an_account_after_a_confirmation_step(
    admin: TestClient, make_user: Callable[..., str], app: FastAPI
) -> None:
    make_user("dora", "documentalist")
    with other_client(app) as dora:
        login(dora, "dora")
        confirm = admin.get(f"{ACCOUNTS}/remove", params={"name": "dora"})
        assert confirm.status_code == 200
        assert "Supprimer le compte dora ?" in confirm.text and "(documentaliste)" in confirm.text
        assert view(app, "dora")  # asking is not removing
        done = admin.post(f"{ACCOUNTS}/remove", data={"csrf_token": csrf_from(confirm.text), "name": "dora"})
        assert done.status_code == 303
        assert banner(admin) == "Compte dora supprimé ; ses sessions sont fermées."
        assert dora.get("/review/_whoami").status_code == 303
    with app.state.ledger() as session:
        assert accounts.find_user(session, "dora") is None
    assert [(e.actor, e.before) for e in events(app, "user_removed")] == [
        ("ada", {"user": "dora", "role": "documentalist"})
    ]


def test_names_with_any_character_travel_safely(admin: TestClient, app: FastAPI) -> None:
    name = 'a/b <i>&"x"'
    post(
        admin, ACCOUNTS, name=name, role="librarian", password=FIRST_PASSWORD, password_confirm=FIRST_PASSWORD
    )
    page = admin.get(ACCOUNTS).text
    assert "<i>" not in page and "a/b &lt;i&gt;&amp;&#34;x&#34;" in page
    confirm = admin.get(f"{ACCOUNTS}/remove", params={"name": name})
    assert confirm.status_code == 200
    assert (
        admin.post(f"{ACCOUNTS}/remove", data={"csrf_token": token(admin), "name": name}).status_code == 303
    )
    with app.state.ledger() as session:
        assert accounts.find_user(session, name) is None


# -- the rules -----------------------------------------------------------------------------------


def test_an_admin_can_neither_remove_nor_demote_themself(
    admin: TestClient, make_user: Callable[..., str], app: FastAPI
) -> None:
    make_user("bob", "admin")  # another admin: the refusal is the self rule, not the last-admin one
    confirm = admin.get(f"{ACCOUNTS}/remove", params={"name": "ada"})
    assert confirm.status_code == 409 and "Vous ne pouvez pas supprimer votre propre compte." in confirm.text
    removed = admin.post(f"{ACCOUNTS}/remove?lang=en", data={"csrf_token": token(admin), "name": "ada"})
    assert removed.status_code == 409 and "You cannot remove your own account." in removed.text
    demoted = admin.post(
        f"{ACCOUNTS}/role?lang=fr", data={"csrf_token": token(admin), "name": "ada", "role": "librarian"}
    )
    assert (
        demoted.status_code == 409
        and "Vous ne pouvez pas vous retirer le rôle d&#39;administrateur." in demoted.text
    )
    assert view(app, "ada").role == "admin"
    assert admin.get("/review/_whoami").json()["name"] == "ada"  # still logged in: nothing happened
    # Another admin may be demoted and removed.
    assert post(admin, f"{ACCOUNTS}/role", name="bob", role="documentalist").status_code == 303
    assert post(admin, f"{ACCOUNTS}/remove", name="bob").status_code == 303
    assert events(app, "user_role_changed")[0].actor == "ada"


def test_the_last_admin_is_neither_removed_nor_demoted(app: FastAPI, make_user: Callable[..., str]) -> None:
    """Through the page, the self rule comes first (the acting admin is an admin); the last-admin
    rule holds when the acting admin has just lost that role (two admins demoting each other)."""
    make_user("ada", "admin")
    make_user("bob", "admin")
    with app.state.ledger() as session:
        assert accounts.change_role(session, "bob", "librarian", by="ada")  # ada is still admin: allowed
        session.commit()
    with app.state.ledger() as session:
        with pytest.raises(accounts.AccountRuleError) as demote:
            accounts.change_role(session, "ada", "librarian", by="bob")
        assert demote.value.key == "accounts.error.last_admin_demote"
        assert "the last admin cannot be demoted" in str(demote.value)
        with pytest.raises(accounts.AccountRuleError) as remove:
            accounts.remove_user(session, "ada", actor="bob", by="bob")
        assert remove.value.key == "accounts.error.last_admin_remove"
        session.rollback()
    assert view(app, "ada").role == "admin"
    assert [e.after["role"] for e in events(app, "user_role_changed") if e.after] == ["librarian"]


# -- refusals: roles and CSRF --------------------------------------------------------------------

ACTIONS: list[tuple[str, dict[str, str]]] = [
    (
        ACCOUNTS,
        {"name": "eve", "role": "admin", "password": FIRST_PASSWORD, "password_confirm": FIRST_PASSWORD},
    ),
    (f"{ACCOUNTS}/role", {"name": "ada", "role": "librarian"}),
    (f"{ACCOUNTS}/password", {"name": "ada", "password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD}),
    (f"{ACCOUNTS}/unlock", {"name": "ada"}),
    (f"{ACCOUNTS}/remove", {"name": "ada"}),
]


@pytest.mark.parametrize("role", ["documentalist", "librarian"])
@pytest.mark.parametrize(("path", "data"), ACTIONS, ids=[p for p, _ in ACTIONS])
def test_every_action_is_refused_to_other_roles(
    client: TestClient,
    make_user: Callable[..., str],
    app: FastAPI,
    role: str,
    path: str,
    data: dict[str, str],
) -> None:
    make_user("ada", "admin")
    make_user("someone", role)
    login(client, "someone")
    page_token = csrf_from(client.get("/review/").text)
    refused = client.post(path, data={"csrf_token": page_token, **data})
    assert refused.status_code == 403
    assert client.get(f"{ACCOUNTS}/remove", params={"name": "ada"}).status_code == 403
    assert_nothing_changed(app)


@pytest.mark.parametrize(("path", "data"), ACTIONS, ids=[p for p, _ in ACTIONS])
def test_every_action_needs_the_csrf_token(
    admin: TestClient, make_user: Callable[..., str], app: FastAPI, path: str, data: dict[str, str]
) -> None:
    make_user("bob", "admin")
    target = {**data, "name": "bob"} if data["name"] == "ada" else data
    missing = admin.post(path, data=target)
    assert missing.status_code == 403 and "jeton CSRF" in missing.text
    wrong = admin.post(path, data={"csrf_token": "not-the-token", **target})
    assert wrong.status_code == 403
    with app.state.ledger() as session:
        assert sorted((u.name, u.role) for u in accounts.list_users(session)) == [
            ("ada", "admin"),
            ("bob", "admin"),
        ]
        assert verify_login(app, "bob", PASSWORD)
    assert [e.action for e in events_by(app, "ada")] == ["login"]


def events_by(app: FastAPI, actor: str) -> list[Event]:
    with app.state.ledger() as session:
        return list(session.scalars(select(Event).where(Event.actor == actor).order_by(Event.id)))


def assert_nothing_changed(app: FastAPI) -> None:
    with app.state.ledger() as session:
        assert accounts.find_user(session, "eve") is None
        ada = accounts.find_user(session, "ada")
        assert ada is not None and ada.role == "admin"
    assert verify_login(app, "ada", PASSWORD)
    for action in ("user_role_changed", "user_password_reset", "user_unlocked", "user_removed"):
        assert events(app, action) == []
