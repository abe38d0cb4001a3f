"""Platforms that push contributions (Ma classe of École ouverte): creation, keys, listing.

A platform is a source of type ``contributions`` with a key: creating one writes its source row
(``ledger.store.sync_source``) so that ``sources list``, the runs, the queue's source filter, the
dashboard and the OAI-PMH provider's ``source:`` sets see its contributions like any harvested
record, with ``review: always`` — no contribution is ever published by the rules alone.

The key is shown once and only its SHA-256 is stored. A slow password hash (argon2, as for the
review UI's accounts) is for secrets people choose, which can be guessed; this key is 256 random
bits from :mod:`secrets`, which no dictionary holds and no brute force reaches, so one fast hash is
as safe and lets every request find its platform by an indexed equality. The comparison is still
done in constant time (:func:`hmac.compare_digest`) so the time an answer takes says nothing about
how much of a guessed hash matched. A short prefix of the key (not enough to guess the rest) is
kept in clear so an administrator can tell which key a platform holds without seeing it.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from ren_index.config.sources import SOURCE_ID, SourceConfig
from ren_index.errors import RenIndexError
from ren_index.ledger import store
from ren_index.ledger.models import Event, Platform, ResourceRow, SourceRow, utcnow

KEY_PREFIX = "renk_"
"""Every key starts with this, so a key pasted in the wrong place (a log, a ticket) is recognisable."""
PREFIX_SHOWN = 12
"""Characters of a key kept in clear: ``renk_`` and 7 random characters (42 bits, nothing to guess
the remaining 256 from)."""
LAST_USED_EVERY = timedelta(minutes=1)
"""``last_used_at`` is written at most this often: a busy platform must not turn reads into writes."""
MAX_NAME = 64
STATUSES = ("needs_review", "approved", "rejected", "deleted")


class PlatformError(RenIndexError):
    """A platform cannot be created or changed as asked (the message is one line, French first)."""


@dataclass(frozen=True)
class PlatformInfo:
    """What a request authenticated by a key knows about its platform."""

    name: str
    label: str
    portal: str
    callback_url: str | None


def new_key() -> str:
    """A fresh key: 256 random bits, URL-safe, with the recognisable prefix."""
    return KEY_PREFIX + secrets.token_urlsafe(32)


def hash_key(key: str) -> str:
    """The stored form of a key (SHA-256, hex): see the module docstring for why a fast hash."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def check_callback_url(url: str | None) -> str | None:
    """``None`` or an absolute http(s) URL with a host; anything else is refused here, when it is
    set (the address policy proper is applied at every delivery: DNS answers change)."""
    if url is None or not url.strip():
        return None
    url = url.strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname or any(c.isspace() for c in url):
        raise PlatformError(
            "adresse de rappel invalide, http(s)://… attendu / invalid callback URL, expected"
            f" http(s)://…: {url!r}"
        )
    return url


def _info(row: Platform) -> PlatformInfo:
    return PlatformInfo(name=row.name, label=row.label, portal=row.portal, callback_url=row.callback_url)


def _get(session: Session, name: str) -> Platform:
    row = session.get(Platform, name)
    if row is None:
        raise PlatformError(f"plateforme inconnue / unknown platform: {name!r}")
    return row


def create_platform(
    factory: sessionmaker[Session],
    name: str,
    *,
    portal: str,
    label: str | None = None,
    callback_url: str | None = None,
    portals: Iterable[str] = (),
    reserved: Iterable[str] = (),
    actor: str = "cli",
) -> tuple[PlatformInfo, str]:
    """Create a platform and its source row; return it and its key (the only time it is shown).

    ``portals`` are the known portal ids (``config/portals.yaml``); ``reserved`` the source ids
    of ``sources.yaml``, which a platform must not take over (the ledger's own source rows are
    checked here too: a harvested source seen once keeps its id).
    """
    known = list(portals)
    if not SOURCE_ID.match(name) or len(name) > MAX_NAME:
        raise PlatformError(
            f"nom invalide : a-z, 0-9 et '-', {MAX_NAME} caractères au plus / invalid name: a-z, 0-9"
            f" and '-', at most {MAX_NAME} characters: {name!r}"
        )
    if portal not in known:
        raise PlatformError(
            f"portail inconnu (portals.yaml) / unknown portal: {portal!r};"
            f" connus / known: {', '.join(known) or '—'}"
        )
    if name in set(reserved):
        raise PlatformError(
            f"{name!r} est déjà une source de sources.yaml / is already a source in sources.yaml"
        )
    callback = check_callback_url(callback_url)
    label = " ".join((label or name).split())[:255] or name
    key = new_key()
    with factory.begin() as session:
        if session.get(SourceRow, name) is not None:
            raise PlatformError(f"la source {name!r} existe déjà / source {name!r} already exists")
        source = SourceConfig(id=name, name=label, type="contributions", portals=[portal], review="always")
        store.sync_source(session, source)
        row = Platform(
            name=name,
            label=label,
            portal=portal,
            key_hash=hash_key(key),
            key_prefix=key[:PREFIX_SHOWN],
            callback_url=callback,
            callback_cursor=_last_event_id(session),
            callback_attempts=0,
        )
        session.add(row)
        session.flush()
        store.record_event(
            session,
            actor=actor,
            action="platform_added",
            source_id=name,
            after={"portal": portal, "label": label, "callback_url": callback, "key_prefix": row.key_prefix},
        )
        return _info(row), key


