"""``run_demo`` without the command line: what it refuses before starting anything.

The whole run, end to end on the real node, is ``tests/cli/test_demo.py``.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.orm import sessionmaker

from ren_index.demo.runner import run_demo
from ren_index.errors import ConfigError
from ren_index.settings import Settings


def test_missing_demo_sources_are_a_config_error(tmp_path: Path) -> None:
    said: list[str] = []
    with pytest.raises(ConfigError, match="demo-lom"):
        run_demo(Settings(data_dir=tmp_path), sessionmaker(), {}, say=said.append)
    assert said == []


def test_a_named_cluster_that_does_not_answer_is_not_replaced(tmp_path: Path) -> None:
    """``REN_OPENSEARCH_URL`` set to a cluster elsewhere: no local node is started in its place."""
    from ren_index.config.sources import load_sources

    sources = load_sources(Path(__file__).resolve().parents[2] / "config" / "sources.yaml")
    settings = Settings(data_dir=tmp_path, opensearch_url="http://127.0.0.2:9", opensearch_timeout=2)
    assert settings.opensearch_url_is_explicit and not settings.opensearch_is_local
    said: list[str] = []
    with pytest.raises(ConfigError, match="does not answer"):
        run_demo(settings, sessionmaker(), sources, say=said.append)
    assert not any("starting the local node" in line for line in said)
