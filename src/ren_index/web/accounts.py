"""Accounts of the review UI: roles, argon2 password hashes, login attempts and lock-out.

Kept apart from the web layer so the command line (``ren-index users add``) and the web app apply
the same rules. Passwords are hashed with argon2id through ``argon2-cffi`` (a maintained library
with sane defaults, re-hashed transparently when those defaults are raised). Repeated failed logins
lock the account for a while: an online guessing attack then costs hours per handful of guesses,
while a documentalist who mistyped is back in a quarter of an hour.
"""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import select
from sqlalchemy.orm import Session

from ren_index.errors import RenIndexError
from ren_index.ledger import store
from ren_index.ledger.models import User, utcnow

ROLES: tuple[str, ...] = ("documentalist", "librarian", "admin")
"""Every role an account may have."""
DECIDING_ROLES: frozenset[str] = frozenset({"documentalist", "admin"})
"""Roles allowed to approve, reject and correct records; librarians only read."""
MIN_PASSWORD_LENGTH = 10
MAX_FAILED_LOGINS = 5
"""Consecutive failures after which the account is locked."""
LOCK_DURATION = timedelta(minutes=15)

_hasher = PasswordHasher()


@functools.cache
def _dummy_hash() -> str:
    """Verified against when the name is unknown, so that case costs as much time as a wrong
    password and response times do not tell which names exist. Made on first use, not at import."""
    return _hasher.hash("ren-index: not a real password")


class AccountError(RenIndexError):
    """An account cannot be created or changed as asked (unknown role, too short a password...)."""


LoginOutcome = Literal["ok", "invalid", "locked"]


@dataclass(frozen=True)
class LoginResult:
    """What a login attempt came to. ``user`` is set only when ``outcome`` is ``ok``."""

    outcome: LoginOutcome
    user: User | None = None
    locked_until: datetime | None = None


def hash_password(password: str) -> str:
    """An argon2id hash of ``password`` (``$argon2id$...``), salted; never store the clear text."""
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """True when ``password`` matches ``password_hash``; a malformed hash is simply a mismatch."""
    try:
        return _hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """True when the hash was made with weaker parameters than today's defaults."""
    try:
        return _hasher.check_needs_rehash(password_hash)
    except InvalidHashError:
        return True


def password_fingerprint(password_hash: str) -> str:
    """A short digest of the stored hash, kept in the session cookie.

    A session whose fingerprint no longer matches (the password was changed with
    ``users add``) is no longer valid: changing a password logs out every open session.
    """
    return hashlib.sha256(password_hash.encode("utf-8")).hexdigest()[:16]


def check_new_password(password: str) -> None:
    """Refuse passwords too short to resist guessing (blank ones included)."""
    if len(password.strip()) < MIN_PASSWORD_LENGTH:
        raise AccountError(
            f"password too short: at least {MIN_PASSWORD_LENGTH} characters / "
            f"mot de passe trop court : au moins {MIN_PASSWORD_LENGTH} caractères"
        )


def check_role(role: str) -> str:
    """The role, if it is one of :data:`ROLES`."""
    if role not in ROLES:
        raise AccountError(f"unknown role {role!r} / rôle inconnu: choose one of {', '.join(ROLES)}")
    return role


def find_user(session: Session, name: str) -> User | None:
    """The account named ``name`` (exact match), if any."""
    return session.scalars(select(User).where(User.name == name)).first()


def set_user(session: Session, name: str, role: str, password: str, *, actor: str = "cli") -> bool:
    """Create the account, or update its role and password; True when it was created.

    Updating also clears a lock-out and re-activates the account: it is how an administrator
    lets a locked-out person back in. The caller commits.
    """
    name = name.strip()
    if not name or len(name) > 128:
        raise AccountError("a user name is 1 to 128 characters / nom d'utilisateur de 1 à 128 caractères")
    check_role(role)
    check_new_password(password)
    user = find_user(session, name)
    created = user is None
    if user is None:
        user = User(name=name, role=role, password_hash=hash_password(password), failed_logins=0, active=True)
        session.add(user)
    else:
        user.role = role
        user.password_hash = hash_password(password)
        user.failed_logins = 0
        user.locked_until = None
        user.active = True
    store.record_event(
        session,
        actor=actor,
        action="user_created" if created else "user_updated",
        after={"user": name, "role": role},
    )
    return created


def list_users(session: Session) -> list[User]:
    """Every account, by name."""
    return list(session.scalars(select(User).order_by(User.name)))


def is_locked(user: User, now: datetime | None = None) -> bool:
    """True while a lock-out is running."""
    return user.locked_until is not None and user.locked_until > (now or utcnow())


def authenticate(
    session: Session, name: str, password: str, *, client: str | None = None, now: datetime | None = None
) -> LoginResult:
    """Check a login attempt, count failures, lock after too many, and record it in the audit trail.

    The same ``invalid`` outcome covers an unknown name, an inactive account and a wrong password,
    so the answer does not tell which names exist. A locked account is refused without looking at
    the password (a right guess during the lock-out must not be confirmed). The caller commits.
    """
    now = now or utcnow()
    where = {"client": client} if client else None
    user = find_user(session, name)
    if user is None or not user.active:
        verify_password(_dummy_hash(), password)
        store.record_event(
            session, actor="anonymous", action="login_failed", after={"user": name[:128], **(where or {})}
        )
        return LoginResult("invalid")
    if is_locked(user, now):
        store.record_event(session, actor=user.name, action="login_refused_locked", after=where)
        return LoginResult("locked", locked_until=user.locked_until)
    if not verify_password(user.password_hash, password):
        user.failed_logins = (user.failed_logins or 0) + 1
        store.record_event(
            session,
            actor=user.name,
            action="login_failed",
            after={"failed_logins": user.failed_logins, **(where or {})},
        )
        if user.failed_logins >= MAX_FAILED_LOGINS:
            # The counter starts again after the lock-out: five more tries, then locked again.
            user.failed_logins = 0
            user.locked_until = now + LOCK_DURATION
            store.record_event(
                session,
                actor=user.name,
                action="account_locked",
                after={"locked_until": user.locked_until.isoformat(), **(where or {})},
            )
            return LoginResult("locked", locked_until=user.locked_until)
        return LoginResult("invalid")
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = now
    store.record_event(session, actor=user.name, action="login", after=where)
    return LoginResult("ok", user=user)
