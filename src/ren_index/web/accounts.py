"""Accounts of the review UI: roles, argon2 password hashes, login attempts, lock-out and sessions.

Kept apart from the web layer so the command line (``ren-index users add|unlock|remove``) and the
web app apply the same rules. Passwords are hashed with argon2id through ``argon2-cffi`` (a
maintained library with sane defaults, re-hashed transparently when those defaults are raised).

Repeated failed logins lock out the pair (account, client address) for a while: an online guessing
attack from one address then costs hours per handful of guesses, a documentalist who mistyped is
back in a quarter of an hour, and nobody can lock a colleague out from elsewhere. Every refusal
looks the same from outside (unknown name, wrong password, locked pair: same outcome for the page,
one password hash verified each time); the audit trail records which it was.

Sessions are revocable: each account has a random ``session_key`` copied into the session cookie;
:func:`end_sessions` replaces it, so every cookie issued before no longer logs anyone in.

The admin page's changes (add, change a role, reset a password, remove) live here too, with the
rules that keep at least one admin able to run the page.

Size: one module on purpose — the account rules (passwords, roles, lock-outs, sessions, the last
admin) are read together when one of them changes; splitting them would hide one from the other.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from ren_index.errors import RenIndexError
from ren_index.ledger import store
from ren_index.ledger.models import LoginLock, User, new_session_key, utcnow

ROLES: tuple[str, ...] = ("documentalist", "librarian", "admin")
"""Every role an account may have."""
DECIDING_ROLES: frozenset[str] = frozenset({"documentalist", "admin"})
"""Roles allowed to approve, reject and correct records; librarians only read."""
ROLE_LABELS: dict[str, tuple[str, str]] = {
    "documentalist": ("documentaliste", "documentalist"),
    "librarian": ("bibliothécaire", "librarian"),
    "admin": ("administrateur", "admin"),
}
"""Each role in words (French, English); the web pages use their own catalogue (``role.*``)."""
MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 1024
"""As long as the login form accepts: a longer password could never be typed in."""
MAX_FAILED_LOGINS = 5
"""Consecutive failures from one client address after which that address is locked out of the account."""
LOCK_DURATION = timedelta(minutes=15)
UNKNOWN_CLIENT = "unknown"
"""The address recorded when the server was not told one (a Unix socket): such clients share a lock."""
_MAX_CLIENT = 64

_hasher = PasswordHasher()


@functools.cache
def _dummy_hash() -> str:
    """Verified against when the name is unknown or the pair locked, so every refusal costs one
    hash verification, like a wrong password, and response times do not tell which names exist.
    Made on first use, not at import."""
    return _hasher.hash("ren-index: not a real password")


class AccountError(RenIndexError):
    """An account cannot be created or changed as asked (unknown role, too short a password...).

    The text is French / English for the command line; ``key`` and ``values`` name the same
    message in the web app's catalogue (``web/messages/accounts.py``), so the page says it in the
    person's language.
    """

    def __init__(self, message: str, *, key: str = "accounts.error.invalid", **values: object) -> None:
        super().__init__(message)
        self.key = key
        self.values = values


class AccountRuleError(AccountError):
    """The change is well formed but breaks a rule of the admin page: an admin removing or demoting
    themself, the last admin removed or demoted, a name already taken (HTTP 409 there)."""


class UnknownUserError(AccountError):
    """No account has that name (``users unlock`` and ``users remove`` say so in one line)."""

    def __init__(self, name: str) -> None:
        message = f"utilisateur inconnu / unknown user: {name}"
        super().__init__(message, key="accounts.error.unknown", name=name)
        self.name = name


LoginOutcome = Literal["ok", "invalid", "locked"]


@dataclass(frozen=True)
class LoginResult:
    """What a login attempt came to. ``user`` is set only when ``outcome`` is ``ok``.

    ``invalid`` and ``locked`` are told apart for the audit trail and the tests only: the login
    page gives both the same answer.
    """

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


def check_new_password(password: str) -> None:
    """Refuse passwords too short to resist guessing (blank ones included), or longer than a login
    form accepts (the account could never log in, and hashing megabytes costs the server)."""
    if len(password.strip()) < MIN_PASSWORD_LENGTH:
        raise AccountError(
            f"mot de passe trop court : au moins {MIN_PASSWORD_LENGTH} caractères / "
            f"password too short: at least {MIN_PASSWORD_LENGTH} characters",
            key="accounts.error.password_short",
            min=MIN_PASSWORD_LENGTH,
        )
    if len(password) > MAX_PASSWORD_LENGTH:
        raise AccountError(
            f"mot de passe trop long : au plus {MAX_PASSWORD_LENGTH} caractères / "
            f"password too long: at most {MAX_PASSWORD_LENGTH} characters",
            key="accounts.error.password_long",
            max=MAX_PASSWORD_LENGTH,
        )


def check_role(role: str) -> str:
    """The role, if it is one of :data:`ROLES`."""
    if role not in ROLES:
        raise AccountError(
            f"rôle inconnu / unknown role {role!r}: {', '.join(ROLES)}", key="accounts.error.role"
        )
    return role


def role_label(role: str) -> str:
    """``documentaliste / documentalist``: the role in words, French first, for the command line."""
    french, english = ROLE_LABELS.get(role, (role, role))
    return f"{french} / {english}"


def client_key(client: str | None) -> str:
    """The client address as stored with a lock (``unknown`` when the server was not told one)."""
    return (client or UNKNOWN_CLIENT)[:_MAX_CLIENT]


def find_user(session: Session, name: str) -> User | None:
    """The account named ``name`` (exact match), if any."""
    return session.scalars(select(User).where(User.name == name)).first()


def get_user(session: Session, name: str) -> User:
    """The account named ``name``; :class:`UnknownUserError` when there is none."""
    user = find_user(session, name)
    if user is None:
        raise UnknownUserError(name)
    return user


def end_sessions(user: User) -> None:
    """End every open session of ``user`` at once: the key their cookies carry is replaced.

    The caller commits; until then the old sessions still work.
    """
    user.session_key = new_session_key()


def set_user(session: Session, name: str, role: str, password: str, *, actor: str = "cli") -> bool:
    """Create the account, or update its role and password; True when it was created.

    Updating also ends the account's open sessions (a role given or taken away applies at once,
    a replaced password locks out whoever knew the old one), clears its lock-outs and re-activates
    it: it is how an administrator lets a locked-out person back in. The caller commits.
    """
    name = name.strip()
    if not name or len(name) > 128:
        raise AccountError(
            "nom d'utilisateur de 1 à 128 caractères / a user name is 1 to 128 characters",
            key="accounts.error.name",
        )
    check_role(role)
    check_new_password(password)
    user = find_user(session, name)
    created = user is None
    before: dict[str, str] | None = None
    if user is None:
        user = User(name=name, role=role, password_hash=hash_password(password), active=True)
        session.add(user)
    else:
        before = {"user": name, "role": user.role}
        user.role = role
        user.password_hash = hash_password(password)
        user.active = True
        end_sessions(user)
        session.execute(delete(LoginLock).where(LoginLock.user_id == user.id))
    store.record_event(
        session,
        actor=actor,
        action="user_created" if created else "user_updated",
        before=before,
        after={"user": name, "role": role} | ({} if created else {"sessions_ended": True}),
    )
    return created


def log_out(session: Session, user_id: int, *, client: str | None = None) -> None:
    """The person logs out: every session of the account ends, not only this browser's cookie.

    A cookie copied before the logout (a shared computer, a stolen cookie) is then worthless.
    The caller commits.
    """
    user = session.get(User, user_id)
    if user is None:
        return
    end_sessions(user)
    store.record_event(session, actor=user.name, action="logout", after={"client": client_key(client)})


def unlock_user(session: Session, name: str, *, actor: str = "cli", now: datetime | None = None) -> list[str]:
    """Lift every lock-out of the account and forget its failed logins; the addresses that were
    locked out. :class:`UnknownUserError` for an unknown name. The caller commits."""
    user = get_user(session, name)
    locked = locked_clients(session, user, now)
    session.execute(delete(LoginLock).where(LoginLock.user_id == user.id))
    store.record_event(
        session, actor=actor, action="user_unlocked", after={"user": user.name, "clients": locked}
    )
    return locked


def remove_user(session: Session, name: str, *, actor: str = "cli", by: str | None = None) -> User:
    """Delete the account (its sessions end: no row, no login) and return it.

    Its events stay in the audit trail, which names people rather than pointing at their row.
    :class:`UnknownUserError` for an unknown name. ``by``: the admin removing it from the web page,
    held to the page's rules (not themself, not the last admin). The caller commits.
    """
    user = get_user(session, name) if by is None else check_removable(session, name, by=by)
    session.execute(delete(LoginLock).where(LoginLock.user_id == user.id))
    session.delete(user)
    store.record_event(
        session, actor=actor, action="user_removed", before={"user": user.name, "role": user.role}
    )
    return user


def list_users(session: Session) -> list[User]:
    """Every account, by name."""
    return list(session.scalars(select(User).order_by(User.name)))


@dataclass(frozen=True)
class AccountLock:
    """One client address locked out of an account, and until when (UTC)."""

    client: str
    locked_until: datetime


@dataclass(frozen=True)
class AccountView:
    """An account as ``users list`` and the admin page show it (no password material)."""

    name: str
    role: str
    active: bool
    created_at: datetime
    last_login_at: datetime | None
    locks: tuple[AccountLock, ...]

    @property
    def locked(self) -> bool:
        return bool(self.locks)


def account_views(session: Session, now: datetime | None = None) -> list[AccountView]:
    """Every account by name, with the lock-outs in force at ``now`` (two queries in all)."""
    moment = now or utcnow()
    locks: dict[int, list[AccountLock]] = {}
    query = select(LoginLock).where(LoginLock.locked_until > moment).order_by(LoginLock.client)
    for lock in session.scalars(query):
        assert lock.locked_until is not None
        locks.setdefault(lock.user_id, []).append(AccountLock(lock.client, lock.locked_until))
    return [
        AccountView(
            name=u.name,
            role=u.role,
            active=u.active,
            created_at=u.created_at,
            last_login_at=u.last_login_at,
            locks=tuple(locks.get(u.id, ())),
        )
        for u in list_users(session)
    ]


# -- the admin page's changes: each checks its rules, ends sessions where it must, is audited ----


def _other_active_admins(session: Session, user: User) -> int:
    """How many other active admins there are; their rows stay locked until commit (PostgreSQL),
    so two admins demoting each other at the same moment cannot both succeed."""
    admins = select(User.id).where(User.role == "admin", User.active).with_for_update()
    return len([uid for uid in session.scalars(admins) if uid != user.id])


def _check_admin_rules(session: Session, user: User, by: str, *, change: Literal["remove", "demote"]) -> None:
    """Refuse what would leave nobody to run the accounts: an admin removing or demoting themself
    (a slip of the mouse, and the page is gone for them), or the last active admin removed or
    demoted. The command line, the server's recovery path, is not bound by these rules."""
    if user.name == by:
        raise AccountRuleError(_RULE_TEXTS[f"self_{change}"], key=f"accounts.error.self_{change}")
    if user.role == "admin" and _other_active_admins(session, user) == 0:
        raise AccountRuleError(
            f"{_RULE_TEXTS[f'last_admin_{change}']}: {user.name}",
            key=f"accounts.error.last_admin_{change}",
            name=user.name,
        )


