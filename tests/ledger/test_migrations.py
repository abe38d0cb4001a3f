"""The ledger schema comes from the Alembic migrations, and they match the models."""

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from ren_index.ledger.db import make_engine, open_ledger
from ren_index.ledger.models import Base


def test_migrations_create_every_table_and_are_idempotent(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'sub' / 'ledger.db'}"
    open_ledger(url)
    open_ledger(url)  # second upgrade is a no-op, not an error
    tables = set(inspect(make_engine(url)).get_table_names())
    assert {
        "sources",
        "harvest_runs",
        "raw_records",
        "resources",
        "events",
        "alembic_version",
    } <= tables


def test_models_and_migrations_agree(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    open_ledger(url)
    with make_engine(url).connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == [], f"models changed without a migration: {diff}"
