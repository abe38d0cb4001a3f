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


def test_0006_adds_quality_score_and_asks_for_every_record_to_be_processed_again(
    ledger_url: Callable[..., str], tmp_path: Path
) -> None:
    """Rows from before 0006 have no score: the upgrade clears ``processed_with`` so the next
    ``process`` scores them (the way a change of rules does), and downgrading drops the column."""
    from alembic import command
    from sqlalchemy import text

    from ren_index.ledger.db import alembic_config

    url = ledger_url(folder=tmp_path / "q")
    engine = make_engine(url)
    cfg = alembic_config(url)
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0005")
        conn.execute(
            text(
                "INSERT INTO sources (id, name, type, url, config, created_at, updated_at) "
                "VALUES ('s', 's', 'oai', 'https://e.org', '{}', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
            )
        )
        conn.execute(
            text(
                "INSERT INTO raw_records (source_id, identifier, deleted, metadata_prefix, set_specs, "
                "content_hash, processed_hash, processed_with, first_seen, last_seen) VALUES "
                "('s', 'i', false, 'lom', '[]', 'h', 'h', 'rules-fingerprint', "
                "CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
            )
        )
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0006")
        assert "quality_score" in {c["name"] for c in inspect(conn).get_columns("resources")}
        assert conn.execute(text("SELECT processed_with FROM raw_records")).scalar_one() is None
        command.downgrade(cfg, "0005")
        assert "quality_score" not in {c["name"] for c in inspect(conn).get_columns("resources")}
    engine.dispose()


def test_0009_adds_link_checks_and_link_health_and_downgrades(
    ledger_url: Callable[..., str], tmp_path: Path
) -> None:
    """Two tables added, nothing existing changed; the downgrade drops exactly them."""
    from alembic import command

    from ren_index.ledger.db import alembic_config

    url = ledger_url(folder=tmp_path / "l")
    engine = make_engine(url)
    cfg = alembic_config(url)
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0008")
        before = set(inspect(conn).get_table_names())
        command.upgrade(cfg, "0009")
        tables = set(inspect(conn).get_table_names())
        assert tables - before == {"link_checks", "link_health"}
        indexes = {i["name"] for i in inspect(conn).get_indexes("link_checks")}
        assert {"ix_link_checks_resource_id", "ix_link_checks_checked_at"} <= indexes
        assert {i["name"] for i in inspect(conn).get_indexes("link_health")} == {"ix_link_health_state"}
        command.downgrade(cfg, "0008")
        assert set(inspect(conn).get_table_names()) == before
    engine.dispose()


def test_0010_adds_the_duplicates_tables_and_downgrades(
    ledger_url: Callable[..., str], tmp_path: Path
) -> None:
    """Five tables added, nothing existing changed; the downgrade drops exactly them."""
    from alembic import command

    from ren_index.ledger.db import alembic_config

    url = ledger_url(folder=tmp_path / "l")
    engine = make_engine(url)
    cfg = alembic_config(url)
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0009")
        before = set(inspect(conn).get_table_names())
        command.upgrade(cfg, "0010")
        added = set(inspect(conn).get_table_names()) - before
        assert added == {"dup_signatures", "dup_keys", "dup_pairs", "dup_members", "dup_choices"}
        assert {i["name"] for i in inspect(conn).get_indexes("dup_pairs")} == {
            "ix_dup_pairs_b",
            "ix_dup_pairs_status",
        }
        assert inspect(conn).get_pk_constraint("dup_keys")["constrained_columns"] == ["key", "resource_id"]
        command.downgrade(cfg, "0009")
        assert set(inspect(conn).get_table_names()) == before
    engine.dispose()