_RULE_TEXTS = {
    "self_remove": "vous ne pouvez pas supprimer votre propre compte / you cannot remove yourself",
    "self_demote": "vous ne pouvez pas vous retirer le rôle d'administrateur / you cannot demote yourself",
    "last_admin_remove": (
        "impossible de supprimer le dernier administrateur / the last admin cannot be removed"
    ),
    "last_admin_demote": (
        "impossible de rétrograder le dernier administrateur / the last admin cannot be demoted"
    ),
}


def add_user(session: Session, name: str, role: str, password: str, *, actor: str) -> None:
    """Create an account; an existing name is refused (the page never resets a password by
    re-adding a name, unlike ``users add``). The caller commits."""
    if find_user(session, name.strip()) is not None:
        raise AccountRuleError(
            f"ce nom est déjà pris / this name is taken: {name.strip()}",
            key="accounts.error.exists",
            name=name.strip(),
        )
    set_user(session, name, role, password, actor=actor)


def check_removable(session: Session, name: str, *, by: str) -> User:
    """The account ``by`` may remove (asked before the confirmation page is shown)."""
    user = get_user(session, name)
    _check_admin_rules(session, user, by, change="remove")
    return user


def change_role(session: Session, name: str, role: str, *, by: str) -> bool:
    """Give the account another role; False when it already had it. The account's sessions end,
    so the new role applies from its next login, as with ``users add``. The caller commits."""
    check_role(role)
    user = get_user(session, name)
    if user.role == role:
        return False
    if user.role == "admin":
        _check_admin_rules(session, user, by, change="demote")
    store.record_event(
        session,
        actor=by,
        action="user_role_changed",
        before={"user": user.name, "role": user.role},
        after={"user": user.name, "role": role, "sessions_ended": True},
    )
    user.role = role
    end_sessions(user)
    return True


