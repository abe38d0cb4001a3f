"""Opening the ledger: engine, sessions and migrations.

No connection is made at import time. :func:`open_ledger` creates the data directory for a
SQLite URL, runs the Alembic migrations up to head (idempotent) and returns a session factory.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def make_engine(url: str) -> Engine:
    """An engine for the ledger URL; for SQLite, the parent folder is created and FKs enforced."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):  # type: ignore[no-untyped-def]
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA journal_mode=WAL")
            # In WAL mode NORMAL stays consistent after any crash: a power cut may lose the
            # last commits, never half of one, so a page and its checkpoint still go together.
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        return engine
    return create_engine(url, pool_pre_ping=True)


def alembic_config(url: str) -> Config:
    """An Alembic configuration pointing at the bundled migrations and at ``url``."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


MIGRATION_LOCK = 0x72656E2D6C6564  # "ren-led": the advisory lock key of ledger migrations
"""Processes opening one PostgreSQL ledger at once take turns to migrate it (see :func:`upgrade`)."""


def upgrade(engine: Engine) -> None:
    """Bring the ledger schema to the latest migration (no-op when already there).

    On PostgreSQL two processes starting together on a fresh ledger (a schedule and a manual
    harvest) would both create the tables, and one would fail on a duplicate: a transaction-level
    advisory lock makes the second wait, then find the schema at head. SQLite's file lock already
    serializes them.
    """
    cfg = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, "head")


def open_ledger(url: str) -> sessionmaker[Session]:
    """Migrate the ledger at ``url`` and return a session factory for it."""
    engine = make_engine(url)
    upgrade(engine)
    return sessionmaker(engine, expire_on_commit=False)
