"""Migration 0007 adds the platforms table (and takes it away again) on the active backend."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from alembic import command
from sqlalchemy import inspect

from ren_index.ledger.db import alembic_config, make_engine


def test_0007_adds_and_drops_the_platforms_table(ledger_url: Callable[..., str], tmp_path: Path) -> None:
    url = ledger_url(folder=tmp_path / "m")
    engine = make_engine(url)
    cfg = alembic_config(url)
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0007")
        inspector = inspect(conn)
        assert "platforms" in inspector.get_table_names()
        indexes = {i["name"]: i for i in inspector.get_indexes("platforms")}
        assert indexes["ix_platforms_key_hash"]["unique"]
        command.downgrade(cfg, "0006")
        assert "platforms" not in inspect(conn).get_table_names()
    engine.dispose()