def reset_password(session: Session, name: str, password: str, *, by: str) -> list[str]:
    """Replace the account's password: its sessions end (whoever knew the old one is out) and its
    lock-outs are lifted (the person can log in with the new one at once). The addresses that were
    locked out; the audit records neither password. The caller commits."""
    check_new_password(password)
    user = get_user(session, name)
    locked = locked_clients(session, user)
    user.password_hash = hash_password(password)
    end_sessions(user)
    session.execute(delete(LoginLock).where(LoginLock.user_id == user.id))
    store.record_event(
        session,
        actor=by,
        action="user_password_reset",
        after={"user": user.name, "sessions_ended": True, "clients_unlocked": locked},
    )
    return locked


def locked_clients(session: Session, user: User, now: datetime | None = None) -> list[str]:
    """The client addresses locked out of ``user`` right now, sorted."""
    rows = session.scalars(
        select(LoginLock.client).where(
            LoginLock.user_id == user.id, LoginLock.locked_until > (now or utcnow())
        )
    )
    return sorted(rows)


def _lock_row(session: Session, user: User, client: str, now: datetime) -> LoginLock:
    """The failure counter of (``user``, ``client``), created if missing and held until commit.

    Taken before the password is checked, so parallel guesses from one address queue up behind
    each other and cannot all slip in before the fifth failure locks the pair (PostgreSQL: a row
    lock; SQLite: the insert takes the database's write lock).
    """
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    session.execute(
        insert(LoginLock)
        .values(user_id=user.id, client=client, failed_logins=0, last_failed_at=now)
        .on_conflict_do_nothing(index_elements=["user_id", "client"])
    )
    query = select(LoginLock).where(LoginLock.user_id == user.id, LoginLock.client == client)
    return session.scalars(query.with_for_update().execution_options(populate_existing=True)).one()


