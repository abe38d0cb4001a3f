"""Migration 0005 on a ledger that already has accounts: each gets a session key of its own, the
per-account lock-out columns go, ``login_locks`` comes; and the downgrade gives 0004's table back.

On the active backend (SQLite, or PostgreSQL with ``REN_TEST_POSTGRES_URL``).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from alembic import command
from sqlalchemy import Engine, inspect, text

from ren_index.ledger.db import alembic_config, make_engine


def migrate(engine: Engine, direction: str, revision: str) -> None:
    cfg = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as connection:
        cfg.attributes["connection"] = connection
        getattr(command, direction)(cfg, revision)


def columns(engine: Engine, table: str) -> set[str]:
    return {c["name"] for c in inspect(engine).get_columns(table)}


def test_upgrade_gives_every_existing_account_its_own_key_and_downgrade_restores_0004(
    ledger_url: Callable[..., str],
) -> None:
    engine = make_engine(ledger_url())
    try:
        migrate(engine, "upgrade", "0004")
        with engine.begin() as conn:
            for name in ("dora", "paul"):
                conn.execute(
                    text(
                        "INSERT INTO users (name, role, password_hash, failed_logins, active, created_at)"
                        " VALUES (:name, 'documentalist', '$argon2id$x', 3, :active, CURRENT_TIMESTAMP)"
                    ),
                    {"name": name, "active": True},
                )
        migrate(engine, "upgrade", "head")
        assert {"session_key"} <= columns(engine, "users")
        assert not {"failed_logins", "locked_until"} & columns(engine, "users")
        assert "login_locks" in inspect(engine).get_table_names()
        with engine.connect() as conn:
            keys = [row[0] for row in conn.execute(text("SELECT session_key FROM users"))]
        assert len(keys) == 2 and len(set(keys)) == 2
        assert all(re.fullmatch(r"[0-9a-f]{32}", key) for key in keys)

        migrate(engine, "downgrade", "0004")
        assert {"failed_logins", "locked_until"} <= columns(engine, "users")
        assert "session_key" not in columns(engine, "users")
        assert "login_locks" not in inspect(engine).get_table_names()
        with engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM users")).scalar_one() == 2
        migrate(engine, "upgrade", "head")  # and up again
    finally:
        engine.dispose()
