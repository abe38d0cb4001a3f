"""The admin page for accounts in a real browser: an admin adds an account, changes its role, resets
its password, and the new person logs in with the new password (not with the first one).

Every page visited is checked clean (no console error, no CSP violation); the confirmation asked
before a password reset (``data-confirm``) is accepted as the person would.
"""

from __future__ import annotations

import re
import uuid

from sqlalchemy import select

from ren_index.ledger.models import Event
from ren_index.web import accounts

from .conftest import LiveApp, PageGuard, login

FIRST_PASSWORD = "premier mot de passe de nadia"
NEW_PASSWORD = "nouveau mot de passe de nadia"


def test_an_admin_adds_an_account_changes_its_role_resets_its_password(
    guard: PageGuard, live_app: LiveApp
) -> None:
    page = guard.page
    suffix = uuid.uuid4().hex[:6]
    admin, newcomer = f"admin-{suffix}", f"nadia-{suffix}"
    with live_app.ledger() as session:
        accounts.set_user(session, admin, "admin", live_app.password, actor="test")
        session.commit()

    login(page, admin)
    with page.expect_navigation():
        page.locator('nav.main-nav a[href="/review/accounts"]').click()
    assert page.locator("h1").inner_text() == "Comptes"
    guard.assert_clean()

    # Add: name, role, initial password twice.
    form = page.locator("#add-account")
    form.get_by_label("Nom d'utilisateur").fill(newcomer)
    form.get_by_label("Rôle").select_option("documentalist")
    form.get_by_label("Mot de passe initial").fill(FIRST_PASSWORD)
    form.get_by_label("Mot de passe, une seconde fois").fill(FIRST_PASSWORD)
    with page.expect_navigation():
        form.get_by_role("button", name="Créer le compte").click()
    assert page.locator(".alert-success").inner_text() == f"Compte {newcomer} créé (documentaliste)."
    row = page.locator(f'tr[data-account="{newcomer}"]')
    assert row.locator(".account-role").inner_text() == "documentaliste"
    assert row.locator(".account-last-login").inner_text() == "jamais"
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2} H[NA]E", row.locator(".account-created").inner_text())
    assert FIRST_PASSWORD not in page.content()
    guard.assert_clean()

    # Change the role.
    row.locator("summary").click()
    row.get_by_label("Rôle").select_option("librarian")
    with page.expect_navigation():
        row.get_by_role("button", name="Changer le rôle").click()
    assert "bibliothécaire" in page.locator(".alert-success").inner_text()
    row = page.locator(f'tr[data-account="{newcomer}"]')
    assert row.locator(".account-role").inner_text() == "bibliothécaire"

    # Reset the password (a confirmation is asked first).
    row.locator("summary").click()
    row.get_by_label("Nouveau mot de passe").fill(NEW_PASSWORD)
    row.get_by_label("Mot de passe, une seconde fois").fill(NEW_PASSWORD)
    with page.expect_navigation():
        row.get_by_role("button", name="Réinitialiser le mot de passe").click()
    assert guard.confirms and "fermer ses sessions" in guard.confirms[-1]
    assert f"Mot de passe de {newcomer} réinitialisé" in page.locator(".alert-success").inner_text()
    assert NEW_PASSWORD not in page.content()
    guard.screenshot("accounts-page.png")
    guard.assert_clean()

    with page.expect_navigation():
        page.get_by_role("button", name="Se déconnecter").click()

    # The first password no longer opens the account; the new one does, with the new role.
    login(page, newcomer, FIRST_PASSWORD)
    assert "/review/login" in page.url and page.locator(".alert-error, .alert").count() >= 1
    login(page, newcomer, NEW_PASSWORD)
    assert page.url.endswith("/review/")
    assert page.locator(".user-box .badge-role").inner_text() == "bibliothécaire"
    assert page.locator('nav.main-nav a[href="/review/accounts"]').count() == 0  # not an admin
    guard.assert_clean()

    with live_app.ledger() as session:
        trail = session.scalars(
            select(Event).where(Event.actor == admin, Event.action.like("user_%")).order_by(Event.id)
        ).all()
        assert [e.action for e in trail] == ["user_created", "user_role_changed", "user_password_reset"]
        text = repr([(e.before, e.after, e.comment) for e in trail])
        assert FIRST_PASSWORD not in text and NEW_PASSWORD not in text