def authenticate(
    session: Session, name: str, password: str, *, client: str | None = None, now: datetime | None = None
) -> LoginResult:
    """Check a login attempt from ``client``, count failures per address, lock the pair after too
    many, and record it in the audit trail.

    Outcomes: ``invalid`` for an unknown name, an inactive account or a wrong password; ``locked``
    for a pair locked out (the password is then not looked at: a right guess during the lock-out
    must not be confirmed). Every refusal verifies exactly one password hash. The caller commits.
    """
    now = now or utcnow()
    address = client_key(client)
    user = find_user(session, name)
    if user is None or not user.active:
        verify_password(_dummy_hash(), password)
        reason = "unknown_user" if user is None else "inactive"
        store.record_event(
            session,
            actor="anonymous",
            action="login_failed",
            after={"user": name[:128], "client": address, "reason": reason},
        )
        return LoginResult("invalid")
    lock = _lock_row(session, user, address, now)
    if lock.locked_until is not None and lock.locked_until > now:
        verify_password(_dummy_hash(), password)
        store.record_event(
            session,
            actor=user.name,
            action="login_refused_locked",
            after={"client": address, "locked_until": lock.locked_until.isoformat()},
        )
        return LoginResult("locked", locked_until=lock.locked_until)
    if not verify_password(user.password_hash, password):
        lock.failed_logins += 1
        lock.last_failed_at = now
        lock.locked_until = None
        store.record_event(
            session,
            actor=user.name,
            action="login_failed",
            after={"client": address, "failed_logins": lock.failed_logins, "reason": "wrong_password"},
        )
        if lock.failed_logins >= MAX_FAILED_LOGINS:
            # The counter starts again after the lock-out: five more tries, then locked again.
            lock.failed_logins = 0
            lock.locked_until = now + LOCK_DURATION
            store.record_event(
                session,
                actor=user.name,
                action="account_locked",
                after={"client": address, "locked_until": lock.locked_until.isoformat()},
            )
            return LoginResult("locked", locked_until=lock.locked_until)
        return LoginResult("invalid")
    session.delete(lock)  # a success from this address forgets its failures (not other addresses')
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.last_login_at = now
    store.record_event(session, actor=user.name, action="login", after={"client": address})
    return LoginResult("ok", user=user)
