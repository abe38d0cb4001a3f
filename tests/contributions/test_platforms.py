"""Platforms and their keys: random, stored hashed, rotated, revoked; a platform is a source."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import timedelta

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session, sessionmaker

from ren_index.config.sources import SourceConfig
from ren_index.contributions import platforms
from ren_index.contributions.platforms import PlatformError, PlatformInfo, authenticate, create_platform
from ren_index.ledger import store
from ren_index.ledger.models import Event, Platform, SourceRow

from .conftest import PORTAL, PORTALS

NewPlatform = Callable[..., tuple[PlatformInfo, str]]


def test_a_key_is_random_shown_once_and_only_its_hash_is_stored(
    ledger: sessionmaker[Session], new_platform: NewPlatform
) -> None:
    first, key = new_platform("ma-classe")
    _other, other_key = new_platform("autre-plateforme")
    assert key.startswith("renk_") and len(key) >= 45 and key != other_key
    with ledger() as session:
        row = session.get_one(Platform, "ma-classe")
        assert row.key_hash == hashlib.sha256(key.encode()).hexdigest()
        assert row.key_prefix == key[:12]
        # Nowhere in the database is the key in clear: not in the platform, not in the audit trail.
        dump = " ".join(
            str(v)
            for table in ("platforms", "events", "sources")
            for r in session.execute(text(f"SELECT * FROM {table}"))
            for v in r
        )
    assert key not in dump and key[12:] not in dump
    assert authenticate(ledger, key) == first


def test_a_platform_is_a_source_of_type_contributions_reviewed_always(
    ledger: sessionmaker[Session], new_platform: NewPlatform
) -> None:
    info, _key = new_platform("ma-classe", callback_url="https://ma-classe.example.qc.ca/rappels")
    assert info == PlatformInfo(
        name="ma-classe",
        label="Ma classe (École ouverte)",
        portal=PORTAL,
        callback_url="https://ma-classe.example.qc.ca/rappels",
    )
    with ledger() as session:
        source = SourceConfig.model_validate(session.get_one(SourceRow, "ma-classe").config)
        added = session.scalars(select(Event).where(Event.action == "platform_added")).one()
    assert (source.type, source.review, source.portals, source.url) == (
        "contributions",
        "always",
        [PORTAL],
        "",
    )
    assert (added.actor, added.source_id) == ("cli", "ma-classe")


def test_rotating_the_key_refuses_the_old_one_at_once(
    ledger: sessionmaker[Session], new_platform: NewPlatform
) -> None:
    info, old = new_platform()
    new = platforms.rotate_key(ledger, info.name, actor="admin-anne")
    assert new != old
    assert authenticate(ledger, old) is None
    assert authenticate(ledger, new) == info
    with ledger() as session:
        event = session.scalars(select(Event).where(Event.action == "platform_key_rotated")).one()
    assert event.actor == "admin-anne" and event.after == {"key_prefix": new[:12]}


def test_a_revoked_key_is_refused_until_a_new_one_is_issued(
    ledger: sessionmaker[Session], new_platform: NewPlatform
) -> None:
    info, key = new_platform()
    platforms.revoke(ledger, info.name)
    platforms.revoke(ledger, info.name)  # twice: one event, no error
    assert authenticate(ledger, key) is None
    listed = platforms.list_platforms(ledger)[0]
    assert listed["revoked"] is True and listed["revoked_at"] is not None
    with ledger() as session:
        assert len(session.scalars(select(Event).where(Event.action == "platform_revoked")).all()) == 1
    fresh = platforms.rotate_key(ledger, info.name)
    assert authenticate(ledger, fresh) == info and authenticate(ledger, key) is None


@pytest.mark.parametrize(
    "presented",
    ["", "renk_", "renk_" + "x" * 43, "Bearer renk_abc", "renk_" + "é" * 43, "x" * 10_000, None, 42],
)
def test_anything_but_a_known_key_authenticates_nobody(
    ledger: sessionmaker[Session], new_platform: NewPlatform, presented: object
) -> None:
    new_platform()
    assert authenticate(ledger, presented) is None  # type: ignore[arg-type]


def test_last_used_is_written_at_most_once_a_minute(
    ledger: sessionmaker[Session], new_platform: NewPlatform
) -> None:
    info, key = new_platform()
    assert authenticate(ledger, key) is not None
    with ledger() as session:
        first = session.get_one(Platform, info.name).last_used_at
    assert first is not None
    assert authenticate(ledger, key) is not None
    with ledger.begin() as session:
        row = session.get_one(Platform, info.name)
        assert row.last_used_at == first  # a second request within the minute writes nothing
        row.last_used_at = first - timedelta(minutes=2)
    assert authenticate(ledger, key) is not None
    with ledger() as session:
        later = session.get_one(Platform, info.name).last_used_at
    assert later is not None and later > first


@pytest.mark.parametrize(
    ("name", "portal", "callback", "reserved", "said"),
    [
        ("Ma_Classe", PORTAL, None, (), "invalid name"),
        ("x" * 65, PORTAL, None, (), "invalid name"),
        ("ma-classe", "atlantide", None, (), "unknown portal"),
        ("ma-classe", PORTAL, "ftp://ma-classe.example/rappels", (), "invalid callback URL"),
        ("ma-classe", PORTAL, "javascript:alert(1)", (), "invalid callback URL"),
        ("ma-classe", PORTAL, "https://exa mple.org/", (), "invalid callback URL"),
        ("demo-lom", PORTAL, None, ("demo-lom", "demo-dc"), "already a source in sources.yaml"),
    ],
)
def test_creation_refuses_what_cannot_be_a_platform(
    ledger: sessionmaker[Session],
    name: str,
    portal: str,
    callback: str | None,
    reserved: tuple[str, ...],
    said: str,
) -> None:
    with pytest.raises(PlatformError, match=said):
        create_platform(
            ledger, name, portal=portal, callback_url=callback, portals=PORTALS, reserved=reserved
        )
    with ledger() as session:
        assert session.scalars(select(Platform)).all() == []
        assert session.scalars(select(SourceRow)).all() == []


def test_a_harvested_source_in_the_ledger_cannot_be_taken_over(ledger: sessionmaker[Session]) -> None:
    with ledger.begin() as session:
        store.sync_source(
            session, SourceConfig(id="partenaire", name="Partenaire", type="oai", url="https://p.example/oai")
        )
    with pytest.raises(PlatformError, match="already exists"):
        create_platform(ledger, "partenaire", portal=PORTAL, portals=PORTALS)
    with ledger() as session:
        assert session.get_one(SourceRow, "partenaire").type == "oai"


def test_unknown_platforms_are_one_line_errors(ledger: sessionmaker[Session]) -> None:
    with pytest.raises(PlatformError, match="unknown platform"):
        platforms.rotate_key(ledger, "personne")
    with pytest.raises(PlatformError, match="unknown platform"):
        platforms.revoke(ledger, "personne")