def _last_event_id(session: Session) -> int:
    """Callbacks start after the newest event: a platform is told nothing from before it existed."""
    return int(session.scalar(select(func.max(Event.id))) or 0)


def list_platforms(factory: sessionmaker[Session]) -> list[dict[str, Any]]:
    """Every platform with its key prefix, dates and contributions per status (never the key)."""
    with factory() as session:
        counts: dict[str, dict[str, int]] = {}
        query = select(ResourceRow.source_id, ResourceRow.status, func.count()).join(
            Platform, Platform.name == ResourceRow.source_id
        )
        for source_id, status, n in session.execute(
            query.group_by(ResourceRow.source_id, ResourceRow.status)
        ):
            counts.setdefault(source_id, dict.fromkeys(STATUSES, 0))[status] = n
        return [
            {
                "name": row.name,
                "label": row.label,
                "portal": row.portal,
                "callback_url": row.callback_url,
                "created_at": row.created_at,
                "last_used_at": row.last_used_at,
                "revoked": row.revoked_at is not None,
                "revoked_at": row.revoked_at,
                "key_prefix": row.key_prefix,
                "counts": counts.get(row.name, dict.fromkeys(STATUSES, 0)),
            }
            for row in session.scalars(select(Platform).order_by(Platform.name))
        ]


def get_platform(factory: sessionmaker[Session], name: str) -> PlatformInfo | None:
    """A platform by name (revoked or not), or ``None``: for commands that act for it."""
    with factory() as session:
        row = session.get(Platform, name)
        return _info(row) if row is not None else None


def rotate_key(factory: sessionmaker[Session], name: str, *, actor: str = "cli") -> str:
    """A new key for a platform; the old one stops working at once. Lifts a revocation."""
    key = new_key()
    with factory.begin() as session:
        row = _get(session, name)
        before = {"key_prefix": row.key_prefix, "revoked": row.revoked_at is not None}
        row.key_hash, row.key_prefix, row.revoked_at = hash_key(key), key[:PREFIX_SHOWN], None
        store.record_event(
            session,
            actor=actor,
            action="platform_key_rotated",
            source_id=name,
            before=before,
            after={"key_prefix": row.key_prefix},
        )
    return key


def revoke(factory: sessionmaker[Session], name: str, *, actor: str = "cli") -> None:
    """Refuse the platform's key from now on (its contributions stay as they are)."""
    with factory.begin() as session:
        row = _get(session, name)
        if row.revoked_at is not None:
            return
        row.revoked_at = utcnow()
        store.record_event(session, actor=actor, action="platform_revoked", source_id=name)


_KEY_SHAPE = re.compile(r"renk_[A-Za-z0-9_-]{20,100}")


def authenticate(factory: sessionmaker[Session], key: str) -> PlatformInfo | None:
    """The platform holding ``key``, or ``None`` (unknown, malformed or revoked key).

    Looked up by hash (indexed), then compared in constant time; ``last_used_at`` is written at most
    once a minute. The key itself is never logged nor stored.
    """
    if not isinstance(key, str) or not _KEY_SHAPE.fullmatch(key):
        return None
    digest = hash_key(key)
    with factory() as session:
        row = session.scalar(select(Platform).where(Platform.key_hash == digest))
        if row is None or not hmac.compare_digest(row.key_hash, digest) or row.revoked_at is not None:
            return None
        info = _info(row)
        now = utcnow()
        last = row.last_used_at
        if last is None or now - last >= LAST_USED_EVERY:
            row.last_used_at = now
            session.commit()
        return info


def as_utc(moment: datetime | None) -> str | None:
    """ISO 8601 UTC text of a ledger date (JSON output)."""
    return moment.isoformat() if moment is not None else None
