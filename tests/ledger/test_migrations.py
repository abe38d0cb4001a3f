"""The ledger schema comes from the Alembic migrations, and they match the models.

Both run on the active backend: SQLite, or PostgreSQL when ``REN_TEST_POSTGRES_URL`` is set.
"""

from collections.abc import Callable
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from ren_index.ledger.db import make_engine, open_ledger
from ren_index.ledger.models import Base


def test_migrations_create_every_table_and_are_idempotent(
    ledger_url: Callable[..., str], tmp_path: Path
) -> None:
    url = ledger_url(folder=tmp_path / "sub")
    open_ledger(url)
    open_ledger(url)  # second upgrade is a no-op, not an error
    engine = make_engine(url)
    tables = set(inspect(engine).get_table_names())
    engine.dispose()
    assert {
        "sources",
        "harvest_runs",
        "raw_records",
        "resources",
        "events",
        "alembic_version",
    } <= tables


def test_models_and_migrations_agree(ledger_url: Callable[..., str]) -> None:
    url = ledger_url()
    open_ledger(url)
    engine = make_engine(url)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    engine.dispose()
    assert diff == [], f"models changed without a migration: {diff}"
